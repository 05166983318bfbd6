//! Teachers: labellers that give silver spans without a trained model, to label unlabelled notes
//! for a student and to stand as the baseline a student has to beat.
//!
//! [`dictionary`] matches open vocabularies, one teacher per vocabulary or all of them at once;
//! [`llm`] asks a chat model over HTTP. [`Teacher`] puts both behind one name: the built-in
//! dictionary names, or a name defined in a teachers file (JSON, one [`llm::LlmTeacherConfig`] per
//! name).

pub mod dictionary;
pub mod llm;

use std::collections::BTreeMap;
use std::path::Path;

use clinical_ner_engine::EntityType;
use indicatif::ProgressBar;
use rayon::prelude::*;

use self::dictionary::{DictionaryTeacher, Vocabulary};
use self::llm::{LlmTeacher, LlmTeacherConfig, Usage};
use crate::corpus::Span;

/// Each note's spans, and for an LLM teacher what the requests cost.
pub type Labelled = (Vec<Vec<Span>>, Option<Usage>);

/// The teacher of all vocabularies together.
pub const ALL_VOCABULARIES: &str = "dictionary";

pub enum Teacher {
    Dictionary(DictionaryTeacher),
    Llm(LlmTeacher),
}

/// Where a teacher's name is looked up and its replies kept.
pub struct TeacherSources<'a> {
    pub data_dir: &'a Path,
    pub teachers_file: Option<&'a Path>,
    pub cache_dir: &'a Path,
}

impl Teacher {
    pub fn load(
        name: &str,
        sources: &TeacherSources,
    ) -> Result<Teacher, Box<dyn std::error::Error>> {
        if name == ALL_VOCABULARIES {
            return Ok(Teacher::Dictionary(DictionaryTeacher::load(
                sources.data_dir,
            )?));
        }
        if let Some(vocabulary) = Vocabulary::from_name(name) {
            return Ok(Teacher::Dictionary(DictionaryTeacher::load_vocabularies(
                sources.data_dir,
                &[vocabulary],
            )?));
        }
        let configs = match sources.teachers_file {
            Some(path) => read_teachers_file(path)?,
            None => BTreeMap::new(),
        };
        let config = configs.get(name).ok_or_else(|| {
            let vocabularies: Vec<&str> = Vocabulary::ALL.iter().map(|v| v.name()).collect();
            format!(
                "no teacher named {name}: the built-in ones are {ALL_VOCABULARIES}, {}; others are \
                 defined in the teachers file (--teachers)",
                vocabularies.join(", ")
            )
        })?;
        Ok(Teacher::Llm(LlmTeacher::from_config(
            config,
            &sources.cache_dir.join(name),
        )?))
    }

    /// The spans of `types` in each note, and for an LLM teacher what the requests cost.
    pub fn label(
        &self,
        notes: &[&str],
        types: &[EntityType],
        progress: &ProgressBar,
    ) -> Result<Labelled, Box<dyn std::error::Error>> {
        match self {
            Teacher::Dictionary(teacher) => {
                progress.set_length(notes.len() as u64);
                let labelled = notes
                    .par_iter()
                    .map(|note| {
                        let mut spans = teacher.label(note);
                        spans.retain(|s| types.contains(&s.entity_type));
                        progress.inc(1);
                        spans
                    })
                    .collect();
                progress.finish();
                Ok((labelled, None))
            }
            Teacher::Llm(teacher) => {
                let (labelled, usage) = teacher.label(notes, types, progress)?;
                Ok((labelled, Some(usage)))
            }
        }
    }
}

/// Seconds a labeller spent per note it worked on: `seconds` for `notes`, of which an LLM teacher's
/// replies from its cache cost nothing and do not count. `None` when every reply came from the cache,
/// so that nothing was timed. The one definition of a teacher's speed: `label --report` writes it,
/// `select --max-seconds-per-note` and the distillation report read it.
pub fn seconds_per_note(seconds: f64, notes: usize, usage: Option<&Usage>) -> Option<f64> {
    let asked = match usage {
        Some(usage) if usage.requests + usage.cached > 0 => {
            notes as f64 * usage.requests as f64 / (usage.requests + usage.cached) as f64
        }
        _ => notes as f64,
    };
    (asked > 0.0).then(|| seconds / asked)
}

fn read_teachers_file(
    path: &Path,
) -> Result<BTreeMap<String, LlmTeacherConfig>, Box<dyn std::error::Error>> {
    let text = crate::readers::read_text(path)?;
    // serde_json's message is kept here: the file holds settings, not notes, and says which field.
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage(requests: u64, cached: u64) -> Usage {
        Usage {
            requests,
            cached,
            ..Usage::default()
        }
    }

    #[test]
    fn cached_replies_do_not_count_towards_a_teachers_speed() {
        assert_eq!(seconds_per_note(1.0, 10, None), Some(0.1));
        assert_eq!(seconds_per_note(1.0, 10, Some(&usage(10, 0))), Some(0.1));
        assert_eq!(seconds_per_note(1.0, 10, Some(&usage(5, 5))), Some(0.2));
        assert_eq!(seconds_per_note(0.01, 10, Some(&usage(0, 10))), None);
        assert_eq!(seconds_per_note(0.0, 0, None), None);
    }
}
