//! The server: one extractor at a time, one inference thread, a thread per connection.
//! [`Server::replace_model`] hands the inference thread another extractor, which it switches to
//! between engine calls.
//!
//! Connection threads only read requests and write responses; every extraction goes through a queue
//! to the inference thread, which takes the first waiting request and then every other request
//! already waiting, up to [`BatchPolicy::max_notes`] notes, and extracts them in one engine call.
//! Nothing waits on purpose to gather a batch: a lone session gets its answer as soon as the model
//! is free, and batches form exactly when sessions would otherwise queue.
//!
//! A request whose client has hung up (a cancelled statement, a terminated backend) is dropped before
//! its engine call, and an engine call whose clients have all hung up stops at its next inference run:
//! work nobody waits for is not done, and a long note abandoned by its session does not hold every
//! other session up.
//!
//! Whether notes of different requests share an ONNX Runtime run is the engine's decision (see
//! `clinical_ner_engine::extractor`): for a model whose results would depend on their neighbours
//! each note still runs alone, and the answer equals the one the session would compute itself.

use std::fs;
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, RwLock};
use std::thread::{self, JoinHandle};

use clinical_ner_engine::linking::{link_all, Vocabulary};
use clinical_ner_engine::{Entity, Extractor, ModelInfo};

use crate::protocol::{read_frame, write_frame, ModelKey, Request, Response, WorkerStatus};

const INFERENCE_THREAD: &str = "clinical_ner inference";
const ACCEPT_THREAD: &str = "clinical_ner accept";
const CONNECTION_THREAD: &str = "clinical_ner connection";

/// Makes a panic in a server thread print only its thread and place, never its message: a panic
/// message can quote the text it failed on (str slicing does), and a server's standard error is the
/// database server's log, which must hold no note text. The engine call that panicked is already
/// caught and answered as a failure. Panics of other threads go to the hook in place before.
pub fn log_panics_without_their_messages() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let thread = std::thread::current();
        match thread.name() {
            Some(name @ (INFERENCE_THREAD | ACCEPT_THREAD | CONNECTION_THREAD)) => {
                let place = info
                    .location()
                    .map(|l| format!("{}:{}", l.file(), l.line()))
                    .unwrap_or_else(|| "an unknown place".to_string());
                eprintln!(
                    "thread '{name}' panicked at {place} (message withheld: it may quote a note)"
                );
            }
            _ => previous(info),
        }
    }));
}

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
    work: Sender<Work>,
    inference: JoinHandle<()>,
    accept: JoinHandle<()>,
}

/// What the inference thread is handed, in order.
enum Work {
    Extract(Job),
    /// Serve this model from now on.
    Replace(Box<Extractor>, Arc<Model>),
}

struct Job {
    /// The model the request was accepted for: a job that finds another one loaded gets no answer.
    model: Arc<Model>,
    notes: Vec<String>,
    /// The note's entities, or `None` when the engine failed (or the client is gone).
    reply: Sender<Option<Vec<Vec<Entity>>>>,
    /// The connection the request came on, to see whether its client is still there.
    client: UnixStream,
}

impl Job {
    /// Whether the client has closed its end: it gave up on the answer.
    fn client_gone(&self) -> bool {
        let mut poll = libc::pollfd {
            fd: self.client.as_raw_fd(),
            events: libc::POLLRDHUP,
            revents: 0,
        };
        // SAFETY: one valid pollfd, owned by this frame; a zero timeout never blocks.
        let ready = unsafe { libc::poll(&mut poll, 1, 0) };
        ready > 0 && poll.revents & (libc::POLLRDHUP | libc::POLLHUP | libc::POLLERR) != 0
    }
}

#[derive(Default)]
struct Counters {
    connections: AtomicU64,
    requests: AtomicU64,
    notes: AtomicU64,
    engine_runs: AtomicU64,
    failed_runs: AtomicU64,
    abandoned_requests: AtomicU64,
}

/// The model being served: the key sessions must ask for, what it is, and the vocabulary it links
/// with (its folder and terms). Linking runs in the connection threads, so that the inference thread
/// only ever runs the model.
struct Model {
    key: ModelKey,
    info: ModelInfo,
    vocabulary: Option<(PathBuf, Vocabulary)>,
}

/// What every thread shares.
struct Served {
    /// Replaced by the inference thread when it switches models.
    model: RwLock<Arc<Model>>,
    max_notes: AtomicUsize,
    counters: Counters,
}

impl Served {
    fn model(&self) -> Arc<Model> {
        Arc::clone(
            &self
                .model
                .read()
                .expect("no thread panics holding the lock"),
        )
    }

