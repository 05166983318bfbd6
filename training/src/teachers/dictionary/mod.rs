//! The dictionary teacher: medication, disease and symptom spans from open vocabularies.
//!
//! It labels the silver training sentences and fills the types a public corpus does not annotate
//! ([`crate::training_mix`]), and is a teacher of its own in teacher selection:
//! - medication: DrugBank open vocabulary common names and synonyms, medExtractR's RxNorm-derived
//!   drug list and its medication abbreviations;
//! - disease: Human Disease Ontology labels (the reports carry no synonyms);
//! - symptom: Symptom Ontology names and exact synonyms, medExtractR's symptom expressions, and HPO
//!   terms under Phenotypic abnormality (names and exact synonyms, layperson ones included).
//!
//! HPO mixes signs with diseases ("Type II diabetes mellitus"): an HPO term is a disease when one of
//! its strings is a Disease Ontology label or reads like a disease name, otherwise a symptom, which
//! is also how MACCROBAT's Sign_symptom reads. Entries that would mostly fire on ordinary English are
//! left out (see [`Filters`]).
//!
//! Matching is one Aho-Corasick pass over the note, ASCII case-insensitive and leftmost-longest, and
//! a match may not cut a word: where the longest match at a position does, the next longest there is
//! tried. Spans are character offsets, sorted and non-overlapping; the longer match wins. A string
//! that several vocabularies claim takes one type when the dictionary is built, disease over symptom
//! over medication: the drug lists name products "Cough", "Seizure" and
//! "Influenza" (a vaccine), which in a note are nearly always the finding.

mod filters;
mod vocabularies;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use aho_corasick::{AhoCorasick, Anchored, Input, Match, MatchKind, StartKind};
use clinical_ner_engine::EntityType::{self, Disease, Medication, Symptom};

use crate::corpus::Span;
use crate::Result;

use filters::Filters;
pub use vocabularies::Vocabulary;

pub struct DictionaryTeacher {
    automaton: AhoCorasick,
    /// The type of each pattern, by pattern id.
    types: Vec<EntityType>,
}

impl DictionaryTeacher {
    /// The dictionary of every vocabulary folder under `data_dir` (the shared data folder).
    pub fn load(data_dir: &Path) -> Result<Self> {
        Self::load_vocabularies(data_dir, &Vocabulary::ALL)
    }

    /// The dictionary of some of the vocabularies: each one alone is a teacher of its own in
    /// teacher selection, as RxNorm and SNOMED CT were in arXiv 2501.00031.
    pub fn load_vocabularies(data_dir: &Path, vocabularies: &[Vocabulary]) -> Result<Self> {
        let mut typed: Vec<(EntityType, String)> = Vec::new();
        for vocabulary in vocabularies {
            typed.extend(vocabulary.entries(data_dir)?);
        }
        Self::new(typed.iter().map(|(t, n)| (*t, n.as_str())))
    }

