//! Replies on disk, so that a rerun costs nothing and an interrupted run resumes where it stopped.
//!
//! One file per request, named by a hash of the model, the prompt version, the entity type and the
//! note's own hash: the cache holds no note text, only replies (which quote mentions, so the folder
//! is as sensitive as the notes and belongs beside them). Files are written to a temporary name and
//! renamed, so that a killed run leaves no half-written entry.

use std::io;
use std::path::{Path, PathBuf};

use clinical_ner_engine::EntityType;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::api::Completion;
use super::prompt::PROMPT_VERSION;

#[derive(Serialize, Deserialize)]
struct Entry {
    reply: String,
    input_tokens: u64,
    output_tokens: u64,
}

pub struct ReplyCache {
    folder: PathBuf,
}

impl ReplyCache {
    pub fn open(folder: &Path) -> io::Result<Self> {
        std::fs::create_dir_all(folder)?;
        Ok(ReplyCache {
            folder: folder.to_owned(),
        })
    }

    pub fn key(model: &str, entity_type: EntityType, note: &str) -> String {
        let note_hash = hex(&Sha256::digest(note.as_bytes()));
        let mut hasher = Sha256::new();
        for part in [model, PROMPT_VERSION, entity_type.as_str(), &note_hash] {
            hasher.update(part.as_bytes());
            hasher.update([0]);
        }
        hex(&hasher.finalize())
    }

    fn path(&self, key: &str) -> PathBuf {
        self.folder.join(&key[..2]).join(format!("{key}.json"))
    }

    /// The stored reply; an unreadable entry counts as absent and is asked again.
    pub fn get(&self, key: &str) -> Option<Completion> {
        let bytes = std::fs::read(self.path(key)).ok()?;
        let entry: Entry = serde_json::from_slice(&bytes).ok()?;
        Some(Completion {
            text: entry.reply,
            input_tokens: entry.input_tokens,
            output_tokens: entry.output_tokens,
        })
    }

    pub fn put(&self, key: &str, completion: &Completion) -> io::Result<()> {
        let path = self.path(key);
        std::fs::create_dir_all(path.parent().expect("entries live in a subfolder"))?;
        let entry = Entry {
            reply: completion.text.clone(),
            input_tokens: completion.input_tokens,
            output_tokens: completion.output_tokens,
        };
        let temporary = path.with_extension(format!("tmp{}", std::process::id()));
        std::fs::write(&temporary, serde_json::to_vec(&entry)?)?;
        std::fs::rename(&temporary, &path)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_depend_on_model_type_and_note() {
        let key = ReplyCache::key("m", EntityType::Disease, "note");
        assert_eq!(key, ReplyCache::key("m", EntityType::Disease, "note"));
        assert_ne!(key, ReplyCache::key("n", EntityType::Disease, "note"));
        assert_ne!(key, ReplyCache::key("m", EntityType::Symptom, "note"));
        assert_ne!(key, ReplyCache::key("m", EntityType::Disease, "note2"));
        assert!(!key.contains("note"));
    }

    #[test]
    fn stores_and_reads_back_and_ignores_damaged_entries() {
        let folder = tempfile::tempdir().unwrap();
        let cache = ReplyCache::open(folder.path()).unwrap();
        let key = ReplyCache::key("m", EntityType::Disease, "secret note");
        assert!(cache.get(&key).is_none());
        let completion = Completion {
            text: "[\"gout\"]".into(),
            input_tokens: 12,
            output_tokens: 3,
        };
        cache.put(&key, &completion).unwrap();
        assert_eq!(cache.get(&key), Some(completion));
        std::fs::write(cache.path(&key), b"{trunc").unwrap();
        assert!(cache.get(&key).is_none());
    }
}
