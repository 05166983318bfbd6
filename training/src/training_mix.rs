//! Which documents a student trains on, and which sets every choice and every report is made on.
//!
//! Training: the note gold set's train split (400 MTSamples notes annotated by the project team
//! following docs/annotation-guidelines.md, not by clinicians), BC5CDR, NCBI disease and PsyTAR
//! train (gold), and MTSamples sentences labelled by the dictionary teacher (silver, all three types,
//! note wording; never a sentence of a dev or test note). Public gold corpora are first brought to
//! the guidelines ([`Guidelines::adjust`]). Development sets: the note gold set's dev split, BC5CDR,
//! NCBI and PsyTAR dev. Test sets, reported only: their test splits and the MACCROBAT subset, which
//! no choice and no training ever sees. No CC BY-NC / NC-SA data (DDI, E3C, SIDER) is read.
//!
//! The Python trainer reads what this module chooses from the files of [`crate::corpus_files`].

use std::collections::{HashMap, HashSet};
use std::path::Path;

use clinical_ner_engine::context::words::phrase_words;
use clinical_ner_engine::EntityType::{self, Disease, Medication, Symptom};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::corpus::{resolve_overlaps, CharText, Corpus, Document, Span};
use crate::known_corpora;
use crate::readers::{self, jsonl};
use crate::teachers::dictionary::DictionaryTeacher;
use crate::{Error, Result};

/// A recipe of training corpora.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mix {
    pub name: &'static str,
    /// Share of NCBI train documents kept; 0 leaves the public gold corpora out.
    pub ncbi_share: f64,
    /// MTSamples sentences labelled by the dictionary.
    pub silver_sentences: usize,
    /// Public gold corpora are brought to the guidelines and given the types they do not annotate.
    pub adjusted: bool,
    /// Notes labelled by the chosen teachers (`clinical-ner-train merge`) are needed.
    pub teacher_dataset: bool,
    /// Times the note gold set's train split is seen per epoch.
    pub notes_gold_repeats: usize,
}

pub const MIXES: &[Mix] = &[
    // Every gold training document and a smaller silver share.
    Mix {
        name: "gold-heavy",
        ncbi_share: 1.0,
        silver_sentences: 3000,
        adjusted: true,
        teacher_dataset: false,
        notes_gold_repeats: 0,
    },
    // Half of NCBI (abstracts on inherited diseases, the farthest from notes) traded for more silver.
    Mix {
        name: "notes-heavy",
        ncbi_share: 0.5,
        silver_sentences: 8000,
        adjusted: true,
        teacher_dataset: false,
        notes_gold_repeats: 0,
    },
    // The paper's three students: human labels only, teacher labels only, and both.
    Mix {
        name: "human",
        ncbi_share: 1.0,
        silver_sentences: 0,
        adjusted: false,
        teacher_dataset: false,
        notes_gold_repeats: 0,
    },
    Mix {
        name: "teacher",
        ncbi_share: 0.0,
        silver_sentences: 0,
        adjusted: true,
        teacher_dataset: true,
        notes_gold_repeats: 0,
    },
    Mix {
        name: "human+teacher",
        ncbi_share: 1.0,
        silver_sentences: 0,
        adjusted: true,
        teacher_dataset: true,
        notes_gold_repeats: 0,
    },
    // The note gold set's train split seen twice per epoch, beside the adjusted public corpora and
    // fewer silver sentences; and the same without silver, whose dictionary labels follow no guideline.
    Mix {
        name: "notes-gold",
        ncbi_share: 0.5,
        silver_sentences: 3000,
        adjusted: true,
        teacher_dataset: false,
        notes_gold_repeats: 2,
    },
    Mix {
        name: "notes-gold-no-silver",
        ncbi_share: 0.5,
        silver_sentences: 0,
        adjusted: true,
        teacher_dataset: false,
        notes_gold_repeats: 2,
    },
];

/// The dev sets tie notes-heavy and gold-heavy (docs/results.md); the tie went to the mix with more
/// note wording, which is what the product reads.
pub const DEFAULT_MIX: &str = "notes-heavy";

