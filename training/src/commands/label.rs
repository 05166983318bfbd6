//! `label`: one teacher's labels for documents, with its speed and, for LLM teachers, its usage.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use clinical_ner_engine::EntityType;
use clinical_ner_training::predictions;
use clinical_ner_training::teachers::{self, Teacher, TeacherSources};

use super::{progress_bar, write_json, Documents, Outcome};

/// Label documents with one teacher: JSON lines for `evaluate`, `select` and `merge` on
/// stdout, progress and notes per second on stderr.
#[derive(Args)]
pub struct LabelArgs {
    #[command(flatten)]
    documents: Documents,
    /// A built-in dictionary teacher (dictionary, rxnorm, drugbank, disease-ontology,
    /// symptom-ontology, hpo) or an LLM teacher named in the teachers file.
    #[arg(long)]
    teacher: String,
    /// JSON file of LLM teachers: {"name": {"api": "openai" | "gemini", "base_url", "model",
    /// "api_key_env", "concurrency", …}}.
    #[arg(long, env = "CLINICAL_NER_TEACHERS")]
    teachers: Option<PathBuf>,
    /// Where LLM replies are cached, one subfolder per teacher.
    #[arg(long, default_value = "training/work/llm-cache")]
    cache: PathBuf,
    /// Entity types to ask for (default: all three).
    #[arg(long, value_delimiter = ',')]
    types: Vec<EntityType>,
    /// Also write the run's figures (seconds, notes per second, requests, tokens, cost) as JSON.
    #[arg(long)]
    report: Option<PathBuf>,
}

pub fn label(args: LabelArgs) -> Outcome {
    let corpus = args.documents.load()?;
    let name = args.teacher.as_str();
    let sources = TeacherSources {
        data_dir: &args.documents.data.data_dir,
        teachers_file: args.teachers.as_deref(),
        cache_dir: &args.cache,
    };
    let teacher = Teacher::load(name, &sources)?;
    let types = if args.types.is_empty() {
        &EntityType::ALL[..]
    } else {
        &args.types
    };
    let notes: Vec<&str> = corpus.documents.iter().map(|d| d.text.as_str()).collect();
    let started = Instant::now();
    let (labelled, usage) = teacher.label(&notes, types, &progress_bar(name))?;
    let seconds = started.elapsed().as_secs_f64();
    let notes_per_second = notes.len() as f64 / seconds;
    eprintln!(
        "{name}: labelled {} notes in {seconds:.2} s ({notes_per_second:.1} notes/s)",
        notes.len()
    );
    if let Some(usage) = &usage {
        eprintln!(
            "{name}: {} requests ({} retried), {} from cache, {} failed, {} malformed replies, \
             {} mentions not in the note, {} input and {} output tokens, ${:.4}",
            usage.requests,
            usage.retries,
            usage.cached,
            usage.failed,
            usage.malformed,
            usage.mentions_not_found,
            usage.input_tokens,
            usage.output_tokens,
            usage.cost_usd
        );
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for (document, spans) in corpus.documents.iter().zip(&labelled) {
        writeln!(out, "{}", predictions::line(document, spans))?;
    }
    out.flush()?;
    if let Some(path) = &args.report {
        let figures = serde_json::json!({
            "teacher": name,
            "documents": corpus.name,
            "notes": notes.len(),
            "types": types.iter().map(|t| t.as_str()).collect::<Vec<_>>(),
            "seconds": seconds,
            "notes_per_second": notes_per_second,
            "seconds_per_note": teachers::seconds_per_note(seconds, notes.len(), usage.as_ref()),
            "usage": usage,
        });
        write_json(path, &figures)?;
    }
    Ok(())
}
