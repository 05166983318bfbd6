//! Tokenisation with the model's own `tokenizer.json`, keeping character offsets and word boundaries.
//!
//! Offsets are characters, not bytes, because SQL's `substr` counts characters. A "word" is what the
//! tokenizer's pre-tokenizer makes (for BERT: runs split at whitespace and punctuation); labels are
//! predicted per word at its first sub-token.

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
