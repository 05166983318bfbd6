//! `clinical-ner-train`: corpus statistics, notes out for the engine, dictionary-teacher labels, and
//! scores of predictions against a gold corpus.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use clinical_ner_engine::EntityType;
use clinical_ner_training::metrics::{self, Report, ScoreOptions, Scoreboard};
use clinical_ner_training::teachers::dictionary::DictionaryTeacher;
use clinical_ner_training::{known_corpora, predictions};

#[derive(Parser)]
#[command(name = "clinical-ner-train", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args)]
struct DataDir {
    /// Folder holding the public corpora (see its README.md).
    #[arg(long, env = "CLINICAL_NER_DATA", default_value_os_t = known_corpora::default_data_dir())]
    data_dir: PathBuf,
}

#[derive(Subcommand)]
enum Command {
    /// Documents, characters and gold spans per entity type of each corpus.
    CorpusStats {
        #[command(flatten)]
        data: DataDir,
        /// Corpus names, e.g. bc5cdr-test maccrobat2020-dev.
        #[arg(required = true)]
        names: Vec<String>,
    },
    /// Score predictions (the engine's extract example output) against a gold corpus.
    Evaluate {
        #[command(flatten)]
        data: DataDir,
        #[arg(long)]
        corpus: String,
        /// JSON lines {"id", "entities": [{"entity_type", "start", "end"}, …]}, one per document.
        #[arg(long)]
        predictions: PathBuf,
        /// Also write the scores as JSON here.
        #[arg(long)]
        json: Option<PathBuf>,
        /// Score predicted symptoms as diseases, for corpora that annotate signs and symptoms as
        /// Disease (bc5cdr, ncbi-disease); the Python trainer's scores do this.
        #[arg(long)]
        symptom_counts_as_disease: bool,
    },
    /// Label a corpus with the dictionary teacher: JSON lines for `evaluate --predictions` on
    /// stdout; terms loaded per type and notes labelled per second on stderr.
    DictionaryLabel {
        #[command(flatten)]
        data: DataDir,
        #[arg(long)]
        corpus: String,
    },
    /// Write a corpus's documents as JSON lines {"id", "text"} on stdout: input for the engine.
    ExportNotes {
        #[command(flatten)]
        data: DataDir,
        #[arg(long)]
        corpus: String,
    },
}

type Outcome = Result<(), Box<dyn std::error::Error>>;

fn main() -> ExitCode {
    let outcome = match Cli::parse().command {
        Command::CorpusStats { data, names } => corpus_stats(&data.data_dir, &names),
        Command::Evaluate {
            data,
            corpus,
            predictions,
            json,
            symptom_counts_as_disease,
        } => evaluate(
            &data.data_dir,
            &corpus,
            &predictions,
            json.as_deref(),
            ScoreOptions {
                symptom_counts_as_disease,
            },
        ),
        Command::ExportNotes { data, corpus } => export_notes(&data.data_dir, &corpus),
        Command::DictionaryLabel { data, corpus } => dictionary_label(&data.data_dir, &corpus),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

fn corpus_stats(data_dir: &Path, names: &[String]) -> Outcome {
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

fn evaluate(
    data_dir: &Path,
    name: &str,
    predictions_path: &Path,
    json: Option<&Path>,
    options: ScoreOptions,
) -> Outcome {
    let corpus = known_corpora::load(data_dir, name)?;
    if options.symptom_counts_as_disease && corpus.labelled_types.contains(&EntityType::Symptom) {
        return Err(format!(
            "{name} annotates symptoms itself; --symptom-counts-as-disease would score them away"
        )
        .into());
    }
    let predicted = predictions::read(predictions_path, &corpus)?;
    let report = metrics::score(&corpus, &predicted, options);
    print!("{}", markdown(&report));
    if let Some(path) = json {
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

fn export_notes(data_dir: &Path, name: &str) -> Outcome {
    let corpus = known_corpora::load(data_dir, name)?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for document in &corpus.documents {
        let line = serde_json::json!({"id": document.id, "text": document.text});
        writeln!(out, "{line}")?;
    }
    out.flush()?;
    Ok(())
}

fn dictionary_label(data_dir: &Path, name: &str) -> Outcome {
    let corpus = known_corpora::load(data_dir, name)?;
    let teacher = DictionaryTeacher::load(data_dir)?;
    let counts: Vec<String> = teacher
        .term_counts()
        .iter()
        .map(|(t, n)| format!("{n} {t}"))
        .collect();
    eprintln!("dictionary terms: {}", counts.join(", "));
    // Timed apart from writing, so that the rate is the teacher's own.
    let started = std::time::Instant::now();
    let labelled: Vec<_> = corpus
        .documents
        .iter()
        .map(|d| teacher.label(&d.text))
        .collect();
    let seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "labelled {} notes in {seconds:.3} s ({:.0} notes/s)",
        corpus.documents.len(),
        corpus.documents.len() as f64 / seconds
    );
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for (document, spans) in corpus.documents.iter().zip(labelled) {
        let chars: Vec<char> = document.text.chars().collect();
        let entities: Vec<_> = spans
            .iter()
            .map(|s| {
                let mention: String = chars[s.start..s.end].iter().collect();
                serde_json::json!({
                    "entity_type": s.entity_type.as_str(),
                    "start": s.start,
                    "end": s.end,
                    "mention": mention,
                })
            })
            .collect();
        let line = serde_json::json!({"id": document.id, "entities": entities});
        writeln!(out, "{line}")?;
    }
    out.flush()?;
    Ok(())
}
