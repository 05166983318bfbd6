//! brat standoff: `NAME.txt` with the text and `NAME.ann` with `T` lines
//! `T1<TAB>Label START END[;START END…]<TAB>mention`, offsets in characters.
//!
//! A discontinuous mention keeps only its first fragment: the product's entities are contiguous, and
//! the first fragment is the head of the mention in the corpora seen (e.g. "pain … in the left leg").
//! Event, relation, attribute and note lines are not mentions: [`parse`] skips them, and [`annotations`]
//! reads the attributes (through events) for the assertion evaluation.

use std::path::Path;

use crate::corpus::{CharText, Document, LabelMap, Span};
use crate::{Error, Problem, Result};

/// Every `.ann` in `folder` with its `.txt`, in file-name order; the id is the file stem.
pub fn read_folder(folder: &Path, labels: LabelMap) -> Result<Vec<Document>> {
    let entries = std::fs::read_dir(folder).map_err(|source| Error::Read {
        path: folder.to_owned(),
        source,
    })?;
    let mut ann_paths = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|source| Error::Read {
                path: folder.to_owned(),
                source,
            })?
            .path();
        if path.extension().is_some_and(|e| e == "ann") {
            ann_paths.push(path);
        }
    }
    ann_paths.sort();
    ann_paths
        .iter()
        .map(|ann_path| {
            let id = ann_path
                .file_stem()
                .expect("a path with an extension has a stem")
                .to_string_lossy()
                .into_owned();
            let text = super::read_text(&ann_path.with_extension("txt"))?;
            let ann = super::read_text(ann_path)?;
            parse(id, text, &ann, ann_path, labels)
        })
        .collect()
}

/// Every `.ann` in the zip archive at `path` with its `.txt` whose file stem `keep` accepts, in name
/// order; the id is the file stem. Some corpora (Chia) are kept as the archive they came in.
pub fn read_zip(
    path: &Path,
    labels: LabelMap,
    keep: impl Fn(&str) -> bool,
) -> Result<Vec<Document>> {
    let read_error = |source| Error::Read {
        path: path.to_owned(),
        source,
    };
    let file = std::fs::File::open(path).map_err(read_error)?;
    let mut archive = zip::ZipArchive::new(file).map_err(|e| read_error(e.into()))?;
    let mut ann_names: Vec<String> = archive
        .file_names()
        .filter(|n| n.ends_with(".ann"))
        .map(str::to_owned)
        .collect();
    ann_names.sort();
    let mut member = |name: &str| -> Result<String> {
        let mut text = String::new();
        std::io::Read::read_to_string(
            &mut archive.by_name(name).map_err(|e| read_error(e.into()))?,
            &mut text,
        )
        .map_err(read_error)?;
        Ok(text)
    };
    let mut documents = Vec::new();
    for ann_name in ann_names {
        let stem = ann_name.trim_end_matches(".ann");
        let id = stem.rsplit('/').next().unwrap_or(stem).to_owned();
        if !keep(&id) {
            continue;
        }
        let text = member(&format!("{stem}.txt"))?;
        let ann = member(&ann_name)?;
        documents.push(parse(id, text, &ann, &path.join(&ann_name), labels)?);
    }
    Ok(documents)
}

/// One document from its text and the contents of its `.ann`; `ann_path` is only for error messages.
pub fn parse(
    id: String,
    text: String,
    ann: &str,
    ann_path: &Path,
    labels: LabelMap,
) -> Result<Document> {
    let chars = CharText::new(&text);
    let mut spans = Vec::new();
    for (index, line) in ann.lines().enumerate() {
        if !line.starts_with('T') {
            continue;
        }
        let error = |problem| Error::Format {
            path: ann_path.to_owned(),
            line: index + 1,
            problem,
        };
        let malformed = || error(Problem::Malformed("T<id><TAB>Label START END<TAB>mention"));
        let mut fields = line.splitn(3, '\t');
        let (_, Some(label_and_offsets), Some(mention)) =
            (fields.next(), fields.next(), fields.next())
        else {
            return Err(malformed());
        };
        let (label, offsets) = label_and_offsets.split_once(' ').ok_or_else(malformed)?;
        let Some(entity_type) = labels(label) else {
            continue;
        };
        let discontinuous = offsets.contains(';');
        let (start, end) = first_fragment(offsets).ok_or_else(malformed)?;
        // Chia's spans at a line end take in the line's carriage return; the mention is the text
        // before it.
        let covered = chars.slice(start, end).map_err(error)?.trim_end();
        // brat writes a discontinuous mention as its fragments joined by a space, so the first fragment
        // is a prefix of it.
        let matches = if discontinuous {
            mention.starts_with(covered)
        } else {
            mention.trim_end() == covered
        };
        if covered.is_empty() || !matches {
            return Err(error(Problem::MentionMismatch { start, end }));
        }
        spans.push(Span {
            start,
            end: start + covered.chars().count(),
            entity_type,
        });
    }
    spans.sort();
    Ok(Document::new(id, text, spans))
}

