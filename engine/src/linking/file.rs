//! The vocabulary folder's files for people and for `clinical_ner_vocabulary()`: `terms.tsv` (one
//! term per line, tab-separated, with its concept) and `manifest.json` (format version, sources and
//! their licences, term counts). `clinical-ner-train vocabulary` writes them beside the index that
//! backends map (`index.bin`, [`super::layout`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::EntityType;

pub const TERMS_FILE: &str = "terms.tsv";
pub const MANIFEST_FILE: &str = "manifest.json";
/// 2: the index (`index.bin`) replaced reading `terms.tsv` and `english_words.txt` at load.
pub const FORMAT_VERSION: u32 = 2;
const TERMS_HEADER: &str = "entity_type\tcode_system\tcode\tpreferred_name\tterm";

/// One string of a vocabulary and the concept it names.
#[derive(Debug, Clone, PartialEq)]
pub struct Term {
    pub entity_type: EntityType,
    pub code_system: String,
    pub code: String,
    pub preferred_name: String,
    pub term: String,
}

impl Term {
    pub fn new(
        entity_type: EntityType,
        code_system: &str,
        code: &str,
        preferred_name: &str,
        term: &str,
    ) -> Term {
        Term {
            entity_type,
            code_system: code_system.into(),
            code: code.into(),
            preferred_name: preferred_name.into(),
            term: term.into(),
        }
    }
}

/// Where a vocabulary's terms came from, for `clinical_ner_vocabulary()` and licence notices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VocabularySource {
    pub code_system: String,
    pub file: String,
    pub licence: String,
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VocabularyManifest {
    pub format_version: u32,
    pub sources: Vec<VocabularySource>,
    /// Terms per code system.
    pub term_counts: BTreeMap<String, usize>,
}

/// A term as `terms.tsv` holds it: one line, tab-separated.
pub fn term_line(term: &Term) -> String {
    let clean = |s: &str| collapse(s);
    format!(
        "{}\t{}\t{}\t{}\t{}",
        term.entity_type.as_str(),
        clean(&term.code_system),
        clean(&term.code),
        clean(&term.preferred_name),
        clean(&term.term)
    )
}

/// The header line of `terms.tsv`.
pub fn terms_header() -> &'static str {
    TERMS_HEADER
}

/// Whitespace runs (tabs and line breaks included) as one space, trimmed.
pub(super) fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
