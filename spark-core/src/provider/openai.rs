//! OpenAI Chat Completions provider (`POST {base_url}/chat/completions`), also for
//! OpenAI-compatible servers (Ollama `http://localhost:11434/v1`, vLLM, LM Studio).
//!
//! The API key is required only when `base_url` points at `api.openai.com`; local servers
//! usually need none, and no `Authorization` header is sent without a key.

use std::collections::VecDeque;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::TimeoutConfig;
use super::anthropic::{json_f32, merge_extra};
use super::http::{self, Ctx, EventHandler};
use super::sse::SseEvent;
use super::{
    Completion, CompletionRequest, Provider, ProviderEvent, ProviderStream, Role, StopReason, Usage,
};
use crate::check::{check_nonempty, check_range, check_url};
use crate::error::{Error, ProviderErrorKind, Result};
use crate::secret::ApiKey;

const NAME: &str = "openai";
/// OpenAI Chat Completions settings; any OpenAI-compatible server works through `base_url`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OpenAiConfig {
    /// API key; when absent, `OPENAI_API_KEY` is read. Optional for servers other than
    /// api.openai.com (Ollama, vLLM and LM Studio accept requests without one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_key: Option<ApiKey>,
    /// Base URL including `/v1` (`http://127.0.0.1:11434/v1` for Ollama).
    pub base_url: String,
    /// Model name.
    pub model: String,
    /// Token limit sent as `max_completion_tokens` or `max_tokens` (see `legacy_max_tokens`).
    pub max_tokens: u32,
    /// `true`: send the limit as `max_tokens` (what Ollama, LM Studio, llama.cpp and vLLM read);
    /// `false`: as `max_completion_tokens` (what OpenAI's reasoning models require). Unset (the
    /// default): `max_completion_tokens` for api.openai.com, `max_tokens` for any other server.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub legacy_max_tokens: Option<bool>,
    /// Sampling temperature (0–2); `None` leaves the provider default. Not sent to reasoning
    /// models (o1, o3, o4-mini, gpt-5), which reject any but their own.
    pub temperature: Option<f32>,
    /// `OpenAI-Organization` header.
    pub organization: Option<String>,
    /// `OpenAI-Project` header.
    pub project: Option<String>,
}

impl Default for OpenAiConfig {
    fn default() -> Self {
        OpenAiConfig {
            api_key: None,
            base_url: "https://api.openai.com/v1".into(),
            model: "gpt-4o-mini".into(),
            max_tokens: 8192,
            legacy_max_tokens: None,
            temperature: Some(0.2),
            organization: None,
            project: None,
        }
    }
}

impl OpenAiConfig {
    pub(crate) fn validate(&self) -> Result<()> {
        check_url("openai.base_url", &self.base_url)?;
        check_nonempty("openai.model", &self.model)?;
        check_range("openai.max_tokens", self.max_tokens as f64, 1.0, 1_000_000.0)?;
        if let Some(t) = self.temperature {
            check_range("openai.temperature", t as f64, 0.0, 2.0)?;
        }
        Ok(())
    }
}

const REQUEST_ID_HEADERS: &[&str] = &["x-request-id", "request-id"];

/// OpenAI Chat Completions (`POST {base_url}/chat/completions`), or any compatible server.
#[derive(Debug, Clone)]
pub struct OpenAi {
    config: OpenAiConfig,
    key: Option<ApiKey>,
    client: reqwest::Client,
    connect_ms: u64,
}

/// Whether `base_url` is OpenAI's own API, which always needs a key.
fn is_official(base_url: &str) -> bool {
    url::Url::parse(base_url)
        .ok()
        .and_then(|u| u.host_str().map(|h| h.eq_ignore_ascii_case("api.openai.com")))
        .unwrap_or(false)
}

/// OpenAI reasoning models (o1, o3, o4-mini, gpt-5…), which accept only their default temperature.
fn fixed_temperature(model: &str) -> bool {
    let m = model.rsplit('/').next().unwrap_or(model).to_ascii_lowercase();
    let reasoning = ["o1", "o3", "o4"].iter().any(|p| m == *p || m.starts_with(&format!("{p}-")));
    reasoning || (m.starts_with("gpt-5") && !m.contains("chat"))
}

