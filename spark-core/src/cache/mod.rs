//! Response cache: exact-match keys, single-flight, bounded by bytes and time.
//!
//! [`CacheLayer`] wraps any [`Provider`] and is one itself. A request is keyed by [`cache_key`]
//! over the wrapped provider's identity and every field of the [`CompletionRequest`]. Identical
//! requests that arrive while one is in flight wait for it (single-flight) instead of calling the
//! provider again — for streams too: the first caller streams live while the reply is recorded,
//! late joiners get the whole reply when it is done. Only complete answers are stored: errors and
//! streams cut short (error, deadline, caller gone) are never cached; when the caller that was
//! fetching goes away, one waiting caller takes over. A failing [`CacheStore`] is a miss, never
//! an error: the cache is an optimisation.
//!
//! Defaults (`[cache]` in [`SparkConfig`](crate::SparkConfig)): enabled, 64 MiB, one hour TTL.
//! `GenerateRequest::no_cache` bypasses it per request.

use std::any::Any;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use crate::check::check_range;
use crate::error::{Error, Result};
use crate::observe::{CacheOutcome, Event, Observers};
use crate::provider::{Completion, CompletionRequest, Provider, ProviderEvent, ProviderStream};

mod key;
mod store;

pub use key::{CacheKey, cache_key};
pub(crate) use key::{TextDigest, cache_key_memo};
pub use store::{CacheStore, MokaStore, entry_weight};

/// Cache settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CacheConfig {
    /// Whether replies are cached (default true).
    pub enabled: bool,
    /// Upper bound of cached bytes (default 64 MiB); see [`entry_weight`].
    pub max_bytes: u64,
    /// Time to live, in seconds (default 3600).
    pub ttl_secs: u64,
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig { enabled: true, max_bytes: 64 * 1024 * 1024, ttl_secs: 3600 }
    }
}

impl CacheConfig {
    pub(crate) fn validate(&self) -> Result<()> {
        check_range("cache.ttl_secs", self.ttl_secs as f64, 1.0, 3.2e7)?;
        check_range("cache.max_bytes", self.max_bytes as f64, 1024.0, 1.1e12)
    }
}

/// Cache counters, as reported by [`crate::Spark::cache_stats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CacheStats {
    /// Requests answered from the store.
    pub hits: u64,
    /// Requests that called the provider chain.
    pub misses: u64,
    /// Requests that waited for an identical request in flight instead of calling the provider.
    pub coalesced: u64,
    /// Entries held (may lag behind recent writes).
    pub entries: u64,
    /// Approximate bytes held (may lag behind recent writes).
    pub bytes: u64,
}

#[derive(Debug, Clone)]
enum Flight {
    Running,
    Done(Arc<Completion>),
    Failed(Error),
    /// The fetching caller went away before an answer: a waiter must fetch itself.
    Abandoned,
}

#[derive(Debug)]
struct Shared {
    store: Arc<dyn CacheStore>,
    ttl: Duration,
    inflight: Mutex<HashMap<CacheKey, Arc<watch::Sender<Flight>>>>,
    hits: AtomicU64,
    misses: AtomicU64,
    coalesced: AtomicU64,
}

impl Shared {
    fn inflight(&self) -> std::sync::MutexGuard<'_, HashMap<CacheKey, Arc<watch::Sender<Flight>>>> {
        self.inflight.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Settles a flight exactly once; dropped unsettled, it marks the flight abandoned.
struct FlightGuard {
    shared: Arc<Shared>,
    key: CacheKey,
    tx: Arc<watch::Sender<Flight>>,
    settled: bool,
}

impl FlightGuard {
    fn settle(mut self, outcome: Flight) {
        self.finish(outcome);
    }

