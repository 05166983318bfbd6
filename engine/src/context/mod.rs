//! What surrounds an entity in its note: the section it sits in and its assertion status.
//!
//! Rule-based stages run after the model, composed by [`NoteContext`]: [`words`] (lower-cased words
//! with character offsets) → [`sections`] (headings) → [`sentences`] (the reach of a trigger) →
//! [`assertion`] (ConText-style triggers). They are cheap next to inference and need no model.

pub mod assertion;
pub mod sections;
pub mod sentences;
pub mod words;

use std::cell::OnceCell;
use std::ops::Range;

pub use assertion::{Assertion, AssertionRules, SentenceTriggers};
pub use sections::Section;

use sections::Heading;
use words::Word;

use crate::Entity;

/// Character ranges of a note's sentences, as assertion scopes see them: section headings stand
/// apart from the text around them.
pub fn sentence_ranges(text: &str) -> Vec<Range<usize>> {
    sentences_between(text, &sections::headings(text))
}

/// A heading neither joins the sentence before it nor reaches into its section's text.
fn sentences_between(text: &str, headings: &[Heading]) -> Vec<Range<usize>> {
    let breaks: Vec<usize> = headings
        .iter()
        .flat_map(|h| [h.chars.start, h.chars.end])
        .collect();
    sentences::sentences(text, &breaks)
}

/// Sets each entity's section and assertion status by `rules`: what the extractor does for every
/// note, and what a session with its own rules does again to entities found elsewhere.
pub fn annotate<'e>(
    note: &str,
    entities: impl IntoIterator<Item = &'e mut Entity>,
    rules: &AssertionRules,
) {
    let mut entities = entities.into_iter().peekable();
    if entities.peek().is_none() {
        return;
    }
    let context = NoteContext::new(note, rules);
    for entity in entities {
        let chars = entity.start..entity.end;
        entity.section = context.section(&chars);
        entity.assertion = context.assertion(&chars);
    }
}

/// A note split into words, sentences and sections, ready to answer for any entity of it.
pub struct NoteContext<'rules> {
    rules: &'rules AssertionRules,
    words: Vec<Word>,
    headings: Vec<Heading>,
    /// Characters of the list after each allergies heading (see [`allergy_lists`]), in order.
    allergy_lists: Vec<Range<usize>>,
    /// Word positions of each sentence, in order.
    sentences: Vec<Range<usize>>,
    /// The assertion triggers of each sentence, found when an entity of the sentence is first asked
    /// about: their index costs memory per word, and most sentences of a long note hold no entity.
    triggers: Vec<OnceCell<SentenceTriggers>>,
}

impl<'rules> NoteContext<'rules> {
    /// `rules` decide the assertion status of the note's entities.
    pub fn new(text: &str, rules: &'rules AssertionRules) -> NoteContext<'rules> {
        let words = words::words(text);
        let headings = sections::headings(text);
        let sentences: Vec<Range<usize>> = sentences_between(text, &headings)
            .into_iter()
            .map(|chars| {
                let first = words.partition_point(|w| w.chars.start < chars.start);
                let end = words.partition_point(|w| w.chars.start < chars.end);
                first..end
            })
            .collect();
        let triggers = sentences.iter().map(|_| OnceCell::new()).collect();
        let allergy_lists = allergy_lists(text, &headings);
        NoteContext {
            rules,
            words,
            headings,
            allergy_lists,
            sentences,
            triggers,
        }
    }

    /// The section of the entity at these characters.
    pub fn section(&self, entity: &Range<usize>) -> Option<Section> {
        sections::section_at(&self.headings, entity.start)
    }

    /// The assertion status of the entity at these characters.
    pub fn assertion(&self, entity: &Range<usize>) -> Assertion {
        let first = self.words.partition_point(|w| w.chars.end <= entity.start);
        let end = self.words.partition_point(|w| w.chars.start < entity.end);
        let index = self.sentences.partition_point(|s| s.end <= first);
        let Some(sentence) = self.sentences.get(index).filter(|s| s.start <= first) else {
            return Assertion::Present;
        };
        let in_sentence = first - sentence.start..end.min(sentence.end) - sentence.start;
        // An allergies heading makes an allergy of its list, not of whatever follows it up to the
        // next heading it knows (notes run "ALLERGIES: None. CURRENT MEDS: ..." together).
        let default_from = self
            .section(entity)
            .filter(|&section| section != Section::Allergies || self.in_allergy_list(entity.start));
        self.triggers[index]
            .get_or_init(|| self.rules.prepare(&self.words[sentence.clone()]))
            .assertion(in_sentence, default_from)
    }

    fn in_allergy_list(&self, position: usize) -> bool {
        let before = self
            .allergy_lists
            .partition_point(|list| list.start <= position);
        before
            .checked_sub(1)
            .is_some_and(|last| self.allergy_lists[last].contains(&position))
    }
}

/// The list after each allergies heading: from the heading to its first full stop, colon,
/// semicolon, question or exclamation mark, or to the next heading. "ALLERGIES: Penicillin, sulfa
/// and codeine." and a list over several lines are all allergies; "ALLERGIES: None. CURRENT
/// MEDICATION: Zyrtec" ends at "None." One pass over the note.
fn allergy_lists(text: &str, headings: &[Heading]) -> Vec<Range<usize>> {
    if !headings.iter().any(|h| h.section == Section::Allergies) {
        return Vec::new();
    }
    let mut lists = Vec::new();
    let mut open: Option<usize> = None;
    let mut next_heading = 0;
    let mut length = 0;
    for (position, character) in text.chars().enumerate() {
        while let Some(heading) = headings
            .get(next_heading)
            .filter(|h| h.chars.end <= position)
        {
            if let Some(start) = open.take() {
                lists.push(start..heading.chars.start);
            }
            if heading.section == Section::Allergies {
                open = Some(heading.chars.end);
            }
            next_heading += 1;
        }
        if let Some(start) = open {
            if matches!(character, '.' | ':' | ';' | '!' | '?') {
                lists.push(start..position);
                open = None;
            }
        }
        length = position + 1;
    }
    if let Some(start) = open {
        lists.push(start..length);
    }
    lists
}

#[cfg(test)]
mod tests {
    use super::*;

