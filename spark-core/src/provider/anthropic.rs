//! Anthropic Messages API provider (`POST {base_url}/v1/messages`).
//!
//! Usage follows Anthropic's billing: `input_tokens` reported here is the whole prompt, that is
//! the API's `input_tokens` plus `cache_creation_input_tokens` plus `cache_read_input_tokens`;
//! the last two are also kept apart (`cache_write_tokens`, `cache_read_tokens`) for pricing.
//! In a stream, `message_delta` usage is cumulative: each field present replaces the value from
//! `message_start`, it is never added.

use std::collections::VecDeque;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::TimeoutConfig;
use super::http::{self, Ctx, EventHandler};
use super::sse::SseEvent;
use super::{Completion, CompletionRequest, Provider, ProviderEvent, ProviderStream, StopReason, Usage};
use crate::check::{check_nonempty, check_range, check_url};
use crate::error::{Error, ProviderErrorKind, Result};
use crate::secret::ApiKey;

/// Anthropic Messages API settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AnthropicConfig {
    /// API key; when absent, `ANTHROPIC_API_KEY` is read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_key: Option<ApiKey>,
    /// Base URL without `/v1/messages`.
    pub base_url: String,
    /// Model name.
    pub model: String,
    /// `max_tokens` sent with each request.
    pub max_tokens: u32,
    /// Sampling temperature (0–1); `None` leaves the provider default.
    pub temperature: Option<f32>,
    /// `anthropic-version` header.
    pub version: String,
}

impl Default for AnthropicConfig {
    fn default() -> Self {
        AnthropicConfig {
            api_key: None,
            base_url: "https://api.anthropic.com".into(),
            model: "claude-sonnet-4-5".into(),
            max_tokens: 8192,
            temperature: Some(0.2),
            version: "2023-06-01".into(),
        }
    }
}

impl AnthropicConfig {
    pub(crate) fn validate(&self) -> Result<()> {
        check_url("anthropic.base_url", &self.base_url)?;
        check_nonempty("anthropic.model", &self.model)?;
        check_nonempty("anthropic.version", &self.version)?;
        check_range("anthropic.max_tokens", self.max_tokens as f64, 1.0, 1_000_000.0)?;
        if let Some(t) = self.temperature {
            check_range("anthropic.temperature", t as f64, 0.0, 1.0)?;
        }
        Ok(())
    }
}

const NAME: &str = "anthropic";
const REQUEST_ID_HEADERS: &[&str] = &["request-id", "x-request-id"];

/// Claude through the Anthropic Messages API (`POST {base_url}/v1/messages`).
#[derive(Debug, Clone)]
pub struct Anthropic {
    config: AnthropicConfig,
    key: ApiKey,
    client: reqwest::Client,
    connect_ms: u64,
}

impl Anthropic {
    /// Builds from configuration; the key comes from `config.api_key` or `ANTHROPIC_API_KEY`
    /// (`Error::MissingApiKey` when neither is set). Only `timeouts.connect_ms` is used here.
    pub fn new(config: AnthropicConfig, timeouts: &TimeoutConfig) -> Result<Self> {
        let key = config
            .api_key
            .clone()
            .or_else(|| ApiKey::from_env("ANTHROPIC_API_KEY"))
            .ok_or(Error::MissingApiKey { provider: NAME.into(), env_var: "ANTHROPIC_API_KEY".into() })?;
        check_url("anthropic.base_url", &config.base_url)?;
        http::check_header("anthropic.api_key", key.expose())?;
        http::check_header("anthropic.version", &config.version)?;
        let client = http::build_client(timeouts)?;
        Ok(Anthropic { config, key, client, connect_ms: timeouts.connect_ms })
    }

    /// Default configuration with the key from `ANTHROPIC_API_KEY`.
    pub fn from_env() -> Result<Self> {
        Self::new(AnthropicConfig::default(), &TimeoutConfig::default())
    }

    /// The configuration in use.
    pub fn config(&self) -> &AnthropicConfig {
        &self.config
    }

