//! Mentions an LLM copied out of a note, found back in the note as character spans.
//!
//! Every occurrence counts (the model lists a wording once), exact case first; a mention found
//! nowhere with its own case is looked for again ignoring ASCII case, since models often capitalise
//! the first word. A match may not cut a word. Overlaps go to the longer mention ("type 2 diabetes"
//! over "diabetes"). A mention found nowhere is a hallucination (or a paraphrase) and is counted.

use aho_corasick::{AhoCorasick, MatchKind};
use clinical_ner_engine::EntityType;

use crate::corpus::{CharText, Span};
use crate::teachers::dictionary::cuts_word;

/// Spans of one type and how many distinct mentions were not in the text.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Located {
    pub spans: Vec<Span>,
    pub not_found: usize,
}

pub fn locate(text: &str, mentions: &[String], entity_type: EntityType) -> Located {
    let mut distinct: Vec<&str> = mentions.iter().map(String::as_str).collect();
    distinct.sort_unstable();
    distinct.dedup();
    let mut found = vec![false; distinct.len()];
    let mut matches = whole_word_matches(text, &distinct, false, &mut found);
    let missing: Vec<&str> = distinct
        .iter()
        .zip(&found)
        .filter(|(_, &f)| !f)
        .map(|(m, _)| *m)
        .collect();
    let mut found_ignoring_case = vec![false; missing.len()];
    matches.extend(whole_word_matches(
        text,
        &missing,
        true,
        &mut found_ignoring_case,
    ));
    let not_found = found_ignoring_case.iter().filter(|&&f| !f).count();

    // Longest first, then leftmost; a match overlapping one already kept is dropped.
    matches.sort_by_key(|&(start, end)| (std::cmp::Reverse(end - start), start));
    let mut kept: Vec<(usize, usize)> = Vec::new();
    for (start, end) in matches {
        if kept.iter().all(|&(s, e)| end <= s || e <= start) {
            kept.push((start, end));
        }
    }
    kept.sort_unstable();
    let chars = CharText::new(text);
    let spans = kept
        .into_iter()
        .map(|(start, end)| Span::new(chars.char_at(start), chars.char_at(end), entity_type))
        .collect();
    Located { spans, not_found }
}

/// Byte ranges of every whole-word occurrence of `patterns`, overlapping ones included; marks the
/// patterns found.
fn whole_word_matches(
    text: &str,
    patterns: &[&str],
    ignore_ascii_case: bool,
    found: &mut [bool],
) -> Vec<(usize, usize)> {
    if patterns.is_empty() {
        return Vec::new();
    }
    let automaton = AhoCorasick::builder()
        .match_kind(MatchKind::Standard)
        .ascii_case_insensitive(ignore_ascii_case)
        .build(patterns)
        .expect("a few hundred mentions fit the automaton");
    automaton
        .find_overlapping_iter(text)
        .filter(|m| !cuts_word(text, m.start()) && !cuts_word(text, m.end()))
        .map(|m| {
            found[m.pattern().as_usize()] = true;
            (m.start(), m.end())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use EntityType::Disease;

    fn located(text: &str, mentions: &[&str]) -> (Vec<&'static str>, usize) {
        let mentions: Vec<String> = mentions.iter().map(|m| m.to_string()).collect();
        let result = locate(text, &mentions, Disease);
        let chars: Vec<char> = text.chars().collect();
        let found = result
            .spans
            .iter()
            .map(|s| &*chars[s.start..s.end].iter().collect::<String>().leak())
            .collect();
        (found, result.not_found)
    }

    #[test]
    fn finds_every_occurrence() {
        assert_eq!(
            located("asthma; later asthma again", &["asthma"]),
            (vec!["asthma", "asthma"], 0)
        );
    }

    #[test]
    fn falls_back_to_ignoring_case_only_for_mentions_not_found_as_written() {
        assert_eq!(
            located("Asthma and asthma; Gout", &["asthma", "gout"]),
            (vec!["asthma", "Gout"], 0)
        );
    }

    #[test]
    fn never_cuts_a_word_and_counts_what_is_missing() {
        assert_eq!(
            located("gastritis", &["gastritis", "itis", "lupus"]),
            (vec!["gastritis"], 2)
        );
    }

    #[test]
    fn the_longer_mention_wins_an_overlap() {
        assert_eq!(
            located("type 2 diabetes mellitus", &["diabetes", "type 2 diabetes"]),
            (vec!["type 2 diabetes"], 0)
        );
    }

    #[test]
    fn offsets_are_characters() {
        let mentions = vec!["fièvre".to_owned()];
        let result = locate("née: fièvre", &mentions, Disease);
        assert_eq!(result.spans, vec![Span::new(5, 11, Disease)]);
    }
}
