//! The engine's medication attribute rules (`clinical_ner_engine::posology`, the code behind
//! `extract_medication_attributes`) on the team's note attribute set:
//! `training/corpora/medication-attributes`, annotated by the project team (not clinicians) following
//! docs/medication-attributes-guidelines.md on the medication mentions of the note gold set, split as
//! that set is. The rules run on the gold mentions, so that entity recognition errors do not blur the
//! figures.
//!
//! Per attribute: strict span precision, recall and F1 (the same characters), F1 by overlap, and,
//! among overlapping pairs, the share whose normalised value is the same (route; per day and as
//! needed; strength value and unit; dose amount and form; days), units compared without case ("mEq"
//! is UCUM's "meq"). The daily dose: precision and recall of the computed value, right within 0.5%
//! and in the same unit.

use std::ops::Range;
use std::path::{Path, PathBuf};

use clinical_ner_engine::posology::{medication_attributes, MedicationAttributes, PosologyRules};
use serde::{Deserialize, Serialize};

use crate::metrics::{f1, ratio};
use crate::readers::{json_lines, read_text};
use crate::Result;

/// The set's folder, in the repository beside this crate.
pub fn set_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corpora/medication-attributes")
}

#[derive(Debug, Deserialize)]
struct GoldNote {
    text: String,
    medications: Vec<GoldMedication>,
}

#[derive(Debug, Deserialize)]
struct GoldMedication {
    start: usize,
    end: usize,
    strength: Option<GoldSpan>,
    dose: Option<GoldSpan>,
    route: Option<GoldSpan>,
    frequency: Option<GoldSpan>,
    duration: Option<GoldSpan>,
    daily_dose: Option<GoldDailyDose>,
}

/// An attribute span with its normalised value; only the fields of its attribute are present.
#[derive(Debug, Deserialize)]
struct GoldSpan {
    start: usize,
    end: usize,
    value: Option<f64>,
    unit: Option<String>,
    amount: Option<f64>,
    form: Option<String>,
    route: Option<String>,
    per_day: Option<f64>,
    as_needed: Option<bool>,
    days: Option<f64>,
}

#[derive(Debug, Deserialize)]
struct GoldDailyDose {
    value: f64,
    unit: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct SpanScore {
    pub attribute: &'static str,
    pub gold: usize,
    pub predicted: usize,
    pub exact: usize,
    pub overlapping: usize,
    pub same_value: usize,
    pub strict_precision: f64,
    pub strict_recall: f64,
    pub strict_f1: f64,
    pub overlap_f1: f64,
    /// Among overlapping pairs.
    pub value_accuracy: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct NoteAttributeReport {
    pub split: String,
    pub notes: usize,
    pub medications: usize,
    pub spans: Vec<SpanScore>,
    pub daily_dose_gold: usize,
    pub daily_dose_predicted: usize,
    pub daily_dose_right: usize,
    /// Every span that is not right: attribute, mention, the gold text and the predicted text.
    pub misses: Vec<[String; 4]>,
}

impl NoteAttributeReport {
    /// The misses as a Markdown list, at most `limit` per attribute.
    pub fn misses_markdown(&self, limit: usize) -> String {
        let mut out = String::from("\nMisses (attribute, mention: gold → predicted):\n\n");
        for attribute in ATTRIBUTES {
            for [_, mention, gold, predicted] in
                self.misses.iter().filter(|m| m[0] == attribute).take(limit)
            {
                out.push_str(&format!("- {attribute}, {mention}: {gold} → {predicted}\n"));
            }
        }
        out
    }

    pub fn markdown(&self) -> String {
        let mut out = format!(
            "Medication attributes on the note attribute set, {} split ({} notes, {} gold medication mentions; the team's annotations, not clinicians'):\n\n",
            self.split, self.notes, self.medications
        );
        out.push_str("| attribute | gold | predicted | strict P | strict R | strict F1 | overlap F1 | same value |\n|---|---:|---:|---:|---:|---:|---:|---:|\n");
        for s in &self.spans {
            out.push_str(&format!(
                "| {} | {} | {} | {:.3} | {:.3} | {:.3} | {:.3} | {}/{} |\n",
                s.attribute,
                s.gold,
                s.predicted,
                s.strict_precision,
                s.strict_recall,
                s.strict_f1,
                s.overlap_f1,
                s.same_value,
                s.overlapping
            ));
        }
        out.push_str(&format!(
            "\nDaily dose: {} computed, {} right (precision {:.3}); {} written by the annotators, {} found (recall {:.3}).\n",
            self.daily_dose_predicted,
            self.daily_dose_right,
            ratio(self.daily_dose_right, self.daily_dose_predicted),
            self.daily_dose_gold,
            self.daily_dose_right,
            ratio(self.daily_dose_right, self.daily_dose_gold),
        ));
        out
    }
}

const ATTRIBUTES: [&str; 5] = ["strength", "dose", "route", "frequency", "duration"];

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 0.005 * b.abs().max(1e-9)
}

fn same_number(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => close(a, b),
        (None, None) => true,
        _ => false,
    }
}

