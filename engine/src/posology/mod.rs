//! Medication attributes: how much, how, how often and for how long, read from the words after each
//! medication mention ("metformin 500 mg p.o. b.i.d. for 7 days"), with normalised values an analyst
//! can compute with (administrations per day, a daily dose).
//!
//! Rules, not a model: after a medication mention the text is read up to the next medication, a line
//! break, a semicolon or [`MAX_SCOPE_CHARS`] characters, and each position is tried as a strength (a
//! number and a unit), a dose (a number and a form), a route, a frequency and a duration, in that
//! order; words that join them ("and", "with", commas) are passed over, and reading stops after
//! [`MAX_MISSES`] words in a row that are none of these. "then" (a taper) ends the first instruction.
//! A route or a strength may also stand right before the mention ("IV Lasix", "10 mg of prednisolone"),
//! and a route before a list of drugs is each one's ("intravenous Bactrim and erythromycin").
//! The phrases are data files beside this module (routes, frequencies, units, forms, durations) in
//! the format of the assertion rules, so a site can add its own abbreviations.
//!
//! Nothing is guessed: a value the text does not give is `None`, and a daily dose is computed only
//! from a strength in an amount unit, a fixed number of administrations per day that is not as needed,
//! a single dose amount (or none, meaning one) and no taper.

mod rules;
mod tokens;

use std::ops::Range;

use serde::Serialize;

use crate::char_offsets::CharCursor;

use rules::{Matched, PerDay};
pub use rules::{PosologyRules, UnitKind};
use tokens::{tokens, Token, TokenKind};

/// How far after a medication mention its attributes are looked for, in characters.
pub const MAX_SCOPE_CHARS: usize = 160;
/// Words in a row that are no attribute (nor a joining word) after which reading stops.
pub const MAX_MISSES: usize = 3;

