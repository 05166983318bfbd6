//! The one representation every corpus is read into: documents with typed character spans, plus which
//! entity types the corpus annotates at all.

use std::collections::BTreeMap;
use std::ops::Range;

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
    /// Character ranges that carry no signal, neither an entity nor its absence: PsyTAR's drug
    /// indications ("for my depression") name a disease or a symptom without saying which. Training
    /// leaves their words out, and scoring skips their words and the predictions that touch them.
    pub ignored: Vec<Range<usize>>,
}

impl Document {
    /// A document whose every character counts.
    pub fn new(id: String, text: String, spans: Vec<Span>) -> Self {
        Document {
            id,
            text,
            spans,
            ignored: Vec::new(),
        }
    }

    /// Whether the characters `start..end` touch an ignored range.
    pub fn touches_ignored(&self, start: usize, end: usize) -> bool {
        self.ignored.iter().any(|r| r.start < end && start < r.end)
    }
}

/// Non-overlapping spans out of possibly nested ones, longer spans first, then the earlier, then by
/// type: a word can carry only one tag in training. Sorted by start on return.
pub fn resolve_overlaps(spans: &[Span]) -> Vec<Span> {
    let mut candidates = spans.to_vec();
    candidates.sort_by_key(|s| (std::cmp::Reverse(s.end - s.start), s.start, s.entity_type));
    candidates.dedup();
    let mut kept: Vec<Span> = Vec::new();
    for span in candidates {
        if kept
            .iter()
            .all(|k| span.end <= k.start || span.start >= k.end)
        {
            kept.push(span);
        }
    }
    kept.sort();
    kept
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Corpus {
    pub name: String,
    pub documents: Vec<Document>,
    /// The types the annotators labelled. A type missing here was never annotated, so the absence of
    /// its spans says nothing and scoring must leave it out.
    pub labelled_types: Vec<EntityType>,
    /// Under what terms the text and labels may be used, as a model's manifest repeats it.
    pub licence: String,
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
    fn overlaps_resolve_to_the_longer_span() {
        let spans = [
            Span::new(0, 5, EntityType::Symptom),
            Span::new(0, 10, EntityType::Disease),
            Span::new(12, 14, EntityType::Symptom),
            Span::new(12, 14, EntityType::Symptom),
        ];
        assert_eq!(
            resolve_overlaps(&spans),
            vec![
                Span::new(0, 10, EntityType::Disease),
                Span::new(12, 14, EntityType::Symptom)
            ]
        );
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
            documents: vec![Document::new(
                "d".into(),
                "x".into(),
                vec![span(EntityType::Disease), span(EntityType::Disease)],
            )],
            labelled_types: vec![EntityType::Medication, EntityType::Disease],
            licence: String::new(),
        };
        let counts = corpus.span_counts();
        assert_eq!(counts[&EntityType::Disease], 2);
        assert_eq!(counts[&EntityType::Medication], 0);
        assert!(!counts.contains_key(&EntityType::Symptom));
    }
}