impl OpenAi {
    /// Builds from configuration; the key comes from `config.api_key` or `OPENAI_API_KEY`.
    ///
    /// `Error::MissingApiKey` when neither is set and `base_url` is `api.openai.com`; any other
    /// server is called without `Authorization` when there is no key. Only
    /// `timeouts.connect_ms` is used here.
    pub fn new(config: OpenAiConfig, timeouts: &TimeoutConfig) -> Result<Self> {
        let key = config.api_key.clone().or_else(|| ApiKey::from_env("OPENAI_API_KEY"));
        if key.is_none() && is_official(&config.base_url) {
            return Err(Error::MissingApiKey { provider: NAME.into(), env_var: "OPENAI_API_KEY".into() });
        }
        check_url("openai.base_url", &config.base_url)?;
        if let Some(k) = &key {
            http::check_header("openai.api_key", &format!("Bearer {}", k.expose()))?;
        }
        for (field, value) in
            [("openai.organization", &config.organization), ("openai.project", &config.project)]
        {
            if let Some(v) = value {
                http::check_header(field, v)?;
            }
        }
        let client = http::build_client(timeouts)?;
        Ok(OpenAi { config, key, client, connect_ms: timeouts.connect_ms })
    }

    /// Default configuration with the key from `OPENAI_API_KEY`; `OPENAI_BASE_URL`, when set,
    /// replaces the base URL (as in OpenAI's own SDKs).
    pub fn from_env() -> Result<Self> {
        let mut config = OpenAiConfig::default();
        if let Ok(base) = std::env::var("OPENAI_BASE_URL")
            && !base.trim().is_empty()
        {
            config.base_url = base.trim().to_string();
        }
        Self::new(config, &TimeoutConfig::default())
    }

    /// The configuration in use.
    pub fn config(&self) -> &OpenAiConfig {
        &self.config
    }

    /// The JSON body sent for `request` (`stream` adds `"stream": true` and
    /// `"stream_options": {"include_usage": true}`).
    pub fn request_body(&self, request: &CompletionRequest, stream: bool) -> Result<Value> {
        if request.messages.is_empty() {
            return Err(Error::InvalidRequest("the request has no messages".into()));
        }
        let mut messages = Vec::with_capacity(request.messages.len() + 1);
        if let Some(system) = request.system.as_deref().filter(|s| !s.is_empty()) {
            messages.push(json!({"role": "system", "content": system}));
        }
        for m in &request.messages {
            let role = match m.role {
                Role::User => "user",
                Role::Assistant => "assistant",
            };
            messages.push(json!({"role": role, "content": m.content}));
        }
        let model = request.model.as_deref().unwrap_or(&self.config.model);
        let mut body = Map::new();
        body.insert("model".into(), json!(model));
        body.insert("messages".into(), Value::Array(messages));
        let legacy = self.config.legacy_max_tokens.unwrap_or_else(|| !is_official(&self.config.base_url));
        let limit_field = if legacy { "max_tokens" } else { "max_completion_tokens" };
        body.insert(limit_field.into(), json!(request.max_tokens.unwrap_or(self.config.max_tokens)));
        // Reasoning models answer 400 to any temperature but their own: the configured default is
        // left out for them; a temperature the request names is still sent.
        let default_temperature = self.config.temperature.filter(|_| !fixed_temperature(model));
        if let Some(t) = request.temperature.or(default_temperature) {
            body.insert("temperature".into(), json_f32(t));
        }
        if !request.stop.is_empty() {
            body.insert("stop".into(), json!(request.stop));
        }
        merge_extra(&mut body, &request.extra);
        if stream {
            body.insert("stream".into(), Value::Bool(true));
            // Usage must be reported; other stream options from `extra` are kept.
            let opts = body.entry("stream_options").or_insert_with(|| json!({}));
            if !opts.is_object() {
                *opts = json!({});
            }
            if let Some(o) = opts.as_object_mut() {
                o.insert("include_usage".into(), Value::Bool(true));
            }
        } else {
            body.remove("stream_options");
        }
        Ok(Value::Object(body))
    }

    async fn post(&self, request: &CompletionRequest, stream: bool) -> Result<(Ctx, reqwest::Response)> {
        let body = self.request_body(request, stream)?;
        let mut ctx = Ctx { provider: NAME, request_id: None, key: self.key.clone() };
        let mut req = self.client.post(http::endpoint(&self.config.base_url, "chat/completions")).json(&body);
        if let Some(key) = &self.key {
            req = req.bearer_auth(key.expose());
        }
        if let Some(org) = self.config.organization.as_deref().filter(|s| !s.is_empty()) {
            req = req.header("OpenAI-Organization", org);
        }
        if let Some(project) = self.config.project.as_deref().filter(|s| !s.is_empty()) {
            req = req.header("OpenAI-Project", project);
        }
        req = request.context.apply_headers(req);
        if stream {
            req = req.header(reqwest::header::ACCEPT, "text/event-stream");
        }
        let resp = http::send(&mut ctx, req, REQUEST_ID_HEADERS, self.connect_ms).await?;
        Ok((ctx, resp))
    }
}

