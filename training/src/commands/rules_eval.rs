//! The engine's rule stages scored on gold corpora: medication attributes and assertion status.

use std::path::PathBuf;

use clap::Args;
use clinical_ner_engine::posology::PosologyRules;
use clinical_ner_training::{assertion_eval, attribute_eval, note_attribute_eval};

use super::{DataDir, Outcome};

/// Score the engine's medication attribute rules (strength, dose, route, frequency, duration,
/// daily dose) on MACCROBAT's Dosage, Administration and Frequency spans of its gold medications, or
/// on a split of the team's note attribute set.
#[derive(Args)]
pub struct AttributeEvalArgs {
    #[command(flatten)]
    data: DataDir,
    /// Score on the note attribute set's split instead (dev for every choice, test for the report).
    #[arg(long, value_parser = ["dev", "test"])]
    notes: Option<String>,
    /// Misses listed per attribute with --notes.
    #[arg(long, default_value_t = 0)]
    misses: usize,
    /// Also write the scores as JSON here.
    #[arg(long)]
    json: Option<PathBuf>,
}

/// Score the engine's assertion rules (present, absent, possible, historical, …) on MACCROBAT's
/// gold polarity and history annotations: per-class table, confusion matrix and the errors.
#[derive(Args)]
pub struct AssertionEvalArgs {
    #[command(flatten)]
    data: DataDir,
    /// Also write the report as Markdown here.
    #[arg(long)]
    markdown: Option<PathBuf>,
    /// Also write the scores and every error as JSON here.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Errors shown per (gold, predicted) pair.
    #[arg(long, default_value_t = 4)]
    examples: usize,
    /// Score on Chia instead (negation only): the folder of its brat files, unzipped from
    /// chia/chia_without_scope.zip in the data folder.
    #[arg(long)]
    chia: Option<PathBuf>,
}

pub fn attribute_eval(args: AttributeEvalArgs) -> Outcome {
    let (markdown, json) = match &args.notes {
        Some(split) => {
            let rules = PosologyRules::builtin();
            let report =
                note_attribute_eval::evaluate(&note_attribute_eval::set_dir(), split, rules)?;
            let misses = report.misses_markdown(args.misses);
            (
                report.markdown() + &misses,
                serde_json::to_string_pretty(&report)?,
            )
        }
        None => {
            let report = attribute_eval::evaluate_maccrobat(&args.data.data_dir)?;
            (report.markdown(), serde_json::to_string_pretty(&report)?)
        }
    };
    print!("{markdown}");
    if let Some(path) = &args.json {
        std::fs::write(path, json)?;
    }
    Ok(())
}

pub fn assertion_eval(args: AssertionEvalArgs) -> Outcome {
    let report = match &args.chia {
        Some(folder) => assertion_eval::evaluate_chia(folder)?,
        None => assertion_eval::evaluate_maccrobat(&args.data.data_dir)?,
    };
    let table = report.markdown(args.examples);
    print!("{table}");
    if let Some(path) = &args.markdown {
        std::fs::write(path, &table)?;
    }
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&report)?)?;
    }
    Ok(())
}