    /// The JSON body sent for `request` (`stream` adds `"stream": true`).
    pub fn request_body(&self, request: &CompletionRequest, stream: bool) -> Result<Value> {
        if request.messages.is_empty() {
            return Err(Error::InvalidRequest("the request has no messages".into()));
        }
        let mut body = Map::new();
        body.insert("model".into(), json!(request.model.as_deref().unwrap_or(&self.config.model)));
        body.insert("max_tokens".into(), json!(request.max_tokens.unwrap_or(self.config.max_tokens)));
        if let Some(system) = request.system.as_deref().filter(|s| !s.is_empty()) {
            body.insert("system".into(), json!(system));
        }
        body.insert("messages".into(), serde_json::to_value(&request.messages).map_err(internal)?);
        if let Some(t) = request.temperature.or(self.config.temperature) {
            body.insert("temperature".into(), json_f32(t));
        }
        if !request.stop.is_empty() {
            body.insert("stop_sequences".into(), json!(request.stop));
        }
        merge_extra(&mut body, &request.extra);
        if stream {
            body.insert("stream".into(), Value::Bool(true));
        }
        Ok(Value::Object(body))
    }

    async fn post(&self, request: &CompletionRequest, stream: bool) -> Result<(Ctx, reqwest::Response)> {
        let body = self.request_body(request, stream)?;
        let mut ctx = Ctx { provider: NAME, request_id: None, key: Some(self.key.clone()) };
        let mut req = self
            .client
            .post(http::endpoint(&self.config.base_url, "v1/messages"))
            .header("x-api-key", self.key.expose())
            .header("anthropic-version", &self.config.version)
            .json(&body);
        req = request.context.apply_headers(req);
        if stream {
            req = req.header(reqwest::header::ACCEPT, "text/event-stream");
        }
        let resp = http::send(&mut ctx, req, REQUEST_ID_HEADERS, self.connect_ms).await?;
        Ok((ctx, resp))
    }
}

/// Merges `CompletionRequest::extra` into a body: a value replaces the field, `null` removes it
/// (to leave out a configured default such as `temperature`); `stream` belongs to the transport
/// and is never taken from `extra`.
pub(crate) fn merge_extra(body: &mut Map<String, Value>, extra: &Map<String, Value>) {
    for (k, v) in extra {
        if k == "stream" {
            continue;
        }
        if v.is_null() {
            body.remove(k);
        } else {
            body.insert(k.clone(), v.clone());
        }
    }
}

fn internal(e: serde_json::Error) -> Error {
    Error::Internal(format!("cannot serialize the request: {e}"))
}

/// An `f32` as the decimal a human wrote (0.2, not 0.20000000298023224).
pub(crate) fn json_f32(v: f32) -> Value {
    v.to_string()
        .parse::<f64>()
        .ok()
        .and_then(|f| serde_json::Number::from_f64(f).map(Value::Number))
        .unwrap_or(Value::Null)
}

/// Anthropic's `stop_reason` as a [`StopReason`].
pub fn map_stop_reason(reason: &str) -> StopReason {
    match reason {
        "end_turn" => StopReason::EndTurn,
        // Both mean the reply was cut by a token limit: the code may be incomplete.
        "max_tokens" | "model_context_window_exceeded" => StopReason::MaxTokens,
        "stop_sequence" => StopReason::StopSequence,
        "tool_use" => StopReason::ToolUse,
        "refusal" => StopReason::ContentFilter,
        other => StopReason::Other(other.to_string()),
    }
}

#[derive(Debug, Default, Clone, Copy, Deserialize)]
struct WireUsage {
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
    cache_creation_input_tokens: Option<u64>,
    cache_read_input_tokens: Option<u64>,
}

impl WireUsage {
    /// Overwrites each field the update carries (usage in a stream is cumulative).
    fn overwrite(&mut self, update: &WireUsage) {
        let set = |dst: &mut Option<u64>, src: Option<u64>| {
            if src.is_some() {
                *dst = src;
            }
        };
        set(&mut self.input_tokens, update.input_tokens);
        set(&mut self.output_tokens, update.output_tokens);
        set(&mut self.cache_creation_input_tokens, update.cache_creation_input_tokens);
        set(&mut self.cache_read_input_tokens, update.cache_read_input_tokens);
    }

