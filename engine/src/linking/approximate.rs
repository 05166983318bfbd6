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

use std::collections::BTreeMap;

use super::flat::{Reader, Strings, U32s, U32sAt, Writer};

/// Words shorter than this are never matched approximately: one edit turns a short abbreviation
/// into another word altogether.
pub const MIN_CHARS: usize = 5;
/// Most letters a misspelt word may have more or fewer than the word it stands for.
const MAX_LENGTH_DIFFERENCE: usize = 2;
/// Candidates scored per lookup, taken by shared trigrams.
const CANDIDATES: usize = 32;

/// Writes the trigram index of `keys` (in sorted order: a key's id is its rank, so candidates tied
/// on shared trigrams rank alike in every backend, as the IMMUTABLE functions need).
pub(super) fn write_trigram_index<'k>(keys: impl IntoIterator<Item = &'k str>, out: &mut Writer) {
    let mut counts = Vec::new();
    let mut postings: BTreeMap<[char; 3], Vec<u32>> = BTreeMap::new();
    for (id, key) in keys.into_iter().enumerate() {
        let seen = distinct_trigrams(key);
        counts.push(seen.len() as u32);
        for trigram in seen {
            postings.entry(trigram).or_default().push(id as u32);
        }
    }
    out.u32s(counts);
    out.u32s(postings.keys().flat_map(|t| t.map(u32::from)));
    out.u32s(
        std::iter::once(0).chain(postings.values().scan(0, |end, ids| {
            *end += ids.len() as u32;
            Some(*end)
        })),
    );
    out.u32s(postings.into_values().flatten());
}

/// Where a trigram index lies in the index's bytes: each key's count of distinct trigrams, the
/// trigrams in sorted order (three chars each), where each trigram's key ids start, and the ids.
#[derive(Debug, Clone)]
pub(super) struct TrigramIndexAt {
    trigram_counts: U32sAt,
    trigrams: U32sAt,
    starts: U32sAt,
    key_ids: U32sAt,
}

impl TrigramIndexAt {
    pub fn read(reader: &mut Reader<'_>) -> Result<TrigramIndexAt, String> {
        Ok(TrigramIndexAt {
            trigram_counts: reader.u32s()?,
            trigrams: reader.u32s()?,
            starts: reader.u32s()?,
            key_ids: reader.u32s()?,
        })
    }

    /// The index over `keys`, the sorted keys it was written from.
    pub fn on<'a>(&self, bytes: &'a [u8], keys: Strings<'a>) -> TrigramIndex<'a> {
        TrigramIndex {
            keys,
            trigram_counts: self.trigram_counts.on(bytes),
            trigrams: self.trigrams.on(bytes),
            starts: self.starts.on(bytes),
            key_ids: self.key_ids.on(bytes),
        }
    }
}

/// Folded keys indexed by their trigrams, read in place.
pub(super) struct TrigramIndex<'a> {
    keys: Strings<'a>,
    trigram_counts: U32s<'a>,
    trigrams: U32s<'a>,
    starts: U32s<'a>,
    key_ids: U32s<'a>,
}

