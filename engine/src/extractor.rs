//! The whole pipeline for a batch of notes: tokenise each, cut it into windows, pool the windows of
//! all notes and run them through the classifier in batches of similar length, keep each token's
//! best window, tag words, decode spans, cut mentions out of each note.
//!
//! One note is a batch of one: the SQL per-row functions and the set-based ones share this path.
//! Pooling is what makes many notes cheaper than one at a time: short notes and the short windows of
//! different notes fill one inference run together, and sorting windows by length keeps padding low.
//! It is only allowed where a window's result does not depend on what else is in its run: a
//! dynamically quantised int8 model takes one activation scale over the whole run, so pooling would
//! make a note's entities depend on its neighbours (measured: most long notes change). Such models
//! run each note's windows on their own, and a note gives the same entities alone or in a batch.

use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use crate::char_offsets::CharCursor;
use crate::classify::TokenClassifier;
use crate::context::{annotate, Assertion};
use crate::decode::{decode_spans, Span, WordTag};
use crate::labels::LabelScheme;
use crate::rules::ClinicalRules;
use crate::runtime::Device;
use crate::tokenize::{NoteTokenizer, TokenizedNote};
use crate::window::{owner, plan_windows};
use crate::{Entity, Error, Result};

/// How notes are cut into windows and how many windows go into one inference run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowConfig {
    /// Tokens per window, not counting the special tokens that frame it.
    pub max_tokens: usize,
    /// Tokens shared by consecutive windows, so that every token has context on both sides.
    pub overlap: usize,
    pub batch_size: usize,
    /// Whether windows of different notes may share an inference run (see the module docs).
    pub pool_notes: bool,
}

impl WindowConfig {
    /// Windows that fill the model's maximum length, overlapping by an eighth (15 tokens of 126).
    /// A token keeps the prediction of the window where it has the most context, so the overlap only
    /// has to give tokens near a cut some context on both sides: measured on the development sets
    /// (docs/benchmarks.md), an eighth moves token F1 by at most 0.34 points against a quarter and
    /// computes 10% fewer positions on MTSamples notes (1.23 per note token instead of 1.37); a
    /// sixteenth lost 1.5 points on the notes' medications.
    pub fn for_max_sequence_length(
        max_sequence_length: usize,
        batch_size: usize,
        pool_notes: bool,
    ) -> Self {
        let max_tokens = max_sequence_length - 2;
        WindowConfig {
            max_tokens,
            overlap: max_tokens / 8,
            batch_size,
            pool_notes,
        }
    }
}

/// What a loaded model is, for listing it (and for the shared worker to tell sessions what it serves).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ModelInfo {
    pub name: String,
    pub version: String,
    pub base_model: String,
    pub folder: PathBuf,
    /// SHA-256 of `model.onnx`.
    pub sha256: String,
    pub labels: Vec<String>,
    /// The device inference actually runs on: `Cpu` or `Cuda`, never `Auto`.
    pub device: Device,
    pub max_sequence_length: usize,
}

pub struct Extractor {
    tokenizer: NoteTokenizer,
    classifier: Box<dyn TokenClassifier + Send>,
    labels: LabelScheme,
    windows: WindowConfig,
    info: ModelInfo,
    /// Decide each entity's assertion status (the built-in rules unless a site set its own).
    rules: Arc<ClinicalRules>,
}

/// The tag a token's window gave it: label index and its probability.
#[derive(Debug, Clone, Copy, Default)]
struct TokenTag {
    label: u8,
    probability: f32,
}

