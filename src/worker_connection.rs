//! A backend's connection to the shared inference worker, kept open between calls.
//!
//! Every failure here means "no answer": the caller then runs the model itself, so a worker that is
//! switched off, not started yet, busy with another model, restarting or gone changes where
//! inference runs, never what a query returns. A cancel while waiting raises the cancel error and
//! drops the connection, whose next frame could be the abandoned answer.

use std::cell::RefCell;
use std::path::PathBuf;

use clinical_ner_engine::linking::LinkedEntity;
use clinical_ner_shared_inference::{Client, ModelKey, Request, Response, WorkerStatus};

use crate::{inference_worker, settings};

thread_local! {
    static CONNECTION: RefCell<Option<Client>> = const { RefCell::new(None) };
}

/// The entities of `notes` from the worker, with codes from the vocabulary folder `link_with` when
/// given, or `None` when the worker gives no answer. The flag is false when the worker lacks that
/// vocabulary and left the codes out.
pub fn extract(
    notes: &[&str],
    link_with: Option<PathBuf>,
) -> Option<(Vec<Vec<LinkedEntity>>, bool)> {
    // Checked before the notes are copied into a request: without a worker, a call costs nothing here.
    if !inference_worker::registered() || !settings::use_inference_worker() {
        return None;
    }
    let (folder, options) = settings::current();
    let request = Request::Extract {
        model: ModelKey::new(&folder, &options),
        notes: notes.iter().map(|note| note.to_string()).collect(),
        link_with,
    };
    match call(&request)? {
        Response::Entities { entities, linked } if entities.len() == notes.len() => {
            Some((entities, linked))
        }
        _ => None,
    }
}

/// Whether the worker would serve this session: the same model folder, device setting and ONNX
/// Runtime library, and `clinical_ner.use_inference_worker` on.
pub fn serves_this_session(status: &WorkerStatus) -> bool {
    let (folder, options) = settings::current();
    settings::use_inference_worker() && status.model == ModelKey::new(&folder, &options)
}

/// What the worker serves and has done, or `None` when it does not answer.
pub fn status() -> Option<WorkerStatus> {
    match call(&Request::Status)? {
        Response::Status(status) => Some(status),
        _ => None,
    }
}

fn call(request: &Request) -> Option<Response> {
    if !inference_worker::registered() {
        return None;
    }
    let mut wait = || {
        pgrx::check_for_interrupts!();
    };
    // A kept connection may be to a worker that has restarted since: one fresh try then.
    if let Some(mut kept) = CONNECTION.take() {
        if let Ok(response) = kept.call(request, &mut wait) {
            CONNECTION.set(Some(kept));
            return Some(response);
        }
    }
    let mut fresh = Client::connect(&settings::inference_worker_socket()).ok()?;
    let response = fresh.call(request, &mut wait).ok()?;
    CONNECTION.set(Some(fresh));
    Some(response)
}
