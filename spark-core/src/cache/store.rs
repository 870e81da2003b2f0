//! Where cached completions live: the [`CacheStore`] trait and the in-process moka store.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use super::CacheKey;
use crate::provider::Completion;

/// A store of finished completions. Implement it to share a cache between processes (Redis,
/// memcached…); SPARK adds single-flight, statistics and the no-partial-results rule on top.
#[async_trait]
pub trait CacheStore: Send + Sync + std::fmt::Debug + 'static {
    /// The completion stored under `key`, if present and not expired.
    async fn get(&self, key: &CacheKey) -> Option<Arc<Completion>>;
    /// Stores `value` under `key` (the store may evict to respect its bounds).
    async fn insert(&self, key: CacheKey, value: Arc<Completion>);
    /// Removes `key`.
    async fn remove(&self, key: &CacheKey);
    /// Entries currently held (may lag behind recent writes).
    fn entry_count(&self) -> u64;
    /// Approximate bytes currently held (may lag behind recent writes).
    fn weighted_bytes(&self) -> u64;
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

/// The in-process store: a moka cache bounded by bytes (see [`entry_weight`]) and by time to
/// live.
#[derive(Debug, Clone)]
pub struct MokaStore {
    cache: moka::future::Cache<CacheKey, Arc<Completion>>,
}

impl MokaStore {
    /// A store holding at most `max_bytes` for at most `ttl` per entry.
    pub fn new(max_bytes: u64, ttl: Duration) -> Self {
        let cache = moka::future::Cache::builder()
            .max_capacity(max_bytes)
            .weigher(|k: &CacheKey, v: &Arc<Completion>| entry_weight(k, v))
            .time_to_live(ttl)
            .build();
        MokaStore { cache }
    }

    /// Runs moka's pending maintenance (evictions, expirations) now instead of lazily; makes
    /// [`CacheStore::entry_count`] and [`CacheStore::weighted_bytes`] exact.
    pub async fn run_pending_tasks(&self) {
        self.cache.run_pending_tasks().await;
    }
}

#[async_trait]
impl CacheStore for MokaStore {
    async fn get(&self, key: &CacheKey) -> Option<Arc<Completion>> {
        self.cache.get(key).await
    }
    async fn insert(&self, key: CacheKey, value: Arc<Completion>) {
        self.cache.insert(key, value).await;
    }
    async fn remove(&self, key: &CacheKey) {
        self.cache.invalidate(key).await;
    }
    fn entry_count(&self) -> u64 {
        self.cache.entry_count()
    }
    fn weighted_bytes(&self) -> u64 {
        self.cache.weighted_size()
    }
}
