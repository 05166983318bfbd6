//! The `clinical_ner` PostgreSQL extension: a thin adapter from SQL to `clinical_ner_engine`.
//!
//! [`settings`] defines the `clinical_ner.*` settings, [`backend_model`] keeps one model per backend
//! (loaded on first use, never in the postmaster), [`functions`] holds the SQL functions,
//! [`note_text`] checks every note (size limit, encoding) before the engine reads it, and [`errors`] turns
//! engine errors into PostgreSQL errors with a hint. [`inference_worker`] is the optional background
//! worker that serves one shared model to every backend, and [`worker_connection`] a backend's way to
//! it. No inference code lives here.

use pgrx::prelude::*;

mod backend_model;
mod backend_rules;
mod backend_vocabulary;
mod errors;
mod functions;
mod inference_worker;
mod note_text;
mod settings;
mod worker_connection;

::pgrx::pg_module_magic!(name, version);

#[pg_guard]
pub extern "C-unwind" fn _PG_init() {
    // Only settings here: the model and ONNX Runtime are loaded lazily in a backend, because threads
    // and CUDA contexts created in the postmaster do not survive fork().
    settings::define();
    errors::install_log_hook();
    inference_worker::register();
}
