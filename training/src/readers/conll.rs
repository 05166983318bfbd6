//! CoNLL-style token files: `token<TAB>tag` per line, a blank line between sentences, tags `O`,
//! `B-Label`, `I-Label`. One sentence becomes one document.
//!
//! The files keep no original spacing, so the text is the tokens joined by single spaces. An `I-`
//! tag that does not continue a span of the same label starts a new span, as the engine's decoder
//! does, rather than being dropped. Spans are built on the corpus's labels before mapping, so a
//! mention with an unmapped label still ends the mention before it. Labels that `ignored` names
//! become the document's ignored ranges instead of spans.

use std::path::Path;

use crate::corpus::{Document, LabelMap, Span};
use crate::{Error, Problem, Result};

/// Says which of a corpus's labels mark ranges that carry no signal (see [`Document::ignored`]).
pub type IgnoredLabels = fn(&str) -> bool;

/// Document ids are `{id_prefix}-{sentence number from 0}`.
pub fn read(
    path: &Path,
    id_prefix: &str,
    labels: LabelMap,
    ignored: IgnoredLabels,
) -> Result<Vec<Document>> {
    parse(&super::read_text(path)?, path, id_prefix, labels, ignored)
}

pub fn parse(
    contents: &str,
    path: &Path,
    id_prefix: &str,
    labels: LabelMap,
    ignored: IgnoredLabels,
) -> Result<Vec<Document>> {
    let mut documents = Vec::new();
    let mut sentence = Sentence::default();
    for (index, line) in contents.lines().enumerate() {
        if line.trim().is_empty() {
            sentence.finish(&mut documents, id_prefix, labels, ignored);
            continue;
        }
        let malformed = |expected| Error::Format {
            path: path.to_owned(),
            line: index + 1,
            problem: Problem::Malformed(expected),
        };
        let (token, tag) = line
            .split_once('\t')
            .filter(|(token, tag)| !token.is_empty() && !tag.contains('\t'))
            .ok_or_else(|| malformed("token<TAB>tag"))?;
        let label = match tag {
            "O" => None,
            _ => Some(match tag.split_at_checked(2) {
                Some(("B-", label)) => (true, label),
                Some(("I-", label)) => (false, label),
                _ => return Err(malformed("a tag O, B-<label> or I-<label>")),
            }),
        };
        sentence.push(token, label);
    }
    sentence.finish(&mut documents, id_prefix, labels, ignored);
    Ok(documents)
}

#[derive(Default)]
struct Sentence<'a> {
    text: String,
    /// Character length of `text`, kept because tokens may be multi-byte.
    length: usize,
    /// Spans under the corpus's own labels; `open` says whether the last one ends at the last token.
    spans: Vec<(usize, usize, &'a str)>,
    open: bool,
}

impl<'a> Sentence<'a> {
    /// `label`: `(begins, label)` of a B-/I- tag, `None` for O.
    fn push(&mut self, token: &str, label: Option<(bool, &'a str)>) {
        if !self.text.is_empty() {
            self.text.push(' ');
            self.length += 1;
        }
        let start = self.length;
        self.text.push_str(token);
        self.length += token.chars().count();
        let end = self.length;
        match (label, self.spans.last_mut()) {
            (Some((false, label)), Some(last)) if self.open && last.2 == label => last.1 = end,
            (Some((_, label)), _) => self.spans.push((start, end, label)),
            (None, _) => {}
        }
        self.open = label.is_some();
    }

    fn finish(
        &mut self,
        documents: &mut Vec<Document>,
        id_prefix: &str,
        labels: LabelMap,
        ignored: IgnoredLabels,
    ) {
        let sentence = std::mem::take(self);
        if sentence.text.is_empty() {
            return;
        }
        let ignored_ranges = sentence
            .spans
            .iter()
            .filter(|(_, _, label)| ignored(label))
            .map(|&(start, end, _)| start..end)
            .collect();
        let spans = sentence
            .spans
            .into_iter()
            .filter_map(|(start, end, label)| {
                Some(Span {
                    start,
                    end,
                    entity_type: labels(label)?,
                })
            })
            .collect();
        documents.push(Document {
            id: format!("{id_prefix}-{}", documents.len()),
            text: sentence.text,
            spans,
            ignored: ignored_ranges,
        });
    }
}

#[cfg(test)]
mod tests {
    use clinical_ner_engine::EntityType;

    use super::*;

    fn labels(label: &str) -> Option<EntityType> {
        match label {
            "ADR" | "WD" => Some(EntityType::Symptom),
            _ => None,
        }
    }

    fn ignored(label: &str) -> bool {
        label == "DI"
    }

    fn span(start: usize, end: usize) -> Span {
        Span::new(start, end, EntityType::Symptom)
    }

    #[test]
    fn joins_tokens_with_spaces_and_turns_tags_into_character_spans() {
        // "Zoloft®" is 7 characters but 8 bytes, so every later offset tells the two apart.
        let contents = "\
Zoloft®\tO
gave\tO
me\tO
bad\tB-ADR
nausea\tI-ADR
,\tO
dizziness\tI-WD
for\tB-DI
anxiety\tI-DI
tremor\tI-ADR


I\tO
slept\tB-ADR
slept\tB-ADR
";
        let docs = parse(contents, Path::new("t.txt"), "p", labels, ignored).unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(
            docs[0].text,
            "Zoloft® gave me bad nausea , dizziness for anxiety tremor"
        );
        // "dizziness" is an I- tag after O: a span of its own. "tremor" follows a DI mention: a new
        // span, not a continuation of "bad nausea".
        assert_eq!(
            docs[0].spans,
            vec![span(16, 26), span(29, 38), span(51, 57)]
        );
        // "for anxiety" says nothing either way.
        assert_eq!(docs[0].ignored, vec![39..50]);
        assert_eq!(docs[1].id, "p-1");
        assert_eq!(docs[1].spans, vec![span(2, 7), span(8, 13)]);
    }

    #[test]
    fn a_line_without_a_tag_or_with_a_bad_tag_is_an_error() {
        for contents in ["a\tO\nb\n", "a\tO\nb\tX-ADR\n", "a\tO\nb\tO\tO\n"] {
            let error = parse(contents, Path::new("t.txt"), "p", labels, ignored).unwrap_err();
            assert!(matches!(error, Error::Format { line: 2, .. }), "{error}");
        }
    }
}
