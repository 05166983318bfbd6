//! Tokenisation with the model's own `tokenizer.json`, keeping character offsets and word boundaries.
//!
//! Offsets are characters, not bytes, because SQL's `substr` counts characters. A "word" is what the
//! tokenizer's pre-tokenizer makes (for BERT: runs split at whitespace and punctuation); labels are
//! predicted per word at its first sub-token.
//!
//! A note is encoded in segments of bounded size and joined again: the tokenizer keeps per-byte
//! bookkeeping while it encodes (about 150 bytes per byte of input), so encoding a long note at once
//! made one allocation of gigabytes. A segment is cut just before a whitespace character, where the
//! tokens are the same as for the whole note (whitespace ends a word for BERT's pre-tokenizer, and
//! byte-level BPE gives a segment that starts with it the same leading-space token). A stretch with no
//! whitespace for [`SEGMENT_SLACK_BYTES`] past the segment size is cut before a punctuation character
//! (BERT splits there too) or, failing that, at any character: such a stretch is not prose, and BERT
//! reads any word longer than 100 characters as one unknown token anyway, so the only difference is how
//! many unknown-token words it counts. The caller is asked between segments whether to go on, so that a
//! cancel takes effect during tokenisation too. Tokens are stored in 32-bit fields: a PostgreSQL text
//! value is under 1 GB, so its offsets fit.

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
    pub chars: Vec<Range<u32>>,
    /// Index of the word each token belongs to; non-decreasing.
    pub words: Vec<u32>,
}

impl TokenizedNote {
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Token ranges of each word, in order.
    pub fn word_token_ranges(&self) -> impl Iterator<Item = Range<usize>> + '_ {
        let mut start = 0;
        std::iter::from_fn(move || {
            let word = *self.words.get(start)?;
            let end = start
                + self.words[start..]
                    .iter()
                    .take_while(|&&w| w == word)
                    .count();
            let range = start..end;
            start = end;
            Some(range)
        })
    }

    /// Characters of tokens `range` in the note.
    pub fn char_range(&self, range: Range<usize>) -> Range<usize> {
        self.chars[range.start].start as usize..self.chars[range.end - 1].end as usize
    }

    fn reserve(&mut self, tokens: usize) -> Result<()> {
        let short = |_| Error::OutOfMemory;
        self.ids.try_reserve(tokens).map_err(short)?;
        self.chars.try_reserve(tokens).map_err(short)?;
        self.words.try_reserve(tokens).map_err(short)
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

    /// The tokens of `note`; `Ok(None)` when `stop`, asked before each segment, answered true.
    pub fn tokenize(
        &self,
        note: &str,
        stop: &mut dyn FnMut() -> bool,
    ) -> Result<Option<TokenizedNote>> {
        self.tokenize_in_segments(note, SEGMENT_BYTES, SEGMENT_SLACK_BYTES, stop)
    }

    fn tokenize_in_segments(
        &self,
        note: &str,
        segment_bytes: usize,
        slack_bytes: usize,
        stop: &mut dyn FnMut() -> bool,
    ) -> Result<Option<TokenizedNote>> {
        let mut tokenized = TokenizedNote::default();
        let mut chars_before = 0u32;
        for segment in segments(note, segment_bytes, slack_bytes) {
            if stop() {
                return Ok(None);
            }
            let part = self.tokenize_segment(segment)?;
            let words_before = tokenized.words.last().map_or(0, |&w| w + 1);
            tokenized.reserve(part.ids.len())?;
            tokenized.ids.extend(part.ids);
            tokenized.chars.extend(
                part.chars
                    .into_iter()
                    .map(|r| r.start + chars_before..r.end + chars_before),
            );
            tokenized
                .words
                .extend(part.words.into_iter().map(|w| w + words_before));
            chars_before += segment.chars().count() as u32;
        }
        Ok(Some(tokenized))
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
            .map(|&(start, end)| start as u32..end as u32)
            .collect();
        // Tokens outside any word (none without special tokens) become words of their own, so that the
        // word index stays non-decreasing whatever the tokenizer does.
        let mut words = Vec::with_capacity(encoding.len());
        let mut next_word = 0u32;
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

/// Longest segment encoded at once, in bytes, before the search for a place to cut.
const SEGMENT_BYTES: usize = 64 * 1024;
/// How far past [`SEGMENT_BYTES`] a cut waits for whitespace (then for punctuation) before it is made
/// at any character, so that no segment is longer than the sum of the two.
pub const SEGMENT_SLACK_BYTES: usize = 4 * 1024;

/// `note` cut into pieces of `target` to `target + slack` bytes (the last one shorter), each cut made
/// just before a whitespace character where one is in reach, else just before a punctuation
/// character, else at a character boundary.
fn segments(note: &str, target: usize, slack: usize) -> impl Iterator<Item = &str> {
    let mut rest = note;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let cut = if rest.len() <= target {
            rest.len()
        } else {
            let from = ceil_char_boundary(rest, target);
            let until = ceil_char_boundary(rest, target + slack);
            let reach = &rest[from..until];
            reach
                .find(char::is_whitespace)
                .or_else(|| reach.find(|c: char| c.is_ascii_punctuation()))
                .map_or(until, |i| from + i)
        };
        let (piece, after) = rest.split_at(cut);
        rest = after;
        Some(piece)
    })
}