    /// A dictionary of the given vocabulary entries, with their variants ("type 2" for "type II",
    /// plurals of diseases and symptoms) and without the entries [`Filters`] rejects.
    pub fn new<'a>(entries: impl IntoIterator<Item = (EntityType, &'a str)>) -> Result<Self> {
        let filters = Filters::new();
        let mut claims: HashMap<String, EntityType> = HashMap::new();
        for (entity_type, entry) in entries {
            for variant in variants(entry, entity_type) {
                if !filters.usable(&words(&variant), entity_type, entry) {
                    continue;
                }
                claims
                    .entry(variant)
                    .and_modify(|t| {
                        if precedence(entity_type) < precedence(*t) {
                            *t = entity_type;
                        }
                    })
                    .or_insert(entity_type);
            }
        }
        let (patterns, types): (Vec<String>, Vec<EntityType>) = claims.into_iter().unzip();
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .ascii_case_insensitive(true)
            .start_kind(StartKind::Both)
            .build(&patterns)?;
        Ok(DictionaryTeacher { automaton, types })
    }

    /// How many distinct strings (variants included) the dictionary matches, per type.
    pub fn term_counts(&self) -> BTreeMap<EntityType, usize> {
        let mut counts: BTreeMap<EntityType, usize> =
            EntityType::ALL.iter().map(|&t| (t, 0)).collect();
        for &t in &self.types {
            *counts.entry(t).or_default() += 1;
        }
        counts
    }

    /// The dictionary's matches in `text`: character offsets, sorted, non-overlapping.
    pub fn label(&self, text: &str) -> Vec<Span> {
        let mut spans = Vec::new();
        // Byte offsets become character offsets by counting forward from the previous span, so
        // the whole note is walked once.
        let (mut counted_bytes, mut counted_chars) = (0, 0);
        let mut at = 0;
        while let Some(found) = self.automaton.find(Input::new(text).range(at..)) {
            let start = found.start();
            let Some(found) = self.whole_words(text, found) else {
                at = start + text[start..].chars().next().map_or(1, char::len_utf8);
                continue;
            };
            let start_char = counted_chars + text[counted_bytes..start].chars().count();
            let end_char = start_char + text[start..found.end()].chars().count();
            spans.push(Span {
                start: start_char,
                end: end_char,
                entity_type: self.types[found.pattern().as_usize()],
            });
            (counted_bytes, counted_chars) = (found.end(), end_char);
            at = found.end();
        }
        spans
    }

    /// The type of `mention` when the whole of it is one dictionary entry.
    pub fn entry_type(&self, mention: &str) -> Option<EntityType> {
        match self.label(mention).as_slice() {
            [only] if only.start == 0 && only.end == mention.chars().count() => {
                Some(only.entity_type)
            }
            _ => None,
        }
    }

    /// `found`, or the longest shorter match at its start, that cuts no word; `None` if none does.
    fn whole_words(&self, text: &str, mut found: Match) -> Option<Match> {
        if cuts_word(text, found.start()) {
            return None;
        }
        while cuts_word(text, found.end()) {
            let shorter = Input::new(text)
                .range(found.start()..found.end() - 1)
                .anchored(Anchored::Yes);
            found = self.automaton.find(shorter)?;
        }
        Some(found)
    }
}

/// Whether byte offset `at` falls between two letters or digits.
pub(crate) fn cuts_word(text: &str, at: usize) -> bool {
    let before = text[..at].chars().next_back();
    let after = text[at..].chars().next();
    before.is_some_and(char::is_alphanumeric) && after.is_some_and(char::is_alphanumeric)
}

/// Lower is preferred when one string is in two vocabularies.
fn precedence(entity_type: EntityType) -> u8 {
    match entity_type {
        Disease => 0,
        Symptom => 1,
        Medication => 2,
    }
}

/// The words of a string, lowercased, as the engine's rule stages split a note.
fn words(text: &str) -> Vec<String> {
    clinical_ner_engine::context::words::phrase_words(text)
}

/// The lowercased entry and the forms notes write it in: "type 2" for "type II", without a final
/// "mellitus", and, for diseases and symptoms, the plural (drug names are not pluralised).
/// Whitespace runs become one space, because the automaton matches text, not words.
fn variants(entry: &str, entity_type: EntityType) -> Vec<String> {
    let entry = entry.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut found = vec![entry.to_lowercase()];
    for (from, to) in [("type ii", "type 2"), ("type i", "type 1")] {
        let replaced: Vec<String> = found
            .iter()
            .filter_map(|v| replace_words(v, from, to))
            .collect();
        found.extend(replaced);
    }
    let shortened: Vec<String> = found
        .iter()
        .filter_map(|v| v.strip_suffix(" mellitus").map(str::to_owned))
        .collect();
    found.extend(shortened);
    if entity_type != Medication {
        let plurals: Vec<String> = found.iter().filter_map(|v| plural(v)).collect();
        found.extend(plurals);
    }
    found.sort_unstable();
    found.dedup();
    found
}

/// The plural of a term ending in a word of four or more ASCII letters: "s", or "es" after a
/// sibilant, which also catches "abscesses" and "rashes".
fn plural(term: &str) -> Option<String> {
    let tail = term.chars().rev().take(4);
    if tail.clone().count() < 4 || !tail.into_iter().all(|c| c.is_ascii_lowercase()) {
        return None;
    }
    let sibilant = ["s", "x", "z", "ch", "sh"]
        .iter()
        .any(|s| term.ends_with(s));
    Some(format!("{term}{}", if sibilant { "es" } else { "s" }))
}

/// `text` with every whole-word occurrence of `from` replaced, or `None` if there is none.
fn replace_words(text: &str, from: &str, to: &str) -> Option<String> {
    let is_word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    let mut replaced = String::new();
    let mut copied = 0;
    for (at, _) in text.match_indices(from) {
        let end = at + from.len();
        if is_word(text[..at].chars().next_back()) || is_word(text[end..].chars().next()) {
            continue;
        }
        replaced.push_str(&text[copied..at]);
        replaced.push_str(to);
        copied = end;
    }
    (copied > 0).then(|| replaced + &text[copied..])
}

