//! `clinical-ner-train`: the distillation pipeline's steps as commands. Teachers label a gold corpus
//! or unlabelled notes (`label`), teacher combinations are ranked on gold development data
//! (`select`), the chosen combination's labels are merged into a student's training set or into
//! predictions to score (`merge`), and any predictions are scored against gold (`evaluate`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use std::time::Instant;

use clap::{Args, Parser, Subcommand, ValueEnum};
use clinical_ner_engine::EntityType;
use clinical_ner_training::combine::{MergeRule, Votes};
use clinical_ner_training::corpus::{Corpus, Span};
use clinical_ner_training::metrics::{self, Report, ScoreOptions, Scoreboard};
use clinical_ner_training::readers::{self, notes, notes::CsvColumns};
use clinical_ner_training::teachers::{self, Teacher, TeacherSources};
use clinical_ner_training::{
    assertion_eval, attribute_eval, corpus_files, dataset, known_corpora, link_eval, note_link_eval, predictions,
    selection, training_mix, vocabulary,
};
use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};

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

/// A gold corpus by name or from a file, or unlabelled notes from a file or folder.
#[derive(Args)]
#[group(required = true, multiple = false, args = ["corpus", "gold", "notes"])]
struct Documents {
    #[command(flatten)]
    data: DataDir,
    /// A known corpus, e.g. bc5cdr-dev.
    #[arg(long)]
    corpus: Option<String>,
    /// A gold corpus in JSON lines {"id", "text", "spans", "ignore"} (the files `corpora` writes).
    #[arg(long)]
    gold: Option<PathBuf>,
    /// The types the --gold corpus annotates (default: all three).
    #[arg(long, value_delimiter = ',', requires = "gold")]
    labelled_types: Vec<EntityType>,
    /// Unlabelled notes: a folder of .txt files, a CSV file (.csv or .csv.gz) or JSON lines
    /// {"id", "text"} (.jsonl).
    #[arg(long)]
    notes: Option<PathBuf>,
    /// CSV column holding a note's id.
    #[arg(long, default_value = "note_id")]
    id_column: String,
    /// CSV column holding a note's text.
    #[arg(long, default_value = "transcription")]
    text_column: String,
    /// Only the first N documents (a sample for a slow teacher; use the same N in every step).
    #[arg(long)]
    limit: Option<usize>,
}

impl Documents {
    fn load(&self) -> Result<Corpus, Box<dyn std::error::Error>> {
        let mut corpus = match (&self.corpus, &self.gold, &self.notes) {
            (Some(name), _, _) => known_corpora::load(&self.data.data_dir, name)?,
            (None, Some(path), _) => Corpus {
                name: path.display().to_string(),
                documents: readers::jsonl::read(path, |label| label.parse().ok())?,
                labelled_types: if self.labelled_types.is_empty() {
                    EntityType::ALL.to_vec()
                } else {
                    self.labelled_types.clone()
                },
                licence: "the gold file's own".to_owned(),
            },
            (None, None, Some(path)) => Corpus {
                name: path.display().to_string(),
                documents: notes::read(
                    path,
                    &CsvColumns {
                        id: self.id_column.clone(),
                        text: self.text_column.clone(),
                    },
                )?,
                labelled_types: Vec::new(),
                licence: "the notes' own".to_owned(),
            },
            (None, None, None) => unreachable!("clap requires one"),
        };
        if let Some(limit) = self.limit {
            corpus.documents.truncate(limit);
        }
        Ok(corpus)
    }
}

/// A teacher's predictions over the same documents: NAME=FILE.
#[derive(Clone)]
struct TeacherPredictions {
    name: String,
    path: PathBuf,
}

fn teacher_predictions(value: &str) -> Result<TeacherPredictions, String> {
    let (name, path) = value
        .split_once('=')
        .ok_or("expected NAME=PREDICTIONS.jsonl")?;
    Ok(TeacherPredictions {
        name: name.to_owned(),
        path: path.into(),
    })
}

