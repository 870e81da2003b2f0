//! Model providers: the [`Provider`] trait and the request/response types every provider speaks.

use std::pin::Pin;

use async_trait::async_trait;
use futures::Stream;
use serde::{Deserialize, Serialize};

use crate::error::Result;

mod anthropic;
pub(crate) mod http;
mod offline;
mod openai;
mod sse;
mod timeouts;

pub use anthropic::{Anthropic, AnthropicConfig, map_stop_reason};
pub use http::{classify, parse_retry_after, rate_limit_reset};
pub use offline::{
    OFFLINE_MODEL, Offline, Scaffold, ScaffoldFile, TypeKind, class_name_for, mechanic_ids, scaffold,
};
pub use openai::{OpenAi, OpenAiConfig, map_finish_reason};
pub use sse::{DEFAULT_MAX_EVENT_BYTES, DEFAULT_MAX_LINE_BYTES, SseDecoder, SseError, SseEvent};
pub use timeouts::TimeoutConfig;
// Lives below `observe` (whose events carry it), so neither imports the other's floor.
pub use crate::usage::Usage;

/// Provider selection.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProvidersConfig {
    /// Provider names in fallback order: `anthropic`, `openai`, `offline`.
    ///
    /// Empty (the default) means: every provider whose key is set (Anthropic first), and the
    /// offline scaffold when none is. A listed provider without a key is a configuration error.
    #[serde(deserialize_with = "one_or_many")]
    pub order: Vec<String>,
}

impl ProvidersConfig {
    pub(crate) fn validate(&self) -> Result<()> {
        for name in &self.order {
            if !matches!(name.as_str(), "anthropic" | "openai" | "offline") {
                return Err(crate::error::Error::config(
                    "providers.order",
                    format!("unknown provider `{name}` (expected anthropic, openai or offline)"),
                ));
            }
        }
        Ok(())
    }
}

fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(s) => s.split(',').map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect(),
        OneOrMany::Many(v) => v,
    })
}

/// Who said a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The user (SPARK's prompt).
    User,
    /// The model.
    Assistant,
}

/// One conversation turn.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Message {
    /// Who said it.
    pub role: Role,
    /// Plain text content.
    pub content: String,
}

impl Message {
    /// A user turn.
    pub fn user(content: impl Into<String>) -> Self {
        Message { role: Role::User, content: content.into() }
    }

    /// An assistant turn.
    pub fn assistant(content: impl Into<String>) -> Self {
        Message { role: Role::Assistant, content: content.into() }
    }
}

/// Who asks, and under which id: travels with a [`CompletionRequest`] through the layers
/// (admission uses the caller, providers send the request id as a header). Never part of the
/// cache key, the request hash or the provider's body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CallContext {
    /// The caller id rate limits and budgets are kept for.
    pub caller: Option<String>,
    /// The tier the request asked for (from a verified caller key, say); the caller's
    /// configured tier otherwise.
    pub tier: Option<String>,
    /// SPARK's request id (the caller's, or generated).
    pub request_id: Option<String>,
    /// Whether the caller sees text as it arrives. Then the first text commits the provider;
    /// otherwise a reply that breaks halfway may still be retried or fall back.
    pub streaming: bool,
    /// Skip the response cache for this call (neither read nor written).
    pub no_cache: bool,
    /// Only the chain's provider of this name may serve the call (no fallback); part of the
    /// cache key.
    pub provider: Option<String>,
    /// Largest reply kept, in bytes; the router stops reading past it (`InputTooLarge`).
    pub reply_limit: Option<usize>,
    /// The request's trace context; providers send a child of it as `traceparent`.
    pub trace: Option<crate::observe::TraceParent>,
}

impl CallContext {
    /// Headers that tie a provider call to its request: `x-request-id` and a `traceparent`
    /// in the request's trace with a fresh span id.
    pub(crate) fn apply_headers(&self, mut req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        // Request ids are checked printable ASCII at the door, so the header value is valid.
        if let Some(id) = &self.request_id {
            req = req.header("x-request-id", id.as_str());
        }
        if let Some(trace) = &self.trace {
            req = req.header("traceparent", trace.child().to_string());
        }
        req
    }
}

