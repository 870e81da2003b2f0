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
use super::{BreakerConfig, RetryConfig, TimeoutConfig};
use crate::error::{Error, Result, TimeoutStage};
use crate::observe::{Event, Observers};
use crate::provider::{
    Completion, CompletionRequest, Provider, ProviderEvent, ProviderStream, collect_limited,
};

struct Entry {
    provider: Arc<dyn Provider>,
    breaker: Arc<CircuitBreaker>,
}

/// An ordered fallback chain of providers, each behind its own circuit breaker, with retries and
/// deadlines; itself a [`Provider`] whose stream's start event names the provider that answered.
///
/// A request's `model` override applies to the first provider only: fallbacks answer with their
/// own configured model (a Claude model name means nothing to OpenAI).
///
/// When the request's [`CallContext::streaming`](crate::provider::CallContext) is false (the
/// caller sees nothing until the end), each attempt reads the whole reply before answering, so a
/// reply that breaks halfway still falls back; when true, the first text commits the provider.
pub struct Router {
    entries: Vec<Entry>,
    providers: Vec<Arc<dyn Provider>>,
    identity: String,
    retry: RetryConfig,
    timeouts: TimeoutConfig,
    observers: Observers,
}

impl std::fmt::Debug for Router {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.providers.iter().map(|p| p.identity())).finish()
    }
}

impl Router {
    /// A chain tried in order under these retry, breaker and deadline settings.
    pub fn new(
        providers: Vec<Arc<dyn Provider>>,
        retry: &RetryConfig,
        breaker: &BreakerConfig,
        timeouts: &TimeoutConfig,
    ) -> Self {
        let entries = providers
            .iter()
            .map(|p| Entry { provider: p.clone(), breaker: CircuitBreaker::new(breaker) })
            .collect();
        let identity = providers.iter().map(|p| p.identity()).collect::<Vec<_>>().join(" > ");
        Router {
            entries,
            providers,
            identity,
            retry: retry.clone(),
            timeouts: timeouts.clone(),
            observers: Observers::default(),
        }
    }

    /// Reports retries, fallbacks, skipped breakers and first tokens to `observers`.
    pub fn with_observers(mut self, observers: Observers) -> Self {
        self.observers = observers;
        self
    }

    /// The chain's identity ([`Provider::identity`] of each provider, in order), computed once.
    pub fn identity_str(&self) -> &str {
        &self.identity
    }

    /// The providers, in order.
    pub fn providers(&self) -> &[Arc<dyn Provider>] {
        &self.providers
    }

    /// Each provider's breaker transitions since start, by the state entered
    /// (`[open, half_open, closed]`), in chain order.
    pub(crate) fn transitions(&self) -> Vec<(String, [u64; 3])> {
        self.entries.iter().map(|e| (e.provider.name().to_string(), e.breaker.transitions())).collect()
    }

    /// Breaker state and counters of every provider, in chain order.
    pub fn status(&self) -> Vec<ProviderStatus> {
        self.entries.iter().map(|e| e.breaker.status(e.provider.name(), e.provider.default_model())).collect()
    }

