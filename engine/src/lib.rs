//! Clinical note text to medication, disease and symptom entities, with no PostgreSQL in sight.
//!
//! The pipeline has one stage per module, each testable alone:
//! [`tokenize`] (the model's own `tokenizer.json`, character offsets) →
//! [`window`] (overlapping windows no longer than the model accepts, so nothing is truncated) →
//! [`classify`] (the ONNX token classifier, through ONNX Runtime) →
//! [`decode`] (word-level BIO tags to character spans) → [`context`] (section and assertion status,
//! by rules) → [`Entity`].
//! [`Extractor`] composes them; [`model`] loads and checks a model folder (see `docs/model-format.md`).
//!
//! Errors never carry note text: a note is protected health information and error messages end up
//! in server logs.

pub mod char_offsets;
pub mod classify;
pub mod context;
pub mod decode;
mod entity;
mod error;
mod extractor;
pub mod labels;
pub mod linking;
pub mod manifest;
pub mod model;
pub mod posology;
pub mod rules;
pub mod runtime;
pub mod tokenize;
pub mod window;

pub use context::{Assertion, Section};
pub use entity::Entity;
pub use error::Error;
pub use extractor::{Extractor, ModelInfo, WindowConfig};
pub use labels::EntityType;
pub use model::load_model;
pub use runtime::{cpu_int8_instructions, Device, RuntimeOptions};

pub type Result<T, E = Error> = std::result::Result<T, E>;
