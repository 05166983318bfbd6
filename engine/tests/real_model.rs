//! The engine end to end on the real model and the real ONNX Runtime: offsets, long notes, odd
//! input, and each way a model folder can be broken.

mod common;

use common::{assert_offsets_hold, shared_extractor as extractor};

use std::path::Path;

use clinical_ner_engine::{load_model, Device, Entity, EntityType, Error};
use proptest::prelude::*;

fn mentions(entities: &[Entity], entity_type: EntityType) -> Vec<&str> {
    entities
        .iter()
        .filter(|e| e.entity_type == entity_type)
        .map(|e| e.mention.as_str())
        .collect()
}

#[test]
fn finds_the_three_types_in_the_acceptance_sentence() {
    let note = "Started metformin 500 mg twice daily for type 2 diabetes; denies chest pain.";
    let entities = extractor().extract(note).unwrap();
    assert_offsets_hold(note, &entities);
    assert_eq!(
        mentions(&entities, EntityType::Medication),
        vec!["metformin"]
    );
    assert!(
        mentions(&entities, EntityType::Disease)
            .iter()
            .any(|m| m.contains("diabetes")),
        "{entities:?}"
    );
    assert_eq!(mentions(&entities, EntityType::Symptom), vec!["chest pain"]);
}

#[test]
fn a_drug_in_the_last_sentence_of_a_30000_word_note_is_found() {
    let filler = "The patient walked in the garden and read the newspaper with her family. ";
    let mut note = filler.repeat(30_000 / 13 + 1);
    note.push_str("At discharge she was started on metformin.");
    let entities = extractor().extract(&note).unwrap();
    assert_offsets_hold(&note, &entities);
    let last = entities.last().expect("an entity at the end");
    assert_eq!(
        (last.entity_type, last.mention.as_str()),
        (EntityType::Medication, "metformin")
    );
    assert_eq!(last.end, note.chars().count() - 1);
}

#[test]
fn empty_and_whitespace_notes_have_no_entities() {
    let mut extractor = extractor();
    for note in ["", " ", "\n\t  \r\n", "\u{00a0}\u{3000}"] {
        assert!(extractor.extract(note).unwrap().is_empty(), "{note:?}");
    }
}

#[test]
fn multibyte_and_odd_text_keeps_character_offsets() {
    let mut extractor = extractor();
    for note in [
        "Patiënt kreeg metformine; 患者有胸痛 and took aspirin 😷 for fever — naïve café résumé.",
        "<p>Started <b>lisinopril</b> for hypertension</p>",
        r"{\rtf1\ansi Started {\b warfarin} for atrial fibrillation.\par}",
        "\u{1}\u{2}\u{7f} aspirin \u{feff}\u{200b} headache \u{1b}[31m",
        &"x".repeat(200_000),
        &"!?.,;:".repeat(1000),
        &"1234567890 ".repeat(500),
    ] {
        let entities = extractor.extract(note).unwrap();
        assert_offsets_hold(note, &entities);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]
    #[test]
    fn offsets_hold_on_arbitrary_unicode(note in "\\PC{0,300}", words in prop::collection::vec("[a-z]{1,12}|aspirin|fever|asthma", 0..40)) {
        let mut extractor = extractor();
        let note = format!("{note} {}", words.join(" "));
        let entities = extractor.extract(&note).unwrap();
        assert_offsets_hold(&note, &entities);
    }
}

/// A copy of the shipped model folder that a test may damage.
fn damaged_copy(damage: impl FnOnce(&Path)) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for file in ["manifest.json", "model.onnx", "tokenizer.json"] {
        std::fs::copy(common::model_folder().join(file), dir.path().join(file)).unwrap();
    }
    damage(dir.path());
    dir
}

fn load_error(folder: &Path) -> Error {
    match load_model(folder, &common::runtime_options()) {
        Ok(_) => panic!("a broken model folder loaded"),
        Err(e) => e,
    }
}

#[test]
fn a_missing_folder_names_the_manifest() {
    let error = load_error(Path::new("/nonexistent/model"));
    assert!(matches!(error, Error::ModelFile { .. }), "{error}");
    assert!(error
        .to_string()
        .contains("/nonexistent/model/manifest.json"));
}

