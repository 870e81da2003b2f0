//! The `Spark` facade: assembles the layer stack from the configuration and hands every request
//! to the one request path ([`crate::pipeline`]).

use std::sync::Arc;

use futures::Stream;

use crate::cache::{CacheStats, CacheStore, ResponseCache};
use crate::config::SparkConfig;
use crate::diagnostic::Diagnostic;
use crate::error::{Error, Result};
use crate::export::ExportFormat;
use crate::guard::{
    Admission, Guard, LimitsGuard, LocalRateLimiter, OutputGuard, RateLimitStore, ScreenGuard, Tiers,
};
use crate::keys::{KeyInfo, KeyManager, KeyStore};
use crate::ledger::{Budgets, Meter, Period, SqliteStore, UsageQuery, UsageStore, UsageTotals};
use crate::observe::{Health, LiveState, MetricsSnapshot, Observer, Observers, SparkMetrics};
use crate::pipeline::{Pipeline, Sink};
use crate::provider::{Anthropic, Offline, OpenAi, OpenAiConfig, Provider};
use crate::resilience::{ProviderStatus, Router};
use crate::result::{GenerateRequest, GeneratedScripts, StreamEvent};
use crate::validate::{ProjectFile, validate_source};

/// Wraps a provider in another one: how a stage joins the stack without `Spark` changing.
/// Layers added with [`SparkBuilder::layer`] sit between the cache and admission, so cache hits
/// skip them and they see every call that reaches a provider.
pub trait Layer: Send + Sync + 'static {
    /// `inner` wrapped.
    fn layer(&self, inner: Arc<dyn Provider>) -> Arc<dyn Provider>;
}

struct Inner {
    config: SparkConfig,
    router: Arc<Router>,
    cache: Option<ResponseCache>,
    admission: Option<Arc<Admission>>,
    pipeline: Pipeline,
    keys: KeyManager,
    tiers: Arc<Tiers>,
    /// Recorded metrics, unless `metrics.enabled` is off.
    metrics: Option<Arc<SparkMetrics>>,
    /// The stores shared through `[redis]`, for their counters.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    shared: crate::redis::Wiring,
    /// Error reports stay on while the client lives (`telemetry.sentry_dsn`).
    _reporter: Option<crate::observe::report::ReportGuard>,
}

/// The SPARK client. Cheap to clone; share one per process.
#[derive(Clone)]
pub struct Spark {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Spark {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Spark").field("providers", &self.inner.router).finish_non_exhaustive()
    }
}

/// Builds a [`Spark`].
#[derive(Default)]
pub struct SparkBuilder {
    config: Option<SparkConfig>,
    providers: Vec<Arc<dyn Provider>>,
    cache_store: Option<Arc<dyn CacheStore>>,
    rate_limit_store: Option<Arc<dyn RateLimitStore>>,
    guards: Vec<Arc<dyn Guard>>,
    observers: Vec<Arc<dyn Observer>>,
    layers: Vec<Arc<dyn Layer>>,
    usage_store: Option<Arc<dyn UsageStore>>,
    key_store: Option<Arc<dyn KeyStore>>,
}

impl SparkBuilder {
    /// Keeps caller keys in `store` (a server database, say) instead of the ledger's SQLite
    /// database (the `[ledger] path` file, or memory without one).
    pub fn key_store(mut self, store: Arc<dyn KeyStore>) -> Self {
        self.key_store = Some(store);
        self
    }

    /// Sets the configuration (defaults otherwise).
    pub fn config(mut self, config: SparkConfig) -> Self {
        self.config = Some(config);
        self
    }

    /// Sets the primary provider (replacing any set before).
    pub fn provider(mut self, provider: impl Provider) -> Self {
        self.providers.insert(0, Arc::new(provider));
        self.providers.truncate(1);
        self
    }

    /// Adds a fallback provider after those already set.
    pub fn fallback(mut self, provider: impl Provider) -> Self {
        self.providers.push(Arc::new(provider));
        self
    }

    /// Adds a shared provider at the end of the chain.
    pub fn provider_arc(mut self, provider: Arc<dyn Provider>) -> Self {
        self.providers.push(provider);
        self
    }

