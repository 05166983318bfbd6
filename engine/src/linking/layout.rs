//! `index.bin`: the linking vocabulary as tables that every backend maps read-only and reads in place
//! ([`super::flat`]), so that loading costs a header check and the pages are shared, not copied into
//! each backend. `clinical-ner-train vocabulary` writes it beside `terms.tsv`, from the same terms.
//!
//! The tables, in order: the code systems' names; each concept's code system, code and preferred
//! name; each entry's concept and term as written (an entry is one string of a concept); the known
//! words (every word of every folded term, and English words: never misspellings), sorted. Then per
//! code system: its folded keys, sorted (a key's id is its rank); where each key's entries start and
//! the entries, best first (a concept whose own name folds to the key, then by code); and the
//! trigram index of its keys ([`super::approximate`]).

use std::borrow::Borrow;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use super::approximate::{write_trigram_index, TrigramIndex, TrigramIndexAt};
use super::file::collapse;
use super::flat::{Reader, Strings, StringsAt, U32s, U32sAt, Writer};
use super::normalize::fold;
use super::{Term, FORMAT_VERSION};

pub const INDEX_FILE: &str = "index.bin";

/// An index built in memory, and the terms it holds per code system.
pub(super) struct Built {
    pub bytes: Vec<u8>,
    pub term_counts: BTreeMap<String, usize>,
}

/// The index of `terms` (a term whose folded form is empty is left out) and `english_words`.
pub(super) fn build<'w, T: Borrow<Term>>(
    terms: impl IntoIterator<Item = T>,
    english_words: impl IntoIterator<Item = &'w str>,
) -> Built {
    let mut system_names: Vec<String> = Vec::new();
    let mut keys_by_system: Vec<BTreeMap<String, Vec<u32>>> = Vec::new();
    let mut concepts: Vec<(u32, String, String)> = Vec::new();
    let mut concept_ids: HashMap<(usize, String), u32> = HashMap::new();
    let mut entries: Vec<(u32, String)> = Vec::new();
    let mut term_counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut known_words: BTreeSet<String> = BTreeSet::new();
    for term in terms {
        let term = term.borrow();
        let system = match system_names.iter().position(|s| *s == term.code_system) {
            Some(index) => index,
            None => {
                system_names.push(term.code_system.clone());
                keys_by_system.push(BTreeMap::new());
                system_names.len() - 1
            }
        };
        let concept = *concept_ids
            .entry((system, term.code.clone()))
            .or_insert_with(|| {
                concepts.push((
                    system as u32,
                    term.code.clone(),
                    term.preferred_name.clone(),
                ));
                (concepts.len() - 1) as u32
            });
        let key = fold(&term.term);
        if key.is_empty() {
            continue;
        }
        *term_counts.entry(term.code_system.clone()).or_default() += 1;
        known_words.extend(key.split(' ').map(str::to_owned));
        // Every spelling is kept, even of a concept the key already has: exact matching needs it.
        keys_by_system[system]
            .entry(key)
            .or_default()
            .push(entries.len() as u32);
        entries.push((concept, collapse(&term.term)));
    }
    known_words.extend(
        english_words
            .into_iter()
            .map(fold)
            .filter(|w| !w.is_empty() && !w.contains(' ')),
    );
    for keys in &mut keys_by_system {
        for (key, keyed) in keys.iter_mut() {
            keyed.sort_by_cached_key(|&e| {
                let (_, code, name) = &concepts[entries[e as usize].0 as usize];
                (fold(name) != *key, code.clone(), e)
            });
        }
    }

    let mut out = Writer::default();
    out.strings(system_names.iter().map(String::as_str));
    out.u32s(concepts.iter().map(|c| c.0));
    out.strings(concepts.iter().map(|c| c.1.as_str()));
    out.strings(concepts.iter().map(|c| c.2.as_str()));
    out.u32s(entries.iter().map(|e| e.0));
    out.strings(entries.iter().map(|e| e.1.as_str()));
    out.strings(known_words.iter().map(String::as_str));
    for keys in &keys_by_system {
        out.strings(keys.keys().map(String::as_str));
        out.u32s(
            std::iter::once(0).chain(keys.values().scan(0, |end, keyed| {
                *end += keyed.len() as u32;
                Some(*end)
            })),
        );
        out.u32s(keys.values().flatten().copied());
        write_trigram_index(keys.keys().map(String::as_str), &mut out);
    }
    Built {
        bytes: out.finish(FORMAT_VERSION),
        term_counts,
    }
}

/// Writes the index of `terms` and `english_words` into `folder` as [`INDEX_FILE`]: into a new file
/// that then replaces the old one, so that a backend which maps the old file goes on reading it
/// unchanged (a mapped file that is rewritten in place can crash the processes that read it).
pub fn write_index(folder: &Path, terms: &[Term], english_words: &[String]) -> std::io::Result<()> {
    let built = build(terms, english_words.iter().map(String::as_str));
    let new = folder.join(format!("{INDEX_FILE}.new"));
    std::fs::write(&new, built.bytes)?;
    std::fs::rename(&new, folder.join(INDEX_FILE))
}

