//! The fallback chain: breakers, retries and deadlines around each provider.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures::StreamExt;
use tokio::time::Instant;

use super::breaker::{BreakerPermit, CircuitBreaker, ProviderStatus};
use super::retry::retry_delay;
use super::timeout::{Deadline, guard_stream};
use super::{RetryConfig, TimeoutConfig};
use crate::config::SparkConfig;
use crate::error::{Error, Result};
use crate::provider::{
    Completion, CompletionRequest, Provider, ProviderEvent, ProviderStream, collect_stream,
};

/// A stream from the provider that actually answered.
pub struct RoutedStream {
    /// The provider that answered (after any fallback).
    pub provider: String,
    /// The model that answers (from the stream's start event when it names one).
    pub model: String,
    /// The events; the first text event (if any) is already buffered inside.
    pub stream: ProviderStream,
}

impl std::fmt::Debug for RoutedStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RoutedStream").field("provider", &self.provider).field("model", &self.model).finish()
    }
}

struct Entry {
    provider: Arc<dyn Provider>,
    breaker: Arc<CircuitBreaker>,
}

/// An ordered fallback chain of providers, each behind its own circuit breaker, with retries and
/// deadlines; itself a [`Provider`].
///
/// A request's `model` override applies to the first provider only: fallbacks answer with their
/// own configured model (a Claude model name means nothing to OpenAI).
pub struct Router {
    entries: Vec<Entry>,
    providers: Vec<Arc<dyn Provider>>,
    identity: String,
    retry: RetryConfig,
    timeouts: TimeoutConfig,
}

impl std::fmt::Debug for Router {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.providers.iter().map(|p| p.identity())).finish()
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// A whole reply. Read as a stream all the same, so the first-token and idle deadlines
    /// bound it (a non-streamed HTTP reply sends nothing until the last token), and a failure
    /// mid-reply may still fall through: nothing has reached the caller yet.
    Complete,
    Stream,
}

enum Output {
    Completion(Completion),
    Stream(RoutedStream),
}

impl Router {
    /// A chain tried in order, with the `[retry]`, `[breaker]` and `[timeouts]` of `config`.
    pub fn new(providers: Vec<Arc<dyn Provider>>, config: &SparkConfig) -> Self {
        let entries = providers
            .iter()
            .map(|p| Entry { provider: p.clone(), breaker: CircuitBreaker::new(&config.breaker) })
            .collect();
        let identity = providers.iter().map(|p| p.identity()).collect::<Vec<_>>().join(" > ");
        Router {
            entries,
            providers,
            identity,
            retry: config.retry.clone(),
            timeouts: config.timeouts.clone(),
        }
    }

    /// The chain's identity ([`Provider::identity`] of each provider, in order), computed once.
    pub fn identity_str(&self) -> &str {
        &self.identity
    }

    /// The providers, in order.
    pub fn providers(&self) -> &[Arc<dyn Provider>] {
        &self.providers
    }

    /// Breaker state and counters of every provider, in chain order.
    pub fn status(&self) -> Vec<ProviderStatus> {
        self.entries.iter().map(|e| e.breaker.status(e.provider.name(), e.provider.default_model())).collect()
    }

    /// A completion from the first provider that answers.
    pub async fn complete_routed(&self, request: &CompletionRequest) -> Result<Completion> {
        match self.route(request, Mode::Complete).await? {
            Output::Completion(c) => Ok(c),
            Output::Stream(_) => Err(Error::Internal("router returned a stream for a completion".into())),
        }
    }

    /// A stream from the first provider that produces text (or ends cleanly) before its
    /// first-token deadline, naming that provider.
    pub async fn stream_routed(&self, request: &CompletionRequest) -> Result<RoutedStream> {
        match self.route(request, Mode::Stream).await? {
            Output::Stream(s) => Ok(s),
            Output::Completion(_) => Err(Error::Internal("router returned a completion for a stream".into())),
        }
    }

