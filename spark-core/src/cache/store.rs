//! Where cached completions live: the [`CacheStore`] trait and the in-process moka store.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;

use super::CacheKey;
use crate::error::Result;
use crate::provider::Completion;

/// A store of finished completions. Implement it to share a cache between processes (Redis,
/// memcached…); SPARK adds single-flight, statistics and the no-partial-results rule on top.
///
/// Every call may fail (a network store can be down or slow): the cache layer then serves the
/// request as a miss and reports [`CacheOutcome::StoreError`](crate::observe::CacheOutcome).
#[async_trait]
pub trait CacheStore: Send + Sync + std::fmt::Debug + 'static {
    /// The completion stored under `key`, if present and not expired.
    async fn get(&self, key: &CacheKey) -> Result<Option<Arc<Completion>>>;
    /// Stores `value` under `key` for at most `ttl` (the store may evict sooner to respect its
    /// bounds).
    async fn put(&self, key: CacheKey, value: Arc<Completion>, ttl: Duration) -> Result<()>;
    /// Removes `key`.
    async fn remove(&self, key: &CacheKey) -> Result<()>;
    /// Entries currently held (may lag behind recent writes; 0 when the store cannot tell).
    fn entry_count(&self) -> u64;
    /// Approximate bytes currently held (may lag behind recent writes; 0 when unknown).
    fn weighted_bytes(&self) -> u64;
    /// Entries evicted to respect the store's bounds since it was made (0 when unknown).
    fn evictions(&self) -> u64 {
        0
    }
    /// Called after a miss, before this caller fetches `key` from a provider: a store shared by
    /// several instances may wait here for another instance fetching the same key.
    /// `Ok(Some(reply))`: it arrived meanwhile; `Ok(None)`: fetch it (a shared store then holds a
    /// short lock on the key until [`put`](Self::put) or [`release`](Self::release)). The
    /// default fetches at once.
    async fn coalesce(&self, key: &CacheKey) -> Result<Option<Arc<Completion>>> {
        let _ = key;
        Ok(None)
    }
    /// Gives up a fetch that [`coalesce`](Self::coalesce) granted but that stored nothing (it
    /// failed, or its caller went away), so another instance may fetch at once.
    async fn release(&self, key: &CacheKey) -> Result<()> {
        let _ = key;
        Ok(())
    }
}

/// Bytes an entry is charged: its strings plus a fixed overhead for the key and bookkeeping.
pub fn entry_weight(key: &CacheKey, value: &Completion) -> u32 {
    let bytes = key.0.len()
        + value.text.len()
        + value.provider.len()
        + value.model.len()
        + value.request_id.as_ref().map_or(0, |s| s.len())
        + 128;
    u32::try_from(bytes).unwrap_or(u32::MAX)
}

#[derive(Clone)]
struct Entry {
    value: Arc<Completion>,
    ttl: Duration,
}

struct PerEntryTtl;

impl moka::Expiry<CacheKey, Entry> for PerEntryTtl {
    fn expire_after_create(&self, _key: &CacheKey, value: &Entry, _created_at: Instant) -> Option<Duration> {
        Some(value.ttl)
    }
    fn expire_after_update(
        &self,
        _key: &CacheKey,
        value: &Entry,
        _updated_at: Instant,
        _duration_until_expiry: Option<Duration>,
    ) -> Option<Duration> {
        Some(value.ttl)
    }
}

/// The in-process store: a moka cache bounded by bytes (see [`entry_weight`]), each entry living
/// for the TTL it was stored with.
#[derive(Clone)]
pub struct MokaStore {
    cache: moka::future::Cache<CacheKey, Entry>,
    evictions: Arc<std::sync::atomic::AtomicU64>,
}

impl std::fmt::Debug for MokaStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MokaStore").field("entries", &self.cache.entry_count()).finish()
    }
}

impl MokaStore {
    /// A store holding at most `max_bytes`.
    pub fn new(max_bytes: u64) -> Self {
        let evictions = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let cache = moka::future::Cache::builder()
            .max_capacity(max_bytes)
            .weigher(|k: &CacheKey, v: &Entry| entry_weight(k, &v.value))
            .expire_after(PerEntryTtl)
            .eviction_listener({
                let evictions = evictions.clone();
                move |_k, _v, cause| {
                    if cause == moka::notification::RemovalCause::Size {
                        evictions.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                }
            })
            .build();
        MokaStore { cache, evictions }
    }

    /// Runs moka's pending maintenance (evictions, expirations) now instead of lazily; makes
    /// [`CacheStore::entry_count`] and [`CacheStore::weighted_bytes`] exact.
    pub async fn run_pending_tasks(&self) {
        self.cache.run_pending_tasks().await;
    }
}

#[async_trait]
impl CacheStore for MokaStore {
    async fn get(&self, key: &CacheKey) -> Result<Option<Arc<Completion>>> {
        Ok(self.cache.get(key).await.map(|e| e.value))
    }
    async fn put(&self, key: CacheKey, value: Arc<Completion>, ttl: Duration) -> Result<()> {
        self.cache.insert(key, Entry { value, ttl }).await;
        Ok(())
    }
    async fn remove(&self, key: &CacheKey) -> Result<()> {
        self.cache.invalidate(key).await;
        Ok(())
    }
    fn entry_count(&self) -> u64 {
        self.cache.entry_count()
    }
    fn weighted_bytes(&self) -> u64 {
        self.cache.weighted_size()
    }
    fn evictions(&self) -> u64 {
        self.evictions.load(std::sync::atomic::Ordering::Relaxed)
    }
}
