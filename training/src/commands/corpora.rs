//! Corpora in and out: the folder the Python trainer reads (`corpora`), notes for the engine
//! (`export-notes`), and counts of corpora and of the note sections the engine finds.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use clinical_ner_engine::EntityType;
use clinical_ner_training::{corpus_files, known_corpora, training_mix};

use super::{DataDir, Documents, Outcome};

/// Write the corpora the Python trainer reads into a folder: a mix's training corpora, the
/// development and test sets, or corpora by name (see corpus_files.rs for the format).
#[derive(Args)]
pub struct CorporaArgs {
    #[command(flatten)]
    data: DataDir,
    /// The folder to write (created; files of the same names are replaced).
    #[arg(long)]
    out: PathBuf,
    /// A training mix (training/src/training_mix.rs): its training corpora.
    #[arg(long)]
    mix: Option<String>,
    /// Draws the mix's share of NCBI and its silver sentences.
    #[arg(long, default_value_t = 13)]
    seed: u64,
    /// Notes labelled by the chosen teachers (`merge --output dataset`), for the mixes that use them.
    #[arg(long)]
    teacher_dataset: Option<PathBuf>,
    /// The development sets every choice is made on.
    #[arg(long)]
    dev_sets: bool,
    /// The test sets, reported only.
    #[arg(long)]
    test_sets: bool,
    /// A known corpus by name (repeatable).
    #[arg(long = "corpus")]
    corpora: Vec<String>,
    /// Bring the --corpus corpora to the guidelines, as training does with public corpora.
    #[arg(long)]
    adjusted: bool,
}

pub fn write_corpora(args: CorporaArgs) -> Outcome {
    let mix = args.mix.as_deref().map(training_mix::mix).transpose()?;
    let request = corpus_files::Request {
        mix: mix.map(|m| (m, args.seed)),
        teacher_dataset: args.teacher_dataset.as_deref(),
        dev_sets: args.dev_sets,
        test_sets: args.test_sets,
        named: &args.corpora,
        adjusted: args.adjusted,
    };
    for entry in corpus_files::write(&args.data.data_dir, &args.out, &request)? {
        eprintln!(
            "{} ({:?}): {} documents in {}",
            entry.name, entry.role, entry.documents, entry.file
        );
    }
    Ok(())
}

/// Documents, characters and gold spans per entity type of each corpus.
#[derive(Args)]
pub struct CorpusStatsArgs {
    #[command(flatten)]
    data: DataDir,
    /// Corpus names, e.g. bc5cdr-test maccrobat2020-dev.
    #[arg(required = true)]
    names: Vec<String>,
}

pub fn corpus_stats(args: CorpusStatsArgs) -> Outcome {
    let (data_dir, names) = (&args.data.data_dir, &args.names);
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "| corpus | documents | characters | medication | disease | symptom |"
    )?;
    writeln!(out, "|---|---:|---:|---:|---:|---:|")?;
    for name in names {
        let corpus = known_corpora::load(data_dir, name)?;
        let characters: usize = corpus
            .documents
            .iter()
            .map(|d| d.text.chars().count())
            .sum();
        let counts = corpus.span_counts();
        // A dash, not 0, for a type the corpus does not annotate.
        let cells: Vec<String> = EntityType::ALL
            .iter()
            .map(|t| counts.get(t).map_or("–".into(), usize::to_string))
            .collect();
        writeln!(
            out,
            "| {name} | {} | {characters} | {} |",
            corpus.documents.len(),
            cells.join(" | ")
        )?;
    }
    Ok(())
}

/// Which note sections the engine recognises in documents: notes with any heading, and headings
/// per section (a Markdown table).
pub fn section_stats(documents: &Documents) -> Outcome {
    let corpus = documents.load()?;
    let mut per_section: std::collections::BTreeMap<&str, usize> = Default::default();
    let mut with_heading = 0;
    for document in &corpus.documents {
        let headings = clinical_ner_engine::context::sections::headings(&document.text);
        with_heading += usize::from(!headings.is_empty());
        for heading in headings {
            *per_section.entry(heading.section.as_str()).or_default() += 1;
        }
    }
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{with_heading} of {} documents have a recognised heading.\n\n| section | headings |\n|---|---:|",
        corpus.documents.len()
    )?;
    for (section, count) in per_section {
        writeln!(out, "| {section} | {count} |")?;
    }
    Ok(())
}

/// A corpus's documents as JSON lines {"id", "text"} on stdout: input for the engine.
pub fn export_notes(documents: &Documents) -> Outcome {
    let corpus = documents.load()?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for document in &corpus.documents {
        let line = serde_json::json!({"id": document.id, "text": document.text});
        writeln!(out, "{line}")?;
    }
    out.flush()?;
    Ok(())
}
