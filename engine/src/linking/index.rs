//! The loaded vocabulary: each code system's terms by folded key, with a trigram index for the
//! approximate step, and the lookup that links a mention ([`Vocabulary::link`]).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use super::approximate::TrigramIndex;
use super::file::{collapse, parse_term, TERMS_HEADER};
use super::normalize::{drug_name, fold, lookup_keys};
use super::{
    approximate_threshold, code_systems, Link, LinkMethod, Term, VocabularyManifest,
    ENGLISH_WORDS_FILE, FORMAT_VERSION, MANIFEST_FILE, TERMS_FILE,
};
use crate::{EntityType, Error, Result};

struct Concept {
    code_system: usize,
    code: Box<str>,
    preferred_name: Box<str>,
}

struct Entry {
    concept: u32,
    term: Box<str>,
}

/// One code system's terms, by folded key.
#[derive(Default)]
struct System {
    name: String,
    /// Entries of each key, the best first: a concept whose own name folds to the key, then by code.
    by_key: HashMap<Box<str>, Vec<u32>>,
    approximate: TrigramIndex,
}

pub struct Vocabulary {
    /// A threshold for every type instead of [`approximate_threshold`]'s (evaluation only).
    approximate_threshold_override: Option<f64>,
    /// Every word of every term, folded, and English words: never misspellings of anything.
    known_words: HashSet<Box<str>>,
    concepts: Vec<Concept>,
    entries: Vec<Entry>,
    systems: Vec<System>,
    abbreviations: HashMap<String, String>,
    manifest: VocabularyManifest,
}

