//! The phrase tables of [`super`]: routes, frequencies, strength units, dose forms and duration units,
//! read from the TSV files beside this module (the built-in set) or from a site's own files.

use std::collections::HashMap;

use serde::Serialize;

use super::tokens::{tokens, Token, TokenKind};

/// What a strength unit measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitKind {
    /// Mass, volume or units of activity: doses of it add up to a daily dose.
    Amount,
    /// Per kg of body weight.
    PerWeight,
    /// Per volume, or per cent.
    Concentration,
}

/// The routes a route phrase may name (issue 22's closed list).
pub const ROUTES: [&str; 11] = [
    "oral",
    "intravenous",
    "intramuscular",
    "subcutaneous",
    "inhaled",
    "topical",
    "rectal",
    "sublingual",
    "transdermal",
    "ophthalmic",
    "other",
];

/// Administrations per day of a frequency phrase.
#[derive(Debug, Clone, Copy)]
pub enum PerDay {
    Fixed(f64),
    /// A function of the phrase's number N ("q # h": 24/N).
    OfNumber(fn(f64) -> f64),
    /// As needed, or as directed: no number.
    None,
}

#[derive(Debug, Clone, Copy)]
pub struct FrequencyRule {
    pub per_day: PerDay,
    pub as_needed: bool,
}

/// A phrase found at the start of some tokens: its value and how many tokens it took.
pub struct Matched<'t, T> {
    pub value: &'t T,
    pub length: usize,
}

/// One table of phrases, each a token sequence in which the word `#` stands for any number, indexed
/// by first token.
#[derive(Debug, Clone)]
pub struct PhraseTable<T> {
    by_first: HashMap<String, Vec<(Vec<TokenKind>, T)>>,
}

const ANY_NUMBER: &str = "#";

fn key(kind: &TokenKind) -> String {
    match kind {
        TokenKind::Word(word) => word.clone(),
        TokenKind::Punct('#') => ANY_NUMBER.to_string(),
        TokenKind::Punct(c) => c.to_string(),
        TokenKind::Number(n) => format!("{n}"),
        TokenKind::Range(..) => ANY_NUMBER.to_string(),
        TokenKind::SentenceEnd => ".".to_string(),
    }
}

impl<T> PhraseTable<T> {
    fn new() -> PhraseTable<T> {
        PhraseTable {
            by_first: HashMap::new(),
        }
    }

    fn insert(&mut self, phrase: &str, value: T) -> Result<(), String> {
        let pattern: Vec<TokenKind> = tokens(phrase, 0).into_iter().map(|t| t.kind).collect();
        let first = pattern.first().ok_or("empty phrase")?;
        let entries = self.by_first.entry(key(first)).or_default();
        entries.push((pattern, value));
        entries.sort_by_key(|(pattern, _)| std::cmp::Reverse(pattern.len()));
        Ok(())
    }

    /// The longest phrase at the start of `tokens`.
    pub fn longest<'t>(&'t self, tokens: &[Token]) -> Option<Matched<'t, T>> {
        let first = tokens.first()?;
        let exact = self.by_first.get(&key(&first.kind));
        let any_number = match first.kind {
            TokenKind::Number(_) | TokenKind::Range(..) => self.by_first.get(ANY_NUMBER),
            _ => None,
        };
        exact
            .into_iter()
            .chain(any_number)
            .flatten()
            .filter(|(pattern, _)| matches(pattern, tokens))
            .max_by_key(|(pattern, _)| pattern.len())
            .map(|(pattern, value)| Matched {
                value,
                length: pattern.len(),
            })
    }
}

fn matches(pattern: &[TokenKind], tokens: &[Token]) -> bool {
    pattern.len() <= tokens.len()
        && pattern
            .iter()
            .zip(tokens)
            .all(|(want, token)| match (want, &token.kind) {
                (TokenKind::Punct('#'), TokenKind::Number(_) | TokenKind::Range(..)) => true,
                (want, got) => want == got,
            })
}

/// Every phrase table of the medication attributes.
#[derive(Debug, Clone)]
pub struct PosologyRules {
    pub routes: PhraseTable<String>,
    pub frequencies: PhraseTable<FrequencyRule>,
    pub units: PhraseTable<(String, UnitKind)>,
    pub forms: PhraseTable<String>,
    /// Duration unit → days.
    pub durations: HashMap<String, f64>,
}

