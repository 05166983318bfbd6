//! Google's Gemini API, `models/{model}:generateContent`.
//!
//! The key travels in the `x-goog-api-key` header rather than the `?key=` query the examples show,
//! so that it cannot end up in a logged URL. The reply is asked for as JSON (`responseMimeType`).

use std::time::Duration;

use serde::Deserialize;
use serde_json::json;

use super::api::{http_client, send, ApiKey, CallError, ChatApi, Completion, TEMPERATURE, TOP_P};
use super::prompt::Prompt;

/// The public endpoint; a proxy or a recorded server can stand in.
pub const DEFAULT_BASE_URL: &str = "https://generativelanguage.googleapis.com";

pub struct Gemini {
    client: reqwest::blocking::Client,
    url: String,
    model: String,
    key: Option<ApiKey>,
    max_output_tokens: u32,
}

impl Gemini {
    pub fn new(
        base_url: &str,
        model: &str,
        key: Option<ApiKey>,
        max_output_tokens: u32,
        timeout: Duration,
    ) -> Self {
        Gemini {
            client: http_client(timeout),
            url: format!(
                "{}/v1beta/models/{model}:generateContent",
                base_url.trim_end_matches('/')
            ),
            model: model.to_owned(),
            key,
            max_output_tokens,
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Response {
    #[serde(default)]
    candidates: Vec<Candidate>,
    #[serde(default)]
    usage_metadata: Option<UsageMetadata>,
}

#[derive(Deserialize)]
struct Candidate {
    #[serde(default)]
    content: Option<Content>,
}

#[derive(Deserialize)]
struct Content {
    #[serde(default)]
    parts: Vec<Part>,
}

#[derive(Deserialize)]
struct Part {
    /// Absent on parts that carry only a thought signature.
    #[serde(default)]
    text: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UsageMetadata {
    #[serde(default)]
    prompt_token_count: u64,
    #[serde(default)]
    candidates_token_count: u64,
}

impl ChatApi for Gemini {
    fn model(&self) -> &str {
        &self.model
    }

    fn complete(&self, prompt: &Prompt) -> Result<Completion, CallError> {
        let body = json!({
            "systemInstruction": {"parts": [{"text": prompt.system}]},
            "contents": [{"role": "user", "parts": [{"text": prompt.user}]}],
            "generationConfig": {
                "temperature": TEMPERATURE,
                "topP": TOP_P,
                "maxOutputTokens": self.max_output_tokens,
                "responseMimeType": "application/json",
            },
        });
        let mut request = self.client.post(&self.url).json(&body);
        if let Some(key) = &self.key {
            request = request.header("x-goog-api-key", key.expose());
        }
        let parsed: Response = send(request)?;
        // No candidate means the prompt was blocked: an empty reply, which reads as malformed.
        let text: String = parsed
            .candidates
            .into_iter()
            .next()
            .and_then(|c| c.content)
            .map(|c| c.parts.into_iter().filter_map(|p| p.text).collect())
            .unwrap_or_default();
        let (input_tokens, output_tokens) = parsed
            .usage_metadata
            .map_or((0, 0), |u| (u.prompt_token_count, u.candidates_token_count));
        Ok(Completion {
            text,
            input_tokens,
            output_tokens,
        })
    }
}
