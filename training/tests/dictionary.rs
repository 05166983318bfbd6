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

#[test]
fn each_vocabulary_is_a_teacher_of_its_own_types() {
    use clinical_ner_training::teachers::dictionary::Vocabulary;
    let Some(dir) = common::data_dir() else {
        return;
    };
    let text = "Metformin and aspirin; asthma; headache and fever.";
    for vocabulary in Vocabulary::ALL {
        let teacher = DictionaryTeacher::load_vocabularies(&dir, &[vocabulary]).unwrap();
        let spans = teacher.label(text);
        assert!(!spans.is_empty(), "{vocabulary:?} found nothing");
        assert!(
            spans
                .iter()
                .all(|s| vocabulary.types().contains(&s.entity_type)),
            "{vocabulary:?}: {spans:?}"
        );
    }
    let rxnorm = DictionaryTeacher::load_vocabularies(&dir, &[Vocabulary::RxNorm]).unwrap();
    assert_eq!(rxnorm.label(text)[0].end, "Metformin".len());
}