    /// Replaces the in-process response cache store (a shared store such as Redis, say); the
    /// `[cache]` bounds then belong to that store, `cache.enabled` still applies.
    pub fn cache_store(mut self, store: Arc<dyn CacheStore>) -> Self {
        self.cache_store = Some(store);
        self
    }

    /// Keeps per-caller rate-limit state in `store` (shared across instances, say) instead of
    /// in this process.
    pub fn rate_limit_store(mut self, store: Arc<dyn RateLimitStore>) -> Self {
        self.rate_limit_store = Some(store);
        self
    }

    /// Records usage in `store` (a server database, say) instead of the SQLite ledger that
    /// `[ledger]` names; budgets read spend so far from it too.
    pub fn usage_store(mut self, store: Arc<dyn UsageStore>) -> Self {
        self.usage_store = Some(store);
        self
    }

    /// Adds a guard after the built-in ones; it sees every request before any provider call
    /// and every result after.
    pub fn guard(mut self, guard: impl Guard) -> Self {
        self.guards.push(Arc::new(guard));
        self
    }

    /// Adds an observer of every stage's events.
    pub fn observer(mut self, observer: impl Observer) -> Self {
        self.observers.push(Arc::new(observer));
        self
    }

    /// Adds a shared observer.
    pub fn observer_arc(mut self, observer: Arc<dyn Observer>) -> Self {
        self.observers.push(observer);
        self
    }

    /// Adds a layer around the calls that reach a provider (below the cache, above admission);
    /// layers added later wrap those added earlier.
    pub fn layer(mut self, layer: impl Layer) -> Self {
        self.layers.push(Arc::new(layer));
        self
    }

