//! Note sections: which part of the note ("medications on admission", "allergies", "family history")
//! each position belongs to.
//!
//! A heading is a known phrase followed by a colon, at the start of a line in any case, or anywhere
//! in capitals after a comma or full stop (MTSamples-style notes, whose line breaks became commas).
//! Only known headings change the section: organ-system sub-headings inside a review of systems
//! ("HEENT:", "CARDIOVASCULAR:") are not in the table, so they do not end it.

use std::fmt;
use std::ops::Range;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Section {
    ChiefComplaint,
    HistoryOfPresentIllness,
    PastMedicalHistory,
    PastSurgicalHistory,
    Medications,
    DischargeMedications,
    Allergies,
    FamilyHistory,
    SocialHistory,
    ReviewOfSystems,
    PhysicalExamination,
    Results,
    HospitalCourse,
    Diagnoses,
    Procedures,
    AssessmentAndPlan,
}

use Section::*;

/// Heading phrases (lower case, single spaces) and the section each opens.
const HEADINGS: &[(&str, Section)] = &[
    ("chief complaint", ChiefComplaint),
    ("cc", ChiefComplaint),
    ("reason for visit", ChiefComplaint),
    ("reason for consultation", ChiefComplaint),
    ("reason for referral", ChiefComplaint),
    ("presenting complaint", ChiefComplaint),
    ("history of present illness", HistoryOfPresentIllness),
    ("history of the present illness", HistoryOfPresentIllness),
    ("present illness", HistoryOfPresentIllness),
    ("hpi", HistoryOfPresentIllness),
    ("history", HistoryOfPresentIllness),
    ("interval history", HistoryOfPresentIllness),
    ("subjective", HistoryOfPresentIllness),
    ("past medical history", PastMedicalHistory),
    ("medical history", PastMedicalHistory),
    ("past history", PastMedicalHistory),
    ("pmh", PastMedicalHistory),
    ("pmhx", PastMedicalHistory),
    ("past medical and surgical history", PastMedicalHistory),
    ("past surgical history", PastSurgicalHistory),
    ("surgical history", PastSurgicalHistory),
    ("psh", PastSurgicalHistory),
    ("previous surgeries", PastSurgicalHistory),
    ("medications", Medications),
    ("medication", Medications),
    ("meds", Medications),
    ("current medications", Medications),
    ("current meds", Medications),
    ("home medications", Medications),
    ("medications at home", Medications),
    ("outpatient medications", Medications),
    ("medications on admission", Medications),
    ("admission medications", Medications),
    ("discharge medications", DischargeMedications),
    ("discharge meds", DischargeMedications),
    ("medications on discharge", DischargeMedications),
    ("allergies", Allergies),
    ("allergy", Allergies),
    ("drug allergies", Allergies),
    ("medication allergies", Allergies),
    ("allergies and adverse reactions", Allergies),
    ("adverse reactions", Allergies),
    ("family history", FamilyHistory),
    ("family medical history", FamilyHistory),
    ("family hx", FamilyHistory),
    ("fh", FamilyHistory),
    ("fhx", FamilyHistory),
    ("social history", SocialHistory),
    ("social hx", SocialHistory),
    ("sh", SocialHistory),
    ("review of systems", ReviewOfSystems),
    ("systems review", ReviewOfSystems),
    ("ros", ReviewOfSystems),
    ("physical examination", PhysicalExamination),
    ("physical exam", PhysicalExamination),
    ("examination", PhysicalExamination),
    ("exam", PhysicalExamination),
    ("pe", PhysicalExamination),
    ("objective", PhysicalExamination),
    ("vital signs", PhysicalExamination),
    ("vitals", PhysicalExamination),
    ("laboratory data", Results),
    ("laboratory", Results),
    ("laboratory studies", Results),
    ("labs", Results),
    ("lab results", Results),
    ("diagnostic studies", Results),
    ("imaging", Results),
    ("radiology", Results),
    ("results", Results),
    ("findings", Results),
    ("hospital course", HospitalCourse),
    ("clinical course", HospitalCourse),
    ("course in hospital", HospitalCourse),
    ("diagnosis", Diagnoses),
    ("diagnoses", Diagnoses),
    ("preoperative diagnosis", Diagnoses),
    ("preoperative diagnoses", Diagnoses),
    ("postoperative diagnosis", Diagnoses),
    ("postoperative diagnoses", Diagnoses),
    ("admitting diagnosis", Diagnoses),
    ("admission diagnosis", Diagnoses),
    ("discharge diagnosis", Diagnoses),
    ("discharge diagnoses", Diagnoses),
    ("final diagnosis", Diagnoses),
    ("principal diagnosis", Diagnoses),
    ("procedure", Procedures),
    ("procedures", Procedures),
    ("procedure performed", Procedures),
    ("procedures performed", Procedures),
    ("procedure in detail", Procedures),
    ("description of procedure", Procedures),
    ("operation", Procedures),
    ("operation performed", Procedures),
    ("assessment and plan", AssessmentAndPlan),
    ("assessment/plan", AssessmentAndPlan),
    ("a/p", AssessmentAndPlan),
    ("assessment", AssessmentAndPlan),
    ("plan", AssessmentAndPlan),
    ("impression", AssessmentAndPlan),
    ("impression and plan", AssessmentAndPlan),
    ("recommendations", AssessmentAndPlan),
    ("recommendation", AssessmentAndPlan),
    ("disposition", AssessmentAndPlan),
];

/// The longest heading phrase, in characters: a longer run before a colon is prose.
const LONGEST_HEADING: usize = 40;

