//! Properties of tokenising, windowing, merging and decoding on arbitrary text, with the shipped
//! model's real tokenizer and a stand-in classifier in place of the ONNX model.
//!
//! The stand-in (`HashedLabelsStandIn`) gives each token a label that depends on its id alone. The
//! real model rarely tags random text, so it leaves most label sequences unexercised; the stand-in
//! produces every kind of span on every kind of input. And because its labels ignore context, the
//! entities must not depend on how the note is cut into windows: that checks the merge.

// Shared with the tests that also need ONNX Runtime; this one uses only the model folder.
#[allow(dead_code)]
mod common;

use clinical_ner_engine::classify::TokenClassifier;
use clinical_ner_engine::labels::LabelScheme;
use clinical_ner_engine::manifest::Manifest;
use clinical_ner_engine::tokenize::NoteTokenizer;
use clinical_ner_engine::{Device, Entity, Extractor, ModelInfo, WindowConfig};
use proptest::prelude::*;

struct HashedLabelsStandIn {
    labels: usize,
}

impl TokenClassifier for HashedLabelsStandIn {
    fn label_count(&self) -> usize {
        self.labels
    }

    fn classify(&mut self, windows: &[&[u32]]) -> clinical_ner_engine::Result<Vec<Vec<f32>>> {
        Ok(windows
            .iter()
            .map(|window| {
                window
                    .iter()
                    .flat_map(|&id| {
                        let label = (id.wrapping_mul(2_654_435_761) >> 7) as usize % self.labels;
                        (0..self.labels).map(move |l| if l == label { 0.9 } else { 0.1 / 6.0 })
                    })
                    .collect()
            })
            .collect())
    }
}

fn extractor(windows: WindowConfig) -> Extractor {
    let folder = common::model_folder();
    let manifest = Manifest::parse(&std::fs::read(folder.join("manifest.json")).unwrap()).unwrap();
    let tokenizer =
        NoteTokenizer::from_bytes(&std::fs::read(folder.join("tokenizer.json")).unwrap()).unwrap();
    let labels = LabelScheme::parse(&manifest.labels).unwrap();
    let info = ModelInfo {
        name: "hashed-labels-stand-in".into(),
        version: "0".into(),
        base_model: String::new(),
        folder,
        sha256: String::new(),
        labels: manifest.labels.clone(),
        device: Device::Cpu,
        max_sequence_length: windows.max_tokens + 2,
    };
    Extractor::new(
        tokenizer,
        Box::new(HashedLabelsStandIn {
            labels: labels.len(),
        }),
        labels,
        windows,
        info,
    )
}

fn assert_offsets_hold(note: &str, entities: &[Entity]) -> Result<(), TestCaseError> {
    let chars: Vec<char> = note.chars().collect();
    let mut previous_end = 0;
    for e in entities {
        prop_assert!(e.start < e.end && e.end <= chars.len());
        prop_assert!(e.start >= previous_end, "spans overlap or are out of order");
        prop_assert_eq!(
            chars[e.start..e.end].iter().collect::<String>(),
            e.mention.clone()
        );
        previous_end = e.end;
    }
    Ok(())
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,400}",
        prop::collection::vec(
            "[A-Za-z]{1,10}|[0-9]{1,4}|[.,;:()/-]|é|ß|发烧|😷|\u{200b}|\u{feff}| |\n|\t",
            0..200
        )
        .prop_map(|parts| parts.concat()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn offsets_hold_and_windowing_does_not_change_entities(note in text(), max_tokens in 3usize..40, overlap_share in 0.0f64..0.8) {
        let overlap = ((max_tokens as f64) * overlap_share) as usize;
        let whole = extractor(WindowConfig { max_tokens: 100_000, overlap: 0, batch_size: 4, pool_notes: true }).extract(&note).unwrap();
        let windowed = extractor(WindowConfig { max_tokens, overlap, batch_size: 3, pool_notes: true }).extract(&note).unwrap();
        assert_offsets_hold(&note, &whole)?;
        prop_assert_eq!(whole, windowed);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn many_notes_at_once_give_what_each_note_gives_alone(notes in prop::collection::vec(text(), 0..12), max_tokens in 3usize..40, batch_size in 1usize..20, pool_notes in any::<bool>()) {
        let windows = WindowConfig { max_tokens, overlap: max_tokens / 4, batch_size, pool_notes };
        let mut extractor = extractor(windows);
        let alone: Vec<Vec<Entity>> = notes.iter().map(|note| extractor.extract(note).unwrap()).collect();
        let refs: Vec<&str> = notes.iter().map(String::as_str).collect();
        let together = extractor.extract_many(&refs, &mut || {}).unwrap();
        prop_assert_eq!(alone, together);
    }
}