/// The sets every choice is made on (MACCROBAT, though named a development subset, is held out).
pub const DEV_SETS: &[&str] = &[
    "mtsamples-gold-dev",
    "bc5cdr-dev",
    "ncbi-disease-dev",
    "psytar-dev",
];

/// The sets a model is reported on, never chosen on.
pub const TEST_SETS: &[&str] = &[
    "mtsamples-gold-test",
    "bc5cdr-test",
    "ncbi-disease-test",
    "psytar-test",
    "maccrobat2020-dev",
];

/// The vocabularies of the dictionary teacher, with their terms, for a model's manifest.
pub const DICTIONARY_SOURCES: &[&str] = &[
    "lexicon-drugbank-open-vocabulary (CC0)",
    "lexicon-rxnorm-druglist-medextractr (GPL >= 2 package; RxNorm names courtesy of the U.S. NLM)",
    "lexicon-disease-ontology-reports (CC0)",
    "lexicon-symptom-ontology (CC0)",
    "lexicon-hpo (HPO release 2025-01-16; HPO licence: cite the HPO Consortium, files unaltered)",
];

const SILVER_LICENCE: &str =
    "CC0 (mtsamples.com asks for credit); labels from the dictionary teacher";
const TEACHER_LICENCE: &str =
    "the notes' own licences (see the dataset's notes); labels from the chosen teachers";
const SILVER_WORDS: std::ops::RangeInclusive<usize> = 4..=60;
/// A share of silver sentences without any dictionary match, so that note wording is also seen as O.
const SILVER_EMPTY_SHARE: f64 = 0.2;

pub fn mix(name: &str) -> Result<Mix> {
    MIXES
        .iter()
        .find(|m| m.name == name)
        .copied()
        .ok_or_else(|| Error::UnknownMix {
            name: name.to_owned(),
        })
}

/// A training corpus and the times it is seen per epoch.
pub struct TrainingCorpus {
    pub corpus: Corpus,
    pub repeats: usize,
}

/// The corpora `mix` trains on. `seed` draws the NCBI share and the silver sentences.
pub fn training_corpora(
    data_dir: &Path,
    guidelines: &Guidelines,
    mix: &Mix,
    seed: u64,
    teacher_dataset: Option<&Path>,
) -> Result<Vec<TrainingCorpus>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut chosen = Vec::new();
    let once = |corpus| TrainingCorpus { corpus, repeats: 1 };
    if mix.notes_gold_repeats > 0 {
        chosen.push(TrainingCorpus {
            corpus: known_corpora::load(data_dir, "mtsamples-gold-train")?,
            repeats: mix.notes_gold_repeats,
        });
    }
    if mix.ncbi_share > 0.0 {
        let mut ncbi = known_corpora::load(data_dir, "ncbi-disease-train")?;
        let kept = (ncbi.documents.len() as f64 * mix.ncbi_share).round() as usize;
        ncbi.documents.shuffle(&mut rng);
        ncbi.documents.truncate(kept);
        for corpus in [
            known_corpora::load(data_dir, "bc5cdr-train")?,
            ncbi,
            known_corpora::load(data_dir, "psytar-train")?,
        ] {
            chosen.push(once(if mix.adjusted {
                guidelines.adjust(corpus)?
            } else {
                corpus
            }));
        }
    }
    if mix.silver_sentences > 0 {
        chosen.push(once(silver(
            data_dir,
            &guidelines.dictionary,
            mix.silver_sentences,
            &mut rng,
        )?));
    }
    if mix.teacher_dataset {
        let path = teacher_dataset.ok_or_else(|| Error::MissingTeacherDataset {
            mix: mix.name.to_owned(),
        })?;
        chosen.push(once(Corpus {
            name: format!("teacher-labelled {}", path.display()),
            documents: jsonl::read(path, |label| label.parse().ok())?,
            labelled_types: EntityType::ALL.to_vec(),
            licence: TEACHER_LICENCE.to_owned(),
        }));
    }
    Ok(chosen)
}