    async fn route(&self, request: &CompletionRequest) -> Result<ProviderStream> {
        let start = Instant::now();
        let total = Deadline::new(start, TimeoutStage::Total, Duration::from_millis(self.timeouts.total_ms));
        let first_token = Duration::from_millis(self.timeouts.first_token_ms);
        let budget = Duration::from_millis(self.retry.budget_ms);
        let live = request.context.streaming;
        let request_id = request.context.request_id.as_deref().unwrap_or("");
        let mut last: Option<Error> = None;
        let mut circuit: Option<Error> = None;
        // A request pinned to one provider (checked against the chain at the door) skips the
        // rest: no fallback.
        let pinned = request.context.provider.as_deref();
        let entries: Vec<&Entry> =
            self.entries.iter().filter(|e| pinned.is_none_or(|p| e.provider.name() == p)).collect();
        if entries.is_empty() {
            return Err(Error::InvalidRequest("the provider this request names is not in this chain".into()));
        }
        for (i, entry) in entries.iter().copied().enumerate() {
            let name = entry.provider.name();
            if let Some(prev) = &last
                && i > 0
            {
                self.observers.emit(Event::Fallback {
                    request_id,
                    from: entries[i - 1].provider.name(),
                    error: prev.code(),
                });
            }
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
                        self.observers.emit(Event::CircuitOpen { request_id, provider: name });
                        circuit = Some(match circuit {
                            Some(prev) if prev.retry_after() <= e.retry_after() => prev,
                            _ => e,
                        });
                        break;
                    }
                };
                let deadline =
                    Deadline::new(Instant::now(), TimeoutStage::FirstToken, first_token).min(total);
                let attempt_start = Instant::now();
                let opened = self.open(entry, &req, deadline, total, permit).await;
                if !self.observers.is_empty() {
                    self.observers.emit(Event::ProviderAttempt {
                        request_id,
                        provider: name,
                        elapsed: attempt_start.elapsed(),
                        error: opened.as_ref().err().map(Error::code),
                    });
                }
                let result = match opened {
                    Ok(stream) => {
                        self.observers.emit(Event::FirstToken {
                            request_id,
                            provider: name,
                            elapsed: start.elapsed(),
                        });
                        if live {
                            Ok(stream)
                        } else {
                            // Read the whole reply inside this attempt: the caller has seen nothing,
                            // so a reply that breaks halfway may still be retried or fall back.
                            let model = req.model.as_deref().unwrap_or(entry.provider.default_model());
                            collect_limited(name, model, stream, req.context.reply_limit)
                                .await
                                .map(Completion::into_stream)
                        }
                    }
                    Err(e) => Err(e),
                };
                let error = match result {
                    Ok(out) => return Ok(name_provider(out, name)),
                    Err(e) => e,
                };
                let total_passed = matches!(&error, Error::Timeout { stage: TimeoutStage::Total, .. });
                let shown = live && error.partial_text().is_some();
                if total_passed || matches!(error, Error::Cancelled) || shown {
                    return Err(error);
                }
                match retry_delay(&self.retry, &error, attempt, budget_end) {
                    Some(delay) => {
                        tracing::warn!(provider = name, attempt, delay_ms = delay.as_millis() as u64, error = %error, "retrying");
                        self.observers.emit(Event::Retry {
                            request_id,
                            provider: name,
                            attempt,
                            delay,
                            error: error.code(),
                        });
                        last = Some(error);
                        tokio::time::sleep(delay).await;
                    }
                    None => {
                        if i + 1 < entries.len() {
                            tracing::warn!(provider = name, attempt, error = %error, "provider failed; falling back");
                        } else {
                            tracing::warn!(provider = name, attempt, error = %error, "provider failed; no fallback left");
                        }
                        last = Some(error);
                        break;
                    }
                }
            }
        }
        Err(last.or(circuit).unwrap_or_else(|| Error::Internal("empty provider chain".into())))
    }

    /// One attempt: the provider's stream, read up to its first text (until then a failure may
    /// still fall through or be retried), then guarded by the idle and total deadlines.
    async fn open(
        &self,
        entry: &Entry,
        req: &CompletionRequest,
        deadline: Deadline,
        total: Deadline,
        permit: BreakerPermit,
    ) -> Result<ProviderStream> {
        let open = async {
            // Fused: a provider's stream may not tolerate a poll after its end.
            let mut stream: ProviderStream = Box::pin(entry.provider.stream(req).await?.fuse());
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
            Ok(Ok((mut head, rest))) => {
                // Every stream starts with a start event naming the model that answers.
                if !matches!(head.first(), Some(ProviderEvent::Start { .. })) {
                    let model =
                        req.model.clone().unwrap_or_else(|| entry.provider.default_model().to_string());
                    head.insert(0, ProviderEvent::start(model, None));
                } else if let Some(ProviderEvent::Start { model, .. }) = head.first_mut()
                    && model.is_empty()
                {
                    *model = req.model.clone().unwrap_or_else(|| entry.provider.default_model().to_string());
                }
                let idle = Duration::from_millis(self.timeouts.idle_ms);
                Ok(guard_stream(head, rest, idle, total, permit))
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
    async fn stream(&self, request: &CompletionRequest) -> Result<ProviderStream> {
        self.route(request).await
    }
}

/// Sets the provider name on the stream's start event (the first event, by construction).
fn name_provider(stream: ProviderStream, name: &str) -> ProviderStream {
    let name = name.to_string();
    let mut first = true;
    Box::pin(stream.map(move |item| {
        if std::mem::take(&mut first)
            && let Ok(ProviderEvent::Start { provider, .. }) = &item
            && provider.is_empty()
        {
            let mut item = item;
            if let Ok(ProviderEvent::Start { provider, .. }) = &mut item {
                provider.clone_from(&name);
            }
            return item;
        }
        item
    }))
}
