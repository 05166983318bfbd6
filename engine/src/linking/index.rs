//! The linking vocabulary as a backend holds it: the index mapped from `index.bin` ([`super::layout`])
//! and the lookup that links a mention ([`Vocabulary::link`]).

use std::collections::HashMap;
use std::path::Path;

use super::file::collapse;
use super::flat::Bytes;
use super::layout::{self, Layout, Tables, INDEX_FILE};
use super::normalize::{derived_keys, drug_name, fold, lookup_keys};
use super::{
    approximate_threshold, code_systems, Link, LinkMethod, Term, VocabularyManifest,
    FORMAT_VERSION, MANIFEST_FILE,
};
use crate::{EntityType, Error, Result};

pub struct Vocabulary {
    /// A threshold for every type instead of [`approximate_threshold`]'s (evaluation only).
    approximate_threshold_override: Option<f64>,
    bytes: Bytes,
    layout: Layout,
    abbreviations: HashMap<String, String>,
    manifest: VocabularyManifest,
}

impl Vocabulary {
    /// Maps a vocabulary folder's index (`manifest.json` and `index.bin`, as `clinical-ner-train
    /// vocabulary` writes them): a header check, nothing parsed, the pages shared between processes.
    pub fn load(folder: &Path) -> Result<Vocabulary> {
        let manifest_path = folder.join(MANIFEST_FILE);
        let invalid = |path: &Path, reason: String| Error::Vocabulary {
            path: path.to_owned(),
            reason,
        };
        let manifest: VocabularyManifest = serde_json::from_slice(
            &std::fs::read(&manifest_path).map_err(|e| invalid(&manifest_path, e.to_string()))?,
        )
        .map_err(|e| invalid(&manifest_path, format!("not a vocabulary manifest: {e}")))?;
        if manifest.format_version != FORMAT_VERSION {
            return Err(invalid(
                &manifest_path,
                format!(
                    "format version {} (this build reads {FORMAT_VERSION}): rebuild the folder with `clinical-ner-train vocabulary`",
                    manifest.format_version
                ),
            ));
        }
        let index_path = folder.join(INDEX_FILE);
        let file =
            std::fs::File::open(&index_path).map_err(|e| invalid(&index_path, e.to_string()))?;
        // SAFETY: the map is read-only, and the index is only ever replaced by renaming a new file
        // over it (layout::write_index), never rewritten in place, so the pages under it stay.
        let map = unsafe { memmap2::Mmap::map(&file) }
            .map_err(|e| invalid(&index_path, e.to_string()))?;
        // Lookups jump about the file (binary searches, trigram lists): without this, each page
        // fault maps the pages around it too, and a backend's resident set grows by megabytes of
        // pages no lookup reads.
        map.advise(memmap2::Advice::Random)
            .map_err(|e| invalid(&index_path, e.to_string()))?;
        let bytes = Bytes::Mapped(map);
        let layout = Layout::read(&bytes).map_err(|reason| invalid(&index_path, reason))?;
        Ok(Vocabulary {
            approximate_threshold_override: None,
            bytes,
            layout,
            abbreviations: abbreviations(),
            manifest,
        })
    }

    /// A vocabulary of these terms, indexed in memory (tests, the training tool), with a manifest
    /// that only counts them.
    pub fn from_terms(terms: impl IntoIterator<Item = Term>) -> Vocabulary {
        let built = layout::build(terms, []);
        let bytes = Bytes::Owned(built.bytes);
        let layout = Layout::read(&bytes).expect("an index just built reads back");
        Vocabulary {
            approximate_threshold_override: None,
            bytes,
            layout,
            abbreviations: abbreviations(),
            manifest: VocabularyManifest {
                format_version: FORMAT_VERSION,
                sources: Vec::new(),
                term_counts: built.term_counts,
            },
        }
    }

    /// The same vocabulary with one lowest similarity for approximate matches of every type (above
    /// 1: none), for choosing the thresholds; `None` for the built-in ones.
    pub fn with_approximate_threshold(mut self, threshold: Option<f64>) -> Vocabulary {
        self.approximate_threshold_override = threshold;
        self
    }

    pub fn term_count(&self) -> usize {
        self.tables().entry_count()
    }

