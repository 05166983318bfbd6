//! Engine errors as PostgreSQL errors: a message naming the file or setting at fault, a hint, an
//! SQLSTATE a client can branch on. Never note text: the engine's errors carry none, and the log
//! hook below keeps the server from adding the statement (which may hold a note literal) to the log.

use std::ffi::CStr;

use clinical_ner_engine::Error;
use pgrx::pg_sys;
use pgrx::pg_sys::panic::{CaughtError, ErrorReport, ErrorReportWithLevel};
use pgrx::prelude::*;

pub const MESSAGE_PREFIX: &str = "clinical_ner: ";

pub fn report(error: Error) -> ! {
    let code = match &error {
        Error::Library { .. }
        | Error::LibraryAlreadyLoaded { .. }
        | Error::ModelFile { .. }
        | Error::Vocabulary { .. } => PgSqlErrorCode::ERRCODE_CONFIG_FILE_ERROR,
        Error::Manifest { .. }
        | Error::Checksum { .. }
        | Error::Mismatch { .. }
        | Error::Onnx { .. } => PgSqlErrorCode::ERRCODE_DATA_CORRUPTED,
        Error::DeviceUnavailable { .. } | Error::UnknownDevice(_) => {
            PgSqlErrorCode::ERRCODE_FEATURE_NOT_SUPPORTED
        }
        Error::Tokenize => PgSqlErrorCode::ERRCODE_DATA_EXCEPTION,
        Error::Inference { .. } => PgSqlErrorCode::ERRCODE_EXTERNAL_ROUTINE_EXCEPTION,
    };
    ErrorReport::new(code, format!("{MESSAGE_PREFIX}{error}"), "clinical_ner")
        .set_hint(error.hint())
        .report(PgLogLevel::ERROR);
    unreachable!("an ERROR does not return")
}

/// Runs `work`. A Rust panic in it, which only a bug causes, becomes the extension's own ERROR
/// without the panic's message, after `after_panic` has dropped whatever state the panic may have left
/// half-changed: a panic message can quote the note (str slicing does), and pgrx would put it in the
/// error the client and the server log see. PostgreSQL errors raised inside (a cancel, the
/// extension's own errors) pass through unchanged.
pub fn withholding_panic_messages<R>(work: impl FnOnce() -> R, after_panic: impl FnOnce()) -> R {
    let payload = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)) {
        Ok(result) => return result,
        Err(payload) => payload,
    };
    if payload.is::<CaughtError>()
        || payload.is::<ErrorReportWithLevel>()
        || payload.is::<ErrorReport>()
    {
        std::panic::resume_unwind(payload);
    }
    drop(payload);
    after_panic();
    ErrorReport::new(
        PgSqlErrorCode::ERRCODE_INTERNAL_ERROR,
        format!(
            "{MESSAGE_PREFIX}internal error in the engine; its message is withheld because it can quote the note"
        ),
        "clinical_ner",
    )
    .set_hint("Report the model version and the note's length (never its text); other notes are not affected.")
    .report(PgLogLevel::ERROR);
    unreachable!("an ERROR does not return")
}

static mut PREVIOUS_EMIT_LOG_HOOK: pg_sys::emit_log_hook_type = None;

pub fn install_log_hook() {
    // SAFETY: called once from _PG_init, in the process's only thread that touches PostgreSQL.
    unsafe {
        PREVIOUS_EMIT_LOG_HOOK = pg_sys::emit_log_hook;
        pg_sys::emit_log_hook = Some(hide_statement_of_own_errors);
    }
}

/// With the default `log_min_error_statement = error`, the server logs the failing statement after
/// the message; for our errors that statement may be `SELECT extract_entities('<note>')`.
#[pg_guard]
unsafe extern "C-unwind" fn hide_statement_of_own_errors(error: *mut pg_sys::ErrorData) {
    if let Some(error) = error.as_mut() {
        if !error.message.is_null()
            && CStr::from_ptr(error.message)
                .to_bytes()
                .starts_with(MESSAGE_PREFIX.as_bytes())
        {
            error.hide_stmt = true;
            error.hide_ctx = true;
        }
    }
    if let Some(previous) = PREVIOUS_EMIT_LOG_HOOK {
        previous(error);
    }
}
