//! The server: one extractor, one inference thread, a thread per connection.
//!
//! Connection threads only read requests and write responses; every extraction goes through a queue
//! to the inference thread, which takes the first waiting request and then every other request
//! already waiting, up to [`BatchPolicy::max_notes`] notes, and extracts them in one engine call.
//! Nothing waits on purpose to gather a batch: a lone session gets its answer as soon as the model
//! is free, and batches form exactly when sessions would otherwise queue.
//!
//! Whether notes of different requests share an ONNX Runtime run is the engine's decision (see
//! `clinical_ner_engine::extractor`): for a model whose results would depend on their neighbours
//! each note still runs alone, and the answer equals the one the session would compute itself.

use std::fs;
use std::io;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;
use std::thread::{self, JoinHandle};

use clinical_ner_engine::{Entity, Extractor};

use crate::protocol::{read_frame, write_frame, ModelKey, Request, Response, WorkerStatus};

/// How the inference thread gathers requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchPolicy {
    /// The most notes one engine call takes from the waiting requests (a single request with more
    /// notes still goes whole); 1 serves each request on its own.
    pub max_notes: usize,
}

/// A running server. Dropping it leaves the threads running: the process that owns it exits to
/// stop it (the worker's way), and the socket file is removed by [`Server::remove_socket`].
pub struct Server {
    socket: PathBuf,
    served: Arc<Served>,
    inference: JoinHandle<()>,
    accept: JoinHandle<()>,
}

struct Job {
    notes: Vec<String>,
    reply: Sender<Response>,
}

#[derive(Default)]
struct Counters {
    connections: AtomicU64,
    requests: AtomicU64,
    notes: AtomicU64,
    engine_runs: AtomicU64,
    failed_runs: AtomicU64,
}

/// What connection threads need to answer a status request.
struct Served {
    model: ModelKey,
    model_name: String,
    model_version: String,
    model_sha256: String,
    device: String,
    max_notes: AtomicUsize,
    counters: Counters,
}

impl Served {
    fn status(&self) -> WorkerStatus {
        let count = |c: &AtomicU64| c.load(Ordering::Relaxed);
        WorkerStatus {
            pid: std::process::id(),
            model: self.model.clone(),
            model_name: self.model_name.clone(),
            model_version: self.model_version.clone(),
            model_sha256: self.model_sha256.clone(),
            device: self.device.clone(),
            max_batch_notes: self.max_notes.load(Ordering::Relaxed),
            connections: count(&self.counters.connections),
            requests: count(&self.counters.requests),
            notes: count(&self.counters.notes),
            engine_runs: count(&self.counters.engine_runs),
            failed_runs: count(&self.counters.failed_runs),
        }
    }
}

impl Server {
    /// Listens on `socket` (replacing a socket file a previous server left behind; refusing to
    /// replace anything else) with permissions for the owner only, and serves `model` from
    /// `extractor`, which was loaded for that key.
    pub fn start(
        socket: &Path,
        extractor: Extractor,
        model: ModelKey,
        policy: BatchPolicy,
    ) -> io::Result<Server> {
        remove_stale_socket(socket)?;
        let listener = UnixListener::bind(socket)?;
        fs::set_permissions(socket, fs::Permissions::from_mode(0o700))?;
        let info = extractor.info();
        let served = Arc::new(Served {
            model,
            model_name: info.name.clone(),
            model_version: info.version.clone(),
            model_sha256: info.sha256.clone(),
            device: info.device.to_string(),
            max_notes: AtomicUsize::new(policy.max_notes.max(1)),
            counters: Counters::default(),
        });
        let (jobs, queue) = mpsc::channel::<Job>();
        let inference = {
            let served = Arc::clone(&served);
            thread::Builder::new()
                .name("inference".into())
                .spawn(move || run_inference(extractor, queue, &served))?
        };
        let accept = {
            let served = Arc::clone(&served);
            thread::Builder::new()
                .name("accept".into())
                .spawn(move || accept_connections(listener, jobs, served))?
        };
        Ok(Server {
            socket: socket.to_path_buf(),
            served,
            inference,
            accept,
        })
    }

