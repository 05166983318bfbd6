//! JSON lines, one document per line:
//! `{"id": …, "text": …, "spans": [{"start": …, "end": …, "type": …}, …], "ignore": [[start, end],
//! …]}`, offsets in characters, `ignore` optional (see [`Document::ignored`]). The format for corpora
//! converted or annotated by us and for those written for the Python trainer; blank lines are allowed.

use std::path::Path;

use serde::Deserialize;

use crate::corpus::{CharText, Document, LabelMap, Span};
use crate::{Error, Result};

#[derive(Deserialize)]
struct Line {
    id: String,
    text: String,
    spans: Vec<LineSpan>,
    #[serde(default)]
    ignore: Vec<[usize; 2]>,
}

#[derive(Deserialize)]
struct LineSpan {
    start: usize,
    end: usize,
    #[serde(rename = "type")]
    label: String,
}

pub fn read(path: &Path, labels: LabelMap) -> Result<Vec<Document>> {
    parse(&super::read_text(path)?, path, labels)
}

pub fn parse(contents: &str, path: &Path, labels: LabelMap) -> Result<Vec<Document>> {
    let mut documents = Vec::new();
    for parsed in super::json_lines(contents, path) {
        let (line, parsed): (usize, Line) = parsed?;
        let error = |problem| Error::Format {
            path: path.to_owned(),
            line,
            problem,
        };
        let chars = CharText::new(&parsed.text);
        let mut spans = Vec::new();
        for span in parsed.spans {
            chars.slice(span.start, span.end).map_err(error)?;
            if let Some(entity_type) = labels(&span.label) {
                spans.push(Span {
                    start: span.start,
                    end: span.end,
                    entity_type,
                });
            }
        }
        spans.sort();
        let mut ignored = Vec::new();
        for [start, end] in parsed.ignore {
            chars.slice(start, end).map_err(error)?;
            ignored.push(start..end);
        }
        documents.push(Document {
            id: parsed.id,
            text: parsed.text,
            spans,
            ignored,
        });
    }
    Ok(documents)
}

#[cfg(test)]
mod tests {
    use clinical_ner_engine::EntityType;

    use super::*;
    use crate::Problem;

    #[test]
    fn reads_documents_with_character_offsets_and_maps_labels() {
        let contents = concat!(
            r#"{"id": "n1", "text": "Pt — on metformin for diabetes.", "spans": ["#,
            r#"{"start": 22, "end": 30, "type": "disease"}, {"start": 8, "end": 17, "type": "medication"},"#,
            r#"{"start": 0, "end": 2, "type": "person"}]}"#,
            "\n\n",
            r#"{"id": "n2", "text": "", "spans": []}"#,
        );
        let docs = parse(contents, Path::new("n.jsonl"), |l| l.parse().ok()).unwrap();
        assert_eq!(docs.len(), 2);
        let span = |start, end, entity_type| Span {
            start,
            end,
            entity_type,
        };
        // The em dash is 3 bytes: in bytes "metformin" would start at 10.
        assert_eq!(
            docs[0].spans,
            vec![
                span(8, 17, EntityType::Medication),
                span(22, 30, EntityType::Disease)
            ]
        );
        assert_eq!(docs[1].id, "n2");
        let with_ignored =
            r#"{"id": "p", "text": "nausea for anxiety", "spans": [], "ignore": [[7, 18]]}"#;
        let docs = parse(with_ignored, Path::new("n.jsonl"), |l| l.parse().ok()).unwrap();
        assert_eq!(docs[0].ignored, vec![7..18]);
    }

    #[test]
    fn bad_json_and_bad_offsets_are_reported_by_line_without_text() {
        let bad_type = r#"{"id": "n1", "text": 5, "spans": []}"#;
        let error = parse(bad_type, Path::new("n.jsonl"), |_| None).unwrap_err();
        assert!(matches!(
            error,
            Error::Format {
                line: 1,
                problem: Problem::Json { .. },
                ..
            }
        ));
        let secret = r#"{"id": "n1", "text": "secret note", "spans": [{"start": 7, "end": 99, "type": "x"}]}"#;
        let error = parse(&format!("\n{secret}"), Path::new("n.jsonl"), |_| None).unwrap_err();
        assert!(matches!(error, Error::Format { line: 2, .. }));
        assert!(!error.to_string().contains("secret"));
        let wrong_shape = r#"{"id": "n1", "text": "t", "spans": "the note text is here"}"#;
        let message = parse(wrong_shape, Path::new("n.jsonl"), |_| None)
            .unwrap_err()
            .to_string();
        assert!(!message.contains("note text"), "{message}");
    }
}
