//! The training set a student learns from: notes with teacher labels, one JSON line per note,
//! `{"id", "text", "spans": [{"start", "end", "type"}], "words": [[start, end], …], "tags": ["O",
//! "I-medication", …]}`. Offsets count characters. `spans` is what the corpus JSONL reader and the
//! Python trainer read; `words` and `tags` are the same labels as word-level IO tags, the form
//! arXiv 2501.00031 trained on.
//!
//! Each task's merged labels are decided apart, so a word can be claimed by two types (HPO and the
//! Disease Ontology both list "migraine"); it takes one, disease over symptom over medication, the
//! dictionary teacher's precedence.

use clinical_ner_engine::EntityType::{self, Disease, Medication, Symptom};
use serde_json::json;

use crate::combine::runs;
use crate::corpus::{Document, Span};
use crate::metrics::words;

const PRECEDENCE: [EntityType; 3] = [Disease, Symptom, Medication];

/// One word tag per word of `text`, and the spans those tags make (runs of one type).
pub fn io_tags(text: &str, spans: &[Span]) -> (Vec<Option<EntityType>>, Vec<Span>) {
    let words = words(text);
    let mut tags: Vec<Option<EntityType>> = vec![None; words.len()];
    for entity_type in PRECEDENCE.iter().rev() {
        for span in spans.iter().filter(|s| s.entity_type == *entity_type) {
            // Words are in text order and do not overlap, so a span's words are one run found by
            // binary search: a long note with many spans costs O(spans × log words), not their product.
            let first = words.partition_point(|word| word.end <= span.start);
            for (tag, word) in tags[first..].iter_mut().zip(&words[first..]) {
                if word.start >= span.end {
                    break;
                }
                *tag = Some(*entity_type);
            }
        }
    }
    let runs = runs(&words, &tags);
    (tags, runs)
}

pub fn line(document: &Document, spans: &[Span]) -> serde_json::Value {
    let (tags, runs) = io_tags(&document.text, spans);
    let words: Vec<[usize; 2]> = words(&document.text)
        .iter()
        .map(|w| [w.start, w.end])
        .collect();
    let tags: Vec<String> = tags
        .iter()
        .map(|t| t.map_or("O".to_owned(), |t| format!("I-{}", t.as_str())))
        .collect();
    let spans: Vec<_> = runs
        .iter()
        .map(|s| json!({"start": s.start, "end": s.end, "type": s.entity_type.as_str()}))
        .collect();
    json!({"id": document.id, "text": document.text, "spans": spans, "words": words, "tags": tags})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_tag_exactly_the_words_they_overlap_in_a_long_note() {
        let text = "aspirin and fever ".repeat(20_000);
        let spans: Vec<Span> = (0..20_000)
            .flat_map(|i| {
                let at = i * 18;
                [
                    Span::new(at, at + 7, Medication),
                    Span::new(at + 13, at + 16, Symptom),
                ]
            })
            .collect();
        let (tags, runs) = io_tags(&text, &spans);
        assert_eq!(tags.len(), 60_000);
        for (i, tag) in tags.iter().enumerate() {
            // "fever" is only partly covered (13..16 of 12..17), which is enough for its word.
            let expected = [Some(Medication), None, Some(Symptom)][i % 3];
            assert_eq!(*tag, expected, "word {i}");
        }
        assert_eq!(runs.len(), 40_000);
    }

    #[test]
    fn a_word_claimed_twice_goes_to_disease_and_runs_of_one_type_join() {
        //          0123456789012345678901234
        let text = "migraine, took sumatriptan";
        let spans = [
            Span::new(0, 8, Symptom),
            Span::new(0, 8, Disease),
            Span::new(15, 26, Medication),
        ];
        let (tags, runs) = io_tags(text, &spans);
        assert_eq!(tags, [Some(Disease), None, None, Some(Medication)]);
        assert_eq!(
            runs,
            [Span::new(0, 8, Disease), Span::new(15, 26, Medication)]
        );
    }

    #[test]
    fn writes_words_tags_and_spans_that_the_corpus_reader_reads_back() {
        let document = Document {
            id: "n1".into(),
            text: "chest pain".into(),
            spans: vec![],
            ignored: Vec::new(),
        };
        let written = line(&document, &[Span::new(0, 10, Symptom)]).to_string();
        let value: serde_json::Value = serde_json::from_str(&written).unwrap();
        assert_eq!(value["tags"], json!(["I-symptom", "I-symptom"]));
        assert_eq!(value["words"], json!([[0, 5], [6, 10]]));
        let read = crate::readers::jsonl::parse(&written, std::path::Path::new("d.jsonl"), |l| {
            l.parse().ok()
        })
        .unwrap();
        assert_eq!(read[0].spans, [Span::new(0, 10, Symptom)]);
    }
}
