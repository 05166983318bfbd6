//! Typed errors at the engine's boundary. Each says what failed and which file, never the note.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("could not load the ONNX Runtime library \"{path}\": {reason}")]
    Library { path: PathBuf, reason: String },

    #[error("ONNX Runtime is already loaded from \"{loaded}\" in this process; \"{requested}\" cannot replace it")]
    LibraryAlreadyLoaded { loaded: PathBuf, requested: PathBuf },

    #[error("could not read model file \"{path}\": {reason}")]
    ModelFile { path: PathBuf, reason: String },

    #[error("invalid model manifest \"{path}\": {reason}")]
    Manifest { path: PathBuf, reason: String },

    #[error("model file \"{path}\" does not match the checksum in its manifest")]
    Checksum { path: PathBuf },

    #[error("model file \"{path}\" does not match the rest of the model: {reason}")]
    Mismatch { path: PathBuf, reason: String },

    #[error("ONNX model \"{path}\" could not be loaded: {reason}")]
    Onnx { path: PathBuf, reason: String },

    #[error("device \"{device}\" is not available: {reason}")]
    DeviceUnavailable {
        device: &'static str,
        reason: String,
    },

    #[error("unknown device \"{0}\" (expected cpu, cuda or auto)")]
    UnknownDevice(String),

    #[error("invalid vocabulary file \"{path}\": {reason}")]
    Vocabulary { path: PathBuf, reason: String },

    #[error("the tokenizer could not encode the note")]
    Tokenize,

    #[error("inference failed: {reason}")]
    Inference { reason: String },

    #[error("not enough memory for the note")]
    OutOfMemory,
}

impl Error {
    /// What the person who sees the error can do about it.
    pub fn hint(&self) -> &'static str {
        match self {
            Error::Library { .. } => {
                "Set clinical_ner.onnxruntime_library to the absolute path of libonnxruntime.so (1.31 or newer)."
            }
            Error::LibraryAlreadyLoaded { .. } => {
                "A process loads ONNX Runtime once: reconnect for a changed clinical_ner.onnxruntime_library to take effect."
            }
            Error::ModelFile { .. } | Error::Manifest { .. } => {
                "Set clinical_ner.model_path to a model folder holding manifest.json, model.onnx and tokenizer.json."
            }
            Error::Checksum { .. } | Error::Mismatch { .. } | Error::Onnx { .. } => {
                "The model folder is damaged or mixes files of different models: reinstall the model folder."
            }
            Error::DeviceUnavailable { .. } => {
                "Set clinical_ner.device to 'cpu', or to 'auto' to use a GPU only where one works."
            }
            Error::UnknownDevice(_) => "Use one of: cpu, cuda, auto.",
            Error::Vocabulary { .. } => {
                "Set clinical_ner.vocabulary_path to a folder built by `clinical-ner-train vocabulary` (terms.tsv, manifest.json), or to '' for entities without codes."
            }
            Error::Tokenize => "The note could not be split into tokens; check that it is valid text.",
            Error::Inference { .. } => "Retry; if it persists, try clinical_ner.device = 'cpu' and report the model version.",
            Error::OutOfMemory => "Extract a shorter note, or give the server more memory; other notes are not affected.",
        }
    }
}