/// The first character boundary of `text` at or after byte `at` (its length if `at` is past it).
fn ceil_char_boundary(text: &str, mut at: usize) -> usize {
    if at >= text.len() {
        return text.len();
    }
    while !text.is_char_boundary(at) {
        at += 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_cut_before_whitespace_and_cover_the_note() {
        let note = "aa bb\tcc dd ééé ff";
        for target in 1..note.len() + 2 {
            let pieces: Vec<&str> = segments(note, target, 64).collect();
            assert_eq!(pieces.concat(), note, "target {target}");
            for piece in &pieces[1..] {
                assert!(piece.starts_with(char::is_whitespace), "{piece:?}");
            }
        }
        assert_eq!(segments("", 4, 4).count(), 0);
    }

    #[test]
    fn segments_without_whitespace_are_cut_within_the_slack() {
        let unbroken = "x".repeat(1000);
        let pieces: Vec<&str> = segments(&unbroken, 100, 10).collect();
        assert_eq!(pieces.concat(), unbroken);
        assert!(
            pieces.iter().all(|p| p.len() <= 110),
            "{:?}",
            pieces.iter().map(|p| p.len()).collect::<Vec<_>>()
        );
        // Punctuation is preferred to a cut inside a word, whitespace to both.
        let dotted = format!("{}.{} {}", "a".repeat(105), "b".repeat(20), "c".repeat(50));
        let pieces: Vec<&str> = segments(&dotted, 100, 10).collect();
        assert_eq!(pieces[0].len(), 105);
        let spaced = format!("{}.{} {}", "a".repeat(101), "b".repeat(3), "c".repeat(50));
        assert_eq!(segments(&spaced, 100, 10).next().unwrap().len(), 105);
        // Multi-byte characters are never split.
        let wide = "é".repeat(500);
        for piece in segments(&wide, 101, 7) {
            assert!(piece.len() <= 108 + 1 && piece.chars().all(|c| c == 'é'));
        }
    }

    fn shipped_tokenizer() -> NoteTokenizer {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../models/clinical-ner-minilm/tokenizer.json"
        );
        NoteTokenizer::from_bytes(&std::fs::read(path).unwrap()).unwrap()
    }

    #[test]
    fn segmented_encoding_equals_encoding_the_whole_note() {
        let tokenizer = shipped_tokenizer();
        let notes = [
            "Started metformin 500 mg b.i.d. for type 2 diabetes;\n\tdenies chest pain.  ",
            "  Fièvre 38,5 °C — 发烧 und Übelkeit; aspirin/clopidogrel (ASA) x3 😷 done",
            "HISTORY:,  cough.,MEDICATIONS:,  Lisinopril 10 mg daily.\r\n\r\nPLAN: follow-up",
            "Labs:Na=140;K=4.1;Cr=0.9;Hgb=12.1,WBC=7.2(normal),INR=1.1/PT=12s",
        ];
        for note in notes {
            let whole = tokenizer.tokenize_segment(note).unwrap();
            for segment_bytes in [1, 2, 3, 5, 8, 13, 40, 1000] {
                // A slack of a whole note keeps every cut at whitespace or punctuation.
                let segmented = tokenizer
                    .tokenize_in_segments(note, segment_bytes, note.len(), &mut || false)
                    .unwrap()
                    .unwrap();
                assert_eq!(segmented, whole, "segments of {segment_bytes} bytes");
            }
        }
    }

    #[test]
    fn a_stretch_without_whitespace_is_unknown_tokens_either_way() {
        let tokenizer = shipped_tokenizer();
        let note = format!("Took aspirin {} then", "x".repeat(5000));
        let tokens = tokenizer
            .tokenize_in_segments(&note, 1000, 100, &mut || false)
            .unwrap()
            .unwrap();
        let unknown = tokenizer.token_id("[UNK]").unwrap();
        let stretch = 13..13 + 5000u32;
        let middle: Vec<u32> = (0..tokens.len())
            .filter(|&t| stretch.contains(&tokens.chars[t].start))
            .map(|t| tokens.ids[t])
            .collect();
        assert!(
            middle.len() > 1 && middle.iter().all(|&id| id == unknown),
            "{middle:?}"
        );
        assert_eq!(tokens.char_range(0..1), 0..4);
        assert_eq!(
            *tokens.chars.last().unwrap(),
            (note.len() - 4) as u32..note.len() as u32
        );
    }

    #[test]
    fn tokenising_stops_between_segments_when_asked() {
        let tokenizer = shipped_tokenizer();
        let note = "word ".repeat(1000);
        let mut asked = 0;
        let stopped = tokenizer
            .tokenize_in_segments(&note, 100, 10, &mut || {
                asked += 1;
                asked == 3
            })
            .unwrap();
        assert!(stopped.is_none());
        assert_eq!(asked, 3);
    }
}
