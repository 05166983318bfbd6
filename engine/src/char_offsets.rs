//! Character offsets, which SQL's `substr` counts and every entity carries, turned into byte offsets
//! of the note without a table of the whole note: a cursor that walks the note's characters forward,
//! because offsets mostly arrive in order (a note can be a megabyte, and a table would cost eight
//! bytes per character).

use std::ops::Range;

pub struct CharCursor<'a> {
    text: &'a str,
    /// The character index and byte offset the cursor stands at.
    index: usize,
    byte: usize,
}

impl<'a> CharCursor<'a> {
    pub fn new(text: &'a str) -> CharCursor<'a> {
        CharCursor {
            text,
            index: 0,
            byte: 0,
        }
    }

    /// The byte offset of character `target`, or the text's length for a target past its end. A
    /// target behind the cursor starts the walk over from the beginning.
    pub fn byte_at(&mut self, target: usize) -> usize {
        if target < self.index {
            (self.index, self.byte) = (0, 0);
        }
        let mut rest = self.text[self.byte..].chars();
        while self.index < target {
            let Some(character) = rest.next() else { break };
            self.byte += character.len_utf8();
            self.index += 1;
        }
        self.byte
    }

    /// The text between two character offsets.
    pub fn slice(&mut self, chars: Range<usize>) -> &'a str {
        let start = self.byte_at(chars.start);
        let end = self.byte_at(chars.end);
        &self.text[start..end]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn characters_not_bytes_in_any_order() {
        let note = "Fièvre 发烧 et toux";
        let mut cursor = CharCursor::new(note);
        assert_eq!(cursor.slice(7..9), "发烧");
        assert_eq!(cursor.slice(0..6), "Fièvre");
        assert_eq!(cursor.slice(13..17), "toux");
        assert_eq!(cursor.slice(15..99), "ux");
        assert_eq!(cursor.byte_at(99), note.len());
    }
}
