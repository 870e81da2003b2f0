//! State shared by many instances through Redis (`[redis]`, cargo feature `redis`).
//!
//! One SPARK process keeps its rate limits, budget reservations, response cache and signing
//! nonces in memory. Several processes behind a load balancer must share them, or a caller gets
//! N times its limit, a replayed request passes on another instance and the cache hit rate falls
//! by N. With `[redis] url` set (and the feature built in), [`Spark`](crate::Spark) keeps them in
//! Redis instead:
//!
//! - the rate limiter is the same GCRA as [`LocalRateLimiter`](crate::guard::LocalRateLimiter),
//!   run as one atomic Lua script on Redis's clock;
//! - budget reservations are counters per (scope, period) that a Lua script checks and raises
//!   atomically, expiring at the end of the period;
//! - the response cache is two-tier (the in-process moka store in front of Redis, TTL kept),
//!   and identical requests on several instances make one provider call: the first takes a short
//!   lock (`SET NX PX`), the others wait for its answer;
//! - signing nonces are `SET NX PX` keys (`RedisNonceStore`, which spark-server uses).
//!
//! Every Redis call is bounded by `timeout_ms`. When Redis is down or slow, `on_error` decides:
//! `open` (the default) serves that call from the in-process store, counts it and logs a warning
//! once per outage; `closed` refuses the call with a [`Error::Provider`] whose provider is
//! `redis` (code `connection`). The cache is an optimisation either way: a failing cache store is
//! a miss, never an error. The connection is opened on first use and re-opened after a failure,
//! so instances recover by themselves when Redis returns.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::cache::{CacheConfig, CacheStore};
use crate::check::check_range;
use crate::error::{Error, Result};
use crate::guard::RateLimitStore;
use crate::ledger::BudgetCounters;

#[cfg(feature = "redis")]
mod budget;
#[cfg(feature = "redis")]
mod cache;
#[cfg(feature = "redis")]
mod client;
#[cfg(feature = "redis")]
mod nonce;
#[cfg(feature = "redis")]
mod rate;
mod url;

pub use self::url::RedisUrl;
#[cfg(feature = "redis")]
pub use budget::RedisBudgets;
#[cfg(feature = "redis")]
pub use cache::RedisCacheStore;
#[cfg(feature = "redis")]
pub use client::{RedisClient, RedisStats};
#[cfg(feature = "redis")]
pub use nonce::RedisNonceStore;
#[cfg(feature = "redis")]
pub use rate::RedisRateLimiter;

/// What a call does when Redis is down or slower than `timeout_ms`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnError {
    /// Serve the call from this process's own store (limits then hold per instance).
    #[default]
    Open,
    /// Refuse the call with a typed error (code `connection`).
    Closed,
}

/// `[redis]`: where shared state lives. Without `url`, every store stays in process.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RedisConfig {
    /// `redis://[:password@]host:port[/db]`; it never prints with its password.
    pub url: Option<RedisUrl>,
    /// Prefix of every key SPARK writes (default `spark:`), so instances of one deployment share
    /// state and other deployments on the same Redis do not.
    pub key_prefix: String,
    /// Deadline of every Redis call, connecting included, in milliseconds (default 250).
    pub timeout_ms: u64,
    /// Policy when Redis is down or slow (default `open`).
    pub on_error: OnError,
    /// How long one instance may hold the right to fetch a reply others wait for, in
    /// milliseconds (default 30000); a waiter fetches for itself after that.
    pub lock_ms: u64,
}

impl Default for RedisConfig {
    fn default() -> Self {
        RedisConfig {
            url: None,
            key_prefix: "spark:".into(),
            timeout_ms: 250,
            on_error: OnError::Open,
            lock_ms: 30_000,
        }
    }
}

impl RedisConfig {
    /// Whether shared state is configured.
    pub fn is_on(&self) -> bool {
        self.url.is_some()
    }

