//! The shared inference worker: a background worker that loads the model once and serves every
//! backend's notes over a Unix socket (see `clinical_ner_shared_inference`), so that many
//! connections share one model in memory and, on a GPU, one CUDA context.
//!
//! It is registered only from `shared_preload_libraries` with `clinical_ner.inference_worker = on`,
//! and loads the model in its own process, never in the postmaster (threads and CUDA contexts do not
//! survive `fork`). It also loads the linking vocabulary, so that sessions asking for codes need no
//! copy of their own. A worker that cannot load the model says so in the log and serves nobody:
//! backends then run the model themselves, as they do whenever the worker does not answer. A reload
//! (`pg_reload_conf()`) that names another model, device or vocabulary switches the worker to them.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use clinical_ner_engine::linking::Vocabulary;
use clinical_ner_engine::{load_model, Extractor, RuntimeOptions};
use clinical_ner_shared_inference::{
    log_panics_without_their_messages, BatchPolicy, ModelKey, Server,
};
use pgrx::bgworkers::{
    BackgroundWorker, BackgroundWorkerBuilder, BgWorkerStartTime, SignalWakeFlags,
};
use pgrx::prelude::*;

use crate::settings;

/// Set in the postmaster when it registers the worker; backends inherit it through `fork`.
static REGISTERED: AtomicBool = AtomicBool::new(false);

/// Registers the worker when the server is starting with the library preloaded and the setting on.
pub fn register() {
    // SAFETY: a plain read of a flag PostgreSQL sets while it loads shared_preload_libraries.
    let preloading = unsafe { pg_sys::process_shared_preload_libraries_in_progress };
    if !preloading || !settings::inference_worker_enabled() {
        return;
    }
    REGISTERED.store(true, Ordering::Relaxed);
    BackgroundWorkerBuilder::new("clinical_ner inference worker")
        .set_type("clinical_ner inference worker")
        .set_library("clinical_ner")
        .set_function("clinical_ner_inference_worker_main")
        .set_start_time(BgWorkerStartTime::PostmasterStart)
        .set_restart_time(Some(Duration::from_secs(5)))
        .load();
}

/// Whether this server runs the worker, so that a backend should try it.
pub fn registered() -> bool {
    REGISTERED.load(Ordering::Relaxed)
}

#[pg_guard]
#[unsafe(no_mangle)]
pub extern "C-unwind" fn clinical_ner_inference_worker_main(_argument: pg_sys::Datum) {
    BackgroundWorker::attach_signal_handlers(SignalWakeFlags::SIGHUP | SignalWakeFlags::SIGTERM);
    log_panics_without_their_messages();
    let socket = settings::inference_worker_socket();
    let policy = BatchPolicy {
        max_notes: settings::inference_worker_max_batch(),
    };
    let server = match load_wanted() {
        Ok(wanted) => {
            let (description, key) = (wanted.describe(), wanted.key());
            Server::start(&socket, wanted.extractor, key, wanted.vocabulary, policy)
                .map(|server| (server, description, wanted.settings))
                .map_err(|error| format!("cannot listen on {}: {error}", socket.display()))
        }
        Err(reason) => Err(reason),
    };
    let (server, description, mut serving) = match server {
        Ok(started) => started,
        Err(reason) => {
            warning!("clinical_ner inference worker: {reason}; sessions run the model themselves");
            while BackgroundWorker::wait_latch(None) {}
            return;
        }
    };
    log!(
        "clinical_ner inference worker: serving {description} at {}, up to {} notes per engine call",
        socket.display(),
        policy.max_notes
    );
    while BackgroundWorker::wait_latch(Some(Duration::from_secs(1))) {
        if BackgroundWorker::sighup_received() {
            // SAFETY: the worker's main thread, between waits, as every PostgreSQL process reloads.
            unsafe { pg_sys::ProcessConfigFile(pg_sys::GucContext::PGC_SIGHUP) };
            server.set_policy(BatchPolicy {
                max_notes: settings::inference_worker_max_batch(),
            });
            // A reload that names another model, device or vocabulary switches the worker to it
            // without a restart; until the new one is loaded, the old one serves its sessions.
            if WantedSettings::current() != serving {
                match load_wanted() {
                    Ok(wanted) => {
                        log!(
                            "clinical_ner inference worker: now serving {}",
                            wanted.describe()
                        );
                        let key = wanted.key();
                        serving = wanted.settings;
                        server.replace_model(wanted.extractor, key, wanted.vocabulary);
                    }
                    Err(reason) => warning!(
                        "clinical_ner inference worker: {reason}; it keeps serving the model it has"
                    ),
                }
            }
        }
        if !server.is_serving() {
            server.remove_socket();
            // Exiting with an error makes the postmaster start a fresh worker.
            error!("clinical_ner inference worker: stopped serving; restarting");
        }
    }
    server.remove_socket();
}

/// The server-wide settings that decide what the worker loads.
#[derive(PartialEq)]
struct WantedSettings {
    model: PathBuf,
    options: RuntimeOptions,
    vocabulary: Option<PathBuf>,
}

impl WantedSettings {
    fn current() -> WantedSettings {
        let (model, options) = settings::current();
        WantedSettings {
            model,
            options,
            vocabulary: settings::vocabulary_folder(),
        }
    }
}

/// What the settings name, loaded.
struct Wanted {
    settings: WantedSettings,
    extractor: Extractor,
    vocabulary: Option<(PathBuf, Vocabulary)>,
}

impl Wanted {
    /// What sessions must ask for to be served this model.
    fn key(&self) -> ModelKey {
        ModelKey::new(&self.settings.model, &self.settings.options)
    }

    fn describe(&self) -> String {
        let info = self.extractor.info();
        let codes = match &self.vocabulary {
            Some((folder, _)) => format!("codes from {}", folder.display()),
            None => "no codes".to_string(),
        };
        format!(
            "{} {} ({}) on {}, {codes}",
            info.name,
            info.version,
            info.folder.display(),
            info.device
        )
    }
}

/// Loads the model and vocabulary the settings name. A vocabulary that fails to load is only a
/// warning: the worker still runs the model, and sessions link with their own vocabulary.
fn load_wanted() -> Result<Wanted, String> {
    let settings = WantedSettings::current();
    let extractor = load_model(&settings.model, &settings.options).map_err(|e| e.to_string())?;
    let vocabulary = settings.vocabulary.as_ref().and_then(|folder| {
        Vocabulary::load(folder)
            .map(|vocabulary| (folder.clone(), vocabulary))
            .map_err(|error| {
                warning!(
                    "clinical_ner inference worker: {error}; sessions link mentions themselves"
                )
            })
            .ok()
    });
    Ok(Wanted {
        settings,
        extractor,
        vocabulary,
    })
}
