//! Unlabelled notes, for teachers to label: a folder of `.txt` files (the file stem is the id), a
//! CSV file (optionally gzipped) with a text column and an id column, or JSON lines
//! `{"id": …, "text": …}`. Notes with empty text are skipped: there is nothing to label.

use std::io::Read;
use std::path::Path;

use serde::Deserialize;

use crate::corpus::Document;
use crate::{Error, Problem, Result};

/// Which CSV columns hold the id and the text.
#[derive(Debug, Clone)]
pub struct CsvColumns {
    pub id: String,
    pub text: String,
}

pub fn read(path: &Path, columns: &CsvColumns) -> Result<Vec<Document>> {
    let name = path.to_string_lossy();
    let mut notes = if path.is_dir() {
        read_folder(path)?
    } else if name.ends_with(".jsonl") || name.ends_with(".jsonl.gz") {
        parse_jsonl(&read_maybe_gzipped(path)?, path)?
    } else {
        parse_csv(&read_maybe_gzipped(path)?, path, columns)?
    };
    notes.retain(|d| !d.text.trim().is_empty());
    Ok(notes)
}

fn read_maybe_gzipped(path: &Path) -> Result<String> {
    if !path.to_string_lossy().ends_with(".gz") {
        return super::read_text(path);
    }
    let file = std::fs::File::open(path).map_err(|source| Error::Read {
        path: path.to_owned(),
        source,
    })?;
    let mut text = String::new();
    flate2::read::GzDecoder::new(file)
        .read_to_string(&mut text)
        .map_err(|source| Error::Read {
            path: path.to_owned(),
            source,
        })?;
    Ok(text)
}

fn read_folder(folder: &Path) -> Result<Vec<Document>> {
    let read_error = |source| Error::Read {
        path: folder.to_owned(),
        source,
    };
    let mut paths: Vec<_> = std::fs::read_dir(folder)
        .map_err(read_error)?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(read_error)?;
    paths.retain(|p| p.extension().is_some_and(|e| e == "txt"));
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            Ok(Document {
                id: path
                    .file_stem()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned(),
                text: super::read_text(&path)?,
                spans: Vec::new(),
                ignored: Vec::new(),
            })
        })
        .collect()
}

#[derive(Deserialize)]
struct Line {
    id: String,
    text: String,
}

pub fn parse_jsonl(contents: &str, path: &Path) -> Result<Vec<Document>> {
    super::json_lines(contents, path)
        .map(|parsed| {
            let (_, Line { id, text }) = parsed?;
            Ok(Document {
                id,
                text,
                spans: Vec::new(),
                ignored: Vec::new(),
            })
        })
        .collect()
}

pub fn parse_csv(contents: &str, path: &Path, columns: &CsvColumns) -> Result<Vec<Document>> {
    let mut reader = csv::Reader::from_reader(contents.as_bytes());
    let format = |line: u64, problem| Error::Format {
        path: path.to_owned(),
        line: line as usize,
        problem,
    };
    let malformed = super::malformed_csv(path, "a CSV row with balanced quotes");
    let header = reader.headers().map_err(&malformed)?.clone();
    let position = |name: &str| {
        header.iter().position(|h| h == name).ok_or_else(|| {
            format(
                1,
                Problem::MissingColumn(if name == columns.id {
                    "id (--id-column)"
                } else {
                    "text (--text-column)"
                }),
            )
        })
    };
    let (id, text) = (position(&columns.id)?, position(&columns.text)?);
    let mut notes = Vec::new();
    for record in reader.records() {
        let record = record.map_err(&malformed)?;
        notes.push(Document {
            id: record.get(id).unwrap_or_default().to_owned(),
            text: record.get(text).unwrap_or_default().to_owned(),
            spans: Vec::new(),
            ignored: Vec::new(),
        });
    }
    Ok(notes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns() -> CsvColumns {
        CsvColumns {
            id: "note_id".into(),
            text: "transcription".into(),
        }
    }

    #[test]
    fn reads_csv_columns_with_quoted_newlines() {
        let csv = "note_id,description,transcription\n1,x,\"HPI:\nchest pain, 2 days\"\n2,y,\n";
        let notes = parse_csv(csv, Path::new("n.csv"), &columns()).unwrap();
        assert_eq!(notes.len(), 2);
        assert_eq!(
            (notes[0].id.as_str(), notes[0].text.as_str()),
            ("1", "HPI:\nchest pain, 2 days")
        );
    }

    #[test]
    fn names_a_missing_column_without_quoting_the_file() {
        let error = parse_csv("id,body\n1,secret\n", Path::new("n.csv"), &columns()).unwrap_err();
        let message = error.to_string();
        assert!(
            message.contains("--id-column") && !message.contains("secret"),
            "{message}"
        );
    }

    #[test]
    fn reads_json_lines() {
        let notes =
            parse_jsonl("{\"id\":\"a\",\"text\":\"gout\"}\n\n", Path::new("n.jsonl")).unwrap();
        assert_eq!(
            (notes[0].id.as_str(), notes[0].text.as_str()),
            ("a", "gout")
        );
        assert!(parse_jsonl("{\"id\":1}", Path::new("n.jsonl")).is_err());
    }

    #[test]
    fn reads_a_folder_of_text_files_and_skips_empty_notes() {
        let folder = tempfile::tempdir().unwrap();
        std::fs::write(folder.path().join("b.txt"), "asthma").unwrap();
        std::fs::write(folder.path().join("a.txt"), " \n").unwrap();
        std::fs::write(folder.path().join("c.md"), "not a note").unwrap();
        let notes = read(folder.path(), &columns()).unwrap();
        assert_eq!(notes.len(), 1);
        assert_eq!(
            (notes[0].id.as_str(), notes[0].text.as_str()),
            ("b", "asthma")
        );
    }
}