#[derive(Clone, Copy, ValueEnum)]
enum MergedOutput {
    /// {"id", "entities"} lines, for `evaluate --predictions`.
    Predictions,
    /// {"id", "text", "spans", "words", "tags"} lines: a student's training set.
    Dataset,
}

#[derive(Subcommand)]
enum Command {
    /// Score the engine's medication attribute rules (strength, dose, route, frequency) on
    /// MACCROBAT's Dosage, Administration and Frequency spans of its gold medications.
    AttributeEval {
        #[command(flatten)]
        data: DataDir,
        /// Also write the scores as JSON here.
        #[arg(long)]
        json: Option<PathBuf>,
    },
    /// Score the engine's assertion rules (present, absent, possible, historical, …) on MACCROBAT's
    /// gold polarity and history annotations: per-class table, confusion matrix and the errors.
    AssertionEval {
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
    },
    /// Build the engine's linking vocabulary (terms.tsv, manifest.json) from the open vocabularies in
    /// the data folder; `clinical_ner.vocabulary_path` points the extension at it.
    Vocabulary {
        #[command(flatten)]
        data: DataDir,
        /// Folder to write (created if missing).
        #[arg(long)]
        out: PathBuf,
    },
    /// Linking accuracy on BC5CDR's MeSH-coded gold mentions, per entity type and linking step;
    /// approximate-match thresholds compared on the development split, the chosen one on test.
    LinkEval {
        #[command(flatten)]
        data: DataDir,
        /// A vocabulary folder (from `vocabulary`); built from the data folder when absent.
        #[arg(long)]
        vocabulary: Option<PathBuf>,
        /// Also write the report as Markdown here.
        #[arg(long)]
        markdown: Option<PathBuf>,
    },
    /// Which note sections the engine recognises in documents: notes with any heading, and headings
    /// per section (a Markdown table).
    SectionStats {
        #[command(flatten)]
        documents: Documents,
    },
    /// Documents, characters and gold spans per entity type of each corpus.
    CorpusStats {
        #[command(flatten)]
        data: DataDir,
        /// Corpus names, e.g. bc5cdr-test maccrobat2020-dev.
        #[arg(required = true)]
        names: Vec<String>,
    },
    /// Score predictions (from `label`, `merge` or the engine's extract example) against a gold
    /// corpus: strict, lenient and token-level precision, recall and F1.
    Evaluate {
        #[command(flatten)]
        documents: Documents,
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
    /// Label documents with one teacher: JSON lines for `evaluate`, `select` and `merge` on
    /// stdout, progress and notes per second on stderr.
    Label {
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
    },
    /// Rank every combination of teachers for one entity type on a gold development corpus:
    /// every non-empty subset, merged by union, majority and the label model, best token F1 first.
    Select {
        #[command(flatten)]
        documents: Documents,
        /// The entity type (task) to choose teachers for.
        #[arg(long)]
        task: EntityType,
        /// A teacher's `label` output on the same documents, as NAME=FILE; two or more.
        #[arg(long = "teacher", value_parser = teacher_predictions, required = true)]
        teachers: Vec<TeacherPredictions>,
        /// Write the ranking and the choice as JSON here (input of `merge --selection`).
        #[arg(long)]
        json: Option<PathBuf>,
        /// Choose only among combinations whose teachers, run one after another, took at most this
        /// many seconds per document here (read from each FILE's `label --report`, FILE with
        /// .report.json for .jsonl). The best combination at any cost is still ranked and reported.
        #[arg(long)]
        max_seconds_per_note: Option<f64>,
    },
    /// Merge teachers' labels as chosen by `select`, one selection per task, into a student's
    /// training set or into predictions to score.
    Merge {
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
    },
    /// Write the corpora the Python trainer reads into a folder: a mix's training corpora, the
    /// development and test sets, or corpora by name (see corpus_files.rs for the format).
    Corpora {
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
    },
    /// Write a corpus's documents as JSON lines {"id", "text"} on stdout: input for the engine.
    ExportNotes {
        #[command(flatten)]
        documents: Documents,
    },
}

type Outcome = Result<(), Box<dyn std::error::Error>>;

fn main() -> ExitCode {
    let outcome = match Cli::parse().command {
        Command::CorpusStats { data, names } => corpus_stats(&data.data_dir, &names),
        Command::AttributeEval { data, json } => attribute_eval(&data.data_dir, json.as_deref()),
        Command::AssertionEval {
            data,
            markdown,
            json,
            examples,
            chia,
        } => assertion_eval(
            &data.data_dir,
            chia.as_deref(),
            markdown.as_deref(),
            json.as_deref(),
            examples,
        ),
        Command::Evaluate {
            documents,
            predictions,
            json,
            symptom_counts_as_disease,
        } => evaluate(
            &documents,
            &predictions,
            json.as_deref(),
            ScoreOptions {
                symptom_counts_as_disease,
            },
        ),
        Command::Label {
            documents,
            teacher,
            teachers,
            cache,
            types,
            report,
        } => label(
            &documents,
            &teacher,
            &TeacherSources {
                data_dir: &documents.data.data_dir,
                teachers_file: teachers.as_deref(),
                cache_dir: &cache,
            },
            &types,
            report.as_deref(),
        ),
        Command::Select {
            documents,
            task,
            teachers,
            json,
            max_seconds_per_note,
        } => select(
            &documents,
            task,
            &teachers,
            json.as_deref(),
            max_seconds_per_note,
        ),
        Command::Merge {
            documents,
            selections,
            teachers,
            output,
            best_at_any_cost,
        } => merge(&documents, &selections, &teachers, output, best_at_any_cost),
        Command::Corpora {
            data,
            out,
            mix,
            seed,
            teacher_dataset,
            dev_sets,
            test_sets,
            corpora,
            adjusted,
        } => write_corpora(
            &data.data_dir,
            &out,
            mix.as_deref(),
            &corpus_files::Request {
                mix: None,
                teacher_dataset: teacher_dataset.as_deref(),
                dev_sets,
                test_sets,
                named: &corpora,
                adjusted,
            },
            seed,
        ),
        Command::ExportNotes { documents } => export_notes(&documents),
        Command::SectionStats { documents } => section_stats(&documents),
        Command::Vocabulary { data, out } => build_vocabulary(&data.data_dir, &out),
        Command::LinkEval {
            data,
            vocabulary,
            markdown,
        } => link_eval(&data.data_dir, vocabulary.as_deref(), markdown.as_deref()),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

fn write_corpora(
    data_dir: &Path,
    out: &Path,
    mix: Option<&str>,
    request: &corpus_files::Request,
    seed: u64,
) -> Outcome {
    let mix = mix.map(training_mix::mix).transpose()?;
    let request = corpus_files::Request {
        mix: mix.map(|m| (m, seed)),
        ..*request
    };
    for entry in corpus_files::write(data_dir, out, &request)? {
        eprintln!(
            "{} ({:?}): {} documents in {}",
            entry.name,
            entry.role,
            entry.documents,
            entry.file
        );
    }
    Ok(())
}

fn attribute_eval(data_dir: &Path, json: Option<&Path>) -> Outcome {
    let report = attribute_eval::evaluate_maccrobat(data_dir)?;
    print!("{}", report.markdown());
    if let Some(path) = json {
        std::fs::write(path, serde_json::to_string_pretty(&report)?)?;
    }
    Ok(())
}

fn assertion_eval(
    data_dir: &Path,
    chia: Option<&Path>,
    markdown: Option<&Path>,
    json: Option<&Path>,
    examples: usize,
) -> Outcome {
    let report = match chia {
        Some(folder) => assertion_eval::evaluate_chia(folder)?,
        None => assertion_eval::evaluate_maccrobat(data_dir)?,
    };
    let table = report.markdown(examples);
    print!("{table}");
    if let Some(path) = markdown {
        std::fs::write(path, &table)?;
    }
    if let Some(path) = json {
        std::fs::write(path, serde_json::to_string_pretty(&report)?)?;
    }
    Ok(())
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
    documents: &Documents,
    predictions_path: &Path,
    json: Option<&Path>,
    options: ScoreOptions,
) -> Outcome {
    let corpus = documents.load()?;
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

fn build_vocabulary(data_dir: &Path, out: &Path) -> Outcome {
    let (terms, manifest) = vocabulary::build(data_dir)?;
    vocabulary::write(out, &terms, &manifest)?;
    let counts: Vec<String> = manifest
        .term_counts
        .iter()
        .map(|(system, n)| format!("{system} {n}"))
        .collect();
    eprintln!(
        "{} terms ({}) in {}",
        terms.len(),
        counts.join(", "),
        out.display()
    );
    Ok(())
}

fn link_eval(data_dir: &Path, folder: Option<&Path>, markdown: Option<&Path>) -> Outcome {
    let started = std::time::Instant::now();
    let mut loaded = match folder {
        Some(folder) => clinical_ner_engine::linking::Vocabulary::load(folder)?,
        None => {
            clinical_ner_engine::linking::Vocabulary::from_terms(vocabulary::build(data_dir)?.0)
        }
    };
    let load_seconds = started.elapsed().as_secs_f64();
    let crosswalk = link_eval::Crosswalk::load(data_dir)?;
    let mut report = format!(
        "{} terms, loaded in {load_seconds:.2} s.\n\n",
        loaded.term_count()
    );
    let dev = link_eval::bc5cdr_mentions(data_dir, "dev")?;
    report += "Approximate-match threshold on bc5cdr-dev (above 1: no approximate step):\n\n| threshold | medication accuracy | medication precision | disease accuracy | disease precision |\n|---|---:|---:|---:|---:|\n";
    for threshold in [0.75, 0.80, 0.85, 0.90, 0.95, 1.01] {
        loaded = loaded.with_approximate_threshold(Some(threshold));
        let scores = link_eval::score(&loaded, &crosswalk, &dev);
        report += &format!(
            "| {threshold:.2} | {:.3} | {:.3} | {:.3} | {:.3} |\n",
            scores[0].accuracy, scores[0].precision, scores[1].accuracy, scores[1].precision
        );
    }
    loaded = loaded.with_approximate_threshold(None);
    for split in ["dev", "test"] {
        let mentions = link_eval::bc5cdr_mentions(data_dir, split)?;
        let scores = link_eval::score(&loaded, &crosswalk, &mentions);
        report += "\n";
        report += &link_eval::markdown(
            &format!("bc5cdr-{split}, the built-in thresholds (steps: correct/linked):"),
            &scores,
        );
        if split == "test" {
            for s in &scores {
                let wrong: Vec<String> =
                    s.wrong.iter().map(|(m, p)| format!("{m} → {p}")).collect();
                report += &format!(
                    "\nWrong {} links (first {}): {}\n",
                    s.entity_type,
                    wrong.len(),
                    wrong.join("; ")
                );
            }
        }
    }
    let gold = note_link_eval::gold_path();
    if gold.exists() {
        report += &notes_link_report(loaded, &note_link_eval::read(&gold)?);
    }
    print!("{report}");
    if let Some(path) = markdown {
        std::fs::write(path, &report)?;
    }
    Ok(())
}

/// The note linking gold set: the approximate step's threshold per type swept on the dev half (the
/// right share, and the approximate step's precision, of each), then both halves at the built-in
/// thresholds.
fn notes_link_report(
    mut loaded: clinical_ner_engine::linking::Vocabulary,
    judged: &[note_link_eval::Judged],
) -> String {
    let mut report = String::from(
        "\n## The note linking gold set\n\nApproximate-step threshold on the dev half (right share; approximate links right/linked):\n\n| threshold | medication | disease | symptom |\n|---|---|---|---|\n",
    );
    for threshold in [0.80, 0.85, 0.88, 0.90, 0.92, 0.95, 1.01] {
        loaded = loaded.with_approximate_threshold(Some(threshold));
        let scores = note_link_eval::score(&loaded, judged, "dev");
        let cells: Vec<String> = scores
            .iter()
            .map(|s| {
                let a = &s.steps["approximate"];
                format!("{:.3}; {}/{}", s.right_share, a.correct, a.linked)
            })
            .collect();
        report += &format!("| {threshold:.2} | {} |\n", cells.join(" | "));
    }
    loaded = loaded.with_approximate_threshold(None);
    for half in ["dev", "test"] {
        report += "\n";
        report += &note_link_eval::markdown(
            &format!("Note linking gold set, {half} half, the built-in thresholds:"),
            &note_link_eval::score(&loaded, judged, half),
        );
    }
    report
}

fn section_stats(documents: &Documents) -> Outcome {
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

fn export_notes(documents: &Documents) -> Outcome {
    let corpus = documents.load()?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for document in &corpus.documents {
        let line = serde_json::json!({"id": document.id, "text": document.text});
        writeln!(out, "{line}")?;
    }
    out.flush()?;
    Ok(())
}

fn progress_bar(what: &str) -> ProgressBar {
    // indicatif draws only on a terminal, so logs and CI output stay clean.
    let bar = ProgressBar::new(0).with_message(what.to_owned());
    bar.set_style(
        ProgressStyle::with_template("{msg} {bar:40} {pos}/{len} [{elapsed} < {eta}]")
            .expect("a valid template"),
    );
    bar
}

fn label(
    documents: &Documents,
    name: &str,
    sources: &TeacherSources,
    types: &[EntityType],
    report: Option<&Path>,
) -> Outcome {
    let corpus = documents.load()?;
    let teacher = Teacher::load(name, sources)?;
    let types = if types.is_empty() {
        &EntityType::ALL[..]
    } else {
        types
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
    if let Some(path) = report {
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

fn write_json(path: &Path, value: &impl serde::Serialize) -> Outcome {
    let text = serde_json::to_string_pretty(value)? + "\n";
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()).into())
}

/// A teacher's name and its spans in each document.
type NamedPredictions = (String, Vec<Vec<Span>>);

fn read_predictions(
    teachers: &[TeacherPredictions],
    corpus: &Corpus,
) -> Result<Vec<NamedPredictions>, Box<dyn std::error::Error>> {
    teachers
        .iter()
        .map(|t| Ok((t.name.clone(), predictions::read(&t.path, corpus)?)))
        .collect()
}

/// What `select --json` writes and `merge --selection` reads.
#[derive(Serialize, Deserialize)]
struct Selection {
    task: String,
    corpus: String,
    /// The best combination within the time budget: what `merge` uses.
    chosen: Chosen,
    /// The best combination at any cost.
    best: Chosen,
    max_seconds_per_note: Option<f64>,
    ranking: Vec<serde_json::Value>,
}

#[derive(Serialize, Deserialize)]
struct Chosen {
    teachers: Vec<String>,
    rule: MergeRule,
}

/// Seconds per note of each teacher (`teachers::seconds_per_note`), from the `label --report` beside
/// its predictions; `None` without a report, or from a run whose replies all came from the cache.
fn teacher_speeds(
    teachers: &[TeacherPredictions],
) -> Result<Vec<Option<f64>>, Box<dyn std::error::Error>> {
    teachers
        .iter()
        .map(|t| {
            let report = t.path.with_extension("report.json");
            if !report.exists() {
                return Ok(None);
            }
            let figures: serde_json::Value = serde_json::from_str(&readers::read_text(&report)?)?;
            Ok(figures["seconds_per_note"].as_f64())
        })
        .collect()
}

fn select(
    documents: &Documents,
    task: EntityType,
    teachers: &[TeacherPredictions],
    json: Option<&Path>,
    max_seconds_per_note: Option<f64>,
) -> Outcome {
    let corpus = documents.load()?;
    if !corpus.labelled_types.contains(&task) {
        return Err(format!("{} has no gold {task} labels to select by", corpus.name).into());
    }
    if teachers.len() > selection::MAX_TEACHERS {
        return Err(format!("at most {} teachers", selection::MAX_TEACHERS).into());
    }
    let predicted = read_predictions(teachers, &corpus)?;
    let speeds = teacher_speeds(teachers)?;
    if max_seconds_per_note.is_some() && speeds.iter().any(Option::is_none) {
        return Err(
            "--max-seconds-per-note needs each teacher's speed: a label --report beside its \
             predictions, from a run not answered wholly from the LLM cache"
                .into(),
        );
    }
    let cost = |names: &[String]| -> f64 {
        names
            .iter()
            .map(|n| {
                let t = teachers
                    .iter()
                    .position(|t| &t.name == n)
                    .expect("a ranked teacher");
                speeds[t].unwrap_or(0.0)
            })
            .sum()
    };
    let ranked = selection::rank(&corpus, &predicted, task);
    let affordable =
        |c: &selection::Candidate| max_seconds_per_note.is_none_or(|m| cost(&c.teachers) <= m);
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "| rank | teachers | merge | token P | token R | token F1 | strict F1 | lenient F1 | s/note |"
    )?;
    writeln!(out, "|---:|---|---|---:|---:|---:|---:|---:|---:|")?;
    for (rank, c) in ranked.iter().enumerate() {
        let s = &c.scores;
        writeln!(
            out,
            "| {} | {} | {} | {:.4} | {:.4} | {:.4} | {:.4} | {:.4} | {:.4}{} |",
            rank + 1,
            c.teachers.join(" + "),
            if c.teachers.len() == 1 {
                "–"
            } else {
                c.rule.as_str()
            },
            s.token.precision,
            s.token.recall,
            s.token.f1,
            s.strict.f1,
            s.lenient.f1,
            cost(&c.teachers),
            if affordable(c) { "" } else { " (over budget)" }
        )?;
    }
    let best = &ranked[0];
    let chosen = ranked
        .iter()
        .find(|c| affordable(c))
        .ok_or("no combination fits --max-seconds-per-note")?;
    eprintln!(
        "chosen for {task}: {} ({}), token F1 {:.4} on {}",
        chosen.teachers.join(" + "),
        chosen.rule.as_str(),
        chosen.scores.token.f1,
        corpus.name
    );
    if let Some(path) = json {
        let as_chosen = |c: &selection::Candidate| Chosen {
            teachers: c.teachers.clone(),
            rule: c.rule,
        };
        let ranking = ranked
            .iter()
            .map(|c| {
                let mut value = serde_json::to_value(c)?;
                value["seconds_per_note"] = cost(&c.teachers).into();
                value["within_budget"] = affordable(c).into();
                Ok(value)
            })
            .collect::<Result<_, serde_json::Error>>()?;
        let selection = Selection {
            task: task.as_str().to_owned(),
            corpus: corpus.name.clone(),
            chosen: as_chosen(chosen),
            best: as_chosen(best),
            max_seconds_per_note,
            ranking,
        };
        write_json(path, &selection)?;
    }
    Ok(())
}

fn merge(
    documents: &Documents,
    selection_paths: &[PathBuf],
    teachers: &[TeacherPredictions],
    output: MergedOutput,
    best_at_any_cost: bool,
) -> Outcome {
    let corpus = documents.load()?;
    let predicted = read_predictions(teachers, &corpus)?;
    let texts: Vec<&str> = corpus.documents.iter().map(|d| d.text.as_str()).collect();
    let mut merged: Vec<Vec<Span>> = vec![Vec::new(); corpus.documents.len()];
    let mut tasks = Vec::new();
    for path in selection_paths {
        let selection: Selection = serde_json::from_str(&readers::read_text(path)?)
            .map_err(|e| format!("{}: not a selection ({e})", path.display()))?;
        let task: EntityType = selection.task.parse()?;
        if tasks.contains(&task) {
            return Err(format!("two selections for {task}").into());
        }
        tasks.push(task);
        let combination = if best_at_any_cost {
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
        let line = match output {
            MergedOutput::Predictions => predictions::line(document, spans),
            MergedOutput::Dataset => dataset::line(document, spans),
        };
        writeln!(out, "{line}")?;
    }
    out.flush()?;
    Ok(())
}
