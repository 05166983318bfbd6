//! Assertion status of an entity (present, absent, possible, hypothetical, historical, about a
//! family member, or an allergy the patient has): ConText-style rules over the entity's sentence.
//!
//! A trigger phrase ("denies", "rule out", "history of", "mother") reaches forward, backward or both
//! ways from where it stands, to the end of the sentence, to a terminating phrase ("but", "which") or
//! to [`MAX_SCOPE_WORDS`] words, whichever comes first. Pseudo-triggers ("no change", "gram negative")
//! are matched so that their words trigger nothing. The lexicon is `assertion_rules.tsv`.

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;
use std::str::FromStr;

use super::sections::Section;
use super::words::{phrase_words, Word};
use crate::rules::ClinicalRules;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum Assertion {
    Present,
    Absent,
    Possible,
    Hypothetical,
    Historical,
    Family,
    /// The patient is allergic to it ("allergic to penicillin", "sulfa allergy", under an allergies
    /// heading), or it is the reaction an allergy gives: not an exposure and not a current finding.
    Allergy,
}

impl Assertion {
    pub const ALL: [Assertion; 7] = [
        Assertion::Present,
        Assertion::Absent,
        Assertion::Possible,
        Assertion::Hypothetical,
        Assertion::Historical,
        Assertion::Family,
        Assertion::Allergy,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Assertion::Present => "present",
            Assertion::Absent => "absent",
            Assertion::Possible => "possible",
            Assertion::Hypothetical => "hypothetical",
            Assertion::Historical => "historical",
            Assertion::Family => "family",
            Assertion::Allergy => "allergy",
        }
    }

    /// Which status wins when several triggers reach one entity: a mention about someone else is
    /// never the patient's, a hypothetical one never happened, a negated history is no history, and
    /// "no known allergy to codeine" is no allergy; an allergy, even a possible or past one, is never
    /// an exposure.
    fn precedence(self) -> u8 {
        match self {
            Assertion::Family => 6,
            Assertion::Hypothetical => 5,
            Assertion::Absent => 4,
            Assertion::Allergy => 3,
            Assertion::Possible => 2,
            Assertion::Historical => 1,
            Assertion::Present => 0,
        }
    }
}

impl fmt::Display for Assertion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Assertion {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Assertion::ALL
            .into_iter()
            .find(|a| a.as_str() == name)
            .ok_or_else(|| format!("unknown assertion \"{name}\""))
    }
}

/// The farthest a trigger reaches, in words (letters and digits; punctuation does not count). Long
/// enough for "denies fever, chills, night sweats or weight loss", short enough that a stray "no"
/// does not negate the rest of a run-on sentence.
pub const MAX_SCOPE_WORDS: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Forward,
    Backward,
    Both,
    /// Right after the entity with no word between ("sulfa allergy"): a trigger that would
    /// otherwise reach back over a whole list ("takes aspirin and has a sulfa allergy").
    RightAfter,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Effect {
    Assert(Assertion, Direction),
    Pseudo,
    /// Ends the scope of triggers of one status, or of all when `None`.
    Terminate(Option<Assertion>),
}

#[derive(Debug, Clone)]
struct Rule {
    words: Vec<String>,
    effect: Effect,
}

/// A trigger lexicon, indexed by first word.
#[derive(Debug, Clone)]
pub struct AssertionRules {
    by_first_word: HashMap<String, Vec<Rule>>,
}

/// A rule found in a sentence, over word positions.
#[derive(Debug, Clone, PartialEq)]
struct Found {
    words: Range<usize>,
    effect: Effect,
}

