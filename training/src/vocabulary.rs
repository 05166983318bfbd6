//! Builds the engine's linking vocabulary (`index.bin`, `terms.tsv` and `manifest.json`, see
//! `clinical_ner_engine::linking`) from the open vocabularies in the data folder.
//!
//! Medications: DrugBank open vocabulary names and synonyms, plus the drug-NER dictionary's names,
//! variants and brand names of entries that carry a DrugBank id (brands: "Tylenol" → acetaminophen),
//! and the MedlinePlus and MeSH lists' brand names and synonyms of drugs DrugBank names ("Demerol" →
//! meperidine). Diseases: Disease Ontology labels, and the HPO wordings of phenotypes that name the
//! same UMLS concept as one Disease Ontology disease, or failing that bear one disease's label.
//! Symptoms: HPO terms under Phenotypic abnormality (names and exact synonyms, layperson ones
//! included; HPO version 2025-01-16, a derived extract, not altered HPO files) and Symptom Ontology
//! names and exact synonyms. Then the team's reviewed supplement (`training/vocabulary/supplement.tsv`:
//! strings notes use that the sources lack, such as "insulin", "Dilantin", "diabetic", each under the
//! code docs/linking-guidelines.md says is right); no drug code for the chemicals that are never
//! medications (`training/rules/not_medications.tsv`: "glucose", "creatinine"); and, where the system
//! has it, an English word list (Debian's `wamerican`), which goes into the index: words that the
//! approximate step never takes for misspellings.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use clinical_ner_engine::linking::normalize::fold;
use clinical_ner_engine::linking::{
    term_line, terms_header, write_index, Term, VocabularyManifest, VocabularySource,
    FORMAT_VERSION, INDEX_FILE, MANIFEST_FILE, TERMS_FILE,
};
use clinical_ner_engine::EntityType;
use sha2::{Digest, Sha256};

use crate::lexicons::{self, Concept, DISEASE_ONTOLOGY, DRUGBANK, HPO, SYMPTOM_ONTOLOGY};
use crate::not_medications;
use crate::readers::read_text;
use crate::{Error, Problem, Result};

const DRUG_NER: &str = "lexicon-drug-ner-dictionary/drug_ner_dictionary_v2.0.9.jsonl";
/// English words, from Debian's `wamerican` package (SCOWL; permissive: the notice travels with it).
pub const ENGLISH_WORDS: &str = "/usr/share/dict/american-english";
/// The manifest's name for the English word list, which holds words, not codes.
const ENGLISH_CODE_SYSTEM: &str = "english";

/// The team's supplement, in the repository beside this crate.
pub fn supplement_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("vocabulary/supplement.tsv")
}

/// Terms shorter than this are left out: two-letter strings are abbreviations of many things.
const MIN_TERM_CHARS: usize = 3;

/// Every term of the vocabularies, and the manifest that names their sources.
pub fn build(data_dir: &Path) -> Result<(Vec<Term>, VocabularyManifest)> {
    let (mut terms, mut manifest) = build_from_sources(data_dir)?;
    let supplement = supplement_path();
    add_supplement(&supplement, &mut terms)?;
    manifest.sources.push(source_of(
        "supplement",
        &supplement,
        "training/vocabulary/supplement.tsv",
        "CC0 1.0 (written and reviewed by the clinical_ner team)",
    )?);
    let not_medications = not_medications::path();
    drop_not_medications(&not_medications, &mut terms)?;
    manifest.sources.push(source_of(
        "DrugBank",
        &not_medications,
        "training/rules/not_medications.tsv",
        "CC0 1.0 (the clinical_ner team): chemicals that get no medication code",
    )?);
    let english = Path::new(ENGLISH_WORDS);
    if english.exists() {
        manifest.sources.push(source_of(
            ENGLISH_CODE_SYSTEM,
            english,
            ENGLISH_WORDS,
            "SCOWL word list (Debian wamerican): copyright Kevin Atkinson and others, permission to use and distribute with the notice",
        )?);
    }
    terms.sort_by(|a, b| {
        (&a.code_system, &a.code, &a.term).cmp(&(&b.code_system, &b.code, &b.term))
    });
    terms.dedup();
    manifest.term_counts = counts(&terms);
    Ok((terms, manifest))
}