    fn status(&self) -> WorkerStatus {
        let count = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let model = self.model();
        WorkerStatus {
            pid: std::process::id(),
            model: model.key.clone(),
            info: model.info.clone(),
            vocabulary: model.vocabulary.as_ref().map(|(folder, _)| folder.clone()),
            max_batch_notes: self.max_notes.load(Ordering::Relaxed),
            connections: count(&self.counters.connections),
            requests: count(&self.counters.requests),
            notes: count(&self.counters.notes),
            engine_runs: count(&self.counters.engine_runs),
            failed_runs: count(&self.counters.failed_runs),
            abandoned_requests: count(&self.counters.abandoned_requests),
        }
    }
}

impl Model {
    /// The response for `entities`, with their codes when the request asked for them and the
    /// worker has that vocabulary.
    fn link(&self, entities: Vec<Vec<Entity>>, link_with: Option<&Path>) -> Response {
        let (vocabulary, linked) = match (link_with, &self.vocabulary) {
            (None, _) => (None, true),
            (Some(wanted), Some((folder, vocabulary))) if wanted == folder => {
                (Some(vocabulary), true)
            }
            (Some(_), _) => (None, false),
        };
        Response::Entities {
            entities: entities
                .into_iter()
                .map(|note| link_all(note, vocabulary))
                .collect(),
            linked,
        }
    }
}

impl Server {
    /// Listens on `socket` (replacing a socket file a previous server left behind; refusing to
    /// replace anything else) with permissions for the owner only, and serves `model` from
    /// `extractor`, which was loaded for that key, and codes from `vocabulary` (its folder and terms).
    pub fn start(
        socket: &Path,
        extractor: Extractor,
        model: ModelKey,
        vocabulary: Option<(PathBuf, Vocabulary)>,
        policy: BatchPolicy,
    ) -> io::Result<Server> {
        remove_stale_socket(socket)?;
        let listener = UnixListener::bind(socket)?;
        fs::set_permissions(socket, fs::Permissions::from_mode(0o700))?;
        let served = Arc::new(Served {
            model: RwLock::new(Model::new(&extractor, model, vocabulary)),
            max_notes: AtomicUsize::new(policy.max_notes.max(1)),
            counters: Counters::default(),
        });
        let (work, queue) = mpsc::channel::<Work>();
        let inference = {
            let served = Arc::clone(&served);
            thread::Builder::new()
                .name(INFERENCE_THREAD.into())
                .spawn(move || run_inference(extractor, queue, &served))?
        };
        let accept = {
            let (served, work) = (Arc::clone(&served), work.clone());
            thread::Builder::new()
                .name(ACCEPT_THREAD.into())
                .spawn(move || accept_connections(listener, work, served))?
        };
        Ok(Server {
            socket: socket.to_path_buf(),
            served,
            work,
            inference,
            accept,
        })
    }

    /// False once the inference or the accept thread has ended, which only a bug can cause: the
    /// owner should then exit and be restarted.
    pub fn is_serving(&self) -> bool {
        !self.inference.is_finished() && !self.accept.is_finished()
    }

