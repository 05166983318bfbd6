//! The engine's output read back for scoring: JSON lines
//! `{"id": …, "entities": [{"entity_type": "medication", "start": 8, "end": 17, …}, …]}` as written
//! by `engine/examples/extract.rs`, lined up with a corpus's documents by id.
//!
//! Every document of the corpus must have exactly one line: a missing line would silently score as
//! "found nothing", which is how a truncated run would look.

use std::collections::HashMap;
use std::path::Path;

use clinical_ner_engine::EntityType;
use serde::Deserialize;

use crate::corpus::{CharText, Corpus, Document, Span};
use crate::{Error, Problem, Result};

#[derive(Deserialize)]
struct Line {
    id: String,
    entities: Vec<Entity>,
}

/// Other fields (mention, score) are allowed and unused.
#[derive(Deserialize)]
struct Entity {
    entity_type: String,
    start: usize,
    end: usize,
}

pub fn read(path: &Path, corpus: &Corpus) -> Result<Vec<Vec<Span>>> {
    parse(&crate::readers::read_text(path)?, path, corpus)
}

/// The predicted spans of each document, in the corpus's document order.
pub fn parse(contents: &str, path: &Path, corpus: &Corpus) -> Result<Vec<Vec<Span>>> {
    let index: HashMap<&str, usize> = corpus
        .documents
        .iter()
        .enumerate()
        .map(|(i, d)| (d.id.as_str(), i))
        .collect();
    let lengths: Vec<usize> = corpus
        .documents
        .iter()
        .map(|d| d.text.chars().count())
        .collect();
    let mut predictions: Vec<Option<Vec<Span>>> = vec![None; corpus.documents.len()];
    for parsed in crate::readers::json_lines(contents, path) {
        let (line, parsed): (usize, Line) = parsed?;
        let error = |problem| Error::Format {
            path: path.to_owned(),
            line,
            problem,
        };
        let &document = index
            .get(parsed.id.as_str())
            .ok_or_else(|| error(Problem::UnknownId(parsed.id.clone())))?;
        if predictions[document].is_some() {
            return Err(error(Problem::DuplicateId(parsed.id)));
        }
        let mut spans = Vec::with_capacity(parsed.entities.len());
        for entity in parsed.entities {
            let (start, end, length) = (entity.start, entity.end, lengths[document]);
            if start >= end || end > length {
                return Err(error(Problem::OffsetsOutOfRange { start, end, length }));
            }
            let entity_type: EntityType = entity
                .entity_type
                .parse()
                .map_err(|_| error(Problem::UnknownEntityType))?;
            spans.push(Span {
                start,
                end,
                entity_type,
            });
        }
        predictions[document] = Some(spans);
    }
    let missing: Vec<usize> = (0..predictions.len())
        .filter(|&i| predictions[i].is_none())
        .collect();
    if let Some(&first) = missing.first() {
        return Err(Error::MissingPredictions {
            path: path.to_owned(),
            first: corpus.documents[first].id.clone(),
            count: missing.len(),
        });
    }
    Ok(predictions.into_iter().flatten().collect())
}

/// The line `read` reads back: the document's id and its spans, with their mention text.
pub fn line(document: &Document, spans: &[Span]) -> serde_json::Value {
    let text = CharText::new(&document.text);
    let entities: Vec<_> = spans
        .iter()
        .map(|s| {
            serde_json::json!({
                "entity_type": s.entity_type.as_str(),
                "start": s.start,
                "end": s.end,
                "mention": text.slice(s.start, s.end).unwrap_or_default(),
            })
        })
        .collect();
    serde_json::json!({"id": document.id, "entities": entities})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corpus() -> Corpus {
        let document = |id: &str, text: &str| Document {
            id: id.into(),
            text: text.into(),
            spans: vec![],
            ignored: Vec::new(),
        };
        Corpus {
            name: "c".into(),
            documents: vec![document("a", "Zoë took aspirin"), document("b", "no")],
            labelled_types: EntityType::ALL.to_vec(),
            licence: String::new(),
        }
    }

    #[test]
    fn lines_up_predictions_with_documents_by_id() {
        let contents = concat!(
            r#"{"id":"b","entities":[]}"#,
            "\n",
            r#"{"id":"a","entities":[{"entity_type":"medication","mention":"aspirin","start":9,"end":16,"score":0.9}]}"#,
            "\n"
        );
        let predictions = parse(contents, Path::new("p.jsonl"), &corpus()).unwrap();
        assert_eq!(
            predictions,
            vec![
                vec![Span {
                    start: 9,
                    end: 16,
                    entity_type: EntityType::Medication
                }],
                vec![]
            ]
        );
    }

    #[test]
    fn unknown_duplicate_and_missing_documents_are_errors() {
        let path = Path::new("p.jsonl");
        let a = r#"{"id":"a","entities":[]}"#;
        let error = parse(&format!("{a}\n{a}"), path, &corpus()).unwrap_err();
        assert!(matches!(
            error,
            Error::Format {
                line: 2,
                problem: Problem::DuplicateId(_),
                ..
            }
        ));
        let error = parse(r#"{"id":"z","entities":[]}"#, path, &corpus()).unwrap_err();
        assert!(matches!(
            error,
            Error::Format {
                problem: Problem::UnknownId(_),
                ..
            }
        ));
        let error = parse(a, path, &corpus()).unwrap_err();
        assert!(
            matches!(&error, Error::MissingPredictions { first, count: 1, .. } if first == "b"),
            "{error}"
        );
    }

    #[test]
    fn offsets_beyond_the_text_in_characters_and_unknown_types_are_errors() {
        let path = Path::new("p.jsonl");
        let b = r#"{"id":"b","entities":[]}"#;
        // 16 characters but 17 bytes: end 17 is past the text.
        let past = r#"{"id":"a","entities":[{"entity_type":"medication","start":9,"end":17}]}"#;
        let error = parse(&format!("{b}\n{past}"), path, &corpus()).unwrap_err();
        assert!(matches!(
            error,
            Error::Format {
                line: 2,
                problem: Problem::OffsetsOutOfRange { length: 16, .. },
                ..
            }
        ));
        let dosage = r#"{"id":"a","entities":[{"entity_type":"dosage","start":0,"end":3}]}"#;
        let error = parse(&format!("{b}\n{dosage}"), path, &corpus()).unwrap_err();
        assert!(matches!(
            error,
            Error::Format {
                problem: Problem::UnknownEntityType,
                ..
            }
        ));
    }
}
