//! Folding a mention or a vocabulary term to the key both are looked up by.
//!
//! Case, punctuation and plurals never tell two concepts apart in the vocabularies used here, so they
//! are folded away on both sides. Doses, routes, forms, frequencies and salts only ever trail a drug
//! name ("metformin 500 mg tablet po bid", "metoprolol tartrate"), so they are dropped from medications
//! only: "type 2 diabetes" keeps its 2.

/// Words of a medication mention that say how much, how or how often, not which drug.
const DOSE_WORDS: &[&str] = &[
    "mg",
    "mcg",
    "ug",
    "g",
    "gm",
    "gram",
    "grams",
    "kg",
    "ml",
    "l",
    "unit",
    "units",
    "iu",
    "meq",
    "mmol",
    "tablet",
    "tablets",
    "tab",
    "tabs",
    "capsule",
    "capsules",
    "cap",
    "caps",
    "injection",
    "solution",
    "suspension",
    "syrup",
    "cream",
    "ointment",
    "gel",
    "patch",
    "inhaler",
    "spray",
    "drops",
    "er",
    "xr",
    "sr",
    "xl",
    "cr",
    "dr",
    "ec",
    "po",
    "iv",
    "im",
    "sc",
    "sq",
    "subq",
    "subcutaneous",
    "oral",
    "orally",
    "topical",
    "inhaled",
    "intravenous",
    "pr",
    "sl",
    "daily",
    "bid",
    "tid",
    "qid",
    "qd",
    "qhs",
    "qam",
    "qpm",
    "prn",
    "weekly",
    "nightly",
    "once",
    "twice",
    "q4h",
    "q6h",
    "q8h",
    "q12h",
    "q24h",
    "per",
    "day",
    "hour",
    "hours",
    "dose",
    "doses",
];

/// Salt and ester words that follow the active moiety's name.
const SALT_WORDS: &[&str] = &[
    "hydrochloride",
    "hcl",
    "sodium",
    "potassium",
    "sulfate",
    "sulphate",
    "tartrate",
    "succinate",
    "maleate",
    "mesylate",
    "besylate",
    "citrate",
    "acetate",
    "phosphate",
    "bromide",
    "fumarate",
    "hyclate",
    "monohydrate",
    "dihydrate",
    "hydrobromide",
    "nitrate",
    "lactate",
    "gluconate",
    "bitartrate",
    "dipropionate",
    "propionate",
    "valerate",
    "disodium",
    "calcium",
    "magnesium",
];

/// Lower case, every run of non-alphanumerics one space, apostrophes dropped, and each word's plural
/// folded ("Crohn's" → "crohn", like "Crohns").
pub fn fold(text: &str) -> String {
    words(text)
        .iter()
        .map(|w| singular(w))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Lower-cased words, split at anything but letters and digits, apostrophes dropped.
fn words(text: &str) -> Vec<String> {
    let mut spaced = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_alphanumeric() {
            spaced.extend(c.to_lowercase());
        } else if c != '\'' && c != '’' {
            spaced.push(' ');
        }
    }
    spaced.split_whitespace().map(str::to_owned).collect()
}

/// A folded medication mention without trailing dose, route, form, frequency or salt words, or
/// `None` when there are none to drop (or nothing would be left).
pub fn drug_name(folded: &str) -> Option<String> {
    let words: Vec<&str> = folded.split(' ').collect();
    let is_dose = |w: &str| {
        w.chars().all(|c| c.is_ascii_digit())
            || DOSE_WORDS.contains(&w)
            || w.chars().next().is_some_and(|c| c.is_ascii_digit()) && w.ends_with("mg")
    };
    let keep = words.iter().position(|w| is_dose(w)).unwrap_or(words.len());
    let mut kept = &words[..keep];
    while kept.len() > 1 && SALT_WORDS.contains(kept.last().expect("non-empty")) {
        kept = &kept[..kept.len() - 1];
    }
    (kept.len() < words.len() && !kept.is_empty()).then(|| kept.join(" "))
}

/// The noun forms of a folded key's last word that the vocabularies may list where the note writes an
/// adjective or a verb ("dysarthric" → "dysarthria", "bleed" → "bleeding"), by the endings of
/// `derivations.tsv`, one per ending the word has (the empty ending fits every word), each folded like
/// a term.
pub fn derived_keys(folded: &str) -> Vec<String> {
    let (head, last) = match folded.rsplit_once(' ') {
        Some((head, last)) => (Some(head), last),
        None => (None, folded),
    };
    derivations()
        .filter_map(|(ending, noun_ending)| {
            let stem = last.strip_suffix(ending)?;
            (stem.chars().count() >= 3).then(|| format!("{stem}{noun_ending}"))
        })
        .map(|noun| match head {
            Some(head) => fold(&format!("{head} {noun}")),
            None => fold(&noun),
        })
        .filter(|key| key != folded)
        .collect()
}