/// An attribute's value and where the note says it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Found<T> {
    pub value: T,
    /// Character range in the note.
    pub chars: Range<usize>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Strength {
    /// `None` for a range ("5-10 mg").
    pub value: Option<f64>,
    /// UCUM-style unit: mg, ug, g, U, [IU], mL, mg/kg, mg/mL, %.
    pub unit: String,
    pub kind: UnitKind,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dose {
    /// `None` for a range ("1-2 tablets").
    pub amount: Option<f64>,
    /// tablet, capsule, puff, drop, patch, ...
    pub form: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Frequency {
    /// Administrations per day where the text fixes one (BID 2, q6h 4, weekly 1/7).
    pub per_day: Option<f64>,
    pub as_needed: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DailyDose {
    pub value: f64,
    /// The strength's unit per day: mg/d, U/d.
    pub unit: String,
}

/// What the note says about one medication mention.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct MedicationAttributes {
    pub strength: Option<Found<Strength>>,
    pub dose: Option<Found<Dose>>,
    /// oral, intravenous, intramuscular, subcutaneous, inhaled, topical, rectal, sublingual,
    /// transdermal, ophthalmic or other.
    pub route: Option<Found<String>>,
    pub frequency: Option<Found<Frequency>>,
    /// In days.
    pub duration: Option<Found<f64>>,
    /// A later step follows ("... then 20 mg daily"): the attributes are the first step's.
    pub tapering: bool,
    pub daily_dose: Option<DailyDose>,
}

impl MedicationAttributes {
    pub fn is_empty(&self) -> bool {
        self.strength.is_none()
            && self.dose.is_none()
            && self.route.is_none()
            && self.frequency.is_none()
            && self.duration.is_none()
    }
}

/// The attributes of each medication mention of `note`, given as character ranges in order of
/// start, in the same order. `rules` are [`PosologyRules::builtin`] unless a site has its own.
pub fn medication_attributes(
    note: &str,
    medications: &[Range<usize>],
    rules: &PosologyRules,
) -> Vec<MedicationAttributes> {
    if medications.is_empty() {
        return Vec::new();
    }
    let note_chars = note.chars().count();
    // What stands right before a mention is that mention's ("... 40 mg and oral prednisolone"):
    // found first, so that the medication before it stops reading there. Each pass asks for
    // offsets in order, as the cursor wants them.
    let mut cursor = CharCursor::new(note);
    let mut previous_end = 0;
    let mut before: Vec<MedicationAttributes> = Vec::with_capacity(medications.len());
    for mention in medications {
        let start = previous_end.max(mention.start.saturating_sub(BEFORE_CHARS));
        let end = mention.start.min(note_chars);
        let mut found = MedicationAttributes::default();
        if start < end {
            let words = tokens(cursor.slice(start..end), start);
            found = just_before(&words, rules);
            // "intravenous Bactrim and erythromycin": a route before a list is every listed drug's.
            let listed = start == previous_end && words.iter().all(Token::joins);
            if found.route.is_none() && listed {
                found.route = before.last().and_then(|previous| previous.route.clone());
            }
        }
        previous_end = previous_end.max(mention.end.min(note_chars));
        before.push(found);
    }
    medications
        .iter()
        .enumerate()
        .map(|(index, mention)| {
            let next = (index + 1..medications.len())
                .find(|&i| medications[i].start >= mention.end)
                .map_or(note_chars, |i| {
                    before[i].first_char().unwrap_or(medications[i].start)
                });
            let end = next.min(mention.end + MAX_SCOPE_CHARS).min(note_chars);
            let mut found = before[index].clone();
            if mention.end < end {
                let scope = cursor.slice(mention.end..end);
                read(&tokens(scope, mention.end), rules, &mut found);
            }
            found.daily_dose = daily_dose(&found);
            found
        })
        .collect()
}

/// How far before a mention a route or strength is looked for, in characters.
const BEFORE_CHARS: usize = 40;

/// A route and a strength that end where the mention starts: "IV", "oral", "10 mg", "10 mg of",
/// "10 mg IV".
fn just_before(tokens: &[Token], rules: &PosologyRules) -> MedicationAttributes {
    let mut found = MedicationAttributes::default();
    // Nothing from an earlier sentence or line.
    let tokens = match tokens.iter().rposition(Token::is_stop) {
        Some(stop) => &tokens[stop + 1..],
        None => tokens,
    };
    let mut end = tokens.len();
    let of = end > 0 && tokens[end - 1].is_word("of");
    if of {
        end -= 1;
    }
    // "250 mg/day of bosentan"; without "of", a frequency before a drug is the previous drug's.
    if of {
        for start in end.saturating_sub(3)..end {
            let mut frequency_only = MedicationAttributes::default();
            if frequency(&tokens[start..end], rules, &mut frequency_only) == Some(end - start) {
                found.frequency = frequency_only.frequency;
                end = start;
                break;
            }
        }
    }
    let route = (1..=end.min(3)).rev().find_map(|length| {
        let words = &tokens[end - length..end];
        let matched = rules.routes.longest(words).filter(|m| m.length == length)?;
        Some((length, matched.value.clone(), span(words, length)))
    });
    if let Some((length, value, chars)) = route {
        found.route = Some(Found { value, chars });
        end -= length;
    }
    for start in end.saturating_sub(4)..end {
        let candidate = &tokens[start..end];
        let mut strength_only = MedicationAttributes::default();
        if strength(candidate, rules, &mut strength_only) == Some(candidate.len()) {
            found.strength = strength_only.strength;
            break;
        }
    }
    found
}

impl MedicationAttributes {
    /// Where the earliest attribute found starts.
    fn first_char(&self) -> Option<usize> {
        [
            self.strength.as_ref().map(|f| f.chars.start),
            self.route.as_ref().map(|f| f.chars.start),
            self.frequency.as_ref().map(|f| f.chars.start),
        ]
        .into_iter()
        .flatten()
        .min()
    }
}

/// Reads one medication's attributes from the tokens after it, into what was found before it.
fn read(tokens: &[Token], rules: &PosologyRules, found: &mut MedicationAttributes) {
    let mut at = 0;
    let mut misses = 0;
    while at < tokens.len() && misses < MAX_MISSES {
        let token = &tokens[at];
        if token.is_stop() {
            break;
        }
        if token.is_word("then") {
            found.tapering = found.strength.is_some() || found.dose.is_some();
            break;
        }
        let rest = &tokens[at..];
        let taken = strength(rest, rules, found)
            .or_else(|| dose(rest, rules, found))
            .or_else(|| frequency(rest, rules, found))
            .or_else(|| route(rest, rules, found))
            .or_else(|| duration(rest, rules, found));
        match taken {
            Some(length) => {
                at += length;
                misses = 0;
            }
            None => {
                // A form without a count ("sustained-release tablets (23.75 mg daily)") is no miss.
                if !token.joins() && rules.forms.longest(rest).is_none() {
                    misses += 1;
                }
                at += 1;
            }
        }
    }
}

fn span(tokens: &[Token], length: usize) -> Range<usize> {
    tokens[0].chars.start..tokens[length - 1].chars.end
}

/// A number ("500", "0.5", "one") or a range ("1-2") at the start of `tokens`: its value (`None` for
/// a range) and how many tokens it takes.
fn quantity(tokens: &[Token]) -> Option<(Option<f64>, usize)> {
    match &tokens.first()?.kind {
        TokenKind::Number(value) => Some((Some(*value), 1)),
        TokenKind::Range(..) => Some((None, 1)),
        // Number words are numbers already (see [`tokens`]); these count one dose.
        TokenKind::Word(word) => match word.as_str() {
            "a" | "an" => Some((Some(1.0), 1)),
            "half" => Some((Some(0.5), 1)),
            _ => None,
        },
        TokenKind::Punct(_) | TokenKind::SentenceEnd => None,
    }
}

fn strength(
    tokens: &[Token],
    rules: &PosologyRules,
    found: &mut MedicationAttributes,
) -> Option<usize> {
    if found.strength.is_some()
        || !matches!(
            tokens.first()?.kind,
            TokenKind::Number(_) | TokenKind::Range(..)
        )
    {
        return None;
    }
    let (value, length) = quantity(tokens)?;
    let Matched {
        value: (unit, kind),
        length: unit_length,
    } = rules.units.longest(&tokens[length..])?;
    let length = length + unit_length;
    found.strength = Some(Found {
        value: Strength {
            value,
            unit: unit.clone(),
            kind: *kind,
        },
        chars: span(tokens, length),
    });
    Some(length)
}

fn dose(
    tokens: &[Token],
    rules: &PosologyRules,
    found: &mut MedicationAttributes,
) -> Option<usize> {
    if found.dose.is_some() {
        return None;
    }
    let (amount, length) = quantity(tokens)?;
    let Matched {
        value: form,
        length: form_length,
    } = rules.forms.longest(&tokens[length..])?;
    let length = length + form_length;
    found.dose = Some(Found {
        value: Dose {
            amount,
            form: form.clone(),
        },
        chars: span(tokens, length),
    });
    Some(length)
}

fn frequency(
    tokens: &[Token],
    rules: &PosologyRules,
    found: &mut MedicationAttributes,
) -> Option<usize> {
    let Matched {
        value: rule,
        length,
    } = rules.frequencies.longest(tokens)?;
    let number = tokens[..length].iter().find_map(|t| match t.kind {
        TokenKind::Number(n) => Some(Some(n)),
        TokenKind::Range(..) => Some(None),
        _ => None,
    });
    let per_day = match rule.per_day {
        PerDay::Fixed(value) => Some(value),
        PerDay::OfNumber(of) => number.flatten().filter(|&n| n > 0.0).map(of),
        PerDay::None => None,
    };
    let chars = span(tokens, length);
    match &mut found.frequency {
        // "q6h prn": a fixed frequency and as needed, in either order.
        Some(earlier) if rule.as_needed && !earlier.value.as_needed => {
            earlier.value.as_needed = true;
            earlier.chars.end = chars.end;
        }
        Some(earlier)
            if earlier.value.as_needed && earlier.value.per_day.is_none() && per_day.is_some() =>
        {
            earlier.value.per_day = per_day;
            earlier.chars.end = chars.end;
        }
        Some(_) => return None,
        None => {
            found.frequency = Some(Found {
                value: Frequency {
                    per_day,
                    as_needed: rule.as_needed,
                },
                chars,
            })
        }
    }
    Some(length)
}

fn route(
    tokens: &[Token],
    rules: &PosologyRules,
    found: &mut MedicationAttributes,
) -> Option<usize> {
    if found.route.is_some() {
        return None;
    }
    let Matched { value, length } = rules.routes.longest(tokens)?;
    found.route = Some(Found {
        value: value.clone(),
        chars: span(tokens, length),
    });
    Some(length)
}

fn duration(
    tokens: &[Token],
    rules: &PosologyRules,
    found: &mut MedicationAttributes,
) -> Option<usize> {
    if found.duration.is_some() || !(tokens[0].is_word("for") || tokens[0].is_word("x")) {
        return None;
    }
    let (count, length) = quantity(&tokens[1..])?;
    let unit = tokens.get(1 + length)?;
    let TokenKind::Word(unit_word) = &unit.kind else {
        return None;
    };
    let days = rules.durations.get(unit_word.as_str())?;
    let length = 1 + length + 1;
    found.duration = Some(Found {
        value: count? * days,
        chars: span(tokens, length),
    });
    Some(length)
}

fn daily_dose(found: &MedicationAttributes) -> Option<DailyDose> {
    if found.tapering {
        return None;
    }
    let strength = &found.strength.as_ref()?.value;
    let frequency = &found.frequency.as_ref()?.value;
    if strength.kind != UnitKind::Amount || frequency.as_needed {
        return None;
    }
    let amount = match &found.dose {
        Some(dose) => dose.value.amount?,
        None => 1.0,
    };
    let value = strength.value? * amount * frequency.per_day?;
    Some(DailyDose {
        value: (value * 1000.0).round() / 1000.0,
        unit: format!("{}/d", strength.unit),
    })
}

#[cfg(test)]
mod tests;
