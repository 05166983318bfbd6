//! The errors of reading corpora and predictions.
//!
//! Messages say where (file, line) and what was wrong, never which text: a mention or a note is
//! potentially protected health information. That is also why JSON errors keep only serde_json's
//! category and column, since its messages can quote the offending value.

use std::path::PathBuf;

use thiserror::Error;

#[derive(Debug, Error)]
pub enum Error {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}:{line}: {problem}", path.display())]
    Format {
        path: PathBuf,
        /// 1-based.
        line: usize,
        problem: Problem,
    },
    #[error("unknown corpus \"{name}\" (known: {})", crate::known_corpora::NAMES.join(", "))]
    UnknownCorpus { name: String },
    #[error("unknown training mix \"{name}\" (known: {})", crate::training_mix::MIXES.iter().map(|m| m.name).collect::<Vec<_>>().join(", "))]
    UnknownMix { name: String },
    #[error("mix {mix} needs --teacher-dataset (the output of clinical-ner-train merge)")]
    MissingTeacherDataset { mix: String },
    #[error("{}: no prediction line for document {first} ({count} documents missing in all)", path.display())]
    MissingPredictions {
        path: PathBuf,
        first: String,
        count: usize,
    },
    /// Too many dictionary patterns for the automaton's state ids; names no term.
    #[error("cannot build the dictionary automaton: {0}")]
    Automaton(#[from] aho_corasick::BuildError),
}

/// What was wrong with one line.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum Problem {
    #[error("expected {0}")]
    Malformed(&'static str),
    #[error("span {start}-{end} does not match its mention text")]
    MentionMismatch { start: usize, end: usize },
    #[error("span {start}-{end} does not fit in a text of {length} characters")]
    OffsetsOutOfRange {
        start: usize,
        end: usize,
        length: usize,
    },
    #[error("invalid JSON ({category}) at column {column}")]
    Json {
        category: &'static str,
        column: usize,
    },
    #[error("entity type is not one of medication, disease, symptom")]
    UnknownEntityType,
    #[error("document id {0} appears more than once")]
    DuplicateId(String),
    #[error("document id {0} is not in the corpus")]
    UnknownId(String),
    #[error("no column named {0}")]
    MissingColumn(&'static str),
    /// A vocabulary file's entry is wrong; vocabulary files hold no note text, so it may be quoted.
    #[error("{0}")]
    VocabularyEntry(String),
}

impl Problem {
    pub(crate) fn json(error: &serde_json::Error) -> Problem {
        use serde_json::error::Category;
        let category = match error.classify() {
            Category::Io => "read failure",
            Category::Syntax => "syntax",
            Category::Data => "a value of the wrong type or a missing field",
            Category::Eof => "unexpected end",
        };
        Problem::Json {
            category,
            column: error.column(),
        }
    }
}
