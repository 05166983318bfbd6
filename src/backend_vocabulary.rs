//! One linking vocabulary per backend, loaded on first use and kept until the setting names another.
//!
//! Only the functions that return codes load it, so a session that only lists mentions never pays
//! for it. A failed load leaves nothing behind, so the next call tries again.

use std::cell::RefCell;
use std::path::PathBuf;

use clinical_ner_engine::linking::Vocabulary;

use crate::{errors, settings};

thread_local! {
    static LOADED: RefCell<Option<(PathBuf, Vocabulary)>> = const { RefCell::new(None) };
}

/// Runs `work` with the vocabulary the settings name, or with `None` when linking is switched off.
pub fn with_vocabulary<R>(work: impl FnOnce(Option<&Vocabulary>) -> R) -> R {
    let Some(folder) = settings::vocabulary_folder() else {
        return work(None);
    };
    let forget_vocabulary = || LOADED.with_borrow_mut(|loaded| *loaded = None);
    // Linking reads mentions, so a panic in it is reported without its message (see errors).
    errors::withholding_panic_messages(
        || {
            LOADED.with_borrow_mut(|loaded| {
                if loaded.as_ref().is_none_or(|(path, _)| *path != folder) {
                    *loaded = None;
                    let vocabulary =
                        Vocabulary::load(&folder).unwrap_or_else(|error| errors::report(error));
                    *loaded = Some((folder, vocabulary));
                }
                work(loaded.as_ref().map(|(_, vocabulary)| vocabulary))
            })
        },
        forget_vocabulary,
    )
}
