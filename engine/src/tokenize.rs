//! Tokenisation with the model's own `tokenizer.json`, keeping character offsets and word boundaries.
//!
//! Offsets are characters, not bytes, because SQL's `substr` counts characters. A "word" is what the
//! tokenizer's pre-tokenizer makes (for BERT: runs split at whitespace and punctuation); labels are
//! predicted per word at its first sub-token.
//!
//! A long note is encoded in segments cut just before a whitespace character and joined again: the
//! tokenizer keeps per-byte bookkeeping while it encodes, about 150 bytes per byte of note, which made a
//! 10 MB note cost 1.5 GB at once. Whitespace ends a word for BERT's pre-tokenizer, and a segment that
//! starts with it gets the same leading-space token from byte-level BPE, so the tokens are the same.

use std::ops::Range;

use tokenizers::Tokenizer;

use crate::{Error, Result};

pub struct NoteTokenizer {
    tokenizer: Tokenizer,
}

/// A whole note as tokens, without special tokens and without truncation.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TokenizedNote {
    pub ids: Vec<u32>,
    /// Character range of each token in the note.
    pub chars: Vec<Range<usize>>,
    /// Index of the word each token belongs to; non-decreasing.
    pub words: Vec<usize>,
}

impl TokenizedNote {
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Token ranges of each word, in order.
    pub fn word_token_ranges(&self) -> Vec<Range<usize>> {
        let mut ranges: Vec<Range<usize>> = Vec::new();
        for (token, &word) in self.words.iter().enumerate() {
            match ranges.last_mut() {
                Some(last) if self.words[last.start] == word => last.end = token + 1,
                _ => ranges.push(token..token + 1),
            }
        }
        ranges
    }
}

impl NoteTokenizer {
    /// Reads a `tokenizer.json`, switching off any padding or truncation it was saved with:
    /// windowing, not the tokenizer, decides lengths, so that nothing is ever cut off.
    pub fn from_bytes(bytes: &[u8]) -> std::result::Result<Self, String> {
        let mut tokenizer = Tokenizer::from_bytes(bytes).map_err(|e| e.to_string())?;
        tokenizer.with_padding(None);
        tokenizer.with_truncation(None).map_err(|e| e.to_string())?;
        Ok(NoteTokenizer { tokenizer })
    }

    pub fn token_id(&self, token: &str) -> Option<u32> {
        self.tokenizer.token_to_id(token)
    }

    pub fn vocab_size(&self) -> usize {
        self.tokenizer.get_vocab_size(true)
    }

    pub fn tokenize(&self, note: &str) -> Result<TokenizedNote> {
        self.tokenize_in_segments(note, SEGMENT_BYTES)
    }

    fn tokenize_in_segments(&self, note: &str, segment_bytes: usize) -> Result<TokenizedNote> {
        let mut tokenized = TokenizedNote::default();
        let mut chars_before = 0;
        for segment in segments(note, segment_bytes) {
            let part = self.tokenize_segment(segment)?;
            let words_before = tokenized.words.last().map_or(0, |&w| w + 1);
            tokenized.ids.extend(part.ids);
            tokenized.chars.extend(
                part.chars
                    .into_iter()
                    .map(|r| r.start + chars_before..r.end + chars_before),
            );
            tokenized
                .words
                .extend(part.words.into_iter().map(|w| w + words_before));
            chars_before += segment.chars().count();
        }
        Ok(tokenized)
    }

    fn tokenize_segment(&self, note: &str) -> Result<TokenizedNote> {
        if note.trim().is_empty() {
            return Ok(TokenizedNote::default());
        }
        let encoding = self
            .tokenizer
            .encode_char_offsets(note, false)
            .map_err(|_| Error::Tokenize)?;
        let chars = encoding
            .get_offsets()
            .iter()
            .map(|&(start, end)| start..end)
            .collect();
        // Tokens outside any word (none without special tokens) become words of their own, so that the
        // word index stays non-decreasing whatever the tokenizer does.
        let mut words = Vec::with_capacity(encoding.len());
        let mut next_word = 0usize;
        let mut previous: Option<u32> = None;
        for word in encoding.get_word_ids() {
            if word.is_none() || *word != previous {
                next_word += 1;
            }
            previous = *word;
            words.push(next_word - 1);
        }
        Ok(TokenizedNote {
            ids: encoding.get_ids().to_vec(),
            chars,
            words,
        })
    }
}

/// Longest segment encoded at once, in bytes.
const SEGMENT_BYTES: usize = 64 * 1024;

/// `note` cut into pieces of about `target` bytes, each cut made just before a whitespace character.
/// A piece with no whitespace to cut at runs on to the next one, however long.
fn segments(note: &str, target: usize) -> impl Iterator<Item = &str> {
    let mut rest = note;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let cut = if rest.len() <= target {
            rest.len()
        } else {
            let mut from = target;
            while !rest.is_char_boundary(from) {
                from += 1;
            }
            rest[from..]
                .find(char::is_whitespace)
                .map_or(rest.len(), |i| from + i)
        };
        let (piece, after) = rest.split_at(cut);
        rest = after;
        Some(piece)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_cut_before_whitespace_and_cover_the_note() {
        let note = "aa bb\tcc dd ééé ff";
        for target in 1..note.len() + 2 {
            let pieces: Vec<&str> = segments(note, target).collect();
            assert_eq!(pieces.concat(), note, "target {target}");
            for piece in &pieces[1..] {
                assert!(piece.starts_with(char::is_whitespace), "{piece:?}");
            }
        }
        assert_eq!(segments("", 4).count(), 0);
        assert_eq!(
            segments("abcdefgh", 2).collect::<Vec<_>>(),
            vec!["abcdefgh"]
        );
    }

    #[test]
    fn segmented_encoding_equals_encoding_the_whole_note() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../models/clinical-ner-minilm/tokenizer.json"
        );
        let tokenizer = NoteTokenizer::from_bytes(&std::fs::read(path).unwrap()).unwrap();
        let notes = [
            "Started metformin 500 mg b.i.d. for type 2 diabetes;\n\tdenies chest pain.  ",
            "  Fièvre 38,5 °C — 发烧 und Übelkeit; aspirin/clopidogrel (ASA) x3 😷 done",
            "HISTORY:,  cough.,MEDICATIONS:,  Lisinopril 10 mg daily.\r\n\r\nPLAN: follow-up",
        ];
        for note in notes {
            let whole = tokenizer.tokenize_segment(note).unwrap();
            for segment_bytes in [1, 2, 3, 5, 8, 13, 40, 1000] {
                assert_eq!(
                    tokenizer.tokenize_in_segments(note, segment_bytes).unwrap(),
                    whole,
                    "segments of {segment_bytes} bytes"
                );
            }
        }
    }
}