/// Where each table lies in an index's bytes, checked at load.
pub(super) struct Layout {
    system_names: StringsAt,
    concept_systems: U32sAt,
    concept_codes: StringsAt,
    concept_names: StringsAt,
    entry_concepts: U32sAt,
    entry_terms: StringsAt,
    known_words: StringsAt,
    systems: Vec<SystemAt>,
}

struct SystemAt {
    keys: StringsAt,
    starts: U32sAt,
    entries: U32sAt,
    approximate: TrigramIndexAt,
}

impl Layout {
    pub fn read(bytes: &[u8]) -> Result<Layout, String> {
        let mut reader = Reader::open(bytes, FORMAT_VERSION)?;
        let system_names = reader.strings()?;
        let concept_systems = reader.u32s()?;
        let concept_codes = reader.strings()?;
        let concept_names = reader.strings()?;
        let entry_concepts = reader.u32s()?;
        let entry_terms = reader.strings()?;
        let known_words = reader.strings()?;
        let systems = (0..system_names.on(bytes).len())
            .map(|_| {
                Ok(SystemAt {
                    keys: reader.strings()?,
                    starts: reader.u32s()?,
                    entries: reader.u32s()?,
                    approximate: TrigramIndexAt::read(&mut reader)?,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        reader.finish()?;
        let layout = Layout {
            system_names,
            concept_systems,
            concept_codes,
            concept_names,
            entry_concepts,
            entry_terms,
            known_words,
            systems,
        };
        let tables = layout.on(bytes);
        let concepts = tables.concept_systems.len();
        if tables.concept_codes.len() != concepts
            || tables.concept_names.len() != concepts
            || tables.entry_terms.len() != tables.entry_concepts.len()
            || layout
                .systems
                .iter()
                .any(|s| s.starts.on(bytes).len() != s.keys.on(bytes).len() + 1)
        {
            return Err("its tables disagree on how many concepts, entries or keys it has".into());
        }
        Ok(layout)
    }

    pub fn on<'a>(&'a self, bytes: &'a [u8]) -> Tables<'a> {
        Tables {
            layout: self,
            bytes,
            system_names: self.system_names.on(bytes),
            concept_systems: self.concept_systems.on(bytes),
            concept_codes: self.concept_codes.on(bytes),
            concept_names: self.concept_names.on(bytes),
            entry_concepts: self.entry_concepts.on(bytes),
            entry_terms: self.entry_terms.on(bytes),
            known_words: self.known_words.on(bytes),
        }
    }
}

/// An index's tables, read in place.
pub(super) struct Tables<'a> {
    layout: &'a Layout,
    bytes: &'a [u8],
    system_names: Strings<'a>,
    concept_systems: U32s<'a>,
    concept_codes: Strings<'a>,
    concept_names: Strings<'a>,
    entry_concepts: U32s<'a>,
    entry_terms: Strings<'a>,
    known_words: Strings<'a>,
}

/// A concept: its code system's name, its code and its preferred name.
pub(super) struct Concept<'a> {
    pub code_system: &'a str,
    pub code: &'a str,
    pub preferred_name: &'a str,
}

impl<'a> Tables<'a> {
    pub fn system(&self, name: &str) -> Option<System<'a>> {
        let index = (0..self.system_names.len()).find(|&i| self.system_names.get(i) == name)?;
        let at = &self.layout.systems[index];
        let keys = at.keys.on(self.bytes);
        Some(System {
            keys,
            starts: at.starts.on(self.bytes),
            entries: at.entries.on(self.bytes),
            approximate: at.approximate.on(self.bytes, keys),
        })
    }

    pub fn entry_count(&self) -> usize {
        self.entry_concepts.len()
    }

    pub fn entry_concept(&self, entry: u32) -> u32 {
        self.entry_concepts.get(entry as usize)
    }

    pub fn entry_term(&self, entry: u32) -> &'a str {
        self.entry_terms.get(entry as usize)
    }

    pub fn concept(&self, concept: u32) -> Concept<'a> {
        let system = self.concept_systems.get(concept as usize);
        Concept {
            code_system: self.system_names.get(system as usize),
            code: self.concept_codes.get(concept as usize),
            preferred_name: self.concept_names.get(concept as usize),
        }
    }

    /// Whether a folded word is a real word (of the vocabulary or English), so never a misspelling.
    pub fn is_known_word(&self, word: &str) -> bool {
        self.known_words.position(word).is_some()
    }
}

/// One code system's terms by folded key.
pub(super) struct System<'a> {
    keys: Strings<'a>,
    starts: U32s<'a>,
    entries: U32s<'a>,
    pub approximate: TrigramIndex<'a>,
}

impl<'a> System<'a> {
    /// The entries of `key`, best first.
    pub fn entries_of(&self, key: &str) -> Option<U32s<'a>> {
        self.keys.position(key).map(|id| self.entries_of_key(id))
    }

    /// The entries of the key with this id, best first.
    pub fn entries_of_key(&self, id: u32) -> U32s<'a> {
        let id = id as usize;
        self.entries
            .slice(self.starts.get(id), self.starts.get(id + 1))
    }
}
