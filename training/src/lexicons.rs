//! The open vocabularies in the data folder, read as concepts with their ids: shared by the
//! dictionary teacher (which uses the strings) and the linking vocabulary builder (which also needs
//! the ids and preferred names), so that both read the same strings under the same rules.

use std::collections::HashMap;
use std::path::Path;

use crate::{Error, Problem, Result};

pub const DRUGBANK: &str = "lexicon-drugbank-open-vocabulary/drugbank_vocabulary.csv";
pub const DISEASE_ONTOLOGY: &str = "lexicon-disease-ontology-reports/HumanDO.tsv";
pub const HPO: &str = "lexicon-hpo/hpo_terms_synonyms.tsv";
pub const SYMPTOM_ONTOLOGY: &str = "lexicon-symptom-ontology/symp_terms_synonyms.tsv";
pub const DISEASE_ONTOLOGY_XREFS: &str = "lexicon-disease-ontology-reports/allXREFinDO.tsv";
pub const HPO_OBO: &str = "lexicon-hpo/hp.obo";
pub const MEDLINEPLUS_DRUGS: &str = "lexicon-drug-ner-dictionary/drugs_dictionary_medlineplus.csv";
pub const MESH_DRUGS: &str = "lexicon-drug-ner-dictionary/drugs_dictionary_mesh.csv";

/// HPO's root "Phenotypic abnormality": listed under itself, but no finding.
const HPO_ROOT: &str = "HP:0000118";

/// One concept: its id, its preferred name and every string that names it (the name included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Concept {
    pub id: String,
    pub name: String,
    pub strings: Vec<String>,
}

/// DrugBank open vocabulary: common names and synonyms.
pub fn drugbank(data_dir: &Path) -> Result<Vec<Concept>> {
    let columns = ["DrugBank ID", "Common name", "Synonyms"];
    Ok(read_table(&data_dir.join(DRUGBANK), b',', &columns)?
        .into_iter()
        .map(|row| {
            let [id, name, synonyms] = <[String; 3]>::try_from(row).expect("three columns asked");
            let mut strings: Vec<String> = synonyms
                .split(" | ")
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
            strings.push(name.clone());
            Concept { id, name, strings }
        })
        .collect())
}

/// Human Disease Ontology labels (the reports carry no synonyms).
pub fn disease_ontology(data_dir: &Path) -> Result<Vec<Concept>> {
    Ok(
        read_table(&data_dir.join(DISEASE_ONTOLOGY), b'\t', &["id", "label"])?
            .into_iter()
            .map(|row| {
                let [id, label] = <[String; 2]>::try_from(row).expect("two columns asked");
                Concept {
                    id,
                    strings: vec![label.clone()],
                    name: label,
                }
            })
            .collect(),
    )
}

/// The UMLS concept ids that the Disease Ontology gives each of its diseases.
pub fn disease_ontology_umls(data_dir: &Path) -> Result<Vec<(String, String)>> {
    Ok(read_table(
        &data_dir.join(DISEASE_ONTOLOGY_XREFS),
        b'\t',
        &["id", "xref"],
    )?
    .into_iter()
    .filter_map(|row| {
        let [id, xref] = <[String; 2]>::try_from(row).expect("two columns asked");
        xref.strip_prefix("UMLS_CUI:")
            .map(|cui| (id, cui.to_owned()))
    })
    .collect())
}

/// The UMLS concept ids that HPO gives each of its terms (`xref: UMLS:C…` lines of hp.obo).
pub fn hpo_umls(data_dir: &Path) -> Result<Vec<(String, String)>> {
    let text = crate::readers::read_text(&data_dir.join(HPO_OBO))?;
    let mut pairs = Vec::new();
    let mut current: Option<&str> = None;
    for line in text.lines() {
        if line.starts_with('[') {
            current = None;
        } else if let Some(id) = line.strip_prefix("id: ") {
            current = Some(id.trim());
        } else if let (Some(id), Some(cui)) = (current, line.strip_prefix("xref: UMLS:")) {
            let cui = cui.split_whitespace().next().unwrap_or_default();
            pairs.push((id.to_owned(), cui.to_owned()));
        }
    }
    Ok(pairs)
}

