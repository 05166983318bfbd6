//! ONNX Runtime library failures. A process loads ONNX Runtime once, so these run in their own test
//! binary, before any library is loaded, and each must leave the process able to try again.

// Shared with the other test binaries; this one needs only the paths.
#[allow(dead_code)]
mod common;

use std::path::PathBuf;

use clinical_ner_engine::{load_model, Error, RuntimeOptions};

fn load_with_library(library: &str) -> Error {
    let options = RuntimeOptions {
        library: PathBuf::from(library),
        ..common::runtime_options()
    };
    match load_model(&common::model_folder(), &options) {
        Ok(_) => panic!("loaded with library {library}"),
        Err(error) => error,
    }
}

#[test]
fn bad_library_paths_are_clear_errors_and_a_good_one_still_loads_afterwards() {
    // An ONNX Runtime too old for the API the engine is built against (scripts/setup.sh fetches 1.20).
    let too_old = std::env::var("CLINICAL_NER_OLD_ORT_LIBRARY").ok();
    let mut cases = vec![
        ("libonnxruntime.so", "not absolute"),
        ("/nonexistent/libonnxruntime.so", "no such file"),
        ("/etc/hostname", "failed to load"),
    ];
    if let Some(too_old) = too_old.as_deref() {
        cases.push((too_old, "1.20"));
    }
    for (library, expected) in cases {
        let error = load_with_library(library);
        assert!(matches!(error, Error::Library { .. }), "{error}");
        assert!(error.to_string().contains(expected), "{error}");
        assert!(error.to_string().contains(library));
    }
    let good = common::runtime_options();
    load_model(&common::model_folder(), &good)
        .expect("the real library loads after failed attempts");
    let error = load_with_library("/etc/hostname");
    assert!(
        matches!(error, Error::LibraryAlreadyLoaded { .. }),
        "{error}"
    );
}