impl Vocabulary {
    /// Reads a vocabulary folder (`terms.tsv` and `manifest.json`).
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
                    "format version {} (this build reads {FORMAT_VERSION})",
                    manifest.format_version
                ),
            ));
        }
        let terms_path = folder.join(TERMS_FILE);
        let text = std::fs::read_to_string(&terms_path)
            .map_err(|e| invalid(&terms_path, e.to_string()))?;
        let mut lines = text.lines();
        if lines.next() != Some(TERMS_HEADER) {
            return Err(invalid(
                &terms_path,
                format!("the first line must be the header \"{TERMS_HEADER}\""),
            ));
        }
        let terms = lines
            .enumerate()
            .map(|(index, line)| {
                parse_term(line).ok_or_else(|| {
                    invalid(
                        &terms_path,
                        format!(
                            "line {} is not 5 tab-separated fields of a known entity type",
                            index + 2
                        ),
                    )
                })
            })
            .collect::<Result<Vec<Term>>>()?;
        let mut vocabulary = Vocabulary::from_terms(terms);
        vocabulary.manifest = manifest;
        let english_path = folder.join(ENGLISH_WORDS_FILE);
        if english_path.exists() {
            let english = std::fs::read_to_string(&english_path)
                .map_err(|e| invalid(&english_path, e.to_string()))?;
            vocabulary.known_words.extend(
                english
                    .lines()
                    .map(fold)
                    .filter(|w| !w.is_empty() && !w.contains(' '))
                    .map(Box::from),
            );
        }
        Ok(vocabulary)
    }

    /// A vocabulary of these terms (tests, the training tool), with a manifest that only counts them.
    pub fn from_terms(terms: impl IntoIterator<Item = Term>) -> Vocabulary {
        let mut systems: Vec<System> = Vec::new();
        let mut concepts: Vec<Concept> = Vec::new();
        let mut concept_ids: HashMap<(usize, String), u32> = HashMap::new();
        let mut entries: Vec<Entry> = Vec::new();
        let mut term_counts: BTreeMap<String, usize> = BTreeMap::new();
        let mut known_words: HashSet<Box<str>> = HashSet::new();
        for term in terms {
            let system = match systems.iter().position(|s| s.name == term.code_system) {
                Some(index) => index,
                None => {
                    systems.push(System {
                        name: term.code_system.clone(),
                        ..System::default()
                    });
                    systems.len() - 1
                }
            };
            let concept = *concept_ids
                .entry((system, term.code.clone()))
                .or_insert_with(|| {
                    concepts.push(Concept {
                        code_system: system,
                        code: term.code.as_str().into(),
                        preferred_name: term.preferred_name.as_str().into(),
                    });
                    (concepts.len() - 1) as u32
                });
            let key = fold(&term.term);
            if key.is_empty() {
                continue;
            }
            *term_counts.entry(term.code_system.clone()).or_default() += 1;
            known_words.extend(key.split(' ').map(Box::from));
            let entry = entries.len() as u32;
            entries.push(Entry {
                concept,
                term: collapse(&term.term).into(),
            });
            // Every spelling is kept, even of a concept the key already has: exact matching needs it.
            systems[system]
                .by_key
                .entry(key.into())
                .or_default()
                .push(entry);
        }
        for system in &mut systems {
            for (key, keyed) in system.by_key.iter_mut() {
                keyed.sort_by_cached_key(|&e| {
                    let concept = &concepts[entries[e as usize].concept as usize];
                    (
                        fold(&concept.preferred_name) != **key,
                        concept.code.clone(),
                        e,
                    )
                });
                keyed.shrink_to_fit();
            }
            // In sorted order, not the map's: candidates tied on shared trigrams are ranked by key
            // id, and the functions are IMMUTABLE, so every backend must rank them alike.
            let mut keys: Vec<Box<str>> = system.by_key.keys().cloned().collect();
            keys.sort_unstable();
            keys.iter().for_each(|key| system.approximate.insert(key));
            system.approximate.shrink_to_fit();
        }
        Vocabulary {
            approximate_threshold_override: None,
            known_words,
            concepts,
            entries,
            systems,
            abbreviations: abbreviations(),
            manifest: VocabularyManifest {
                format_version: FORMAT_VERSION,
                sources: Vec::new(),
                term_counts,
            },
        }
    }

    /// The same vocabulary with one lowest similarity for approximate matches of every type (above
    /// 1: none), for choosing the thresholds; `None` for the built-in ones.
    pub fn with_approximate_threshold(mut self, threshold: Option<f64>) -> Vocabulary {
        self.approximate_threshold_override = threshold;
        self
    }

    /// Whether a folded word is a real word (of the vocabulary or English), so never a misspelling.
    pub fn is_known_word(&self, word: &str) -> bool {
        self.known_words.contains(word)
    }

    pub fn term_count(&self) -> usize {
        self.entries.len()
    }

    pub fn manifest(&self) -> &VocabularyManifest {
        &self.manifest
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
        let systems: Vec<&System> = code_systems(entity_type)
            .iter()
            .filter_map(|name| self.systems.iter().find(|s| s.name == *name))
            .collect();
        let written = collapse(mention);
        let expansions: Vec<String> = keys
            .iter()
            .filter_map(|key| self.abbreviations.get(key).cloned())
            .collect();
        // Exact, folded and abbreviation matches are all certain enough that the code system's rank
        // decides between them: "COPD" gets the Disease Ontology's code through the abbreviation
        // list, the same code as "chronic obstructive pulmonary disease", rather than HPO's.
        let certain = systems.iter().find_map(|system| {
            let direct = keys
                .iter()
                .find_map(|key| Some((key, system.by_key.get(key.as_str())?)));
            if let Some((key, keyed)) = direct {
                // A concept named by the key itself wins over one that only lists it as a synonym,
                // whatever the case the note writes ("propranolol" is Propranolol, not the lower-case
                // synonym of Dexpropranolol); only among concepts that are not, the written case picks.
                let best = self.entries[keyed[0] as usize].concept;
                let best_is_named = fold(&self.concepts[best as usize].preferred_name) == *key;
                let exact = keyed.iter().find(|&&e| {
                    let entry = &self.entries[e as usize];
                    *entry.term == *written && (!best_is_named || entry.concept == best)
                });
                return Some(match exact {
                    Some(&entry) => self.link_of(entry, LinkMethod::Exact),
                    None => self.link_of(keyed[0], LinkMethod::Folded),
                });
            }
            expansions
                .iter()
                .find_map(|key| system.by_key.get(key.as_str()))
                .map(|keyed| self.link_of(keyed[0], LinkMethod::Abbreviation))
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
                    .nearest(key, threshold, |w| self.is_known_word(w))?;
                let entry = system.by_key[nearest][0];
                let mut link = self.link_of(entry, LinkMethod::Approximate);
                link.score = similarity as f32;
                Some(link)
            })
        })
    }

    /// The link to `entry`'s concept, scored by `method` (an approximate match rescores it).
    fn link_of(&self, entry: u32, method: LinkMethod) -> Link {
        let concept = &self.concepts[self.entries[entry as usize].concept as usize];
        Link {
            code_system: self.systems[concept.code_system].name.clone(),
            code: concept.code.to_string(),
            preferred_name: concept.preferred_name.to_string(),
            score: method.score(),
            method,
        }
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
    use super::*;
    use crate::linking::{term_line, terms_header};

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
        let lines: Vec<String> = [Term::new(
            EntityType::Medication,
            "DrugBank",
            "DB00331",
            "Metformin",
            "Metformin",
        )]
        .iter()
        .map(term_line)
        .collect();
        std::fs::write(
            dir.path().join(TERMS_FILE),
            format!("{}\n{}\n", terms_header(), lines.join("\n")),
        )
        .unwrap();
        let manifest = VocabularyManifest {
            format_version: FORMAT_VERSION,
            sources: vec![],
            term_counts: BTreeMap::from([("DrugBank".to_string(), 1)]),
        };
        std::fs::write(
            dir.path().join(MANIFEST_FILE),
            serde_json::to_string(&manifest).unwrap(),
        )
        .unwrap();
        let loaded = Vocabulary::load(dir.path()).unwrap();
        assert_eq!(loaded.term_count(), 1);
        assert_eq!(loaded.manifest(), &manifest);
        assert_eq!(
            loaded
                .link("metformin", EntityType::Medication)
                .unwrap()
                .code,
            "DB00331"
        );

        std::fs::write(
            dir.path().join(TERMS_FILE),
            format!("{}\nmedication\tDrugBank\n", terms_header()),
        )
        .unwrap();
        let error = Vocabulary::load(dir.path()).err().unwrap().to_string();
        assert!(
            error.contains("terms.tsv") && error.contains("line 2"),
            "{error}"
        );

        let missing = Vocabulary::load(&dir.path().join("absent"))
            .err()
            .unwrap()
            .to_string();
        assert!(missing.contains("manifest.json"), "{missing}");
    }
}
