//! Notes as the SQL functions receive them, checked by the extension itself before any other code
//! reads them: the size limit (`clinical_ner.max_note_size`) and the encoding.
//!
//! A note arrives in the database's encoding; the engine reads UTF-8. pgrx would check a `&str`
//! argument itself, but its failure is a panic with pgrx's own message, which the extension's log hook
//! does not recognise, so the server would log the statement, note literal and all (with the default
//! `log_min_error_statement`). [`NoteText`] takes the argument as raw bytes so that every check here
//! raises the extension's own ERROR, whose statement the hook keeps out of the log. The elements of a
//! `text[]` go through the same [`checked`].

use pgrx::callconv::{Arg, ArgAbi};
use pgrx::pg_sys;
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::pgrx_sql_entity_graph::metadata::{
    ArgumentError, ReturnsError, ReturnsRef, SqlMappingRef, SqlTranslatable, TypeOrigin,
};
use pgrx::prelude::*;

use crate::errors::{MESSAGE_PREFIX, OWN_ERRORS};
use crate::settings;

/// A `text` argument holding a note, not yet checked.
pub struct NoteText<'a>(&'a [u8]);

impl<'a> NoteText<'a> {
    /// The note, once it is within the size limit and text the engine can read; otherwise the
    /// extension's own ERROR, naming no note text.
    pub fn read(self) -> &'a str {
        checked(self.0)
    }
}

impl FromDatum for NoteText<'_> {
    unsafe fn from_polymorphic_datum(
        datum: pg_sys::Datum,
        is_null: bool,
        typoid: pg_sys::Oid,
    ) -> Option<Self> {
        // SAFETY: the caller's contract; a text datum is a varlena like bytea.
        unsafe { <&[u8]>::from_polymorphic_datum(datum, is_null, typoid) }.map(NoteText)
    }
}

// SAFETY: the argument is a text datum (the SQL signature says so), read as FromDatum reads it.
unsafe impl<'fcx> ArgAbi<'fcx> for NoteText<'fcx> {
    unsafe fn unbox_arg_unchecked(arg: Arg<'_, 'fcx>) -> Self {
        let index = arg.index();
        unsafe { arg.unbox_arg_using_from_datum() }
            .unwrap_or_else(|| panic!("argument {index} must not be null"))
    }
}

// SAFETY: a NoteText is a text argument and is never returned.
unsafe impl SqlTranslatable for NoteText<'_> {
    const TYPE_IDENT: &'static str = pgrx::pgrx_resolved_type!(NoteText<'static>);
    const TYPE_ORIGIN: TypeOrigin = TypeOrigin::External;
    const ARGUMENT_SQL: Result<SqlMappingRef, ArgumentError> = Ok(SqlMappingRef::literal("TEXT"));
    const RETURN_SQL: Result<ReturnsRef, ReturnsError> = Err(ReturnsError::Datum);
}

/// `note` as text the engine can read: within `clinical_ner.max_note_size` and, in a database whose
/// encoding is not UTF-8, valid UTF-8 (SQL_ASCII) or plain ASCII (single-byte encodings such as LATIN1,
/// whose other characters differ from UTF-8). Otherwise the extension's own ERROR.
pub fn checked(note: &[u8]) -> &str {
    let limit = settings::max_note_bytes();
    if note.len() > limit {
        ErrorReport::new(
            PgSqlErrorCode::ERRCODE_PROGRAM_LIMIT_EXCEEDED,
            format!(
                "{MESSAGE_PREFIX}a note of {} bytes is over clinical_ner.max_note_size ({} bytes)",
                note.len(),
                limit
            ),
            OWN_ERRORS,
        )
        .set_hint(
            "A superuser can raise clinical_ner.max_note_size; populate_entities marks such a row with \
             {\"error\", \"sqlstate\"} and goes on.",
        )
        .report(PgLogLevel::ERROR);
    }
    // SAFETY: reads a backend-global set at connection start.
    let readable = match unsafe { pg_sys::GetDatabaseEncoding() } as pg_sys::pg_enc::Type {
        pg_sys::pg_enc::PG_UTF8 => true,
        pg_sys::pg_enc::PG_SQL_ASCII => std::str::from_utf8(note).is_ok(),
        _ => note.is_ascii(),
    };
    if !readable {
        ErrorReport::new(
            PgSqlErrorCode::ERRCODE_CHARACTER_NOT_IN_REPERTOIRE,
            format!("{MESSAGE_PREFIX}a note is not text the engine can read in this database's encoding"),
            OWN_ERRORS,
        )
        .set_hint(
            "The engine reads UTF-8: in a SQL_ASCII database notes must be UTF-8, in a single-byte \
             encoding such as LATIN1 only ASCII; a UTF8 database takes every note.",
        )
        .report(PgLogLevel::ERROR);
    }
    // A UTF8 database holds only valid UTF-8, and the other cases were checked above.
    std::str::from_utf8(note).unwrap_or_else(|_| unreachable!("checked above"))
}
