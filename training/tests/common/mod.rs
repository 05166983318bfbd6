//! The shared data folder for the integration tests. The corpora are not redistributable, so a
//! developer without them gets a skipped test; the test command sets CLINICAL_NER_DATA, and then the
//! folder must be there, so that CI can never pass by skipping.

use std::path::PathBuf;

use clinical_ner_training::known_corpora;

pub fn data_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("CLINICAL_NER_DATA") {
        let dir = PathBuf::from(dir);
        assert!(
            dir.is_dir(),
            "CLINICAL_NER_DATA={} is not a folder",
            dir.display()
        );
        return Some(dir);
    }
    let dir = known_corpora::default_data_dir();
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "skipped: no data folder at {} and CLINICAL_NER_DATA unset",
            dir.display()
        );
        None
    }
}
