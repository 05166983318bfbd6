//! Notes arrive in the database's encoding; the engine reads UTF-8.
//!
//! For a single `text` argument pgrx checks this before our code runs (an ERROR for bytes that are not
//! UTF-8 in a SQL_ASCII database, and for any character outside ASCII in a single-byte encoding such
//! as LATIN1). The elements of a `text[]` it hands over unchecked, so the set-based calls apply the
//! same rule here: a note they cannot read is the same clear ERROR, never invalid UTF-8 in the engine.

use pgrx::pg_sys;
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;

use crate::errors::MESSAGE_PREFIX;

/// Raises an ERROR (naming no note text) unless `note` is text the engine can read as it is.
pub fn check_array_element(note: &str) {
    let bytes = note.as_bytes();
    // SAFETY: reads a backend-global set at connection start.
    let readable = match unsafe { pg_sys::GetDatabaseEncoding() } as pg_sys::pg_enc::Type {
        pg_sys::pg_enc::PG_UTF8 => true,
        pg_sys::pg_enc::PG_SQL_ASCII => std::str::from_utf8(bytes).is_ok(),
        _ => bytes.is_ascii(),
    };
    if !readable {
        ErrorReport::new(
            PgSqlErrorCode::ERRCODE_CHARACTER_NOT_IN_REPERTOIRE,
            format!("{MESSAGE_PREFIX}a note is not text the engine can read in this database's encoding"),
            "clinical_ner",
        )
        .set_hint(
            "The engine reads UTF-8: in a SQL_ASCII database notes must be UTF-8, in a single-byte \
             encoding such as LATIN1 only ASCII; a UTF8 database takes every note.",
        )
        .report(PgLogLevel::ERROR);
    }
}
