//! The dictionary teacher built from the real vocabulary files. Skipped where the data folder is
//! absent (see `common`).

use clinical_ner_engine::EntityType::{self, Disease, Medication, Symptom};
use clinical_ner_training::teachers::dictionary::DictionaryTeacher;

mod common;

#[test]
fn knows_well_known_terms() {
    let Some(dir) = common::data_dir() else {
        return;
    };
    let teacher = DictionaryTeacher::load(&dir).unwrap();
    for (t, n) in teacher.term_counts() {
        assert!(n > 1000, "only {n} {t} terms");
    }
    let text = "Metformin and aspirin; asthma; headache and fever.";
    let found: Vec<(&str, EntityType)> = teacher
        .label(text)
        .iter()
        .map(|s| (&text[s.start..s.end], s.entity_type))
        .collect();
    assert_eq!(
        found,
        [
            ("Metformin", Medication),
            ("aspirin", Medication),
            ("asthma", Disease),
            ("headache", Symptom),
            ("fever", Symptom),
        ]
    );
}
