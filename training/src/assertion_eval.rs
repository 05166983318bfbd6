//! How well the engine's assertion rules do on gold data. Scoring runs the rules on the gold spans, so
//! that entity recognition errors do not blur the assertion figures.
//!
//! MACCROBAT 2020 (development subset): annotators marked each event's polarity and the spans that
//! are the patient's history. Gold status of a medication, disease or symptom mention:
//! `POLARITY NEG` → absent; `UNCERTAIN`, `MAYBE_POS`, `MAYBE_NEG` → possible; otherwise inside a
//! `Family_history` span → family, inside a `History` span → historical; else present.
//!
//! Chia (clinical-trial eligibility criteria): only negation is labelled. A Condition or Drug with a
//! `Has_negation` relation to a Negation entity → absent; any other → present (meaning "not
//! negated": only the absent row of its report is a measurement).

use std::collections::BTreeMap;
use std::path::Path;

use clinical_ner_engine::context::{Assertion, AssertionRules, NoteContext};
use clinical_ner_engine::EntityType;
use serde::Serialize;

use crate::metrics::{f1, ratio};
use crate::readers::{brat, read_text};
use crate::{known_corpora, Result};

const MACCROBAT: &str = "maccrobat2020-dev";
const CHIA: &str = "chia";

/// A gold mention and the status the annotators gave it.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub document: String,
    pub entity_type: EntityType,
    pub start: usize,
    pub end: usize,
    pub gold: Assertion,
}

/// The gold targets of one MACCROBAT document, from its `.ann` contents.
pub fn maccrobat_targets(document: &str, ann: &str) -> Vec<Target> {
    let annotations = brat::annotations(ann);
    let inside = |label: &str, start: usize, end: usize| {
        annotations
            .iter()
            .any(|a| a.label == label && a.start <= start && end <= a.end)
    };
    annotations
        .iter()
        .filter_map(|a| {
            let entity_type = known_corpora::maccrobat(&a.label)?;
            let polarity = a
                .attributes
                .iter()
                .find(|(name, _)| name == "POLARITY")
                .map(|(_, value)| value.as_str());
            let gold = match polarity {
                Some("NEG") => Assertion::Absent,
                Some("UNCERTAIN" | "MAYBE_POS" | "MAYBE_NEG") => Assertion::Possible,
                _ if inside("Family_history", a.start, a.end) => Assertion::Family,
                _ if inside("History", a.start, a.end) => Assertion::Historical,
                _ => Assertion::Present,
            };
            Some(Target {
                document: document.to_owned(),
                entity_type,
                start: a.start,
                end: a.end,
                gold,
            })
        })
        .collect()
}

/// The gold targets of one Chia document, from its `.ann` contents.
pub fn chia_targets(document: &str, ann: &str) -> Vec<Target> {
    brat::annotations(ann)
        .into_iter()
        .filter_map(|a| {
            let entity_type = match a.label.as_str() {
                "Condition" => EntityType::Disease,
                "Drug" => EntityType::Medication,
                _ => return None,
            };
            let negated = a
                .relations
                .iter()
                .any(|(kind, other)| kind == "Has_negation" && other == "Negation");
            Some(Target {
                document: document.to_owned(),
                entity_type,
                start: a.start,
                end: a.end,
                gold: if negated {
                    Assertion::Absent
                } else {
                    Assertion::Present
                },
            })
        })
        .collect()
}

