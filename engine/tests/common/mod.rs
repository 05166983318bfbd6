//! Where the real model and ONNX Runtime library are: the shipped model and the library that
//! `scripts/setup.sh` fetches, unless CLINICAL_NER_MODEL / CLINICAL_NER_ORT_LIBRARY say otherwise.

use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, OnceLock};

use clinical_ner_engine::{load_model, Device, Entity, Extractor, RuntimeOptions};

fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub fn model_folder() -> PathBuf {
    std::env::var_os("CLINICAL_NER_MODEL")
        .map(PathBuf::from)
        .unwrap_or_else(|| repository().join("models/clinical-ner-minilm"))
}

pub fn runtime_options() -> RuntimeOptions {
    let library = std::env::var_os("CLINICAL_NER_ORT_LIBRARY")
        .map(PathBuf::from)
        .unwrap_or_else(|| repository().join(".tools/onnxruntime/libonnxruntime.so.1.32.0"));
    let library = library.canonicalize().unwrap_or_else(|_| {
        panic!(
            "no ONNX Runtime library at {}: run scripts/setup.sh",
            library.display()
        )
    });
    RuntimeOptions {
        library,
        device: Device::Cpu,
        intra_op_threads: 2,
    }
}

/// The offsets law of the SQL functions, in characters, with spans in order and scores in [0, 1].
pub fn assert_offsets_hold(note: &str, entities: &[Entity]) {
    let chars: Vec<char> = note.chars().collect();
    let mut previous_end = 0;
    for e in entities {
        assert!(
            e.start < e.end && e.end <= chars.len(),
            "span {}..{} outside the note",
            e.start,
            e.end
        );
        assert!(e.start >= previous_end, "spans overlap or are out of order");
        assert_eq!(chars[e.start..e.end].iter().collect::<String>(), e.mention);
        assert!((0.0..=1.0).contains(&e.score));
        previous_end = e.end;
    }
}

/// One model per process: loading it per test (or per fuzz input) would time the loader, not the work.
pub fn shared_extractor() -> MutexGuard<'static, Extractor> {
    static SHARED: OnceLock<Mutex<Extractor>> = OnceLock::new();
    SHARED
        .get_or_init(|| {
            Mutex::new(
                load_model(&model_folder(), &runtime_options())
                    .expect("the model loads (CLINICAL_NER_MODEL, CLINICAL_NER_ORT_LIBRARY)"),
            )
        })
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
