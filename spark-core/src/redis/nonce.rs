//! Signing nonces on Redis: a nonce used through one instance is refused by every other.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use super::{RedisClient, RedisConfig};
use crate::error::Result;
use crate::guard::signing::{MemoryNonceStore, NonceStore, SignatureError};

/// A [`NonceStore`] of `SET NX PX` keys. Under `on_error = "open"`, a nonce that cannot be
/// recorded in Redis is recorded in this process instead (replays across instances are then
/// possible during the outage); under `closed` the request is refused
/// ([`SignatureError::NonceStoreFull`]: the nonce cannot be recorded).
#[derive(Debug)]
pub struct RedisNonceStore {
    client: Arc<RedisClient>,
    local: MemoryNonceStore,
}

impl RedisNonceStore {
    /// A store over `client`, falling back to an in-process store of `max_local` nonces.
    pub fn new(client: Arc<RedisClient>, max_local: usize) -> Self {
        RedisNonceStore { client, local: MemoryNonceStore::new(max_local) }
    }

    /// A store for `[redis]`, or `None` when it names no URL.
    pub fn from_config(config: &RedisConfig, max_local: usize) -> Result<Option<Arc<dyn NonceStore>>> {
        Ok(RedisClient::from_config(config)?
            .map(|c| Arc::new(RedisNonceStore::new(Arc::new(c), max_local)) as Arc<dyn NonceStore>))
    }
}

#[async_trait]
impl NonceStore for RedisNonceStore {
    async fn insert_new(&self, key_id: &str, nonce: &str, ttl: Duration) -> Result<bool, SignatureError> {
        // Key ids and nonces are printable ASCII without newlines, so this cannot collide.
        let key = self.client.key("nonce", &format!("{key_id}\n{nonce}"));
        let ttl_ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        let run = self
            .client
            .call("nonce", |mut c| async move {
                ::redis::cmd("SET")
                    .arg(key)
                    .arg(1)
                    .arg("NX")
                    .arg("PX")
                    .arg(ttl_ms)
                    .query_async::<Option<String>>(&mut c)
                    .await
            })
            .await;
        match run {
            Ok(set) => Ok(set.is_some()),
            Err(f) => {
                self.client.fallback(f).map_err(|_| SignatureError::NonceStoreFull)?;
                self.local.insert_new(key_id, nonce, ttl).await
            }
        }
    }
}