#[cfg(test)]
mod tests {
    use super::vocabularies::reads_like_disease;
    use super::*;

    fn teacher(entries: &[(EntityType, &str)]) -> DictionaryTeacher {
        DictionaryTeacher::new(entries.iter().copied()).unwrap()
    }

    fn spans(teacher: &DictionaryTeacher, text: &str) -> Vec<(usize, usize, EntityType)> {
        teacher
            .label(text)
            .into_iter()
            .map(|s| (s.start, s.end, s.entity_type))
            .collect()
    }

    #[test]
    fn matches_only_whole_words() {
        let t = teacher(&[(Medication, "aspirin")]);
        assert_eq!(
            spans(&t, "aspirinx xaspirin aspirin2 aspirin-induced, (aspirin)"),
            [(27, 34, Medication), (45, 52, Medication)]
        );
    }

    #[test]
    fn prefers_the_longest_match() {
        let t = teacher(&[(Disease, "diabetes"), (Disease, "type 2 diabetes")]);
        assert_eq!(spans(&t, "has type 2 diabetes"), [(4, 19, Disease)]);
        assert_eq!(spans(&t, "diabetes"), [(0, 8, Disease)]);
    }

    #[test]
    fn falls_back_to_a_shorter_match_when_the_longest_cuts_a_word() {
        let t = teacher(&[(Symptom, "chest pain"), (Symptom, "chest")]);
        assert_eq!(spans(&t, "chest painful"), [(0, 5, Symptom)]);
    }

    #[test]
    fn folds_plurals_of_diseases_and_symptoms_not_drugs() {
        let t = teacher(&[
            (Symptom, "headache"),
            (Disease, "abscess"),
            (Medication, "aspirin"),
        ]);
        assert_eq!(
            spans(&t, "headaches, abscesses, aspirins"),
            [(0, 9, Symptom), (11, 20, Disease)]
        );
    }

    #[test]
    fn ignores_case() {
        let t = teacher(&[(Medication, "Aspirin")]);
        assert_eq!(
            spans(&t, "ASPIRIN aspirin AsPiRiN"),
            [
                (0, 7, Medication),
                (8, 15, Medication),
                (16, 23, Medication)
            ]
        );
    }

    #[test]
    fn counts_offsets_in_characters() {
        let t = teacher(&[(Medication, "aspirin"), (Symptom, "fever")]);
        assert_eq!(
            spans(&t, "Fièvre → fever; café aspirin"),
            [(9, 14, Symptom), (21, 28, Medication)]
        );
    }

    #[test]
    fn writes_type_ii_as_type_2_and_drops_mellitus() {
        let t = teacher(&[(Disease, "Type II diabetes mellitus")]);
        assert_eq!(
            spans(&t, "type 2 diabetes; type ii diabetes mellitus"),
            [(0, 15, Disease), (17, 42, Disease)]
        );
    }

    #[test]
    fn a_string_in_two_vocabularies_is_disease_then_symptom_then_medication() {
        let t = teacher(&[
            (Medication, "cough"),
            (Symptom, "cough"),
            (Medication, "influenza"),
            (Disease, "influenza"),
        ]);
        assert_eq!(
            spans(&t, "cough, influenza"),
            [(0, 5, Symptom), (7, 16, Disease)]
        );
    }

    #[test]
    fn leaves_out_entries_that_are_ordinary_english() {
        let t = teacher(&[
            (Medication, "water"),
            (Medication, "sodium"),
            (Symptom, "blood pressure"),
            (Disease, "the flu"),
            (Symptom, "pain of"),
            (Disease, "syndrome"),
            (Symptom, "ab"),
        ]);
        assert_eq!(t.term_counts().values().sum::<usize>(), 0);
        assert!(t
            .label("water, sodium, blood pressure, the flu, pain of, syndromes, ab")
            .is_empty());
    }

    #[test]
    fn hpo_disease_names() {
        assert!(reads_like_disease("Hepatocellular carcinoma"));
        assert!(reads_like_disease("Renal failure"));
        assert!(!reads_like_disease("Headache"));
        assert!(!reads_like_disease("Fever"));
    }
}