    /// Serves another model from the engine call after the ones already waiting: `extractor`, loaded
    /// for `key`, with codes from `vocabulary`. Requests for the old key are declined from then on.
    pub fn replace_model(
        &self,
        extractor: Extractor,
        key: ModelKey,
        vocabulary: Option<(PathBuf, Vocabulary)>,
    ) {
        let model = Model::new(&extractor, key, vocabulary);
        // A send fails only when the inference thread has ended, which is_serving reports.
        let _ = self.work.send(Work::Replace(Box::new(extractor), model));
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

impl Model {
    fn new(
        extractor: &Extractor,
        key: ModelKey,
        vocabulary: Option<(PathBuf, Vocabulary)>,
    ) -> Arc<Model> {
        Arc::new(Model {
            key,
            info: extractor.info().clone(),
            vocabulary,
        })
    }
}

fn accept_connections(listener: UnixListener, work: Sender<Work>, served: Arc<Served>) {
    for stream in listener.incoming() {
        // A failed accept (a client that gave up, too many open files) affects that client only.
        let Ok(stream) = stream else { continue };
        let work = work.clone();
        let served = Arc::clone(&served);
        served.counters.connections.fetch_add(1, Ordering::Relaxed);
        let spawned = thread::Builder::new()
            .name(CONNECTION_THREAD.into())
            .spawn(move || serve_connection(stream, &work, &served));
        // Without a thread the stream is dropped, and the client extracts its notes itself.
        drop(spawned);
    }
}

/// Answers one connection's requests in order until it closes. Any error ends the connection
/// only: the client treats a lost connection as "no worker" and extracts its notes itself.
fn serve_connection(mut stream: UnixStream, work: &Sender<Work>, served: &Served) {
    while let Ok(Some(request)) = read_frame::<Request>(&mut stream, &mut || {}) {
        let response = match request {
            Request::Status => Response::Status(served.status()),
            Request::Extract {
                model: wanted,
                notes,
                link_with,
            } => {
                let model = served.model();
                if wanted != model.key {
                    Response::OtherModel
                } else {
                    served.counters.requests.fetch_add(1, Ordering::Relaxed);
                    let (reply, answer) = mpsc::channel();
                    let Ok(client) = stream.try_clone() else {
                        return;
                    };
                    let job = Job {
                        model: Arc::clone(&model),
                        notes,
                        reply,
                        client,
                    };
                    if work.send(Work::Extract(job)).is_err() {
                        return;
                    }
                    match answer.recv() {
                        Ok(Some(entities)) => model.link(entities, link_with.as_deref()),
                        Ok(None) => Response::Failed,
                        Err(_) => return,
                    }
                }
            }
        };
        if write_frame(&mut stream, &response, &mut || {}).is_err() {
            return;
        }
    }
}

fn run_inference(mut extractor: Extractor, queue: Receiver<Work>, served: &Served) {
    let mut model = served.model();
    // A replacement that arrived while a batch was being gathered waits for that batch to run.
    let mut pending: Option<Work> = None;
    while let Some(first) = pending.take().or_else(|| queue.recv().ok()) {
        let max_notes = served.max_notes.load(Ordering::Relaxed);
        let mut batch = Vec::new();
        let mut notes = 0;
        let waiting = std::iter::once(first).chain(std::iter::from_fn(|| queue.try_recv().ok()));
        for work in waiting {
            let job = match work {
                Work::Replace(new_extractor, new_model) if batch.is_empty() => {
                    extractor = *new_extractor;
                    model = new_model;
                    *served
                        .model
                        .write()
                        .expect("no thread panics holding the lock") = Arc::clone(&model);
                    continue;
                }
                replace @ Work::Replace(..) => {
                    pending = Some(replace);
                    break;
                }
                Work::Extract(job) => job,
            };
            if job.client_gone() {
                served
                    .counters
                    .abandoned_requests
                    .fetch_add(1, Ordering::Relaxed);
                // Its connection thread finds the client gone when it writes, and ends.
                let _ = job.reply.send(None);
                continue;
            }
            if job.model.key != model.key {
                // Accepted for the model just replaced: the session runs its own.
                let _ = job.reply.send(None);
                continue;
            }
            notes += job.notes.len();
            batch.push(job);
            if notes >= max_notes {
                break;
            }
        }
        if batch.is_empty() {
            continue;
        }
        let outcome = extract_batch(&mut extractor, &batch);
        served.counters.engine_runs.fetch_add(1, Ordering::Relaxed);
        served
            .counters
            .notes
            .fetch_add(notes as u64, Ordering::Relaxed);
        match outcome {
            BatchOutcome::Done(mut entities) => {
                for job in batch.into_iter().rev() {
                    let own = entities.split_off(entities.len() - job.notes.len());
                    let _ = job.reply.send(Some(own));
                }
                continue;
            }
            BatchOutcome::Abandoned => served
                .counters
                .abandoned_requests
                .fetch_add(batch.len() as u64, Ordering::Relaxed),
            BatchOutcome::Failed => served.counters.failed_runs.fetch_add(1, Ordering::Relaxed),
        };
        for job in batch {
            let _ = job.reply.send(None);
        }
    }
}

enum BatchOutcome {
    /// The entities of every note of the batch, in order.
    Done(Vec<Vec<Entity>>),
    /// Every client of the batch hung up while it ran, so it was dropped between inference runs.
    Abandoned,
    /// The engine failed or panicked.
    Failed,
}

fn extract_batch(extractor: &mut Extractor, batch: &[Job]) -> BatchOutcome {
    let notes: Vec<&str> = batch
        .iter()
        .flat_map(|job| job.notes.iter().map(String::as_str))
        .collect();
    // A long note abandoned by its session (a cancel, a timeout) must not hold every other session up.
    let mut everyone_gone = || batch.iter().all(Job::client_gone);
    let run = catch_unwind(AssertUnwindSafe(|| {
        extractor.extract_many_unless(&notes, &mut everyone_gone)
    }));
    match run {
        Ok(Ok(Some(entities))) => BatchOutcome::Done(entities),
        Ok(Ok(None)) => BatchOutcome::Abandoned,
        Ok(Err(_)) | Err(_) => BatchOutcome::Failed,
    }
}