/// A provider-neutral completion request.
///
/// `None` fields take the provider's configured value. Every field but `context` changes the
/// answer, so every field but `context` is part of the cache key.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CompletionRequest {
    /// Model override.
    pub model: Option<String>,
    /// System prompt.
    pub system: Option<String>,
    /// Conversation, oldest first; must end with a user turn.
    pub messages: Vec<Message>,
    /// Output token limit override.
    pub max_tokens: Option<u32>,
    /// Temperature override.
    pub temperature: Option<f32>,
    /// Stop sequences.
    pub stop: Vec<String>,
    /// Provider-specific body fields merged into the request (`top_p`, `seed`, `metadata`…).
    pub extra: serde_json::Map<String, serde_json::Value>,
    /// Who asks; not sent to the model and not part of any key.
    #[serde(skip)]
    pub context: CallContext,
}

/// Why the model stopped.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum StopReason {
    /// Natural end (`end_turn`, `stop`).
    EndTurn,
    /// Output token limit reached (`max_tokens`, `length`): the code may be cut off.
    MaxTokens,
    /// A stop sequence matched.
    StopSequence,
    /// The provider's content filter stopped it.
    ContentFilter,
    /// The model asked for a tool.
    ToolUse,
    /// Anything else, verbatim.
    Other(String),
}

/// A finished completion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Completion {
    /// The reply text.
    pub text: String,
    /// Exact usage reported by the provider.
    pub usage: Usage,
    /// Why the model stopped.
    pub stop_reason: Option<StopReason>,
    /// Provider name.
    pub provider: String,
    /// The model that answered (as reported by the provider when it says).
    pub model: String,
    /// The provider's request id.
    pub request_id: Option<String>,
    /// Whether this answer came from the cache (or an identical request in flight) rather than
    /// a provider call made for this caller.
    #[serde(default)]
    pub cached: bool,
}

impl Completion {
    /// An empty completion from `provider` / `model`, to be filled by a stream.
    pub fn empty(provider: impl Into<String>, model: impl Into<String>) -> Self {
        Completion {
            text: String::new(),
            usage: Usage::default(),
            stop_reason: None,
            provider: provider.into(),
            model: model.into(),
            request_id: None,
            cached: false,
        }
    }

    /// Applies one stream event: text appends, usage overwrites (it is cumulative), the start
    /// event names the model, the answering provider and whether it was cached.
    pub fn apply(&mut self, event: &ProviderEvent) {
        match event {
            ProviderEvent::Start { model, request_id, provider, cached } => {
                if !model.is_empty() {
                    self.model.clone_from(model);
                }
                if !provider.is_empty() {
                    self.provider.clone_from(provider);
                }
                self.request_id.clone_from(request_id);
                self.cached = *cached;
            }
            ProviderEvent::TextDelta { text } => self.text.push_str(text),
            ProviderEvent::Usage { usage } => self.usage = *usage,
            ProviderEvent::Stop { reason } => self.stop_reason = Some(reason.clone()),
        }
    }
}

/// One event of a provider stream.
///
/// A stream that ends without error has delivered its terminal event (`message_stop`, `[DONE]`);
/// a stream cut short yields an error item instead, never a silent end.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ProviderEvent {
    /// The response started.
    Start {
        /// The model that answers.
        model: String,
        /// The provider's request id.
        request_id: Option<String>,
        /// The provider that answers; empty from a provider itself, set by the router (after
        /// any fallback) so every layer above knows who answered.
        #[serde(default)]
        provider: String,
        /// Whether the reply is replayed from the cache (set by the cache layer).
        #[serde(default)]
        cached: bool,
    },
    /// A piece of reply text.
    TextDelta {
        /// The text.
        text: String,
    },
    /// Usage so far. Cumulative: each event replaces the previous one, never adds to it.
    Usage {
        /// The usage.
        usage: Usage,
    },
    /// Why the model stopped.
    Stop {
        /// The reason.
        reason: StopReason,
    },
}

impl ProviderEvent {
    /// A start event naming the model and the provider's request id.
    pub fn start(model: impl Into<String>, request_id: Option<String>) -> Self {
        ProviderEvent::Start { model: model.into(), request_id, provider: String::new(), cached: false }
    }
}

/// A boxed stream of provider events.
pub type ProviderStream = Pin<Box<dyn Stream<Item = Result<ProviderEvent>> + Send + 'static>>;

