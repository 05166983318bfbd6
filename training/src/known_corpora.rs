//! The public corpora under the shared data folder: where each split's files are, which reader and
//! label mapping it needs, and which of our entity types it annotates.
//!
//! The Python trainer reads them only as the files `clinical-ner-train corpora` writes
//! ([`crate::corpus_files`]), so that a corpus has one reader and one label mapping.

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
    "chia-train",
    "chia-dev",
    "chia-test",
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
            (
                conll::read(&path, name, psytar, psytar_ignored)?,
                vec![Symptom],
            )
        }
        "mtsamples-gold" => {
            let path = notes_gold_dir().join(file(["train", "dev", "test"], ".jsonl")?);
            (
                jsonl::read(&path, notes_gold)?,
                vec![Medication, Disease, Symptom],
            )
        }
        "chia" if ["train", "dev", "test"].contains(&split) => {
            let path = data_dir.join("chia/chia_without_scope.zip");
            let documents = brat::read_zip(&path, chia, |id| {
                chia_split(id.split('_').next().unwrap_or(id)) == split
            })?;
            (documents, vec![Medication, Disease])
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
        licence: terms(name)?.licence.to_owned(),
    })
}

/// What a known corpus may be used for and how it must be scored, by corpus name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Terms {
    pub licence: &'static str,
    /// The corpus files signs and symptoms under its disease label (BC5CDR, NCBI, Chia's
    /// Condition), so a predicted symptom is scored as a disease there.
    pub symptoms_filed_as_disease: bool,
}

/// The terms of a name that [`load`] accepts (any split).
pub fn terms(name: &str) -> Result<Terms> {
    let family = name.rsplit_once('-').map_or(name, |(family, _)| family);
    let (licence, symptoms_filed_as_disease) = match family {
        "bc5cdr" | "ncbi-disease" => ("public domain (NLM, United States Government Work)", true),
        "psytar" => ("CC BY 4.0", false),
        "maccrobat2020" => ("CC BY 4.0 (per third-party reports, unverified)", false),
        "chia" => ("CC BY 4.0", true),
        "mtsamples-gold" => (
            "CC0 (mtsamples.com asks for credit); annotated by the project team following \
             docs/annotation-guidelines.md, not by clinicians",
            false,
        ),
        _ => {
            return Err(Error::UnknownCorpus {
                name: name.to_owned(),
            })
        }
    };
    Ok(Terms {
        licence,
        symptoms_filed_as_disease,
    })
}

/// Chia has no official split: trials go 70/10/20 to train/dev/test by the SHA-256 of their NCT id
/// (read as one big number, modulo 10), so that a trial's inclusion and exclusion criteria stay
/// together and the split never depends on file order.
pub fn chia_split(trial: &str) -> &'static str {
    use sha2::{Digest, Sha256};
    let bucket = Sha256::digest(trial.as_bytes())
        .iter()
        .fold(0u32, |rest, &byte| (rest * 256 + u32::from(byte)) % 10);
    match bucket {
        0..=6 => "train",
        7 => "dev",
        _ => "test",
    }
}

/// Condition covers diseases, signs and symptoms alike (see [`Terms::symptoms_filed_as_disease`]).
fn chia(label: &str) -> Option<EntityType> {
    match label {
        "Drug" => Some(Medication),
        "Condition" => Some(Disease),
        _ => None,
    }
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

fn psytar(label: &str) -> Option<EntityType> {
    match label {
        "ADR" | "WD" | "SSI" => Some(Symptom),
        _ => None,
    }
}

/// DI (drug indication, "for my depression") names the condition treated, disease or symptom alike,
/// and the corpus does not say which: neither an entity of one type nor O.
fn psytar_ignored(label: &str) -> bool {
    label == "DI"
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
            "chia-validation",
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
    fn chia_trials_split_70_10_20_by_a_hash_of_their_id() {
        // Fixed by the hash, whatever the file order: these three were checked against the split
        // the Python trainer used, int(sha256(id).hexdigest(), 16) % 10.
        let trials: Vec<String> = (0..1000)
            .map(|i| format!("NCT{:08}", 1_000_000 + i))
            .collect();
        let mut counts = std::collections::HashMap::new();
        for trial in &trials {
            *counts.entry(chia_split(trial)).or_insert(0) += 1;
        }
        assert!((650..750).contains(&counts["train"]), "{counts:?}");
        assert!((70..130).contains(&counts["dev"]), "{counts:?}");
        assert!((170..230).contains(&counts["test"]), "{counts:?}");
        assert_eq!(chia_split("NCT01000001"), "train");
        assert_eq!(chia_split("NCT00050349"), "dev");
        assert_eq!(chia_split("NCT00694382"), "test");
    }

    #[test]
    fn label_mappings() {
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