/// `START END` of the first fragment of `START END[;START END…]`.
fn first_fragment(offsets: &str) -> Option<(usize, usize)> {
    let first = offsets.split(';').next()?;
    let (start, end) = first.split_once(' ')?;
    Some((start.parse().ok()?, end.parse().ok()?))
}

/// A text-bound annotation (`T` line) of any label, with the attributes (`A` lines) attached to it
/// directly or through an event (`E` line) that it triggers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Annotation {
    pub label: String,
    /// Characters of the first fragment.
    pub start: usize,
    pub end: usize,
    /// (attribute name, value), e.g. ("POLARITY", "NEG").
    pub attributes: Vec<(String, String)>,
    /// Relations (`R` lines) whose first argument this is: (relation type, the second argument's
    /// label), e.g. ("Has_negation", "Negation").
    pub relations: Vec<(String, String)>,
}

/// Every `T` line of an `.ann` with its attributes and relations, in file order. Lines of other kinds and lines
/// that do not parse are skipped: [`parse`] is where a file's well-formedness is checked.
pub fn annotations(ann: &str) -> Vec<Annotation> {
    let mut found: Vec<(String, Annotation)> = Vec::new();
    let mut event_triggers: Vec<(String, String)> = Vec::new();
    let mut attributes: Vec<(String, String, String)> = Vec::new();
    let mut relations: Vec<(String, String, String)> = Vec::new();
    for line in ann.lines() {
        let mut fields = line.split('\t');
        let (Some(id), Some(body)) = (fields.next(), fields.next()) else {
            continue;
        };
        let mut words = body.split(' ');
        match id.chars().next() {
            Some('T') => {
                let Some((label, offsets)) = body.split_once(' ') else {
                    continue;
                };
                if let Some((start, end)) = first_fragment(offsets) {
                    let annotation = Annotation {
                        label: label.to_owned(),
                        start,
                        end,
                        attributes: Vec::new(),
                        relations: Vec::new(),
                    };
                    found.push((id.to_owned(), annotation));
                }
            }
            Some('E') => {
                if let Some((_, trigger)) = words.next().and_then(|w| w.split_once(':')) {
                    event_triggers.push((id.to_owned(), trigger.to_owned()));
                }
            }
            Some('A') => {
                if let (Some(name), Some(target), Some(value)) =
                    (words.next(), words.next(), words.next())
                {
                    attributes.push((target.to_owned(), name.to_owned(), value.to_owned()));
                }
            }
            Some('R') => {
                let argument = |word: Option<&str>, key: &str| {
                    word.and_then(|w| w.strip_prefix(key)).map(str::to_owned)
                };
                if let (Some(kind), Some(first), Some(second)) = (
                    words.next(),
                    argument(words.next(), "Arg1:"),
                    argument(words.next(), "Arg2:"),
                ) {
                    relations.push((first, kind.to_owned(), second));
                }
            }
            _ => {}
        }
    }
    // An event (`E` line) stands for its trigger's text-bound annotation.
    let text_bound = |id: &str| -> String {
        event_triggers
            .iter()
            .find(|(event, _)| event == id)
            .map_or(id, |(_, trigger)| trigger.as_str())
            .to_owned()
    };
    for (target, name, value) in attributes {
        let target = text_bound(&target);
        if let Some((_, annotation)) = found.iter_mut().find(|(id, _)| *id == target) {
            annotation.attributes.push((name, value));
        }
    }
    for (first, kind, second) in relations {
        let (first, second) = (text_bound(&first), text_bound(&second));
        let label = found
            .iter()
            .find(|(id, _)| *id == second)
            .map(|(_, a)| a.label.clone());
        if let (Some(label), Some((_, annotation))) =
            (label, found.iter_mut().find(|(id, _)| *id == first))
        {
            annotation.relations.push((kind, label));
        }
    }
    found
        .into_iter()
        .map(|(_, annotation)| annotation)
        .collect()
}

#[cfg(test)]
mod tests {
    use clinical_ner_engine::EntityType;

