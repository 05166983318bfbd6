//! The medication attribute rules against MACCROBAT's Dosage, Administration and Frequency spans of
//! its gold medications (`clinical-ner-train attribute-eval`).

mod common;

use clinical_ner_training::attribute_eval;
use common::data_dir;

#[test]
fn maccrobat_attributes_are_read_and_found_with_high_precision() {
    let Some(dir) = data_dir() else { return };
    let report = attribute_eval::evaluate_maccrobat(&dir).expect("MACCROBAT reads");
    assert_eq!(report.medications, 245);
    let gold: Vec<usize> = report.scores.iter().map(|s| s.gold).collect();
    // Spans that MODIFY a Medication event (through the event's trigger).
    assert_eq!(gold, vec![75, 58, 12]);
    for score in &report.scores {
        assert!(
            score.precision >= 0.9,
            "{}: precision {:.3}",
            score.label,
            score.precision
        );
        assert!(
            score.recall >= 0.5,
            "{}: recall {:.3}",
            score.label,
            score.recall
        );
    }
}