/// OpenAI's `finish_reason` as a [`StopReason`].
///
/// `stop` covers both a natural end and a matched stop sequence: the API does not tell them apart.
pub fn map_finish_reason(reason: &str) -> StopReason {
    match reason {
        "stop" | "eos" | "end_turn" => StopReason::EndTurn,
        "length" | "max_tokens" => StopReason::MaxTokens,
        "content_filter" => StopReason::ContentFilter,
        "tool_calls" | "function_call" => StopReason::ToolUse,
        other => StopReason::Other(other.to_string()),
    }
}

#[derive(Debug, Default, Clone, Copy, Deserialize)]
struct WireUsage {
    #[serde(default, deserialize_with = "null_as_default")]
    prompt_tokens: u64,
    #[serde(default, deserialize_with = "null_as_default")]
    completion_tokens: u64,
    #[serde(default, deserialize_with = "null_as_default")]
    prompt_tokens_details: PromptTokensDetails,
}

/// `cached_tokens` is a part of `prompt_tokens`, not an addition to it.
#[derive(Debug, Default, Clone, Copy, Deserialize)]
struct PromptTokensDetails {
    #[serde(default, deserialize_with = "null_as_default")]
    cached_tokens: u64,
}

/// Compatible servers write `null` where OpenAI omits a field or sends an empty one.
fn null_as_default<'de, D, T>(d: D) -> std::result::Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

impl From<WireUsage> for Usage {
    fn from(u: WireUsage) -> Self {
        Usage::new(u.prompt_tokens, u.completion_tokens).with_cache(u.prompt_tokens_details.cached_tokens, 0)
    }
}

#[derive(Debug, Deserialize)]
struct ChatMessage {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    refusal: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Choice {
    #[serde(default, deserialize_with = "null_as_default")]
    index: u32,
    message: ChatMessage,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ChatResponse {
    #[serde(default)]
    model: Option<String>,
    choices: Vec<Choice>,
    #[serde(default)]
    usage: Option<WireUsage>,
}

#[derive(Debug, Deserialize)]
struct ChunkDelta {
    #[serde(default)]
    content: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ChunkChoice {
    #[serde(default, deserialize_with = "null_as_default")]
    index: u32,
    #[serde(default)]
    delta: Option<ChunkDelta>,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Chunk {
    #[serde(default)]
    model: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    choices: Vec<ChunkChoice>,
    #[serde(default)]
    usage: Option<WireUsage>,
}

#[derive(Default)]
struct OpenAiStream {
    text: String,
    usage: Usage,
    finish_reason: Option<String>,
    started: bool,
}

impl EventHandler for OpenAiStream {
    fn on_event(&mut self, ctx: &Ctx, event: SseEvent, out: &mut VecDeque<ProviderEvent>) -> Result<bool> {
        let data = event.data.trim();
        if data == "[DONE]" {
            if !self.started {
                self.started = true;
                out.push_back(ProviderEvent::start(String::new(), ctx.request_id.clone()));
            }
            out.push_back(ProviderEvent::Usage { usage: self.usage });
            let reason = self.finish_reason.as_deref().map(map_finish_reason).unwrap_or(StopReason::EndTurn);
            out.push_back(ProviderEvent::Stop { reason });
            return Ok(true);
        }
        let value: Value = serde_json::from_str(data).map_err(|e| {
            Error::from(ctx.error(ProviderErrorKind::Malformed, format!("stream chunk is not JSON: {e}")))
        })?;
        if let Some(info) = http::parse_error_body(&value) {
            return Err(http::error_from_body(ctx, info, Some(&self.text)).into());
        }
        if event.event == "error" {
            let info = http::ErrorBody { error_type: None, code: None, message: Some(data.to_string()) };
            return Err(http::error_from_body(ctx, info, Some(&self.text)).into());
        }
        let chunk: Chunk = serde_json::from_value(value).map_err(|e| {
            Error::from(ctx.error(ProviderErrorKind::Malformed, format!("unexpected chunk shape: {e}")))
        })?;
        if !self.started {
            self.started = true;
            out.push_back(ProviderEvent::start(
                chunk.model.clone().unwrap_or_default(),
                ctx.request_id.clone(),
            ));
        }
        // Only the first choice is SPARK's reply (`n` is never above 1 unless `extra` sets it).
        for choice in chunk.choices.iter().filter(|c| c.index == 0) {
            if let Some(text) = choice.delta.as_ref().and_then(|d| d.content.as_deref())
                && !text.is_empty()
            {
                self.text.push_str(text);
                out.push_back(ProviderEvent::TextDelta { text: text.to_string() });
            }
            if let Some(r) = &choice.finish_reason {
                self.finish_reason = Some(r.clone());
            }
        }
        if let Some(u) = chunk.usage {
            // Cumulative (vLLM's continuous usage repeats it per chunk): replace, never add.
            self.usage = u.into();
        }
        Ok(false)
    }

    fn partial_text(&self) -> &str {
        &self.text
    }

    fn terminal_name(&self) -> &'static str {
        "data: [DONE]"
    }
}

impl OpenAi {
    fn completion(
        &self,
        ctx: http::Ctx,
        reply: ChatResponse,
        request: &CompletionRequest,
    ) -> Result<Completion> {
        let choice =
            reply.choices.iter().find(|c| c.index == 0).or(reply.choices.first()).ok_or_else(|| {
                Error::from(ctx.error(ProviderErrorKind::Malformed, "the response has no choices"))
            })?;
        let mut stop_reason = choice.finish_reason.as_deref().map(map_finish_reason);
        if choice.message.content.is_none() && choice.message.refusal.is_some() {
            stop_reason = Some(StopReason::ContentFilter);
        }
        Ok(Completion {
            text: choice.message.content.clone().unwrap_or_default(),
            usage: reply.usage.map(Usage::from).unwrap_or_default(),
            stop_reason,
            provider: NAME.into(),
            model: reply
                .model
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| request.model.clone().unwrap_or_else(|| self.config.model.clone())),
            request_id: ctx.request_id,
            cached: false,
        })
    }
}

#[async_trait]
impl Provider for OpenAi {
    fn name(&self) -> &str {
        NAME
    }