    /// Validates the configuration and builds the stack. Without explicit providers, the chain
    /// comes from `providers.order`, or from the keys present, or is the offline scaffold.
    pub fn build(self) -> Result<Spark> {
        let config = self.config.unwrap_or_default();
        config.validate()?;
        let providers =
            if self.providers.is_empty() { providers_from_config(&config)? } else { self.providers };
        // Metrics first: they are cheap and must not depend on a slow host observer.
        let metrics = config.metrics.enabled.then(|| Arc::new(SparkMetrics::new()));
        let mut all: Vec<Arc<dyn Observer>> = Vec::new();
        if let Some(m) = &metrics {
            all.push(m.clone());
        }
        all.extend(self.observers);
        let observers = Observers::new(all);
        let router = Arc::new(
            Router::new(providers, &config.retry, &config.breaker, &config.timeouts)
                .with_observers(observers.clone()),
        );
        let mut stack: Arc<dyn Provider> = router.clone();
        // Limits protect provider spend: the offline scaffold costs nothing, so a local batch
        // of offline calls is never refused.
        let tiers = Arc::new(Tiers::new(config.tiers.clone(), config.caller_tiers.clone()));
        let default_max = config.anthropic.max_tokens.max(config.openai.max_tokens);
        // `[redis]`: rate limits, budgets and the cache shared with other instances.
        let shared = crate::redis::Wiring::from_config(&config.redis)?;
        let admission = (!router.is_offline()).then(|| {
            let store = self
                .rate_limit_store
                .or_else(|| shared.rate_limit_store())
                .unwrap_or_else(|| Arc::new(LocalRateLimiter::default()));
            Admission::with_tiers(&config.rate_limit, store, tiers.clone(), default_max)
        });
        if let Some(a) = &admission {
            stack = Arc::new(a.layer(stack, observers.clone()));
        }
        // A store handed to the builder is wanted unless the config turns the ledger off.
        let ledger_on = match config.ledger.enabled {
            Some(on) => on,
            None => self.usage_store.is_some() || config.ledger.is_on(config.budgets_configured()),
        };
        // Opening connects on first use only; caller keys share the ledger's database.
        let (default_usage, default_keys) = default_stores(&config.ledger)?;
        let usage_store: Option<Arc<dyn UsageStore>> = match (ledger_on, self.usage_store) {
            (false, _) => None,
            (true, Some(store)) => Some(store),
            (true, None) => Some(default_usage),
        };
        let key_store = self.key_store.unwrap_or(default_keys);
        let keys = KeyManager::new(key_store).with_tiers(tiers.names().cloned());
        // Above admission, so a call waiting in the queue already holds its budget reservation.
        let meter = usage_store.as_ref().map(|store| {
            let budgets = config.budgets_configured().then(|| {
                Arc::new(
                    Budgets::new(config.budget.clone(), store.clone())
                        .with_counters(shared.budget_counters()),
                )
            });
            Arc::new(Meter::new(config.pricing.clone(), budgets, tiers.clone(), default_max))
        });
        if let Some(m) = &meter {
            stack = Arc::new(crate::ledger::MeterLayer::new(stack, m.clone()));
        }
        for layer in &self.layers {
            stack = layer.layer(stack);
        }
        let cache_store = self.cache_store.or_else(|| shared.cache_store(&config.cache));
        let cache = config.cache.enabled.then(|| match cache_store {
            Some(store) => ResponseCache::with_store(store, &config.cache),
            None => ResponseCache::new(&config.cache),
        });
        if let Some(c) = &cache {
            stack = Arc::new(c.layer(stack, observers.clone()));
        }
        let mut guards: Vec<Arc<dyn Guard>> = vec![Arc::new(LimitsGuard::new(config.limits.clone()))];
        if config.screen.enabled {
            guards.push(Arc::new(ScreenGuard::new(config.screen.clone(), config.limits.max_prompt_bytes)?));
        }
        // Before the caller's guards, so their `after` sees the policy's result.
        guards.push(Arc::new(OutputGuard::new(config.output.clone(), &config.validation)?));
        guards.extend(self.guards);
        if let Some(m) = &metrics {
            let providers: Vec<(&str, &str)> =
                router.providers().iter().map(|p| (p.name(), p.default_model())).collect();
            let names: Vec<&str> = guards.iter().map(|g| g.name()).collect();
            let mut tier_names: Vec<&str> = tiers.names().map(String::as_str).collect();
            tier_names.push("none");
            m.prime(&providers, &names, &tier_names);
        }
        let pipeline = Pipeline {
            provider: stack,
            guards,
            memo: cache.clone(),
            observers,
            system_prompt: config.generation.system_prompt(),
            generation: config.generation.clone(),
            provider_names: router.providers().iter().map(|p| p.name().to_string()).collect(),
            system_digest: Default::default(),
            validation: config.validation.with_unity_default(&config.generation.unity_version),
            max_reply_bytes: config.limits.max_reply_bytes,
            repair_rounds: config.repair.max_rounds,
            total: std::time::Duration::from_millis(config.timeouts.total_ms),
            pricing: config.pricing.clone(),
            ledger: usage_store.zip(meter).map(|(store, meter)| crate::ledger::Recorder { store, meter }),
            record_prompts: config.telemetry.record_prompts,
            tiers: tiers.clone(),
        };
        let _reporter = crate::observe::report::init(&config.telemetry)?;
        Ok(Spark {
            inner: Arc::new(Inner {
                router,
                cache,
                admission,
                pipeline,
                config,
                keys,
                tiers,
                metrics,
                shared,
                _reporter,
            }),
        })
    }
}

/// The provider chain named by the configuration.
pub fn providers_from_config(config: &SparkConfig) -> Result<Vec<Arc<dyn Provider>>> {
    let mut out: Vec<Arc<dyn Provider>> = Vec::new();
    if config.providers.order.is_empty() {
        if let Ok(p) = Anthropic::new(config.anthropic.clone(), &config.timeouts) {
            out.push(Arc::new(p));
        }
        let openai_keyed =
            config.openai.api_key.is_some() || crate::ApiKey::from_env("OPENAI_API_KEY").is_some();
        // A base URL of its own (Ollama, vLLM, LM Studio) is a choice to use that server, key or not.
        let openai_pointed = config.openai.base_url != OpenAiConfig::default().base_url;
        if openai_keyed || openai_pointed {
            out.push(Arc::new(OpenAi::new(config.openai.clone(), &config.timeouts)?));
        }
        if out.is_empty() {
            out.push(Arc::new(Offline::new()));
        }
        return Ok(out);
    }
    for name in &config.providers.order {
        match name.as_str() {
            "anthropic" => out.push(Arc::new(Anthropic::new(config.anthropic.clone(), &config.timeouts)?)),
            "openai" => out.push(Arc::new(OpenAi::new(config.openai.clone(), &config.timeouts)?)),
            "offline" => out.push(Arc::new(Offline::new())),
            other => return Err(Error::config("providers.order", format!("unknown provider `{other}`"))),
        }
    }
    Ok(out)
}

