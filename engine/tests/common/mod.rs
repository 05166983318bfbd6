//! Where the real model and ONNX Runtime library are: the shipped model and the library that
//! `scripts/setup.sh` fetches, unless CLINICAL_NER_MODEL / CLINICAL_NER_ORT_LIBRARY say otherwise.

use std::path::PathBuf;

use clinical_ner_engine::{Device, RuntimeOptions};

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
