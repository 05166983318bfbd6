//! The PyTorch-side scorer (`training/python/clinical_ner_train/evaluate.py`) serves early stopping
//! only, but it must still cut windows, give each token a window and decode tags as the engine does,
//! or training would stop on a different model than the one users run. This test writes what the
//! engine does into `training/python/tests/engine_decoding.json`, which the Python tests check their
//! copy against; it fails when the file is stale (`CLINICAL_NER_UPDATE_FIXTURES=1` rewrites it).

use std::path::Path;

use clinical_ner_engine::decode::{decode_spans, WordTag};
use clinical_ner_engine::window::{assign_tokens, plan_windows};
use clinical_ner_engine::WindowConfig;
use serde_json::json;

/// Token counts around the edges: one window, exactly full, one token over, several windows.
const TOKEN_COUNTS: &[usize] = &[1, 125, 126, 127, 157, 200, 300, 700];
const TAG_SEQUENCES: &[&[&str]] = &[
    &[
        "B-medication",
        "I-medication",
        "I-disease",
        "O",
        "I-symptom",
        "B-symptom",
        "I-symptom",
    ],
    &[
        "I-disease",
        "I-disease",
        "B-disease",
        "O",
        "O",
        "I-medication",
    ],
    &[
        "O",
        "B-symptom",
        "O",
        "I-symptom",
        "I-medication",
        "I-medication",
    ],
];

#[test]
fn the_python_scorer_has_the_engines_windows_and_decoding() {
    let config = WindowConfig::for_max_sequence_length(128, 1, false);
    let windows: Vec<_> = TOKEN_COUNTS
        .iter()
        .map(|&count| {
            let planned = plan_windows(count, config.max_tokens, config.overlap);
            let starts: Vec<usize> = planned.iter().map(|w| w.start).collect();
            json!({"tokens": count, "starts": starts, "owners": assign_tokens(&planned, count)})
        })
        .collect();
    // Word i covers characters 4i..4i+3.
    let decoding: Vec<_> = TAG_SEQUENCES
        .iter()
        .map(|tags| {
            let words = tags.iter().enumerate().map(|(i, tag)| WordTag {
                tag: tag.parse().expect("a tag"),
                probability: 1.0,
                chars: 4 * i..4 * i + 3,
            });
            let spans: Vec<_> = decode_spans(words)
                .into_iter()
                .map(|s| json!([s.chars.start, s.chars.end, s.entity_type.as_str()]))
                .collect();
            json!({"tags": tags, "spans": spans})
        })
        .collect();
    let fixture = json!({
        "written_by": "training/tests/engine_decoding_fixture.rs",
        "max_tokens": config.max_tokens,
        "overlap": config.overlap,
        "windows": windows,
        "decoding": decoding,
    });
    let text = serde_json::to_string(&fixture).unwrap() + "\n";
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("python/tests/engine_decoding.json");
    if std::env::var_os("CLINICAL_NER_UPDATE_FIXTURES").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    let written = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        written == text,
        "{} is stale: rerun with CLINICAL_NER_UPDATE_FIXTURES=1",
        path.display()
    );
}