impl Spark {
    /// A builder.
    pub fn builder() -> SparkBuilder {
        SparkBuilder::default()
    }

    /// Counters of the calls to Redis (`[redis]`): failures, and calls served locally instead.
    /// `None` without `[redis] url`.
    #[cfg(feature = "redis")]
    pub fn redis_stats(&self) -> Option<crate::redis::RedisStats> {
        self.inner.shared.client().map(|c| c.stats())
    }

    /// A client from configuration alone (providers from `providers.order` or the environment).
    pub fn from_config(config: SparkConfig) -> Result<Spark> {
        Spark::builder().config(config).build()
    }

    /// The configuration in use.
    pub fn config(&self) -> &SparkConfig {
        &self.inner.config
    }

    /// The provider chain, in fallback order.
    pub fn providers(&self) -> &[Arc<dyn Provider>] {
        self.inner.router.providers()
    }

    /// Whether every provider in the chain is the offline scaffold.
    pub fn is_offline(&self) -> bool {
        self.inner.router.is_offline()
    }

    /// Circuit-breaker state and counters of each provider, in fallback order.
    pub fn provider_status(&self) -> Vec<ProviderStatus> {
        self.inner.router.status()
    }

    /// Response cache counters (hits, misses, coalesced waits, entries, bytes); zero when the
    /// cache is off.
    pub fn cache_stats(&self) -> CacheStats {
        self.inner.cache.as_ref().map(ResponseCache::stats).unwrap_or_default()
    }

    /// Requests waiting for a provider slot now.
    pub fn queue_depth(&self) -> usize {
        self.inner.admission.as_ref().map_or(0, |a| a.queue_depth())
    }

    /// Prometheus text exposition (OpenMetrics) of this client's metrics, with breakers, cache
    /// and queue sampled now; empty when `metrics.enabled` is off.
    pub fn metrics_text(&self) -> String {
        match &self.inner.metrics {
            Some(m) => m.encode(&self.live_state()),
            None => String::new(),
        }
    }

    /// The same metrics as a [`MetricsSnapshot`] (empty when metrics are off).
    pub fn metrics(&self) -> MetricsSnapshot {
        MetricsSnapshot::parse(&self.metrics_text())
    }

    /// Each provider's breaker and recent error rate and latency, cache fill, queue depth and
    /// ledger state; `ready` when at least one provider is usable.
    pub fn health(&self) -> Health {
        Health::assemble(&self.live_state(), self.inner.metrics.as_deref(), self.usage_store().is_some())
    }

    fn live_state(&self) -> LiveState {
        use crate::resilience::BreakerState;
        let mut live = LiveState::new();
        live.providers = self
            .provider_status()
            .into_iter()
            .map(|p| {
                let state = match p.state {
                    BreakerState::Closed => "closed",
                    BreakerState::Open => "open",
                    BreakerState::HalfOpen => "half_open",
                };
                (p.name, state, p.times_opened)
            })
            .collect();
        live.breaker_transitions = self
            .inner
            .router
            .transitions()
            .into_iter()
            .flat_map(|(name, [open, half_open, closed])| {
                [("open", open), ("half_open", half_open), ("closed", closed)]
                    .map(|(to, n)| (name.clone(), to, n))
            })
            .collect();
        if let Some(c) = &self.inner.cache {
            let stats = c.stats();
            live.cache_entries = stats.entries;
            live.cache_bytes = stats.bytes;
            live.cache_max_bytes = self.inner.config.cache.max_bytes;
            live.cache_evictions = c.evictions();
        }
        if self.inner.admission.is_some() {
            live.queue_depth = self.queue_depth() as u64;
            live.queue_capacity = self.inner.config.rate_limit.max_queue as u64;
        }
        #[cfg(feature = "redis")]
        {
            live.redis = self.redis_stats().map(|s| (s.errors, s.fallbacks));
        }
        live
    }

