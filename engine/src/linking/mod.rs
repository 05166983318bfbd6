//! Linking a mention to a code in an open vocabulary (DrugBank, Disease Ontology, HPO, Symptom
//! Ontology), so that "Aspirin 81 mg", "ASA" and "aspirin" count as one drug in a `GROUP BY`.
//!
//! Steps: in each of the entity type's code systems, in order of preference, exact (the term as
//! written) or folded ([`normalize`]: case, punctuation, plurals, and for drugs doses and salts), then
//! abbreviation (`abbreviations.tsv`, then the expansion folded); only when no system has any of
//! those, a symptom's noun where the note writes an adjective or a verb (`derivations.tsv`:
//! "nauseated" → nausea) or an eponym's disease ("Parkinson's"), scored as folded; then approximate
//! ([`approximate`]: misspellings of one word that is no real word). The first hit wins; its score
//! says how.
//!
//! A vocabulary folder holds `manifest.json`, `index.bin` (the terms and English words as tables that
//! every backend maps and shares: [`layout`]) and `terms.tsv` (the same terms, one per line, for
//! people to read). It is built from the data folder by `clinical-ner-train vocabulary` and never
//! shipped in the repository: the sources' licences are theirs (see the manifest).

pub mod approximate;
mod file;
mod flat;
mod index;
mod layout;
pub mod normalize;

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{Entity, EntityType};

pub use file::{
    term_line, terms_header, Term, VocabularyManifest, VocabularySource, FORMAT_VERSION,
    MANIFEST_FILE, TERMS_FILE,
};
pub use flat::DAMAGED_INDEX;
pub use index::Vocabulary;
pub use layout::{write_index, INDEX_FILE};

/// Lowest similarity of the misspelt word an approximate match may have (normalised Damerau–
/// Levenshtein), per entity type, chosen on the dev half of the note linking gold set
/// (docs/results.md): at 0.85, the 38 medication mentions linked approximately were all wrong
/// (drug names a letter apart are different drugs), and none at 0.88 and above; the disease
/// mentions linked approximately were right (3 of 3) down to 0.85, wrong below; symptoms had none.
pub fn approximate_threshold(entity_type: EntityType) -> f64 {
    match entity_type {
        EntityType::Medication => 0.9,
        EntityType::Disease => 0.85,
        EntityType::Symptom => 0.85,
    }
}

/// Which code systems serve each entity type, best first. HPO names many diseases as phenotypes
/// ("Hypertension"), and symptoms as often appear in the Disease Ontology.
fn code_systems(entity_type: EntityType) -> &'static [&'static str] {
    match entity_type {
        EntityType::Medication => &["DrugBank"],
        EntityType::Disease => &["DOID", "HPO"],
        EntityType::Symptom => &["HPO", "SYMP", "DOID"],
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum LinkMethod {
    Exact,
    Folded,
    Abbreviation,
    Approximate,
}

impl LinkMethod {
    pub const ALL: [LinkMethod; 4] = [
        LinkMethod::Exact,
        LinkMethod::Folded,
        LinkMethod::Abbreviation,
        LinkMethod::Approximate,
    ];

    pub fn name(self) -> &'static str {
        match self {
            LinkMethod::Exact => "exact",
            LinkMethod::Folded => "folded",
            LinkMethod::Abbreviation => "abbreviation",
            LinkMethod::Approximate => "approximate",
        }
    }

    fn score(self) -> f32 {
        match self {
            LinkMethod::Exact => 1.0,
            LinkMethod::Folded => 0.95,
            LinkMethod::Abbreviation => 0.9,
            // Replaced by the match's similarity.
            LinkMethod::Approximate => 0.0,
        }
    }
}

impl fmt::Display for LinkMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An entity and its code, where a vocabulary was asked and one matches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkedEntity {
    pub entity: Entity,
    pub link: Option<Link>,
}

/// Each entity with its code from `vocabulary`; every code `None` without one.
pub fn link_all(entities: Vec<Entity>, vocabulary: Option<&Vocabulary>) -> Vec<LinkedEntity> {
    entities
        .into_iter()
        .map(|e| {
            let link = vocabulary.and_then(|v| v.link(&e.mention, e.entity_type));
            LinkedEntity { entity: e, link }
        })
        .collect()
}

/// A mention's code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Link {
    pub code_system: String,
    pub code: String,
    pub preferred_name: String,
    /// 1 exact, 0.95 folded, 0.9 abbreviation, else the approximate match's similarity (at least the
    /// type's [`approximate_threshold`]).
    pub score: f32,
    pub method: LinkMethod,
}