    fn default_model(&self) -> &str {
        &self.config.model
    }

    fn identity(&self) -> String {
        format!(
            "{NAME}/{}/{}/max_tokens={}/temperature={:?}",
            self.config.base_url.trim_end_matches('/'),
            self.config.model,
            self.config.max_tokens,
            self.config.temperature
        )
    }

    async fn complete(&self, request: &CompletionRequest) -> Result<Completion> {
        let (ctx, resp) = self.post(request, false).await?;
        let reply: ChatResponse = http::read_json(&ctx, resp, self.connect_ms).await?;
        self.completion(ctx, reply, request)
    }

    async fn stream(&self, request: &CompletionRequest) -> Result<ProviderStream> {
        let (ctx, resp) = self.post(request, true).await?;
        if !http::is_event_stream(&resp) {
            // Some compatible servers ignore `stream: true` and answer with the whole reply.
            let reply: ChatResponse = http::read_json(&ctx, resp, self.connect_ms).await?;
            return Ok(self.completion(ctx, reply, request)?.into_stream());
        }
        Ok(http::drive(ctx, resp, OpenAiStream::default(), self.connect_ms))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nulls_from_compatible_servers_read_as_absent() {
        let chunk: Chunk = serde_json::from_value(json!({
            "model": "m", "choices": null,
            "usage": {"prompt_tokens": 12, "completion_tokens": null, "total_tokens": null}
        }))
        .unwrap();
        assert!(chunk.choices.is_empty());
        assert_eq!(Usage::from(chunk.usage.unwrap()), Usage::new(12, 0));
        let chunk: Chunk =
            serde_json::from_value(json!({"choices": [{"index": null, "delta": {"content": "x"}}]})).unwrap();
        assert_eq!(chunk.choices[0].index, 0);
    }

    #[test]
    fn cached_prompt_tokens_are_a_part_of_the_prompt() {
        let u: WireUsage = serde_json::from_value(json!({
            "prompt_tokens": 2006, "completion_tokens": 300,
            "prompt_tokens_details": {"cached_tokens": 1920, "audio_tokens": 0}
        }))
        .unwrap();
        let u = Usage::from(u);
        assert_eq!((u.input_tokens, u.cache_read_tokens, u.uncached_input_tokens()), (2006, 1920, 86));
        let u: WireUsage =
            serde_json::from_value(json!({"prompt_tokens": 5, "prompt_tokens_details": null})).unwrap();
        assert_eq!(Usage::from(u).cache_read_tokens, 0);
    }
}
