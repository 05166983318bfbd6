//! Training-side tooling for the clinical NER models: public corpora read into one representation,
//! and the scores a model's predictions get against them.
//!
//! [`readers`] parse the corpus formats (brat, PubTator, CoNLL, JSONL) into [`corpus::Corpus`], with
//! character offsets and the engine's own [`EntityType`](clinical_ner_engine::EntityType);
//! [`known_corpora`] knows where each public corpus lives under the data folder and how its labels map;
//! [`predictions`] reads the engine's output; [`metrics`] scores it (strict, lenient and word-level);
//! [`teachers`] label notes without a model (silver spans, baselines).
//!
//! Errors name the file and line but never carry note text, same rule as the engine: corpora and
//! predictions may one day be real notes, and error messages end up in logs.

pub mod assertion_eval;
pub mod attribute_eval;
pub mod combine;
pub mod corpus;
pub mod corpus_files;
pub mod dataset;
mod error;
pub mod known_corpora;
pub mod lexicons;
pub mod link_eval;
pub mod metrics;
pub mod not_medications;
pub mod note_attribute_eval;
pub mod note_link_eval;
pub mod predictions;
pub mod readers;
pub mod selection;
pub mod teachers;
pub mod training_mix;
pub mod vocabulary;

pub use error::{Error, Problem};

pub type Result<T, E = Error> = std::result::Result<T, E>;