    fn usage(&self) -> Usage {
        let (read, write) =
            (self.cache_read_input_tokens.unwrap_or(0), self.cache_creation_input_tokens.unwrap_or(0));
        Usage::new(self.input_tokens.unwrap_or(0) + read + write, self.output_tokens.unwrap_or(0))
            .with_cache(read, write)
    }
}

#[derive(Debug, Deserialize)]
struct ContentBlock {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    text: Option<String>,
}

#[derive(Debug, Deserialize)]
struct MessageResponse {
    #[serde(default)]
    model: Option<String>,
    content: Vec<ContentBlock>,
    #[serde(default)]
    stop_reason: Option<String>,
    #[serde(default)]
    usage: WireUsage,
}

/// Text of all `text` blocks, in order.
fn text_of(blocks: &[ContentBlock]) -> String {
    blocks.iter().filter(|b| b.kind == "text").filter_map(|b| b.text.as_deref()).collect()
}

#[derive(Default)]
struct AnthropicStream {
    text: String,
    usage: WireUsage,
    stop_reason: Option<String>,
    started: bool,
}

const KNOWN_EVENTS: &[&str] = &[
    "message_start",
    "content_block_start",
    "content_block_delta",
    "content_block_stop",
    "message_delta",
    "message_stop",
    "error",
];

impl AnthropicStream {
    fn start(&mut self, ctx: &Ctx, model: String, out: &mut VecDeque<ProviderEvent>) {
        if !self.started {
            self.started = true;
            out.push_back(ProviderEvent::start(model, ctx.request_id.clone()));
        }
    }

    fn push_text(&mut self, text: &str, out: &mut VecDeque<ProviderEvent>) {
        if !text.is_empty() {
            self.text.push_str(text);
            out.push_back(ProviderEvent::TextDelta { text: text.to_string() });
        }
    }
}

impl EventHandler for AnthropicStream {
    fn on_event(&mut self, ctx: &Ctx, event: SseEvent, out: &mut VecDeque<ProviderEvent>) -> Result<bool> {
        let data: Value = match serde_json::from_str(&event.data) {
            Ok(v) => v,
            Err(e) if KNOWN_EVENTS.contains(&event.event.as_str()) => {
                return Err(ctx
                    .error(
                        ProviderErrorKind::Malformed,
                        format!("`{}` event data is not JSON: {e}", event.event),
                    )
                    .into());
            }
            // Unknown events may carry anything; they are not ours to judge.
            Err(_) => return Ok(false),
        };
        // `event:` and `data.type` agree on the wire; `data.type` is authoritative.
        let kind = data.get("type").and_then(Value::as_str).unwrap_or(&event.event).to_string();
        let malformed = |what: &str| -> Error {
            ctx.error(ProviderErrorKind::Malformed, format!("`{kind}` event without {what}")).into()
        };
        match kind.as_str() {
            "message_start" => {
                let message = data.get("message").ok_or_else(|| malformed("`message`"))?;
                let model = message.get("model").and_then(Value::as_str).unwrap_or_default().to_string();
                self.start(ctx, model, out);
                if let Some(u) = message.get("usage") {
                    let u: WireUsage =
                        serde_json::from_value(u.clone()).map_err(|_| malformed("valid `usage`"))?;
                    self.usage.overwrite(&u);
                }
                // Content in message_start is empty on the wire today; take it if it ever is not.
                if let Some(blocks) = message.get("content").and_then(|c| c.as_array()) {
                    for b in blocks {
                        if b.get("type").and_then(Value::as_str) == Some("text")
                            && let Some(t) = b.get("text").and_then(Value::as_str)
                        {
                            self.push_text(t, out);
                        }
                    }
                }
            }
            "content_block_start" => {
                let block = data.get("content_block").ok_or_else(|| malformed("`content_block`"))?;
                if block.get("type").and_then(Value::as_str) == Some("text")
                    && let Some(t) = block.get("text").and_then(Value::as_str)
                {
                    self.push_text(t, out);
                }
            }
            "content_block_delta" => {
                let delta = data.get("delta").ok_or_else(|| malformed("`delta`"))?;
                // thinking_delta, input_json_delta, signature_delta… are not reply text.
                if delta.get("type").and_then(Value::as_str) == Some("text_delta") {
                    let t =
                        delta.get("text").and_then(Value::as_str).ok_or_else(|| malformed("`delta.text`"))?;
                    self.push_text(t, out);
                }
            }
            "message_delta" => {
                if let Some(r) = data.pointer("/delta/stop_reason").and_then(Value::as_str) {
                    self.stop_reason = Some(r.to_string());
                }
                if let Some(u) = data.get("usage") {
                    let u: WireUsage =
                        serde_json::from_value(u.clone()).map_err(|_| malformed("valid `usage`"))?;
                    self.usage.overwrite(&u);
                }
            }
            "message_stop" => {
                self.start(ctx, String::new(), out);
                out.push_back(ProviderEvent::Usage { usage: self.usage.usage() });
                let reason = self.stop_reason.as_deref().map(map_stop_reason).unwrap_or(StopReason::EndTurn);
                out.push_back(ProviderEvent::Stop { reason });
                return Ok(true);
            }
            "error" => {
                let info = http::parse_error_body(&data).unwrap_or(http::ErrorBody {
                    error_type: None,
                    code: None,
                    message: Some(event.data.clone()),
                });
                return Err(http::error_from_body(ctx, info, Some(&self.text)).into());
            }
            // ping, content_block_stop, and event types added after this was written.
            _ => {}
        }
        Ok(false)
    }