    fn finish(&mut self, outcome: Flight) {
        self.settled = true;
        if !matches!(outcome, Flight::Done(_)) {
            // A shared store may hold a fetch lock for this key: let other instances fetch now.
            let (store, key) = (self.shared.store.clone(), self.key);
            let mut release = Box::pin(async move {
                if let Err(e) = store.release(&key).await {
                    tracing::debug!(error = %e, "cache fetch lock not released; it expires by itself");
                }
            });
            if futures::FutureExt::now_or_never(&mut release).is_none()
                && let Ok(rt) = tokio::runtime::Handle::try_current()
            {
                rt.spawn(release);
            }
        }
        let mut map = self.shared.inflight();
        if map.get(&self.key).is_some_and(|t| Arc::ptr_eq(t, &self.tx)) {
            map.remove(&self.key);
        }
        drop(map);
        self.tx.send_replace(outcome);
    }
}

impl Drop for FlightGuard {
    fn drop(&mut self) {
        if !self.settled {
            self.finish(Flight::Abandoned);
        }
    }
}

enum Role {
    Hit(Arc<Completion>),
    Lead(FlightGuard),
}

type Memo = moka::future::Cache<CacheKey, (Arc<dyn Any + Send + Sync>, u32)>;

/// The response cache: a [`CacheStore`] with single-flight and counters, shared by the
/// [`CacheLayer`]s built from it; plus a memo of finished results.
///
/// The memo ([`ResponseCache::get_result`]) exists because extraction and validation are
/// deterministic for a given reply and client configuration, so a repeated request can skip them
/// too. It gets a quarter of `max_bytes` and the same TTL.
#[derive(Clone)]
pub struct ResponseCache {
    shared: Arc<Shared>,
    results: Memo,
}

impl std::fmt::Debug for ResponseCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseCache").field("store", &self.shared.store).finish_non_exhaustive()
    }
}

impl ResponseCache {
    /// A cache with an in-process [`MokaStore`] sized by `config`.
    pub fn new(config: &CacheConfig) -> Self {
        Self::with_store(Arc::new(MokaStore::new(config.max_bytes)), config)
    }

    /// A cache over another store; `config` gives the TTL and sizes the result memo.
    pub fn with_store(store: Arc<dyn CacheStore>, config: &CacheConfig) -> Self {
        let results = moka::future::Cache::builder()
            .max_capacity((config.max_bytes / 4).max(1))
            .weigher(|_: &CacheKey, v: &(Arc<dyn Any + Send + Sync>, u32)| v.1)
            .time_to_live(Duration::from_secs(config.ttl_secs))
            .build();
        ResponseCache {
            results,
            shared: Arc::new(Shared {
                store,
                ttl: Duration::from_secs(config.ttl_secs),
                inflight: Mutex::default(),
                hits: AtomicU64::new(0),
                misses: AtomicU64::new(0),
                coalesced: AtomicU64::new(0),
            }),
        }
    }

    /// The store behind the cache.
    pub fn store(&self) -> &Arc<dyn CacheStore> {
        &self.shared.store
    }

