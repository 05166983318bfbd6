//! Teachers' labels of one entity type merged into one labelling, word by word, as in arXiv
//! 2501.00031's IO tagging: a word is inside an entity or not, and a run of inside words is one
//! entity.
//!
//! - [`MergeRule::Union`]: a word is inside when any teacher says so (recall first);
//! - [`MergeRule::Majority`]: when more than half of the teachers say so (ties are outside);
//! - [`MergeRule::LabelModel`]: when the teachers' votes, weighted by each teacher's estimated
//!   sensitivity and specificity, make inside the likelier. The estimates come from the teachers'
//!   agreement on the very notes being labelled (a two-class Dawid-Skene model fitted by EM), not
//!   from gold labels, so the rule works on a site's own unlabelled notes.
//!
//! Words are [`crate::metrics::words`], the unit the token-level metric scores.

use std::ops::Range;

use clinical_ner_engine::EntityType;
use serde::{Deserialize, Serialize};

use crate::corpus::Span;
use crate::metrics::words;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MergeRule {
    Union,
    Majority,
    LabelModel,
}

impl MergeRule {
    pub const ALL: [MergeRule; 3] = [MergeRule::Union, MergeRule::Majority, MergeRule::LabelModel];

    pub fn as_str(self) -> &'static str {
        match self {
            MergeRule::Union => "union",
            MergeRule::Majority => "majority",
            MergeRule::LabelModel => "label-model",
        }
    }
}

/// Each teacher's vote on every word of every document, for one entity type.
pub struct Votes {
    /// Per document, its words' character ranges.
    words: Vec<Vec<Range<usize>>>,
    /// Per document, per word, one vote per teacher.
    votes: Vec<Vec<Vec<bool>>>,
    teachers: usize,
}

impl Votes {
    /// `predictions[t][d]`: teacher `t`'s spans in document `d`; only spans of `entity_type` vote.
    pub fn new(texts: &[&str], predictions: &[&[Vec<Span>]], entity_type: EntityType) -> Self {
        assert!(
            predictions.iter().all(|p| p.len() == texts.len()),
            "every teacher labels every document"
        );
        let mut all_words = Vec::with_capacity(texts.len());
        let mut all_votes = Vec::with_capacity(texts.len());
        for (d, text) in texts.iter().enumerate() {
            let words = words(text);
            let mut votes = vec![vec![false; predictions.len()]; words.len()];
            for (t, teacher) in predictions.iter().enumerate() {
                for span in teacher[d].iter().filter(|s| s.entity_type == entity_type) {
                    // Words are sorted and disjoint: the first one ending after the span's start on.
                    let first = words.partition_point(|w| w.end <= span.start);
                    for (w, word) in words.iter().enumerate().skip(first) {
                        if word.start >= span.end {
                            break;
                        }
                        votes[w][t] = true;
                    }
                }
            }
            all_words.push(words);
            all_votes.push(votes);
        }
        Votes {
            words: all_words,
            votes: all_votes,
            teachers: predictions.len(),
        }
    }

    /// The merged spans of each document, all of `entity_type`.
    pub fn merge(&self, rule: MergeRule, entity_type: EntityType) -> Vec<Vec<Span>> {
        let model = (rule == MergeRule::LabelModel)
            .then(|| LabelModel::fit(self.votes.iter().flatten().map(Vec::as_slice)));
        let inside = |v: &[bool]| match &model {
            Some(model) => model.posterior(v) > 0.5,
            None if rule == MergeRule::Union => v.iter().any(|&x| x),
            None => 2 * v.iter().filter(|&&x| x).count() > self.teachers,
        };
        self.words
            .iter()
            .zip(&self.votes)
            .map(|(words, votes)| {
                let tags: Vec<Option<EntityType>> = votes
                    .iter()
                    .map(|v| inside(v).then_some(entity_type))
                    .collect();
                runs(words, &tags)
            })
            .collect()
    }
}