impl AssertionRules {
    /// The lexicon shipped with the engine (see [`crate::rules`]).
    pub fn builtin() -> &'static AssertionRules {
        &ClinicalRules::shipped().assertion
    }

    /// Reads `phrase<TAB>category<TAB>direction` lines; `#` starts a comment line.
    pub fn parse(tsv: &str) -> Result<AssertionRules, String> {
        Self::parse_files(&[("assertion rules", tsv)])
    }

    /// Reads rule files given as (file name, text). Where two lines have the same phrase, the later
    /// one wins, so that a site's file read after the built-in one replaces a trigger. An error
    /// names the file and line.
    pub fn parse_files(files: &[(&str, &str)]) -> Result<AssertionRules, String> {
        let mut by_first_word: HashMap<String, Vec<Rule>> = HashMap::new();
        for (file, tsv) in files {
            for (number, line) in tsv.lines().enumerate() {
                if line.trim().is_empty() || line.starts_with('#') {
                    continue;
                }
                let at = |problem: &str| format!("{file} line {}: {problem}", number + 1);
                let fields: Vec<&str> = line.split('\t').collect();
                let [phrase, category, direction] = fields[..] else {
                    return Err(at("expected 3 tab-separated fields"));
                };
                let effect = effect(category, direction).map_err(|e| at(&e))?;
                let words = phrase_words(phrase);
                let Some(first) = words.first().cloned() else {
                    return Err(at("empty phrase"));
                };
                by_first_word
                    .entry(first)
                    .or_default()
                    .push(Rule { words, effect });
            }
        }
        for rules in by_first_word.values_mut() {
            // Later lines first among phrases of one length (the sort is stable), longest first.
            rules.reverse();
            rules.sort_by_key(|rule| std::cmp::Reverse(rule.words.len()));
        }
        Ok(AssertionRules { by_first_word })
    }

    /// Every rule in `words`, scanning left to right and taking the longest phrase at each word.
    fn find(&self, words: &[Word]) -> Vec<Found> {
        let mut found = Vec::new();
        let mut at = 0;
        while at < words.len() {
            let longest = self.by_first_word.get(&words[at].text).and_then(|rules| {
                rules.iter().find(|rule| {
                    words[at..].len() >= rule.words.len()
                        && rule
                            .words
                            .iter()
                            .zip(&words[at..])
                            .all(|(r, w)| *r == w.text)
                })
            });
            match longest {
                Some(rule) => {
                    found.push(Found {
                        words: at..at + rule.words.len(),
                        effect: rule.effect,
                    });
                    at += rule.words.len();
                }
                None => at += 1,
            }
        }
        found
    }

    /// The rules found in one sentence, indexed so that each entity's status costs time in the
    /// number of triggers near it, not in the sentence's length (a note can be one sentence of
    /// 100,000 words).
    pub fn prepare(&self, sentence: &[Word]) -> SentenceTriggers {
        let found = self.find(sentence);
        let mut alphanumeric_before = Vec::with_capacity(sentence.len() + 1);
        alphanumeric_before.push(0);
        for word in sentence {
            let counted = usize::from(word.text.chars().any(char::is_alphanumeric));
            alphanumeric_before.push(alphanumeric_before.last().expect("pushed above") + counted);
        }
        let mut terminators_before = vec![vec![0u32; sentence.len() + 1]; Assertion::ALL.len()];
        for terminator in &found {
            let Effect::Terminate(ends) = terminator.effect else {
                continue;
            };
            for status in Assertion::ALL {
                if ends.is_none_or(|s| s == status) {
                    terminators_before[status as usize][terminator.words.start + 1] += 1;
                }
            }
        }
        for counts in &mut terminators_before {
            for i in 1..counts.len() {
                counts[i] += counts[i - 1];
            }
        }
        let triggers = found
            .into_iter()
            .filter_map(|f| match f.effect {
                Effect::Assert(status, direction) => Some(Trigger {
                    words: f.words,
                    status,
                    direction,
                }),
                _ => None,
            })
            .collect();
        SentenceTriggers {
            triggers,
            alphanumeric_before,
            terminators_before,
        }
    }
}

#[derive(Debug, Clone)]
struct Trigger {
    words: Range<usize>,
    status: Assertion,
    direction: Direction,
}

/// A sentence's triggers and the counts that bound their reach (see [`AssertionRules::prepare`]).
#[derive(Debug, Clone)]
pub struct SentenceTriggers {
    /// Status triggers, in order of position.
    triggers: Vec<Trigger>,
    /// Letter-or-digit words before each word position (and before the end).
    alphanumeric_before: Vec<usize>,
    /// Per status, terminators of that status starting before each word position.
    terminators_before: Vec<Vec<u32>>,
}

impl SentenceTriggers {
    /// The status of the entity at word positions `entity` of this sentence.
    pub fn assertion(&self, entity: Range<usize>, section: Option<Section>) -> Assertion {
        let mut status = match section {
            Some(Section::FamilyHistory) => Assertion::Family,
            Some(Section::PastMedicalHistory | Section::PastSurgicalHistory) => {
                Assertion::Historical
            }
            Some(Section::Allergies) => Assertion::Allergy,
            _ => Assertion::Present,
        };
        let words = &self.alphanumeric_before;
        // Only triggers within MAX_SCOPE_WORDS words of the entity can reach it.
        let first = self
            .triggers
            .partition_point(|t| words[t.words.end] + MAX_SCOPE_WORDS < words[entity.start]);
        let nearby = self.triggers[first..]
            .iter()
            .take_while(|t| words[t.words.start] <= words[entity.end] + MAX_SCOPE_WORDS);
        for trigger in nearby {
            if trigger.status.precedence() > status.precedence() && self.reaches(trigger, &entity) {
                status = trigger.status;
            }
        }
        status
    }

