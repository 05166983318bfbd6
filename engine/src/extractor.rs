//! The whole pipeline for one note: tokenise, window, classify, keep each token's best window,
//! tag words, decode spans, cut mentions out of the note.

use crate::classify::TokenClassifier;
use crate::decode::{decode_spans, Span, WordTag};
use crate::labels::LabelScheme;
use crate::model::ModelInfo;
use crate::tokenize::{NoteTokenizer, TokenizedNote};
use crate::window::{assign_tokens, plan_windows};
use crate::{Entity, Result};

/// How notes are cut into windows and how many windows go into one inference run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowConfig {
    /// Tokens per window, not counting the special tokens that frame it.
    pub max_tokens: usize,
    /// Tokens shared by consecutive windows, so that every token has context on both sides.
    pub overlap: usize,
    pub batch_size: usize,
}

impl WindowConfig {
    /// Windows that fill the model's maximum length, overlapping by a quarter.
    pub fn for_max_sequence_length(max_sequence_length: usize) -> Self {
        let max_tokens = max_sequence_length - 2;
        WindowConfig {
            max_tokens,
            overlap: max_tokens / 4,
            batch_size: 16,
        }
    }
}

pub struct Extractor {
    tokenizer: NoteTokenizer,
    classifier: Box<dyn TokenClassifier + Send>,
    labels: LabelScheme,
    windows: WindowConfig,
    info: ModelInfo,
}

/// The tag a token's window gave it: label index and its probability.
#[derive(Debug, Clone, Copy, Default)]
struct TokenTag {
    label: u8,
    probability: f32,
}

impl Extractor {
    pub fn new(
        tokenizer: NoteTokenizer,
        classifier: Box<dyn TokenClassifier + Send>,
        labels: LabelScheme,
        windows: WindowConfig,
        info: ModelInfo,
    ) -> Self {
        assert_eq!(
            classifier.label_count(),
            labels.len(),
            "classifier and label scheme disagree"
        );
        assert!(labels.len() <= u8::MAX as usize);
        Extractor {
            tokenizer,
            classifier,
            labels,
            windows,
            info,
        }
    }

    pub fn info(&self) -> &ModelInfo {
        &self.info
    }

    pub fn extract(&mut self, note: &str) -> Result<Vec<Entity>> {
        self.extract_with(note, &mut || {})
    }

    /// Like [`Extractor::extract`], calling `between_batches` before each inference run, so that a
    /// caller can stop a long note early (PostgreSQL checks for a cancel there).
    pub fn extract_with(
        &mut self,
        note: &str,
        between_batches: &mut dyn FnMut(),
    ) -> Result<Vec<Entity>> {
        let tokens = self.tokenizer.tokenize(note)?;
        if tokens.is_empty() {
            return Ok(Vec::new());
        }
        let token_tags = self.tag_tokens(&tokens, between_batches)?;
        let words: Vec<WordTag> = tokens
            .word_token_ranges()
            .into_iter()
            .map(|range| {
                let first = token_tags[range.start];
                WordTag {
                    tag: self.labels.tag(first.label as usize),
                    probability: first.probability,
                    chars: tokens.chars[range.start].start..tokens.chars[range.end - 1].end,
                }
            })
            .collect();
        Ok(cut_mentions(note, decode_spans(&words)))
    }

    fn tag_tokens(
        &mut self,
        tokens: &TokenizedNote,
        between_batches: &mut dyn FnMut(),
    ) -> Result<Vec<TokenTag>> {
        let windows = plan_windows(tokens.len(), self.windows.max_tokens, self.windows.overlap);
        let owner = assign_tokens(&windows, tokens.len());
        let labels = self.labels.len();
        let mut token_tags = vec![TokenTag::default(); tokens.len()];
        for (batch_number, batch) in windows.chunks(self.windows.batch_size).enumerate() {
            between_batches();
            let ids: Vec<&[u32]> = batch.iter().map(|w| &tokens.ids[w.clone()]).collect();
            let probabilities = self.classifier.classify(&ids)?;
            for (offset, (window, probabilities)) in batch.iter().zip(probabilities).enumerate() {
                let window_index = batch_number * self.windows.batch_size + offset;
                for (token, row) in window.clone().zip(probabilities.chunks(labels)) {
                    if owner[token] == window_index {
                        let (label, &probability) = row
                            .iter()
                            .enumerate()
                            .max_by(|a, b| a.1.total_cmp(b.1))
                            .expect("at least one label");
                        token_tags[token] = TokenTag {
                            label: label as u8,
                            probability,
                        };
                    }
                }
            }
        }
        Ok(token_tags)
    }
}

/// Entities with their mention text, cut out of the note in one pass over its characters
/// (spans arrive in order, so no character-to-byte table of the whole note is needed).
fn cut_mentions(note: &str, spans: Vec<Span>) -> Vec<Entity> {
    let mut position = (0usize, 0usize); // (character index, byte offset), only ever moving forward
    let mut byte_at = |target: usize| {
        let (mut index, mut byte) = position;
        let mut rest = note[byte..].chars();
        while index < target {
            byte += rest.next().expect("span within the note").len_utf8();
            index += 1;
        }
        position = (index, byte);
        byte
    };
    spans
        .into_iter()
        .map(|span| {
            let start = byte_at(span.chars.start);
            let end = byte_at(span.chars.end);
            Entity {
                entity_type: span.entity_type,
                mention: note[start..end].to_string(),
                start: span.chars.start,
                end: span.chars.end,
                score: span.score,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labels::EntityType;

    fn span(chars: std::ops::Range<usize>) -> Span {
        Span {
            entity_type: EntityType::Symptom,
            chars,
            score: 1.0,
        }
    }

    #[test]
    fn mentions_are_cut_at_character_offsets_in_multibyte_text() {
        let note = "Fièvre 发烧 and 😷 toux";
        let entities = cut_mentions(
            note,
            vec![span(0..6), span(7..9), span(14..15), span(16..20)],
        );
        let mentions: Vec<_> = entities.iter().map(|e| e.mention.as_str()).collect();
        assert_eq!(mentions, vec!["Fièvre", "发烧", "😷", "toux"]);
    }

    #[test]
    fn adjacent_spans_share_a_boundary() {
        let entities = cut_mentions("abcdef", vec![span(0..3), span(3..6)]);
        assert_eq!(entities[0].mention, "abc");
        assert_eq!(entities[1].mention, "def");
    }
}
