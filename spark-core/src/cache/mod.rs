//! Response cache: exact-match keys, single-flight, bounded by bytes and time.
//!
//! A request is keyed by [`cache_key`] over the provider chain's identity and every field of the
//! [`CompletionRequest`]. Identical requests that arrive while one is in flight wait for it
//! (single-flight) instead of calling the provider again — for streams too: the first caller
//! streams live while the reply is recorded, late joiners get the whole result when it is done.
//! Only complete answers are stored: errors and streams cut short (error, deadline, caller gone)
//! are never cached; when the caller that was fetching goes away, one waiting caller takes over.
//!
//! Defaults (`[cache]` in [`SparkConfig`](crate::SparkConfig)): enabled, 64 MiB, one hour TTL.
//! `GenerateRequest::no_cache` bypasses it per request.

use std::any::Any;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use crate::config::check_range;
use crate::error::{Error, Result};
use crate::provider::{Completion, CompletionRequest, ProviderEvent, ProviderStream, Usage};
use crate::resilience::{RoutedStream, Router};

mod key;
mod store;

pub use key::{CacheKey, cache_key};
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

/// The response cache in front of the provider chain.
///
/// Besides completions it memoises finished results per client ([`ResponseCache::get_result`]):
/// extraction and validation are deterministic for a given reply and client configuration, so a
/// repeated request skips them too. That memo gets a quarter of `max_bytes` and the same TTL.
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
        Self::with_store(
            Arc::new(MokaStore::new(config.max_bytes, Duration::from_secs(config.ttl_secs))),
            config,
        )
    }

    /// A cache over another store; `config` sizes the result memo.
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

    /// The memo key of a client-level request (`request` serialized without who asks).
    pub fn result_key<T: Serialize>(&self, request: &T) -> CacheKey {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        h.update(b"spark-result-v1\n");
        h.update(serde_json::to_vec(request).unwrap_or_default());
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

    /// A cached answer, an in-flight one, or the right to fetch it.
    async fn acquire(&self, key: CacheKey) -> Result<Role> {
        loop {
            if let Some(hit) = self.shared.store.get(&key).await {
                self.shared.hits.fetch_add(1, Ordering::Relaxed);
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
                    if let Some(hit) = self.shared.store.get(&key).await {
                        self.shared.hits.fetch_add(1, Ordering::Relaxed);
                        guard.settle(Flight::Done(hit.clone()));
                        return Ok(Role::Hit(hit));
                    }
                    self.shared.misses.fetch_add(1, Ordering::Relaxed);
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
                    return Ok(Role::Hit(c));
                }
                Flight::Failed(e) => return Err(e),
                Flight::Abandoned | Flight::Running => continue,
            }
        }
    }

    /// A completion for `request` from the cache, from an identical request in flight, or from
    /// `router` (then stored). The flag is true when no provider was called for this caller.
    pub async fn complete(&self, router: &Router, request: &CompletionRequest) -> Result<(Completion, bool)> {
        let key = cache_key(router.identity_str(), request);
        match self.acquire(key).await? {
            Role::Hit(c) => Ok(((*c).clone(), true)),
            Role::Lead(guard) => match router.complete_routed(request).await {
                Ok(c) => {
                    let value = Arc::new(c);
                    self.shared.store.insert(key, value.clone()).await;
                    guard.settle(Flight::Done(value.clone()));
                    Ok((Arc::unwrap_or_clone(value), false))
                }
                Err(e) => {
                    guard.settle(if matches!(e, Error::Cancelled) {
                        Flight::Abandoned
                    } else {
                        Flight::Failed(e.clone())
                    });
                    Err(e)
                }
            },
        }
    }

    /// A stream for `request`: replayed from the cache or from an identical request in flight
    /// (once it is complete), or live from `router` while being recorded. The flag is true when
    /// no provider was called for this caller.
    pub async fn stream(&self, router: &Router, request: &CompletionRequest) -> Result<(RoutedStream, bool)> {
        let key = cache_key(router.identity_str(), request);
        match self.acquire(key).await? {
            Role::Hit(c) => Ok((replay(&c), true)),
            Role::Lead(guard) => match router.stream_routed(request).await {
                Ok(routed) => {
                    let recording = record(routed.stream, &routed.provider, &routed.model, key, guard);
                    Ok((RoutedStream { stream: recording, ..routed }, false))
                }
                Err(e) => {
                    guard.settle(if matches!(e, Error::Cancelled) {
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

/// A stored completion as a stream of provider events.
pub fn replay(c: &Completion) -> RoutedStream {
    let mut events =
        vec![Ok(ProviderEvent::Start { model: c.model.clone(), request_id: c.request_id.clone() })];
    if !c.text.is_empty() {
        events.push(Ok(ProviderEvent::TextDelta { text: c.text.clone() }));
    }
    events.push(Ok(ProviderEvent::Usage { usage: c.usage }));
    if let Some(reason) = &c.stop_reason {
        events.push(Ok(ProviderEvent::Stop { reason: reason.clone() }));
    }
    RoutedStream {
        provider: c.provider.clone(),
        model: c.model.clone(),
        stream: Box::pin(futures::stream::iter(events)),
    }
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
fn record(
    inner: ProviderStream,
    provider: &str,
    model: &str,
    key: CacheKey,
    guard: FlightGuard,
) -> ProviderStream {
    use futures::StreamExt;
    let acc = Completion {
        text: String::new(),
        usage: Usage::default(),
        stop_reason: None,
        provider: provider.to_string(),
        model: model.to_string(),
        request_id: None,
    };
    let state = Recording { inner, acc, key, guard: Some(guard) };
    Box::pin(futures::stream::unfold(state, |mut st| async move {
        let guard = st.guard.as_ref()?;
        match st.inner.next().await {
            Some(Ok(ev)) => {
                match &ev {
                    ProviderEvent::Start { model, request_id } => {
                        if !model.is_empty() {
                            st.acc.model = model.clone();
                        }
                        st.acc.request_id = request_id.clone();
                    }
                    ProviderEvent::TextDelta { text } => st.acc.text.push_str(text),
                    ProviderEvent::Usage { usage } => st.acc.usage = *usage,
                    ProviderEvent::Stop { reason } => st.acc.stop_reason = Some(reason.clone()),
                }
                Some((Ok(ev), st))
            }
            Some(Err(e)) => {
                if let Some(g) = st.guard.take() {
                    g.settle(Flight::Failed(e.clone()));
                }
                Some((Err(e), st))
            }
            None => {
                let value = Arc::new(std::mem::replace(&mut st.acc, empty()));
                guard.shared.store.insert(st.key, value.clone()).await;
                if let Some(g) = st.guard.take() {
                    g.settle(Flight::Done(value));
                }
                None
            }
        }
    }))
}

fn empty() -> Completion {
    Completion {
        text: String::new(),
        usage: Usage::default(),
        stop_reason: None,
        provider: String::new(),
        model: String::new(),
        request_id: None,
    }
}