    /// The system prompt sent with every request.
    pub fn system_prompt(&self) -> &str {
        &self.inner.pipeline.system_prompt
    }

    /// Generates, validates and (when needed) repairs scripts for `req`: the stream of
    /// [`Spark::generate_stream`], collected.
    pub async fn generate(&self, req: GenerateRequest) -> Result<GeneratedScripts> {
        self.inner.tiers.check(req.tier.as_deref())?;
        self.inner.pipeline.run(req, &Sink::Collect).await
    }

    /// Like [`Spark::generate`], reporting progress as it goes. The stream ends with
    /// [`StreamEvent::Done`] or an error; dropping it cancels the work.
    pub fn generate_stream(
        &self,
        req: GenerateRequest,
    ) -> impl Stream<Item = Result<StreamEvent>> + Send + 'static + use<> {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<StreamEvent>>(64);
        let this = self.clone();
        tokio::spawn(async move {
            let sink = Sink::Stream(tx.clone());
            if let Err(e) = this.inner.tiers.check(req.tier.as_deref()) {
                let _ = tx.send(Err(e)).await;
                return;
            }
            tokio::select! {
                r = this.inner.pipeline.run(req, &sink) => if let Err(e) = r { let _ = tx.send(Err(e)).await; },
                _ = tx.closed() => {}
            }
        });
        futures::stream::poll_fn(move |cx| rx.poll_recv(cx))
    }

    /// Caller keys: create, list, revoke, verify. They live in the ledger's database (the
    /// `[ledger] path` file; memory without one) unless [`SparkBuilder::key_store`] says otherwise.
    pub fn keys(&self) -> &KeyManager {
        &self.inner.keys
    }

    /// Checks a caller key (`spk_…`) and returns what it allows; `Unauthenticated` with a
    /// reason otherwise. [`KeyInfo::apply`] then gives a request its caller id and tier, and
    /// [`KeyInfo::require`] checks a scope.
    pub async fn verify_key(&self, key: &str) -> Result<KeyInfo> {
        self.inner.keys.verify(key).await
    }

    /// The usage ledger, unless `ledger.enabled` is off.
    pub fn usage_store(&self) -> Option<&Arc<dyn UsageStore>> {
        self.inner.pipeline.ledger.as_ref().map(|l| &l.store)
    }

    /// Usage totals per caller over `period` (UTC), one caller's or everyone's: requests,
    /// errors, cache hits, tokens and USD.
    pub async fn usage(&self, caller: Option<&str>, period: Period) -> Result<Vec<UsageTotals>> {
        self.ledger()?.totals(&UsageQuery::new(caller, period)).await
    }

    /// Totals and records over `period` as JSON (see [`crate::ledger::export_json`]).
    pub async fn export_usage(&self, caller: Option<&str>, period: Period) -> Result<serde_json::Value> {
        crate::ledger::export_json(self.ledger()?.as_ref(), &UsageQuery::new(caller, period)).await
    }

    /// Usage totals over `period` grouped by caller, provider, day or hour, each with its
    /// error rate; one caller's or everyone's.
    pub async fn usage_by(
        &self,
        caller: Option<&str>,
        period: Period,
        by: crate::ledger::GroupBy,
    ) -> Result<Vec<crate::ledger::UsageGroup>> {
        self.ledger()?.grouped(&UsageQuery::new(caller, period), by).await
    }

    /// The `limit` callers ranking highest over `period` (by cost, requests, tokens or errors).
    pub async fn top_callers(
        &self,
        period: Period,
        rank: crate::ledger::RankBy,
        limit: usize,
    ) -> Result<Vec<crate::ledger::UsageGroup>> {
        crate::ledger::top_callers(self.ledger()?.as_ref(), &UsageQuery::new(None, period), rank, limit).await
    }

    /// One JSON report over `period`: per caller, per provider (error rates), per day, top callers
    /// (see [`crate::ledger::report_json`]).
    pub async fn usage_report(&self, caller: Option<&str>, period: Period) -> Result<serde_json::Value> {
        crate::ledger::report_json(self.ledger()?.as_ref(), &UsageQuery::new(caller, period)).await
    }

    fn ledger(&self) -> Result<&Arc<dyn UsageStore>> {
        self.usage_store().ok_or_else(|| {
            Error::config(
                "ledger.enabled",
                "the usage ledger is off (set ledger.path, a budget, or ledger.enabled = true)",
            )
        })
    }

    /// Validates one C# file on its own, without a provider.
    pub fn validate(&self, source: &str, file_name: &str) -> Result<Vec<Diagnostic>> {
        validate_with(source, file_name, &self.inner.config)
    }

    /// Validates a set of C# files as one Unity project with this client's policy: Editor
    /// folders and editor-only assembly definitions (`asmdefs`, their JSON) decide where
    /// UnityEditor is allowed, and a type declared twice in one assembly is an error (see
    /// [`crate::validate::validate_project`]). No provider is called.
    pub fn validate_project(
        &self,
        files: &[ProjectFile],
        asmdefs: &[ProjectFile],
    ) -> Result<Vec<Diagnostic>> {
        validate_project_with(files, asmdefs, &self.inner.config)
    }

    /// Builds an archive of `scripts` with this client's export settings; its manifest records
    /// the provider, model, request hash and diagnostics.
    pub fn export(&self, scripts: &GeneratedScripts, format: ExportFormat) -> Result<Vec<u8>> {
        crate::export::export_generated(scripts, format, &self.inner.config.export)
    }
}