    /// False once the inference or the accept thread has ended, which only a bug can cause: the
    /// owner should then exit and be restarted.
    pub fn is_serving(&self) -> bool {
        !self.inference.is_finished() && !self.accept.is_finished()
    }

    /// Applies a new policy to the engine calls that start from now on.
    pub fn set_policy(&self, policy: BatchPolicy) {
        self.served
            .max_notes
            .store(policy.max_notes.max(1), Ordering::Relaxed);
    }

    pub fn remove_socket(&self) {
        let _ = fs::remove_file(&self.socket);
    }
}

fn remove_stale_socket(socket: &Path) -> io::Result<()> {
    match fs::symlink_metadata(socket) {
        Ok(meta) if meta.file_type().is_socket() => fs::remove_file(socket),
        Ok(_) => Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{} exists and is not a socket", socket.display()),
        )),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

fn accept_connections(listener: UnixListener, jobs: Sender<Job>, served: Arc<Served>) {
    for stream in listener.incoming() {
        // A failed accept (a client that gave up, too many open files) affects that client only.
        let Ok(stream) = stream else { continue };
        let jobs = jobs.clone();
        let served = Arc::clone(&served);
        served.counters.connections.fetch_add(1, Ordering::Relaxed);
        let spawned = thread::Builder::new()
            .name("connection".into())
            .spawn(move || serve_connection(stream, &jobs, &served));
        // Without a thread the stream is dropped, and the client extracts its notes itself.
        drop(spawned);
    }
}

/// Answers one connection's requests in order until it closes. Any error ends the connection
/// only: the client treats a lost connection as "no worker" and extracts its notes itself.
fn serve_connection(mut stream: UnixStream, jobs: &Sender<Job>, served: &Served) {
    while let Ok(Some(request)) = read_frame::<Request>(&mut stream, &mut || {}) {
        let response = match request {
            Request::Status => Response::Status(served.status()),
            Request::Extract { model, .. } if model != served.model => Response::OtherModel,
            Request::Extract { notes, .. } => {
                served.counters.requests.fetch_add(1, Ordering::Relaxed);
                let (reply, answer) = mpsc::channel();
                if jobs.send(Job { notes, reply }).is_err() {
                    return;
                }
                match answer.recv() {
                    Ok(response) => response,
                    Err(_) => return,
                }
            }
        };
        if write_frame(&mut stream, &response, &mut || {}).is_err() {
            return;
        }
    }
}

fn run_inference(mut extractor: Extractor, queue: Receiver<Job>, served: &Served) {
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        let mut notes = batch[0].notes.len();
        let max_notes = served.max_notes.load(Ordering::Relaxed);
        while notes < max_notes {
            let Ok(job) = queue.try_recv() else { break };
            notes += job.notes.len();
            batch.push(job);
        }
        let results = extract_batch(&mut extractor, &batch);
        served.counters.engine_runs.fetch_add(1, Ordering::Relaxed);
        served
            .counters
            .notes
            .fetch_add(notes as u64, Ordering::Relaxed);
        match results {
            Some(mut entities) => {
                for job in batch.into_iter().rev() {
                    let own = entities.split_off(entities.len() - job.notes.len());
                    let _ = job.reply.send(Response::Entities(own));
                }
            }
            None => {
                served.counters.failed_runs.fetch_add(1, Ordering::Relaxed);
                for job in batch {
                    let _ = job.reply.send(Response::Failed);
                }
            }
        }
    }
}

/// The entities of every note of the batch, in order; `None` when the engine failed or panicked.
fn extract_batch(extractor: &mut Extractor, batch: &[Job]) -> Option<Vec<Vec<Entity>>> {
    let notes: Vec<&str> = batch
        .iter()
        .flat_map(|job| job.notes.iter().map(String::as_str))
        .collect();
    catch_unwind(AssertUnwindSafe(|| {
        extractor.extract_many(&notes, &mut || {})
    }))
    .ok()
    .and_then(Result::ok)
}
