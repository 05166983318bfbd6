//! Linking measured on notes: the linking gold set (`training/corpora/linking-gold/gold.tsv`, the
//! most frequent mentions the default model finds in MTSamples notes, each with the code the project
//! team judged right by docs/linking-guidelines.md, or none).
//!
//! Every figure is weighted by how many mentions a string stands for: the share of mentions linked,
//! the precision of the codes given, and the share of mentions whose outcome is right (the right code,
//! or no code where none is right); and per linking step, how many mentions it linked and how many of
//! those rightly.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clinical_ner_engine::linking::Vocabulary;
use clinical_ner_engine::EntityType;
use serde::Serialize;

use crate::link_eval::{method_cells, method_counts, MethodCount};
use crate::metrics::ratio;
use crate::readers::read_text;
use crate::{Error, Problem, Result};

/// The gold set in the repository, beside this crate.
pub fn gold_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corpora/linking-gold/gold.tsv")
}

/// One judged string.
#[derive(Debug, Clone, PartialEq)]
pub struct Judged {
    pub entity_type: EntityType,
    /// As the model first wrote it, so that the exact step is told from the folded one.
    pub mention: String,
    /// Mentions of MTSamples that this string stands for.
    pub frequency: usize,
    /// `None` where no code of our vocabularies is right.
    pub code: Option<String>,
    pub half: String,
}

/// Reads `gold.tsv`: `entity_type, folded mention, frequency, as written, half, code_system, code,
/// preferred_name, note` (code `none` for none), `#` lines being comments.
pub fn read(path: &Path) -> Result<Vec<Judged>> {
    let text = read_text(path)?;
    let mut judged = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let problem = |p: &str| Error::Format {
            path: path.to_owned(),
            line: index + 1,
            problem: Problem::VocabularyEntry(p.to_owned()),
        };
        let fields: Vec<&str> = line.split('\t').collect();
        let [entity_type, _folded, frequency, written, half, _system, code, ..] = fields[..] else {
            return Err(problem("expected 9 tab-separated fields"));
        };
        judged.push(Judged {
            entity_type: entity_type
                .parse()
                .map_err(|_| problem("unknown entity type"))?,
            mention: written.to_owned(),
            frequency: frequency
                .parse()
                .map_err(|_| problem("frequency is not a number"))?,
            code: (code != "none").then(|| code.to_owned()),
            half: half.to_owned(),
        });
    }
    Ok(judged)
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct NoteTypeScore {
    pub entity_type: &'static str,
    pub strings: usize,
    pub mentions: usize,
    /// Mentions whose right answer is a code.
    pub codable: usize,
    pub linked: usize,
    pub linked_right: usize,
    /// Right outcomes: the right code, or no code where none is right.
    pub right: usize,
    pub linked_share: f64,
    pub precision: f64,
    pub right_share: f64,
    /// Per linking step: mentions linked, and of those linked rightly.
    pub steps: BTreeMap<&'static str, MethodCount>,
    /// (mention, given code, right code) of wrong links, most frequent first, the first few.
    pub wrong: Vec<(String, String, String)>,
    /// Codable strings left unlinked, most frequent first, the first few.
    pub unlinked: Vec<String>,
}

/// Scores `vocabulary` on the judged strings of `half` ("dev", "test" or "all"), per type.
pub fn score(vocabulary: &Vocabulary, judged: &[Judged], half: &str) -> Vec<NoteTypeScore> {
    EntityType::ALL
        .into_iter()
        .map(|entity_type| {
            let mut score = NoteTypeScore {
                entity_type: entity_type.as_str(),
                steps: method_counts(),
                ..NoteTypeScore::default()
            };
            let mut strings: Vec<&Judged> = judged
                .iter()
                .filter(|j| j.entity_type == entity_type && (half == "all" || j.half == half))
                .collect();
            strings.sort_by_key(|j| std::cmp::Reverse(j.frequency));
            for string in strings {
                let n = string.frequency;
                score.strings += 1;
                score.mentions += n;
                if string.code.is_some() {
                    score.codable += n;
                }
                let link = vocabulary.link(&string.mention, entity_type);
                let right = link.as_ref().map(|l| &l.code) == string.code.as_ref();
                score.right += if right { n } else { 0 };
                match link {
                    Some(link) => {
                        score.linked += n;
                        score.linked_right += if right { n } else { 0 };
                        score
                            .steps
                            .get_mut(link.method.name())
                            .expect("every step")
                            .add(n, right);
                        if !right && score.wrong.len() < 15 {
                            score.wrong.push((
                                string.mention.clone(),
                                format!("{} ({})", link.code, link.preferred_name),
                                string.code.clone().unwrap_or_else(|| "none".into()),
                            ));
                        }
                    }
                    None if string.code.is_some() && score.unlinked.len() < 15 => {
                        score.unlinked.push(string.mention.clone());
                    }
                    None => {}
                }
            }
            score.linked_share = ratio(score.linked, score.mentions);
            score.precision = ratio(score.linked_right, score.linked);
            score.right_share = ratio(score.right, score.mentions);
            score
        })
        .collect()
}

/// A Markdown table of the scores, then the wrong and unlinked strings.
pub fn markdown(title: &str, scores: &[NoteTypeScore]) -> String {
    let mut out = format!(
        "{title}\n\n| type | strings | mentions | linked | precision of codes | right | exact | folded | abbreviation | approximate |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
    );
    for s in scores {
        out += &format!(
            "| {} | {} | {} | {:.3} | {:.3} | {:.3} | {} |\n",
            s.entity_type,
            s.strings,
            s.mentions,
            s.linked_share,
            s.precision,
            s.right_share,
            method_cells(&s.steps)
        );
    }
    out += "\nSteps: mentions linked rightly / linked. Linked, precision and right are shares of mentions (each string weighted by its frequency).\n";
    for s in scores {
        if !s.wrong.is_empty() {
            let wrong: Vec<String> = s
                .wrong
                .iter()
                .map(|(m, given, right)| format!("{m} → {given}, right: {right}"))
                .collect();
            out += &format!(
                "\nWrong {} links, most frequent first: {}\n",
                s.entity_type,
                wrong.join("; ")
            );
        }
        if !s.unlinked.is_empty() {
            out += &format!(
                "\nUnlinked {} strings that have a right code: {}\n",
                s.entity_type,
                s.unlinked.join("; ")
            );
        }
    }
    out
}
