//! Builds the engine's linking vocabulary (`terms.tsv` + `manifest.json`, see
//! `clinical_ner_engine::linking`) from the open vocabularies in the data folder.
//!
//! Medications: DrugBank open vocabulary names and synonyms, plus the drug-NER dictionary's names,
//! variants and brand names of entries that carry a DrugBank id (brands: "Tylenol" → acetaminophen).
//! Diseases: Disease Ontology labels. Symptoms: HPO terms under Phenotypic abnormality (names and
//! exact synonyms, layperson ones included; HPO version 2025-01-16, a derived extract, not altered
//! HPO files) and Symptom Ontology names and exact synonyms.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use clinical_ner_engine::linking::{
    term_line, terms_header, Term, VocabularyManifest, VocabularySource, FORMAT_VERSION,
    MANIFEST_FILE, TERMS_FILE,
};
use clinical_ner_engine::EntityType;
use sha2::{Digest, Sha256};

use crate::lexicons::{self, Concept, DISEASE_ONTOLOGY, DRUGBANK, HPO, SYMPTOM_ONTOLOGY};
use crate::readers::read_text;
use crate::{Error, Result};

const DRUG_NER: &str = "lexicon-drug-ner-dictionary/drug_ner_dictionary_v2.0.9.jsonl";

/// Terms shorter than this are left out: two-letter strings are abbreviations of many things.
const MIN_TERM_CHARS: usize = 3;

/// Every term of the vocabularies, and the manifest that names their sources.
pub fn build(data_dir: &Path) -> Result<(Vec<Term>, VocabularyManifest)> {
    let mut terms = Vec::new();
    let drugbank = lexicons::drugbank(data_dir)?;
    concept_terms(&drugbank, EntityType::Medication, "DrugBank", &mut terms);
    let drugbank_names = drugbank.into_iter().map(|c| (c.id, c.name)).collect();
    drug_ner_dictionary(data_dir, &drugbank_names, &mut terms)?;
    let disease_ontology = lexicons::disease_ontology(data_dir)?;
    concept_terms(&disease_ontology, EntityType::Disease, "DOID", &mut terms);
    let hpo = lexicons::hpo_phenotypes(data_dir)?;
    concept_terms(&hpo, EntityType::Symptom, "HPO", &mut terms);
    let symptom_ontology = lexicons::symptom_ontology(data_dir)?;
    concept_terms(&symptom_ontology, EntityType::Symptom, "SYMP", &mut terms);
    terms.retain(|t| {
        t.term.chars().count() >= MIN_TERM_CHARS && t.term.chars().any(char::is_alphabetic)
    });
    terms.sort_by(|a, b| {
        (&a.code_system, &a.code, &a.term).cmp(&(&b.code_system, &b.code, &b.term))
    });
    terms.dedup();
    let mut term_counts: BTreeMap<String, usize> = BTreeMap::new();
    for term in &terms {
        *term_counts.entry(term.code_system.clone()).or_default() += 1;
    }
    let source = |code_system: &str, file: &str, licence: &str| -> Result<VocabularySource> {
        let path = data_dir.join(file);
        let bytes = std::fs::read(&path).map_err(|source| Error::Read { path, source })?;
        Ok(VocabularySource {
            code_system: code_system.into(),
            file: file.into(),
            licence: licence.into(),
            sha256: format!("{:x}", Sha256::digest(&bytes)),
        })
    };
    let sources = vec![
        source("DrugBank", DRUGBANK, "CC0 1.0 (DrugBank open data)")?,
        source("DrugBank", DRUG_NER, "MIT package; names from DrugBank (CC0), MeSH and MedlinePlus (NLM)")?,
        source("DOID", DISEASE_ONTOLOGY, "CC0 1.0 (Disease Ontology)")?,
        source("HPO", HPO, "HPO licence: cite the HPO Consortium, show the version (2025-01-16), do not alter HPO files; this is a derived extract")?,
        source("SYMP", SYMPTOM_ONTOLOGY, "CC0 1.0 (Symptom Ontology)")?,
    ];
    let manifest = VocabularyManifest {
        format_version: FORMAT_VERSION,
        sources,
        term_counts,
    };
    Ok((terms, manifest))
}

/// Writes `terms.tsv` and `manifest.json` into `folder` (created if missing).
pub fn write(folder: &Path, terms: &[Term], manifest: &VocabularyManifest) -> Result<()> {
    let written = |path: PathBuf, contents: String| {
        std::fs::write(&path, contents).map_err(|source| Error::Write { path, source })
    };
    std::fs::create_dir_all(folder).map_err(|source| Error::Write {
        path: folder.to_owned(),
        source,
    })?;
    let mut tsv = String::from(terms_header());
    for term in terms {
        tsv.push('\n');
        tsv.push_str(&term_line(term));
    }
    tsv.push('\n');
    written(folder.join(TERMS_FILE), tsv)?;
    let json = serde_json::to_string_pretty(manifest).expect("a manifest serialises");
    written(folder.join(MANIFEST_FILE), json + "\n")
}

/// The terms of `concepts`: each string under its concept's id and name.
fn concept_terms(
    concepts: &[Concept],
    entity_type: EntityType,
    system: &str,
    terms: &mut Vec<Term>,
) {
    for concept in concepts {
        for string in &concept.strings {
            terms.push(Term::new(
                entity_type,
                system,
                &concept.id,
                &concept.name,
                string,
            ));
        }
    }
}

#[derive(serde::Deserialize)]
struct DrugNerEntry {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    drugbank_id: Option<String>,
    #[serde(default)]
    variants: Vec<String>,
    #[serde(default)]
    brand_variants: Vec<String>,
}

fn drug_ner_dictionary(
    data_dir: &Path,
    drugbank_names: &HashMap<String, String>,
    terms: &mut Vec<Term>,
) -> Result<()> {
    let path = data_dir.join(DRUG_NER);
    let text = read_text(&path)?;
    for entry in crate::readers::json_lines::<DrugNerEntry>(&text, &path) {
        let (_, entry) = entry?;
        let Some(id) = entry.drugbank_id else {
            continue;
        };
        // Ids missing from the DrugBank file are kept under the dictionary's own name.
        let preferred = drugbank_names
            .get(&id)
            .cloned()
            .or(entry.name.clone())
            .unwrap_or_default();
        for text in entry
            .name
            .iter()
            .chain(&entry.variants)
            .chain(&entry.brand_variants)
        {
            terms.push(Term::new(
                EntityType::Medication,
                "DrugBank",
                &id,
                &preferred,
                text,
            ));
        }
    }
    Ok(())
}
