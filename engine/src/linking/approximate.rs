//! Approximate lookup for misspelt mentions ("metfromin", "lisinoprill"): candidate keys whose
//! character trigrams overlap the mention's most (Dice coefficient), kept only when they look like
//! the mention misspelt ([`misspelling`]) and scored by the Damerau–Levenshtein similarity of the
//! misspelt word.
//!
//! A wrong code is worse than none for a cohort query, so a candidate must look like a misspelling:
//! the same number of words, every word equal but one, and that one word starting with the same
//! letter, within two letters of the same length, and not itself a real word (a word of the
//! vocabulary or of English: "nostril" is not a misspelt "Ranitidine", "hyperextension" not a misspelt
//! "hypertension").
//!
//! The trigram index keeps the search to a few dozen candidates out of some hundred thousand keys,
//! so a lookup costs microseconds, as the per-row SQL functions need.

use std::collections::HashMap;

/// Words shorter than this are never matched approximately: one edit turns a short abbreviation
/// into another word altogether.
pub const MIN_CHARS: usize = 5;
/// Most letters a misspelt word may have more or fewer than the word it stands for.
const MAX_LENGTH_DIFFERENCE: usize = 2;
/// Candidates scored per lookup, taken by shared trigrams.
const CANDIDATES: usize = 32;

/// Folded keys indexed by their trigrams.
#[derive(Debug, Default)]
pub struct TrigramIndex {
    keys: Vec<Box<str>>,
    /// Distinct trigrams of each key.
    trigram_counts: Vec<u32>,
    postings: HashMap<[char; 3], Vec<u32>>,
}

impl TrigramIndex {
    pub fn insert(&mut self, key: &str) {
        let id = u32::try_from(self.keys.len()).expect("fewer than 4 billion keys");
        self.keys.push(key.into());
        let mut seen = trigrams(key);
        seen.sort_unstable();
        seen.dedup();
        self.trigram_counts.push(seen.len() as u32);
        for trigram in seen {
            self.postings.entry(trigram).or_default().push(id);
        }
    }

    pub fn shrink_to_fit(&mut self) {
        self.keys.shrink_to_fit();
        self.trigram_counts.shrink_to_fit();
        self.postings.values_mut().for_each(Vec::shrink_to_fit);
        self.postings.shrink_to_fit();
    }

    /// The key that `folded` most likely misspells, when its [`misspelling`] similarity is at least
    /// `threshold`, with that similarity. `is_word` says whether a word is a real one (then it is
    /// not a misspelling of anything).
    pub fn nearest(
        &self,
        folded: &str,
        threshold: f64,
        is_word: impl Fn(&str) -> bool,
    ) -> Option<(&str, f64)> {
        let unknown: Vec<&str> = folded.split(' ').filter(|w| !is_word(w)).collect();
        // Only a mention with exactly one word that is no real word can be a misspelling.
        let [misspelt] = unknown[..] else {
            return None;
        };
        if misspelt.chars().count() < MIN_CHARS {
            return None;
        }
        let mut shared: HashMap<u32, u32> = HashMap::new();
        let mut query = trigrams(folded);
        query.sort_unstable();
        query.dedup();
        for trigram in &query {
            for &id in self.postings.get(trigram).into_iter().flatten() {
                *shared.entry(id).or_default() += 1;
            }
        }
        // Ranked by the Dice coefficient of their trigram sets, not the raw shared count: a raw count
        // favours long keys that contain the mention's pieces ("metformin hydrochloride tablets")
        // and ties between many of them could push the nearest key ("metformin") out of the list.
        let dice = |id: u32, shared: u32| {
            2.0 * f64::from(shared)
                / (query.len() as f64 + f64::from(self.trigram_counts[id as usize]))
        };
        let mut ranked: Vec<(u32, f64)> = shared
            .into_iter()
            .map(|(id, n)| (id, dice(id, n)))
            .collect();
        ranked.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked
            .into_iter()
            .take(CANDIDATES)
            .filter_map(|(id, _)| {
                let key = &*self.keys[id as usize];
                misspelling(folded, key).map(|similarity| (key, similarity))
            })
            .filter(|&(_, similarity)| similarity >= threshold)
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(a.0)))
    }
}

