//! The connection every Redis store shares: opened on first use, every call under a deadline,
//! failures turned into the configured policy.

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use ::redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::{OnError, RedisConfig};
use crate::error::{Error, ProviderError, ProviderErrorKind, Result};

/// Counters of one client's Redis calls.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RedisStats {
    /// Calls that failed or passed `timeout_ms`.
    pub errors: u64,
    /// Of those, calls served from the in-process store instead (`on_error = "open"`).
    pub fallbacks: u64,
}

/// A Redis connection shared by the stores of one client (a multiplexed connection that
/// reconnects by itself), with the `[redis]` policy.
pub struct RedisClient {
    client: ::redis::Client,
    conn: tokio::sync::OnceCell<ConnectionManager>,
    prefix: String,
    timeout: Duration,
    policy: OnError,
    pub(super) lock: Duration,
    password: Option<String>,
    redacted: String,
    errors: AtomicU64,
    fallbacks: AtomicU64,
    /// Whether the last call failed: an outage is logged once, not per call.
    down: AtomicBool,
}

impl std::fmt::Debug for RedisClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisClient")
            .field("url", &self.redacted)
            .field("prefix", &self.prefix)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl RedisClient {
    /// A client for `[redis]` (validated), or `None` without a URL. Connects on first use.
    pub fn from_config(config: &RedisConfig) -> Result<Option<Self>> {
        let Some(url) = &config.url else { return Ok(None) };
        url.validate("redis.url")?;
        let client = ::redis::Client::open(url.expose())
            .map_err(|e| Error::config("redis.url", format!("cannot be used: {:?}", e.kind())))?;
        Ok(Some(RedisClient {
            client,
            conn: tokio::sync::OnceCell::new(),
            prefix: config.key_prefix.clone(),
            timeout: Duration::from_millis(config.timeout_ms.max(1)),
            policy: config.on_error,
            lock: Duration::from_millis(config.lock_ms.max(10)),
            password: url.password(),
            redacted: url.redacted(),
            errors: AtomicU64::new(0),
            fallbacks: AtomicU64::new(0),
            down: AtomicBool::new(false),
        }))
    }

    /// Counters so far.
    pub fn stats(&self) -> RedisStats {
        RedisStats {
            errors: self.errors.load(Ordering::Relaxed),
            fallbacks: self.fallbacks.load(Ordering::Relaxed),
        }
    }

    /// `key` under the configured prefix.
    pub(super) fn key(&self, kind: &str, key: &str) -> String {
        format!("{}{kind}:{key}", self.prefix)
    }

    pub(super) fn policy(&self) -> OnError {
        self.policy
    }

    async fn connection(&self) -> ::redis::RedisResult<ConnectionManager> {
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.timeout))
            .set_response_timeout(Some(self.timeout))
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_millis(500));
        let conn = self
            .conn
            .get_or_try_init(|| ConnectionManager::new_with_config(self.client.clone(), config))
            .await?;
        Ok(conn.clone())
    }

    /// Runs `f` on the connection within `timeout_ms`. The error is already redacted and counted
    /// (as [`Failure`]); the caller applies the policy with [`Failure::fallback`].
    pub(super) async fn call<T, F, Fut>(&self, what: &'static str, f: F) -> std::result::Result<T, Failure>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: Future<Output = ::redis::RedisResult<T>>,
    {
        let run = async {
            let conn = self.connection().await?;
            f(conn).await
        };
        let outcome = match tokio::time::timeout(self.timeout, run).await {
            Ok(Ok(v)) => {
                if self.down.swap(false, Ordering::Relaxed) {
                    tracing::info!(what, "redis is reachable again");
                }
                return Ok(v);
            }
            Ok(Err(e)) => self.scrub(&format!("{e}")),
            Err(_) => format!("no answer within {} ms", self.timeout.as_millis()),
        };
        self.errors.fetch_add(1, Ordering::Relaxed);
        if !self.down.swap(true, Ordering::Relaxed) {
            tracing::warn!(what, error = %outcome, policy = ?self.policy, url = %self.redacted, "redis call failed");
        }
        Err(Failure { what, message: outcome })
    }

    /// Applies the policy to a failure: `Ok(())` means "serve this call locally" (counted as a
    /// fallback), an error means refuse it.
    pub(super) fn fallback(&self, failure: Failure) -> Result<()> {
        match self.policy {
            OnError::Open => {
                self.fallbacks.fetch_add(1, Ordering::Relaxed);
                tracing::debug!(what = failure.what, "redis unavailable; served by the local store");
                Ok(())
            }
            OnError::Closed => Err(failure.into()),
        }
    }

    fn scrub(&self, message: &str) -> String {
        match &self.password {
            Some(p) if !p.is_empty() => message.replace(p.as_str(), "***"),
            _ => message.to_string(),
        }
    }
}

/// A Redis call that failed or passed its deadline; its message never holds the password.
#[derive(Debug)]
pub(super) struct Failure {
    what: &'static str,
    message: String,
}

impl From<Failure> for Error {
    fn from(f: Failure) -> Self {
        let mut e = ProviderError::new(
            "redis",
            ProviderErrorKind::Connection,
            format!("shared state unavailable ({}): {}", f.what, f.message),
        );
        e.retry_after = Some(Duration::from_secs(1));
        Error::Provider(Box::new(e))
    }
}
