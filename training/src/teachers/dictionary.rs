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

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use aho_corasick::{AhoCorasick, Anchored, Input, Match, MatchKind, StartKind};
use clinical_ner_engine::EntityType::{self, Disease, Medication, Symptom};

use crate::corpus::Span;
use crate::lexicons::{self, read_table};
use crate::Result;

/// Longer entries are chemical or product descriptions that a note never spells out.
const MAX_TERM_WORDS: usize = 10;

/// An entry may not begin or end with one of these ("pain of", "the flu").
const FUNCTION_WORDS: &str =
    "a an and are as at be but by for from had has have he her his i in is \
    it its me my no not of on or our she so that the their them they this to was we were with you \
    your all any can did do does done per same may will";
/// Single words that are never an entry on their own, besides the function words.
const STOP_WORDS: &str =
    "one two three four five six seven eight nine ten left right day days week \
    weeks year years month months time times total normal other unknown";
/// Entries the vocabularies list but that clinical notes mostly use otherwise.
const AMBIGUOUS: &str = "disease diseases syndrome disorder disorders abnormality abnormalities \
    finding findings symptom symptoms sign signs illness condition conditions medication medications \
    medicine drug drugs treatment therapy patient history complaint complaints status chronic acute \
    mild severe moderate positive negative increased decreased elevated reduced abnormal high low \
    large small mass lesion lesions injury trauma stress obese tall short fall falls death sinus \
    stools stool bowel movement appetite all sleep alert plan cold heat fluid fluids balance pressure \
    rate exercise aid gas air contrast tape dressing suture sutures sterile prep block discharge \
    aspiration cutting tearing afebrile collecting irritable unresponsive abortion";
const AMBIGUOUS_PHRASES: &[&str] = &[
    "blood pressure",
    "high blood pressure",
    "low blood pressure",
    "bowel movement",
    "small finger",
];
/// RxNorm's list names devices and tissue products; notes use these words for the device, the organ
/// or the test.
const NOT_MEDICATION: &str = "vicryl prolene monocryl chromic silk nylon catheter needle clamp \
    cannula gauze syringe dressing bandage tape pouch drain strip dermabond viscoat tegaderm foley \
    ultrasound colon nasal rectal oral thyroid testis pediatric cartilage lipid titanium diaphragm \
    pancreas ellipse crest allis hank guaiac barium vitals cmp bnp ppd pcp peg fnf tandem symmetry \
    posture hose liner daytime isolate luminal strap wheelchair irrigator inhaler prenatal \
    electrolytes carbohydrate carbohydrates sulfate thymus bronchial hemorrhoidal latex";
const NOT_MEDICATION_PHRASES: &[&str] = &[
    "red blood cells",
    "bone marrow",
    "glucose control",
    "alkaline phosphatase",
    "tracheostomy",
    "eye patch",
    "wound care",
    "prenatal care",
    "sterile water",
];
/// Notes report these as results ("sodium 139"), not as something given.
const LAB_ANALYTES: &str = "sodium potassium chloride bicarbonate calcium magnesium phosphorus \
    phosphate glucose creatinine urea bun albumin bilirubin cholesterol triglycerides hemoglobin \
    hematocrit iron ferritin lactate troponin oxygen";
/// Single-word drug names as common as Zipf 4.0 in general English (the `wordfreq` package's scale:
/// about once per 10,000 words), as that test removed them from the current vocabulary files when
/// the labeller was written in Python, written out. Its disease and symptom limit (Zipf 5.3) removes
/// nothing the other filters keep, so it has no list here.
const COMMON_WORDS: &str = "abc active alcohol aluminum android apple banana barrier basis beam beef \
    beer belt blade boost boston bottle burn butter camp cannabis caps capture carbon central century \
    cherry chicken chocolate collar com commit companion compete concept container control cop cope \
    copper corn correct cotton date deliver des diamond dig dimension disc dragon duck dump duration \
    egg elder ensure fiber fig filter flavor fleet flour flowers gentle gloves gold gps hip hmm honey \
    impact information insects inspire lamb lead legacy legend lemon liver maintain marijuana mask \
    mate matrix mercury met milk momentum monitor mph mps ocean olive orange pat patrol pearl perform \
    platinum pork potato precise process promote protein proteins purpose rabbit react relief \
    resource revolution rice ring rose salmon sam savings silicon silver soap solo sugar supply \
    support supreme throat tobacco top turkey urban valve vital walker water wheat wine";

