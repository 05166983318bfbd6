//! How well the engine's medication attribute rules (`clinical_ner_engine::posology`) find what
//! MACCROBAT 2020 annotates about its gold medications: `Dosage`, `Administration` and `Frequency`
//! spans that modify a `Medication` event. The rules run on the gold medication spans, so that
//! entity recognition errors do not blur the figures.
//!
//! Matching is by overlap, because MACCROBAT's spans follow its own conventions: a `Dosage` often
//! holds the frequency too ("60 mg daily"), and an `Administration` may be a form ("tablets"). A
//! strength or dose found counts for `Dosage`, a route for `Administration`, a frequency for
//! `Frequency` (or inside a `Dosage`, where MACCROBAT writes it). Exact matches are counted beside.

use std::ops::Range;
use std::path::Path;

use clinical_ner_engine::posology::{medication_attributes, MedicationAttributes, PosologyRules};
use serde::Serialize;

use crate::metrics::{f1, ratio};
use crate::readers::{brat, read_text};
use crate::{known_corpora, Result};

const MACCROBAT: &str = "maccrobat2020-dev";

/// MACCROBAT's label for each attribute this scores, and the attribute's name.
const KINDS: [(&str, &str); 3] = [
    ("Dosage", "strength or dose"),
    ("Administration", "route"),
    ("Frequency", "frequency"),
];

#[derive(Debug, Clone, Default, Serialize)]
pub struct AttributeScore {
    pub label: String,
    pub attribute: String,
    pub gold: usize,
    pub predicted: usize,
    /// Predicted spans that overlap a gold span of their kind.
    pub predicted_matched: usize,
    /// Gold spans that a predicted span of their kind overlaps.
    pub gold_matched: usize,
    /// Predicted spans equal to a gold span.
    pub exact: usize,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct AttributeReport {
    pub corpus: String,
    pub documents: usize,
    pub medications: usize,
    pub scores: Vec<AttributeScore>,
}

impl AttributeReport {
    pub fn markdown(&self) -> String {
        let mut out = format!(
            "Medication attributes on {} gold medications of {} ({} documents; rules on gold spans, overlap matching):\n\n",
            self.medications, self.corpus, self.documents
        );
        out.push_str("| MACCROBAT label | found as | gold | predicted | precision | recall | F1 | exact |\n|---|---|---|---|---|---|---|---|\n");
        for s in &self.scores {
            out.push_str(&format!(
                "| {} | {} | {} | {} | {:.3} | {:.3} | {:.3} | {} |\n",
                s.label, s.attribute, s.gold, s.predicted, s.precision, s.recall, s.f1, s.exact
            ));
        }
        out
    }
}

/// The attribute spans the rules find for `medications` of `text`, by MACCROBAT label.
fn predicted(found: &[MedicationAttributes], label: &str) -> Vec<Range<usize>> {
    found
        .iter()
        .flat_map(|a| match label {
            "Dosage" => vec![
                a.strength.as_ref().map(|f| f.chars.clone()),
                a.dose.as_ref().map(|f| f.chars.clone()),
            ],
            "Administration" => vec![a.route.as_ref().map(|f| f.chars.clone())],
            _ => vec![a.frequency.as_ref().map(|f| f.chars.clone())],
        })
        .flatten()
        .collect()
}

fn overlaps(a: &Range<usize>, b: &Range<usize>) -> bool {
    a.start < b.end && b.start < a.end
}

pub fn evaluate_maccrobat(data_dir: &Path) -> Result<AttributeReport> {
    let corpus = known_corpora::load(data_dir, MACCROBAT)?;
    let folder = data_dir.join("maccrobat2020-dev/brat");
    let mut scores: Vec<AttributeScore> = KINDS
        .iter()
        .map(|(label, attribute)| AttributeScore {
            label: label.to_string(),
            attribute: attribute.to_string(),
            ..Default::default()
        })
        .collect();
    let mut medications_seen = 0;
    let documents = corpus.documents.len();
    for document in corpus.documents {
        let annotations =
            brat::annotations(&read_text(&folder.join(format!("{}.ann", document.id)))?);
        let mut medications: Vec<Range<usize>> = annotations
            .iter()
            .filter(|a| a.label == "Medication")
            .map(|a| a.start..a.end)
            .collect();
        medications.sort_by_key(|m| (m.start, m.end));
        medications.dedup();
        medications_seen += medications.len();
        let found = medication_attributes(&document.text, &medications, PosologyRules::builtin());
        let gold_of = |label: &str| -> Vec<Range<usize>> {
            annotations
                .iter()
                .filter(|a| {
                    a.label == label
                        && a.relations
                            .iter()
                            .any(|(kind, to)| kind == "MODIFY" && to == "Medication")
                })
                .map(|a| a.start..a.end)
                .collect()
        };
        let dosage = gold_of("Dosage");
        for score in &mut scores {
            let gold = gold_of(&score.label);
            let predicted = predicted(&found, &score.label);
            let counts = |p: &Range<usize>| {
                gold.iter().any(|g| overlaps(p, g))
                    || (score.label == "Frequency"
                        && dosage.iter().any(|d| d.start <= p.start && p.end <= d.end))
            };
            score.gold += gold.len();
            score.predicted += predicted.len();
            score.predicted_matched += predicted.iter().filter(|p| counts(p)).count();
            score.gold_matched += gold
                .iter()
                .filter(|g| predicted.iter().any(|p| overlaps(p, g)))
                .count();
            score.exact += predicted.iter().filter(|p| gold.contains(p)).count();
        }
    }
    for score in &mut scores {
        score.precision = ratio(score.predicted_matched, score.predicted);
        score.recall = ratio(score.gold_matched, score.gold);
        score.f1 = f1(score.precision, score.recall);
    }
    Ok(AttributeReport {
        corpus: MACCROBAT.to_string(),
        documents,
        medications: medications_seen,
        scores,
    })
}