    /// Current counters.
    pub fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.shared.hits.load(Ordering::Relaxed),
            misses: self.shared.misses.load(Ordering::Relaxed),
            coalesced: self.shared.coalesced.load(Ordering::Relaxed),
            entries: self.shared.store.entry_count(),
            bytes: self.shared.store.weighted_bytes(),
        }
    }

    /// Entries the store evicted to respect its bounds (0 when the store cannot tell).
    pub fn evictions(&self) -> u64 {
        self.shared.store.evictions()
    }

    /// `inner` behind this cache, reporting to `observers`.
    pub fn layer(&self, inner: Arc<dyn Provider>, observers: Observers) -> CacheLayer {
        let identity = inner.identity();
        CacheLayer { inner, cache: self.clone(), identity, observers, system: TextDigest::default() }
    }

    /// The memo key of a client-level request (`request` serialized without who asks).
    pub fn result_key<T: Serialize>(&self, request: &T) -> CacheKey {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        h.update(b"spark-result-v2\n");
        // Straight into the hasher: no intermediate buffer. Writing to a hasher cannot fail,
        // and serializing plain data cannot either.
        let _ = serde_json::to_writer(HashWriter(&mut h), request);
        CacheKey(h.finalize().into())
    }

    /// A memoised finished result; counts as a cache hit.
    pub async fn get_result<V: Any + Send + Sync>(&self, key: &CacheKey) -> Option<Arc<V>> {
        let (value, _) = self.results.get(key).await?;
        let value = value.downcast::<V>().ok()?;
        self.shared.hits.fetch_add(1, Ordering::Relaxed);
        Some(value)
    }

    /// Memoises a finished result charged `bytes`.
    pub async fn put_result<V: Any + Send + Sync>(&self, key: CacheKey, value: Arc<V>, bytes: usize) {
        let weight = u32::try_from(bytes.saturating_add(160)).unwrap_or(u32::MAX);
        self.results.insert(key, (value as Arc<dyn Any + Send + Sync>, weight)).await;
    }

    async fn lookup(
        &self,
        key: &CacheKey,
        observers: &Observers,
        request_id: &str,
    ) -> Option<Arc<Completion>> {
        match self.shared.store.get(key).await {
            Ok(hit) => hit,
            Err(e) => {
                tracing::warn!(error = %e, "cache store failed; serving as a miss");
                observers.emit(Event::Cache { request_id, outcome: CacheOutcome::StoreError });
                None
            }
        }
    }

    /// A cached answer, an in-flight one, or the right to fetch it.
    async fn acquire(&self, key: CacheKey, observers: &Observers, request_id: &str) -> Result<Role> {
        loop {
            if let Some(hit) = self.lookup(&key, observers, request_id).await {
                self.shared.hits.fetch_add(1, Ordering::Relaxed);
                observers.emit(Event::Cache { request_id, outcome: CacheOutcome::Hit });
                return Ok(Role::Hit(hit));
            }
            let joined = {
                let mut map = self.shared.inflight();
                match map.get(&key) {
                    Some(tx) => Ok(tx.subscribe()),
                    None => {
                        let tx = Arc::new(watch::Sender::new(Flight::Running));
                        map.insert(key, tx.clone());
                        Err(tx)
                    }
                }
            };
            let mut rx = match joined {
                Ok(rx) => rx,
                Err(tx) => {
                    let guard = FlightGuard { shared: self.shared.clone(), key, tx, settled: false };
                    // A flight may have finished between the store lookup and taking the lock.
                    if let Some(hit) = self.lookup(&key, observers, request_id).await {
                        self.shared.hits.fetch_add(1, Ordering::Relaxed);
                        observers.emit(Event::Cache { request_id, outcome: CacheOutcome::Hit });
                        guard.settle(Flight::Done(hit.clone()));
                        return Ok(Role::Hit(hit));
                    }
                    // Another instance may be fetching the same reply (a shared store).
                    match self.shared.store.coalesce(&key).await {
                        Ok(Some(hit)) => {
                            self.shared.coalesced.fetch_add(1, Ordering::Relaxed);
                            observers.emit(Event::Cache { request_id, outcome: CacheOutcome::Coalesced });
                            guard.settle(Flight::Done(hit.clone()));
                            return Ok(Role::Hit(hit));
                        }
                        Ok(None) => {}
                        Err(e) => {
                            tracing::warn!(error = %e, "cache store failed to coalesce; fetching");
                            observers.emit(Event::Cache { request_id, outcome: CacheOutcome::StoreError });
                        }
                    }
                    self.shared.misses.fetch_add(1, Ordering::Relaxed);
                    observers.emit(Event::Cache { request_id, outcome: CacheOutcome::Miss });
                    return Ok(Role::Lead(guard));
                }
            };
            let outcome = match rx.wait_for(|f| !matches!(f, Flight::Running)).await {
                Ok(f) => f.clone(),
                Err(_) => Flight::Abandoned,
            };
            match outcome {
                Flight::Done(c) => {
                    self.shared.coalesced.fetch_add(1, Ordering::Relaxed);
                    observers.emit(Event::Cache { request_id, outcome: CacheOutcome::Coalesced });
                    return Ok(Role::Hit(c));
                }
                Flight::Failed(e) => return Err(e),
                Flight::Abandoned | Flight::Running => continue,
            }
        }
    }
}

/// A [`Provider`] behind the response cache: replays stored replies, coalesces identical
/// requests in flight, records complete replies. Built by [`ResponseCache::layer`].
pub struct CacheLayer {
    inner: Arc<dyn Provider>,
    cache: ResponseCache,
    identity: String,
    observers: Observers,
    system: TextDigest,
}

impl std::fmt::Debug for CacheLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CacheLayer").field("inner", &self.identity).finish_non_exhaustive()
    }
}