    /// Whether `trigger` reaches the entity: in its direction, with no terminator of its status
    /// between them and no more than [`MAX_SCOPE_WORDS`] words apart. A trigger inside the entity's
    /// own words ("history of asthma" tagged whole) reaches it, except an allergy trigger: "seasonal
    /// allergies" and "penicillin allergy" tagged whole are diagnoses the patient has.
    fn reaches(&self, trigger: &Trigger, entity: &Range<usize>) -> bool {
        let inside = trigger.words.start >= entity.start && trigger.words.end <= entity.end;
        let forward = matches!(trigger.direction, Direction::Forward | Direction::Both)
            && trigger.words.end <= entity.start;
        let backward = matches!(trigger.direction, Direction::Backward | Direction::Both)
            && trigger.words.start >= entity.end;
        let right_after = trigger.direction == Direction::RightAfter
            && trigger.words.start >= entity.end
            && self.alphanumeric_before[trigger.words.start]
                == self.alphanumeric_before[entity.end];
        let gap = if inside {
            return trigger.status != Assertion::Allergy;
        } else if right_after {
            return true;
        } else if forward {
            trigger.words.end..entity.start
        } else if backward {
            entity.end..trigger.words.start
        } else {
            return false;
        };
        let words_between = self.alphanumeric_before[gap.end] - self.alphanumeric_before[gap.start];
        let terminators = &self.terminators_before[trigger.status as usize];
        words_between <= MAX_SCOPE_WORDS && terminators[gap.end] == terminators[gap.start]
    }
}

