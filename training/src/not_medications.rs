//! The chemicals that are not medications by docs/annotation-guidelines.md
//! (`training/rules/not_medications.tsv`: lab analytes, substances the body makes, antigens,
//! recreational substances, animal-model toxins). Training drops their BC5CDR spans; the linking
//! vocabulary gives none of them a medication code unless it is also given to patients as a drug.

use std::path::{Path, PathBuf};

use crate::readers::read_text;
use crate::{Error, Problem, Result};

/// The list in the repository, beside this crate.
pub fn path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/not_medications.tsv")
}

/// One listed chemical.
#[derive(Debug, Clone, PartialEq)]
pub struct NotMedication {
    /// The whole mention, lower case.
    pub mention: String,
    /// Also given to patients as a drug ("calcium", "albumin"), so the vocabulary keeps its code.
    pub keeps_code: bool,
}

/// Reads `chemical, why, keeps code (yes/no)` lines, `#` lines being comments.
pub fn read(path: &Path) -> Result<Vec<NotMedication>> {
    let text = read_text(path)?;
    let mut listed = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        let keeps_code = match fields.get(2).map(|f| f.trim()) {
            Some("yes") => true,
            Some("no") => false,
            _ => {
                return Err(Error::Format {
                    path: path.to_owned(),
                    line: index + 1,
                    problem: Problem::Malformed("a chemical, why, and yes or no"),
                })
            }
        };
        listed.push(NotMedication {
            mention: fields[0].trim().to_lowercase(),
            keeps_code,
        });
    }
    Ok(listed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_reads_and_keeps_the_codes_of_minerals_given_as_drugs() {
        let listed = read(&path()).unwrap();
        let keeps = |m: &str| listed.iter().find(|n| n.mention == m).map(|n| n.keeps_code);
        assert_eq!(keeps("creatinine"), Some(false));
        assert_eq!(keeps("calcium"), Some(true));
        assert_eq!(keeps("warfarin"), None);
    }

    #[test]
    fn a_line_without_its_third_column_is_an_error_naming_the_line() {
        let folder = tempfile::tempdir().unwrap();
        let file = folder.path().join("not_medications.tsv");
        std::fs::write(&file, "# comment\nglucose\tanalyte\tno\nurea\tanalyte\n").unwrap();
        let error = read(&file).unwrap_err().to_string();
        assert!(error.contains(":3"), "{error}");
    }
}
