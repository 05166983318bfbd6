//! Scores of predicted spans against a corpus's gold spans, per entity type and micro-averaged over
//! the types the corpus labels (seqeval-style precision, recall, F1 with their counts).
//!
//! - strict: a predicted span is right when a gold span has the same offsets and type;
//! - lenient: when it overlaps a gold span of the same type, each gold and each predicted span used
//!   at most once (a maximum matching, so the count does not depend on span order);
//! - token: word-level, as in arXiv 2501.00031. Words are runs of alphanumerics and single
//!   punctuation characters, BERT's pre-tokenisation, so that the unit does not depend on a model's
//!   sub-word vocabulary; a word takes the type of a span it overlaps, and word types are compared.
//!
//! On a partially labelled corpus, predictions of a type it does not label are dropped before
//! scoring: the corpus cannot say whether they are right. Likewise a document's ignored ranges: their
//! words are not scored, nor are predictions that touch them.

use std::ops::Range;

use clinical_ner_engine::EntityType;
use serde::{Serialize, Serializer};

use crate::corpus::{Corpus, Span};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScoreOptions {
    /// Score a predicted symptom as a disease. BC5CDR and NCBI annotate signs and symptoms as Disease
    /// and have no symptom type, so without this a correct "seizures" predicted as symptom is lost.
    pub symptom_counts_as_disease: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub true_positives: usize,
    pub false_positives: usize,
    pub false_negatives: usize,
}

impl Counts {
    /// 0 when nothing was predicted, as seqeval does.
    pub fn precision(&self) -> f64 {
        ratio(
            self.true_positives,
            self.true_positives + self.false_positives,
        )
    }

    /// 0 when there is nothing to find.
    pub fn recall(&self) -> f64 {
        ratio(
            self.true_positives,
            self.true_positives + self.false_negatives,
        )
    }

    pub fn f1(&self) -> f64 {
        f1(self.precision(), self.recall())
    }

    fn add(&mut self, other: Counts) {
        self.true_positives += other.true_positives;
        self.false_positives += other.false_positives;
        self.false_negatives += other.false_negatives;
    }
}

/// The harmonic mean of precision and recall, 0 when both are.
pub fn f1(precision: f64, recall: f64) -> f64 {
    if precision + recall == 0.0 {
        0.0
    } else {
        2.0 * precision * recall / (precision + recall)
    }
}

/// `numerator / denominator`, 0 for an empty denominator (nothing predicted, nothing to find).
pub fn ratio(numerator: usize, denominator: usize) -> f64 {
    if denominator == 0 {
        0.0
    } else {
        numerator as f64 / denominator as f64
    }
}

/// Counts with the rates they give, so that the JSON needs no recomputing.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Scores {
    #[serde(flatten)]
    pub counts: Counts,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