fn effect(category: &str, direction: &str) -> Result<Effect, String> {
    let direction_of = |name: &str| match name {
        "forward" => Ok(Direction::Forward),
        "backward" => Ok(Direction::Backward),
        "both" => Ok(Direction::Both),
        "right_after" => Ok(Direction::RightAfter),
        other => Err(format!("unknown direction \"{other}\"")),
    };
    match category {
        "pseudo" => Ok(Effect::Pseudo),
        "terminate" if direction == "-" => Ok(Effect::Terminate(None)),
        "terminate" => Ok(Effect::Terminate(Some(direction.parse()?))),
        status => {
            let status: Assertion = status.parse()?;
            if status == Assertion::Present {
                return Err("\"present\" is what no trigger means, not a trigger".into());
            }
            Ok(Effect::Assert(status, direction_of(direction)?))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::words::words;

    /// The status of `target` (its first occurrence) in `sentence`.
    fn status_in(sentence: &str, target: &str, section: Option<Section>) -> Assertion {
        let words = words(sentence);
        let target_words = phrase_words(target);
        let start = (0..words.len())
            .find(|&i| {
                words[i..]
                    .iter()
                    .zip(&target_words)
                    .filter(|(w, t)| w.text == **t)
                    .count()
                    == target_words.len()
            })
            .expect("target in sentence");
        AssertionRules::builtin()
            .prepare(&words)
            .assertion(start..start + target_words.len(), section)
    }

    fn status(sentence: &str, target: &str) -> Assertion {
        status_in(sentence, target, None)
    }

    #[test]
    fn no_trigger_means_present() {
        assert_eq!(
            status("Patient has chest pain.", "chest pain"),
            Assertion::Present
        );
    }

    #[test]
    fn negation_forward_and_backward() {
        assert_eq!(
            status("She denies chest pain.", "chest pain"),
            Assertion::Absent
        );
        assert_eq!(
            status(
                "Negative for fever, chills or night sweats.",
                "night sweats"
            ),
            Assertion::Absent
        );
        assert_eq!(
            status("Pulmonary embolism was ruled out.", "pulmonary embolism"),
            Assertion::Absent
        );
        assert_eq!(status("No h/o diabetes.", "diabetes"), Assertion::Absent);
    }

    #[test]
    fn uncertainty() {
        assert_eq!(
            status("Findings concerning for pneumonia.", "pneumonia"),
            Assertion::Possible
        );
        assert_eq!(
            status("We cannot rule out sepsis.", "sepsis"),
            Assertion::Possible
        );
        assert_eq!(
            status("Sepsis cannot be excluded.", "sepsis"),
            Assertion::Possible
        );
        assert_eq!(
            status("Rule out myocardial infarction.", "myocardial infarction"),
            Assertion::Possible
        );
    }

    #[test]
    fn hypothetical() {
        assert_eq!(
            status("Return if she develops fever.", "fever"),
            Assertion::Hypothetical
        );
        assert_eq!(
            status("Tylenol as needed for pain.", "pain"),
            Assertion::Hypothetical
        );
    }

    #[test]
    fn historical() {
        assert_eq!(
            status("History of asthma.", "asthma"),
            Assertion::Historical
        );
        assert_eq!(
            status("Status post appendectomy.", "appendectomy"),
            Assertion::Historical
        );
        assert_eq!(
            status("Had pneumonia 3 years ago.", "pneumonia"),
            Assertion::Historical
        );
        assert_eq!(
            status("History of present illness: cough.", "cough"),
            Assertion::Present
        );
    }

    #[test]
    fn family() {
        assert_eq!(
            status("Mother had breast cancer.", "breast cancer"),
            Assertion::Family
        );
        assert_eq!(
            status("Breast cancer in her sister.", "breast cancer"),
            Assertion::Family
        );
        assert_eq!(
            status(
                "Lives with her mother, the patient has diabetes.",
                "diabetes"
            ),
            Assertion::Present
        );
    }

    #[test]
    fn pseudo_triggers_trigger_nothing() {
        assert_eq!(
            status("No change in her hypertension.", "hypertension"),
            Assertion::Present
        );
        assert_eq!(
            status("Gram negative sepsis.", "sepsis"),
            Assertion::Present
        );
        assert_eq!(
            status("Aspirin prior to surgery.", "aspirin"),
            Assertion::Present
        );
    }

    #[test]
    fn terminators_end_the_scope() {
        assert_eq!(
            status("Denies fever but reports cough.", "cough"),
            Assertion::Present
        );
        assert_eq!(
            status("No fever, however she has a cough.", "cough"),
            Assertion::Present
        );
    }

    #[test]
    fn scope_is_limited_in_words() {
        let far =
            "No fever and then one two three four five six seven eight nine ten eleven cough.";
        assert_eq!(status(far, "cough"), Assertion::Present);
        assert_eq!(status(far, "fever"), Assertion::Absent);
    }

    #[test]
    fn precedence_family_then_hypothetical_then_absent() {
        assert_eq!(
            status("No family history of diabetes.", "diabetes"),
            Assertion::Family
        );
        assert_eq!(
            status("No history of diabetes.", "diabetes"),
            Assertion::Absent
        );
        assert_eq!(
            status("If no improvement, consider pneumonia.", "pneumonia"),
            Assertion::Hypothetical
        );
    }

    #[test]
    fn a_trigger_inside_the_entity_counts() {
        assert_eq!(
            status(
                "Previous myocardial infarction.",
                "previous myocardial infarction"
            ),
            Assertion::Historical
        );
    }

    #[test]
    fn sections_set_the_default() {
        assert_eq!(
            status_in("Diabetes.", "diabetes", Some(Section::FamilyHistory)),
            Assertion::Family
        );
        assert_eq!(
            status_in("Asthma.", "asthma", Some(Section::PastMedicalHistory)),
            Assertion::Historical
        );
        assert_eq!(
            status_in("No asthma.", "asthma", Some(Section::PastMedicalHistory)),
            Assertion::Absent
        );
        assert_eq!(
            status_in("Penicillin.", "penicillin", Some(Section::Allergies)),
            Assertion::Allergy
        );
    }

    #[test]
    fn allergies_written_as_sentences() {
        let allergy = |sentence: &str, target: &str| status(sentence, target) == Assertion::Allergy;
        assert!(allergy("Allergic to penicillin.", "penicillin"));
        assert!(allergy(
            "She is allergic to penicillin, sulfa and codeine.",
            "codeine"
        ));
        assert!(allergy("Sulfa allergy.", "sulfa"));
        assert!(allergy("History of anaphylaxis to peanuts.", "peanuts"));
        assert!(allergy("Allergic to penicillin (hives).", "hives"));
        // What stays an exposure or a diagnosis.
        assert_eq!(
            status("She takes aspirin and has a sulfa allergy.", "aspirin"),
            Assertion::Present
        );
        assert_eq!(
            status("Allergic to penicillin and takes aspirin daily.", "aspirin"),
            Assertion::Present
        );
        assert_eq!(
            status("Seasonal allergies.", "seasonal allergies"),
            Assertion::Present
        );
        assert_eq!(
            status("Allergic rhinitis.", "allergic rhinitis"),
            Assertion::Present
        );
        // No allergy is no allergy; an allergy in a relative is the relative's.
        assert_eq!(
            status("No known allergy to codeine.", "codeine"),
            Assertion::Absent
        );
        assert_eq!(
            status("Mother is allergic to penicillin.", "penicillin"),
            Assertion::Family
        );
    }

    #[test]
    fn malformed_rules_are_refused_with_their_line() {
        assert!(AssertionRules::parse("no\tabsent")
            .unwrap_err()
            .contains("line 1"));
        assert!(AssertionRules::parse("no\tmaybe\tforward")
            .unwrap_err()
            .contains("maybe"));
        assert!(AssertionRules::parse("no\tabsent\tsideways")
            .unwrap_err()
            .contains("sideways"));
        assert!(AssertionRules::parse("# c\nno\tpresent\tforward")
            .unwrap_err()
            .contains("line 2"));
    }
}