#[test]
fn a_truncated_onnx_file_fails_its_checksum() {
    let dir = damaged_copy(|d| {
        let bytes = std::fs::read(d.join("model.onnx")).unwrap();
        std::fs::write(d.join("model.onnx"), &bytes[..bytes.len() / 2]).unwrap();
    });
    let error = load_error(dir.path());
    assert!(matches!(error, Error::Checksum { .. }), "{error}");
    assert!(error.to_string().contains("model.onnx"));
}

#[test]
fn a_truncated_onnx_file_with_a_matching_checksum_is_an_onnx_error() {
    let dir = damaged_copy(|d| {
        let bytes = std::fs::read(d.join("model.onnx")).unwrap();
        std::fs::write(d.join("model.onnx"), &bytes[..bytes.len() / 2]).unwrap();
        rewrite_checksum(d, "model.onnx");
    });
    let error = load_error(dir.path());
    assert!(matches!(error, Error::Onnx { .. }), "{error}");
}

#[test]
fn a_tokenizer_of_another_model_is_refused() {
    let dir = damaged_copy(|d| {
        let mut tokenizer: serde_json::Value =
            serde_json::from_slice(&std::fs::read(d.join("tokenizer.json")).unwrap()).unwrap();
        let vocab = tokenizer["model"]["vocab"].as_object_mut().unwrap();
        let keep: Vec<String> = vocab.keys().take(5000).cloned().collect();
        vocab.retain(|k, _| keep.contains(k) || k.starts_with('['));
        std::fs::write(
            d.join("tokenizer.json"),
            serde_json::to_vec(&tokenizer).unwrap(),
        )
        .unwrap();
        rewrite_checksum(d, "tokenizer.json");
    });
    let error = load_error(dir.path());
    assert!(matches!(error, Error::Mismatch { .. }), "{error}");
    assert!(error.to_string().contains("tokenizer.json"));
}

#[test]
fn a_manifest_that_lies_about_labels_is_refused() {
    let dir = damaged_copy(|d| {
        edit_manifest(d, |m| {
            m["labels"].as_array_mut().unwrap().truncate(5);
        })
    });
    let error = load_error(dir.path());
    assert!(matches!(error, Error::Mismatch { .. }), "{error}");
    assert!(error.to_string().contains("labels"));
}

#[test]
fn asking_for_cuda_without_it_is_an_error_not_a_cpu_run() {
    let mut options = common::runtime_options();
    options.device = Device::Cuda;
    match load_model(&common::model_folder(), &options) {
        Err(error) => assert!(
            matches!(
                error,
                Error::DeviceUnavailable {
                    device: Device::Cuda,
                    ..
                }
            ),
            "{error}"
        ),
        Ok(extractor) => assert_eq!(extractor.info().device, Device::Cuda),
    }
    options.device = Device::Auto;
    let extractor = load_model(&common::model_folder(), &options).unwrap();
    assert_ne!(extractor.info().device, Device::Auto);
}

fn edit_manifest(dir: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let path = dir.join("manifest.json");
    let mut manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    edit(&mut manifest);
    std::fs::write(path, serde_json::to_vec(&manifest).unwrap()).unwrap();
}

fn rewrite_checksum(dir: &Path, file: &str) {
    use sha2::Digest;
    let digest = format!(
        "{:x}",
        sha2::Sha256::digest(std::fs::read(dir.join(file)).unwrap())
    );
    edit_manifest(dir, |m| {
        m["files"][file]["sha256"] = serde_json::Value::String(digest)
    });
}

/// The shipped int8 model: a note's entities and scores are the same alone and in a batch of notes of
/// every length, because its windows never share an inference run with another note's.
#[test]
fn a_batch_of_notes_gives_exactly_what_each_note_gives_alone() {
    let long = "Chest pain and dyspnea. Started lisinopril for hypertension. ".repeat(60);
    let notes = [
        "Started metformin 500 mg twice daily for type 2 diabetes; denies chest pain.",
        "",
        long.as_str(),
        "Patiënt kreeg metformine; 患者有胸痛 and took aspirin 😷 for fever.",
        "Headache and nausea after ibuprofen.",
    ];
    let mut extractor = extractor();
    let alone: Vec<Vec<Entity>> = notes
        .iter()
        .map(|n| extractor.extract(n).unwrap())
        .collect();
    let together = extractor.extract_many(&notes, &mut || {}).unwrap();
    assert_eq!(alone, together);
    assert!(
        alone.iter().filter(|e| !e.is_empty()).count() >= 3,
        "{alone:?}"
    );
}
