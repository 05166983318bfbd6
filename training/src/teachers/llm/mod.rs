//! LLM teachers: a chat model asked, note by note and type by type, for the mentions it sees.
//!
//! [`LlmTeacher::label`] runs the requests on a pool of `concurrency` threads, reads each reply
//! from the [`cache::ReplyCache`] when it is there, retries transient failures with backoff
//! ([`api::RetryPolicy`]), and counts requests, cache hits, malformed replies, mentions not found in
//! the note, tokens and cost. A malformed reply labels nothing and is counted; a request that still
//! fails after its retries fails the run at the end, when every reply that did arrive is cached, so
//! a rerun asks only for the missing ones.

pub mod api;
pub mod cache;
pub mod gemini;
pub mod locate;
pub mod openai;
pub mod prompt;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use clinical_ner_engine::EntityType;
use indicatif::ProgressBar;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use self::api::{ApiKey, CallError, ChatApi, RetryPolicy};
use self::cache::ReplyCache;
use crate::corpus::Span;

/// How to reach one LLM teacher, as written in a teachers file (JSON, one object per teacher name).
#[derive(Debug, Clone, Deserialize)]
pub struct LlmTeacherConfig {
    #[serde(flatten)]
    pub api: ApiConfig,
    /// Requests in flight at once.
    #[serde(default = "default_concurrency")]
    pub concurrency: usize,
    #[serde(default = "default_timeout_s")]
    pub timeout_s: u64,
    /// Longest reply; a reply cut here reads as malformed.
    #[serde(default = "default_max_output_tokens")]
    pub max_output_tokens: u32,
    /// Price in US dollars per million tokens, for the cost report.
    #[serde(default)]
    pub input_usd_per_million: f64,
    #[serde(default)]
    pub output_usd_per_million: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "api", rename_all = "kebab-case")]
pub enum ApiConfig {
    /// OpenAI's chat-completions API or a server that speaks it.
    Openai {
        base_url: String,
        model: String,
        /// The environment variable holding the key; none for local servers.
        #[serde(default)]
        api_key_env: Option<String>,
        #[serde(default)]
        key_header: openai::KeyHeader,
        /// Query string for every request (Azure's `api-version=...`).
        #[serde(default)]
        query: Option<String>,
        /// Ask the server to constrain the reply to a JSON object.
        #[serde(default)]
        json_mode: bool,
    },
    Gemini {
        #[serde(default = "default_gemini_url")]
        base_url: String,
        model: String,
        #[serde(default = "default_gemini_key_env")]
        api_key_env: Option<String>,
    },
}

fn default_concurrency() -> usize {
    4
}
fn default_max_output_tokens() -> u32 {
    api::DEFAULT_MAX_OUTPUT_TOKENS
}
fn default_timeout_s() -> u64 {
    120
}
fn default_gemini_url() -> String {
    gemini::DEFAULT_BASE_URL.to_owned()
}
fn default_gemini_key_env() -> Option<String> {
    Some("GEMINI_API_KEY".to_owned())
}

/// What a labelling run cost.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Usage {
    pub requests: u64,
    pub cached: u64,
    pub retries: u64,
    pub failed: u64,
    pub malformed: u64,
    pub mentions_not_found: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cost_usd: f64,
}

#[derive(Debug, thiserror::Error)]
pub enum LabelError {
    #[error("{0}")]
    Config(String),
    #[error("cannot use the reply cache: {0}")]
    Cache(#[from] std::io::Error),
    #[error("{failed} of {total} requests failed ({first}); the replies that arrived are cached, so a rerun asks only for the rest")]
    Requests {
        failed: u64,
        total: usize,
        first: CallError,
    },
}

pub struct LlmTeacher {
    api: Box<dyn ChatApi>,
    cache: ReplyCache,
    retry: RetryPolicy,
    concurrency: usize,
    input_usd_per_million: f64,
    output_usd_per_million: f64,
}

impl LlmTeacher {
    pub fn from_config(config: &LlmTeacherConfig, cache_folder: &Path) -> Result<Self, LabelError> {
        let key = |env: &Option<String>| {
            env.as_deref()
                .map(ApiKey::from_env)
                .transpose()
                .map_err(LabelError::Config)
        };
        let timeout = Duration::from_secs(config.timeout_s);
        let api: Box<dyn ChatApi> = match &config.api {
            ApiConfig::Openai {
                base_url,
                model,
                api_key_env,
                key_header,
                query,
                json_mode,
            } => Box::new(openai::OpenAiCompatible::new(openai::OpenAiSettings {
                base_url: base_url.clone(),
                model: model.clone(),
                key: key(api_key_env)?,
                key_header: *key_header,
                query: query.clone(),
                json_mode: *json_mode,
                max_output_tokens: config.max_output_tokens,
                timeout,
            })),
            ApiConfig::Gemini {
                base_url,
                model,
                api_key_env,
            } => Box::new(gemini::Gemini::new(
                base_url,
                model,
                key(api_key_env)?,
                config.max_output_tokens,
                timeout,
            )),
        };
        let mut teacher = Self::new(api, ReplyCache::open(cache_folder)?, config.concurrency);
        teacher.input_usd_per_million = config.input_usd_per_million;
        teacher.output_usd_per_million = config.output_usd_per_million;
        Ok(teacher)
    }