/// The supplement's terms, each checked against the concept the sources give its code: the same
/// preferred name, or a code the sources lack. A supplement string replaces what the sources give the
/// same folded string in its code system (their error, such as a brand filed under its racemate), and
/// a row whose code is `none` only removes it.
fn add_supplement(path: &Path, terms: &mut Vec<Term>) -> Result<()> {
    let names: HashMap<(String, String), String> = terms
        .iter()
        .map(|t| {
            (
                (t.code_system.clone(), t.code.clone()),
                t.preferred_name.clone(),
            )
        })
        .collect();
    let text = read_text(path)?;
    let mut added = Vec::new();
    let mut replaced: HashSet<(EntityType, String, String)> = HashSet::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let problem = |problem: String| Error::Format {
            path: path.to_owned(),
            line: index + 1,
            problem: Problem::VocabularyEntry(problem),
        };
        let fields: Vec<&str> = line.split('\t').collect();
        let [entity_type, system, code, preferred, term, _why] = fields[..] else {
            return Err(problem("expected 6 tab-separated fields".into()));
        };
        let entity_type: EntityType = entity_type
            .parse()
            .map_err(|_| problem(format!("unknown entity type {entity_type:?}")))?;
        replaced.insert((entity_type, system.to_owned(), fold(term)));
        if code == "none" {
            continue;
        }
        if let Some(known) = names.get(&(system.to_owned(), code.to_owned())) {
            if known != preferred {
                return Err(problem(format!(
                    "{system} {code} is {known:?} in the sources, not {preferred:?}"
                )));
            }
        }
        added.push(Term::new(entity_type, system, code, preferred, term));
    }
    terms.retain(|t| !replaced.contains(&(t.entity_type, t.code_system.clone(), fold(&t.term))));
    terms.extend(added);
    Ok(())
}

/// A lab analyte, a substance the body makes or a recreational one is never a medication
/// (docs/linking-guidelines.md), so a mention of it gets no drug code: "glucose" is not Dextrose's.
/// Only those that are also given to patients as drugs keep theirs ("calcium").
fn drop_not_medications(path: &Path, terms: &mut Vec<Term>) -> Result<()> {
    let dropped: HashSet<String> = not_medications::read(path)?
        .into_iter()
        .filter(|n| !n.keeps_code)
        .map(|n| fold(&n.mention))
        .collect();
    terms.retain(|t| t.entity_type != EntityType::Medication || !dropped.contains(&fold(&t.term)));
    Ok(())
}

/// Terms per code system.
fn counts(terms: &[Term]) -> BTreeMap<String, usize> {
    let mut term_counts: BTreeMap<String, usize> = BTreeMap::new();
    for term in terms {
        *term_counts.entry(term.code_system.clone()).or_default() += 1;
    }
    term_counts
}

fn source_of(
    code_system: &str,
    path: &Path,
    file: &str,
    licence: &str,
) -> Result<VocabularySource> {
    let bytes = std::fs::read(path).map_err(|source| Error::Read {
        path: path.to_owned(),
        source,
    })?;
    Ok(VocabularySource {
        code_system: code_system.into(),
        file: file.into(),
        licence: licence.into(),
        sha256: format!("{:x}", Sha256::digest(&bytes)),
    })
}

