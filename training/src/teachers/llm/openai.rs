//! OpenAI's chat-completions API and the servers that speak it: OpenAI, Azure OpenAI, vLLM,
//! Ollama, llama.cpp and llama-cpp-python.
//!
//! `base_url` is everything before `/chat/completions` (`https://api.openai.com/v1`,
//! `http://127.0.0.1:8080/v1`). Azure OpenAI wants its key in an `api-key` header and the API version
//! in the query: give a base URL of the deployment and [`KeyHeader::AzureApiKey`]. JSON mode
//! (`response_format: json_object`, which OpenAI, vLLM and llama.cpp servers honour) makes the
//! server constrain the reply to JSON: small local models need it to answer in JSON at all.

use std::time::Duration;

use serde::Deserialize;
use serde_json::json;

use super::api::{http_client, send, ApiKey, CallError, ChatApi, Completion, TEMPERATURE, TOP_P};
use super::prompt::Prompt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeyHeader {
    /// `Authorization: Bearer <key>` (OpenAI, vLLM, most servers).
    #[default]
    Bearer,
    /// `api-key: <key>` (Azure OpenAI).
    AzureApiKey,
}

pub struct OpenAiCompatible {
    client: reqwest::blocking::Client,
    url: String,
    /// Appended to the URL as is (`api-version=2024-06-01` for Azure).
    query: Option<String>,
    model: String,
    key: Option<ApiKey>,
    max_output_tokens: u32,
    key_header: KeyHeader,
    json_mode: bool,
}

/// Where and how to reach the server.
pub struct OpenAiSettings {
    pub base_url: String,
    pub model: String,
    pub key: Option<ApiKey>,
    pub key_header: KeyHeader,
    /// Appended to the URL as is (`api-version=2024-06-01` for Azure).
    pub query: Option<String>,
    pub json_mode: bool,
    pub max_output_tokens: u32,
    pub timeout: Duration,
}

impl OpenAiCompatible {
    pub fn new(settings: OpenAiSettings) -> Self {
        OpenAiCompatible {
            client: http_client(settings.timeout),
            url: format!(
                "{}/chat/completions",
                settings.base_url.trim_end_matches('/')
            ),
            query: settings.query,
            model: settings.model,
            key: settings.key,
            max_output_tokens: settings.max_output_tokens,
            key_header: settings.key_header,
            json_mode: settings.json_mode,
        }
    }
}

#[derive(Deserialize)]
struct Response {
    choices: Vec<Choice>,
    #[serde(default)]
    usage: Option<Usage>,
}

#[derive(Deserialize)]
struct Choice {
    message: Message,
}

#[derive(Deserialize)]
struct Message {
    #[serde(default)]
    content: Option<String>,
}

#[derive(Deserialize)]
struct Usage {
    #[serde(default)]
    prompt_tokens: u64,
    #[serde(default)]
    completion_tokens: u64,
}

impl ChatApi for OpenAiCompatible {
    fn model(&self) -> &str {
        &self.model
    }

    fn complete(&self, prompt: &Prompt) -> Result<Completion, CallError> {
        let mut body = json!({
            "model": self.model,
            "messages": [
                {"role": "system", "content": prompt.system},
                {"role": "user", "content": prompt.user},
            ],
            "temperature": TEMPERATURE,
            "top_p": TOP_P,
            "max_tokens": self.max_output_tokens,
        });
        if self.json_mode {
            body["response_format"] = json!({"type": "json_object"});
        }
        let url = match &self.query {
            Some(query) => format!("{}?{query}", self.url),
            None => self.url.clone(),
        };
        let mut request = self.client.post(url).json(&body);
        if let Some(key) = &self.key {
            request = match self.key_header {
                KeyHeader::Bearer => request.bearer_auth(key.expose()),
                KeyHeader::AzureApiKey => request.header("api-key", key.expose()),
            };
        }
        let parsed: Response = send(request)?;
        let text = parsed
            .choices
            .into_iter()
            .next()
            .and_then(|c| c.message.content)
            .ok_or_else(CallError::unexpected_body)?;
        let usage = parsed.usage.unwrap_or(Usage {
            prompt_tokens: 0,
            completion_tokens: 0,
        });
        Ok(Completion {
            text,
            input_tokens: usage.prompt_tokens,
            output_tokens: usage.completion_tokens,
        })
    }
}
