//! PubTator: per document `PMID|t|title`, `PMID|a|abstract`, then mention lines
//! `PMID<TAB>START<TAB>END<TAB>mention<TAB>Label<TAB>concept id…`, a blank line between documents.
//!
//! The text is title + " " + abstract, which is what the offsets (characters) count into. Relation
//! lines (`PMID<TAB>CID<TAB>chemical<TAB>disease`) are skipped.

use std::collections::HashMap;
use std::path::Path;

use crate::corpus::{CharText, Document, LabelMap, Span};
use crate::{Error, Problem, Result};

pub fn read(path: &Path, labels: LabelMap) -> Result<Vec<Document>> {
    parse(&super::read_text(path)?, path, labels)
}

/// Documents in file order. A PMID seen before gets `#2`, `#3`… appended: NCBI train has one
/// abstract twice and both copies count in its published statistics.
pub fn parse(contents: &str, path: &Path, labels: LabelMap) -> Result<Vec<Document>> {
    let mut documents = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut lines = contents.lines().enumerate().peekable();
    while let Some((index, line)) = lines.next() {
        if line.trim().is_empty() {
            continue;
        }
        let error = |line: usize, problem| Error::Format {
            path: path.to_owned(),
            line: line + 1,
            problem,
        };
        let (pmid, title) = text_line(line, "t")
            .ok_or_else(|| error(index, Problem::Malformed("a PMID|t|title line")))?;
        let abstract_text = lines
            .next()
            .and_then(|(_, l)| text_line(l, "a"))
            .filter(|(p, _)| *p == pmid)
            .map(|(_, a)| a)
            .ok_or_else(|| {
                error(
                    index + 1,
                    Problem::Malformed("a PMID|a|abstract line after the title"),
                )
            })?;
        let text = format!("{title} {abstract_text}");
        let chars = CharText::new(&text);
        let mut spans = Vec::new();
        while let Some((index, line)) = lines.next_if(|(_, l)| !l.trim().is_empty()) {
            let fields: Vec<&str> = line.split('\t').collect();
            if fields[0] != pmid || !(fields.len() == 4 || fields.len() >= 6) {
                return Err(error(
                    index,
                    Problem::Malformed("a mention or relation line of the same PMID"),
                ));
            }
            if fields.len() == 4 {
                continue;
            }
            let Some(entity_type) = labels(fields[4]) else {
                continue;
            };
            let (Ok(start), Ok(end)) = (fields[1].parse(), fields[2].parse()) else {
                return Err(error(
                    index,
                    Problem::Malformed("character offsets in fields 2 and 3"),
                ));
            };
            // NCBI pads a few mention fields with spaces that the offsets leave out.
            if chars.slice(start, end).map_err(|p| error(index, p))? != fields[3].trim() {
                return Err(error(index, Problem::MentionMismatch { start, end }));
            }
            spans.push(Span {
                start,
                end,
                entity_type,
            });
        }
        spans.sort();
        let copies = seen.entry(pmid.to_owned()).or_default();
        *copies += 1;
        let id = match *copies {
            1 => pmid.to_owned(),
            n => format!("{pmid}#{n}"),
        };
        documents.push(Document::new(id, text, spans));
    }
    Ok(documents)
}

/// `(pmid, text)` of a `PMID|kind|text` line.
fn text_line<'a>(line: &'a str, kind: &str) -> Option<(&'a str, &'a str)> {
    let mut parts = line.splitn(3, '|');
    let (pmid, k, text) = (parts.next()?, parts.next()?, parts.next()?);
    (k == kind && !pmid.is_empty()).then_some((pmid, text))
}

#[cfg(test)]
mod tests {
    use clinical_ner_engine::EntityType;

    use super::*;

    fn labels(label: &str) -> Option<EntityType> {
        match label {
            "Chemical" => Some(EntityType::Medication),
            "Disease" => Some(EntityType::Disease),
            _ => None,
        }
    }

    // "Sjögren" has a two-byte "ö" before both abstract mentions.
    const FIXTURE: &str = "\
1|t|Lithium and Sjögren syndrome.
1|a|Lithium induced tremor.
1\t0\t7\tLithium\tChemical\tD008094
1\t12\t28\tSjögren syndrome\tDisease\tD012859
1\t30\t37\tLithium\tChemical\tD008094
1\t46\t52\ttremor \tDisease\tD014202
1\t38\t45\tinduced\tGeneModifier\tX
1\tCID\tD008094\tD014202

2|t|Title two.
2|a|
2\t0\t5\tTitle\tChemical\tX

1|t|Again.
1|a|Text.
";

    #[test]
    fn reads_title_and_abstract_with_character_offsets() {
        let docs = parse(FIXTURE, Path::new("f.txt"), labels).unwrap();
        assert_eq!(docs.len(), 3);
        assert_eq!(
            docs[0].text,
            "Lithium and Sjögren syndrome. Lithium induced tremor."
        );
        assert_eq!(
            docs[0].spans,
            vec![
                Span::new(0, 7, EntityType::Medication),
                Span::new(12, 28, EntityType::Disease),
                Span::new(30, 37, EntityType::Medication),
                Span::new(46, 52, EntityType::Disease),
            ]
        );
        assert_eq!(docs[1].text, "Title two. ");
        assert_eq!(docs[1].spans, vec![Span::new(0, 5, EntityType::Medication)]);
        assert_eq!(docs[2].id, "1#2");
        assert!(docs[2].spans.is_empty());
    }

    #[test]
    fn byte_offsets_would_not_match_and_are_reported_by_line() {
        // The mention is 17 bytes but 16 characters long: byte offsets overshoot by the "ö".
        let contents = "1|t|Sjögren syndrome x\n1|a|y\n1\t0\t17\tSjögren syndrome\tDisease\tD\n";
        let error = parse(contents, Path::new("f.txt"), labels).unwrap_err();
        assert!(matches!(
            error,
            Error::Format {
                line: 3,
                problem: Problem::MentionMismatch { start: 0, end: 17 },
                ..
            }
        ));
        assert!(!error.to_string().contains("Sj"));
    }

    #[test]
    fn a_missing_abstract_line_is_an_error() {
        let error = parse(
            "1|t|T\n1\t0\t1\tT\tDisease\tD\n",
            Path::new("f.txt"),
            labels,
        )
        .unwrap_err();
        assert!(matches!(error, Error::Format { line: 2, .. }));
    }
}