impl Section {
    pub fn as_str(self) -> &'static str {
        match self {
            ChiefComplaint => "chief_complaint",
            HistoryOfPresentIllness => "history_of_present_illness",
            PastMedicalHistory => "past_medical_history",
            PastSurgicalHistory => "past_surgical_history",
            Medications => "medications",
            DischargeMedications => "discharge_medications",
            Allergies => "allergies",
            FamilyHistory => "family_history",
            SocialHistory => "social_history",
            ReviewOfSystems => "review_of_systems",
            PhysicalExamination => "physical_examination",
            Results => "results",
            HospitalCourse => "hospital_course",
            Diagnoses => "diagnoses",
            Procedures => "procedures",
            AssessmentAndPlan => "assessment_and_plan",
        }
    }
}

impl fmt::Display for Section {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A recognised heading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heading {
    pub section: Section,
    /// The heading itself, colon included.
    pub chars: Range<usize>,
}

/// The headings of a note, in order. One pass over the text, holding nothing per character.
pub fn headings(text: &str) -> Vec<Heading> {
    let mut found: Vec<Heading> = Vec::new();
    // The last character before the current one that is not a space or a tab.
    let mut previous_visible: Option<char> = None;
    for (position, (byte, character)) in text.char_indices().enumerate() {
        let inside_a_heading = found.last().is_some_and(|h| position < h.chars.end);
        if !inside_a_heading && character.is_alphabetic() {
            let boundary = match previous_visible {
                None | Some('\n') | Some('\r') => Some(Boundary::LineStart),
                Some(',') | Some('.') | Some(';') => Some(Boundary::AfterPunctuation),
                _ => None,
            };
            if let Some(heading) = boundary.and_then(|b| heading_at(&text[byte..], position, b)) {
                found.push(heading);
            }
        }
        if character != ' ' && character != '\t' {
            previous_visible = Some(character);
        }
    }
    found
}

/// The section that a character position lies in, given the note's headings (in order, as
/// [`headings`] gives them). A binary search: a note can hold as many headings as entities.
pub fn section_at(headings: &[Heading], position: usize) -> Option<Section> {
    let before = headings.partition_point(|h| h.chars.start <= position);
    before.checked_sub(1).map(|last| headings[last].section)
}

#[derive(Clone, Copy, PartialEq)]
enum Boundary {
    LineStart,
    AfterPunctuation,
}

/// The heading that starts `rest` (at character `start` of the note), if its words before the colon
/// name a section.
fn heading_at(rest: &str, start: usize, boundary: Boundary) -> Option<Heading> {
    let head: Vec<char> = rest.chars().take(LONGEST_HEADING + 1).collect();
    let colon = head.iter().position(|&c| c == ':' || c == '\n')?;
    if head[colon] != ':' {
        return None;
    }
    let phrase: String = head[..colon].iter().collect();
    if boundary == Boundary::AfterPunctuation && phrase.chars().any(char::is_lowercase) {
        return None;
    }
    let normalised = phrase
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    let section = HEADINGS
        .iter()
        .find(|(heading, _)| *heading == normalised)?
        .1;
    Some(Heading {
        section,
        chars: start..start + colon + 1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sections_of(text: &str, words: &[&str]) -> Vec<Option<Section>> {
        let found = headings(text);
        words
            .iter()
            .map(|word| {
                let byte = text.find(word).expect("word in text");
                section_at(&found, text[..byte].chars().count())
            })
            .collect()
    }

    #[test]
    fn headings_at_line_starts_in_any_case() {
        let note = "Chief complaint: chest pain\nMedications on admission:\naspirin\nAllergies: penicillin\nFamily history: diabetes";
        assert_eq!(
            sections_of(note, &["chest", "aspirin", "penicillin", "diabetes"]),
            vec![
                Some(ChiefComplaint),
                Some(Medications),
                Some(Allergies),
                Some(FamilyHistory)
            ]
        );
    }

    #[test]
    fn capitals_after_commas_in_mtsamples_notes() {
        let note = "PREOPERATIVE DIAGNOSIS: , Morbid obesity.,PROCEDURE: , Gastric bypass.,ALLERGIES:,  Penicillin.";
        assert_eq!(
            sections_of(note, &["obesity", "bypass", "Penicillin"]),
            vec![Some(Diagnoses), Some(Procedures), Some(Allergies)]
        );
    }

    #[test]
    fn lower_case_mid_line_phrases_are_prose() {
        let note = "He stopped his medications: aspirin and warfarin.";
        assert!(headings(note).is_empty());
    }

    #[test]
    fn unknown_sub_headings_do_not_end_a_section() {
        let note = "REVIEW OF SYSTEMS:\nHEENT: no headache\nCARDIOVASCULAR: no chest pain";
        assert_eq!(
            sections_of(note, &["headache", "chest"]),
            vec![Some(ReviewOfSystems), Some(ReviewOfSystems)]
        );
    }

    #[test]
    fn text_before_any_heading_has_no_section() {
        let note = "Seen today for cough.\nPlan: rest.";
        assert_eq!(
            sections_of(note, &["cough", "rest"]),
            vec![None, Some(AssessmentAndPlan)]
        );
    }

    #[test]
    fn every_heading_phrase_is_stored_normalised() {
        for (phrase, _) in HEADINGS {
            let normalised = phrase.split_whitespace().collect::<Vec<_>>().join(" ");
            assert_eq!(*phrase, normalised.to_lowercase());
            assert!(phrase.chars().count() <= LONGEST_HEADING, "{phrase}");
        }
    }
}
