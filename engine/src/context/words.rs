//! Words of a note for the rule-based stages: lower-cased, with character offsets.
//!
//! Letters and digits run together into one word; every other visible character is a word of its own,
//! so that trigger phrases such as "h/o" or "s/p" are matched as the same three words whatever the
//! spacing, and a rule file needs no regular expressions.

use std::ops::Range;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub text: String,
    /// Character range in the note.
    pub chars: Range<usize>,
}

pub fn words(text: &str) -> Vec<Word> {
    let mut words: Vec<Word> = Vec::new();
    let mut in_word = false;
    for (position, character) in text.chars().enumerate() {
        if character.is_alphanumeric() {
            if in_word {
                let word = words.last_mut().expect("in a word");
                word.text.extend(character.to_lowercase());
                word.chars.end = position + 1;
            } else {
                words.push(Word {
                    text: character.to_lowercase().collect(),
                    chars: position..position + 1,
                });
            }
            in_word = true;
        } else {
            in_word = false;
            if !character.is_whitespace() {
                words.push(Word {
                    text: character.to_string(),
                    chars: position..position + 1,
                });
            }
        }
    }
    words
}

/// The words of a phrase, as [`words`] would split it inside a note.
pub fn phrase_words(phrase: &str) -> Vec<String> {
    words(phrase).into_iter().map(|w| w.text).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_punctuation_off_and_lowercases() {
        let found: Vec<_> = words("H/o DM-2, née Ödön.")
            .into_iter()
            .map(|w| (w.text, w.chars))
            .collect();
        assert_eq!(
            found,
            vec![
                ("h".to_string(), 0..1),
                ("/".to_string(), 1..2),
                ("o".to_string(), 2..3),
                ("dm".to_string(), 4..6),
                ("-".to_string(), 6..7),
                ("2".to_string(), 7..8),
                (",".to_string(), 8..9),
                ("née".to_string(), 10..13),
                ("ödön".to_string(), 14..18),
                (".".to_string(), 18..19),
            ]
        );
    }

    #[test]
    fn phrases_split_like_notes() {
        assert_eq!(phrase_words("s/p"), vec!["s", "/", "p"]);
        assert_eq!(phrase_words("negative  for"), vec!["negative", "for"]);
    }
}
