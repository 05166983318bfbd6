//! Word-level tags to entity spans.
//!
//! BIO decoding that also accepts IO tagging: `B-X` starts a span, `I-X` continues a span of type X
//! begun on the previous word, and an `I-X` after anything else starts a new span rather than being
//! dropped (models trained on IO labels, as in arXiv 2501.00031, only ever emit `I-`).

use std::ops::Range;

use crate::labels::{EntityType, Tag};

/// The predicted tag of one word.
#[derive(Debug, Clone, PartialEq)]
pub struct WordTag {
    pub tag: Tag,
    pub probability: f32,
    /// Character range of the word in the note.
    pub chars: Range<usize>,
}

/// A decoded span, in characters.
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    pub entity_type: EntityType,
    pub chars: Range<usize>,
    pub score: f32,
}

/// Spans of the words' tags, read in one pass (the words of a long note are never held at once).
pub fn decode_spans(words: impl IntoIterator<Item = WordTag>) -> Vec<Span> {
    let mut spans = Vec::new();
    let mut open: Option<(EntityType, Range<usize>, f32, usize)> = None;
    for word in words {
        let continues =
            matches!((word.tag, &open), (Tag::Inside(t), Some((open_type, ..))) if t == *open_type);
        if continues {
            let (_, chars, sum, count) = open.as_mut().expect("continues implies an open span");
            chars.end = word.chars.end;
            *sum += word.probability;
            *count += 1;
            continue;
        }
        spans.extend(open.take().map(close));
        if let Some(entity_type) = word.tag.entity_type() {
            open = Some((entity_type, word.chars, word.probability, 1));
        }
    }
    spans.extend(open.map(close));
    spans
}

fn close((entity_type, chars, sum, count): (EntityType, Range<usize>, f32, usize)) -> Span {
    Span {
        entity_type,
        chars,
        score: sum / count as f32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use EntityType::*;

    fn words(tags: &[Tag]) -> Vec<WordTag> {
        // Words of three characters separated by one space.
        tags.iter()
            .enumerate()
            .map(|(i, &tag)| WordTag {
                tag,
                probability: 0.5 + 0.1 * i as f32,
                chars: i * 4..i * 4 + 3,
            })
            .collect()
    }

    #[test]
    fn bio_spans_start_at_b_and_extend_over_matching_i() {
        let spans = decode_spans(words(&[
            Tag::Outside,
            Tag::Begin(Medication),
            Tag::Inside(Medication),
            Tag::Begin(Medication),
            Tag::Outside,
        ]));
        assert_eq!(spans.len(), 2);
        assert_eq!(spans[0].chars, 4..11);
        assert_eq!(spans[0].entity_type, Medication);
        assert!((spans[0].score - 0.65).abs() < 1e-6);
        assert_eq!(spans[1].chars, 12..15);
    }

    #[test]
    fn io_tags_and_type_changes_start_new_spans() {
        let spans = decode_spans(words(&[
            Tag::Inside(Disease),
            Tag::Inside(Disease),
            Tag::Inside(Symptom),
            Tag::Begin(Symptom),
        ]));
        let found: Vec<_> = spans
            .iter()
            .map(|s| (s.entity_type, s.chars.clone()))
            .collect();
        assert_eq!(
            found,
            vec![(Disease, 0..7), (Symptom, 8..11), (Symptom, 12..15)]
        );
    }

    #[test]
    fn no_words_or_only_outside_give_no_spans() {
        assert!(decode_spans(Vec::new()).is_empty());
        assert!(decode_spans(words(&[Tag::Outside, Tag::Outside])).is_empty());
    }
}