impl TrigramIndex<'_> {
    /// The ids of the keys that have `trigram`, by binary search over the sorted trigrams.
    fn keys_with(&self, trigram: [char; 3]) -> U32s<'_> {
        let wanted = trigram.map(u32::from);
        let at = |i: usize| [0, 1, 2].map(|j| self.trigrams.get(3 * i + j));
        let (mut low, mut high) = (0, self.trigrams.len() / 3);
        while low < high {
            let middle = (low + high) / 2;
            match at(middle).cmp(&wanted) {
                std::cmp::Ordering::Less => low = middle + 1,
                std::cmp::Ordering::Greater => high = middle,
                std::cmp::Ordering::Equal => {
                    return self
                        .key_ids
                        .slice(self.starts.get(middle), self.starts.get(middle + 1))
                }
            }
        }
        self.key_ids.slice(0, 0)
    }

    /// The id of the key that `folded` most likely misspells, when its [`misspelling`] similarity
    /// is at least `threshold`, with that similarity. `is_word` says whether a word is a real one
    /// (then it is not a misspelling of anything).
    pub fn nearest(
        &self,
        folded: &str,
        threshold: f64,
        is_word: impl Fn(&str) -> bool,
    ) -> Option<(u32, f64)> {
        let unknown: Vec<&str> = folded.split(' ').filter(|w| !is_word(w)).collect();
        // Only a mention with exactly one word that is no real word can be a misspelling.
        let [misspelt] = unknown[..] else {
            return None;
        };
        if misspelt.chars().count() < MIN_CHARS {
            return None;
        }
        let query = distinct_trigrams(folded);
        // Every key id once per trigram it shares with the query; sorted, a key's run is its count.
        let mut shared: Vec<u32> = query
            .iter()
            .flat_map(|trigram| self.keys_with(*trigram).iter())
            .collect();
        shared.sort_unstable();
        // Ranked by the Dice coefficient of their trigram sets, not the raw shared count: a raw count
        // favours long keys that contain the mention's pieces ("metformin hydrochloride tablets")
        // and ties between many of them could push the nearest key ("metformin") out of the list.
        let dice = |id: u32, shared: usize| {
            2.0 * shared as f64
                / (query.len() as f64 + f64::from(self.trigram_counts.get(id as usize)))
        };
        let mut ranked: Vec<(u32, f64)> = shared
            .chunk_by(|a, b| a == b)
            .map(|run| (run[0], dice(run[0], run.len())))
            .collect();
        let best_first = |a: &(u32, f64), b: &(u32, f64)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
        if ranked.len() > CANDIDATES {
            ranked.select_nth_unstable_by(CANDIDATES, best_first);
            ranked.truncate(CANDIDATES);
        }
        ranked.sort_unstable_by(best_first);
        ranked
            .into_iter()
            .filter_map(|(id, _)| {
                let key = self.keys.get(id as usize);
                misspelling(folded, key).map(|similarity| (id, key, similarity))
            })
            .filter(|&(_, _, similarity)| similarity >= threshold)
            .max_by(|a, b| a.2.total_cmp(&b.2).then(b.1.cmp(a.1)))
            .map(|(id, _, similarity)| (id, similarity))
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

/// The distinct character trigrams of ` key ` (padded, so that first and last letters weigh as much as
/// the rest), sorted.
fn distinct_trigrams(key: &str) -> Vec<[char; 3]> {
    let padded: Vec<char> = std::iter::once(' ')
        .chain(key.chars())
        .chain(std::iter::once(' '))
        .collect();
    let mut trigrams: Vec<[char; 3]> = padded.windows(3).map(|w| [w[0], w[1], w[2]]).collect();
    trigrams.sort_unstable();
    trigrams.dedup();
    trigrams
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linking::flat::StringsAt;

    /// An index written and read back, as the vocabulary does.
    struct Built {
        bytes: Vec<u8>,
        keys: StringsAt,
        index: TrigramIndexAt,
    }

    impl Built {
        fn nearest(
            &self,
            folded: &str,
            threshold: f64,
            is_word: impl Fn(&str) -> bool,
        ) -> Option<(&str, f64)> {
            let keys = self.keys.on(&self.bytes);
            let index = self.index.on(&self.bytes, keys);
            let (id, similarity) = index.nearest(folded, threshold, is_word)?;
            Some((keys.get(id as usize), similarity))
        }
    }

    fn index(keys: &[&str]) -> Built {
        let mut keys = keys.to_vec();
        keys.sort_unstable();
        let mut writer = Writer::default();
        writer.strings(keys.iter().copied());
        write_trigram_index(keys.iter().copied(), &mut writer);
        let bytes = writer.finish(1);
        let mut reader = Reader::open(&bytes, 1).unwrap();
        let (keys, index) = (
            reader.strings().unwrap(),
            TrigramIndexAt::read(&mut reader).unwrap(),
        );
        reader.finish().unwrap();
        Built { bytes, keys, index }
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