/// How public gold corpora are brought to docs/annotation-guidelines.md before training.
pub struct Guidelines {
    pub dictionary: DictionaryTeacher,
    /// Chemicals that are not medications (training/rules/not_medications.tsv), lower case.
    not_medications: HashSet<String>,
    /// Mention words → the one type the note gold set's train split gives them, at least twice.
    note_gold_types: HashMap<String, EntityType>,
}

impl Guidelines {
    pub fn load(data_dir: &Path) -> Result<Self> {
        Ok(Guidelines {
            dictionary: DictionaryTeacher::load(data_dir)?,
            not_medications: not_medications()?,
            note_gold_types: note_gold_types(&known_corpora::load(
                data_dir,
                "mtsamples-gold-train",
            )?),
        })
    }

    /// BC5CDR chemicals that are not medications are dropped; where signs and symptoms are filed as
    /// diseases, a disease mention becomes a symptom when the note gold set marks it so, or when the
    /// whole of it is a symptom entry that the note gold set does not call a disease; the types a
    /// corpus does not annotate come from the dictionary where they overlap no gold span and no
    /// ignored range. Without that last step a drug name in a disease-only corpus is taught as O.
    pub fn adjust(&self, corpus: Corpus) -> Result<Corpus> {
        let terms = known_corpora::terms(&corpus.name)?;
        let missing: Vec<EntityType> = EntityType::ALL
            .into_iter()
            .filter(|t| !corpus.labelled_types.contains(t))
            .filter(|t| !(terms.symptoms_filed_as_disease && *t == Symptom))
            .collect();
        let drops_chemicals = corpus.name.starts_with("bc5cdr");
        let documents = corpus
            .documents
            .into_iter()
            .map(|mut document| {
                let chars = CharText::new(&document.text);
                let mentions: Vec<&str> =
                    document.spans.iter().map(|s| mention(&chars, s)).collect();
                let mut spans = Vec::new();
                for (span, &mention) in document.spans.iter().zip(&mentions) {
                    let lower = mention.to_lowercase();
                    if drops_chemicals
                        && span.entity_type == Medication
                        && self.not_medications.contains(&lower)
                    {
                        continue;
                    }
                    let mut span = *span;
                    if terms.symptoms_filed_as_disease && span.entity_type == Disease {
                        span.entity_type = match self.note_gold_types.get(&word_key(mention)) {
                            Some(&by_guideline) => by_guideline,
                            None if self.dictionary.entry_type(mention) == Some(Symptom) => Symptom,
                            None => Disease,
                        };
                    }
                    spans.push(span);
                }
                let silver: Vec<Span> = self
                    .dictionary
                    .label(&document.text)
                    .into_iter()
                    .filter(|s| missing.contains(&s.entity_type))
                    .filter(|s| !document.touches_ignored(s.start, s.end))
                    .filter(|s| spans.iter().all(|g| s.end <= g.start || s.start >= g.end))
                    .collect();
                spans.extend(silver);
                document.spans = resolve_overlaps(&spans);
                document
            })
            .collect();
        Ok(Corpus {
            name: corpus.name,
            documents,
            labelled_types: EntityType::ALL.to_vec(),
            licence: corpus.licence,
        })
    }
}

/// A span's text; corpus readers checked every span against its text.
fn mention<'t>(chars: &CharText<'t>, span: &Span) -> &'t str {
    chars
        .slice(span.start, span.end)
        .expect("a corpus span lies within its text")
}

/// A mention as its lower-case words joined by spaces, so that "Chest  pain" and "chest pain" meet.
fn word_key(mention: &str) -> String {
    phrase_words(mention).join(" ")
}

fn not_medications() -> Result<HashSet<String>> {
    Ok(
        crate::not_medications::read(&crate::not_medications::path())?
            .into_iter()
            .map(|n| n.mention)
            .collect(),
    )
}

