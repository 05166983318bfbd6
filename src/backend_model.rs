//! One model per backend, loaded on first use and kept until the settings ask for another.
//!
//! A panic in the engine (a bug) is reported without its message, which could quote the note, and the
//! model is dropped so that the next call starts from a fresh one.
//!
//! A model folder replaced on disk while sessions run is not noticed by a backend that already has
//! the model in memory: it keeps serving the old model whole (never a mix of old and new files)
//! until it reconnects or the settings change. A failed load leaves nothing behind, so the next call
//! tries again.

use std::cell::RefCell;
use std::path::PathBuf;

use clinical_ner_engine::{load_model, Extractor, RuntimeOptions};

use crate::{backend_rules, errors, settings};

struct Loaded {
    folder: PathBuf,
    options: RuntimeOptions,
    extractor: Extractor,
}

thread_local! {
    static LOADED: RefCell<Option<Loaded>> = const { RefCell::new(None) };
}

/// Runs `work` with the model the current settings name, loading it first if needed.
pub fn with_extractor<R>(work: impl FnOnce(&mut Extractor) -> clinical_ner_engine::Result<R>) -> R {
    let (folder, options) = settings::current();
    let rules = backend_rules::current_rules();
    // After a panic the model is dropped: the next call loads it afresh.
    let forget_model = || LOADED.with_borrow_mut(|loaded| *loaded = None);
    let result = errors::withholding_panic_messages(
        || {
            LOADED.with_borrow_mut(|loaded| {
                let current = loaded
                    .as_ref()
                    .is_some_and(|l| l.folder == folder && l.options == options);
                if !current {
                    // Drop the old model before loading the new one, so that two never sit in memory together.
                    *loaded = None;
                    let extractor = load_model(&folder, &options)?;
                    *loaded = Some(Loaded {
                        folder,
                        options,
                        extractor,
                    });
                }
                let extractor = &mut loaded.as_mut().expect("loaded above").extractor;
                extractor.set_rules(rules);
                work(extractor)
            })
        },
        forget_model,
    );
    result.unwrap_or_else(|error| errors::report(error))
}