impl PosologyRules {
    /// The rules shipped with the engine (see [`crate::rules`]).
    pub fn builtin() -> &'static PosologyRules {
        &crate::rules::ClinicalRules::shipped().posology
    }

    /// Reads the rule files, given as (file name, text), of the names [`crate::rules`] lists; a file
    /// may appear more than once (a site's lines after the built-in ones). An error names the file
    /// and line.
    pub(crate) fn parse(files: &[(&str, &str)]) -> Result<PosologyRules, String> {
        let mut rules = PosologyRules {
            routes: PhraseTable::new(),
            frequencies: PhraseTable::new(),
            units: PhraseTable::new(),
            forms: PhraseTable::new(),
            durations: HashMap::new(),
        };
        for (file, text) in files {
            for (number, line) in text.lines().enumerate() {
                // A phrase may start with '#' (a number), so a comment is a '#' line without a tab.
                if line.trim().is_empty() || (line.starts_with('#') && !line.contains('\t')) {
                    continue;
                }
                let fields: Vec<&str> = line.split('\t').map(str::trim).collect();
                rules
                    .add(file, &fields)
                    .map_err(|e| format!("{file} line {}: {e}", number + 1))?;
            }
        }
        Ok(rules)
    }

    fn add(&mut self, file: &str, fields: &[&str]) -> Result<(), String> {
        match (file, fields) {
            ("routes.tsv", [phrase, route]) => {
                if !ROUTES.contains(route) {
                    return Err(format!(
                        "unknown route \"{route}\" (one of {})",
                        ROUTES.join(", ")
                    ));
                }
                self.routes.insert(phrase, route.to_string())
            }
            ("frequencies.tsv", [phrase, per_day, as_needed]) => {
                let as_needed = match *as_needed {
                    "yes" => true,
                    "no" => false,
                    other => return Err(format!("as_needed must be yes or no, not \"{other}\"")),
                };
                let per_day = per_day_of(per_day)?;
                if matches!(per_day, PerDay::OfNumber(_))
                    != phrase.split_whitespace().any(|w| w == "#")
                {
                    return Err(
                        "an expression of N needs a # in the phrase, and a # needs one".into(),
                    );
                }
                self.frequencies
                    .insert(phrase, FrequencyRule { per_day, as_needed })
            }
            ("units.tsv", [spelling, unit, kind]) => {
                let kind = match *kind {
                    "amount" => UnitKind::Amount,
                    "per_weight" => UnitKind::PerWeight,
                    "concentration" => UnitKind::Concentration,
                    other => return Err(format!("unknown unit kind \"{other}\"")),
                };
                self.units.insert(spelling, (unit.to_string(), kind))
            }
            ("forms.tsv", [spelling, form]) => self.forms.insert(spelling, form.to_string()),
            ("durations.tsv", [spelling, days]) => {
                let days: f64 = days
                    .parse()
                    .map_err(|_| format!("days must be a number, not \"{days}\""))?;
                self.durations.insert(spelling.to_string(), days);
                Ok(())
            }
            // Only the files crate::rules lists come here (it refuses any other name in a site's
            // folder), so a line that matched none of the arms has the wrong number of fields.
            _ => Err("wrong number of tab-separated fields".into()),
        }
    }
}

fn per_day_of(text: &str) -> Result<PerDay, String> {
    Ok(match text {
        "-" => PerDay::None,
        "N" => PerDay::OfNumber(|n| n),
        "24/N" => PerDay::OfNumber(|n| 24.0 / n),
        "1/N" => PerDay::OfNumber(|n| 1.0 / n),
        "N/7" => PerDay::OfNumber(|n| n / 7.0),
        "1/7N" => PerDay::OfNumber(|n| 1.0 / (7.0 * n)),
        "1/30N" => PerDay::OfNumber(|n| 1.0 / (30.0 * n)),
        fixed => {
            let value = match fixed.split_once('/') {
                Some((a, b)) => a
                    .parse::<f64>()
                    .ok()
                    .zip(b.parse::<f64>().ok())
                    .map(|(a, b)| a / b),
                None => fixed.parse().ok(),
            };
            PerDay::Fixed(value.ok_or_else(|| {
                format!("per_day must be a number, a fraction, '-' or N, 24/N, 1/N, N/7, 1/7N, 1/30N; not \"{fixed}\"")
            })?)
        }
    })
}