fn build_from_sources(data_dir: &Path) -> Result<(Vec<Term>, VocabularyManifest)> {
    let mut terms = Vec::new();
    let drugbank = lexicons::drugbank(data_dir)?;
    concept_terms(&drugbank, EntityType::Medication, "DrugBank", &mut terms);
    drug_name_lists(data_dir, &drugbank, &mut terms)?;
    let drugbank_names = drugbank.into_iter().map(|c| (c.id, c.name)).collect();
    drug_ner_dictionary(data_dir, &drugbank_names, &mut terms)?;
    let disease_ontology = lexicons::disease_ontology(data_dir)?;
    concept_terms(&disease_ontology, EntityType::Disease, "DOID", &mut terms);
    let hpo = lexicons::hpo_phenotypes(data_dir)?;
    concept_terms(&hpo, EntityType::Symptom, "HPO", &mut terms);
    disease_ontology_wordings(data_dir, &disease_ontology, &hpo, &mut terms)?;
    let symptom_ontology = lexicons::symptom_ontology(data_dir)?;
    concept_terms(&symptom_ontology, EntityType::Symptom, "SYMP", &mut terms);
    terms.retain(|t| {
        t.term.chars().count() >= MIN_TERM_CHARS && t.term.chars().any(char::is_alphabetic)
    });
    terms.sort_by(|a, b| {
        (&a.code_system, &a.code, &a.term).cmp(&(&b.code_system, &b.code, &b.term))
    });
    terms.dedup();
    let term_counts = counts(&terms);
    let source = |code_system: &str, file: &str, licence: &str| {
        source_of(code_system, &data_dir.join(file), file, licence)
    };
    let sources = vec![
        source("DrugBank", DRUGBANK, "CC0 1.0 (DrugBank open data)")?,
        source("DrugBank", DRUG_NER, "MIT package; names from DrugBank (CC0), MeSH and MedlinePlus (NLM)")?,
        source("DrugBank", lexicons::MEDLINEPLUS_DRUGS, "MIT package; brand names and synonyms from MedlinePlus (NLM)")?,
        source("DrugBank", lexicons::MESH_DRUGS, "MIT package; entry terms from MeSH (NLM)")?,
        source("DOID", DISEASE_ONTOLOGY, "CC0 1.0 (Disease Ontology)")?,
        source("DOID", lexicons::DISEASE_ONTOLOGY_XREFS, "CC0 1.0 (Disease Ontology cross-references): HPO wordings of the same UMLS concept")?,
        source("HPO", HPO, "HPO licence: cite the HPO Consortium, show the version (2025-01-16), do not alter HPO files; this is a derived extract")?,
        source("DOID", lexicons::HPO_OBO, "HPO licence (release 2025-01-16, unaltered): its UMLS cross-references join HPO wordings to Disease Ontology concepts")?,
        source("SYMP", SYMPTOM_ONTOLOGY, "CC0 1.0 (Symptom Ontology)")?,
    ];
    let manifest = VocabularyManifest {
        format_version: FORMAT_VERSION,
        sources,
        term_counts,
    };
    Ok((terms, manifest))
}

