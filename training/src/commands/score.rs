//! `evaluate`: predictions (a teacher's, a merge's or the engine's) against a gold corpus.

use std::path::PathBuf;

use clap::Args;
use clinical_ner_engine::EntityType;
use clinical_ner_training::metrics::{self, Report, ScoreOptions, Scoreboard};
use clinical_ner_training::predictions;

use super::{Documents, Outcome};

/// Score predictions (from `label`, `merge` or the engine's extract example) against a gold
/// corpus: strict, lenient and token-level precision, recall and F1.
#[derive(Args)]
pub struct EvaluateArgs {
    #[command(flatten)]
    documents: Documents,
    /// JSON lines {"id", "entities": [{"entity_type", "start", "end"}, …]}, one per document.
    #[arg(long)]
    predictions: PathBuf,
    /// Also write the scores as JSON here.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Score predicted symptoms as diseases, for corpora that annotate signs and symptoms as
    /// Disease (bc5cdr, ncbi-disease, chia).
    #[arg(long)]
    symptom_counts_as_disease: bool,
}

pub fn evaluate(args: EvaluateArgs) -> Outcome {
    let options = ScoreOptions {
        symptom_counts_as_disease: args.symptom_counts_as_disease,
    };
    let corpus = args.documents.load()?;
    if corpus.labelled_types.is_empty() {
        return Err("evaluate needs a gold corpus (--corpus)".into());
    }
    if options.symptom_counts_as_disease && corpus.labelled_types.contains(&EntityType::Symptom) {
        return Err(format!(
            "{} annotates symptoms itself; --symptom-counts-as-disease would score them away",
            corpus.name
        )
        .into());
    }
    let predicted = predictions::read(&args.predictions, &corpus)?;
    let report = metrics::score(&corpus, &predicted, options);
    print!("{}", markdown(&report));
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&report)? + "\n";
        std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(())
}

fn markdown(report: &Report) -> String {
    let mut table = String::from(
        "| type | gold | strict P | strict R | strict F1 | lenient F1 | token P | token R | token F1 |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    let row = |name: &str, s: &Scoreboard| {
        format!(
            "| {name} | {} | {:.4} | {:.4} | {:.4} | {:.4} | {:.4} | {:.4} | {:.4} |\n",
            s.support,
            s.strict.precision,
            s.strict.recall,
            s.strict.f1,
            s.lenient.f1,
            s.token.precision,
            s.token.recall,
            s.token.f1
        )
    };
    for t in &report.per_type {
        table += &row(t.entity_type.as_str(), &t.scores);
    }
    table + &row("micro", &report.micro)
}