/// Validates one file under `config`'s limits and policy.
pub fn validate_with(source: &str, file_name: &str, config: &SparkConfig) -> Result<Vec<Diagnostic>> {
    if source.len() > config.limits.max_source_bytes {
        return Err(Error::InputTooLarge {
            what: "source".into(),
            size: source.len(),
            limit: config.limits.max_source_bytes,
        });
    }
    Ok(validate_source(
        source,
        file_name,
        &config.validation.with_unity_default(&config.generation.unity_version),
    ))
}

/// Validates `files` (with the project's `asmdefs`) as one project under `config`'s limits and
/// policy: every file and asmdef must be within `limits.max_source_bytes`.
pub fn validate_project_with(
    files: &[ProjectFile],
    asmdefs: &[ProjectFile],
    config: &SparkConfig,
) -> Result<Vec<Diagnostic>> {
    let limit = config.limits.max_source_bytes;
    if let Some(f) = files.iter().chain(asmdefs).find(|f| f.content.len() > limit) {
        return Err(Error::InputTooLarge {
            what: format!("file `{}`", f.path),
            size: f.content.len(),
            limit,
        });
    }
    Ok(crate::validate::validate_project(
        files,
        asmdefs,
        &config.validation.with_unity_default(&config.generation.unity_version),
    ))
}

/// The ledger's database as `[ledger]` names it: PostgreSQL by `url` (cargo feature
/// `postgres`), the SQLite file or memory otherwise. Caller keys share it.
fn default_stores(config: &crate::ledger::LedgerConfig) -> Result<(Arc<dyn UsageStore>, Arc<dyn KeyStore>)> {
    #[cfg(feature = "postgres")]
    if let Some(url) = &config.url {
        let pg = crate::ledger::PgStore::open(url)?;
        return Ok((Arc::new(pg.clone()), Arc::new(pg)));
    }
    let sqlite = SqliteStore::open(config)?;
    Ok((Arc::new(sqlite.clone()), Arc::new(sqlite)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn public_types_are_send_sync() {
        assert_send_sync::<Spark>();
        assert_send_sync::<GeneratedScripts>();
        assert_send_sync::<Error>();
        assert_send_sync::<SparkConfig>();
    }
}