/// Drug names with their brand names and synonyms, from MedlinePlus (`Common name`, `Synonyms`
/// separated by `|`) and MeSH (`Common name`, `Synonyms`): (name, synonyms).
pub fn drug_name_lists(data_dir: &Path) -> Result<Vec<(String, Vec<String>)>> {
    let mut lists = Vec::new();
    for file in [MEDLINEPLUS_DRUGS, MESH_DRUGS] {
        for row in read_table(&data_dir.join(file), b',', &["Common name", "Synonyms"])? {
            let [name, synonyms] = <[String; 2]>::try_from(row).expect("two columns asked");
            let synonyms = synonyms
                .split('|')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
            lists.push((name, synonyms));
        }
    }
    Ok(lists)
}

/// HPO terms under Phenotypic abnormality (its root excluded): names and exact synonyms, layperson
/// ones included.
pub fn hpo_phenotypes(data_dir: &Path) -> Result<Vec<Concept>> {
    let columns = [
        "hpo_id",
        "string",
        "kind",
        "synonym_scope",
        "under_phenotypic_abnormality",
    ];
    let rows = read_table(&data_dir.join(HPO), b'\t', &columns)?;
    Ok(concepts(rows.into_iter().filter_map(|row| {
        let [id, string, kind, scope, under] = <[String; 5]>::try_from(row).expect("five asked");
        (under == "True" && id != HPO_ROOT && (kind == "name" || scope == "EXACT")).then_some((
            id,
            string,
            kind == "name",
        ))
    })))
}

/// Symptom Ontology names and exact synonyms.
pub fn symptom_ontology(data_dir: &Path) -> Result<Vec<Concept>> {
    let columns = ["symp_id", "string", "kind", "synonym_scope"];
    let rows = read_table(&data_dir.join(SYMPTOM_ONTOLOGY), b'\t', &columns)?;
    Ok(concepts(rows.into_iter().filter_map(|row| {
        let [id, string, kind, scope] = <[String; 4]>::try_from(row).expect("four asked");
        (kind == "name" || scope == "EXACT").then_some((id, string, kind == "name"))
    })))
}

/// (id, string, is the name) rows grouped into concepts, in order of first appearance. A concept
/// whose name row is missing is named by its first string.
fn concepts(rows: impl Iterator<Item = (String, String, bool)>) -> Vec<Concept> {
    let mut concepts: Vec<Concept> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut named = Vec::new();
    for (id, string, is_name) in rows {
        let at = *index.entry(id.clone()).or_insert_with(|| {
            concepts.push(Concept {
                id,
                name: string.clone(),
                strings: Vec::new(),
            });
            named.push(false);
            concepts.len() - 1
        });
        if is_name && !named[at] {
            concepts[at].name = string.clone();
            named[at] = true;
        }
        concepts[at].strings.push(string);
    }
    concepts
}

/// The named columns of every row of a delimited table with a header; a short row reads as empty
/// cells, as Python's `csv.DictReader` has it.
pub(crate) fn read_table(
    path: &Path,
    delimiter: u8,
    columns: &[&'static str],
) -> Result<Vec<Vec<String>>> {
    let text = crate::readers::read_text(path)?;
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(text.as_bytes());
    let format = |line: u64, problem| Error::Format {
        path: path.to_owned(),
        line: line as usize,
        problem,
    };
    let malformed = crate::readers::malformed_csv(path, "a delimited row with balanced quotes");
    let header = reader.headers().map_err(&malformed)?.clone();
    let positions = columns
        .iter()
        .map(|&name| {
            header
                .iter()
                .position(|h| h == name)
                .ok_or_else(|| format(1, Problem::MissingColumn(name)))
        })
        .collect::<Result<Vec<usize>>>()?;
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(&malformed)?;
        rows.push(
            positions
                .iter()
                .map(|&i| record.get(i).unwrap_or_default().to_owned())
                .collect(),
        );
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_group_into_concepts_named_by_their_name_row() {
        let row = |id: &str, s: &str, name| (id.to_owned(), s.to_owned(), name);
        let found = concepts(
            [
                row("A", "Fever", true),
                row("B", "tiredness", false),
                row("A", "pyrexia", false),
                row("B", "Fatigue", true),
            ]
            .into_iter(),
        );
        assert_eq!(
            found,
            vec![
                Concept {
                    id: "A".into(),
                    name: "Fever".into(),
                    strings: vec!["Fever".into(), "pyrexia".into()]
                },
                Concept {
                    id: "B".into(),
                    name: "Fatigue".into(),
                    strings: vec!["tiredness".into(), "Fatigue".into()]
                },
            ]
        );
    }
}