/// Writes `index.bin` (with the English words, where the manifest names [`ENGLISH_WORDS`]: the build
/// found it on this system), `terms.tsv` and `manifest.json` into `folder` (created if missing).
pub fn write(folder: &Path, terms: &[Term], manifest: &VocabularyManifest) -> Result<()> {
    std::fs::create_dir_all(folder).map_err(|source| Error::Write {
        path: folder.to_owned(),
        source,
    })?;
    let written = |path: PathBuf, contents: String| {
        std::fs::write(&path, contents).map_err(|source| Error::Write { path, source })
    };
    let mut english_words: Vec<String> = Vec::new();
    if manifest
        .sources
        .iter()
        .any(|s| s.code_system == ENGLISH_CODE_SYSTEM)
    {
        english_words = read_text(Path::new(ENGLISH_WORDS))?
            .lines()
            .filter(|w| w.chars().all(|c| c.is_alphabetic() || c == '\''))
            .map(str::to_owned)
            .collect();
    }
    write_index(folder, terms, &english_words).map_err(|source| Error::Write {
        path: folder.join(INDEX_FILE),
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

/// Brand names and synonyms from MedlinePlus and MeSH, under the DrugBank concept whose own name or
/// synonym is the list's drug name ("Meperidine": Demerol, Pethidine). A string that would name two
/// concepts this way is left out.
fn drug_name_lists(data_dir: &Path, drugbank: &[Concept], terms: &mut Vec<Term>) -> Result<()> {
    let mut by_name: HashMap<String, Option<&Concept>> = HashMap::new();
    for concept in drugbank {
        for string in &concept.strings {
            let entry = by_name.entry(fold(string)).or_insert(Some(concept));
            if entry.is_some_and(|c| c.id != concept.id) {
                *entry = None;
            }
        }
    }
    let mut found: HashMap<String, Option<(&Concept, String)>> = HashMap::new();
    for (name, synonyms) in lexicons::drug_name_lists(data_dir)? {
        let Some(Some(concept)) = by_name.get(&fold(&name)) else {
            continue;
        };
        for synonym in synonyms {
            let entry = found
                .entry(fold(&synonym))
                .or_insert(Some((*concept, synonym.clone())));
            if entry.as_ref().is_some_and(|(c, _)| c.id != concept.id) {
                *entry = None;
            }
        }
    }
    for (concept, synonym) in found.into_values().flatten() {
        terms.push(Term::new(
            EntityType::Medication,
            "DrugBank",
            &concept.id,
            &concept.name,
            &synonym,
        ));
    }
    Ok(())
}

/// The Disease Ontology has labels only: the HPO wordings (name and exact synonyms) of a phenotype
/// that names the same UMLS concept as exactly one Disease Ontology disease are added under that
/// disease ("mitral regurgitation" under DOID:11502 "mitral valve insufficiency"), so that the
/// disease's own system, which the linker asks first, has the words notes use. A phenotype without
/// exactly one such disease whose name is one disease's label is that disease: HPO's Nephrolithiasis
/// ("kidney stones") is the Disease Ontology's nephrolithiasis, whose UMLS ids differ.
fn disease_ontology_wordings(
    data_dir: &Path,
    disease_ontology: &[Concept],
    hpo: &[Concept],
    terms: &mut Vec<Term>,
) -> Result<()> {
    let names: HashMap<&str, &str> = disease_ontology
        .iter()
        .map(|c| (c.id.as_str(), c.name.as_str()))
        .collect();
    let mut labelled: HashMap<String, Vec<&String>> = HashMap::new();
    for disease in disease_ontology {
        labelled
            .entry(fold(&disease.name))
            .or_default()
            .push(&disease.id);
    }
    let mut diseases_of: HashMap<String, Vec<String>> = HashMap::new();
    for (doid, cui) in lexicons::disease_ontology_umls(data_dir)? {
        diseases_of.entry(cui).or_default().push(doid);
    }
    let mut cuis_of: HashMap<String, Vec<String>> = HashMap::new();
    for (hp, cui) in lexicons::hpo_umls(data_dir)? {
        cuis_of.entry(hp).or_default().push(cui);
    }
    for phenotype in hpo {
        let mut diseases: Vec<&String> = cuis_of
            .get(&phenotype.id)
            .into_iter()
            .flatten()
            .filter_map(|cui| diseases_of.get(cui))
            .flatten()
            .collect();
        diseases.sort();
        diseases.dedup();
        if diseases.len() != 1 {
            diseases = labelled
                .get(&fold(&phenotype.name))
                .cloned()
                .unwrap_or_default();
        }
        let [doid] = diseases[..] else {
            continue;
        };
        let Some(name) = names.get(doid.as_str()) else {
            continue;
        };
        for string in &phenotype.strings {
            terms.push(Term::new(EntityType::Disease, "DOID", doid, name, string));
        }
    }
    Ok(())
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
