//! The server with the real model and ONNX Runtime: answers equal the engine's own, requests of
//! concurrent clients are batched (or not, as the policy says), and a broken client harms nobody else.

use std::io::Write;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::Barrier;
use std::thread;

use clinical_ner_engine::{load_model, Device, Entity, Extractor, RuntimeOptions};
use clinical_ner_shared_inference::{
    BatchPolicy, Client, ModelKey, Request, Response, Server, WorkerStatus,
};

fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn model_folder() -> PathBuf {
    std::env::var_os("CLINICAL_NER_MODEL")
        .map(PathBuf::from)
        .unwrap_or_else(|| repository().join("models/clinical-ner-minilm"))
}

fn runtime_options() -> RuntimeOptions {
    let library = std::env::var_os("CLINICAL_NER_ORT_LIBRARY")
        .map(PathBuf::from)
        .unwrap_or_else(|| repository().join(".tools/onnxruntime/libonnxruntime.so.1.32.0"))
        .canonicalize()
        .expect("an ONNX Runtime library: run scripts/setup.sh");
    RuntimeOptions {
        library,
        device: Device::Cpu,
        intra_op_threads: 1,
    }
}

fn load() -> Extractor {
    load_model(&model_folder(), &runtime_options()).expect("the shipped model loads")
}

fn key() -> ModelKey {
    ModelKey::new(&model_folder(), &runtime_options())
}

const NOTES: [&str; 8] = [
    "Started metformin 500 mg twice daily for type 2 diabetes; denies chest pain.",
    "Took aspirin for a headache.",
    "History of asthma, uses albuterol inhaler as needed. Reports wheezing and shortness of breath.",
    "No fever. Lisinopril 10 mg daily for hypertension.",
    "Patient with rheumatoid arthritis on methotrexate reports nausea and fatigue.",
    "Warfarin held for atrial fibrillation; complains of dizziness.",
    "",
    "Fièvre et toux depuis 3 jours 😷; amoxicillin prescribed.",
];

/// A server on the real model, listening in a folder of its own that lives as long as the guard.
fn serve(policy: BatchPolicy) -> (tempfile::TempDir, PathBuf, Server) {
    let folder = tempfile::tempdir().unwrap();
    let socket = folder.path().join("inference.sock");
    let server = Server::start(&socket, load(), key(), None, policy).unwrap();
    (folder, socket, server)
}

fn extract(socket: &Path, notes: &[&str]) -> Response {
    let mut client = Client::connect(socket).expect("the server accepts");
    let request = Request::Extract {
        model: key(),
        notes: notes.iter().map(|n| n.to_string()).collect(),
        link_with: None,
    };
    client
        .call(&request, &mut || {})
        .expect("the server answers")
}

fn entities(response: Response) -> Vec<Vec<Entity>> {
    match response {
        Response::Entities { entities, linked } => {
            assert!(linked, "a request without codes is answered whole");
            entities
                .into_iter()
                .map(|note| note.into_iter().map(|linked| linked.entity).collect())
                .collect()
        }
        other => panic!("expected entities, got {other:?}"),
    }
}

fn status(socket: &Path) -> WorkerStatus {
    match Client::connect(socket)
        .unwrap()
        .call(&Request::Status, &mut || {})
        .unwrap()
    {
        Response::Status(status) => status,
        other => panic!("expected a status, got {other:?}"),
    }
}

/// A note long enough to keep the inference thread busy while the other clients queue.
fn long_note() -> String {
    NOTES.repeat(60).join(" ")
}

