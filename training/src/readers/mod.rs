//! One parser per corpus file format, each turning a corpus's files into [`Document`]s with
//! character offsets; which label names mean which entity type is the caller's [`LabelMap`].
//!
//! Every format has a `parse` on contents already in memory (what the tests use) and a reader on
//! paths; errors name the file and the 1-based line.
//!
//! [`Document`]: crate::corpus::Document
//! [`LabelMap`]: crate::corpus::LabelMap

pub mod brat;
pub mod conll;
pub mod jsonl;
pub mod notes;
pub mod pubtator;

use std::path::Path;

use crate::{Error, Result};

pub fn read_text(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|source| Error::Read {
        path: path.to_owned(),
        source,
    })
}

/// The error for a CSV row the `csv` crate rejects. Its own message is not passed on: some quote the
/// offending field, which may be note text.
pub(crate) fn malformed_csv<'a>(
    path: &'a Path,
    expected: &'static str,
) -> impl Fn(csv::Error) -> Error + 'a {
    move |e: csv::Error| Error::Format {
        path: path.to_owned(),
        line: e.position().map_or(0, |p| p.line() as usize),
        problem: crate::Problem::Malformed(expected),
    }
}

/// The non-blank lines of a JSON-lines text, each parsed as `T` and paired with its 1-based line
/// number, which the caller's own checks name in their errors.
pub(crate) fn json_lines<'a, T: serde::de::DeserializeOwned>(
    contents: &'a str,
    path: &'a Path,
) -> impl Iterator<Item = Result<(usize, T)>> + 'a {
    contents
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(move |(index, line)| {
            serde_json::from_str(line)
                .map(|parsed| (index + 1, parsed))
                .map_err(|e| Error::Format {
                    path: path.to_owned(),
                    line: index + 1,
                    problem: crate::Problem::json(&e),
                })
        })
}