/// A note in flight: its tokens, its windows and the tags so far. Memory per token is fixed (24
/// bytes with the tokens), so a note's cost is a bounded multiple of its length whatever its shape.
struct NoteInFlight {
    tokens: TokenizedNote,
    windows: Vec<Range<usize>>,
    tags: Vec<TokenTag>,
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
            rules: ClinicalRules::builtin(),
        }
    }

    /// The rules that decide assertion status from now on (a site's, see [`crate::rules`]).
    pub fn set_rules(&mut self, rules: Arc<ClinicalRules>) {
        self.rules = rules;
    }

    pub fn info(&self) -> &ModelInfo {
        &self.info
    }

    /// Positions the model computes for a note of `token_count` tokens: every window's tokens,
    /// overlaps included, and the special tokens that frame each window (throughput figures).
    pub fn processed_tokens(&self, token_count: usize) -> usize {
        plan_windows(token_count, self.windows.max_tokens, self.windows.overlap)
            .iter()
            .map(|window| window.len() + 2)
            .sum()
    }

    /// Windows per inference run.
    pub fn batch_size(&self) -> usize {
        self.windows.batch_size
    }

    /// Windows per inference run; at least 1.
    pub fn set_batch_size(&mut self, batch_size: usize) {
        self.windows.batch_size = batch_size.max(1);
    }

    /// Tokens of a note without special tokens: what windowing and throughput figures count.
    pub fn count_tokens(&self, note: &str) -> Result<usize> {
        Ok(self
            .tokenizer
            .tokenize(note, &mut || false)?
            .expect("never stopped")
            .len())
    }

    pub fn extract(&mut self, note: &str) -> Result<Vec<Entity>> {
        Ok(self
            .extract_many(&[note], &mut || {})?
            .pop()
            .expect("one result per note"))
    }

    /// Entities of each note, in the notes' order. `between_batches` is called before each inference
    /// run, so that a caller can stop a long job early (PostgreSQL checks for a cancel there).
    pub fn extract_many(
        &mut self,
        notes: &[&str],
        between_batches: &mut dyn FnMut(),
    ) -> Result<Vec<Vec<Entity>>> {
        let mut never_stop = || {
            between_batches();
            false
        };
        Ok(self
            .extract_many_unless(notes, &mut never_stop)?
            .expect("a job that is never stopped finishes"))
    }

    /// Like [`Extractor::extract_many`], for a caller that cannot raise an error to stop: `stop` is
    /// asked before each inference run and between segments of tokenisation, and `Ok(None)` means it
    /// answered true and the job was dropped.
    pub fn extract_many_unless(
        &mut self,
        notes: &[&str],
        stop: &mut dyn FnMut() -> bool,
    ) -> Result<Option<Vec<Vec<Entity>>>> {
        let mut in_flight = Vec::with_capacity(notes.len());
        for note in notes {
            match self.plan(note, stop)? {
                Some(planned) => in_flight.push(planned),
                None => return Ok(None),
            }
        }
        if !self.tag_tokens(&mut in_flight, stop)? {
            return Ok(None);
        }
        Ok(Some(
            notes
                .iter()
                .zip(in_flight)
                .map(|(note, planned)| self.entities(note, planned))
                .collect(),
        ))
    }

    fn plan(&self, note: &str, stop: &mut dyn FnMut() -> bool) -> Result<Option<NoteInFlight>> {
        let Some(tokens) = self.tokenizer.tokenize(note, stop)? else {
            return Ok(None);
        };
        let windows = plan_windows(tokens.len(), self.windows.max_tokens, self.windows.overlap);
        let mut tags = Vec::new();
        tags.try_reserve_exact(tokens.len())
            .map_err(|_| Error::OutOfMemory)?;
        tags.resize(tokens.len(), TokenTag::default());
        Ok(Some(NoteInFlight {
            tokens,
            windows,
            tags,
        }))
    }

    /// Tags every token; false when `stop` asked to drop the job.
    fn tag_tokens(
        &mut self,
        notes: &mut [NoteInFlight],
        stop: &mut dyn FnMut() -> bool,
    ) -> Result<bool> {
        let runs: Vec<Vec<(usize, usize)>> = if self.windows.pool_notes {
            // (note, window) pairs, longest first, so that each run pads its windows to a similar length.
            let mut pooled: Vec<(usize, usize)> = notes
                .iter()
                .enumerate()
                .flat_map(|(n, note)| (0..note.windows.len()).map(move |w| (n, w)))
                .collect();
            pooled.sort_by_key(|&(n, w)| std::cmp::Reverse(notes[n].windows[w].len()));
            vec![pooled]
        } else {
            notes
                .iter()
                .enumerate()
                .map(|(n, note)| (0..note.windows.len()).map(|w| (n, w)).collect())
                .collect()
        };
        let labels = self.labels.len();
        for batch in runs
            .iter()
            .flat_map(|run| run.chunks(self.windows.batch_size))
        {
            if stop() {
                return Ok(false);
            }
            let ids: Vec<&[u32]> = batch
                .iter()
                .map(|&(n, w)| &notes[n].tokens.ids[notes[n].windows[w].clone()])
                .collect();
            let probabilities = self.classifier.classify(&ids)?;
            for (&(n, w), probabilities) in batch.iter().zip(probabilities) {
                let note = &mut notes[n];
                let token_count = note.tokens.len();
                for (token, row) in note.windows[w].clone().zip(probabilities.chunks(labels)) {
                    if owner(&note.windows, token_count, token, w) == w {
                        let (label, &probability) = row
                            .iter()
                            .enumerate()
                            .max_by(|a, b| a.1.total_cmp(b.1))
                            .expect("at least one label");
                        note.tags[token] = TokenTag {
                            label: label as u8,
                            probability,
                        };
                    }
                }
            }
        }
        Ok(true)
    }

    fn entities(&self, note: &str, planned: NoteInFlight) -> Vec<Entity> {
        let NoteInFlight { tokens, tags, .. } = planned;
        let words = tokens.word_token_ranges().map(|range| {
            let first = tags[range.start];
            WordTag {
                tag: self.labels.tag(first.label as usize),
                probability: first.probability,
                chars: tokens.char_range(range),
            }
        });
        let mut entities = cut_mentions(note, decode_spans(words));
        annotate(note, entities.iter_mut(), &self.rules.assertion);
        entities
    }
}

/// Entities with their mention text, cut out of the note in one pass over its characters
/// (spans arrive in order, so no character-to-byte table of the whole note is needed).
fn cut_mentions(note: &str, spans: Vec<Span>) -> Vec<Entity> {
    let mut cursor = CharCursor::new(note);
    spans
        .into_iter()
        .map(|span| Entity {
            entity_type: span.entity_type,
            mention: cursor.slice(span.chars.clone()).to_string(),
            start: span.chars.start,
            end: span.chars.end,
            score: span.score,
            assertion: Assertion::Present,
            section: None,
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
