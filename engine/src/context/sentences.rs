//! Sentence boundaries: the scope within which a trigger such as "denies" can reach an entity.
//!
//! Clinical notes are lists and fragments as often as prose, so a line break ends a sentence unless
//! the next line carries on in lower case (wrapped prose). A full stop ends one unless it sits inside
//! a number, follows a title or an initial, or the text carries on in lower case ("approx. three").
//! MTSamples-style notes, whose line breaks became commas, end a sentence at ".," too.

use std::ops::Range;

/// Titles after which a full stop does not end a sentence.
const TITLES: &[&str] = &["dr", "mr", "mrs", "ms", "prof", "st", "vs", "no"];

/// Character ranges of the sentences, in order, covering every non-blank character once. `breaks`
/// are extra positions where a sentence must start (section headings).
pub fn sentences(text: &str, breaks: &[usize]) -> Vec<Range<usize>> {
    let chars: Vec<char> = text.chars().collect();
    let mut ends = vec![false; chars.len() + 1];
    for (i, &c) in chars.iter().enumerate() {
        let ends_here = match c {
            '?' | '!' => true,
            '.' => full_stop_ends_sentence(&chars, i),
            '\n' => line_break_ends_sentence(&chars, i),
            _ => false,
        };
        if ends_here {
            ends[i + 1] = true;
        }
    }
    for &position in breaks {
        if position <= chars.len() {
            ends[position] = true;
        }
    }
    let mut sentences = Vec::new();
    let mut start = 0;
    for (position, &ends_here) in ends.iter().enumerate().skip(1) {
        if ends_here || position == chars.len() {
            push_trimmed(&chars, start..position, &mut sentences);
            start = position;
        }
    }
    sentences
}

fn push_trimmed(chars: &[char], range: Range<usize>, sentences: &mut Vec<Range<usize>>) {
    let blank = |&i: &usize| chars[i].is_whitespace();
    let start = range.clone().find(|i| !blank(i));
    let end = range.clone().rev().find(|i| !blank(i));
    if let (Some(start), Some(end)) = (start, end) {
        sentences.push(start..end + 1);
    }
}

fn full_stop_ends_sentence(chars: &[char], at: usize) -> bool {
    let before = at.checked_sub(1).map(|i| chars[i]);
    let after = chars.get(at + 1).copied();
    if before.is_some_and(|c| c.is_ascii_digit()) && after.is_some_and(|c| c.is_ascii_digit()) {
        return false;
    }
    if !after.is_none_or(|c| c.is_whitespace() || c == ',' || c == '"' || c == ')') {
        return false;
    }
    let word_start = (0..at)
        .rev()
        .find(|&i| !chars[i].is_alphanumeric())
        .map_or(0, |i| i + 1);
    let word: String = chars[word_start..at]
        .iter()
        .collect::<String>()
        .to_lowercase();
    let is_initial = word.chars().count() == 1 && word.chars().all(char::is_alphabetic);
    if is_initial || TITLES.contains(&word.as_str()) {
        return false;
    }
    // "approx. three": the text goes on in lower case, so this was an abbreviation.
    let next_visible = chars[at + 1..]
        .iter()
        .find(|c| !c.is_whitespace() && **c != ',');
    !next_visible.is_some_and(|c| c.is_lowercase())
}

fn line_break_ends_sentence(chars: &[char], at: usize) -> bool {
    let next_visible = chars[at + 1..].iter().find(|c| !c.is_whitespace());
    !next_visible.is_some_and(|c| c.is_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(text: &str) -> Vec<String> {
        sentences(text, &[])
            .into_iter()
            .map(|r| text.chars().skip(r.start).take(r.len()).collect())
            .collect()
    }

    #[test]
    fn full_stops_question_and_exclamation_marks() {
        assert_eq!(
            split("No fever. Has cough? Yes! Done"),
            vec!["No fever.", "Has cough?", "Yes!", "Done"]
        );
    }

    #[test]
    fn decimals_titles_initials_and_lower_case_continuations_stay_inside() {
        assert_eq!(
            split("Seen by Dr. Smith and J. Doe. Took 2.5 mg approx. three times."),
            vec![
                "Seen by Dr. Smith and J. Doe.",
                "Took 2.5 mg approx. three times."
            ]
        );
    }

    #[test]
    fn a_line_break_ends_a_sentence_unless_prose_wraps_on() {
        assert_eq!(
            split("Denies fever\nAspirin 81 mg\nwith food\n\n- cough"),
            vec!["Denies fever", "Aspirin 81 mg\nwith food", "- cough"]
        );
    }

    #[test]
    fn mtsamples_commas_after_full_stops() {
        assert_eq!(
            split("Morbid obesity.,PROCEDURE: Bypass."),
            vec!["Morbid obesity.", ",PROCEDURE: Bypass."]
        );
    }

    #[test]
    fn extra_breaks_start_sentences_and_offsets_count_characters() {
        let text = "Ödem HISTORY: none";
        let found = sentences(text, &[5]);
        assert_eq!(found, vec![0..4, 5..18]);
    }

    #[test]
    fn empty_and_blank_text_have_no_sentences() {
        assert!(sentences("", &[]).is_empty());
        assert!(sentences(" \n\t ", &[]).is_empty());
    }
}