fn derivations() -> impl Iterator<Item = (&'static str, &'static str)> {
    include_str!("derivations.tsv")
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .filter_map(|line| {
            let mut fields = line.split('\t');
            Some((fields.next()?, fields.next()?))
        })
}

/// The keys a mention is looked up by: its [`fold`], where a word ends in "-es" the fold with that
/// "-es" dropped too, and where it ends in "type X" the fold with the subtype first. Which of
/// "rashes" (rash) and "headaches" (headache) drops "-s" and which "-es" cannot be told from the
/// word, and vocabularies list the singular.
pub fn lookup_keys(text: &str) -> Vec<String> {
    let words = words(text);
    let folded = words
        .iter()
        .map(|w| singular(w))
        .collect::<Vec<_>>()
        .join(" ");
    let es_dropped = words
        .iter()
        .map(|word| {
            let sibilant_plural = ["shes", "ches", "xes", "zes", "sses"]
                .iter()
                .any(|ending| word.ends_with(ending));
            if sibilant_plural {
                word[..word.len() - 2].to_owned()
            } else {
                singular(word)
            }
        })
        .collect::<Vec<_>>()
        .join(" ");
    let mut keys = vec![folded];
    if es_dropped != keys[0] {
        keys.push(es_dropped);
    }
    if let Some(reordered) = type_first(&keys[0]) {
        keys.push(reordered);
    }
    keys
}

/// Notes write a subtype after the name ("diabetes mellitus type 2"), vocabularies before it ("type 2
/// diabetes mellitus"): the folded key with a trailing "type X" moved to the front.
fn type_first(folded: &str) -> Option<String> {
    let words: Vec<&str> = folded.split(' ').collect();
    let [name @ .., "type", subtype] = &words[..] else {
        return None;
    };
    if name.is_empty() {
        return None;
    }
    Some(format!("type {subtype} {}", name.join(" ")))
}

fn singular(word: &str) -> String {
    if word.chars().count() > 4 && word.ends_with("ies") {
        format!("{}y", &word[..word.len() - 3])
    } else if word.chars().count() > 3
        && word.ends_with('s')
        && !["ss", "us", "is"]
            .iter()
            .any(|ending| word.ends_with(ending))
    {
        word[..word.len() - 1].to_owned()
    } else {
        word.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_keys_turn_the_last_word_into_nouns_folded_like_terms() {
        assert!(derived_keys("dysarthric").contains(&"dysarthria".to_owned()));
        assert!(derived_keys("cyanotic").contains(&"cyanosis".to_owned()));
        assert!(derived_keys("bleed").contains(&"bleeding".to_owned()));
        assert!(derived_keys("wheeze").contains(&"wheezing".to_owned()));
        assert!(derived_keys("diabetic").contains(&"diabete".to_owned()));
        assert!(derived_keys("left leg numb")
            .iter()
            .all(|k| k.starts_with("left leg ")));
        // Too short a stem is no word: "tic" is not "tia".
        assert!(!derived_keys("tic").contains(&"tia".to_owned()));
    }

    #[test]
    fn folds_case_punctuation_apostrophes_and_plurals() {
        assert_eq!(fold("Crohn's  Disease"), "crohn disease");
        assert_eq!(fold("Non-Hodgkin lymphomas"), "non hodgkin lymphoma");
        assert_eq!(fold("allergies"), "allergy");
        assert_eq!(fold("headaches"), "headache");
        assert_eq!(lookup_keys("rashes"), vec!["rashe", "rash"]);
        assert_eq!(lookup_keys("Abscesses"), vec!["abscesse", "abscess"]);
        assert_eq!(lookup_keys("headaches"), vec!["headache", "headach"]);
        assert_eq!(lookup_keys("headache"), vec!["headache"]);
        assert_eq!(
            lookup_keys("Diabetes mellitus type 2"),
            vec!["diabete mellitus type 2", "type 2 diabete mellitus"]
        );
        assert_eq!(lookup_keys("diabetes type"), vec!["diabete type"]);
        assert_eq!(fold("Diabetes mellitus"), fold("diabetes mellitus"));
        assert_eq!(fold("abscess"), "abscess");
        assert_eq!(fold("Type-2"), "type 2");
    }

    #[test]
    fn drops_doses_routes_forms_frequencies_and_salts_from_drugs() {
        assert_eq!(
            drug_name(&fold("Metformin 500 mg tablet PO BID")),
            Some("metformin".into())
        );
        assert_eq!(
            drug_name(&fold("metoprolol tartrate 25mg")),
            Some("metoprolol".into())
        );
        assert_eq!(drug_name(&fold("aspirin 81")), Some("aspirin".into()));
        assert_eq!(drug_name(&fold("aspirin")), None);
        assert_eq!(drug_name(&fold("500 mg")), None);
        assert_eq!(drug_name(&fold("sodium bicarbonate")), None);
    }
}
