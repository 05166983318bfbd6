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
///
/// Two passes over the text, holding nothing per character: the first finds where sentences end,
/// the second trims each to its first and last visible character. Whether a full stop or a line break
/// ends a sentence can depend on the next visible character, however far away: such a candidate waits
/// until that character arrives, so that a long run of blank lines costs one step per character.
pub fn sentences(text: &str, breaks: &[usize]) -> Vec<Range<usize>> {
    let mut ends = sentence_ends(text);
    let length = text.chars().count();
    ends.extend(breaks.iter().copied().filter(|&p| p <= length));
    ends.push(length);
    ends.sort_unstable();
    ends.dedup();
    trimmed(text, &ends)
}

/// Positions after which a sentence ends, found in one pass (not sorted: a waiting full stop may be
/// settled after a later line break).
fn sentence_ends(text: &str) -> Vec<usize> {
    let mut ends = Vec::new();
    // Line breaks waiting for the next visible character; full stops waiting for the next one that
    // is not blank nor a comma. Each ends a sentence unless that character is lower case.
    let mut waiting_breaks: Vec<usize> = Vec::new();
    let mut waiting_stops: Vec<usize> = Vec::new();
    // The letters and digits just before the current character, lower-cased, while few enough to be
    // a title or an initial.
    let mut word = String::new();
    let mut word_length = 0usize;
    let mut before: Option<char> = None;
    let mut chars = text.chars().enumerate().peekable();
    while let Some((position, c)) = chars.next() {
        if !c.is_whitespace() {
            let ends_if = !c.is_lowercase();
            if ends_if {
                ends.extend(waiting_breaks.iter().map(|&p| p + 1));
            }
            waiting_breaks.clear();
            if c != ',' {
                if ends_if {
                    ends.extend(waiting_stops.iter().map(|&p| p + 1));
                }
                waiting_stops.clear();
            }
        }
        let after = chars.peek().map(|&(_, c)| c);
        match c {
            '?' | '!' => ends.push(position + 1),
            '.' if full_stop_may_end_sentence(before, after, &word, word_length) => {
                waiting_stops.push(position)
            }
            '\n' => waiting_breaks.push(position),
            _ => {}
        }
        if c.is_alphanumeric() {
            word_length += 1;
            if word_length <= LONGEST_TITLE {
                word.extend(c.to_lowercase());
            }
        } else {
            word.clear();
            word_length = 0;
        }
        before = Some(c);
    }
    // Nothing visible follows these: they end their sentences.
    ends.extend(waiting_breaks.iter().chain(&waiting_stops).map(|&p| p + 1));
    ends
}

/// Letters in the longest title of [`TITLES`].
const LONGEST_TITLE: usize = 4;

/// Whether a full stop ends its sentence, as far as the characters next to it tell: not inside a
/// number, not before anything but blank, a comma, a quote or a bracket, not after a title or an
/// initial (`word`, the letters and digits before it, `word_length` of them).
fn full_stop_may_end_sentence(
    before: Option<char>,
    after: Option<char>,
    word: &str,
    word_length: usize,
) -> bool {
    if before.is_some_and(|c| c.is_ascii_digit()) && after.is_some_and(|c| c.is_ascii_digit()) {
        return false;
    }
    if !after.is_none_or(|c| c.is_whitespace() || c == ',' || c == '"' || c == ')') {
        return false;
    }
    let is_initial = word_length == 1 && word.chars().all(char::is_alphabetic);
    let is_title = word_length <= LONGEST_TITLE && TITLES.contains(&word);
    !(is_initial || is_title)
}

/// The sentences between consecutive `ends` (sorted, the last the text's length), each trimmed to
/// its visible characters; blank ones are dropped.
fn trimmed(text: &str, ends: &[usize]) -> Vec<Range<usize>> {
    let mut sentences = Vec::new();
    let mut next_end = ends.iter().copied().filter(|&e| e > 0).peekable();
    let mut visible: Option<Range<usize>> = None;
    for (position, c) in text.chars().enumerate() {
        while next_end.peek().is_some_and(|&e| e <= position) {
            sentences.extend(visible.take());
            next_end.next();
        }
        if !c.is_whitespace() {
            match visible.as_mut() {
                Some(range) => range.end = position + 1,
                None => visible = Some(position..position + 1),
            }
        }
    }
    sentences.extend(visible);
    sentences
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
    fn long_blank_runs_cost_one_step_per_character() {
        // 0.4.0 looked ahead from every line break to the next visible character: quadratic here.
        let text = format!(
            "Denies fever.{}Took aspirin.{}",
            "\n".repeat(2_000_000),
            ". ,".repeat(500_000)
        );
        let started = std::time::Instant::now();
        let found = sentences(&text, &[]);
        assert_eq!(found.len(), 2 + 500_000);
        assert!(started.elapsed().as_secs() < 10, "{:?}", started.elapsed());
    }

    #[test]
    fn empty_and_blank_text_have_no_sentences() {
        assert!(sentences("", &[]).is_empty());
        assert!(sentences(" \n\t ", &[]).is_empty());
    }
}