    pub fn manifest(&self) -> &VocabularyManifest {
        &self.manifest
    }

    fn tables(&self) -> Tables<'_> {
        self.layout.on(&self.bytes)
    }

    /// The best code for a mention of this type, or `None`.
    pub fn link(&self, mention: &str, entity_type: EntityType) -> Option<Link> {
        let mut keys = lookup_keys(mention);
        if keys[0].is_empty() {
            return None;
        }
        if entity_type == EntityType::Medication {
            keys.extend(drug_name(&keys[0]));
        }
        let tables = self.tables();
        let systems: Vec<_> = code_systems(entity_type)
            .iter()
            .filter_map(|name| tables.system(name))
            .collect();
        let written = collapse(mention);
        let expansions: Vec<String> = keys
            .iter()
            .filter_map(|key| self.abbreviations.get(key).cloned())
            .collect();
        // Exact, folded and abbreviation matches are all certain enough that the code system's rank
        // decides between them: "COPD" gets the Disease Ontology's code through the abbreviation
        // list, the same code as "chronic obstructive pulmonary disease", rather than HPO's.
        let certain_by = |keys: &[String], expansions: &[String]| {
            systems.iter().find_map(|system| {
                let direct = keys
                    .iter()
                    .find_map(|key| Some((key, system.entries_of(key)?)));
                if let Some((key, keyed)) = direct {
                    // A concept named by the key itself wins over one that only lists it as a
                    // synonym, whatever the case the note writes ("propranolol" is Propranolol, not
                    // the lower-case synonym of Dexpropranolol); only among concepts that are not,
                    // the written case picks.
                    let best = tables.entry_concept(keyed.get(0));
                    let best_is_named = fold(tables.concept(best).preferred_name) == *key;
                    let exact = keyed.iter().find(|&e| {
                        tables.entry_term(e) == written
                            && (!best_is_named || tables.entry_concept(e) == best)
                    });
                    return Some(match exact {
                        Some(entry) => link_of(&tables, entry, LinkMethod::Exact),
                        None => link_of(&tables, keyed.get(0), LinkMethod::Folded),
                    });
                }
                expansions
                    .iter()
                    .find_map(|key| system.entries_of(key))
                    .map(|keyed| link_of(&tables, keyed.get(0), LinkMethod::Abbreviation))
            })
        };
        // Only when nothing holds the mention as written: a symptom's noun where the note writes an
        // adjective or a verb ("nauseated" → nausea, "bleed" → bleeding), and an eponym's disease
        // ("Parkinson's" → Parkinson's disease). Not a disease's adjective: on the dev strings those
        // were mostly cut from a longer mention ("herniated" disc, "adenomatous" polyp), and a noun's
        // code for them was wrong.
        let certain = certain_by(&keys, &expansions).or_else(|| {
            let nouns = match entity_type {
                EntityType::Symptom => derived_keys(&keys[0]),
                EntityType::Disease if is_possessive(mention) => {
                    vec![format!("{} disease", keys[0])]
                }
                _ => return None,
            };
            certain_by(&nouns, &[])
        });
        if certain.is_some() {
            return certain;
        }
        let threshold = self
            .approximate_threshold_override
            .unwrap_or_else(|| approximate_threshold(entity_type));
        systems.iter().find_map(|system| {
            keys.iter().find_map(|key| {
                let (nearest, similarity) = system
                    .approximate
                    .nearest(key, threshold, |w| tables.is_known_word(w))?;
                let keyed = system.entries_of_key(nearest);
                let mut link = link_of(&tables, keyed.get(0), LinkMethod::Approximate);
                link.score = similarity as f32;
                Some(link)
            })
        })
    }
}

/// Whether a mention ends in "'s" ("Parkinson's"), the way notes write an eponym's disease alone.
fn is_possessive(mention: &str) -> bool {
    mention
        .trim_end()
        .strip_suffix(['s', 'S'])
        .is_some_and(|rest| rest.ends_with(['\'', '’']))
}

/// The link to `entry`'s concept, scored by `method` (an approximate match rescores it).
fn link_of(tables: &Tables<'_>, entry: u32, method: LinkMethod) -> Link {
    let concept = tables.concept(tables.entry_concept(entry));
    Link {
        code_system: concept.code_system.to_owned(),
        code: concept.code.to_owned(),
        preferred_name: concept.preferred_name.to_owned(),
        score: method.score(),
        method,
    }
}