/// How the guidelines type the words that public corpora type otherwise: mentions that the note gold
/// set marks at least twice, always with the same type.
fn note_gold_types(notes: &Corpus) -> HashMap<String, EntityType> {
    let mut seen: HashMap<String, (HashSet<EntityType>, usize)> = HashMap::new();
    for document in &notes.documents {
        let chars = CharText::new(&document.text);
        for span in &document.spans {
            let entry = seen.entry(word_key(mention(&chars, span))).or_default();
            entry.0.insert(span.entity_type);
            entry.1 += 1;
        }
    }
    seen.into_iter()
        .filter(|(_, (types, count))| types.len() == 1 && *count >= 2)
        .map(|(key, (types, _))| (key, types.into_iter().next().expect("one type")))
        .collect()
}

/// `count` MTSamples sentences of 4 to 60 words labelled by the dictionary, a fifth of them without
/// any match; never a sentence of a note gold set dev or test note.
fn silver(
    data_dir: &Path,
    dictionary: &DictionaryTeacher,
    count: usize,
    rng: &mut ChaCha8Rng,
) -> Result<Corpus> {
    let mut sentences: Vec<Document> = mtsamples_sentences(data_dir)?
        .into_iter()
        .filter(|d| SILVER_WORDS.contains(&d.text.split_whitespace().count()))
        .collect();
    sentences.shuffle(rng);
    let wanted_empty = (count as f64 * SILVER_EMPTY_SHARE) as usize;
    let (mut with_entities, mut empty) = (Vec::new(), Vec::new());
    for mut sentence in sentences {
        if with_entities.len() >= count - wanted_empty && empty.len() >= wanted_empty {
            break;
        }
        sentence.spans = dictionary.label(&sentence.text);
        if !sentence.spans.is_empty() && with_entities.len() < count - wanted_empty {
            with_entities.push(sentence);
        } else if sentence.spans.is_empty() && empty.len() < wanted_empty {
            empty.push(sentence);
        }
    }
    with_entities.extend(empty);
    Ok(Corpus {
        name: "mtsamples-silver".to_owned(),
        documents: with_entities,
        labelled_types: EntityType::ALL.to_vec(),
        licence: SILVER_LICENCE.to_owned(),
    })
}

