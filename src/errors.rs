//! Engine errors as PostgreSQL errors: a message naming the file or setting at fault, a hint, an
//! SQLSTATE a client can branch on. Never note text: the engine's errors carry none, and the log
//! hook below keeps the server from adding the statement (which may hold a note literal) to the log.

use std::ffi::CStr;

use clinical_ner_engine::linking::DAMAGED_INDEX;
use clinical_ner_engine::Error;
use pgrx::pg_sys;
use pgrx::pg_sys::panic::{CaughtError, ErrorReport, ErrorReportWithLevel};
use pgrx::prelude::*;

pub const MESSAGE_PREFIX: &str = "clinical_ner: ";
/// The function name every error of the extension carries; a user's `RAISE` cannot set it, so the log
/// hook tells the extension's errors from a user's message that happens to start with the prefix.
pub const OWN_ERRORS: &str = "clinical_ner";

pub fn report(error: Error) -> ! {
    let code = match &error {
        Error::Library { .. }
        | Error::LibraryAlreadyLoaded { .. }
        | Error::ModelFile { .. }
        | Error::Vocabulary { .. }
        | Error::Rules { .. } => PgSqlErrorCode::ERRCODE_CONFIG_FILE_ERROR,
        Error::Manifest { .. }
        | Error::Checksum { .. }
        | Error::Mismatch { .. }
        | Error::Onnx { .. } => PgSqlErrorCode::ERRCODE_DATA_CORRUPTED,
        Error::DeviceUnavailable { .. } | Error::UnknownDevice(_) => {
            PgSqlErrorCode::ERRCODE_FEATURE_NOT_SUPPORTED
        }
        Error::Tokenize => PgSqlErrorCode::ERRCODE_DATA_EXCEPTION,
        Error::OutOfMemory => PgSqlErrorCode::ERRCODE_OUT_OF_MEMORY,
        Error::Inference { .. } => PgSqlErrorCode::ERRCODE_EXTERNAL_ROUTINE_EXCEPTION,
    };
    ErrorReport::new(code, format!("{MESSAGE_PREFIX}{error}"), OWN_ERRORS)
        .set_hint(hint(&error))
        .report(PgLogLevel::ERROR);
    unreachable!("an ERROR does not return")
}

/// What the person who sees the error can do about it, in this extension's terms (its settings):
/// the engine knows nothing of PostgreSQL.
fn hint(error: &Error) -> &'static str {
    match error {
        Error::Library { .. } => {
            "Set clinical_ner.onnxruntime_library to the absolute path of libonnxruntime.so (1.31 or newer)."
        }
        Error::LibraryAlreadyLoaded { .. } => {
            "A process loads ONNX Runtime once: reconnect for a changed clinical_ner.onnxruntime_library to take effect."
        }
        Error::ModelFile { .. } | Error::Manifest { .. } => {
            "Set clinical_ner.model_path to a model folder holding manifest.json, model.onnx and tokenizer.json."
        }
        Error::Checksum { .. } | Error::Mismatch { .. } | Error::Onnx { .. } => {
            "The model folder is damaged or mixes files of different models: reinstall the model folder."
        }
        Error::DeviceUnavailable { .. } => {
            "Set clinical_ner.device to 'cpu', or to 'auto' to use a GPU only where one works; CUDA needs the libraries that the README's GPU section lists."
        }
        Error::UnknownDevice(_) => "Use one of: cpu, cuda, auto.",
        Error::Vocabulary { .. } => {
            "Set clinical_ner.vocabulary_path to a folder built by `clinical-ner-train vocabulary` (index.bin, manifest.json), or to '' for entities without codes."
        }
        Error::Rules { .. } => {
            "Fix the named file or line of the site rule folder, or set clinical_ner.rules_path to '' for the built-in rules alone."
        }
        Error::Tokenize => "The note could not be split into tokens; check that it is valid text.",
        Error::Inference { .. } => "Retry; if it persists, try clinical_ner.device = 'cpu' and report the model version.",
        Error::OutOfMemory => "Extract a shorter note, or give the server more memory; other notes are not affected.",
    }
}

/// An argument the extension cannot use, as SQLSTATE 22023. `message` must not quote the argument: it
/// may be note text or a mention.
pub fn invalid_parameter(message: &str) -> ! {
    ErrorReport::new(
        PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
        format!("{MESSAGE_PREFIX}{message}"),
        OWN_ERRORS,
    )
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
    // The one panic that quotes nothing and says what to do: a vocabulary index damaged inside, found
    // when a lookup reads the damaged table (loading checks only the tables' bounds).
    let message = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied());
    let damaged_index = message == Some(DAMAGED_INDEX);
    drop(payload);
    after_panic();
    if damaged_index {
        ErrorReport::new(
            PgSqlErrorCode::ERRCODE_DATA_CORRUPTED,
            format!("{MESSAGE_PREFIX}{DAMAGED_INDEX}"),
            OWN_ERRORS,
        )
        .set_hint("Rebuild the vocabulary folder with `clinical-ner-train vocabulary` (scripts/setup.sh does), or set clinical_ner.vocabulary_path to '' for entities without codes.")
        .report(PgLogLevel::ERROR);
    }
    ErrorReport::new(
        PgSqlErrorCode::ERRCODE_INTERNAL_ERROR,
        format!(
            "{MESSAGE_PREFIX}internal error in the engine; its message is withheld because it can quote the note"
        ),
        OWN_ERRORS,
    )
    .set_hint("Report the model version and the note's length (never its text); other notes are not affected.")
    .report(PgLogLevel::ERROR);
    unreachable!("an ERROR does not return")
}

static mut PREVIOUS_EMIT_LOG_HOOK: pg_sys::emit_log_hook_type = None;

pub fn install_log_hook() {
    // pgrx attaches a Rust backtrace to the DETAIL of an error it passes through (a cancel raised
    // inside the engine's interrupt check, say) whenever the server's environment has RUST_BACKTRACE
    // set: clients would get one on every cancel. RUST_LIB_BACKTRACE governs only those captures, not
    // the backtrace of a crash report.
    std::env::set_var("RUST_LIB_BACKTRACE", "0");
    // SAFETY: called once from _PG_init, in the process's only thread that touches PostgreSQL.
    unsafe {
        PREVIOUS_EMIT_LOG_HOOK = pg_sys::emit_log_hook;
        pg_sys::emit_log_hook = Some(hide_statement_of_own_errors);
    }
}

/// With the default `log_min_error_statement = error`, the server logs the failing statement after
/// the message; for our errors that statement may be `SELECT extract_entities('<note>')`. Only the
/// extension's own errors (its function name, which `RAISE` cannot set) are hidden.
#[pg_guard]
unsafe extern "C-unwind" fn hide_statement_of_own_errors(error: *mut pg_sys::ErrorData) {
    if let Some(error) = error.as_mut() {
        let own = !error.funcname.is_null()
            && CStr::from_ptr(error.funcname).to_bytes() == OWN_ERRORS.as_bytes()
            && !error.message.is_null()
            && CStr::from_ptr(error.message)
                .to_bytes()
                .starts_with(MESSAGE_PREFIX.as_bytes());
        if own {
            error.hide_stmt = true;
            error.hide_ctx = true;
        }
    }
    if let Some(previous) = PREVIOUS_EMIT_LOG_HOOK {
        previous(error);
    }
}