#[async_trait]
impl Provider for CacheLayer {
    crate::provider::forward_provider_identity!(inner);

    async fn stream(&self, request: &CompletionRequest) -> Result<ProviderStream> {
        let request_id = request.context.request_id.as_deref().unwrap_or("");
        if request.context.no_cache {
            self.observers.emit(Event::Cache { request_id, outcome: CacheOutcome::Bypass });
            return self.inner.stream(request).await;
        }
        // A request pinned to one provider of the chain is a different question.
        let key = match &request.context.provider {
            None => cache_key_memo(&self.identity, request, &self.system),
            Some(p) => cache_key_memo(&format!("{} | only {p}", self.identity), request, &self.system),
        };
        let span = crate::observe::trace::stage_span(crate::observe::Stage::Cache, request_id);
        let role =
            tracing::Instrument::instrument(self.cache.acquire(key, &self.observers, request_id), span).await;
        match role? {
            Role::Hit(c) => Ok(replay(&c)),
            Role::Lead(guard) => match self.inner.stream(request).await {
                Ok(stream) => Ok(record(stream, key, guard)),
                Err(e) => {
                    // The leader's own refusal (its rate limit, the queue, its budget, its
                    // cancellation) says nothing about the answer: a waiter fetches for itself.
                    guard.settle(if is_callers_own(&e) {
                        Flight::Abandoned
                    } else {
                        Flight::Failed(e.clone())
                    });
                    Err(e)
                }
            },
        }
    }
}

/// Errors that belong to the caller who met them, not to the request's answer.
fn is_callers_own(e: &Error) -> bool {
    matches!(
        e,
        Error::Cancelled
            | Error::RateLimited { .. }
            | Error::QueueFull { .. }
            | Error::BudgetExceeded { .. }
            | Error::InputRejected { .. }
    )
}

/// A stored completion as a stream of provider events, marked as cached.
pub fn replay(c: &Completion) -> ProviderStream {
    let mut events = vec![Ok(ProviderEvent::Start {
        model: c.model.clone(),
        request_id: c.request_id.clone(),
        provider: c.provider.clone(),
        cached: true,
    })];
    if !c.text.is_empty() {
        events.push(Ok(ProviderEvent::TextDelta { text: c.text.clone() }));
    }
    events.push(Ok(ProviderEvent::Usage { usage: c.usage }));
    if let Some(reason) = &c.stop_reason {
        events.push(Ok(ProviderEvent::Stop { reason: reason.clone() }));
    }
    Box::pin(futures::stream::iter(events))
}

struct Recording {
    inner: ProviderStream,
    acc: Completion,
    key: CacheKey,
    guard: Option<FlightGuard>,
}

/// Passes `inner` through while collecting it; a stream that ends cleanly is stored and handed
/// to the waiters, one that fails hands them the error, one that is dropped early lets a waiter
/// fetch again.
fn record(inner: ProviderStream, key: CacheKey, guard: FlightGuard) -> ProviderStream {
    use futures::StreamExt;
    let state = Recording { inner, acc: Completion::empty("", ""), key, guard: Some(guard) };
    Box::pin(futures::stream::unfold(state, |mut st| async move {
        let guard = st.guard.as_ref()?;
        match st.inner.next().await {
            Some(Ok(ev)) => {
                st.acc.apply(&ev);
                Some((Ok(ev), st))
            }
            Some(Err(e)) => {
                if let Some(g) = st.guard.take() {
                    g.settle(Flight::Failed(e.clone()));
                }
                Some((Err(e), st))
            }
            None => {
                let mut done = std::mem::replace(&mut st.acc, Completion::empty("", ""));
                done.cached = false;
                let value = Arc::new(done);
                let shared = guard.shared.clone();
                if let Err(e) = shared.store.put(st.key, value.clone(), shared.ttl).await {
                    tracing::warn!(error = %e, "cache store failed to keep a reply");
                }
                if let Some(g) = st.guard.take() {
                    g.settle(Flight::Done(value));
                }
                None
            }
        }
    }))
}

/// Feeds what is written into a SHA-256 state.
struct HashWriter<'a>(&'a mut sha2::Sha256);

impl std::io::Write for HashWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        sha2::Digest::update(self.0, buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