/// Whether `mention` could be `key` misspelt, and if so the similarity of the one word that differs:
/// the same number of words, every other word equal, and the differing words starting with the same
/// letter and within [`MAX_LENGTH_DIFFERENCE`] letters of the same length. `None` for equal keys.
pub fn misspelling(mention: &str, key: &str) -> Option<f64> {
    let mention_words: Vec<&str> = mention.split(' ').collect();
    let key_words: Vec<&str> = key.split(' ').collect();
    if mention_words.len() != key_words.len() {
        return None;
    }
    let mut differing = mention_words.iter().zip(&key_words).filter(|(m, k)| m != k);
    let (written, meant) = differing.next()?;
    if differing.next().is_some() || written.chars().next() != meant.chars().next() {
        return None;
    }
    if written.chars().count().abs_diff(meant.chars().count()) > MAX_LENGTH_DIFFERENCE {
        return None;
    }
    Some(strsim::normalized_damerau_levenshtein(written, meant))
}

/// Character trigrams of ` key ` (padded, so that first and last letters weigh as much as the rest).
fn trigrams(key: &str) -> Vec<[char; 3]> {
    let padded: Vec<char> = std::iter::once(' ')
        .chain(key.chars())
        .chain(std::iter::once(' '))
        .collect();
    padded.windows(3).map(|w| [w[0], w[1], w[2]]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(keys: &[&str]) -> TrigramIndex {
        let mut index = TrigramIndex::default();
        keys.iter().for_each(|k| index.insert(k));
        index
    }

    fn no_word_is_real(_: &str) -> bool {
        false
    }

    #[test]
    fn finds_transpositions_and_extra_letters() {
        let index = index(&["metformin", "metoprolol", "lisinopril", "losartan"]);
        let (key, similarity) = index.nearest("metfromin", 0.85, no_word_is_real).unwrap();
        assert_eq!(key, "metformin");
        assert!(similarity > 0.85 && similarity < 1.0);
        assert_eq!(
            index
                .nearest("lisinoprill", 0.85, no_word_is_real)
                .unwrap()
                .0,
            "lisinopril"
        );
    }

    #[test]
    fn refuses_short_mentions_and_distant_words() {
        let index = index(&["asthma", "aspirin"]);
        assert_eq!(index.nearest("asa", 0.5, no_word_is_real), None);
        assert_eq!(index.nearest("anemia", 0.85, no_word_is_real), None);
    }

    #[test]
    fn a_real_word_is_never_a_misspelling() {
        let index = index(&["hypertension", "inulin", "spondylosis"]);
        let real = |w: &str| ["hyperextension", "insulin", "spondylolysis"].contains(&w);
        assert_eq!(index.nearest("hyperextension", 0.5, real), None);
        assert_eq!(index.nearest("insulin", 0.5, real), None);
        assert_eq!(index.nearest("spondylolysis", 0.5, real), None);
        assert!(index.nearest("hypertenson", 0.85, real).is_some());
    }

    #[test]
    fn misspellings_keep_the_first_letter_the_length_and_the_other_words() {
        assert!(misspelling("metfromin", "metformin").is_some());
        assert_eq!(misspelling("netformin", "metformin"), None, "first letter");
        assert_eq!(misspelling("metforminnnn", "metformin"), None, "length");
        assert_eq!(
            misspelling("reninaaal disease", "renal disease"),
            None,
            "length"
        );
        assert!(misspelling("renal diseese", "renal disease").is_some());
        assert_eq!(
            misspelling("renal diseese", "retinal disease"),
            None,
            "two words differ"
        );
        assert_eq!(
            misspelling("renal disease", "renal disease stage"),
            None,
            "word count"
        );
        assert_eq!(
            misspelling("renal", "renal"),
            None,
            "equal keys are not misspellings"
        );
    }
}
