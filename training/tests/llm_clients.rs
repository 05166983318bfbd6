//! The LLM teachers' HTTP clients against servers: the Gemini client against
//! `RecordedGeminiServer` (a local HTTP server replaying recorded replies, see
//! `tests/recorded/gemini/README.md`, since Gemini cannot be reached here), and the OpenAI-compatible
//! client against a real local LLM server (SmolLM2 under llama-cpp-python, started by
//! `scripts/test.sh`; its address in CLINICAL_NER_LLM_URL).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clinical_ner_engine::EntityType::{self, Medication};
use clinical_ner_training::teachers::llm::api::{ApiKey, RetryPolicy};
use clinical_ner_training::teachers::llm::cache::ReplyCache;
use clinical_ner_training::teachers::llm::gemini::Gemini;
use clinical_ner_training::teachers::llm::openai::{KeyHeader, OpenAiCompatible, OpenAiSettings};
use clinical_ner_training::teachers::llm::{LabelError, LlmTeacher};
use indicatif::ProgressBar;

const NOTE: &str = "PHI-MARKER-7731 Continue metformin 500 mg; lisinopril held for hypotension.";
const KEY: &str = "test-key-4411";

/// What the server saw of one request.
#[derive(Debug, Clone)]
struct SeenRequest {
    url: String,
    key: Option<String>,
    body: serde_json::Value,
}

/// Replies with the given status and recorded body to each request in turn (the last one repeats),
/// and keeps what it was sent.
struct RecordedGeminiServer {
    address: String,
    seen: Arc<Mutex<Vec<SeenRequest>>>,
}

impl RecordedGeminiServer {
    fn start(replies: &[(u16, &str)]) -> Self {
        let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
        let address = format!("http://{}", server.server_addr().to_ip().unwrap());
        let replies: Vec<(u16, String)> = replies
            .iter()
            .map(|&(status, file)| (status, std::fs::read_to_string(recorded(file)).unwrap()))
            .collect();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        std::thread::spawn(move || {
            for (n, mut request) in server.incoming_requests().enumerate() {
                let mut body = String::new();
                request.as_reader().read_to_string(&mut body).unwrap();
                let key = request
                    .headers()
                    .iter()
                    .find(|h| h.field.equiv("x-goog-api-key"))
                    .map(|h| h.value.to_string());
                log.lock().unwrap().push(SeenRequest {
                    url: request.url().to_owned(),
                    key,
                    body: serde_json::from_str(&body).unwrap(),
                });
                let (status, reply) = &replies[n.min(replies.len() - 1)];
                let mut response = tiny_http::Response::from_string(reply.clone())
                    .with_status_code(*status)
                    .with_header(
                        tiny_http::Header::from_bytes("Content-Type", "application/json").unwrap(),
                    );
                if *status == 429 {
                    response.add_header(tiny_http::Header::from_bytes("Retry-After", "0").unwrap());
                }
                let _ = request.respond(response);
            }
        });
        RecordedGeminiServer { address, seen }
    }

    fn requests(&self) -> Vec<SeenRequest> {
        self.seen.lock().unwrap().clone()
    }
}

fn recorded(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/recorded/gemini")
        .join(file)
}

fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        attempts: 4,
        first_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(20),
    }
}

fn gemini_teacher(server: &RecordedGeminiServer, cache: &Path) -> LlmTeacher {
    std::env::set_var("CLINICAL_NER_TEST_GEMINI_KEY", KEY);
    let key = ApiKey::from_env("CLINICAL_NER_TEST_GEMINI_KEY").unwrap();
    let api = Gemini::new(
        &server.address,
        "gemini-1.5-flash",
        Some(key),
        256,
        Duration::from_secs(10),
    );
    LlmTeacher::new(Box::new(api), ReplyCache::open(cache).unwrap(), 2)
        .with_retry_policy(fast_retries())
}

fn mentions(spans: &[clinical_ner_training::corpus::Span], text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    spans
        .iter()
        .map(|s| chars[s.start..s.end].iter().collect())
        .collect()
}

#[test]
fn gemini_request_has_the_documented_shape_and_its_reply_becomes_spans() {
    let server = RecordedGeminiServer::start(&[(200, "medications.json")]);
    let cache = tempfile::tempdir().unwrap();
    let (labelled, usage) = gemini_teacher(&server, cache.path())
        .label(&[NOTE], &[Medication], &ProgressBar::hidden())
        .unwrap();
    // "Lisinopril" is in the note in lower case: found by the case-insensitive fallback.
    assert_eq!(mentions(&labelled[0], NOTE), ["metformin", "lisinopril"]);
    assert_eq!(
        (usage.requests, usage.input_tokens, usage.output_tokens),
        (1, 112, 14)
    );

    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(
        request.url,
        "/v1beta/models/gemini-1.5-flash:generateContent"
    );
    assert_eq!(request.key.as_deref(), Some(KEY));
    let body = &request.body;
    assert!(body["systemInstruction"]["parts"][0]["text"].is_string());
    assert_eq!(body["contents"][0]["role"], "user");
    assert!(body["contents"][0]["parts"][0]["text"]
        .as_str()
        .unwrap()
        .contains(NOTE));
    let config = &body["generationConfig"];
    assert_eq!(config["temperature"], 0.01);
    assert_eq!(config["topP"], 0.9);
    assert_eq!(config["maxOutputTokens"], 256);
    assert_eq!(config["responseMimeType"], "application/json");
}