    fn partial_text(&self) -> &str {
        &self.text
    }

    fn terminal_name(&self) -> &'static str {
        "message_stop"
    }
}

impl Anthropic {
    fn completion(&self, ctx: http::Ctx, msg: MessageResponse, request: &CompletionRequest) -> Completion {
        Completion {
            text: text_of(&msg.content),
            usage: msg.usage.usage(),
            stop_reason: msg.stop_reason.as_deref().map(map_stop_reason),
            provider: NAME.into(),
            model: msg
                .model
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| request.model.clone().unwrap_or_else(|| self.config.model.clone())),
            request_id: ctx.request_id,
            cached: false,
        }
    }
}

#[async_trait]
impl Provider for Anthropic {
    fn name(&self) -> &str {
        NAME
    }

    fn default_model(&self) -> &str {
        &self.config.model
    }

    fn identity(&self) -> String {
        format!(
            "{NAME}/{}/{}/max_tokens={}/temperature={:?}/version={}",
            self.config.base_url.trim_end_matches('/'),
            self.config.model,
            self.config.max_tokens,
            self.config.temperature,
            self.config.version
        )
    }

    async fn complete(&self, request: &CompletionRequest) -> Result<Completion> {
        let (ctx, resp) = self.post(request, false).await?;
        let msg: MessageResponse = http::read_json(&ctx, resp, self.connect_ms).await?;
        Ok(self.completion(ctx, msg, request))
    }

    async fn stream(&self, request: &CompletionRequest) -> Result<ProviderStream> {
        let (ctx, resp) = self.post(request, true).await?;
        if !http::is_event_stream(&resp) {
            // A proxy or compatible server that ignores `stream: true` answers with the whole reply.
            let msg: MessageResponse = http::read_json(&ctx, resp, self.connect_ms).await?;
            return Ok(self.completion(ctx, msg, request).into_stream());
        }
        Ok(http::drive(ctx, resp, AnthropicStream::default(), self.connect_ms))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_reads_and_writes_are_parts_of_the_whole_prompt() {
        let mut w: WireUsage = serde_json::from_value(serde_json::json!({
            "input_tokens": 50, "cache_creation_input_tokens": 1000, "cache_read_input_tokens": 4000,
            "output_tokens": 1
        }))
        .unwrap();
        // message_delta repeats the cumulative figures: overwriting must not double them.
        let again = w;
        w.overwrite(&again);
        let u = w.usage();
        assert_eq!((u.input_tokens, u.cache_read_tokens, u.cache_write_tokens), (5050, 4000, 1000));
        assert_eq!(u.uncached_input_tokens(), 50);
    }
}
