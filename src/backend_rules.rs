//! The clinical rules of this backend: the built-in ones, or those extended by the site folder that
//! `clinical_ner.rules_path` names, read on first use and again when the setting names another.
//!
//! A failed read leaves nothing behind, so the next call tries again (after the folder is fixed).

use std::cell::RefCell;
use std::path::PathBuf;
use std::sync::Arc;

use clinical_ner_engine::rules::ClinicalRules;

use crate::{errors, settings};

thread_local! {
    static LOADED: RefCell<Option<(PathBuf, Arc<ClinicalRules>)>> = const { RefCell::new(None) };
}

/// The rules the settings ask for; an ERROR naming the file and line where a site file is wrong.
pub fn current_rules() -> Arc<ClinicalRules> {
    site_rules().unwrap_or_else(ClinicalRules::builtin)
}

/// The site's rules, where `clinical_ner.rules_path` names a folder.
pub fn site_rules() -> Option<Arc<ClinicalRules>> {
    let folder = settings::rules_folder()?;
    Some(LOADED.with_borrow_mut(|loaded| {
        if loaded.as_ref().is_none_or(|(path, _)| *path != folder) {
            *loaded = None;
            let rules = ClinicalRules::with_site_folder(&folder)
                .unwrap_or_else(|error| errors::report(error));
            *loaded = Some((folder, Arc::new(rules)));
        }
        loaded.as_ref().expect("loaded above").1.clone()
    }))
}
