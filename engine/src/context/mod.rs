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

/// A note split into words, sentences and sections, ready to answer for any entity of it.
pub struct NoteContext<'rules> {
    rules: &'rules AssertionRules,
    words: Vec<Word>,
    headings: Vec<Heading>,
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
        // A heading neither joins the sentence before it nor reaches into its section's text.
        let breaks: Vec<usize> = headings
            .iter()
            .flat_map(|h| [h.chars.start, h.chars.end])
            .collect();
        let sentences: Vec<Range<usize>> = sentences::sentences(text, &breaks)
            .into_iter()
            .map(|chars| {
                let first = words.partition_point(|w| w.chars.start < chars.start);
                let end = words.partition_point(|w| w.chars.start < chars.end);
                first..end
            })
            .collect();
        let triggers = sentences.iter().map(|_| OnceCell::new()).collect();
        NoteContext {
            rules,
            words,
            headings,
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
        self.triggers[index]
            .get_or_init(|| self.rules.prepare(&self.words[sentence.clone()]))
            .assertion(in_sentence, self.section(entity))
    }
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