/// Eight clients at once, after one long request has the model busy: every answer equals the
/// engine's own; returns the server's counters.
fn eight_concurrent_clients(policy: BatchPolicy) -> WorkerStatus {
    let (_folder, socket, server) = serve(policy);
    let expected = load().extract_many(&NOTES, &mut || {}).unwrap();
    let long = long_note();
    let start = Barrier::new(NOTES.len() + 1);
    thread::scope(|scope| {
        scope.spawn(|| {
            start.wait();
            extract(&socket, &[long.as_str()]);
        });
        let answers: Vec<_> = NOTES
            .iter()
            .map(|note| {
                let (socket, start) = (&socket, &start);
                scope.spawn(move || {
                    start.wait();
                    thread::sleep(std::time::Duration::from_millis(20));
                    entities(extract(socket, &[note])).pop().unwrap()
                })
            })
            .collect();
        for (answer, expected) in answers.into_iter().zip(&expected) {
            assert_eq!(&answer.join().unwrap(), expected);
        }
    });
    assert!(server.is_serving());
    status(&socket)
}

#[test]
fn concurrent_requests_are_batched_and_answered_as_the_engine_answers() {
    let status = eight_concurrent_clients(BatchPolicy { max_notes: 64 });
    assert_eq!((status.requests, status.notes), (9, 9));
    assert!(
        status.engine_runs < status.requests,
        "no two requests shared an engine call: {status:?}"
    );
}

#[test]
fn a_batch_of_one_note_serves_each_request_alone() {
    let status = eight_concurrent_clients(BatchPolicy { max_notes: 1 });
    assert_eq!(status.engine_runs, status.requests, "{status:?}");
}

#[test]
fn a_request_of_many_notes_is_answered_in_order() {
    let (_folder, socket, _server) = serve(BatchPolicy { max_notes: 4 });
    let expected = load().extract_many(&NOTES, &mut || {}).unwrap();
    assert_eq!(entities(extract(&socket, &NOTES)), expected);
}

#[test]
fn another_model_is_declined_so_that_the_session_runs_its_own() {
    let (_folder, socket, _server) = serve(BatchPolicy { max_notes: 8 });
    let mut client = Client::connect(&socket).unwrap();
    let others = [
        ModelKey {
            folder: "/elsewhere".into(),
            ..key()
        },
        ModelKey {
            device: Device::Cuda,
            ..key()
        },
        ModelKey {
            library: "/other/libonnxruntime.so".into(),
            ..key()
        },
    ];
    for model in others {
        let request = Request::Extract {
            model,
            notes: vec![NOTES[0].into()],
            link_with: None,
        };
        assert!(matches!(
            client.call(&request, &mut || {}).unwrap(),
            Response::OtherModel
        ));
    }
    let status = status(&socket);
    assert_eq!((status.model, status.requests), (key(), 0));
}

#[test]
fn broken_and_vanishing_clients_do_not_stop_the_server() {
    let (_folder, socket, server) = serve(BatchPolicy { max_notes: 8 });
    // Garbage instead of a frame.
    UnixStream::connect(&socket)
        .unwrap()
        .write_all(b"\x05\x00\x00\x00PHI-M")
        .unwrap();
    // A length promising more than ever comes.
    UnixStream::connect(&socket)
        .unwrap()
        .write_all(&[0xff, 0xff, 0, 0, b'{'])
        .unwrap();
    // A request whose client is gone before the answer.
    {
        let mut client = Client::connect(&socket).unwrap();
        let request = Request::Extract {
            model: key(),
            notes: vec![long_note()],
            link_with: None,
        };
        let mut waited = false;
        let mut give_up = || {
            if !waited {
                waited = true;
                panic!("cancelled");
            }
        };
        let cancelled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            client.call(&request, &mut give_up)
        }));
        assert!(cancelled.is_err());
    }
    let expected = load().extract(NOTES[0]).unwrap();
    assert_eq!(entities(extract(&socket, &[NOTES[0]])), vec![expected]);
    assert!(server.is_serving());
}

#[test]
fn a_stale_socket_is_replaced_and_any_other_file_is_left_alone() {
    let folder = tempfile::tempdir().unwrap();
    let socket = folder.path().join("inference.sock");
    drop(std::os::unix::net::UnixListener::bind(&socket).unwrap());
    let server = Server::start(&socket, load(), key(), None, BatchPolicy { max_notes: 8 }).unwrap();
    assert_eq!(status(&socket).requests, 0);
    server.remove_socket();
    assert!(!socket.exists());

    let regular = folder.path().join("not-a-socket");
    std::fs::write(&regular, "data").unwrap();
    let refused = Server::start(&regular, load(), key(), None, BatchPolicy { max_notes: 8 });
    assert_eq!(
        refused.err().unwrap().kind(),
        std::io::ErrorKind::AlreadyExists
    );
    assert_eq!(std::fs::read_to_string(&regular).unwrap(), "data");
}

