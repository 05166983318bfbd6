//! `manifest.json`: what a model folder holds and how to check it (see `docs/model-format.md`).

use std::collections::BTreeMap;

use serde::Deserialize;

pub const MANIFEST_FILE: &str = "manifest.json";
pub const MODEL_FILE: &str = "model.onnx";
pub const TOKENIZER_FILE: &str = "tokenizer.json";
const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, Deserialize)]
pub struct Manifest {
    pub format_version: u32,
    pub name: String,
    pub version: String,
    #[serde(default)]
    pub base_model: String,
    pub labels: Vec<String>,
    pub max_sequence_length: usize,
    pub special_tokens: SpecialTokens,
    pub vocab_size: usize,
    pub files: BTreeMap<String, FileEntry>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SpecialTokens {
    pub cls: String,
    pub sep: String,
    pub pad: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct FileEntry {
    pub sha256: String,
    #[serde(default)]
    pub precision: Option<String>,
}

impl Manifest {
    pub fn parse(bytes: &[u8]) -> Result<Self, String> {
        let manifest: Manifest = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        if manifest.format_version != FORMAT_VERSION {
            return Err(format!(
                "format_version {} is not supported (this engine reads {FORMAT_VERSION})",
                manifest.format_version
            ));
        }
        if manifest.max_sequence_length < 8 {
            return Err("max_sequence_length must be at least 8".into());
        }
        for file in [MODEL_FILE, TOKENIZER_FILE] {
            if !manifest.files.contains_key(file) {
                return Err(format!("files has no entry for {file}"));
            }
        }
        Ok(manifest)
    }

    pub fn sha256_of(&self, file: &str) -> &str {
        &self.files[file].sha256
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALID: &str = r#"{
        "format_version": 1, "name": "m", "version": "0.1.0", "labels": ["O", "B-disease"],
        "max_sequence_length": 128, "vocab_size": 10,
        "special_tokens": {"cls": "[CLS]", "sep": "[SEP]", "pad": "[PAD]"},
        "files": {"model.onnx": {"sha256": "aa", "precision": "int8"}, "tokenizer.json": {"sha256": "bb"}},
        "metrics": {"anything": 1}
    }"#;

    #[test]
    fn reads_a_valid_manifest_and_ignores_extra_fields() {
        let m = Manifest::parse(VALID.as_bytes()).unwrap();
        assert_eq!(m.sha256_of(MODEL_FILE), "aa");
        assert_eq!(m.labels.len(), 2);
    }

    #[test]
    fn rejects_other_format_versions_and_missing_files() {
        let newer = VALID.replace("\"format_version\": 1", "\"format_version\": 2");
        assert!(Manifest::parse(newer.as_bytes())
            .unwrap_err()
            .contains("format_version"));
        let no_tokenizer = VALID.replace("\"tokenizer.json\"", "\"other.json\"");
        assert!(Manifest::parse(no_tokenizer.as_bytes())
            .unwrap_err()
            .contains("tokenizer.json"));
        assert!(Manifest::parse(b"{not json").is_err());
    }
}
