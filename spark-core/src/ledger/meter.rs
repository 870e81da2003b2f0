//! The meter: a layer below the cache that prices every call that reaches a provider, holds
//! budgets around it, and tallies the cost per request for the ledger.
//!
//! Below the cache, a cache hit or a coalesced wait never reaches it: it costs nothing, is
//! never refused for budget, and no reservation is made for it.

use std::collections::{BTreeMap, HashMap};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use async_trait::async_trait;
use futures::Stream;

use super::budget::{Budgets, Reservation};
use crate::error::Result;
use crate::guard::Tiers;
use crate::pricing::{ModelPrice, cost_for, price_for};
use crate::provider::{CompletionRequest, Provider, ProviderEvent, ProviderStream, Usage};
use crate::result::ANONYMOUS_CALLER;

/// Tallies kept before old ones are dropped (a request whose tally is never taken, say).
const MAX_TALLIES: usize = 10_000;

/// What the provider calls of one request cost.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Tally {
    pub usage: Usage,
    pub cost_usd: f64,
    pub calls: u32,
    pub provider: Option<String>,
    pub model: Option<String>,
}

/// Prices and budgets shared by the layer and the pipeline.
#[derive(Debug)]
pub(crate) struct Meter {
    pricing: BTreeMap<String, ModelPrice>,
    budgets: Option<Arc<Budgets>>,
    tiers: Arc<Tiers>,
    /// Output tokens a call may produce when it names no limit (the provider's configured one).
    default_max_tokens: u32,
    tallies: Mutex<HashMap<String, Tally>>,
}

impl Meter {
    pub fn new(
        pricing: BTreeMap<String, ModelPrice>,
        budgets: Option<Arc<Budgets>>,
        tiers: Arc<Tiers>,
        default_max_tokens: u32,
    ) -> Self {
        Meter { pricing, budgets, tiers, default_max_tokens, tallies: Mutex::default() }
    }

    /// Whether calls are held to budgets.
    pub fn has_budgets(&self) -> bool {
        self.budgets.is_some()
    }

    /// The tally of `request_id`, removed.
    pub fn take(&self, request_id: &str) -> Tally {
        self.tallies.lock().unwrap_or_else(|p| p.into_inner()).remove(request_id).unwrap_or_default()
    }

    /// Worst-case cost of `request` on `model`: prompt bytes / 4 at the input price (tokens
    /// rarely hold fewer than 4 bytes of English or code) plus every allowed output token at the
    /// output price. Unpriced models estimate 0, as they are recorded at 0.
    pub fn estimate(&self, request: &CompletionRequest, model: &str) -> f64 {
        let Some(price) = price_for(&self.pricing, "", model) else { return 0.0 };
        let bytes = request.system.as_ref().map_or(0, String::len)
            + request.messages.iter().map(|m| m.content.len()).sum::<usize>();
        let input = (bytes as u64).div_ceil(4);
        let output = u64::from(request.max_tokens.unwrap_or(self.default_max_tokens));
        price.cost(&Usage::new(input, output))
    }

    fn settle(&self, request_id: &str, state: &CallState) {
        let mut tallies = self.tallies.lock().unwrap_or_else(|p| p.into_inner());
        if tallies.len() >= MAX_TALLIES && !tallies.contains_key(request_id) {
            tallies.clear();
        }
        let t = tallies.entry(request_id.to_string()).or_default();
        t.usage += state.usage;
        t.cost_usd += state.cost;
        t.calls += 1;
        t.provider = Some(state.provider.clone());
        t.model = Some(state.model.clone());
    }
}

/// A provider behind the meter.
pub(crate) struct MeterLayer {
    inner: Arc<dyn Provider>,
    meter: Arc<Meter>,
}

impl MeterLayer {
    pub fn new(inner: Arc<dyn Provider>, meter: Arc<Meter>) -> Self {
        MeterLayer { inner, meter }
    }
}

impl std::fmt::Debug for MeterLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MeterLayer").field("budgets", &self.meter.has_budgets()).finish_non_exhaustive()
    }
}

#[async_trait]
impl Provider for MeterLayer {
    crate::provider::forward_provider_identity!(inner);

    async fn stream(&self, request: &CompletionRequest) -> Result<ProviderStream> {
        let model = request.model.as_deref().unwrap_or(self.inner.default_model()).to_string();
        let reservation = match &self.meter.budgets {
            Some(b) => {
                let caller = request.context.caller.as_deref().unwrap_or(ANONYMOUS_CALLER);
                let tier = self.meter.tiers.resolve(caller, request.context.tier.as_deref()).map(|(_, t)| t);
                Some(b.reserve(caller, tier, self.meter.estimate(request, &model)).await?)
            }
            None => None,
        };
        // A call that fails before it streams settles its reservation at 0 (dropped here).
        let inner = self.inner.stream(request).await?;
        let state = CallState {
            meter: self.meter.clone(),
            request_id: request.context.request_id.clone().unwrap_or_default(),
            provider: self.inner.name().to_string(),
            model,
            usage: Usage::default(),
            cost: 0.0,
            reservation,
        };
        Ok(Box::pin(Metered { inner, state }))
    }
}

/// One call's account, settled when its stream ends or is dropped.
struct CallState {
    meter: Arc<Meter>,
    request_id: String,
    provider: String,
    model: String,
    usage: Usage,
    cost: f64,
    reservation: Option<Reservation>,
}

impl Drop for CallState {
    fn drop(&mut self) {
        // Usage is whatever the provider reported before the end: a reply cut short was still
        // billed for what it streamed.
        self.cost = cost_for(&self.meter.pricing, &self.provider, &self.model, &self.usage).unwrap_or(0.0);
        if let Some(r) = self.reservation.as_mut() {
            r.cost(self.cost);
        }
        self.meter.settle(&self.request_id, self);
    }
}

struct Metered {
    inner: ProviderStream,
    state: CallState,
}

impl Stream for Metered {
    type Item = Result<ProviderEvent>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        let item = this.inner.as_mut().poll_next(cx);
        if let Poll::Ready(Some(Ok(event))) = &item {
            match event {
                ProviderEvent::Start { model, provider, .. } => {
                    if !model.is_empty() {
                        this.state.model.clone_from(model);
                    }
                    if !provider.is_empty() {
                        this.state.provider.clone_from(provider);
                    }
                }
                ProviderEvent::Usage { usage } => this.state.usage = *usage,
                _ => {}
            }
        }
        item
    }
}
