//! The public corpora under the shared data folder: where each split's files are, which reader and
//! label mapping it needs, and which of our entity types it annotates.
//!
//! The label mappings are the same as the Python trainer's (`training/python/clinical_ner_train/
//! corpora.py`), so that scores from either side mean the same thing.

use std::path::{Path, PathBuf};

use clinical_ner_engine::EntityType::{self, Disease, Medication, Symptom};

use crate::corpus::Corpus;
use crate::readers::{brat, conll, jsonl, pubtator};
use crate::{Error, Result};

/// Every name [`load`] accepts.
pub const NAMES: &[&str] = &[
    "bc5cdr-train",
    "bc5cdr-dev",
    "bc5cdr-test",
    "ncbi-disease-train",
    "ncbi-disease-dev",
    "ncbi-disease-test",
    "psytar-train",
    "psytar-dev",
    "psytar-test",
    "maccrobat2020-dev",
    "mtsamples-gold-train",
    "mtsamples-gold-dev",
    "mtsamples-gold-test",
];

/// `../shared/data` beside the repository this crate was built from, where the project keeps the
/// corpora (they are not redistributable inside it). Fixed at compile time so that it does not
/// depend on the directory the command runs in.
pub fn default_data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data")
}

/// The project's own gold set of MTSamples notes (`training/corpora/mtsamples-gold`, annotated by the
/// project team following docs/annotation-guidelines.md, not by clinicians): it is in the repository,
/// so it is found beside this crate rather than in the data folder.
pub fn notes_gold_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corpora/mtsamples-gold")
}

pub fn load(data_dir: &Path, name: &str) -> Result<Corpus> {
    let unknown = || Error::UnknownCorpus {
        name: name.to_owned(),
    };
    let (family, split) = name.rsplit_once('-').ok_or_else(unknown)?;
    let file = |stems: [&str; 3], suffix: &str| -> Result<String> {
        let stem = match split {
            "train" => stems[0],
            "dev" => stems[1],
            "test" => stems[2],
            _ => return Err(unknown()),
        };
        Ok(format!("{stem}{suffix}"))
    };
    let (documents, labelled_types) = match family {
        "bc5cdr" => {
            let stems = ["CDR_TrainingSet", "CDR_DevelopmentSet", "CDR_TestSet"];
            let path = data_dir
                .join("bc5cdr/pubtator")
                .join(file(stems, ".PubTator.txt")?);
            (pubtator::read(&path, bc5cdr)?, vec![Medication, Disease])
        }
        "ncbi-disease" => {
            let stems = ["NCBItrainset", "NCBIdevelopset", "NCBItestset"];
            let path = data_dir
                .join("ncbi-disease/original")
                .join(file(stems, "_corpus.txt")?);
            (pubtator::read(&path, ncbi_disease)?, vec![Disease])
        }
        "psytar" => {
            let path = data_dir
                .join("psytar/all")
                .join(file(["train", "dev", "test"], ".txt")?);
            (conll::read(&path, name, psytar)?, vec![Symptom])
        }
        "mtsamples-gold" => {
            let path = notes_gold_dir().join(file(["train", "dev", "test"], ".jsonl")?);
            (
                jsonl::read(&path, notes_gold)?,
                vec![Medication, Disease, Symptom],
            )
        }
        // Only the development subset of MACCROBAT is in the data folder.
        "maccrobat2020" if split == "dev" => {
            let folder = data_dir.join("maccrobat2020-dev/brat");
            (
                brat::read_folder(&folder, maccrobat)?,
                vec![Medication, Disease, Symptom],
            )
        }
        _ => return Err(unknown()),
    };
    Ok(Corpus {
        name: name.to_owned(),
        documents,
        labelled_types,
    })
}

fn notes_gold(label: &str) -> Option<EntityType> {
    label.parse().ok()
}

fn bc5cdr(label: &str) -> Option<EntityType> {
    match label {
        "Chemical" => Some(Medication),
        "Disease" => Some(Disease),
        _ => None,
    }
}

fn ncbi_disease(label: &str) -> Option<EntityType> {
    match label {
        "SpecificDisease" | "DiseaseClass" | "Modifier" | "CompositeMention" => Some(Disease),
        _ => None,
    }
}

pub(crate) fn maccrobat(label: &str) -> Option<EntityType> {
    match label {
        "Medication" => Some(Medication),
        "Disease_disorder" => Some(Disease),
        "Sign_symptom" => Some(Symptom),
        _ => None,
    }
}

/// DI (drug indication, "for my depression") is dropped: it names the condition treated, disease or
/// symptom alike, and the corpus does not say which.
fn psytar(label: &str) -> Option<EntityType> {
    match label {
        "ADR" | "WD" | "SSI" => Some(Symptom),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_names_are_rejected_before_touching_the_disk() {
        for name in [
            "bc5cdr",
            "bc5cdr-validation",
            "maccrobat2020-test",
            "chia-test",
            "",
        ] {
            let error = load(Path::new("/nonexistent"), name).unwrap_err();
            assert!(
                matches!(error, Error::UnknownCorpus { .. }),
                "{name}: {error}"
            );
        }
    }

    #[test]
    fn label_mappings_match_the_python_trainer() {
        assert_eq!(bc5cdr("Chemical"), Some(Medication));
        assert_eq!(bc5cdr("Disease"), Some(Disease));
        for label in [
            "SpecificDisease",
            "DiseaseClass",
            "Modifier",
            "CompositeMention",
        ] {
            assert_eq!(ncbi_disease(label), Some(Disease));
        }
        assert_eq!(maccrobat("Medication"), Some(Medication));
        assert_eq!(maccrobat("Disease_disorder"), Some(Disease));
        assert_eq!(maccrobat("Sign_symptom"), Some(Symptom));
        assert_eq!(maccrobat("Dosage"), None);
        for label in ["ADR", "WD", "SSI"] {
            assert_eq!(psytar(label), Some(Symptom));
        }
        assert_eq!(psytar("DI"), None);
    }
}
