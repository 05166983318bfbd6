//! One model shared by many database sessions, with no PostgreSQL in sight.
//!
//! A [`server::Server`] owns one [`clinical_ner_engine::Extractor`] (and, optionally, one linking
//! vocabulary) and listens on a Unix socket;
//! each connection's requests go to a single inference thread, which gathers whatever requests are
//! waiting from all connections into one call of the engine (cross-session batching). A
//! [`client::Client`] sends a session's notes and waits for the entities, giving its caller a chance
//! to cancel while it waits. [`protocol`] holds the messages and their framing.
//!
//! The extension runs the server in a background worker and the client in each backend; a backend
//! that gets no answer runs the model itself, so the worker changes where inference runs, never
//! what it returns.

pub mod client;
pub mod protocol;
pub mod server;

pub use client::Client;
pub use protocol::{ModelKey, Request, Response, WorkerStatus};
pub use server::{log_panics_without_their_messages, BatchPolicy, Server};