    pub(crate) fn validate(&self) -> Result<()> {
        check_range("redis.timeout_ms", self.timeout_ms as f64, 1.0, 60_000.0)?;
        check_range("redis.lock_ms", self.lock_ms as f64, 10.0, 600_000.0)?;
        if self.key_prefix.len() > 128 || self.key_prefix.chars().any(char::is_control) {
            return Err(Error::config(
                "redis.key_prefix",
                "must be at most 128 characters, none of them control",
            ));
        }
        if let Some(url) = &self.url {
            url.validate("redis.url")?;
            if !cfg!(feature = "redis") {
                return Err(Error::config(
                    "redis.url",
                    "this build has no Redis support: rebuild with the cargo feature `redis`, or remove [redis]",
                ));
            }
        }
        Ok(())
    }
}

/// The shared stores `Spark` uses, when `[redis]` configures them.
#[derive(Debug, Default)]
pub(crate) struct Wiring {
    #[cfg(feature = "redis")]
    client: Option<Arc<RedisClient>>,
}

impl Wiring {
    /// From validated configuration; connects on first use only.
    #[cfg_attr(not(feature = "redis"), allow(clippy::unnecessary_wraps))]
    pub fn from_config(config: &RedisConfig) -> Result<Self> {
        #[cfg(feature = "redis")]
        {
            Ok(Wiring { client: RedisClient::from_config(config)?.map(Arc::new) })
        }
        #[cfg(not(feature = "redis"))]
        {
            let _ = config;
            Ok(Wiring::default())
        }
    }

    /// The shared rate limiter, if any.
    pub fn rate_limit_store(&self) -> Option<Arc<dyn RateLimitStore>> {
        #[cfg(feature = "redis")]
        if let Some(c) = &self.client {
            return Some(Arc::new(RedisRateLimiter::new(c.clone())));
        }
        None
    }

    /// The shared two-tier cache store, if any.
    pub fn cache_store(&self, cache: &CacheConfig) -> Option<Arc<dyn CacheStore>> {
        #[cfg(feature = "redis")]
        if let Some(c) = &self.client {
            return Some(Arc::new(RedisCacheStore::new(c.clone(), cache.max_bytes)));
        }
        let _ = cache;
        None
    }

    /// The shared budget counters, if any.
    pub fn budget_counters(&self) -> Option<Arc<dyn BudgetCounters>> {
        #[cfg(feature = "redis")]
        if let Some(c) = &self.client {
            return Some(Arc::new(RedisBudgets::new(c.clone())));
        }
        None
    }

    /// The client, for its counters.
    #[cfg(feature = "redis")]
    pub fn client(&self) -> Option<&Arc<RedisClient>> {
        self.client.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_never_prints_and_bad_values_are_named() {
        let c: RedisConfig =
            serde_json::from_value(serde_json::json!({"url": "redis://:hunter2-pw@127.0.0.1:6379/0"}))
                .unwrap();
        let shown = format!("{c:?} {} {}", c.url.as_ref().unwrap(), serde_json::to_string(&c).unwrap());
        assert!(!shown.contains("hunter2-pw"), "{shown}");
        assert!(shown.contains("127.0.0.1:6379"), "{shown}");
        let bad = RedisConfig { timeout_ms: 0, ..Default::default() };
        assert!(matches!(bad.validate(), Err(Error::Config { field, .. }) if field == "redis.timeout_ms"));
        let ftp: RedisConfig =
            serde_json::from_value(serde_json::json!({"url": "ftp://u:secret-77@h/"})).unwrap();
        let e = ftp.validate().unwrap_err();
        assert!(matches!(&e, Error::Config { field, .. } if field == "redis.url"), "{e}");
        assert!(!format!("{e} {e:?}").contains("secret-77"));
    }

    #[test]
    fn without_the_feature_a_url_is_a_config_error() {
        let c: RedisConfig =
            serde_json::from_value(serde_json::json!({"url": "redis://127.0.0.1:1"})).unwrap();
        let r = c.validate();
        if cfg!(feature = "redis") {
            r.unwrap();
        } else {
            let e = r.unwrap_err();
            assert!(e.to_string().contains("feature `redis`"), "{e}");
        }
    }
}
