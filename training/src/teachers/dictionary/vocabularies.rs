//! The open vocabularies under the data folder that the dictionary teacher reads, and which of their
//! entries are diseases and which symptoms.

use std::collections::HashSet;
use std::path::Path;

use clinical_ner_engine::EntityType::{self, Disease, Medication, Symptom};

use super::{variants, words};
use crate::lexicons::{self, read_table};
use crate::Result;

const DISEASE_HEAD_WORDS: &str = "disease diseases syndrome syndromes cancer cancers tumor tumors \
    tumour tumours neoplasm neoplasms infection infections diabetes disorder disorders failure \
    stenosis hernia hernias fracture fractures";
const DISEASE_SUFFIXES: &[&str] = &["itis", "oma", "omas", "pathy", "pathies", "emia", "emias"];

/// One open vocabulary under the data folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vocabulary {
    /// medExtractR's RxNorm-derived drug list and its medication abbreviations.
    RxNorm,
    /// DrugBank open vocabulary: common names and synonyms.
    DrugBank,
    /// Human Disease Ontology labels.
    DiseaseOntology,
    /// Symptom Ontology names and exact synonyms, with medExtractR's symptom expressions.
    SymptomOntology,
    /// HPO terms under Phenotypic abnormality, as diseases or symptoms (see the module docs).
    Hpo,
}

impl Vocabulary {
    pub const ALL: [Vocabulary; 5] = [
        Vocabulary::RxNorm,
        Vocabulary::DrugBank,
        Vocabulary::DiseaseOntology,
        Vocabulary::SymptomOntology,
        Vocabulary::Hpo,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Vocabulary::RxNorm => "rxnorm",
            Vocabulary::DrugBank => "drugbank",
            Vocabulary::DiseaseOntology => "disease-ontology",
            Vocabulary::SymptomOntology => "symptom-ontology",
            Vocabulary::Hpo => "hpo",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.name() == name)
    }

    /// The types this vocabulary labels.
    pub fn types(self) -> &'static [EntityType] {
        match self {
            Vocabulary::RxNorm | Vocabulary::DrugBank => &[Medication],
            Vocabulary::DiseaseOntology => &[Disease],
            Vocabulary::SymptomOntology => &[Symptom],
            Vocabulary::Hpo => &[Disease, Symptom],
        }
    }

    pub(super) fn entries(self, data_dir: &Path) -> Result<Vec<(EntityType, String)>> {
        let typed = |t: EntityType, names: Vec<String>| names.into_iter().map(move |n| (t, n));
        Ok(match self {
            Vocabulary::RxNorm => typed(Medication, rxnorm_names(data_dir)?).collect(),
            Vocabulary::DrugBank => typed(Medication, drugbank_names(data_dir)?).collect(),
            Vocabulary::DiseaseOntology => typed(Disease, disease_names(data_dir)?).collect(),
            Vocabulary::SymptomOntology => typed(Symptom, symptom_names(data_dir)?).collect(),
            Vocabulary::Hpo => {
                let disease_keys: HashSet<String> = disease_names(data_dir)?
                    .iter()
                    .flat_map(|name| variants(name, Disease))
                    .map(|variant| words(&variant).join(" "))
                    .collect();
                let mut entries = Vec::new();
                for term in lexicons::hpo_phenotypes(data_dir)? {
                    let strings = term.strings;
                    let is_disease = strings.iter().any(|s| {
                        reads_like_disease(s)
                            || variants(s, Symptom)
                                .iter()
                                .any(|v| disease_keys.contains(&words(v).join(" ")))
                    });
                    let t = if is_disease { Disease } else { Symptom };
                    entries.extend(typed(t, strings));
                }
                entries
            }
        })
    }
}

/// Whether an HPO string names a disease rather than a sign: a word in -itis, -oma, -pathy or
/// -emia, or a head word such as "syndrome" or "failure".
pub(super) fn reads_like_disease(text: &str) -> bool {
    let lower = text.to_lowercase();
    lower.split(|c: char| !c.is_alphanumeric()).any(|word| {
        DISEASE_HEAD_WORDS.split_whitespace().any(|w| w == word)
            || DISEASE_SUFFIXES
                .iter()
                .any(|suffix| word.ends_with(suffix) && word.chars().count() >= suffix.len() + 3)
    })
}

fn drugbank_names(data_dir: &Path) -> Result<Vec<String>> {
    Ok(strings(lexicons::drugbank(data_dir)?))
}

/// Every string of every concept, in order.
fn strings(concepts: Vec<lexicons::Concept>) -> Vec<String> {
    concepts.into_iter().flat_map(|c| c.strings).collect()
}

fn rxnorm_names(data_dir: &Path) -> Result<Vec<String>> {
    let rxnorm = data_dir.join("lexicon-rxnorm-druglist-medextractr");
    let list = crate::readers::read_text(&rxnorm.join("rxnorm_druglist.txt"))?;
    let mut names: Vec<String> = list.lines().map(str::to_owned).collect();
    names.extend(extra_expressions(data_dir, "med abbreviation")?);
    Ok(names)
}

fn disease_names(data_dir: &Path) -> Result<Vec<String>> {
    Ok(strings(lexicons::disease_ontology(data_dir)?))
}

fn symptom_names(data_dir: &Path) -> Result<Vec<String>> {
    let mut names = strings(lexicons::symptom_ontology(data_dir)?);
    names.extend(extra_expressions(data_dir, "symptoms")?);
    Ok(names)
}

/// medExtractR's extra expressions of one type.
fn extra_expressions(data_dir: &Path, kind: &str) -> Result<Vec<String>> {
    let path = data_dir.join("lexicon-rxnorm-druglist-medextractr/addl_expr.tsv");
    Ok(read_table(&path, b'\t', &["expr", "type"])?
        .into_iter()
        .filter(|row| row[1] == kind)
        .map(|mut row| row.swap_remove(0))
        .collect())
}