#[test]
fn rate_limits_and_server_errors_are_retried_and_reruns_come_from_the_cache() {
    let server = RecordedGeminiServer::start(&[
        (429, "rate_limited.json"),
        (503, "rate_limited.json"),
        (200, "medications.json"),
    ]);
    let cache = tempfile::tempdir().unwrap();
    let teacher = gemini_teacher(&server, cache.path());
    let (first, usage) = teacher
        .label(&[NOTE], &[Medication], &ProgressBar::hidden())
        .unwrap();
    assert_eq!((usage.requests, usage.retries, usage.cached), (1, 2, 0));
    assert_eq!(server.requests().len(), 3);

    let (again, usage) = teacher
        .label(&[NOTE], &[Medication], &ProgressBar::hidden())
        .unwrap();
    assert_eq!(again, first);
    assert_eq!((usage.requests, usage.cached), (0, 1));
    assert_eq!(
        server.requests().len(),
        3,
        "a cached reply is not asked again"
    );
}

#[test]
fn malformed_replies_are_counted_not_fatal() {
    let server = RecordedGeminiServer::start(&[(200, "chatty.json")]);
    let cache = tempfile::tempdir().unwrap();
    let (labelled, usage) = gemini_teacher(&server, cache.path())
        .label(
            &[NOTE, "Aspirin daily."],
            &[Medication],
            &ProgressBar::hidden(),
        )
        .unwrap();
    assert!(labelled.iter().all(Vec::is_empty));
    assert_eq!((usage.requests, usage.malformed), (2, 2));
}

#[test]
fn a_rejected_key_fails_the_run_without_naming_the_key_or_the_note() {
    // The error body echoes the request, as real servers do.
    let server = RecordedGeminiServer::start(&[(401, "medications.json")]);
    let cache = tempfile::tempdir().unwrap();
    let error = gemini_teacher(&server, cache.path())
        .label(
            &[NOTE, NOTE],
            &[Medication, EntityType::Disease],
            &ProgressBar::hidden(),
        )
        .unwrap_err();
    assert!(matches!(error, LabelError::Requests { .. }), "{error}");
    let message = format!("{error} {error:?}");
    assert!(message.contains("401"), "{message}");
    for secret in [KEY, "PHI-MARKER", "metformin"] {
        assert!(!message.contains(secret), "{message}");
    }
    assert!(
        server.requests().len() < 4,
        "a permanent error stops the other requests"
    );
}

/// The OpenAI-compatible client against a real LLM server. SmolLM2-135M is a weak teacher; what is
/// checked is the client: every request answered, tokens counted, spans inside the note and equal
/// to a mention the model gave, and a rerun served from the cache.
#[test]
fn openai_compatible_client_against_a_real_local_server() {
    let Ok(url) = std::env::var("CLINICAL_NER_LLM_URL") else {
        assert!(
            std::env::var_os("CLINICAL_NER_REQUIRE_LLM").is_none(),
            "CLINICAL_NER_REQUIRE_LLM is set but CLINICAL_NER_LLM_URL is not"
        );
        eprintln!("skipped: no local LLM server (CLINICAL_NER_LLM_URL)");
        return;
    };
    let model = std::env::var("CLINICAL_NER_LLM_MODEL").unwrap_or("smollm2-135m-instruct".into());
    let notes = [
        "The patient takes aspirin and metformin daily.",
        "She complains of headache and nausea since Monday.",
    ];
    let cache = tempfile::tempdir().unwrap();
    let teacher = || {
        let api = OpenAiCompatible::new(OpenAiSettings {
            base_url: url.clone(),
            model: model.clone(),
            key: None,
            key_header: KeyHeader::Bearer,
            query: None,
            json_mode: true,
            max_output_tokens: 96,
            timeout: Duration::from_secs(120),
        });
        LlmTeacher::new(Box::new(api), ReplyCache::open(cache.path()).unwrap(), 1)
    };
    let types = [Medication, EntityType::Symptom];
    let (labelled, usage) = teacher()
        .label(&notes, &types, &ProgressBar::hidden())
        .unwrap();
    assert_eq!((usage.requests, usage.failed, usage.cached), (4, 0, 0));
    assert!(
        usage.input_tokens > 4 * 20 && usage.output_tokens > 0,
        "{usage:?}"
    );
    for (note, spans) in notes.iter().zip(&labelled) {
        let length = note.chars().count();
        assert!(
            spans.iter().all(|s| s.start < s.end && s.end <= length),
            "{spans:?}"
        );
    }
    let (again, usage) = teacher()
        .label(&notes, &types, &ProgressBar::hidden())
        .unwrap();
    assert_eq!(again, labelled);
    assert_eq!((usage.requests, usage.cached), (0, 4));
}