    use super::*;

    fn labels(label: &str) -> Option<EntityType> {
        match label {
            "Medication" => Some(EntityType::Medication),
            "Sign_symptom" => Some(EntityType::Symptom),
            _ => None,
        }
    }

    #[test]
    fn reads_character_offsets_and_first_fragment_of_discontinuous_spans() {
        // "ü" and "°" are two bytes each in UTF-8: byte offsets would be off by up to 4.
        let text = "Müller, 38.5°C: pain in the left leg; given ibuprofen.\n".to_owned();
        let ann = "T1\tSign_symptom 16 20;28 36\tpain left leg\n\
                   T2\tMedication 44 53\tibuprofen\n\
                   T3\tLab_value 8 14\t38.5°C\n\
                   E1\tSign_symptom:T1\n\
                   A1\tNegation E1\n\
                   R1\tMODIFY Arg1:T3 Arg2:T1\n";
        let doc = parse("case".into(), text, ann, Path::new("case.ann"), labels).unwrap();
        assert_eq!(
            doc.spans,
            vec![
                Span::new(16, 20, EntityType::Symptom),
                Span::new(44, 53, EntityType::Medication),
            ]
        );
        assert_eq!(doc.id, "case");
    }

    #[test]
    fn annotations_carry_attributes_of_their_events() {
        let ann = "T1\tSign_symptom 16 20;28 36\tpain left leg\n\
                   T2\tMedication 44 53\tibuprofen\n\
                   E1\tSign_symptom:T1\n\
                   A1\tPOLARITY E1 NEG\n\
                   A2\tPOLARITY T2 UNCERTAIN\n\
                   R1\tMODIFY Arg1:T2 Arg2:T1\n";
        let found = annotations(ann);
        assert_eq!(found.len(), 2);
        assert!(found[0].relations.is_empty());
        assert_eq!(
            found[1].relations,
            vec![("MODIFY".to_string(), "Sign_symptom".to_string())]
        );
        assert_eq!(
            (found[0].label.as_str(), found[0].start, found[0].end),
            ("Sign_symptom", 16, 20)
        );
        assert_eq!(
            found[0].attributes,
            vec![("POLARITY".to_string(), "NEG".to_string())]
        );
        assert_eq!(
            found[1].attributes,
            vec![("POLARITY".to_string(), "UNCERTAIN".to_string())]
        );
    }

    #[test]
    fn a_span_ending_in_a_carriage_return_ends_before_it() {
        // Chia's spans at a line end take in the line's carriage return.
        let ann = "T1\tCondition 0 6\tfever\nT2\tDrug 7 14\tcough\n";
        let document = parse(
            "x".into(),
            "fever\r\ncough\r\n".into(),
            ann,
            Path::new("x.ann"),
            |label| match label {
                "Condition" => Some(EntityType::Disease),
                "Drug" => Some(EntityType::Medication),
                _ => None,
            },
        )
        .unwrap();
        assert_eq!(
            document.spans,
            vec![
                Span::new(0, 5, EntityType::Disease),
                Span::new(7, 12, EntityType::Medication)
            ]
        );
    }

    #[test]
    fn a_mention_that_does_not_match_its_offsets_is_an_error_without_the_text() {
        let ann = "T1\tMedication 0 3\taspirin\n";
        let error = parse(
            "d".into(),
            "aspirin".into(),
            ann,
            Path::new("d.ann"),
            labels,
        )
        .unwrap_err();
        assert!(matches!(
            error,
            Error::Format {
                line: 1,
                problem: Problem::MentionMismatch { start: 0, end: 3 },
                ..
            }
        ));
        let message = error.to_string();
        assert!(message.starts_with("d.ann:1:"), "{message}");
        assert!(!message.contains("asp"), "{message}");
    }

    #[test]
    fn malformed_and_out_of_range_lines_name_their_line() {
        let error = parse(
            "d".into(),
            "abc".into(),
            "\nT1\tMedication 1 9\tbc",
            Path::new("d.ann"),
            labels,
        )
        .unwrap_err();
        assert!(matches!(
            error,
            Error::Format {
                line: 2,
                problem: Problem::OffsetsOutOfRange { .. },
                ..
            }
        ));
        let error = parse(
            "d".into(),
            "abc".into(),
            "T1\tMedication x y\tbc",
            Path::new("d.ann"),
            labels,
        )
        .unwrap_err();
        assert!(matches!(
            error,
            Error::Format {
                problem: Problem::Malformed(_),
                ..
            }
        ));
    }
}
