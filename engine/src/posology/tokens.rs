//! The words of a medication's instructions, as the phrase tables see them.
//!
//! Letters and digits are split apart ("500mg" is 500 mg, "q6h" is q 6 h); dots between single letters
//! are dropped ("p.o." is po, "b.i.d." is bid); a decimal point stays in its number ("0.5"); other
//! dots go; a range ("1-2", "4 to 6") is one token. Every token keeps its character range in the note.

use std::ops::Range;

#[derive(Debug, Clone, PartialEq)]
pub enum TokenKind {
    /// Lower case.
    Word(String),
    Number(f64),
    Range(f64, f64),
    Punct(char),
    /// A full stop followed by white space or the end: not a decimal point or an abbreviation's dot.
    SentenceEnd,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub kind: TokenKind,
    pub chars: Range<usize>,
}

impl Token {
    pub fn is_word(&self, word: &str) -> bool {
        matches!(&self.kind, TokenKind::Word(w) if w == word)
    }

    /// Where a medication's instructions end: a sentence's end, a new line or a semicolon.
    pub fn is_stop(&self) -> bool {
        matches!(
            self.kind,
            TokenKind::Punct('\n' | ';') | TokenKind::SentenceEnd
        )
    }

    /// Words that join attributes without being one ("81 mg by mouth, daily, with food").
    pub fn joins(&self) -> bool {
        match &self.kind {
            TokenKind::Punct(c) => matches!(c, ',' | '(' | ')' | '-' | '/' | ':' | '#' | '[' | ']'),
            TokenKind::Word(w) => matches!(
                w.as_str(),
                "and"
                    | "with"
                    | "of"
                    | "at"
                    | "by"
                    | "per"
                    | "in"
                    | "take"
                    | "takes"
                    | "taking"
                    | "give"
                    | "given"
                    | "on"
                    | "to"
                    | "dose"
            ),
            _ => false,
        }
    }
}

/// The tokens of `text`, whose first character is character `offset` of the note.
pub fn tokens(text: &str, offset: usize) -> Vec<Token> {
    let characters: Vec<char> = text.chars().collect();
    let mut raw: Vec<Token> = Vec::new();
    let mut at = 0;
    while at < characters.len() {
        let c = characters[at];
        let start = at;
        if c.is_alphabetic() {
            while at < characters.len() && characters[at].is_alphabetic() {
                at += 1;
            }
            let word: String = characters[start..at]
                .iter()
                .flat_map(|c| c.to_lowercase())
                .collect();
            // "every two hours" and "every 2 hours" are one phrase.
            let kind = match number_word(&word) {
                Some(value) => TokenKind::Number(value),
                None => TokenKind::Word(word),
            };
            raw.push(Token {
                kind,
                chars: offset + start..offset + at,
            });
            continue;
        }
        if c.is_ascii_digit() {
            while at < characters.len()
                && (characters[at].is_ascii_digit()
                    || (characters[at] == '.'
                        && characters.get(at + 1).is_some_and(char::is_ascii_digit))
                    || (characters[at] == ',' && thousands_after(&characters, at)))
            {
                at += 1;
            }
            let digits: String = characters[start..at]
                .iter()
                .filter(|&&c| c != ',')
                .collect();
            if let Ok(value) = digits.parse::<f64>() {
                raw.push(Token {
                    kind: TokenKind::Number(value),
                    chars: offset + start..offset + at,
                });
            }
            continue;
        }
        at += 1;
        // A full stop ends the sentence unless the text carries on in lower case ("q.6h. as needed",
        // "q. three months"), as the engine's sentence splitter reads it too.
        let carries_on = characters[at..]
            .iter()
            .find(|c| !c.is_whitespace())
            .is_some_and(|c| c.is_lowercase());
        let kind = if c == '.'
            && characters.get(at).is_none_or(|next| next.is_whitespace())
            && !carries_on
        {
            TokenKind::SentenceEnd
        } else {
            TokenKind::Punct(c)
        };
        if c == '\n' || !c.is_whitespace() {
            raw.push(Token {
                kind,
                chars: offset + start..offset + at,
            });
        }
    }
    ranges(dotted_letters(raw))
}

fn number_word(word: &str) -> Option<f64> {
    const NUMBERS: [&str; 12] = [
        "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
        "twelve",
    ];
    NUMBERS
        .iter()
        .position(|&n| n == word)
        .map(|index| (index + 1) as f64)
}

/// "1,000": a comma followed by exactly three digits.
fn thousands_after(characters: &[char], comma: usize) -> bool {
    let digits = characters[comma + 1..]
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .count();
    digits == 3
}