    pub fn new(api: Box<dyn ChatApi>, cache: ReplyCache, concurrency: usize) -> Self {
        LlmTeacher {
            api,
            cache,
            retry: RetryPolicy::default(),
            concurrency: concurrency.max(1),
            input_usd_per_million: 0.0,
            output_usd_per_million: 0.0,
        }
    }

    pub fn with_retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The spans of `types` in each note (sorted by start; spans of different types may overlap),
    /// and what it cost. `progress` advances once per request.
    pub fn label(
        &self,
        notes: &[&str],
        types: &[EntityType],
        progress: &ProgressBar,
    ) -> Result<(Vec<Vec<Span>>, Usage), LabelError> {
        let jobs: Vec<(usize, EntityType)> = (0..notes.len())
            .flat_map(|n| types.iter().map(move |&t| (n, t)))
            .collect();
        progress.set_length(jobs.len() as u64);
        let usage = Mutex::new(Usage::default());
        let first_failure: Mutex<Option<CallError>> = Mutex::new(None);
        // A permanent error (a rejected key) would fail every request the same way: stop asking.
        let stop = AtomicBool::new(false);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(self.concurrency)
            .build()
            .expect("threads can be started");
        let results: Vec<Vec<Span>> = pool.install(|| {
            jobs.par_iter()
                .map(|&(n, entity_type)| {
                    let spans = if stop.load(Ordering::Relaxed) {
                        Vec::new()
                    } else {
                        self.label_one(notes[n], entity_type, &usage, &first_failure, &stop)
                    };
                    progress.inc(1);
                    spans
                })
                .collect()
        });
        progress.finish();
        let mut usage = usage.into_inner().expect("no labelling thread panicked");
        usage.cost_usd = (usage.input_tokens as f64 * self.input_usd_per_million
            + usage.output_tokens as f64 * self.output_usd_per_million)
            / 1e6;
        if let Some(first) = first_failure.into_inner().expect("no thread panicked") {
            return Err(LabelError::Requests {
                failed: usage.failed.max(1),
                total: jobs.len(),
                first,
            });
        }
        let mut per_note = vec![Vec::new(); notes.len()];
        for ((n, _), spans) in jobs.into_iter().zip(results) {
            per_note[n].extend(spans);
        }
        for spans in &mut per_note {
            spans.sort_unstable();
        }
        Ok((per_note, usage))
    }

    fn label_one(
        &self,
        note: &str,
        entity_type: EntityType,
        usage: &Mutex<Usage>,
        first_failure: &Mutex<Option<CallError>>,
        stop: &AtomicBool,
    ) -> Vec<Span> {
        let key = ReplyCache::key(self.api.model(), entity_type, note);
        let completion = match self.cache.get(&key) {
            Some(completion) => {
                usage.lock().unwrap().cached += 1;
                completion
            }
            None => {
                let prompt = prompt::prompt(entity_type, note);
                let mut retries = 0;
                let outcome = self.retry.run(self.api.as_ref(), &prompt, |_| retries += 1);
                let mut usage = usage.lock().unwrap();
                usage.requests += 1;
                usage.retries += retries;
                match outcome {
                    Ok(completion) => {
                        usage.input_tokens += completion.input_tokens;
                        usage.output_tokens += completion.output_tokens;
                        // A reply that cannot be cached is asked again next time; not worth failing for.
                        let _ = self.cache.put(&key, &completion);
                        completion
                    }
                    Err(error) => {
                        usage.failed += 1;
                        if matches!(error, CallError::Permanent(_)) {
                            stop.store(true, Ordering::Relaxed);
                        }
                        first_failure.lock().unwrap().get_or_insert(error);
                        return Vec::new();
                    }
                }
            }
        };
        match prompt::parse_reply(&completion.text) {
            Ok(mentions) => {
                let located = locate::locate(note, &mentions, entity_type);
                usage.lock().unwrap().mentions_not_found += located.not_found as u64;
                located.spans
            }
            Err(prompt::MalformedReply) => {
                usage.lock().unwrap().malformed += 1;
                Vec::new()
            }
        }
    }
}
