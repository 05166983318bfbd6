//! Teacher selection: every non-empty subset of the teachers, merged by every rule, scored on a gold
//! development corpus for one entity type, best first.
//!
//! arXiv 2501.00031 scored all 31 subsets of its 5 teachers per task and kept the best by token-level
//! F1; so does [`rank`], with the label model as a third merge rule beside union and majority. A
//! single teacher is the same under every rule and appears once.

use clinical_ner_engine::EntityType;
use serde::{Deserialize, Serialize};

use crate::combine::{MergeRule, Votes};
use crate::corpus::{Corpus, Span};
use crate::metrics::{self, ScoreOptions, Scoreboard};

/// What `select --json` writes and `merge --selection` and the distillation report
/// (`training/python/clinical_ner_train/report.py`) read.
#[derive(Serialize, Deserialize)]
pub struct Selection {
    pub task: String,
    pub corpus: String,
    /// The best combination within the time budget: what `merge` uses.
    pub chosen: Chosen,
    /// The best combination at any cost.
    pub best: Chosen,
    pub max_seconds_per_note: Option<f64>,
    pub ranking: Vec<serde_json::Value>,
}

/// A combination of teachers and the rule that merges their labels.
#[derive(Serialize, Deserialize)]
pub struct Chosen {
    pub teachers: Vec<String>,
    pub rule: MergeRule,
}

/// Subsets are bit masks, so the count is bounded well before 2^n gets large.
pub const MAX_TEACHERS: usize = 12;

#[derive(Debug, Clone, Serialize)]
pub struct Candidate {
    pub teachers: Vec<String>,
    pub rule: MergeRule,
    pub scores: Scoreboard,
}

/// Every candidate's scores for `entity_type` on `corpus`, best token F1 first (ties: fewer
/// teachers, then strict F1). `teachers[t]` is a name and its spans for each document.
pub fn rank(
    corpus: &Corpus,
    teachers: &[(String, Vec<Vec<Span>>)],
    entity_type: EntityType,
) -> Vec<Candidate> {
    assert!(
        (1..=MAX_TEACHERS).contains(&teachers.len()),
        "1 to {MAX_TEACHERS} teachers"
    );
    let texts: Vec<&str> = corpus.documents.iter().map(|d| d.text.as_str()).collect();
    let only_type = Corpus {
        labelled_types: vec![entity_type],
        ..corpus.clone()
    };
    let mut candidates = Vec::new();
    for mask in 1u32..(1 << teachers.len()) {
        let chosen: Vec<&(String, Vec<Vec<Span>>)> = teachers
            .iter()
            .enumerate()
            .filter(|(t, _)| mask & (1 << t) != 0)
            .map(|(_, teacher)| teacher)
            .collect();
        let predictions: Vec<&[Vec<Span>]> = chosen.iter().map(|(_, p)| p.as_slice()).collect();
        let votes = Votes::new(&texts, &predictions, entity_type);
        let rules: &[MergeRule] = if chosen.len() == 1 {
            &[MergeRule::Union]
        } else {
            &MergeRule::ALL
        };
        for &rule in rules {
            let merged = votes.merge(rule, entity_type);
            let report = metrics::score(&only_type, &merged, ScoreOptions::default());
            candidates.push(Candidate {
                teachers: chosen.iter().map(|(name, _)| name.clone()).collect(),
                rule,
                scores: report.micro,
            });
        }
    }
    candidates.sort_by(|a, b| {
        b.scores
            .token
            .f1
            .total_cmp(&a.scores.token.f1)
            .then(a.teachers.len().cmp(&b.teachers.len()))
            .then(b.scores.strict.f1.total_cmp(&a.scores.strict.f1))
    });
    candidates
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::Document;
    use EntityType::Disease;

    #[test]
    fn a_selection_file_keeps_the_fields_merge_and_the_report_read() {
        let chosen = |teachers: &[&str], rule| Chosen {
            teachers: teachers.iter().map(|t| t.to_string()).collect(),
            rule,
        };
        let selection = Selection {
            task: "disease".into(),
            corpus: "ncbi-disease-dev".into(),
            chosen: chosen(&["hpo"], MergeRule::Union),
            best: chosen(&["hpo", "llm"], MergeRule::Majority),
            max_seconds_per_note: Some(0.5),
            ranking: vec![serde_json::json!({"teachers": ["hpo"], "rule": "union"})],
        };
        let value = serde_json::to_value(&selection).unwrap();
        for field in ["task", "corpus", "chosen", "best", "ranking"] {
            assert!(value.get(field).is_some(), "{field}");
        }
        assert_eq!(value["best"]["teachers"], serde_json::json!(["hpo", "llm"]));
        let back: Selection = serde_json::from_value(value).unwrap();
        assert_eq!(back.best.rule, MergeRule::Majority);
        assert_eq!(back.chosen.teachers, ["hpo"]);
    }

    #[test]
    fn scores_every_subset_and_ranks_the_best_first() {
        let text = "gout and asthma and flu";
        let corpus = Corpus {
            name: "c".into(),
            documents: vec![Document {
                id: "d".into(),
                text: text.into(),
                spans: vec![Span::new(0, 4, Disease), Span::new(9, 15, Disease)],
                ignored: Vec::new(),
            }],
            labelled_types: vec![Disease, EntityType::Medication],
            licence: String::new(),
        };
        let teacher = |name: &str, spans: &[(usize, usize)]| {
            let spans = spans
                .iter()
                .map(|&(s, e)| Span::new(s, e, Disease))
                .collect();
            (name.to_owned(), vec![spans])
        };
        // a finds gout, b finds asthma, c finds asthma and flu (wrong).
        let teachers = [
            teacher("a", &[(0, 4)]),
            teacher("b", &[(9, 15)]),
            teacher("c", &[(9, 15), (20, 23)]),
        ];
        let ranked = rank(&corpus, &teachers, Disease);
        // 3 singles + 4 multi-teacher subsets x 3 rules.
        assert_eq!(ranked.len(), 3 + 4 * 3);
        let best = &ranked[0];
        assert_eq!(
            (best.teachers.as_slice(), best.rule),
            (&["a".to_owned(), "b".to_owned()][..], MergeRule::Union)
        );
        assert_eq!(best.scores.token.f1, 1.0);
        let single_c = ranked.iter().find(|c| c.teachers == ["c"]).unwrap();
        assert_eq!(single_c.scores.token.precision, 0.5);
        assert_eq!(single_c.scores.support, 2);
    }
}
