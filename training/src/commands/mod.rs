//! The commands of `clinical-ner-train`, one module each (several for close relatives), and what they
//! share: where the data folder is and which documents a command reads.

pub mod corpora;
pub mod label;
pub mod linking;
pub mod merge;
pub mod rules_eval;
pub mod score;
pub mod select;

use std::path::{Path, PathBuf};

use clap::Args;
use clinical_ner_engine::EntityType;
use clinical_ner_training::corpus::{Corpus, Span};
use clinical_ner_training::known_corpora;
use clinical_ner_training::predictions;
use clinical_ner_training::readers::{self, notes, notes::CsvColumns};
use indicatif::{ProgressBar, ProgressStyle};

pub type Outcome = Result<(), Box<dyn std::error::Error>>;

#[derive(Args)]
pub struct DataDir {
    /// Folder holding the public corpora (see its README.md).
    #[arg(long, env = "CLINICAL_NER_DATA", default_value_os_t = known_corpora::default_data_dir())]
    pub data_dir: PathBuf,
}

/// A gold corpus by name or from a file, or unlabelled notes from a file or folder.
#[derive(Args)]
#[group(required = true, multiple = false, args = ["corpus", "gold", "notes"])]
pub struct Documents {
    #[command(flatten)]
    pub data: DataDir,
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
    pub fn load(&self) -> Result<Corpus, Box<dyn std::error::Error>> {
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
pub fn progress_bar(what: &str) -> ProgressBar {
    // indicatif draws only on a terminal, so logs and CI output stay clean.
    let bar = ProgressBar::new(0).with_message(what.to_owned());
    bar.set_style(
        ProgressStyle::with_template("{msg} {bar:40} {pos}/{len} [{elapsed} < {eta}]")
            .expect("a valid template"),
    );
    bar
}

pub fn write_json(path: &Path, value: &impl serde::Serialize) -> Outcome {
    let text = serde_json::to_string_pretty(value)? + "\n";
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()).into())
}

/// A teacher's predictions over the same documents: NAME=FILE.
#[derive(Clone)]
pub struct TeacherPredictions {
    pub name: String,
    pub path: PathBuf,
}

pub fn teacher_predictions(value: &str) -> Result<TeacherPredictions, String> {
    let (name, path) = value
        .split_once('=')
        .ok_or("expected NAME=PREDICTIONS.jsonl")?;
    Ok(TeacherPredictions {
        name: name.to_owned(),
        path: path.into(),
    })
}

/// A teacher's name and its spans in each document.
pub type NamedPredictions = (String, Vec<Vec<Span>>);

pub fn read_predictions(
    teachers: &[TeacherPredictions],
    corpus: &Corpus,
) -> Result<Vec<NamedPredictions>, Box<dyn std::error::Error>> {
    teachers
        .iter()
        .map(|t| Ok((t.name.clone(), predictions::read(&t.path, corpus)?)))
        .collect()
}
