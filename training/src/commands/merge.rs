//! `merge`: the teachers `select` chose, their labels merged into a student's training set or into
//! predictions to score.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use clinical_ner_engine::EntityType;
use clinical_ner_training::combine::Votes;
use clinical_ner_training::corpus::Span;
use clinical_ner_training::selection::Selection;
use clinical_ner_training::{dataset, predictions, readers};

use super::{read_predictions, teacher_predictions, Documents, Outcome, TeacherPredictions};

#[derive(Clone, Copy, ValueEnum)]
pub enum MergedOutput {
    /// {"id", "entities"} lines, for `evaluate --predictions`.
    Predictions,
    /// {"id", "text", "spans", "words", "tags"} lines: a student's training set.
    Dataset,
}

/// Merge teachers' labels as chosen by `select`, one selection per task, into a student's
/// training set or into predictions to score.
#[derive(Args)]
pub struct MergeArgs {
    #[command(flatten)]
    documents: Documents,
    /// `select --json` output; one per task.
    #[arg(long = "selection", required = true)]
    selections: Vec<PathBuf>,
    /// Each chosen teacher's `label` output on these documents, as NAME=FILE.
    #[arg(long = "teacher", value_parser = teacher_predictions, required = true)]
    teachers: Vec<TeacherPredictions>,
    #[arg(long, value_enum, default_value = "dataset")]
    output: MergedOutput,
    /// Merge the best combination at any cost instead of the one chosen within the budget.
    #[arg(long)]
    best_at_any_cost: bool,
}

pub fn merge(args: MergeArgs) -> Outcome {
    let corpus = args.documents.load()?;
    let predicted = read_predictions(&args.teachers, &corpus)?;
    let texts: Vec<&str> = corpus.documents.iter().map(|d| d.text.as_str()).collect();
    let mut merged: Vec<Vec<Span>> = vec![Vec::new(); corpus.documents.len()];
    let mut tasks = Vec::new();
    for path in &args.selections {
        let selection: Selection = serde_json::from_str(&readers::read_text(path)?)
            .map_err(|e| format!("{}: not a selection ({e})", path.display()))?;
        let task: EntityType = selection.task.parse()?;
        if tasks.contains(&task) {
            return Err(format!("two selections for {task}").into());
        }
        tasks.push(task);
        let combination = if args.best_at_any_cost {
            &selection.best
        } else {
            &selection.chosen
        };
        let chosen: Vec<&[Vec<Span>]> = combination
            .teachers
            .iter()
            .map(|name| {
                predicted
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, p)| p.as_slice())
                    .ok_or_else(|| {
                        format!(
                            "{} chose {name}: give its labels as --teacher {name}=FILE",
                            path.display()
                        )
                    })
            })
            .collect::<Result<_, _>>()?;
        let task_spans = Votes::new(&texts, &chosen, task).merge(combination.rule, task);
        for (all, spans) in merged.iter_mut().zip(task_spans) {
            all.extend(spans);
        }
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for (document, spans) in corpus.documents.iter().zip(&mut merged) {
        spans.sort_unstable();
        let line = match args.output {
            MergedOutput::Predictions => predictions::line(document, spans),
            MergedOutput::Dataset => dataset::line(document, spans),
        };
        writeln!(out, "{line}")?;
    }
    out.flush()?;
    Ok(())
}
