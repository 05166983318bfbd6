//! The one representation every corpus is read into: documents with typed character spans, plus which
//! entity types the corpus annotates at all.

use std::collections::BTreeMap;

use clinical_ner_engine::EntityType;

use crate::Problem;

/// An annotated mention. Offsets count characters (Unicode scalar values), not bytes, as the engine's
/// entities and brat/PubTator files do: 0-based start, exclusive end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    pub entity_type: EntityType,
}

impl Span {
    pub fn new(start: usize, end: usize, entity_type: EntityType) -> Self {
        Span {
            start,
            end,
            entity_type,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub id: String,
    pub text: String,
    /// Sorted by start; gold corpora may nest or overlap spans, so no order beyond that is promised.
    pub spans: Vec<Span>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Corpus {
    pub name: String,
    pub documents: Vec<Document>,
    /// The types the annotators labelled. A type missing here was never annotated, so the absence of
    /// its spans says nothing and scoring must leave it out.
    pub labelled_types: Vec<EntityType>,
}

impl Corpus {
    /// Gold spans per labelled type (zero counts included, unlabelled types absent).
    pub fn span_counts(&self) -> BTreeMap<EntityType, usize> {
        let mut counts: BTreeMap<EntityType, usize> =
            self.labelled_types.iter().map(|&t| (t, 0)).collect();
        for span in self.documents.iter().flat_map(|d| &d.spans) {
            *counts.entry(span.entity_type).or_default() += 1;
        }
        counts
    }
}

/// Turns a corpus's own label name into one of ours; `None` drops the mention.
pub type LabelMap = fn(&str) -> Option<EntityType>;

/// A text indexed by character, so that spans can be checked against their mention strings without
/// rescanning the text for each one.
pub(crate) struct CharText<'a> {
    text: &'a str,
    /// Byte offset of every character, then the text's byte length.
    bytes: Vec<usize>,
}

impl<'a> CharText<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        let bytes = text
            .char_indices()
            .map(|(b, _)| b)
            .chain(std::iter::once(text.len()))
            .collect();
        CharText { text, bytes }
    }

    pub(crate) fn len(&self) -> usize {
        self.bytes.len() - 1
    }

    /// The character offset of byte offset `byte`, which must fall on a character boundary.
    pub(crate) fn char_at(&self, byte: usize) -> usize {
        self.bytes
            .binary_search(&byte)
            .expect("a byte offset on a character boundary")
    }

    /// The characters `start..end`, or why that range is not a span of this text.
    pub(crate) fn slice(&self, start: usize, end: usize) -> Result<&'a str, Problem> {
        if start >= end || end > self.len() {
            return Err(Problem::OffsetsOutOfRange {
                start,
                end,
                length: self.len(),
            });
        }
        Ok(&self.text[self.bytes[start]..self.bytes[end]])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slices_by_character_not_byte() {
        let text = CharText::new("naïve café");
        assert_eq!(text.len(), 10);
        assert_eq!(text.slice(6, 10), Ok("café"));
        assert_eq!(
            text.slice(6, 11),
            Err(Problem::OffsetsOutOfRange {
                start: 6,
                end: 11,
                length: 10
            })
        );
        assert!(text.slice(3, 3).is_err());
    }

    #[test]
    fn counts_spans_of_labelled_types_including_zero() {
        let span = |entity_type| Span {
            start: 0,
            end: 1,
            entity_type,
        };
        let corpus = Corpus {
            name: "c".into(),
            documents: vec![Document {
                id: "d".into(),
                text: "x".into(),
                spans: vec![span(EntityType::Disease), span(EntityType::Disease)],
            }],
            labelled_types: vec![EntityType::Medication, EntityType::Disease],
        };
        let counts = corpus.span_counts();
        assert_eq!(counts[&EntityType::Disease], 2);
        assert_eq!(counts[&EntityType::Medication], 0);
        assert!(!counts.contains_key(&EntityType::Symptom));
    }
}
