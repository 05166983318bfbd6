//! Which vocabulary entries the dictionary teacher leaves out because they would mostly fire on
//! ordinary English: short words, function and stop words, words common in general English, words the
//! vocabularies list but notes use otherwise, devices and lab analytes among the drug names.

use std::collections::HashSet;

use clinical_ner_engine::EntityType::{self, Medication};

use super::words;

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

/// The entries that would mostly fire on ordinary English.
pub(super) struct Filters {
    function_words: HashSet<&'static str>,
    stop_words: HashSet<&'static str>,
    ambiguous: HashSet<&'static str>,
    not_medication: HashSet<&'static str>,
    common_words: HashSet<&'static str>,
}

impl Filters {
    pub(super) fn new() -> Self {
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
    pub(super) fn usable(&self, key: &[String], entity_type: EntityType, entry: &str) -> bool {
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