    async fn route(&self, request: &CompletionRequest, mode: Mode) -> Result<Output> {
        let start = Instant::now();
        let total = Deadline::new(start, "total", Duration::from_millis(self.timeouts.total_ms));
        let first_token = Duration::from_millis(self.timeouts.first_token_ms);
        let budget = Duration::from_millis(self.retry.budget_ms);
        let mut last: Option<Error> = None;
        let mut circuit: Option<Error> = None;
        for (i, entry) in self.entries.iter().enumerate() {
            let name = entry.provider.name();
            let req: Cow<'_, CompletionRequest> = if i > 0 && request.model.is_some() {
                Cow::Owned(CompletionRequest { model: None, ..request.clone() })
            } else {
                Cow::Borrowed(request)
            };
            let budget_end = (Instant::now() + budget).min(total.at);
            let mut attempt = 0u32;
            loop {
                attempt += 1;
                if Instant::now() >= total.at {
                    return Err(last.unwrap_or_else(|| total.error(None)));
                }
                let permit = match entry.breaker.acquire(name) {
                    Ok(p) => p,
                    Err(e) => {
                        tracing::debug!(provider = name, "circuit open, skipping");
                        circuit = Some(match circuit {
                            Some(prev) if prev.retry_after() <= e.retry_after() => prev,
                            _ => e,
                        });
                        break;
                    }
                };
                let deadline = Deadline::new(Instant::now(), "first_token", first_token).min(total);
                let result = match mode {
                    Mode::Complete => {
                        self.complete_once(entry, &req, deadline, total, permit).await.map(Output::Completion)
                    }
                    Mode::Stream => {
                        self.stream_once(entry, &req, deadline, total, permit).await.map(Output::Stream)
                    }
                };
                let error = match result {
                    Ok(out) => return Ok(out),
                    Err(e) => e,
                };
                let total_passed = matches!(&error, Error::Timeout { stage, .. } if stage == "total");
                let shown = mode == Mode::Stream && error.partial_text().is_some();
                if total_passed || matches!(error, Error::Cancelled) || shown {
                    return Err(error);
                }
                match retry_delay(&self.retry, &error, attempt, budget_end) {
                    Some(delay) => {
                        tracing::warn!(provider = name, attempt, delay_ms = delay.as_millis() as u64, error = %error, "retrying");
                        last = Some(error);
                        tokio::time::sleep(delay).await;
                    }
                    None => {
                        tracing::warn!(provider = name, attempt, error = %error, "provider failed; falling back");
                        last = Some(error);
                        break;
                    }
                }
            }
        }
        Err(last.or(circuit).unwrap_or_else(|| Error::Internal("empty provider chain".into())))
    }

    async fn complete_once(
        &self,
        entry: &Entry,
        req: &CompletionRequest,
        deadline: Deadline,
        total: Deadline,
        permit: BreakerPermit,
    ) -> Result<Completion> {
        let routed = self.stream_once(entry, req, deadline, total, permit).await?;
        // The guarded stream reports success or failure to the breaker when it ends.
        collect_stream(&routed.provider, &routed.model, routed.stream).await
    }

    async fn stream_once(
        &self,
        entry: &Entry,
        req: &CompletionRequest,
        deadline: Deadline,
        total: Deadline,
        permit: BreakerPermit,
    ) -> Result<RoutedStream> {
        // Read up to the first text: until then a failure may still fall through or be retried.
        let open = async {
            let mut stream = entry.provider.stream(req).await?;
            let mut head = Vec::new();
            while let Some(event) = stream.next().await {
                let event = event?;
                let is_text = matches!(&event, ProviderEvent::TextDelta { text } if !text.is_empty());
                head.push(event);
                if is_text {
                    break;
                }
            }
            Ok::<_, Error>((head, stream))
        };
        match tokio::time::timeout_at(deadline.at, open).await {
            Ok(Ok((head, rest))) => {
                let model = head
                    .iter()
                    .find_map(|e| match e {
                        ProviderEvent::Start { model, .. } if !model.is_empty() => Some(model.clone()),
                        _ => None,
                    })
                    .or_else(|| req.model.clone())
                    .unwrap_or_else(|| entry.provider.default_model().to_string());
                let idle = Duration::from_millis(self.timeouts.idle_ms);
                Ok(RoutedStream {
                    provider: entry.provider.name().to_string(),
                    model,
                    stream: guard_stream(head, rest, idle, total, permit),
                })
            }
            Ok(Err(e)) => {
                permit.failure(&e);
                Err(e)
            }
            Err(_) => {
                let e = deadline.error(None);
                permit.failure(&e);
                Err(e)
            }
        }
    }
}

#[async_trait]
impl Provider for Router {
    fn name(&self) -> &str {
        self.providers[0].name()
    }
    fn default_model(&self) -> &str {
        self.providers[0].default_model()
    }
    fn identity(&self) -> String {
        self.identity.clone()
    }
    fn is_offline(&self) -> bool {
        self.providers.iter().all(|p| p.is_offline())
    }
    async fn complete(&self, request: &CompletionRequest) -> Result<Completion> {
        self.complete_routed(request).await
    }
    async fn stream(&self, request: &CompletionRequest) -> Result<ProviderStream> {
        Ok(self.stream_routed(request).await?.stream)
    }
}