/// A model provider.
///
/// Implementations map their wire format to these types exactly: usage is reported, never
/// estimated; errors are classified ([`crate::ProviderErrorKind`]) so retries and fallbacks
/// know what to do.
#[async_trait]
pub trait Provider: Send + Sync + 'static {
    /// Provider name (`anthropic`, `openai`, `offline`, or a custom one).
    fn name(&self) -> &str;

    /// The model used when a request names none.
    fn default_model(&self) -> &str;

    /// Everything besides the request that changes the answer (endpoint, model, settings), for
    /// cache keys. Two providers with the same identity answer the same request the same way.
    fn identity(&self) -> String {
        format!("{}/{}", self.name(), self.default_model())
    }

    /// Whether this provider is the offline scaffold rather than a model.
    fn is_offline(&self) -> bool {
        false
    }

    /// One complete reply: the stream, collected.
    async fn complete(&self, request: &CompletionRequest) -> Result<Completion> {
        let stream = self.stream(request).await?;
        collect_stream(self.name(), request.model.as_deref().unwrap_or(self.default_model()), stream).await
    }

    /// A streamed reply.
    async fn stream(&self, request: &CompletionRequest) -> Result<ProviderStream>;
}

impl Completion {
    /// The events a stream of this reply would carry: `Start`, one `TextDelta`, `Usage`, `Stop`.
    /// For servers that answer a streaming request with a whole JSON reply, and for providers
    /// with nothing to stream.
    pub fn into_stream(self) -> ProviderStream {
        let mut events = vec![Ok(ProviderEvent::Start {
            model: self.model,
            request_id: self.request_id,
            provider: String::new(),
            cached: self.cached,
        })];
        if !self.text.is_empty() {
            events.push(Ok(ProviderEvent::TextDelta { text: self.text }));
        }
        events.push(Ok(ProviderEvent::Usage { usage: self.usage }));
        events.push(Ok(ProviderEvent::Stop { reason: self.stop_reason.unwrap_or(StopReason::EndTurn) }));
        Box::pin(futures::stream::iter(events))
    }
}

/// Drains a provider stream into a [`Completion`]; usage events overwrite, never add.
pub async fn collect_stream(
    provider: &str,
    default_model: &str,
    stream: ProviderStream,
) -> Result<Completion> {
    collect_limited(provider, default_model, stream, None).await
}

/// [`collect_stream`] that stops with `InputTooLarge` as soon as the text passes `limit` bytes.
pub(crate) async fn collect_limited(
    provider: &str,
    default_model: &str,
    mut stream: ProviderStream,
    limit: Option<usize>,
) -> Result<Completion> {
    use futures::StreamExt;
    let mut out = Completion::empty(provider, default_model);
    while let Some(event) = stream.next().await {
        out.apply(&event?);
        check_reply_size(out.text.len(), limit)?;
    }
    Ok(out)
}

/// `InputTooLarge` for a model reply of `size` bytes past `limit`.
pub(crate) fn check_reply_size(size: usize, limit: Option<usize>) -> Result<()> {
    match limit {
        Some(limit) if size > limit => {
            Err(crate::error::Error::InputTooLarge { what: "model reply".into(), size, limit })
        }
        _ => Ok(()),
    }
}

/// The identity half of [`Provider`] (name, default model, identity, offline) answered by the
/// provider in `self.$inner`: a layer speaks for the provider it wraps.
macro_rules! forward_provider_identity {
    ($inner:ident) => {
        fn name(&self) -> &str {
            self.$inner.name()
        }
        fn default_model(&self) -> &str {
            self.$inner.default_model()
        }
        fn identity(&self) -> String {
            self.$inner.identity()
        }
        fn is_offline(&self) -> bool {
            self.$inner.is_offline()
        }
    };
}
pub(crate) use forward_provider_identity;

/// Shared handles are providers too, so one instance can sit in several chains.
#[async_trait]
impl<P: Provider + ?Sized> Provider for std::sync::Arc<P> {
    fn name(&self) -> &str {
        (**self).name()
    }
    fn default_model(&self) -> &str {
        (**self).default_model()
    }
    fn identity(&self) -> String {
        (**self).identity()
    }
    fn is_offline(&self) -> bool {
        (**self).is_offline()
    }
    async fn complete(&self, request: &CompletionRequest) -> Result<Completion> {
        (**self).complete(request).await
    }
    async fn stream(&self, request: &CompletionRequest) -> Result<ProviderStream> {
        (**self).stream(request).await
    }
}
