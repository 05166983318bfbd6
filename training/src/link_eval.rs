//! Linking accuracy on BC5CDR, whose gold mentions carry MeSH ids: a chemical is linked as a
//! medication (DrugBank), a disease as a disease (Disease Ontology first), and the link is right when
//! the code maps back to the gold MeSH id, through the drug-NER dictionary's DrugBank–MeSH pairs or
//! the Disease Ontology's MeSH cross-references.
//!
//! Only mentions whose gold id has such a mapping can be judged ("coverable"); HPO codes have no MeSH
//! cross-references, so a disease linked to HPO counts as wrong.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use clinical_ner_engine::linking::{LinkMethod, Vocabulary};
use clinical_ner_engine::EntityType;
use serde::Serialize;

use crate::lexicons::read_table;
use crate::metrics::ratio;
use crate::readers::read_text;
use crate::Result;

/// A gold mention with its MeSH ids ("D001|D002" for a composite mention).
#[derive(Debug, Clone, PartialEq)]
pub struct GoldMention {
    pub document: String,
    pub text: String,
    pub entity_type: EntityType,
    pub mesh: Vec<String>,
}

/// The annotation lines of a PubTator file: `pmid<TAB>start<TAB>end<TAB>mention<TAB>type<TAB>ids`.
pub fn pubtator_mentions(pubtator: &str) -> Vec<GoldMention> {
    pubtator
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            let [document, _, _, text, kind, ids, ..] = fields[..] else {
                return None;
            };
            let entity_type = match kind {
                "Chemical" => EntityType::Medication,
                "Disease" => EntityType::Disease,
                _ => return None,
            };
            let mesh = ids
                .split('|')
                .filter(|id| id.starts_with('D') || id.starts_with('C'))
                .map(str::to_owned)
                .collect();
            Some(GoldMention {
                document: document.to_owned(),
                text: text.to_owned(),
                entity_type,
                mesh,
            })
        })
        .collect()
}

/// Codes of our vocabularies that stand for each MeSH id.
#[derive(Debug, Default)]
pub struct Crosswalk {
    codes_of_mesh: HashMap<String, HashSet<String>>,
}

impl Crosswalk {
    pub fn load(data_dir: &Path) -> Result<Crosswalk> {
        let mut crosswalk = Crosswalk::default();
        let path = data_dir.join("lexicon-drug-ner-dictionary/drug_ner_dictionary_v2.0.9.jsonl");
        let text = read_text(&path)?;
        #[derive(serde::Deserialize)]
        struct Pair {
            mesh_id: Option<String>,
            drugbank_id: Option<String>,
        }
        for pair in crate::readers::json_lines::<Pair>(&text, &path) {
            if let (
                _,
                Pair {
                    mesh_id: Some(mesh),
                    drugbank_id: Some(drugbank),
                },
            ) = pair?
            {
                crosswalk.add(&mesh, &drugbank);
            }
        }
        let path = data_dir.join("lexicon-disease-ontology-reports/allXREFinDO.tsv");
        for row in read_table(&path, b'\t', &["id", "xref"])? {
            if let Some(mesh) = row[1].strip_prefix("MESH:") {
                crosswalk.add(mesh, &row[0]);
            }
        }
        Ok(crosswalk)
    }

    pub fn add(&mut self, mesh: &str, code: &str) {
        self.codes_of_mesh
            .entry(mesh.to_owned())
            .or_default()
            .insert(code.to_owned());
    }

    fn codes(&self, mention: &GoldMention) -> HashSet<&str> {
        let prefix = match mention.entity_type {
            EntityType::Medication => "DB",
            _ => "DOID:",
        };
        mention
            .mesh
            .iter()
            .flat_map(|m| self.codes_of_mesh.get(m).into_iter().flatten())
            .map(String::as_str)
            .filter(|code| code.starts_with(prefix))
            .collect()
    }
}

/// Mentions one linking step linked, and of those the ones linked correctly.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MethodCount {
    pub linked: usize,
    pub correct: usize,
}

impl MethodCount {
    pub fn add(&mut self, mentions: usize, correct: bool) {
        self.linked += mentions;
        self.correct += if correct { mentions } else { 0 };
    }
}

/// A zero count for every linking step, by the step's name.
pub fn method_counts() -> BTreeMap<&'static str, MethodCount> {
    LinkMethod::ALL
        .into_iter()
        .map(|method| (method.name(), MethodCount::default()))
        .collect()
}