/// Spans over maximal runs of words tagged with the same type (IO decoding).
pub(crate) fn runs(words: &[Range<usize>], tags: &[Option<EntityType>]) -> Vec<Span> {
    let mut spans: Vec<Span> = Vec::new();
    let mut previous: Option<EntityType> = None;
    for (word, &tag) in words.iter().zip(tags) {
        if let Some(t) = tag {
            match spans.last_mut() {
                Some(last) if previous == Some(t) => last.end = word.end,
                _ => spans.push(Span::new(word.start, word.end, t)),
            }
        }
        previous = tag;
    }
    spans
}

/// A two-class Dawid-Skene model: a prior that a word is inside, and per teacher the probability of
/// voting inside for an inside word (sensitivity) and outside for an outside word (specificity).
#[derive(Debug, Clone, PartialEq)]
pub struct LabelModel {
    pub prior: f64,
    pub sensitivity: Vec<f64>,
    pub specificity: Vec<f64>,
}

const EM_ITERATIONS: usize = 50;
/// Keeps estimates off 0 and 1, where one teacher's vote would overrule all others.
const SMOOTHING: f64 = 1.0;

impl LabelModel {
    pub fn fit<'a>(votes: impl Iterator<Item = &'a [bool]> + Clone) -> Self {
        let teachers = votes.clone().next().map_or(0, <[bool]>::len);
        // Words no teacher votes for are the same observation; count them once, weighted.
        let mut patterns: std::collections::HashMap<Vec<bool>, f64> = Default::default();
        for v in votes {
            *patterns.entry(v.to_vec()).or_default() += 1.0;
        }
        let patterns: Vec<(Vec<bool>, f64)> = patterns.into_iter().collect();
        // Start from the majority vote, then alternate.
        let mut model = LabelModel {
            prior: 0.1,
            sensitivity: vec![0.7; teachers],
            specificity: vec![0.95; teachers],
        };
        let mut posteriors: Vec<f64> = patterns
            .iter()
            .map(|(v, _)| {
                let yes = v.iter().filter(|&&x| x).count();
                if 2 * yes > teachers {
                    1.0
                } else if 2 * yes == teachers && yes > 0 {
                    0.5
                } else {
                    0.0
                }
            })
            .collect();
        for _ in 0..EM_ITERATIONS {
            let total: f64 = patterns.iter().map(|(_, n)| n).sum();
            let inside: f64 = patterns
                .iter()
                .zip(&posteriors)
                .map(|((_, n), p)| n * p)
                .sum();
            model.prior = (inside + SMOOTHING) / (total + 2.0 * SMOOTHING);
            for t in 0..teachers {
                let (mut inside_yes, mut outside_no) = (0.0, 0.0);
                for ((v, n), p) in patterns.iter().zip(&posteriors) {
                    if v[t] {
                        inside_yes += n * p;
                    } else {
                        outside_no += n * (1.0 - p);
                    }
                }
                model.sensitivity[t] = (inside_yes + SMOOTHING) / (inside + 2.0 * SMOOTHING);
                model.specificity[t] =
                    (outside_no + SMOOTHING) / (total - inside + 2.0 * SMOOTHING);
            }
            posteriors = patterns.iter().map(|(v, _)| model.posterior(v)).collect();
        }
        model
    }

    /// The probability that a word with these votes is inside.
    pub fn posterior(&self, votes: &[bool]) -> f64 {
        let (mut inside, mut outside) = (self.prior.ln(), (1.0 - self.prior).ln());
        for ((&vote, &sens), &spec) in votes.iter().zip(&self.sensitivity).zip(&self.specificity) {
            if vote {
                inside += sens.ln();
                outside += (1.0 - spec).ln();
            } else {
                inside += (1.0 - sens).ln();
                outside += spec.ln();
            }
        }
        1.0 / (1.0 + (outside - inside).exp())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use EntityType::{Disease, Medication};

    fn merged(text: &str, teachers: &[Vec<(usize, usize)>], rule: MergeRule) -> Vec<String> {
        let predictions: Vec<Vec<Vec<Span>>> = teachers
            .iter()
            .map(|spans| {
                vec![spans
                    .iter()
                    .map(|&(s, e)| Span::new(s, e, Disease))
                    .collect()]
            })
            .collect();
        let refs: Vec<&[Vec<Span>]> = predictions.iter().map(Vec::as_slice).collect();
        Votes::new(&[text], &refs, Disease).merge(rule, Disease)[0]
            .iter()
            .map(|s| text[s.start..s.end].to_owned())
            .collect()
    }

    //               0         1         2
    //               0123456789012345678901234567
    const TEXT: &str = "acute renal failure and gout";

    #[test]
    fn union_takes_any_word_a_teacher_marks_and_joins_adjacent_words() {
        let teachers = [vec![(6, 19)], vec![(0, 11)], vec![(24, 28)]];
        assert_eq!(
            merged(TEXT, &teachers, MergeRule::Union),
            ["acute renal failure", "gout"]
        );
    }

    #[test]
    fn majority_needs_more_than_half() {
        let teachers = [vec![(6, 19)], vec![(0, 11)], vec![(24, 28)]];
        assert_eq!(merged(TEXT, &teachers, MergeRule::Majority), ["renal"]);
        // Two teachers: a tie is outside, so only what both mark is kept.
        let two = [vec![(6, 19)], vec![(12, 19), (24, 28)]];
        assert_eq!(merged(TEXT, &two, MergeRule::Majority), ["failure"]);
    }

    #[test]
    fn a_span_cutting_a_word_marks_the_whole_word() {
        assert_eq!(merged(TEXT, &[vec![(8, 10)]], MergeRule::Union), ["renal"]);
    }

    #[test]
    fn only_the_merged_type_votes() {
        let predictions = [vec![vec![Span::new(24, 28, Medication)]]];
        let refs: Vec<&[Vec<Span>]> = predictions.iter().map(Vec::as_slice).collect();
        assert!(Votes::new(&[TEXT], &refs, Disease).merge(MergeRule::Union, Disease)[0].is_empty());
    }

    /// Four teachers with independent errors over 5,000 words, 10% inside: two good ones, a noisy
    /// one and a near-useless one, which majority counts as equals. The label model must find out
    /// which is which from their agreement alone, and make fewer errors than majority.
    #[test]
    fn label_model_weighs_teachers_by_estimated_accuracy() {
        // (sensitivity, specificity) of each teacher.
        let teachers = [(0.9, 0.99), (0.85, 0.99), (0.6, 0.9), (0.3, 0.7)];
        let mut state: u64 = 42;
        let mut uniform = move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut votes = Vec::new();
        let mut truth = Vec::new();
        for _ in 0..5000 {
            let inside = uniform() < 0.1;
            let vote = |(sens, spec): (f64, f64), u: f64| if inside { u < sens } else { u >= spec };
            votes.push(
                teachers
                    .iter()
                    .map(|&t| vote(t, uniform()))
                    .collect::<Vec<bool>>(),
            );
            truth.push(inside);
        }
        let model = LabelModel::fit(votes.iter().map(Vec::as_slice));
        for (t, &(sens, spec)) in teachers.iter().enumerate() {
            assert!((model.sensitivity[t] - sens).abs() < 0.1, "{t}: {model:?}");
            assert!((model.specificity[t] - spec).abs() < 0.05, "{t}: {model:?}");
        }
        assert!((model.prior - 0.1).abs() < 0.03, "{model:?}");
        let errors = |predict: &dyn Fn(&[bool]) -> bool| {
            votes
                .iter()
                .zip(&truth)
                .filter(|(v, &t)| predict(v) != t)
                .count()
        };
        let label_model_errors = errors(&|v| model.posterior(v) > 0.5);
        let majority_errors = errors(&|v| v.iter().filter(|&&x| x).count() >= 3);
        assert!(
            label_model_errors < majority_errors,
            "{label_model_errors} vs {majority_errors}"
        );
    }
}