/// The predicted span of `attribute`, and whether its value is `gold`'s.
fn predicted(
    found: &MedicationAttributes,
    attribute: &str,
    gold: Option<&GoldSpan>,
) -> Option<(Range<usize>, bool)> {
    let same = |check: &dyn Fn(&GoldSpan) -> bool| gold.is_some_and(check);
    match attribute {
        "strength" => found.strength.as_ref().map(|f| {
            let value = same(&|g| {
                same_number(g.value, f.value.value)
                    && g.unit
                        .as_ref()
                        .is_some_and(|u| u.eq_ignore_ascii_case(&f.value.unit))
            });
            (f.chars.clone(), value)
        }),
        "dose" => found.dose.as_ref().map(|f| {
            let value = same(&|g| {
                same_number(g.amount, f.value.amount)
                    && g.form.as_deref() == Some(f.value.form.as_str())
            });
            (f.chars.clone(), value)
        }),
        "route" => found.route.as_ref().map(|f| {
            (
                f.chars.clone(),
                same(&|g| g.route.as_deref() == Some(f.value.as_str())),
            )
        }),
        "frequency" => found.frequency.as_ref().map(|f| {
            let value = same(&|g| {
                same_number(g.per_day, f.value.per_day) && g.as_needed == Some(f.value.as_needed)
            });
            (f.chars.clone(), value)
        }),
        _ => found.duration.as_ref().map(|f| {
            (
                f.chars.clone(),
                same(&|g| same_number(g.days, Some(f.value))),
            )
        }),
    }
}

fn gold_of<'g>(medication: &'g GoldMedication, attribute: &str) -> Option<&'g GoldSpan> {
    match attribute {
        "strength" => medication.strength.as_ref(),
        "dose" => medication.dose.as_ref(),
        "route" => medication.route.as_ref(),
        "frequency" => medication.frequency.as_ref(),
        _ => medication.duration.as_ref(),
    }
}