impl From<Counts> for Scores {
    fn from(counts: Counts) -> Self {
        Scores {
            counts,
            precision: counts.precision(),
            recall: counts.recall(),
            f1: counts.f1(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scoreboard {
    /// Gold spans.
    pub support: usize,
    pub strict: Scores,
    pub lenient: Scores,
    pub token: Scores,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TypeScores {
    #[serde(serialize_with = "type_name")]
    pub entity_type: EntityType,
    #[serde(flatten)]
    pub scores: Scoreboard,
}

fn type_name<S: Serializer>(entity_type: &EntityType, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(entity_type.as_str())
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub corpus: String,
    pub documents: usize,
    pub symptom_counts_as_disease: bool,
    /// The corpus's labelled types, in [`EntityType::ALL`] order.
    pub per_type: Vec<TypeScores>,
    /// Counts summed over `per_type`.
    pub micro: Scoreboard,
}

#[derive(Default, Clone, Copy)]
struct Tally {
    support: usize,
    strict: Counts,
    lenient: Counts,
    token: Counts,
}

impl Tally {
    fn add(&mut self, other: &Tally) {
        self.support += other.support;
        self.strict.add(other.strict);
        self.lenient.add(other.lenient);
        self.token.add(other.token);
    }

    fn scoreboard(&self) -> Scoreboard {
        Scoreboard {
            support: self.support,
            strict: self.strict.into(),
            lenient: self.lenient.into(),
            token: self.token.into(),
        }
    }
}

/// `predictions[i]` are the spans predicted for `corpus.documents[i]`.
pub fn score(corpus: &Corpus, predictions: &[Vec<Span>], options: ScoreOptions) -> Report {
    assert_eq!(
        predictions.len(),
        corpus.documents.len(),
        "one list of predicted spans per document"
    );
    let types: Vec<EntityType> = EntityType::ALL
        .into_iter()
        .filter(|t| corpus.labelled_types.contains(t))
        .collect();
    let scored = |span: &Span| {
        let entity_type = match span.entity_type {
            EntityType::Symptom if options.symptom_counts_as_disease => EntityType::Disease,
            t => t,
        };
        types.contains(&entity_type).then_some(Span {
            entity_type,
            ..*span
        })
    };
    let tally_of = |t| types.iter().position(|&u| u == t).expect("a scored type");
    let mut tallies = vec![Tally::default(); types.len()];
    for (document, predicted) in corpus.documents.iter().zip(predictions) {
        let gold: Vec<Span> = document.spans.iter().filter_map(scored).collect();
        let predicted: Vec<Span> = predicted
            .iter()
            .filter(|s| !document.touches_ignored(s.start, s.end))
            .filter_map(scored)
            .collect();
        for (tally, &entity_type) in tallies.iter_mut().zip(&types) {
            let of_type = |spans: &[Span]| -> Vec<Range<usize>> {
                let mut ranges: Vec<Range<usize>> = spans
                    .iter()
                    .filter(|s| s.entity_type == entity_type)
                    .map(|s| s.start..s.end)
                    .collect();
                ranges.sort_by_key(|r| (r.start, r.end));
                ranges
            };
            let (gold, predicted) = (of_type(&gold), of_type(&predicted));
            tally.support += gold.len();
            tally
                .strict
                .add(counts(&gold, &predicted, exact_matches(&gold, &predicted)));
            tally.lenient.add(counts(
                &gold,
                &predicted,
                overlap_matches(&gold, &predicted),
            ));
        }
        let words = words(&document.text);
        let length = words.last().map_or(0, |w| w.end);
        let gold_labels = char_labels(length, &gold);
        let predicted_labels = char_labels(length, &predicted);
        for word in words {
            if document.touches_ignored(word.start, word.end) {
                continue;
            }
            let label =
                |labels: &[Option<EntityType>]| labels[word.clone()].iter().find_map(|l| *l);
            let (gold, predicted) = (label(&gold_labels), label(&predicted_labels));
            if let Some(t) = gold.filter(|_| gold == predicted) {
                tallies[tally_of(t)].token.true_positives += 1;
                continue;
            }
            if let Some(t) = predicted {
                tallies[tally_of(t)].token.false_positives += 1;
            }
            if let Some(t) = gold {
                tallies[tally_of(t)].token.false_negatives += 1;
            }
        }
    }
    let mut micro = Tally::default();
    for tally in &tallies {
        micro.add(tally);
    }
    Report {
        corpus: corpus.name.clone(),
        documents: corpus.documents.len(),
        symptom_counts_as_disease: options.symptom_counts_as_disease,
        per_type: types
            .iter()
            .zip(&tallies)
            .map(|(&entity_type, tally)| TypeScores {
                entity_type,
                scores: tally.scoreboard(),
            })
            .collect(),
        micro: micro.scoreboard(),
    }
}

fn counts(gold: &[Range<usize>], predicted: &[Range<usize>], matched: usize) -> Counts {
    Counts {
        true_positives: matched,
        false_positives: predicted.len() - matched,
        false_negatives: gold.len() - matched,
    }
}

/// Pairs of equal ranges, each range used once; both lists sorted.
fn exact_matches(gold: &[Range<usize>], predicted: &[Range<usize>]) -> usize {
    let (mut g, mut p, mut matched) = (0, 0, 0);
    while g < gold.len() && p < predicted.len() {
        let (a, b) = (&gold[g], &predicted[p]);
        match (a.start, a.end).cmp(&(b.start, b.end)) {
            std::cmp::Ordering::Less => g += 1,
            std::cmp::Ordering::Greater => p += 1,
            std::cmp::Ordering::Equal => (g, p, matched) = (g + 1, p + 1, matched + 1),
        }
    }
    matched
}

/// The size of a maximum one-to-one matching of overlapping ranges (augmenting paths). A greedy
/// pairing could use up a gold span that a later prediction needed, and undercount.
fn overlap_matches(gold: &[Range<usize>], predicted: &[Range<usize>]) -> usize {
    fn augment(
        p: usize,
        gold: &[Range<usize>],
        predicted: &[Range<usize>],
        owner: &mut [Option<usize>],
        visited: &mut [bool],
    ) -> bool {
        for g in 0..gold.len() {
            let overlaps = gold[g].start < predicted[p].end && predicted[p].start < gold[g].end;
            if overlaps && !visited[g] {
                visited[g] = true;
                if owner[g].is_none_or(|q| augment(q, gold, predicted, owner, visited)) {
                    owner[g] = Some(p);
                    return true;
                }
            }
        }
        false
    }
    let mut owner = vec![None; gold.len()];
    (0..predicted.len())
        .filter(|&p| augment(p, gold, predicted, &mut owner, &mut vec![false; gold.len()]))
        .count()
}

/// The type of every character; where spans nest or overlap, the one starting first wins, as a word
/// can carry only one type.
fn char_labels(length: usize, spans: &[Span]) -> Vec<Option<EntityType>> {
    let mut sorted: Vec<&Span> = spans.iter().collect();
    sorted.sort();
    let mut labels = vec![None; length];
    for span in sorted {
        let end = span.end.min(length);
        for label in labels.iter_mut().take(end).skip(span.start) {
            label.get_or_insert(span.entity_type);
        }
    }
    labels
}

/// Character ranges of the words of `text`, as the engine's rule stages split a note: maximal runs
/// of alphanumeric characters, and every other non-whitespace character alone. BERT keeps symbols
/// such as "°" inside a word; they are rare enough in these corpora that treating them as
/// punctuation changes no score materially.
pub fn words(text: &str) -> Vec<Range<usize>> {
    clinical_ner_engine::context::words::words(text)
        .into_iter()
        .map(|w| w.chars)
        .collect()
}

#[cfg(test)]
mod tests {
    use clinical_ner_engine::EntityType::{Disease, Medication, Symptom};

    use super::*;
    use crate::corpus::Document;

    fn corpus(text: &str, gold: Vec<Span>, labelled_types: Vec<EntityType>) -> Corpus {
        Corpus {
            name: "fixture".into(),
            documents: vec![Document {
                id: "d".into(),
                text: text.into(),
                spans: gold,
                ignored: Vec::new(),
            }],
            labelled_types,
            licence: String::new(),
        }
    }

    fn counts(tp: usize, fp: usize, fn_: usize) -> Counts {
        Counts {
            true_positives: tp,
            false_positives: fp,
            false_negatives: fn_,
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn words_are_alphanumeric_runs_and_single_punctuation() {
        let text = "Naïve pt's BP: 120/80 (ok).";
        let chars: Vec<char> = text.chars().collect();
        let words: Vec<String> = words(text)
            .into_iter()
            .map(|r| chars[r].iter().collect())
            .collect();
        assert_eq!(
            words,
            ["Naïve", "pt", "'", "s", "BP", ":", "120", "/", "80", "(", "ok", ")", "."]
        );
    }

    #[test]
    fn two_gold_three_predicted_one_exact_one_overlapping() {
        //          0         1         2         3         4
        //          0123456789012345678901234567890123456789012345
        let text = "aspirin for chronic kidney disease and gout now";
        let gold = vec![Span::new(0, 7, Disease), Span::new(12, 34, Disease)];
        let predicted = vec![
            Span::new(0, 7, Disease),   // exact
            Span::new(20, 34, Disease), // "kidney disease": overlaps the second gold span
            Span::new(39, 43, Disease), // "gout": wrong
        ];
        let report = score(
            &corpus(text, gold, vec![Disease]),
            &[predicted],
            ScoreOptions::default(),
        );
        assert_eq!(report.per_type.len(), 1);
        let disease = &report.per_type[0].scores;
        assert_eq!(disease.support, 2);
        assert_eq!(disease.strict.counts, counts(1, 2, 1));
        assert!(close(disease.strict.precision, 1.0 / 3.0));
        assert!(close(disease.strict.recall, 1.0 / 2.0));
        assert!(close(disease.strict.f1, 0.4)); // 2·(1/3)·(1/2) / (1/3 + 1/2) = (1/3)/(5/6)
        assert_eq!(disease.lenient.counts, counts(2, 1, 0));
        assert!(close(disease.lenient.precision, 2.0 / 3.0));
        assert!(close(disease.lenient.recall, 1.0));
        assert!(close(disease.lenient.f1, 0.8));
        // Words: gold "aspirin", "chronic", "kidney", "disease"; predicted "aspirin", "kidney",
        // "disease", "gout". TP 3 (aspirin, kidney, disease), FP 1 (gout), FN 1 (chronic).
        assert_eq!(disease.token.counts, counts(3, 1, 1));
        assert!(close(disease.token.precision, 0.75));
        assert!(close(disease.token.recall, 0.75));
        assert_eq!(report.micro, *disease);
    }

    #[test]
    fn each_span_is_matched_once_and_the_matching_is_maximal() {
        // Gold 0..10 and 10..20. Prediction A (5..15) overlaps both, B (0..4) only the first. A greedy
        // pairing of A with the first gold span would leave B unmatched.
        let gold = vec![Span::new(0, 10, Symptom), Span::new(10, 20, Symptom)];
        let predicted = vec![Span::new(0, 4, Symptom), Span::new(5, 15, Symptom)];
        let text = "x".repeat(20);
        let report = score(
            &corpus(&text, gold.clone(), vec![Symptom]),
            &[predicted],
            ScoreOptions::default(),
        );
        assert_eq!(report.per_type[0].scores.lenient.counts, counts(2, 0, 0));
        // Two predictions inside one gold span: one matches, the other is a false positive.
        let predicted = vec![Span::new(0, 3, Symptom), Span::new(5, 8, Symptom)];
        let report = score(
            &corpus(&text, vec![gold[0]], vec![Symptom]),
            &[predicted],
            ScoreOptions::default(),
        );
        assert_eq!(report.per_type[0].scores.lenient.counts, counts(1, 1, 0));
        assert_eq!(report.per_type[0].scores.strict.counts, counts(0, 2, 1));
    }

    #[test]
    fn a_partially_labelled_corpus_ignores_predictions_of_unlabelled_types() {
        let text = "metformin for diabetes with fatigue";
        let gold = vec![Span::new(14, 22, Disease)];
        let predicted = vec![
            Span::new(0, 9, Medication),
            Span::new(14, 22, Disease),
            Span::new(28, 35, Symptom),
        ];
        let report = score(
            &corpus(text, gold, vec![Disease]),
            std::slice::from_ref(&predicted),
            ScoreOptions::default(),
        );
        assert_eq!(report.per_type.len(), 1);
        assert_eq!(report.per_type[0].entity_type, Disease);
        let disease = &report.per_type[0].scores;
        assert_eq!(disease.strict.counts, counts(1, 0, 0));
        assert_eq!(disease.token.counts, counts(1, 0, 0));
        assert_eq!(report.micro.strict.counts, counts(1, 0, 0));

        // With symptoms scored as diseases, "fatigue" becomes a false positive disease.
        let report = score(
            &corpus(text, vec![Span::new(14, 22, Disease)], vec![Disease]),
            &[predicted],
            ScoreOptions {
                symptom_counts_as_disease: true,
            },
        );
        let disease = &report.per_type[0].scores;
        assert_eq!(disease.strict.counts, counts(1, 1, 0));
        assert_eq!(disease.token.counts, counts(1, 1, 0));
    }

    #[test]
    fn ignored_ranges_score_neither_their_words_nor_predictions_touching_them() {
        // PsyTAR-style: "for anxiety" is a drug indication, neither symptom nor O.
        let text = "nausea for anxiety";
        let mut gold = corpus(text, vec![Span::new(0, 6, Symptom)], vec![Symptom]);
        gold.documents[0].ignored = vec![7..18];
        let predicted = vec![Span::new(0, 6, Symptom), Span::new(11, 18, Symptom)];
        let report = score(&gold, &[predicted], ScoreOptions::default());
        let symptom = &report.per_type[0].scores;
        assert_eq!(symptom.strict.counts, counts(1, 0, 0));
        assert_eq!(symptom.token.counts, counts(1, 0, 0));
    }

    #[test]
    fn types_are_scored_separately_and_summed_in_the_micro_average() {
        //          0123456789012345678901234
        let text = "ibuprofen eased headache";
        let gold = vec![Span::new(0, 9, Medication), Span::new(16, 24, Symptom)];
        // The right offsets with the wrong type count against both types.
        let predicted = vec![Span::new(0, 9, Medication), Span::new(16, 24, Disease)];
        let report = score(
            &corpus(text, gold, EntityType::ALL.to_vec()),
            &[predicted],
            ScoreOptions::default(),
        );
        let by_type: Vec<(EntityType, Counts, Counts)> = report
            .per_type
            .iter()
            .map(|t| (t.entity_type, t.scores.strict.counts, t.scores.token.counts))
            .collect();
        assert_eq!(
            by_type,
            vec![
                (Medication, counts(1, 0, 0), counts(1, 0, 0)),
                (Disease, counts(0, 1, 0), counts(0, 1, 0)),
                (Symptom, counts(0, 0, 1), counts(0, 0, 1)),
            ]
        );
        assert_eq!(report.micro.strict.counts, counts(1, 1, 1));
        assert!(close(report.micro.strict.f1, 0.5));
        // Nothing predicted and nothing to find: zeros, not NaN.
        assert_eq!(report.per_type[1].scores.strict.recall, 0.0);
    }

    #[test]
    fn offsets_are_characters_in_token_scoring() {
        // "é" and "—" are multi-byte; the span covers the characters of "fièvre".
        let text = "Patient — fièvre.";
        let gold = vec![Span::new(10, 16, Symptom)];
        let report = score(
            &corpus(text, gold.clone(), vec![Symptom]),
            &[gold],
            ScoreOptions::default(),
        );
        assert_eq!(report.per_type[0].scores.token.counts, counts(1, 0, 0));
    }

    #[test]
    fn the_report_serialises_with_type_names_and_counts() {
        let report = score(
            &corpus("a", vec![], vec![Disease]),
            &[vec![]],
            ScoreOptions::default(),
        );
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["per_type"][0]["entity_type"], "disease");
        assert_eq!(json["per_type"][0]["strict"]["true_positives"], 0);
        assert_eq!(json["micro"]["token"]["f1"], 0.0);
    }
}