/// The sentences of the MTSamples transcriptions, as the engine cuts notes into sentences, but for
/// the note gold set's dev and test notes (compared by text: MTSamples holds some texts twice).
///
/// The source runs section headers and list items into the text with stray commas ("...,HEADER:,
/// Text", "item one.,2. item two"): a header starts a line as in a note and those commas go first.
pub fn mtsamples_sentences(data_dir: &Path) -> Result<Vec<Document>> {
    let held_out: HashSet<String> = ["mtsamples-gold-dev", "mtsamples-gold-test"]
        .into_iter()
        .map(|name| known_corpora::load(data_dir, name))
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .flat_map(|c| c.documents)
        .map(|d| d.text.trim().to_owned())
        .collect();
    let header = regex::Regex::new(r",\s*([A-Z][A-Z /&()-]+:)").expect("a valid pattern");
    let stray_comma = regex::Regex::new(r"([.:])\s*,\s*").expect("a valid pattern");
    let columns = readers::notes::CsvColumns {
        id: "note_id".to_owned(),
        text: "transcription".to_owned(),
    };
    let notes = readers::notes::read(&data_dir.join("mtsamples/mtsamples.csv.gz"), &columns)?;
    let mut sentences = Vec::new();
    for note in notes {
        if held_out.contains(note.text.trim()) {
            continue;
        }
        let text = header.replace_all(&note.text, "\n$1");
        let text = stray_comma.replace_all(&text, "$1 ");
        let chars: Vec<char> = text.chars().collect();
        for (number, range) in clinical_ner_engine::context::sentence_ranges(&text)
            .into_iter()
            .enumerate()
        {
            sentences.push(Document::new(
                format!("mtsamples-{}-{number}", note.id),
                chars[range].iter().collect(),
                Vec::new(),
            ));
        }
    }
    Ok(sentences)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dictionary() -> DictionaryTeacher {
        DictionaryTeacher::new([
            (Symptom, "chest pain"),
            (Symptom, "seizures"),
            (Medication, "aspirin"),
            (Disease, "diabetes"),
        ])
        .unwrap()
    }

    fn guidelines(note_gold: &[(&str, EntityType)]) -> Guidelines {
        Guidelines {
            dictionary: dictionary(),
            not_medications: ["creatinine".to_owned()].into(),
            note_gold_types: note_gold.iter().map(|&(k, t)| (k.to_owned(), t)).collect(),
        }
    }

    fn corpus(name: &str, text: &str, spans: Vec<Span>, types: Vec<EntityType>) -> Corpus {
        Corpus {
            name: name.to_owned(),
            documents: vec![Document::new("d".into(), text.into(), spans)],
            labelled_types: types,
            licence: String::new(),
        }
    }

    #[test]
    fn abstracts_are_brought_to_the_guidelines() {
        // BC5CDR: "creatinine" is an analyte, "seizures" a symptom filed as a disease, "Fever" a
        // symptom by the note gold set; "diabetes" stays a disease and nothing fills symptoms (BC5CDR
        // files them under Disease, so a missing one is not evidence of O).
        let text = "aspirin raised creatinine; seizures, Fever and diabetes";
        let gold = vec![
            Span::new(0, 7, Medication),
            Span::new(15, 25, Medication),
            Span::new(27, 35, Disease),
            Span::new(37, 42, Disease),
            Span::new(47, 55, Disease),
        ];
        let adjusted = guidelines(&[("fever", Symptom)])
            .adjust(corpus(
                "bc5cdr-train",
                text,
                gold,
                vec![Medication, Disease],
            ))
            .unwrap();
        assert_eq!(
            adjusted.documents[0].spans,
            vec![
                Span::new(0, 7, Medication),
                Span::new(27, 35, Symptom),
                Span::new(37, 42, Symptom),
                Span::new(47, 55, Disease),
            ]
        );
        assert_eq!(adjusted.labelled_types, EntityType::ALL.to_vec());
    }

    #[test]
    fn missing_types_are_filled_but_not_over_gold_or_ignored_ranges() {
        // PsyTAR annotates symptoms only: aspirin and diabetes come from the dictionary, but the
        // ignored drug indication "for diabetes" keeps its silence.
        let text = "aspirin gave me chest pain for diabetes";
        let mut psytar = corpus(
            "psytar-train",
            text,
            vec![Span::new(16, 26, Symptom)],
            vec![Symptom],
        );
        psytar.documents[0].ignored = vec![27..39];
        let adjusted = guidelines(&[]).adjust(psytar).unwrap();
        assert_eq!(
            adjusted.documents[0].spans,
            vec![Span::new(0, 7, Medication), Span::new(16, 26, Symptom)]
        );
    }

    #[test]
    fn a_teacher_mix_without_its_dataset_says_so() {
        let error = training_corpora(
            Path::new("/nonexistent"),
            &guidelines(&[]),
            &mix("teacher").unwrap(),
            1,
            None,
        )
        .err()
        .expect("an error");
        assert!(error.to_string().contains("--teacher-dataset"), "{error}");
        assert!(mix("no-such-mix").is_err());
    }

    #[test]
    fn note_gold_types_need_two_consistent_mentions() {
        let notes = corpus(
            "mtsamples-gold-train",
            "Fever, fever; edema; rash, rash",
            vec![
                Span::new(0, 5, Symptom),
                Span::new(7, 12, Symptom),
                Span::new(14, 19, Symptom),
                Span::new(21, 25, Symptom),
                Span::new(27, 31, Disease),
            ],
            EntityType::ALL.to_vec(),
        );
        let types = note_gold_types(&notes);
        assert_eq!(types.get("fever"), Some(&Symptom));
        assert!(!types.contains_key("edema") && !types.contains_key("rash"));
    }
}