/// Scores `rules` on one split (`dev` for every choice, `test` for the report).
pub fn evaluate(folder: &Path, split: &str, rules: &PosologyRules) -> Result<NoteAttributeReport> {
    let path = folder.join(format!("{split}.jsonl"));
    let contents = read_text(&path)?;
    let mut spans: Vec<SpanScore> = ATTRIBUTES
        .iter()
        .map(|&attribute| SpanScore {
            attribute,
            ..Default::default()
        })
        .collect();
    let mut report = NoteAttributeReport {
        split: split.to_owned(),
        notes: 0,
        medications: 0,
        spans: Vec::new(),
        daily_dose_gold: 0,
        daily_dose_predicted: 0,
        daily_dose_right: 0,
        misses: Vec::new(),
    };
    for parsed in json_lines::<GoldNote>(&contents, &path) {
        let (_, note) = parsed?;
        report.notes += 1;
        report.medications += note.medications.len();
        let mentions: Vec<Range<usize>> = note.medications.iter().map(|m| m.start..m.end).collect();
        let found = medication_attributes(&note.text, &mentions, rules);
        let chars: Vec<char> = note.text.chars().collect();
        for (gold, found) in note.medications.iter().zip(&found) {
            for score in &mut spans {
                let g = gold_of(gold, score.attribute);
                let p = predicted(found, score.attribute, g);
                score.gold += usize::from(g.is_some());
                score.predicted += usize::from(p.is_some());
                let slice = |r: &Range<usize>| chars[r.clone()].iter().collect::<String>();
                let gold_range = g.map(|g| g.start..g.end);
                let predicted_range = p.as_ref().map(|(p, _)| p.clone());
                if gold_range != predicted_range {
                    report.misses.push([
                        score.attribute.to_owned(),
                        slice(&(gold.start..gold.end)),
                        gold_range.as_ref().map_or("–".into(), slice),
                        predicted_range.as_ref().map_or("–".into(), slice),
                    ]);
                }
                if let (Some(g), Some((p, same_value))) = (g, p) {
                    score.exact += usize::from(g.start == p.start && g.end == p.end);
                    if g.start < p.end && p.start < g.end {
                        score.overlapping += 1;
                        score.same_value += usize::from(same_value);
                    }
                }
            }
            let computed = found.daily_dose.as_ref();
            report.daily_dose_gold += usize::from(gold.daily_dose.is_some());
            report.daily_dose_predicted += usize::from(computed.is_some());
            if let (Some(g), Some(c)) = (&gold.daily_dose, computed) {
                let unit = c.unit.trim_end_matches("/d");
                report.daily_dose_right +=
                    usize::from(close(c.value, g.value) && unit.eq_ignore_ascii_case(&g.unit));
            }
        }
    }
    for score in &mut spans {
        score.strict_precision = ratio(score.exact, score.predicted);
        score.strict_recall = ratio(score.exact, score.gold);
        score.strict_f1 = f1(score.strict_precision, score.strict_recall);
        score.overlap_f1 = f1(
            ratio(score.overlapping, score.predicted),
            ratio(score.overlapping, score.gold),
        );
        score.value_accuracy = ratio(score.same_value, score.overlapping);
    }
    report.spans = spans;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_values_and_daily_doses_are_scored_against_the_gold_lines() {
        let dir = tempfile::tempdir().unwrap();
        let text = "Metformin 500 mg p.o. b.i.d. Aspirin daily.";
        // Metformin: strength, route, frequency and its daily dose as the team wrote them; aspirin's
        // "daily" is marked too, with a wrong per-day value on purpose.
        let line = serde_json::json!({"id": "n", "text": text, "medications": [
            {"start": 0, "end": 9, "mention": "Metformin",
             "strength": {"start": 10, "end": 16, "text": "500 mg", "value": 500.0, "unit": "mg"},
             "route": {"start": 17, "end": 21, "text": "p.o.", "route": "oral"},
             "frequency": {"start": 22, "end": 28, "text": "b.i.d.", "per_day": 2.0, "as_needed": false},
             "daily_dose": {"value": 1000.0, "unit": "mg"}},
            {"start": 29, "end": 36, "mention": "Aspirin",
             "frequency": {"start": 37, "end": 42, "text": "daily", "per_day": 3.0, "as_needed": false}}]});
        std::fs::write(dir.path().join("dev.jsonl"), format!("{line}\n")).unwrap();
        let report = evaluate(dir.path(), "dev", PosologyRules::builtin()).unwrap();
        let score = |name| report.spans.iter().find(|s| s.attribute == name).unwrap();
        assert_eq!((score("strength").gold, score("strength").exact), (1, 1));
        assert_eq!(score("route").same_value, 1);
        assert_eq!(
            (
                score("frequency").overlapping,
                score("frequency").same_value
            ),
            (2, 1)
        );
        assert_eq!((report.daily_dose_gold, report.daily_dose_right), (1, 1));
        assert!(report.markdown().contains("| frequency | 2 | 2 |"));
    }
}
