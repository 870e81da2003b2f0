//! The two-tier response cache store: moka in this process in front of Redis, plus a short
//! fetch lock per key so that identical requests on several instances make one provider call.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;

use super::{OnError, RedisClient};
use crate::cache::{CacheKey, CacheStore, MokaStore};
use crate::error::Result;
use crate::provider::Completion;

/// Deletes KEYS[1] only while it holds ARGV[1] (our lock, not one taken after ours expired).
const UNLOCK: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
";

/// A [`CacheStore`] over Redis with an in-process [`MokaStore`] in front.
///
/// A reply found in Redis is copied to the front store for the TTL it has left. When Redis is
/// unavailable the front store alone answers (`on_error = "open"`), or the lookup fails and the
/// cache serves the request as a miss (`closed`).
#[derive(Debug)]
pub struct RedisCacheStore {
    client: Arc<RedisClient>,
    front: MokaStore,
    /// Fetch locks this instance holds: key → its random token.
    locks: Mutex<HashMap<CacheKey, String>>,
    unlock: ::redis::Script,
}

impl RedisCacheStore {
    /// A store over `client` with a front store of `max_bytes`.
    pub fn new(client: Arc<RedisClient>, max_bytes: u64) -> Self {
        RedisCacheStore {
            client,
            front: MokaStore::new(max_bytes),
            locks: Mutex::default(),
            unlock: ::redis::Script::new(UNLOCK),
        }
    }

    fn value_key(&self, key: &CacheKey) -> String {
        self.client.key("cache", &hex::encode(key.0))
    }

    fn lock_key(&self, key: &CacheKey) -> String {
        self.client.key("cache-lock", &hex::encode(key.0))
    }

    fn locks(&self) -> std::sync::MutexGuard<'_, HashMap<CacheKey, String>> {
        self.locks.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The reply in Redis and its remaining TTL; copied to the front store.
    async fn fetch(
        &self,
        key: &CacheKey,
    ) -> std::result::Result<Option<Arc<Completion>>, super::client::Failure> {
        let rkey = self.value_key(key);
        let (raw, pttl): (Option<Vec<u8>>, i64) = self
            .client
            .call("cache_get", |mut c| async move {
                ::redis::pipe().get(&rkey).pttl(&rkey).query_async(&mut c).await
            })
            .await?;
        let Some(raw) = raw else { return Ok(None) };
        // A value another version wrote in another shape is a miss, not an error.
        let Ok(value) = serde_json::from_slice::<Completion>(&raw) else { return Ok(None) };
        let value = Arc::new(value);
        if let Ok(ms) = u64::try_from(pttl)
            && ms > 0
        {
            let _ = self.front.put(*key, value.clone(), Duration::from_millis(ms)).await;
        }
        Ok(Some(value))
    }

    async fn unlock(&self, key: &CacheKey) -> Result<()> {
        let Some(token) = self.locks().remove(key) else { return Ok(()) };
        let (lock, script) = (self.lock_key(key), &self.unlock);
        let run = self
            .client
            .call("cache_unlock", |mut c| async move {
                script.key(lock).arg(token).invoke_async::<i64>(&mut c).await
            })
            .await;
        // A lock left behind expires after `lock_ms`; nothing else depends on it.
        run.map(|_| ()).or_else(|f| self.client.fallback(f))
    }
}

/// A random lock token, so that only the instance that took a lock removes it.
fn token() -> String {
    format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..))
}

#[async_trait]
impl CacheStore for RedisCacheStore {
    async fn get(&self, key: &CacheKey) -> Result<Option<Arc<Completion>>> {
        if let Some(hit) = self.front.get(key).await? {
            return Ok(Some(hit));
        }
        match self.fetch(key).await {
            Ok(v) => Ok(v),
            Err(f) => {
                // Open: the front store already missed, so this is a miss.
                self.client.fallback(f)?;
                Ok(None)
            }
        }
    }

    async fn put(&self, key: CacheKey, value: Arc<Completion>, ttl: Duration) -> Result<()> {
        self.front.put(key, value.clone(), ttl).await?;
        let body = serde_json::to_vec(value.as_ref()).map_err(|e| crate::Error::Internal(e.to_string()))?;
        let (rkey, ttl_ms) =
            (self.value_key(&key), u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1));
        let run = self
            .client
            .call("cache_put", |mut c| async move {
                ::redis::cmd("SET").arg(rkey).arg(body).arg("PX").arg(ttl_ms).query_async::<()>(&mut c).await
            })
            .await;
        let stored = run.or_else(|f| self.client.fallback(f));
        // Waiters on other instances now find the reply; the lock is done either way.
        let unlocked = self.unlock(&key).await;
        stored.and(unlocked)
    }

    async fn remove(&self, key: &CacheKey) -> Result<()> {
        self.front.remove(key).await?;
        let rkey = self.value_key(key);
        let run = self
            .client
            .call("cache_remove", |mut c| async move {
                ::redis::cmd("DEL").arg(rkey).query_async::<i64>(&mut c).await
            })
            .await;
        run.map(|_| ()).or_else(|f| self.client.fallback(f))
    }

    fn entry_count(&self) -> u64 {
        self.front.entry_count()
    }

    fn weighted_bytes(&self) -> u64 {
        self.front.weighted_bytes()
    }

    fn evictions(&self) -> u64 {
        self.front.evictions()
    }

    async fn coalesce(&self, key: &CacheKey) -> Result<Option<Arc<Completion>>> {
        let deadline = tokio::time::Instant::now() + self.client.lock;
        let lock_ms = u64::try_from(self.client.lock.as_millis()).unwrap_or(u64::MAX);
        let mut pause = Duration::from_millis(5);
        loop {
            let (lock, mine) = (self.lock_key(key), token());
            let held = mine.clone();
            let taken = self
                .client
                .call("cache_lock", |mut c| async move {
                    ::redis::cmd("SET")
                        .arg(lock)
                        .arg(held)
                        .arg("NX")
                        .arg("PX")
                        .arg(lock_ms)
                        .query_async::<Option<String>>(&mut c)
                        .await
                })
                .await;
            match taken {
                Ok(Some(_)) => {
                    self.locks().insert(*key, mine);
                    // The holder before us may have stored the reply and unlocked just now.
                    return match self.fetch(key).await {
                        Ok(Some(hit)) => {
                            self.unlock(key).await?;
                            Ok(Some(hit))
                        }
                        Ok(None) => Ok(None),
                        Err(f) => self.client.fallback(f).map(|()| None),
                    };
                }
                Ok(None) => {}
                Err(f) => {
                    // No lock service: fetch ourselves (open), or say so (closed: the cache layer
                    // still fetches, as a failing store is never an error).
                    return match self.client.policy() {
                        OnError::Open => self.client.fallback(f).map(|()| None),
                        OnError::Closed => Err(f.into()),
                    };
                }
            }
            // Another instance is fetching: wait for its reply, or for its lock to go.
            if tokio::time::Instant::now() + pause > deadline {
                return Ok(None);
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(50));
            match self.fetch(key).await {
                Ok(Some(hit)) => return Ok(Some(hit)),
                Ok(None) => {}
                Err(f) => return self.client.fallback(f).map(|()| None),
            }
        }
    }

    async fn release(&self, key: &CacheKey) -> Result<()> {
        self.unlock(key).await
    }
}
