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
        device: crate::Device,
        reason: String,
    },

    #[error("unknown device \"{0}\" (expected cpu, cuda or auto)")]
    UnknownDevice(String),

    #[error("invalid vocabulary file \"{path}\": {reason}")]
    Vocabulary { path: PathBuf, reason: String },

    #[error("invalid clinical rules in \"{folder}\": {reason}")]
    Rules { folder: PathBuf, reason: String },

    #[error("the tokenizer could not encode the note")]
    Tokenize,

    #[error("inference failed: {reason}")]
    Inference { reason: String },

    #[error("not enough memory for the note")]
    OutOfMemory,
}