    fn annotate(note: &str, mention: &str) -> (Assertion, Option<Section>) {
        let byte = note.find(mention).expect("mention in note");
        let start = note[..byte].chars().count();
        let entity = start..start + mention.chars().count();
        let context = NoteContext::new(note, AssertionRules::builtin());
        (context.assertion(&entity), context.section(&entity))
    }

    #[test]
    fn an_allergies_heading_makes_allergies_of_its_list_only() {
        let note = "ALLERGIES: Penicillin, sulfa and codeine. Lisinopril daily.\nALLERGIES:\nIodine - hives\nLatex\nMEDICATIONS: aspirin.\nAllergies: None. Current medication: Zyrtec.";
        for allergen in ["Penicillin", "sulfa", "codeine", "Iodine", "hives", "Latex"] {
            assert_eq!(annotate(note, allergen).0, Assertion::Allergy, "{allergen}");
        }
        assert_eq!(
            annotate(note, "Lisinopril"),
            (Assertion::Present, Some(Section::Allergies))
        );
        assert_eq!(annotate(note, "aspirin").0, Assertion::Present);
        assert_eq!(annotate(note, "Zyrtec").0, Assertion::Present);
    }

    #[test]
    fn a_trigger_does_not_cross_sentences_or_headings() {
        let note = "She denies fever. Cough for 3 days.\nFAMILY HISTORY: Father with diabetes.\nMEDICATIONS: metformin.";
        assert_eq!(annotate(note, "fever"), (Assertion::Absent, None));
        assert_eq!(annotate(note, "Cough"), (Assertion::Present, None));
        assert_eq!(
            annotate(note, "diabetes"),
            (Assertion::Family, Some(Section::FamilyHistory))
        );
        assert_eq!(
            annotate(note, "metformin"),
            (Assertion::Present, Some(Section::Medications))
        );
    }

    #[test]
    fn offsets_count_characters_not_bytes() {
        let note = "Ödem und Übelkeit. No nausea.";
        assert_eq!(annotate(note, "nausea").0, Assertion::Absent);
        assert_eq!(annotate(note, "Übelkeit").0, Assertion::Present);
    }

    #[test]
    fn one_sentence_of_many_entities_and_terminators() {
        // 20,000 entities and 20,000 terminators in one sentence: each status is found near it.
        let note = format!("No aspirin{}", " ; aspirin".repeat(20_000));
        let context = NoteContext::new(&note, AssertionRules::builtin());
        assert_eq!(context.assertion(&(3..10)), Assertion::Absent);
        let last = note.len() - "aspirin".len()..note.len();
        assert_eq!(context.assertion(&last), Assertion::Present);
    }

    #[test]
    fn as_many_headings_as_entities() {
        let note = "Plan: rest.\n".to_string() + &"ALLERGIES: aspirin.\n".repeat(20_000);
        let context = NoteContext::new(&note, AssertionRules::builtin());
        assert_eq!(context.section(&(0..4)), Some(Section::AssessmentAndPlan));
        let last = note.len() - "aspirin.\n".len();
        assert_eq!(context.section(&(last..last + 7)), Some(Section::Allergies));
    }

    #[test]
    fn entities_outside_any_word_are_present() {
        let context = NoteContext::new("   ", AssertionRules::builtin());
        assert_eq!(context.assertion(&(0..2)), Assertion::Present);
        assert_eq!(context.section(&(0..2)), None);
    }
}