#[test]
fn a_request_whose_client_hung_up_while_waiting_is_not_run() {
    let (_folder, socket, _server) = serve(BatchPolicy { max_notes: 8 });
    let long = long_note();
    thread::scope(|scope| {
        let busy = scope.spawn(|| extract(&socket, &[long.as_str()]));
        thread::sleep(std::time::Duration::from_millis(200));
        let mut client = Client::connect(&socket).unwrap();
        let request = Request::Extract {
            model: key(),
            notes: vec![NOTES[0].into()],
            link_with: None,
        };
        let gave_up = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            client.call(&request, &mut || panic!("cancelled"))
        }));
        assert!(gave_up.is_err());
        drop(client);
        busy.join().unwrap();
    });
    let mut settled = status(&socket);
    for _ in 0..100 {
        if settled.abandoned_requests > 0 {
            break;
        }
        thread::sleep(std::time::Duration::from_millis(10));
        settled = status(&socket);
    }
    assert_eq!(
        (
            settled.requests,
            settled.engine_runs,
            settled.abandoned_requests
        ),
        (2, 1, 1),
        "{settled:?}"
    );
}

#[test]
fn codes_from_a_vocabulary_the_worker_lacks_are_left_to_the_session() {
    let (_folder, socket, _server) = serve(BatchPolicy { max_notes: 8 });
    let request = Request::Extract {
        model: key(),
        notes: vec![NOTES[0].into()],
        link_with: Some("/some/vocabulary".into()),
    };
    let response = Client::connect(&socket)
        .unwrap()
        .call(&request, &mut || {})
        .unwrap();
    match response {
        Response::Entities { entities, linked } => {
            assert!(!linked);
            assert!(!entities[0].is_empty());
            assert!(entities[0].iter().all(|linked| linked.link.is_none()));
        }
        other => panic!("expected entities, got {other:?}"),
    }
}

#[test]
fn a_long_note_whose_client_hung_up_stops_at_the_next_inference_run() {
    let (_folder, socket, _server) = serve(BatchPolicy { max_notes: 8 });
    let long = long_note();
    let mut client = Client::connect(&socket).unwrap();
    let request = Request::Extract {
        model: key(),
        notes: vec![long],
        link_with: None,
    };
    // The client gives up at its first wait, when the engine is already on the note.
    let gave_up = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        client.call(&request, &mut || panic!("cancelled"))
    }));
    assert!(gave_up.is_err());
    drop(client);
    assert_eq!(entities(extract(&socket, &[NOTES[0]])).len(), 1);
    let status = status(&socket);
    assert_eq!(
        (
            status.engine_runs,
            status.abandoned_requests,
            status.failed_runs
        ),
        (2, 1, 0),
        "{status:?}"
    );
}

#[test]
fn a_replaced_model_serves_its_own_key_and_declines_the_old_one() {
    let (_folder, socket, server) = serve(BatchPolicy { max_notes: 8 });
    let other = ModelKey {
        folder: "/models/next".into(),
        ..key()
    };
    server.replace_model(load(), other.clone(), None);
    for _ in 0..200 {
        if status(&socket).model == other {
            break;
        }
        thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(status(&socket).model, other);
    let mut client = Client::connect(&socket).unwrap();
    let ask = |model: ModelKey| Request::Extract {
        model,
        notes: vec![NOTES[0].into()],
        link_with: None,
    };
    assert!(matches!(
        client.call(&ask(key()), &mut || {}).unwrap(),
        Response::OtherModel
    ));
    let expected = load().extract(NOTES[0]).unwrap();
    assert_eq!(
        entities(client.call(&ask(other), &mut || {}).unwrap()),
        vec![expected]
    );
}
