//! The boundary with the Python trainer: corpora written as files that it reads and never re-derives.
//!
//! A folder holds `corpora.json` and one JSON-lines file per corpus. Each line is a document,
//! `{"id", "text", "spans": [{"start", "end", "type"}], "ignore": [[start, end], …]}`, offsets in
//! characters, spans non-overlapping (the longer kept, see [`resolve_overlaps`]) so that each word
//! carries one tag. `corpora.json` lists the corpora in the order written:
//! `{"name", "file", "role", "repeats", "labelled_types", "symptoms_filed_as_disease", "licence",
//! "documents"}`, with the role `train`, `dev`, `test` or `named`, and says which mix and seed chose
//! the training corpora, what the dictionary that labelled silver text was built from, and which
//! mixes exist.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use clinical_ner_engine::EntityType;
use serde::Serialize;
use serde_json::json;

use crate::corpus::{resolve_overlaps, Corpus};
use crate::training_mix::{self, Mix, DEFAULT_MIX, DICTIONARY_SOURCES, MIXES};
use crate::{known_corpora, Error, Result};

/// Why a corpus is in the folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Train,
    Dev,
    Test,
    /// Asked for by name.
    Named,
}

#[derive(Debug, Serialize)]
pub struct Entry {
    pub name: String,
    pub file: String,
    pub role: Role,
    pub repeats: usize,
    pub labelled_types: Vec<&'static str>,
    pub symptoms_filed_as_disease: bool,
    pub licence: String,
    pub documents: usize,
}

/// What to write.
#[derive(Debug, Default)]
pub struct Request<'a> {
    /// A mix's training corpora, drawn with this seed.
    pub mix: Option<(Mix, u64)>,
    pub teacher_dataset: Option<&'a Path>,
    pub dev_sets: bool,
    pub test_sets: bool,
    /// Known corpora by name.
    pub named: &'a [String],
    /// Bring the named corpora to the guidelines, as training does with public corpora.
    pub adjusted: bool,
}

/// Writes the request's corpora under `out` and returns what `corpora.json` lists.
pub fn write(data_dir: &Path, out: &Path, request: &Request) -> Result<Vec<Entry>> {
    std::fs::create_dir_all(out).map_err(|source| Error::Write {
        path: out.to_owned(),
        source,
    })?;
    let guidelines = if request.mix.is_some() || request.adjusted {
        Some(training_mix::Guidelines::load(data_dir)?)
    } else {
        None
    };
    let mut entries = Vec::new();
    if let (Some((mix, seed)), Some(guidelines)) = (request.mix, &guidelines) {
        for training in training_mix::training_corpora(
            data_dir,
            guidelines,
            &mix,
            seed,
            request.teacher_dataset,
        )? {
            entries.push(write_corpus(
                out,
                &training.corpus,
                Role::Train,
                training.repeats,
                entries.len(),
            )?);
        }
    }
    let sets = [
        (request.dev_sets, training_mix::DEV_SETS, Role::Dev),
        (request.test_sets, training_mix::TEST_SETS, Role::Test),
    ];
    for (wanted, names, role) in sets {
        for name in names.iter().filter(|_| wanted) {
            let corpus = known_corpora::load(data_dir, name)?;
            entries.push(write_corpus(out, &corpus, role, 1, entries.len())?);
        }
    }
    for name in request.named {
        let mut corpus = known_corpora::load(data_dir, name)?;
        if let Some(guidelines) = guidelines.as_ref().filter(|_| request.adjusted) {
            corpus = guidelines.adjust(corpus)?;
        }
        entries.push(write_corpus(out, &corpus, Role::Named, 1, entries.len())?);
    }
    let listing = json!({
        "written_by": "clinical-ner-train corpora",
        "mix": request.mix.map(|(mix, _)| mix.name),
        "seed": request.mix.map(|(_, seed)| seed),
        "dictionary_sources": DICTIONARY_SOURCES,
        "mixes": MIXES.iter().map(|m| json!({"name": m.name, "teacher_dataset": m.teacher_dataset})).collect::<Vec<_>>(),
        "default_mix": DEFAULT_MIX,
        "corpora": entries,
    });
    let path = out.join("corpora.json");
    let text = serde_json::to_string_pretty(&listing).expect("plain JSON values") + "\n";
    std::fs::write(&path, text).map_err(|source| Error::Write { path, source })?;
    Ok(entries)
}

fn write_corpus(
    out: &Path,
    corpus: &Corpus,
    role: Role,
    repeats: usize,
    index: usize,
) -> Result<Entry> {
    // Names may hold a path (a teacher dataset); the file name only needs to be unique.
    let safe: String = corpus
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let file = format!("{index:02}-{safe}.jsonl");
    let path: PathBuf = out.join(&file);
    let write_error = |source| Error::Write {
        path: path.clone(),
        source,
    };
    let mut writer = BufWriter::new(std::fs::File::create(&path).map_err(write_error)?);
    for document in &corpus.documents {
        let spans: Vec<_> = resolve_overlaps(&document.spans)
            .iter()
            .map(|s| json!({"start": s.start, "end": s.end, "type": s.entity_type.as_str()}))
            .collect();
        let ignore: Vec<[usize; 2]> = document.ignored.iter().map(|r| [r.start, r.end]).collect();
        let line =
            json!({"id": document.id, "text": document.text, "spans": spans, "ignore": ignore});
        writeln!(writer, "{line}").map_err(write_error)?;
    }
    writer.flush().map_err(write_error)?;
    // Once a corpus labels symptoms itself (brought to the guidelines), none are filed as diseases.
    let symptoms_filed_as_disease = !corpus.labelled_types.contains(&EntityType::Symptom)
        && known_corpora::terms(&corpus.name).is_ok_and(|t| t.symptoms_filed_as_disease);
    Ok(Entry {
        name: corpus.name.clone(),
        file,
        role,
        repeats,
        labelled_types: corpus.labelled_types.iter().map(|t| t.as_str()).collect(),
        symptoms_filed_as_disease,
        licence: corpus.licence.clone(),
        documents: corpus.documents.len(),
    })
}