/// A wrongly asserted mention, with the text around it (gold corpora are public text).
#[derive(Debug, Clone, Serialize)]
pub struct Miss {
    pub document: String,
    pub gold: &'static str,
    pub predicted: &'static str,
    pub mention: String,
    pub context: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClassScore {
    pub assertion: &'static str,
    pub gold: usize,
    pub predicted: usize,
    pub correct: usize,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct AssertionReport {
    pub corpus: &'static str,
    pub mentions: usize,
    pub accuracy: f64,
    pub classes: Vec<ClassScore>,
    /// (gold, predicted) → count, every pair that occurred.
    pub confusion: Vec<(&'static str, &'static str, usize)>,
    pub misses: Vec<Miss>,
}

/// Scores `rules` on the gold targets of `documents` ((id, text, targets)).
pub fn score(
    corpus: &'static str,
    rules: &AssertionRules,
    documents: &[(String, String, Vec<Target>)],
) -> AssertionReport {
    let mut confusion: BTreeMap<(Assertion, Assertion), usize> = BTreeMap::new();
    let mut misses = Vec::new();
    for (id, text, targets) in documents {
        let context = NoteContext::new(text, rules);
        for target in targets {
            let predicted = context.assertion(&(target.start..target.end));
            *confusion.entry((target.gold, predicted)).or_default() += 1;
            if predicted != target.gold {
                misses.push(Miss {
                    document: id.clone(),
                    gold: target.gold.as_str(),
                    predicted: predicted.as_str(),
                    mention: chars(text, target.start, target.end),
                    context: chars(text, target.start.saturating_sub(70), target.end + 30)
                        .replace('\n', " "),
                });
            }
        }
    }
    let mentions: usize = confusion.values().sum();
    let count = |keep: &dyn Fn(Assertion, Assertion) -> bool| -> usize {
        confusion
            .iter()
            .filter(|((g, p), _)| keep(*g, *p))
            .map(|(_, n)| n)
            .sum()
    };
    let correct = count(&|g, p| g == p);
    let classes = Assertion::ALL
        .into_iter()
        .map(|class| {
            let gold = count(&|g, _| g == class);
            let predicted = count(&|_, p| p == class);
            let hits = count(&|g, p| g == class && p == class);
            let precision = ratio(hits, predicted);
            let recall = ratio(hits, gold);
            ClassScore {
                assertion: class.as_str(),
                gold,
                predicted,
                correct: hits,
                precision,
                recall,
                f1: f1(precision, recall),
            }
        })
        .collect();
    AssertionReport {
        corpus,
        mentions,
        accuracy: ratio(correct, mentions),
        classes,
        confusion: confusion
            .into_iter()
            .map(|((g, p), n)| (g.as_str(), p.as_str(), n))
            .collect(),
        misses,
    }
}

/// Reads MACCROBAT's development subset from the data folder and scores the shipped rules on it.
pub fn evaluate_maccrobat(data_dir: &Path) -> Result<AssertionReport> {
    let corpus = known_corpora::load(data_dir, MACCROBAT)?;
    let folder = data_dir.join("maccrobat2020-dev/brat");
    let documents = corpus
        .documents
        .into_iter()
        .map(|document| {
            let ann = read_text(&folder.join(format!("{}.ann", document.id)))?;
            let targets = maccrobat_targets(&document.id, &ann);
            Ok((document.id, document.text, targets))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(score(MACCROBAT, AssertionRules::builtin(), &documents))
}

/// Scores the shipped rules on Chia's brat files in `folder` (the data folder holds them zipped:
/// `unzip ../shared/data/chia/chia_without_scope.zip`).
pub fn evaluate_chia(folder: &Path) -> Result<AssertionReport> {
    let unreadable = |source| crate::Error::Read {
        path: folder.to_owned(),
        source,
    };
    let mut stems: Vec<String> = std::fs::read_dir(folder)
        .map_err(unreadable)?
        .map(|entry| entry.map(|e| e.path()).map_err(unreadable))
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .filter(|path| path.extension().is_some_and(|e| e == "ann"))
        .filter_map(|path| Some(path.file_stem()?.to_string_lossy().into_owned()))
        .collect();
    stems.sort();
    let documents = stems
        .into_iter()
        .map(|stem| {
            let text = read_text(&folder.join(format!("{stem}.txt")))?;
            let targets = chia_targets(&stem, &read_text(&folder.join(format!("{stem}.ann")))?);
            Ok((stem, text, targets))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(score(CHIA, AssertionRules::builtin(), &documents))
}

impl AssertionReport {
    /// Per-class table, confusion matrix and up to `examples` misses per (gold, predicted) pair.
    pub fn markdown(&self, examples: usize) -> String {
        let mut out = format!(
            "Assertion on {} gold mentions of {} (rules on gold spans): accuracy {:.3}.\n\n\
             | status | gold | predicted | correct | precision | recall | F1 |\n|---|---|---|---|---|---|---|\n",
            self.mentions, self.corpus, self.accuracy
        );
        for c in &self.classes {
            out += &format!(
                "| {} | {} | {} | {} | {:.3} | {:.3} | {:.3} |\n",
                c.assertion, c.gold, c.predicted, c.correct, c.precision, c.recall, c.f1
            );
        }
        out += "\nConfusion (rows gold, columns predicted):\n\n| gold \\ predicted |";
        let names: Vec<&str> = Assertion::ALL.iter().map(|a| a.as_str()).collect();
        for name in &names {
            out += &format!(" {name} |");
        }
        out += &format!("\n|---|{}\n", "---|".repeat(names.len()));
        for gold in &names {
            out += &format!("| {gold} |");
            for predicted in &names {
                let n = self
                    .confusion
                    .iter()
                    .find(|(g, p, _)| g == gold && p == predicted)
                    .map_or(0, |(_, _, n)| *n);
                out += &format!(" {n} |");
            }
            out += "\n";
        }
        out += "\nErrors, by kind (gold → predicted), up to a few each:\n\n";
        let mut shown: BTreeMap<(&str, &str), usize> = BTreeMap::new();
        for miss in &self.misses {
            let seen = shown.entry((miss.gold, miss.predicted)).or_default();
            if *seen < examples {
                *seen += 1;
                out += &format!(
                    "- {} → {}: **{}** in \"…{}…\" ({})\n",
                    miss.gold,
                    miss.predicted,
                    miss.mention,
                    miss.context.trim(),
                    miss.document
                );
            }
        }
        out
    }
}

fn chars(text: &str, start: usize, end: usize) -> String {
    text.chars()
        .skip(start)
        .take(end.saturating_sub(start))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "No fever. Possible sepsis. History of asthma. Cough.";

    fn ann() -> String {
        [
            "T1\tSign_symptom 3 8\tfever",
            "E1\tSign_symptom:T1",
            "A1\tPOLARITY E1 NEG",
            "T2\tDisease_disorder 19 25\tsepsis",
            "E2\tDisease_disorder:T2",
            "A2\tPOLARITY E2 UNCERTAIN",
            "T3\tHistory 27 44\tHistory of asthma",
            "T4\tDisease_disorder 38 44\tasthma",
            "T5\tSign_symptom 46 51\tCough",
            "T6\tDosage 0 2\tNo",
        ]
        .join("\n")
    }

    fn golds(targets: Vec<Target>) -> Vec<(EntityType, Assertion)> {
        targets
            .into_iter()
            .map(|t| (t.entity_type, t.gold))
            .collect()
    }

    #[test]
    fn gold_status_from_polarity_and_history_spans() {
        assert_eq!(
            golds(maccrobat_targets("d", &ann())),
            vec![
                (EntityType::Symptom, Assertion::Absent),
                (EntityType::Disease, Assertion::Possible),
                (EntityType::Disease, Assertion::Historical),
                (EntityType::Symptom, Assertion::Present),
            ]
        );
    }

    #[test]
    fn chia_negation_comes_from_has_negation_relations() {
        let ann = [
            "T1\tCondition 3 8\tfever",
            "T2\tNegation 0 2\tNo",
            "T3\tDrug 13 20\taspirin",
            "R1\tHas_negation Arg1:T1 Arg2:T2",
            "R2\tHas_temporal Arg1:T3 Arg2:T1",
        ]
        .join("\n");
        assert_eq!(
            golds(chia_targets("d", &ann)),
            vec![
                (EntityType::Disease, Assertion::Absent),
                (EntityType::Medication, Assertion::Present),
            ]
        );
    }

    #[test]
    fn scores_count_each_class_and_keep_the_misses() {
        let mut targets = maccrobat_targets("d", &ann());
        targets[3].gold = Assertion::Family; // a gold label the rules cannot reach
        let report = score(
            "test",
            AssertionRules::builtin(),
            &[("d".into(), TEXT.into(), targets)],
        );
        assert_eq!(report.mentions, 4);
        assert!((report.accuracy - 0.75).abs() < 1e-9);
        let family = report
            .classes
            .iter()
            .find(|c| c.assertion == "family")
            .unwrap();
        assert_eq!((family.gold, family.predicted, family.correct), (1, 0, 0));
        assert_eq!(report.misses.len(), 1);
        assert_eq!(report.misses[0].mention, "Cough");
        assert!(report.markdown(3).contains("| absent | 1 | 1 | 1 |"));
    }
}
