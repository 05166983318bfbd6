//! `clinical-ner-train`: the distillation pipeline's steps as commands. Teachers label a gold corpus
//! or unlabelled notes (`label`), teacher combinations are ranked on gold development data
//! (`select`), the chosen combination's labels are merged into a student's training set or into
//! predictions to score (`merge`), any predictions are scored against gold (`evaluate`), and the
//! corpora the Python trainer learns from are written out (`corpora`). Each command lives in
//! [`commands`]; this file only dispatches.

mod commands;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use commands::{corpora, label, linking, merge, rules_eval, score, select};

#[derive(Parser)]
#[command(name = "clinical-ner-train", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    AttributeEval(rules_eval::AttributeEvalArgs),
    AssertionEval(rules_eval::AssertionEvalArgs),
    Vocabulary(linking::VocabularyArgs),
    LinkEval(linking::LinkEvalArgs),
    /// Which note sections the engine recognises in documents: notes with any heading, and headings
    /// per section (a Markdown table).
    SectionStats(commands::Documents),
    CorpusStats(corpora::CorpusStatsArgs),
    Evaluate(score::EvaluateArgs),
    Label(label::LabelArgs),
    Select(select::SelectArgs),
    Merge(merge::MergeArgs),
    Corpora(corpora::CorporaArgs),
    /// Write a corpus's documents as JSON lines {"id", "text"} on stdout: input for the engine.
    ExportNotes(commands::Documents),
}

fn main() -> ExitCode {
    let outcome = match Cli::parse().command {
        Command::AttributeEval(args) => rules_eval::attribute_eval(args),
        Command::AssertionEval(args) => rules_eval::assertion_eval(args),
        Command::Vocabulary(args) => linking::build_vocabulary(args),
        Command::LinkEval(args) => linking::link_eval(args),
        Command::SectionStats(documents) => corpora::section_stats(&documents),
        Command::CorpusStats(args) => corpora::corpus_stats(args),
        Command::Evaluate(args) => score::evaluate(args),
        Command::Label(args) => label::label(args),
        Command::Select(args) => select::select(args),
        Command::Merge(args) => merge::merge(args),
        Command::Corpora(args) => corpora::write_corpora(args),
        Command::ExportNotes(documents) => corpora::export_notes(&documents),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