fn abbreviations() -> HashMap<String, String> {
    include_str!("abbreviations.tsv")
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .filter_map(|line| line.split_once('\t'))
        .map(|(abbreviation, expansion)| (fold(abbreviation), fold(expansion)))
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::linking::write_index;

    fn vocabulary() -> Vocabulary {
        use EntityType::*;
        Vocabulary::from_terms([
            Term::new(
                Medication,
                "DrugBank",
                "DB00945",
                "Acetylsalicylic acid",
                "Acetylsalicylic acid",
            ),
            Term::new(
                Medication,
                "DrugBank",
                "DB00945",
                "Acetylsalicylic acid",
                "Aspirin",
            ),
            Term::new(Medication, "DrugBank", "DB00331", "Metformin", "Metformin"),
            Term::new(
                Medication,
                "DrugBank",
                "DB00264",
                "Metoprolol",
                "Metoprolol",
            ),
            Term::new(
                Medication,
                "DrugBank",
                "DB00316",
                "Acetaminophen",
                "Acetaminophen",
            ),
            Term::new(
                Medication,
                "DrugBank",
                "DB00316",
                "Acetaminophen",
                "Tylenol",
            ),
            Term::new(
                Disease,
                "DOID",
                "DOID:10763",
                "hypertension",
                "hypertension",
            ),
            Term::new(
                Disease,
                "DOID",
                "DOID:9352",
                "type 2 diabetes mellitus",
                "type 2 diabetes mellitus",
            ),
            Term::new(
                Disease,
                "DOID",
                "DOID:3083",
                "chronic obstructive pulmonary disease",
                "chronic obstructive pulmonary disease",
            ),
            Term::new(
                Symptom,
                "HPO",
                "HP:0006510",
                "Chronic pulmonary obstruction",
                "COPD",
            ),
            Term::new(Symptom, "HPO", "HP:0002094", "Dyspnea", "Dyspnea"),
            Term::new(
                Symptom,
                "HPO",
                "HP:0002094",
                "Dyspnea",
                "Shortness of breath",
            ),
            Term::new(Symptom, "HPO", "HP:0000822", "Hypertension", "Hypertension"),
            Term::new(Symptom, "HPO", "HP:0001945", "Fever", "Fever"),
            Term::new(Symptom, "SYMP", "SYMP:0000613", "fever", "fever"),
            Term::new(Symptom, "HPO", "HP:0002018", "Nausea", "Nausea"),
            Term::new(Symptom, "HPO", "HP:0002013", "Vomiting", "Vomiting"),
            Term::new(Disease, "HPO", "HP:0100790", "Hernia", "Hernia"),
            Term::new(
                Disease,
                "DOID",
                "DOID:14330",
                "Parkinson's disease",
                "Parkinson's disease",
            ),
        ])
    }

    fn found(mention: &str, entity_type: EntityType) -> Option<(String, LinkMethod)> {
        vocabulary()
            .link(mention, entity_type)
            .map(|l| (l.code, l.method))
    }

    #[test]
    fn exact_then_folded() {
        use EntityType::*;
        assert_eq!(
            found("Aspirin", Medication),
            Some(("DB00945".into(), LinkMethod::Exact))
        );
        assert_eq!(
            found("ASPIRIN", Medication),
            Some(("DB00945".into(), LinkMethod::Folded))
        );
        assert_eq!(
            found("Aspirin 81 mg PO daily", Medication),
            Some(("DB00945".into(), LinkMethod::Folded))
        );
        assert_eq!(
            found("metoprolol tartrate", Medication),
            Some(("DB00264".into(), LinkMethod::Folded))
        );
        assert_eq!(
            found("shortness  of breath", Symptom),
            Some(("HP:0002094".into(), LinkMethod::Folded))
        );
    }

    #[test]
    fn the_concept_named_by_the_mention_wins_over_a_synonym_in_its_case() {
        use EntityType::*;
        let vocabulary = Vocabulary::from_terms([
            Term::new(
                Medication,
                "DrugBank",
                "DB00571",
                "Propranolol",
                "Propranolol",
            ),
            Term::new(
                Medication,
                "DrugBank",
                "DB03322",
                "Dexpropranolol",
                "propranolol",
            ),
            Term::new(
                Medication,
                "DrugBank",
                "DB03322",
                "Dexpropranolol",
                "Dexpropranolol",
            ),
        ]);
        let link = vocabulary.link("propranolol", Medication).unwrap();
        assert_eq!(
            (link.code.as_str(), link.method),
            ("DB00571", LinkMethod::Folded)
        );
        let link = vocabulary.link("Propranolol", Medication).unwrap();
        assert_eq!(
            (link.code.as_str(), link.method),
            ("DB00571", LinkMethod::Exact)
        );
    }

    #[test]
    fn abbreviations_expand_before_lookup() {
        use EntityType::*;
        assert_eq!(
            found("ASA", Medication),
            Some(("DB00945".into(), LinkMethod::Abbreviation))
        );
        assert_eq!(
            found("HTN", Disease),
            Some(("DOID:10763".into(), LinkMethod::Abbreviation))
        );
        assert_eq!(
            found("T2DM", Disease),
            Some(("DOID:9352".into(), LinkMethod::Abbreviation))
        );
        assert_eq!(
            found("SOB", Symptom),
            Some(("HP:0002094".into(), LinkMethod::Abbreviation))
        );
        assert_eq!(
            found("APAP 500 mg", Medication),
            Some(("DB00316".into(), LinkMethod::Abbreviation))
        );
    }

    #[test]
    fn a_symptom_written_as_adjective_or_verb_links_to_its_noun_and_an_eponym_to_its_disease() {
        use EntityType::*;
        let nausea = Some(("HP:0002018".into(), LinkMethod::Folded));
        assert_eq!(found("nauseated", Symptom), nausea);
        assert_eq!(
            found("vomited", Symptom),
            Some(("HP:0002013".into(), LinkMethod::Folded))
        );
        assert_eq!(
            found("Parkinson's", Disease),
            Some(("DOID:14330".into(), LinkMethod::Folded))
        );
        assert_eq!(
            found("PARKINSON’S ", Disease),
            Some(("DOID:14330".into(), LinkMethod::Folded))
        );
        // A disease's adjective is mostly cut from a longer mention ("herniated disc"): no noun.
        assert_eq!(found("herniated", Disease), None);
        assert_eq!(found("nauseated", Medication), None);
    }

    #[test]
    fn misspellings_link_approximately_with_their_similarity() {
        let link = vocabulary()
            .link("hypertensoin", EntityType::Disease)
            .unwrap();
        assert_eq!(
            (link.code.as_str(), link.method),
            ("DOID:10763", LinkMethod::Approximate)
        );
        assert!(
            link.score >= approximate_threshold(EntityType::Disease) as f32 && link.score < 1.0
        );
        // One transposition in a nine-letter drug name is below the medication threshold: names a
        // letter apart are often different drugs.
        assert_eq!(found("metfromin", EntityType::Medication), None);
        assert_eq!(found("metfxxxxx", EntityType::Medication), None);
        assert_eq!(
            found("fevr", EntityType::Symptom),
            None,
            "too short for an approximate match"
        );
    }

    #[test]
    fn approximate_matches_do_not_depend_on_hash_order() {
        // 200 keys equally near the mention: more ties than candidates scored.
        let terms = || {
            (0..200u32).map(|i| {
                let name = format!("zolmitrip{}", char::from_u32(0x4e00 + i).unwrap());
                Term::new(
                    EntityType::Medication,
                    "DrugBank",
                    &format!("DB{i:05}"),
                    &name,
                    &name,
                )
            })
        };
        let first = Vocabulary::from_terms(terms()).link("zolmitripx", EntityType::Medication);
        assert!(first.is_some());
        for _ in 0..8 {
            let again = Vocabulary::from_terms(terms()).link("zolmitripx", EntityType::Medication);
            assert_eq!(again, first);
        }
    }

    #[test]
    fn code_systems_follow_the_entity_type() {
        use EntityType::*;
        // A disease is looked up in the Disease Ontology first, a symptom in HPO first.
        assert_eq!(found("hypertension", Disease).unwrap().0, "DOID:10763");
        assert_eq!(found("hypertension", Symptom).unwrap().0, "HP:0000822");
        assert_eq!(found("fever", Symptom).unwrap().0, "HP:0001945");
        // An abbreviation into the preferred system beats an exact term of a later one, so that
        // "COPD" and its expansion share a code.
        assert_eq!(
            found("COPD", Disease),
            Some(("DOID:3083".into(), LinkMethod::Abbreviation))
        );
        assert_eq!(found("COPD", Symptom).unwrap().0, "HP:0006510");
        // A drug is never linked to a disease vocabulary, nor a disease to a drug.
        assert_eq!(found("fever", Medication), None);
        assert_eq!(found("Aspirin", Disease), None);
    }

    #[test]
    fn the_preferred_link_of_an_ambiguous_key_is_the_concept_named_by_it() {
        use EntityType::*;
        let vocabulary = Vocabulary::from_terms([
            Term::new(Medication, "DrugBank", "DB00002", "Other drug", "cold"),
            Term::new(Medication, "DrugBank", "DB00009", "Cold", "Cold"),
        ]);
        assert_eq!(vocabulary.link("COLD", Medication).unwrap().code, "DB00009");
    }

    #[test]
    fn folders_round_trip_and_bad_ones_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let terms = [
            Term::new(
                EntityType::Medication,
                "DrugBank",
                "DB00331",
                "Metformin",
                "Metformin",
            ),
            Term::new(
                EntityType::Disease,
                "DOID",
                "DOID:10763",
                "hypertension",
                "hypertension",
            ),
        ];
        write_index(dir.path(), &terms, &["Hypertenson".to_string()]).unwrap();
        let manifest = VocabularyManifest {
            format_version: FORMAT_VERSION,
            sources: vec![],
            term_counts: BTreeMap::from([("DrugBank".to_string(), 1), ("DOID".to_string(), 1)]),
        };
        let manifest_path = dir.path().join(MANIFEST_FILE);
        std::fs::write(&manifest_path, serde_json::to_string(&manifest).unwrap()).unwrap();
        let loaded = Vocabulary::load(dir.path()).unwrap();
        assert_eq!(loaded.term_count(), 2);
        assert_eq!(loaded.manifest(), &manifest);
        assert_eq!(
            loaded
                .link("metformin", EntityType::Medication)
                .unwrap()
                .code,
            "DB00331"
        );
        // The English words are in the index: this misspelling is one of them, so it stays unlinked.
        assert_eq!(loaded.link("hypertenson", EntityType::Disease), None);
        assert!(loaded.link("hypertensoin", EntityType::Disease).is_some());
        // Replaced while mapped: the loaded vocabulary keeps reading the file it mapped.
        write_index(dir.path(), &terms[..1], &[]).unwrap();
        assert!(loaded.link("hypertensoin", EntityType::Disease).is_some());
        assert_eq!(Vocabulary::load(dir.path()).unwrap().term_count(), 1);

        let index_path = dir.path().join(INDEX_FILE);
        let bytes = std::fs::read(&index_path).unwrap();
        std::fs::write(&index_path, &bytes[..bytes.len() / 2]).unwrap();
        let error = Vocabulary::load(dir.path()).err().unwrap().to_string();
        assert!(
            error.contains("index.bin") && error.contains("past the end"),
            "{error}"
        );
        std::fs::write(&index_path, "entity_type\tcode_system\n").unwrap();
        let error = Vocabulary::load(dir.path()).err().unwrap().to_string();
        assert!(
            error.contains("not a clinical_ner linking index"),
            "{error}"
        );

        let old = VocabularyManifest {
            format_version: 1,
            ..manifest
        };
        std::fs::write(&manifest_path, serde_json::to_string(&old).unwrap()).unwrap();
        let error = Vocabulary::load(dir.path()).err().unwrap().to_string();
        assert!(
            error.contains("format version 1") && error.contains("clinical-ner-train vocabulary"),
            "{error}"
        );

        let missing = Vocabulary::load(&dir.path().join("absent"))
            .err()
            .unwrap()
            .to_string();
        assert!(missing.contains("manifest.json"), "{missing}");
    }
}
