//! The linking vocabulary built from the real vocabulary files, written, loaded back and used the
//! way the extension uses it. Skipped where the data folder is absent (see `common`).

use clinical_ner_engine::linking::{LinkMethod, Vocabulary};
use clinical_ner_engine::EntityType::{self, Disease, Medication, Symptom};
use clinical_ner_training::vocabulary;

mod common;

fn link(
    vocabulary: &Vocabulary,
    mention: &str,
    entity_type: EntityType,
) -> (String, String, LinkMethod) {
    let link = vocabulary
        .link(mention, entity_type)
        .unwrap_or_else(|| panic!("{mention} not linked"));
    (link.code, link.preferred_name, link.method)
}

#[test]
fn links_spellings_brands_abbreviations_and_misspellings_of_real_terms() {
    let Some(dir) = common::data_dir() else {
        return;
    };
    let (terms, manifest) = vocabulary::build(&dir).unwrap();
    let folder = tempfile::tempdir().unwrap();
    vocabulary::write(folder.path(), &terms, &manifest).unwrap();
    let loaded = Vocabulary::load(folder.path()).unwrap();
    assert_eq!(loaded.term_count(), terms.len());
    assert_eq!(loaded.manifest(), &manifest);
    for system in ["DrugBank", "DOID", "HPO", "SYMP"] {
        assert!(
            manifest.term_counts[system] > 1000,
            "{system}: {:?}",
            manifest.term_counts
        );
    }

    let aspirin = link(&loaded, "aspirin", Medication);
    assert_eq!(aspirin.0, "DB00945");
    for spelling in ["Aspirin", "ASPIRIN", "Aspirin 81 mg PO daily", "ASA"] {
        assert_eq!(
            link(&loaded, spelling, Medication).0,
            aspirin.0,
            "{spelling}"
        );
    }
    let acetaminophen = link(&loaded, "acetaminophen", Medication).0;
    assert_eq!(
        link(&loaded, "Tylenol", Medication).0,
        acetaminophen,
        "brand name"
    );
    // One edit in eleven letters clears the medication threshold (0.9); "metfromin" (one
    // transposition in nine, 0.89) does not, and stays unlinked rather than risk a wrong code.
    let lisinopril = link(&loaded, "lisinopril", Medication).0;
    let misspelt = link(&loaded, "lisinoprill", Medication);
    assert_eq!(
        (misspelt.0, misspelt.2),
        (lisinopril, LinkMethod::Approximate)
    );
    assert!(loaded.link("metfromin", Medication).is_none());
    assert_eq!(
        link(&loaded, "metoprolol tartrate", Medication).1,
        "Metoprolol"
    );

    let hypertension = link(&loaded, "HTN", Disease);
    assert!(hypertension.0.starts_with("DOID:"), "{hypertension:?}");
    assert_eq!(
        (hypertension.1.as_str(), hypertension.2),
        ("hypertension", LinkMethod::Abbreviation)
    );
    assert!(link(&loaded, "shortness of breath", Symptom)
        .0
        .starts_with("HP:"));
    assert_eq!(
        link(&loaded, "headaches", Symptom).0,
        link(&loaded, "Headache", Symptom).0
    );
    assert!(loaded.link("the", Symptom).is_none());

    // HPO's Nephrolithiasis shares no UMLS id with the Disease Ontology's nephrolithiasis, but its
    // name is that disease's label, so its wordings reach the Disease Ontology, asked first.
    assert_eq!(
        link(&loaded, "kidney stone", Disease).0,
        link(&loaded, "nephrolithiasis", Disease).0
    );
    assert!(link(&loaded, "kidney stone", Disease)
        .0
        .starts_with("DOID:"));
    // Lab analytes get no drug code (training/rules/not_medications.tsv); minerals given as drugs
    // keep theirs.
    for analyte in ["creatinine", "glucose", "ammonia", "aldosterone"] {
        assert!(loaded.link(analyte, Medication).is_none(), "{analyte}");
    }
    assert_eq!(link(&loaded, "calcium", Medication).0, "DB01373");
}