/// The Markdown cells `correct/linked` of every linking step, in [`LinkMethod::ALL`]'s order.
pub fn method_cells(counts: &BTreeMap<&'static str, MethodCount>) -> String {
    LinkMethod::ALL
        .into_iter()
        .map(|method| {
            let count = &counts[method.name()];
            format!("{}/{}", count.correct, count.linked)
        })
        .collect::<Vec<_>>()
        .join(" | ")
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct TypeScore {
    pub entity_type: &'static str,
    pub mentions: usize,
    pub coverable: usize,
    /// Coverable mentions that got any code.
    pub linked: usize,
    /// Linked to a code system with no MeSH cross-references (HPO, SYMP): neither right nor wrong.
    pub unverifiable: usize,
    pub correct: usize,
    /// correct / coverable: a lower bound, since unverifiable links may be right.
    pub accuracy: f64,
    /// correct / (linked − unverifiable).
    pub precision: f64,
    pub methods: BTreeMap<&'static str, MethodCount>,
    /// (mention, linked preferred name) of wrong links, the first few.
    pub wrong: Vec<(String, String)>,
}

/// Scores `vocabulary` on `mentions`, per entity type.
pub fn score(
    vocabulary: &Vocabulary,
    crosswalk: &Crosswalk,
    mentions: &[GoldMention],
) -> Vec<TypeScore> {
    [EntityType::Medication, EntityType::Disease]
        .into_iter()
        .map(|entity_type| {
            let mut score = TypeScore {
                entity_type: entity_type.as_str(),
                methods: method_counts(),
                ..TypeScore::default()
            };
            for mention in mentions.iter().filter(|m| m.entity_type == entity_type) {
                score.mentions += 1;
                let expected = crosswalk.codes(mention);
                if expected.is_empty() {
                    continue;
                }
                score.coverable += 1;
                let Some(link) = vocabulary.link(&mention.text, entity_type) else {
                    continue;
                };
                score.linked += 1;
                if !matches!(link.code_system.as_str(), "DrugBank" | "DOID") {
                    score.unverifiable += 1;
                    continue;
                }
                let right = expected.contains(link.code.as_str());
                score.correct += usize::from(right);
                score
                    .methods
                    .get_mut(link.method.name())
                    .expect("every method")
                    .add(1, right);
                if !right && score.wrong.len() < 12 {
                    score
                        .wrong
                        .push((mention.text.clone(), link.preferred_name));
                }
            }
            score.accuracy = ratio(score.correct, score.coverable);
            score.precision = ratio(score.correct, score.linked - score.unverifiable);
            score
        })
        .collect()
}

/// The gold mentions of one BC5CDR split ("train", "dev" or "test").
pub fn bc5cdr_mentions(data_dir: &Path, split: &str) -> Result<Vec<GoldMention>> {
    let stem = match split {
        "train" => "CDR_TrainingSet",
        "dev" => "CDR_DevelopmentSet",
        _ => "CDR_TestSet",
    };
    let path = data_dir.join(format!("bc5cdr/pubtator/{stem}.PubTator.txt"));
    Ok(pubtator_mentions(&read_text(&path)?))
}

/// A Markdown table of the scores.
pub fn markdown(title: &str, scores: &[TypeScore]) -> String {
    let mut out = format!(
        "{title}\n\n| type | mentions | coverable | linked | unverifiable | correct | accuracy | precision | exact | folded | abbreviation | approximate |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
    );
    for s in scores {
        out += &format!(
            "| {} | {} | {} | {} | {} | {} | {:.3} | {:.3} | {} |\n",
            s.entity_type,
            s.mentions,
            s.coverable,
            s.linked,
            s.unverifiable,
            s.correct,
            s.accuracy,
            s.precision,
            method_cells(&s.methods)
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use clinical_ner_engine::linking::Term;

    #[test]
    fn reads_ids_and_scores_against_the_crosswalk() {
        let pubtator = "1|t|Title\n1\t0\t7\tAspirin\tChemical\tD001241\n\
                        1\t8\t17\tpnuemonia\tDisease\tD005334|D000001\n1\t15\t18\tfoo\tChemical\t-1\n";
        let mentions = pubtator_mentions(pubtator);
        assert_eq!(mentions.len(), 3);
        assert_eq!(mentions[1].mesh, vec!["D005334", "D000001"]);
        assert!(mentions[2].mesh.is_empty());

        let term = |t, s: &str, c: &str, n: &str| Term::new(t, s, c, n, n);
        let vocabulary = Vocabulary::from_terms([
            term(EntityType::Medication, "DrugBank", "DB00945", "Aspirin"),
            term(EntityType::Disease, "DOID", "DOID:9999", "pneumonias"),
        ]);
        let mut crosswalk = Crosswalk::default();
        crosswalk.add("D001241", "DB00945");
        crosswalk.add("D005334", "DOID:1");
        let scores = score(&vocabulary, &crosswalk, &mentions);
        let medication = &scores[0];
        assert_eq!(
            (
                medication.mentions,
                medication.coverable,
                medication.correct
            ),
            (2, 1, 1)
        );
        assert_eq!(medication.methods["exact"].correct, 1);
        let disease = &scores[1];
        assert_eq!(
            (disease.coverable, disease.linked, disease.correct),
            (1, 1, 0)
        );
        assert_eq!(
            disease.wrong,
            vec![("pnuemonia".to_string(), "pneumonias".to_string())]
        );
        assert!(markdown("t", &scores).contains("| medication | 2 | 1 | 1 | 0 | 1 | 1.000 |"));
    }
}
