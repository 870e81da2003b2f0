//! Model providers: the [`Provider`] trait and the request/response types every provider speaks.

use std::pin::Pin;

use async_trait::async_trait;
use futures::Stream;
use serde::{Deserialize, Serialize};

use crate::error::Result;

pub mod anthropic;
pub mod http;
pub mod offline;
pub mod openai;
pub mod sse;

pub use anthropic::Anthropic;
pub use offline::Offline;
pub use openai::OpenAi;

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

/// A provider-neutral completion request.
///
/// `None` fields take the provider's configured value. Every field changes the answer, so every
/// field is part of the cache key.
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
}

/// Token usage of one call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Usage {
    /// Prompt tokens (including cached-prompt tokens the provider bills).
    pub input_tokens: u64,
    /// Generated tokens.
    pub output_tokens: u64,
}

impl Usage {
    /// Sum of input and output.
    pub fn total(&self) -> u64 {
        self.input_tokens + self.output_tokens
    }
}

impl std::ops::AddAssign for Usage {
    fn add_assign(&mut self, rhs: Self) {
        self.input_tokens += rhs.input_tokens;
        self.output_tokens += rhs.output_tokens;
    }
}

/// Why the model stopped.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
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
}

/// One event of a provider stream.
///
/// A stream that ends without error has delivered its terminal event (`message_stop`, `[DONE]`);
/// a stream cut short yields an error item instead, never a silent end.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ProviderEvent {
    /// The response started.
    Start {
        /// The model that answers.
        model: String,
        /// The provider's request id.
        request_id: Option<String>,
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

    /// One complete reply.
    async fn complete(&self, request: &CompletionRequest) -> Result<Completion>;

    /// A streamed reply.
    async fn stream(&self, request: &CompletionRequest) -> Result<ProviderStream>;
}

impl Completion {
    /// The events a stream of this reply would carry: `Start`, one `TextDelta`, `Usage`, `Stop`.
    /// For servers that answer a streaming request with a whole JSON reply, and for providers
    /// with nothing to stream.
    pub fn into_stream(self) -> ProviderStream {
        let mut events = vec![Ok(ProviderEvent::Start { model: self.model, request_id: self.request_id })];
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
    mut stream: ProviderStream,
) -> Result<Completion> {
    use futures::StreamExt;
    let mut out = Completion {
        text: String::new(),
        usage: Usage::default(),
        stop_reason: None,
        provider: provider.to_string(),
        model: default_model.to_string(),
        request_id: None,
    };
    while let Some(event) = stream.next().await {
        match event? {
            ProviderEvent::Start { model, request_id } => {
                if !model.is_empty() {
                    out.model = model;
                }
                out.request_id = request_id;
            }
            ProviderEvent::TextDelta { text } => out.text.push_str(&text),
            ProviderEvent::Usage { usage } => out.usage = usage,
            ProviderEvent::Stop { reason } => out.stop_reason = Some(reason),
        }
    }
    Ok(out)
}

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
