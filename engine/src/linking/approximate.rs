//! Approximate lookup for misspelt mentions ("metfromin", "lisinoprill"): candidate keys whose
//! character trigrams overlap the mention's most (Dice coefficient), scored by Damerau–Levenshtein
//! similarity.
//!
//! The trigram index keeps the search to a few dozen candidates out of some hundred thousand keys,
//! so a lookup costs microseconds, as the per-row SQL functions need.

use std::collections::HashMap;

/// Mentions shorter than this are never matched approximately: one edit turns a short abbreviation
/// into another word altogether.
pub const MIN_CHARS: usize = 5;
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

    /// The most similar key at or above `threshold`, with its similarity.
    pub fn nearest(&self, folded: &str, threshold: f64) -> Option<(&str, f64)> {
        if folded.chars().count() < MIN_CHARS {
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
            .map(|(id, _)| {
                let key = &*self.keys[id as usize];
                (key, strsim::normalized_damerau_levenshtein(folded, key))
            })
            .filter(|&(_, similarity)| similarity >= threshold)
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(a.0)))
    }
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

    #[test]
    fn finds_transpositions_and_extra_letters() {
        let index = index(&["metformin", "metoprolol", "lisinopril", "losartan"]);
        let (key, similarity) = index.nearest("metfromin", 0.85).unwrap();
        assert_eq!(key, "metformin");
        assert!(similarity > 0.85 && similarity < 1.0);
        assert_eq!(index.nearest("lisinoprill", 0.85).unwrap().0, "lisinopril");
    }

    #[test]
    fn refuses_short_mentions_and_distant_words() {
        let index = index(&["asthma", "aspirin"]);
        assert_eq!(index.nearest("asa", 0.5), None);
        assert_eq!(index.nearest("anemia", 0.85), None);
    }
}