/// Words that make an HPO term a disease name.
const DISEASE_HEAD_WORDS: &str = "disease diseases syndrome syndromes cancer cancers tumor tumors \
    tumour tumours neoplasm neoplasms infection infections diabetes disorder disorders failure \
    stenosis hernia hernias fracture fractures";
const DISEASE_SUFFIXES: &[&str] = &["itis", "oma", "omas", "pathy", "pathies", "emia", "emias"];

/// One open vocabulary under the data folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vocabulary {
    /// medExtractR's RxNorm-derived drug list and its medication abbreviations.
    RxNorm,
    /// DrugBank open vocabulary: common names and synonyms.
    DrugBank,
    /// Human Disease Ontology labels.
    DiseaseOntology,
    /// Symptom Ontology names and exact synonyms, with medExtractR's symptom expressions.
    SymptomOntology,
    /// HPO terms under Phenotypic abnormality, as diseases or symptoms (see the module docs).
    Hpo,
}

impl Vocabulary {
    pub const ALL: [Vocabulary; 5] = [
        Vocabulary::RxNorm,
        Vocabulary::DrugBank,
        Vocabulary::DiseaseOntology,
        Vocabulary::SymptomOntology,
        Vocabulary::Hpo,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Vocabulary::RxNorm => "rxnorm",
            Vocabulary::DrugBank => "drugbank",
            Vocabulary::DiseaseOntology => "disease-ontology",
            Vocabulary::SymptomOntology => "symptom-ontology",
            Vocabulary::Hpo => "hpo",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.name() == name)
    }

    /// The types this vocabulary labels.
    pub fn types(self) -> &'static [EntityType] {
        match self {
            Vocabulary::RxNorm | Vocabulary::DrugBank => &[Medication],
            Vocabulary::DiseaseOntology => &[Disease],
            Vocabulary::SymptomOntology => &[Symptom],
            Vocabulary::Hpo => &[Disease, Symptom],
        }
    }

    fn entries(self, data_dir: &Path) -> Result<Vec<(EntityType, String)>> {
        let typed = |t: EntityType, names: Vec<String>| names.into_iter().map(move |n| (t, n));
        Ok(match self {
            Vocabulary::RxNorm => typed(Medication, rxnorm_names(data_dir)?).collect(),
            Vocabulary::DrugBank => typed(Medication, drugbank_names(data_dir)?).collect(),
            Vocabulary::DiseaseOntology => typed(Disease, disease_names(data_dir)?).collect(),
            Vocabulary::SymptomOntology => typed(Symptom, symptom_names(data_dir)?).collect(),
            Vocabulary::Hpo => {
                let disease_keys: HashSet<String> = disease_names(data_dir)?
                    .iter()
                    .flat_map(|name| variants(name, Disease))
                    .map(|variant| words(&variant).join(" "))
                    .collect();
                let mut entries = Vec::new();
                for term in lexicons::hpo_phenotypes(data_dir)? {
                    let strings = term.strings;
                    let is_disease = strings.iter().any(|s| {
                        reads_like_disease(s)
                            || variants(s, Symptom)
                                .iter()
                                .any(|v| disease_keys.contains(&words(v).join(" ")))
                    });
                    let t = if is_disease { Disease } else { Symptom };
                    entries.extend(typed(t, strings));
                }
                entries
            }
        })
    }
}

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

/// The entries that would mostly fire on ordinary English.
struct Filters {
    function_words: HashSet<&'static str>,
    stop_words: HashSet<&'static str>,
    ambiguous: HashSet<&'static str>,
    not_medication: HashSet<&'static str>,
    common_words: HashSet<&'static str>,
}

