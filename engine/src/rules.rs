//! The clinical rules as data files, and a site's own files that extend them.
//!
//! Assertion triggers (`assertion_rules.tsv`) and the medication attribute phrase tables
//! (`routes.tsv`, `frequencies.tsv`, `units.tsv`, `forms.tsv`, `durations.tsv`) ship inside the
//! engine. A site keeps files of the same names in one folder: their lines are read after the
//! built-in ones, so they add phrases and, where a phrase is already there, replace it; an
//! assertion trigger is switched off by giving its phrase the category `pseudo`. medspaCy's
//! resource files are the model. A file the folder should not hold, or a line that does not parse,
//! is an error naming the file and line (never a note: rule files hold no note text).

use std::path::Path;
use std::sync::{Arc, OnceLock};

use crate::context::AssertionRules;
use crate::posology::PosologyRules;
use crate::{Error, Result};

pub const ASSERTION_FILE: &str = "assertion_rules.tsv";

/// Every rule file, with its built-in text.
const BUILTIN: [(&str, &str); 6] = [
    (ASSERTION_FILE, include_str!("context/assertion_rules.tsv")),
    ("routes.tsv", include_str!("posology/routes.tsv")),
    ("frequencies.tsv", include_str!("posology/frequencies.tsv")),
    ("units.tsv", include_str!("posology/units.tsv")),
    ("forms.tsv", include_str!("posology/forms.tsv")),
    ("durations.tsv", include_str!("posology/durations.tsv")),
];

/// The rule sets the extractor and the medication attributes read.
#[derive(Debug, Clone)]
pub struct ClinicalRules {
    pub assertion: AssertionRules,
    pub posology: PosologyRules,
}

impl ClinicalRules {
    /// The rules shipped with the engine.
    pub fn builtin() -> Arc<ClinicalRules> {
        Self::shipped().clone()
    }

    /// The one parsed copy of the built-in rules, for the rule sets' own `builtin()`.
    pub(crate) fn shipped() -> &'static Arc<ClinicalRules> {
        static RULES: OnceLock<Arc<ClinicalRules>> = OnceLock::new();
        RULES.get_or_init(|| {
            Arc::new(Self::parse(&BUILTIN).expect("the shipped clinical rules parse"))
        })
    }

    /// The built-in rules extended by the files in a site's `folder` (see the module docs).
    pub fn with_site_folder(folder: &Path) -> Result<ClinicalRules> {
        let invalid = |reason: String| Error::Rules {
            folder: folder.to_owned(),
            reason,
        };
        let entries = std::fs::read_dir(folder).map_err(|e| invalid(e.to_string()))?;
        let mut site: Vec<(&str, String)> = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| invalid(e.to_string()))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(&(known, _)) = BUILTIN.iter().find(|(file, _)| *file == name) else {
                let known: Vec<&str> = BUILTIN.iter().map(|(file, _)| *file).collect();
                return Err(invalid(format!(
                    "{name} is not a rule file (expected {})",
                    known.join(", ")
                )));
            };
            let text = std::fs::read_to_string(entry.path())
                .map_err(|e| invalid(format!("{name}: {e}")))?;
            site.push((known, text));
        }
        // Files in a fixed order, so that the result never depends on the directory's.
        site.sort_by_key(|(file, _)| BUILTIN.iter().position(|(known, _)| known == file));
        let files: Vec<(&str, &str)> = BUILTIN
            .iter()
            .copied()
            .chain(site.iter().map(|(file, text)| (*file, text.as_str())))
            .collect();
        Self::parse(&files).map_err(invalid)
    }

    /// Rule files as (file name, text), each file's lines after those of the files before it.
    fn parse(files: &[(&str, &str)]) -> std::result::Result<ClinicalRules, String> {
        let (assertion, posology): (Vec<_>, Vec<_>) =
            files.iter().partition(|(file, _)| *file == ASSERTION_FILE);
        Ok(ClinicalRules {
            assertion: AssertionRules::parse_files(&assertion)?,
            posology: PosologyRules::parse(&posology)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::{Assertion, NoteContext};

    fn site_folder(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        dir
    }

    fn assertion_of(rules: &ClinicalRules, note: &str, entity: &str) -> Assertion {
        let start = note.find(entity).unwrap();
        NoteContext::new(note, &rules.assertion).assertion(&(start..start + entity.len()))
    }

    #[test]
    fn a_site_adds_a_trigger_and_switches_one_off() {
        let note = "Pt nixed aspirin. Rule out sepsis.";
        let builtin = ClinicalRules::builtin();
        assert_eq!(assertion_of(&builtin, note, "aspirin"), Assertion::Present);
        assert_eq!(assertion_of(&builtin, note, "sepsis"), Assertion::Possible);
        let dir = site_folder(&[(
            ASSERTION_FILE,
            "# a site's own\nnixed\tabsent\tforward\nrule out\tpseudo\tforward\n",
        )]);
        let site = ClinicalRules::with_site_folder(dir.path()).unwrap();
        assert_eq!(assertion_of(&site, note, "aspirin"), Assertion::Absent);
        assert_eq!(assertion_of(&site, note, "sepsis"), Assertion::Present);
    }

    #[test]
    fn a_site_adds_a_route_abbreviation() {
        let note = "metformin 500 mg via jejunostomy daily";
        let spans = [0..9];
        let builtin = ClinicalRules::builtin();
        let before = crate::posology::medication_attributes(note, &spans, &builtin.posology);
        assert_eq!(before[0].route, None);
        let dir = site_folder(&[("routes.tsv", "via jejunostomy\tother\n")]);
        let site = ClinicalRules::with_site_folder(dir.path()).unwrap();
        let after = crate::posology::medication_attributes(note, &spans, &site.posology);
        assert_eq!(
            after[0].route.as_ref().map(|r| r.value.as_str()),
            Some("other")
        );
    }

    #[test]
    fn a_bad_file_or_line_is_named() {
        let dir = site_folder(&[(ASSERTION_FILE, "denies\tabsent\tforward\nfoo\tbar\n")]);
        let error = ClinicalRules::with_site_folder(dir.path())
            .unwrap_err()
            .to_string();
        assert!(error.contains("assertion_rules.tsv line 2"), "{error}");
        let dir = site_folder(&[("routes.tsv", "per os\tmouth\n")]);
        let error = ClinicalRules::with_site_folder(dir.path())
            .unwrap_err()
            .to_string();
        assert!(error.contains("routes.tsv line 1"), "{error}");
        let dir = site_folder(&[("route.tsv", "per os\toral\n")]);
        let error = ClinicalRules::with_site_folder(dir.path())
            .unwrap_err()
            .to_string();
        assert!(error.contains("route.tsv is not a rule file"), "{error}");
        let missing = ClinicalRules::with_site_folder(Path::new("/nonexistent/rules"));
        assert!(missing.is_err());
    }
}
