//! The HTTP side of an LLM teacher: one chat request in, the reply text and its token counts out,
//! with retries.
//!
//! [`ChatApi`] is what the OpenAI-compatible and Gemini clients have in common. Errors carry the
//! HTTP status and never the response body: servers echo the request back in their error messages,
//! and the request holds the note. API keys are wrapped in [`ApiKey`], which prints as asterisks.

use std::fmt;
use std::time::Duration;

use super::prompt::Prompt;

/// Sampling as in arXiv 2501.00031: temperature 0.01 and top-p 0.9 (near-greedy, so reruns agree).
pub const TEMPERATURE: f64 = 0.01;
pub const TOP_P: f64 = 0.9;
/// Room for a long list of mentions; a reply cut here reads as malformed.
pub const DEFAULT_MAX_OUTPUT_TOKENS: u32 = 512;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    pub text: String,
    pub input_tokens: u64,
    pub output_tokens: u64,
}

pub trait ChatApi: Send + Sync {
    /// The model's name as the server knows it; part of the cache key.
    fn model(&self) -> &str;
    /// One attempt, no retries.
    fn complete(&self, prompt: &Prompt) -> Result<Completion, CallError>;
}

#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// Worth another try: rate limits (429), server errors (5xx), timeouts, refused connections.
    #[error("{what}")]
    Transient {
        what: String,
        /// The server's Retry-After, when it sent one.
        retry_after: Option<Duration>,
    },
    /// Retrying will not help: a rejected key, an unknown model, a request the server refuses.
    #[error("{0}")]
    Permanent(String),
}

impl CallError {
    fn from_status(status: reqwest::StatusCode, retry_after: Option<Duration>) -> Self {
        let what = format!("the server answered HTTP {status}");
        if status == reqwest::StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
            CallError::Transient { what, retry_after }
        } else {
            CallError::Permanent(what)
        }
    }

    fn from_transport(error: reqwest::Error) -> Self {
        // reqwest's message names the URL and the failure kind, never the body.
        let transient = error.is_timeout() || error.is_connect() || error.is_request();
        let what = format!("request failed: {}", error.without_url());
        if transient {
            CallError::Transient {
                what,
                retry_after: None,
            }
        } else {
            CallError::Permanent(what)
        }
    }

    pub(crate) fn unexpected_body() -> Self {
        CallError::Permanent("the server's answer is not the JSON this API returns".into())
    }
}

/// Sends a request and reads its JSON answer as `T`; any other answer is a [`CallError`] that
/// names the status, never the body.
pub(crate) fn send<T: serde::de::DeserializeOwned>(
    request: reqwest::blocking::RequestBuilder,
) -> Result<T, CallError> {
    let response = request.send().map_err(CallError::from_transport)?;
    let status = response.status();
    if !status.is_success() {
        return Err(CallError::from_status(status, retry_after(&response)));
    }
    response.json().map_err(|_| CallError::unexpected_body())
}

/// Retry-After in seconds, as rate limiters send it (the HTTP-date form is not used by these APIs).
fn retry_after(response: &reqwest::blocking::Response) -> Option<Duration> {
    let seconds = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<f64>()
        .ok()?;
    (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds.min(600.0)))
}

/// Exponential backoff on transient errors: `first_delay`, doubled each time up to `max_delay`, or
/// the server's Retry-After when longer.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub attempts: u32,
    pub first_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 6,
            first_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// The completion, after at most `attempts` tries; `on_retry` hears of each failed try.
    pub fn run(
        &self,
        api: &dyn ChatApi,
        prompt: &Prompt,
        mut on_retry: impl FnMut(&CallError),
    ) -> Result<Completion, CallError> {
        let mut delay = self.first_delay;
        let mut attempt = 1;
        loop {
            match api.complete(prompt) {
                Err(error @ CallError::Transient { .. }) if attempt < self.attempts => {
                    on_retry(&error);
                    let CallError::Transient { retry_after, .. } = error else {
                        unreachable!()
                    };
                    std::thread::sleep(retry_after.map_or(delay, |r| r.max(delay)));
                    delay = (delay * 2).min(self.max_delay);
                    attempt += 1;
                }
                outcome => return outcome,
            }
        }
    }
}

/// A secret read from the environment. Its `Debug` and `Display` never show it.
#[derive(Clone)]
pub struct ApiKey(String);

impl ApiKey {
    /// The key in environment variable `name`; an error names the variable only.
    pub fn from_env(name: &str) -> Result<Self, String> {
        match std::env::var(name) {
            Ok(key) if !key.trim().is_empty() => Ok(ApiKey(key.trim().to_owned())),
            _ => Err(format!("environment variable {name} holds no API key")),
        }
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(***)")
    }
}

pub(crate) fn http_client(timeout: Duration) -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(timeout)
        .build()
        .expect("the TLS backend initialises")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// Fails with the given errors in turn, then succeeds.
    struct ScriptedFailuresStandIn(Mutex<Vec<CallError>>);

    impl ChatApi for ScriptedFailuresStandIn {
        fn model(&self) -> &str {
            "stand-in"
        }
        fn complete(&self, _: &Prompt) -> Result<Completion, CallError> {
            match self.0.lock().unwrap().pop() {
                Some(error) => Err(error),
                None => Ok(Completion {
                    text: "[]".into(),
                    input_tokens: 1,
                    output_tokens: 1,
                }),
            }
        }
    }

    fn transient() -> CallError {
        CallError::Transient {
            what: "503".into(),
            retry_after: None,
        }
    }

    const FAST: RetryPolicy = RetryPolicy {
        attempts: 3,
        first_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(2),
    };

    fn prompt() -> Prompt {
        Prompt {
            system: String::new(),
            user: String::new(),
        }
    }

    #[test]
    fn retries_transient_errors_up_to_the_limit() {
        let api = ScriptedFailuresStandIn(Mutex::new(vec![transient(), transient()]));
        let mut retries = 0;
        assert!(FAST.run(&api, &prompt(), |_| retries += 1).is_ok());
        assert_eq!(retries, 2);

        let api = ScriptedFailuresStandIn(Mutex::new((0..3).map(|_| transient()).collect()));
        assert!(matches!(
            FAST.run(&api, &prompt(), |_| ()),
            Err(CallError::Transient { .. })
        ));
    }

    #[test]
    fn does_not_retry_permanent_errors() {
        let api = ScriptedFailuresStandIn(Mutex::new(vec![CallError::Permanent("401".into())]));
        let mut retries = 0;
        assert!(FAST.run(&api, &prompt(), |_| retries += 1).is_err());
        assert_eq!(retries, 0);
    }

    #[test]
    fn keys_never_print() {
        std::env::set_var("CLINICAL_NER_TEST_KEY", "sk-secret-123");
        let key = ApiKey::from_env("CLINICAL_NER_TEST_KEY").unwrap();
        assert!(!format!("{key:?}").contains("secret"));
        assert!(ApiKey::from_env("CLINICAL_NER_NO_SUCH_KEY")
            .unwrap_err()
            .contains("CLINICAL_NER_NO_SUCH_KEY"));
    }
}