impl Filters {
    fn new() -> Self {
        let set = |words: &'static str| words.split_whitespace().collect::<HashSet<_>>();
        let function_words = set(FUNCTION_WORDS);
        let mut stop_words = set(STOP_WORDS);
        stop_words.extend(&function_words);
        let mut ambiguous = set(AMBIGUOUS);
        ambiguous.extend(AMBIGUOUS_PHRASES);
        let mut not_medication = set(NOT_MEDICATION);
        not_medication.extend(NOT_MEDICATION_PHRASES);
        not_medication.extend(set(LAB_ANALYTES));
        Filters {
            function_words,
            stop_words,
            ambiguous,
            not_medication,
            common_words: set(COMMON_WORDS),
        }
    }

    /// Whether the variant made of `key` (its words) of vocabulary entry `entry` may be matched.
    fn usable(&self, key: &[String], entity_type: EntityType, entry: &str) -> bool {
        let (Some(first), Some(last)) = (key.first(), key.last()) else {
            return false;
        };
        let letters: usize = key.iter().map(|w| w.chars().count()).sum();
        if key.len() > MAX_TERM_WORDS || letters < 3 {
            return false;
        }
        if !key.iter().any(|w| w.chars().all(char::is_alphabetic)) {
            return false;
        }
        let phrase = key.join(" ");
        // The entry is checked too, so that the plural made of an ambiguous word goes with it.
        if self.ambiguous.contains(phrase.as_str())
            || self.ambiguous.contains(words(entry).join(" ").as_str())
        {
            return false;
        }
        let medication = entity_type == Medication;
        if medication && self.not_medication.contains(phrase.as_str()) {
            return false;
        }
        if key.len() == 1
            && (self.stop_words.contains(first.as_str())
                || first.chars().count() < 3
                || medication && self.common_words.contains(first.as_str()))
        {
            return false;
        }
        !self.function_words.contains(first.as_str())
            && !self.function_words.contains(last.as_str())
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

/// Whether an HPO string names a disease rather than a sign: a word in -itis, -oma, -pathy or
/// -emia, or a head word such as "syndrome" or "failure".
fn reads_like_disease(text: &str) -> bool {
    let lower = text.to_lowercase();
    lower.split(|c: char| !c.is_alphanumeric()).any(|word| {
        DISEASE_HEAD_WORDS.split_whitespace().any(|w| w == word)
            || DISEASE_SUFFIXES
                .iter()
                .any(|suffix| word.ends_with(suffix) && word.chars().count() >= suffix.len() + 3)
    })
}

fn drugbank_names(data_dir: &Path) -> Result<Vec<String>> {
    Ok(strings(lexicons::drugbank(data_dir)?))
}

/// Every string of every concept, in order.
fn strings(concepts: Vec<lexicons::Concept>) -> Vec<String> {
    concepts.into_iter().flat_map(|c| c.strings).collect()
}

fn rxnorm_names(data_dir: &Path) -> Result<Vec<String>> {
    let rxnorm = data_dir.join("lexicon-rxnorm-druglist-medextractr");
    let list = crate::readers::read_text(&rxnorm.join("rxnorm_druglist.txt"))?;
    let mut names: Vec<String> = list.lines().map(str::to_owned).collect();
    names.extend(extra_expressions(data_dir, "med abbreviation")?);
    Ok(names)
}

fn disease_names(data_dir: &Path) -> Result<Vec<String>> {
    Ok(strings(lexicons::disease_ontology(data_dir)?))
}

fn symptom_names(data_dir: &Path) -> Result<Vec<String>> {
    let mut names = strings(lexicons::symptom_ontology(data_dir)?);
    names.extend(extra_expressions(data_dir, "symptoms")?);
    Ok(names)
}

/// medExtractR's extra expressions of one type.
fn extra_expressions(data_dir: &Path, kind: &str) -> Result<Vec<String>> {
    let path = data_dir.join("lexicon-rxnorm-druglist-medextractr/addl_expr.tsv");
    Ok(read_table(&path, b'\t', &["expr", "type"])?
        .into_iter()
        .filter(|row| row[1] == kind)
        .map(|mut row| row.swap_remove(0))
        .collect())
}

#[cfg(test)]
mod tests {
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