/// "p.o." → po, "b.i.d." → bid, "q.h.s." → qhs: single letters joined by dots with no space between
/// (an abbreviation's closing dot ends no sentence); then every other dot inside a line goes.
fn dotted_letters(raw: Vec<Token>) -> Vec<Token> {
    let single_letter = |t: &Token| matches!(&t.kind, TokenKind::Word(w) if w.chars().count() == 1);
    let mut joined: Vec<Token> = Vec::with_capacity(raw.len());
    let mut at = 0;
    while at < raw.len() {
        if single_letter(&raw[at]) {
            let mut end = at;
            // letter . letter . letter ...
            while end + 2 < raw.len()
                && raw[end + 1].kind == TokenKind::Punct('.')
                && raw[end + 1].chars.start == raw[end].chars.end
                && raw[end + 2].chars.start == raw[end + 1].chars.end
                && single_letter(&raw[end + 2])
            {
                end += 2;
            }
            if end > at {
                let word: String = raw[at..=end]
                    .iter()
                    .filter_map(|t| match &t.kind {
                        TokenKind::Word(w) => Some(w.as_str()),
                        _ => None,
                    })
                    .collect();
                // The closing dot belongs to the abbreviation ("p.o.", not "p.o").
                let closing_dot = raw.get(end + 1).filter(|t| {
                    matches!(t.kind, TokenKind::Punct('.') | TokenKind::SentenceEnd)
                        && t.chars.start == raw[end].chars.end
                });
                let last = closing_dot.map_or(raw[end].chars.end, |dot| dot.chars.end);
                joined.push(Token {
                    kind: TokenKind::Word(word),
                    chars: raw[at].chars.start..last,
                });
                at = end + 1 + usize::from(closing_dot.is_some());
                continue;
            }
        }
        joined.push(raw[at].clone());
        at += 1;
    }
    joined.retain(|t| t.kind != TokenKind::Punct('.'));
    joined
}

/// "1-2", "1 - 2", "4 to 6" → one range token.
fn ranges(tokens: Vec<Token>) -> Vec<Token> {
    let mut out: Vec<Token> = Vec::with_capacity(tokens.len());
    let mut at = 0;
    while at < tokens.len() {
        if let (TokenKind::Number(low), Some(between), Some(high)) =
            (&tokens[at].kind, tokens.get(at + 1), tokens.get(at + 2))
        {
            let joins = between.kind == TokenKind::Punct('-') || between.is_word("to");
            if let (true, TokenKind::Number(high_value)) = (joins, &high.kind) {
                out.push(Token {
                    kind: TokenKind::Range(*low, *high_value),
                    chars: tokens[at].chars.start..high.chars.end,
                });
                at += 3;
                continue;
            }
        }
        out.push(tokens[at].clone());
        at += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<TokenKind> {
        tokens(text, 0).into_iter().map(|t| t.kind).collect()
    }

    fn w(word: &str) -> TokenKind {
        TokenKind::Word(word.to_string())
    }

    #[test]
    fn letters_and_digits_split_and_dotted_abbreviations_join() {
        assert_eq!(
            kinds("500mg p.o. b.i.d."),
            vec![TokenKind::Number(500.0), w("mg"), w("po"), w("bid")]
        );
        assert_eq!(
            kinds("q.6h."),
            vec![
                w("q"),
                TokenKind::Number(6.0),
                w("h"),
                TokenKind::SentenceEnd
            ]
        );
        assert_eq!(
            kinds("0.5 mg/kg"),
            vec![
                TokenKind::Number(0.5),
                w("mg"),
                TokenKind::Punct('/'),
                w("kg")
            ]
        );
        assert_eq!(
            kinds("1,000 units"),
            vec![TokenKind::Number(1000.0), w("units")]
        );
    }

    #[test]
    fn ranges_are_one_token_with_offsets() {
        let found = tokens("1-2 tablets q4 to 6h", 10);
        assert_eq!(found[0].kind, TokenKind::Range(1.0, 2.0));
        assert_eq!(found[0].chars, 10..13);
        assert_eq!(found[3].kind, TokenKind::Range(4.0, 6.0));
    }

    #[test]
    fn line_breaks_are_kept_as_stops() {
        assert!(tokens("daily\nlisinopril", 0)[1].is_stop());
        assert!(tokens("daily. Lisinopril", 0)[1].is_stop());
        assert_eq!(tokens("b.i.d. Lisinopril", 0).len(), 2);
    }
}
