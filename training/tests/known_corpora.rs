//! Every known corpus, read from the shared data folder, against the counts its SOURCE.md states.
//! Skipped where the data folder is absent (see `common`).

use std::collections::BTreeMap;

use clinical_ner_engine::EntityType::{self, Disease, Medication, Symptom};
use clinical_ner_training::known_corpora::{self, NAMES};

mod common;
use common::data_dir;

/// Name, documents, spans per type.
type Counts = (&'static str, usize, &'static [(EntityType, usize)]);

/// The counts in the SOURCE.md files.
///
/// - bc5cdr: the PubTator columns of its count table (the IOB conversion has 4246 dev diseases).
/// - ncbi-disease train: 593 records for 592 PMIDs; the repeated abstract is kept, as `8528200#2`,
///   because the stated mention count (5145) includes both copies.
/// - psytar: sentences, and ADR + WD + SSI (DI spans are ignored ranges): train 2500 + 334 + 239,
///   dev 293 + 40 + 29, test 750 + 70 + 72.
/// - mtsamples-gold: the project's own note gold set, in this repository (`training/corpora/`).
/// - maccrobat2020-dev: the subset table. In 24957905 a Disease_disorder span lies inside a
///   Sign_symptom span; the reader keeps both (270); training files keep only the longer.
/// - chia: no official split (see `known_corpora::chia_split`); SOURCE.md counts 3801 Drug and
///   12039 Condition over all 2000 files, of which these are the first fragments of the three
///   splits (counted when the split was made, in Python).
const EXPECTED: &[Counts] = &[
    ("bc5cdr-train", 500, &[(Medication, 5203), (Disease, 4182)]),
    ("bc5cdr-dev", 500, &[(Medication, 5347), (Disease, 4244)]),
    ("bc5cdr-test", 500, &[(Medication, 5385), (Disease, 4424)]),
    ("ncbi-disease-train", 593, &[(Disease, 5145)]),
    ("ncbi-disease-dev", 100, &[(Disease, 787)]),
    ("ncbi-disease-test", 100, &[(Disease, 960)]),
    ("psytar-train", 3850, &[(Symptom, 3073)]),
    ("psytar-dev", 550, &[(Symptom, 362)]),
    ("psytar-test", 1191, &[(Symptom, 892)]),
    (
        "maccrobat2020-dev",
        40,
        &[(Medication, 245), (Disease, 270), (Symptom, 700)],
    ),
    (
        "mtsamples-gold-train",
        400,
        &[(Medication, 2172), (Disease, 3558), (Symptom, 5762)],
    ),
    (
        "mtsamples-gold-dev",
        100,
        &[(Medication, 610), (Disease, 897), (Symptom, 1533)],
    ),
    (
        "mtsamples-gold-test",
        100,
        &[(Medication, 492), (Disease, 900), (Symptom, 1357)],
    ),
    ("chia-train", 1406, &[(Medication, 2669), (Disease, 8456)]),
    ("chia-dev", 206, &[(Medication, 403), (Disease, 1278)]),
    ("chia-test", 388, &[(Medication, 729), (Disease, 2305)]),
];

#[test]
fn every_known_corpus_has_the_documents_and_spans_its_source_states() {
    let Some(dir) = data_dir() else { return };
    let expected_names: Vec<&str> = EXPECTED.iter().map(|e| e.0).collect();
    assert_eq!(
        expected_names, NAMES,
        "a known corpus without expected counts"
    );
    for &(name, documents, spans) in EXPECTED {
        let corpus = known_corpora::load(&dir, name).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(corpus.documents.len(), documents, "{name} documents");
        let expected: BTreeMap<EntityType, usize> = spans.iter().copied().collect();
        assert_eq!(corpus.span_counts(), expected, "{name} spans");
    }
}

#[test]
fn psytar_text_keeps_every_token_and_ncbi_ids_stay_unique() {
    let Some(dir) = data_dir() else { return };
    // SOURCE.md: 19306 tokens in psytar test; tokens are joined with single spaces.
    let psytar = known_corpora::load(&dir, "psytar-test").unwrap();
    let tokens: usize = psytar
        .documents
        .iter()
        .map(|d| d.text.split(' ').count())
        .sum();
    assert_eq!(tokens, 19306);
    let ncbi = known_corpora::load(&dir, "ncbi-disease-train").unwrap();
    let mut ids: Vec<&str> = ncbi.documents.iter().map(|d| d.id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 593);
    assert!(ids.contains(&"8528200#2"));
}
