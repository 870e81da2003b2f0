//! Prometheus metrics as an [`Observer`]: every stage's events become counters and histograms
//! in a `prometheus-client` registry, exposed as OpenMetrics text.
//!
//! Labels are bounded: error codes, stages and outcomes are fixed sets; provider, model, guard
//! and rule names are free text from configuration or code, so each keeps at most
//! [`MAX_LABEL_VALUES`] distinct values (later ones read `other`) and only label-safe
//! characters. Caller ids and prompts never become labels.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use serde::{Deserialize, Serialize};

use super::metrics_live::{LiveState, encode_live};
use super::{CacheOutcome, Event, Observer, Rejection};

pub use super::metrics_live::MetricsSnapshot;

#[cfg(test)]
use super::labels::MAX_LABEL_BYTES;
pub use super::labels::MAX_LABEL_VALUES;
use super::labels::sanitize;
/// Provider attempts remembered per provider for [`super::Health`].
pub(crate) const RECENT_WINDOW: usize = 100;

/// `[metrics]`: whether a client records Prometheus metrics (on by default; a few atomic
/// updates per request).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsConfig {
    /// Record metrics (`Spark::metrics_text` is then empty when off).
    pub enabled: bool,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        MetricsConfig { enabled: true }
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    provider: Arc<str>,
    model: Arc<str>,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CodeLabels {
    code: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ProviderLabels {
    provider: Arc<str>,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ProviderCodeLabels {
    provider: Arc<str>,
    code: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TokenLabels {
    provider: Arc<str>,
    model: Arc<str>,
    tier: Arc<str>,
    direction: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CostLabels {
    provider: Arc<str>,
    model: Arc<str>,
    tier: Arc<str>,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StageLabels {
    stage: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct GuardLabels {
    guard: Arc<str>,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RuleLabels {
    rule: Arc<str>,
    severity: &'static str,
}

type Hist<L> = Family<L, Histogram, fn() -> Histogram>;
type Cost = Counter<f64, std::sync::atomic::AtomicU64>;

/// Every stage, in [`stage_index`] order.
const STAGES: [super::Stage; 8] = [
    super::Stage::GuardBefore,
    super::Stage::Cache,
    super::Stage::Admission,
    super::Stage::Provider,
    super::Stage::Extract,
    super::Stage::Validate,
    super::Stage::Repair,
    super::Stage::GuardAfter,
];

fn stage_index(stage: super::Stage) -> usize {
    use super::Stage;
    match stage {
        Stage::GuardBefore => 0,
        Stage::Cache => 1,
        Stage::Admission => 2,
        Stage::Provider => 3,
        Stage::Extract => 4,
        Stage::Validate => 5,
        Stage::Repair => 6,
        Stage::GuardAfter => 7,
    }
}

/// Every cache outcome, in [`cache_index`] order.
const CACHE_OUTCOMES: [CacheOutcome; 6] = [
    CacheOutcome::ResultHit,
    CacheOutcome::Hit,
    CacheOutcome::Miss,
    CacheOutcome::Coalesced,
    CacheOutcome::StoreError,
    CacheOutcome::Bypass,
];

fn cache_index(o: CacheOutcome) -> usize {
    match o {
        CacheOutcome::ResultHit => 0,
        CacheOutcome::Hit => 1,
        CacheOutcome::Miss => 2,
        CacheOutcome::Coalesced => 3,
        CacheOutcome::StoreError => 4,
        CacheOutcome::Bypass => 5,
    }
}

/// (provider, model, tier) combinations whose series handles are kept; more are rare (the
/// label values are bounded anyway) and take the slower family lookup.
const MAX_RESOLVED: usize = 64;

/// The series a finished request of one (provider, model, tier) updates, looked up once: a
/// request then updates atomics without hashing label sets or taking the families' locks.
#[derive(Debug)]
struct Resolved {
    /// The raw names, as events carry them.
    key: (Box<str>, Box<str>, Box<str>),
    ok: Counter,
    input: Counter,
    output: Counter,
    cost: Cost,
    provider: Arc<str>,
    model: Arc<str>,
}

/// Seconds buckets from 1 ms to ~65 s (doubling).
fn seconds() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 17))
}

/// A free-text label's values: at most [`MAX_LABEL_VALUES`], label-safe.
#[derive(Debug, Default)]
struct Interner {
    seen: RwLock<HashSet<Arc<str>>>,
}

impl Interner {
    fn get(&self, raw: &str) -> Arc<str> {
        if let Some(v) = self.seen.read().unwrap_or_else(|p| p.into_inner()).get(raw) {
            return v.clone();
        }
        let clean = sanitize(raw);
        let mut seen = self.seen.write().unwrap_or_else(|p| p.into_inner());
        if let Some(v) = seen.get(clean.as_str()) {
            return v.clone();
        }
        if seen.len() >= MAX_LABEL_VALUES {
            return Arc::from("other");
        }
        let v: Arc<str> = Arc::from(clean);
        seen.insert(v.clone());
        v
    }
}

/// One provider's recent attempts: (failed, seconds), newest last.
pub(crate) type Recent = HashMap<Arc<str>, VecDeque<(bool, f64)>>;

/// The metrics observer. One per client; [`crate::Spark::metrics_text`] renders it with the
/// client's live state (breakers, cache, queue).
#[derive(Debug)]
pub struct SparkMetrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    errors: Family<CodeLabels, Counter>,
    request_seconds: Histogram,
    ttft_seconds: Hist<ProviderLabels>,
    stage_seconds: Hist<StageLabels>,
    queue_wait_seconds: Histogram,
    attempts: Family<ProviderCodeLabels, Counter>,
    attempt_seconds: Hist<ProviderLabels>,
    tokens: Family<TokenLabels, Counter>,
    cost: Family<CostLabels, Cost>,
    cache: Family<OutcomeLabels, Counter>,
    retries: Family<ProviderCodeLabels, Counter>,
    fallbacks: Family<ProviderCodeLabels, Counter>,
    circuit_open: Family<ProviderLabels, Counter>,
    rate_limited: Counter,
    queue_rejected: Counter,
    budget_rejected: Counter,
    guard_rejected: Family<GuardLabels, Counter>,
    repair_rounds: Counter,
    diagnostics: Family<RuleLabels, Counter>,
    /// `stage_seconds` per stage, by [`stage_index`].
    stage_handles: [Histogram; STAGES.len()],
    /// `cache` per outcome, by [`cache_index`].
    cache_handles: [Counter; CACHE_OUTCOMES.len()],
    resolved: RwLock<Vec<Arc<Resolved>>>,
    providers: Interner,
    tiers: Interner,
    models: Interner,
    guards: Interner,
    rules: Interner,
    recent: Mutex<Recent>,
}

impl Default for SparkMetrics {
    fn default() -> Self {
        Self::new()
    }
}

impl SparkMetrics {
    /// An empty registry with every SPARK metric registered under the `spark` prefix.
    pub fn new() -> Self {
        let mut r = Registry::with_prefix("spark");
        let m = SparkMetrics {
            registry: Registry::default(),
            requests: Family::default(),
            errors: Family::default(),
            request_seconds: seconds(),
            ttft_seconds: Family::new_with_constructor(seconds),
            stage_seconds: Family::new_with_constructor(seconds),
            queue_wait_seconds: seconds(),
            attempts: Family::default(),
            attempt_seconds: Family::new_with_constructor(seconds),
            tokens: Family::default(),
            cost: Family::default(),
            cache: Family::default(),
            retries: Family::default(),
            fallbacks: Family::default(),
            circuit_open: Family::default(),
            rate_limited: Counter::default(),
            queue_rejected: Counter::default(),
            budget_rejected: Counter::default(),
            guard_rejected: Family::default(),
            repair_rounds: Counter::default(),
            diagnostics: Family::default(),
            stage_handles: std::array::from_fn(|_| seconds()),
            cache_handles: Default::default(),
            resolved: RwLock::default(),
            providers: Interner::default(),
            tiers: Interner::default(),
            models: Interner::default(),
            guards: Interner::default(),
            rules: Interner::default(),
            recent: Mutex::default(),
        };
        r.register(
            "requests",
            "Requests finished, by provider, model and outcome (ok or error code)",
            m.requests.clone(),
        );
        r.register("errors", "Failed requests by error code", m.errors.clone());
        r.register("request_duration_seconds", "Whole request time in the path", m.request_seconds.clone());
        r.register(
            "time_to_first_token_seconds",
            "Request start to a provider's first text",
            m.ttft_seconds.clone(),
        );
        r.register(
            "stage_duration_seconds",
            "Time per stage (provider, extract, validate, repair, guards)",
            m.stage_seconds.clone(),
        );
        r.register("queue_wait_seconds", "Wait for a concurrency slot", m.queue_wait_seconds.clone());
        r.register(
            "provider_attempts",
            "Calls to a provider, by outcome (ok or error code)",
            m.attempts.clone(),
        );
        r.register(
            "provider_attempt_duration_seconds",
            "One provider call until its first text or failure",
            m.attempt_seconds.clone(),
        );
        r.register(
            "tokens",
            "Tokens spent by provider, model, caller tier and direction (input, output)",
            m.tokens.clone(),
        );
        r.register(
            "cost_usd",
            "Spend in USD by provider, model and caller tier (when the price is known)",
            m.cost.clone(),
        );
        r.register("cache_requests", "Cache decisions by outcome", m.cache.clone());
        r.register("retries", "Provider attempts retried, by provider and error code", m.retries.clone());
        r.register("fallbacks", "Providers given up on for the next in the chain", m.fallbacks.clone());
        r.register(
            "circuit_open_skips",
            "Calls that skipped a provider whose breaker was open",
            m.circuit_open.clone(),
        );
        r.register("rate_limited", "Requests refused by the per-caller rate limit", m.rate_limited.clone());
        r.register(
            "queue_rejected",
            "Requests refused because the admission queue was full",
            m.queue_rejected.clone(),
        );
        r.register("budget_rejected", "Requests refused by a SPARK budget", m.budget_rejected.clone());
        r.register("guard_rejected", "Requests blocked by a guard, by guard", m.guard_rejected.clone());
        r.register("repair_rounds", "Repair rounds run after a first reply", m.repair_rounds.clone());
        r.register(
            "diagnostics",
            "Diagnostics in final results, by rule and severity",
            m.diagnostics.clone(),
        );
        let stage_handles =
            STAGES.map(|s| m.stage_seconds.get_or_create(&StageLabels { stage: s.as_str() }).clone());
        let cache_handles = CACHE_OUTCOMES
            .map(|o| m.cache.get_or_create(&OutcomeLabels { outcome: cache_outcome(o) }).clone());
        SparkMetrics { registry: r, stage_handles, cache_handles, ..m }
    }

    /// The series of one (provider, model, tier), resolved on first sight and kept (up to
    /// [`MAX_RESOLVED`] combinations).
    fn resolve(&self, provider: &str, model: &str, tier: &str) -> Arc<Resolved> {
        let same = |r: &&Arc<Resolved>| &*r.key.0 == provider && &*r.key.1 == model && &*r.key.2 == tier;
        if let Some(r) = self.resolved.read().unwrap_or_else(|p| p.into_inner()).iter().find(same) {
            return r.clone();
        }
        let (p, m, t) = (self.providers.get(provider), self.models.get(model), self.tiers.get(tier));
        let tokens = |direction| {
            let l = TokenLabels { provider: p.clone(), model: m.clone(), tier: t.clone(), direction };
            self.tokens.get_or_create(&l).clone()
        };
        let r = Arc::new(Resolved {
            key: (provider.into(), model.into(), tier.into()),
            ok: self
                .requests
                .get_or_create(&RequestLabels { provider: p.clone(), model: m.clone(), outcome: "ok" })
                .clone(),
            input: tokens("input"),
            output: tokens("output"),
            cost: self
                .cost
                .get_or_create(&CostLabels { provider: p.clone(), model: m.clone(), tier: t.clone() })
                .clone(),
            provider: p,
            model: m,
        });
        let mut all = self.resolved.write().unwrap_or_else(|p| p.into_inner());
        if let Some(existing) = all.iter().find(same) {
            return existing.clone();
        }
        if all.len() < MAX_RESOLVED {
            all.push(r.clone());
        }
        r
    }

    /// Creates the bounded label sets at zero, so every family is exported before its first
    /// event and `rate()`/`increase()` see the first one: every error code and cache outcome,
    /// every stage, and per provider (name, default model) and guard name known at build time.
    /// `tiers` are the label values of the caller tier (`none` when no tier applies).
    pub fn prime(&self, providers: &[(&str, &str)], guards: &[&str], tiers: &[&str]) {
        use crate::error::ErrorCode;
        for code in ErrorCode::ALL {
            let _ = self.errors.get_or_create(&CodeLabels { code: code.as_str() });
        }
        // Stages and cache outcomes were created with their handles in `new`.
        for (name, model_name) in providers {
            let provider = self.providers.get(name);
            let model = self.models.get(model_name);
            let p = ProviderLabels { provider: provider.clone() };
            let _ = self.ttft_seconds.get_or_create(&p);
            let _ = self.attempt_seconds.get_or_create(&p);
            let _ = self.circuit_open.get_or_create(&p);
            let ok = ProviderCodeLabels { provider: provider.clone(), code: "ok" };
            let _ = self.attempts.get_or_create(&ok);
            let failed =
                ProviderCodeLabels { provider: provider.clone(), code: ErrorCode::ProviderFailed.as_str() };
            let _ = self.retries.get_or_create(&failed);
            let _ = self.fallbacks.get_or_create(&failed);
            let rl = RequestLabels { provider: provider.clone(), model: model.clone(), outcome: "ok" };
            let _ = self.requests.get_or_create(&rl);
            for tier in tiers {
                // Creates the token and cost series at zero.
                let _ = self.resolve(name, model_name, tier);
            }
        }
        for guard in guards {
            let _ = self.guard_rejected.get_or_create(&GuardLabels { guard: self.guards.get(guard) });
        }
    }

    /// The OpenMetrics text of every metric, with `live` state sampled now.
    pub fn encode_openmetrics(&self, live: &LiveState) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail; an encoder error would be a bug, never a panic.
        if prometheus_client::encoding::text::encode_registry(&mut out, &self.registry).is_err()
            || encode_live(&mut out, live).is_err()
            || prometheus_client::encoding::text::encode_eof(&mut out).is_err()
        {
            tracing::error!("metrics encoding failed");
        }
        out
    }

    /// The Prometheus text format (0.0.4) of every metric, with `live` state sampled now: what
    /// `promtool` and every scraper read as `text/plain`.
    pub fn encode(&self, live: &LiveState) -> String {
        super::metrics_live::to_prometheus_text(&self.encode_openmetrics(live))
    }

    /// Each provider's recent attempts (up to [`RECENT_WINDOW`]): failure ratio and mean
    /// seconds, for [`super::Health`].
    pub(crate) fn recent(&self, provider: &str) -> Option<(usize, f64, f64)> {
        let recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        let window = recent.get(provider)?;
        let n = window.len();
        if n == 0 {
            return None;
        }
        let failed = window.iter().filter(|(f, _)| *f).count() as f64;
        let secs: f64 = window.iter().map(|(_, s)| s).sum();
        Some((n, failed / n as f64, secs / n as f64))
    }

    fn remember(&self, provider: &Arc<str>, failed: bool, secs: f64) {
        let mut recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        let window = recent.entry(provider.clone()).or_default();
        if window.len() >= RECENT_WINDOW {
            window.pop_front();
        }
        window.push_back((failed, secs));
    }
}

fn cache_outcome(o: CacheOutcome) -> &'static str {
    match o {
        CacheOutcome::ResultHit => "result_hit",
        CacheOutcome::Hit => "hit",
        CacheOutcome::Miss => "miss",
        CacheOutcome::Coalesced => "coalesced",
        CacheOutcome::StoreError => "store_error",
        CacheOutcome::Bypass => "bypass",
    }
}

fn severity(s: crate::diagnostic::Severity) -> &'static str {
    use crate::diagnostic::Severity;
    match s {
        Severity::Info => "info",
        Severity::Warning => "warning",
        Severity::Error => "error",
    }
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

impl Observer for SparkMetrics {
    fn on_event(&self, event: &Event<'_>) {
        match event {
            Event::RequestFinished { provider, model, tier, usage, cost_usd, elapsed, error, .. } => {
                let r =
                    self.resolve(provider.unwrap_or("none"), model.unwrap_or("none"), tier.unwrap_or("none"));
                match error {
                    None => {
                        r.ok.inc();
                    }
                    Some(code) => {
                        let outcome = code.as_str();
                        let labels =
                            RequestLabels { provider: r.provider.clone(), model: r.model.clone(), outcome };
                        self.requests.get_or_create(&labels).inc();
                        self.errors.get_or_create(&CodeLabels { code: code.as_str() }).inc();
                    }
                }
                self.request_seconds.observe(secs(*elapsed));
                if usage.input_tokens > 0 {
                    r.input.inc_by(usage.input_tokens);
                }
                if usage.output_tokens > 0 {
                    r.output.inc_by(usage.output_tokens);
                }
                if let Some(cost) = cost_usd.filter(|c| c.is_finite() && *c > 0.0) {
                    r.cost.inc_by(cost);
                }
            }
            Event::StageFinished { stage, elapsed, .. } => {
                self.stage_handles[stage_index(*stage)].observe(secs(*elapsed));
            }
            Event::Cache { outcome, .. } => {
                self.cache_handles[cache_index(*outcome)].inc();
            }
            Event::Retry { provider, error, .. } => {
                let l = ProviderCodeLabels { provider: self.providers.get(provider), code: error.as_str() };
                self.retries.get_or_create(&l).inc();
            }
            Event::Fallback { from, error, .. } => {
                let l = ProviderCodeLabels { provider: self.providers.get(from), code: error.as_str() };
                self.fallbacks.get_or_create(&l).inc();
            }
            Event::CircuitOpen { provider, .. } => {
                self.circuit_open
                    .get_or_create(&ProviderLabels { provider: self.providers.get(provider) })
                    .inc();
            }
            Event::FirstToken { provider, elapsed, .. } => {
                let l = ProviderLabels { provider: self.providers.get(provider) };
                self.ttft_seconds.get_or_create(&l).observe(secs(*elapsed));
            }
            Event::Queued { waited, .. } => self.queue_wait_seconds.observe(secs(*waited)),
            Event::ProviderAttempt { provider, elapsed, error, .. } => {
                let provider = self.providers.get(provider);
                let code = error.map_or("ok", |c| c.as_str());
                self.attempts.get_or_create(&ProviderCodeLabels { provider: provider.clone(), code }).inc();
                self.attempt_seconds
                    .get_or_create(&ProviderLabels { provider: provider.clone() })
                    .observe(secs(*elapsed));
                self.remember(&provider, error.is_some(), secs(*elapsed));
            }
            Event::Rejected { by, .. } => match by {
                Rejection::RateLimited => {
                    self.rate_limited.inc();
                }
                Rejection::QueueFull => {
                    self.queue_rejected.inc();
                }
                Rejection::Budget => {
                    self.budget_rejected.inc();
                }
                Rejection::Guard { guard } => {
                    self.guard_rejected.get_or_create(&GuardLabels { guard: self.guards.get(guard) }).inc();
                }
            },
            Event::Evaluated { diagnostics, repair_rounds, .. } => {
                self.repair_rounds.inc_by(u64::from(*repair_rounds));
                for d in diagnostics.iter() {
                    let l = RuleLabels { rule: self.rules.get(&d.rule), severity: severity(d.severity) };
                    self.diagnostics.get_or_create(&l).inc();
                }
            }
            // Request starts, and events added later for other observers (tracing), count nothing.
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_text_labels_are_bounded_and_label_safe() {
        let i = Interner::default();
        assert_eq!(&*i.get("gpt-4o\n\"x\"{}"), "gpt-4o__x___");
        assert_eq!(&*i.get(""), "none");
        for n in 0..100 {
            i.get(&format!("model-{n}"));
        }
        assert_eq!(&*i.get("one-more"), "other");
        assert_eq!(&*i.get("model-3"), "model-3");
        assert!(i.seen.read().unwrap().len() <= MAX_LABEL_VALUES);
        assert!(i.get(&"x".repeat(1000)).len() <= MAX_LABEL_BYTES);
    }
}
