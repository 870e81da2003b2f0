//! Guards in front of the providers: input limits, per-caller rate limits, admission control.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::config::{LimitsConfig, RateLimitConfig};
use crate::error::{Error, Result};

/// Largest caller id accepted, in bytes.
pub const MAX_CALLER_BYTES: usize = 256;

/// Checks a prompt: not empty, within the size limit, no NUL bytes.
pub fn check_prompt(prompt: &str, limits: &LimitsConfig) -> Result<()> {
    if prompt.len() > limits.max_prompt_bytes {
        return Err(Error::InputTooLarge {
            what: "prompt".into(),
            size: prompt.len(),
            limit: limits.max_prompt_bytes,
        });
    }
    if prompt.trim().is_empty() {
        return Err(Error::InvalidRequest("the prompt is empty".into()));
    }
    if prompt.contains('\0') {
        return Err(Error::InvalidRequest("the prompt contains a NUL character".into()));
    }
    Ok(())
}

/// Checks a caller id: short and printable.
pub fn check_caller(caller: &str) -> Result<()> {
    if caller.len() > MAX_CALLER_BYTES {
        return Err(Error::InputTooLarge {
            what: "caller id".into(),
            size: caller.len(),
            limit: MAX_CALLER_BYTES,
        });
    }
    if caller.chars().any(char::is_control) {
        return Err(Error::InvalidRequest("the caller id contains control characters".into()));
    }
    Ok(())
}

/// Per-caller token buckets plus a global concurrency limit with a bounded wait queue.
pub struct Admission {
    limiter: Option<DefaultKeyedRateLimiter<String>>,
    slots: Arc<Semaphore>,
    waiting: AtomicUsize,
    max_queue: usize,
}

impl std::fmt::Debug for Admission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Admission")
            .field("rate_limited", &self.limiter.is_some())
            .field("free_slots", &self.slots.available_permits())
            .field("waiting", &self.waiting.load(Ordering::Relaxed))
            .finish()
    }
}

/// Holds a concurrency slot; dropping it frees the slot.
#[derive(Debug)]
pub struct Admitted {
    _permit: OwnedSemaphorePermit,
}

impl Admission {
    /// From configuration (already validated).
    pub fn new(config: &RateLimitConfig) -> Self {
        let limiter = config.enabled.then(|| {
            let rate = NonZeroU32::new(config.requests_per_minute).unwrap_or(NonZeroU32::MIN);
            let burst = NonZeroU32::new(config.burst).unwrap_or(NonZeroU32::MIN);
            RateLimiter::keyed(Quota::per_minute(rate).allow_burst(burst))
        });
        Admission {
            limiter,
            slots: Arc::new(Semaphore::new(config.max_concurrent.max(1))),
            waiting: AtomicUsize::new(0),
            max_queue: config.max_queue,
        }
    }

    /// Takes one request from `caller`'s bucket, then waits for a concurrency slot.
    pub async fn admit(&self, caller: &str) -> Result<Admitted> {
        if let Some(limiter) = &self.limiter {
            if let Err(not_until) = limiter.check_key(&caller.to_string()) {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                return Err(Error::RateLimited {
                    caller: caller.to_string(),
                    retry_after: wait.max(Duration::from_millis(1)),
                });
            }
            // Forget idle callers now and then so the key map stays bounded.
            if limiter.len() > 10_000 {
                limiter.retain_recent();
            }
        }
        if let Ok(permit) = self.slots.clone().try_acquire_owned() {
            return Ok(Admitted { _permit: permit });
        }
        if self.waiting.fetch_add(1, Ordering::AcqRel) >= self.max_queue {
            self.waiting.fetch_sub(1, Ordering::AcqRel);
            return Err(Error::QueueFull { capacity: self.max_queue });
        }
        let permit = self.slots.clone().acquire_owned().await;
        self.waiting.fetch_sub(1, Ordering::AcqRel);
        let permit = permit.map_err(|_| Error::Internal("admission closed".into()))?;
        Ok(Admitted { _permit: permit })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompt_checks() {
        let limits = LimitsConfig::default();
        assert!(matches!(check_prompt("  \n", &limits), Err(Error::InvalidRequest(_))));
        let big = "x".repeat(10 * 1024 * 1024);
        assert!(
            matches!(check_prompt(&big, &limits), Err(Error::InputTooLarge { size, .. }) if size == big.len())
        );
        assert!(check_prompt("a spinning coin", &limits).is_ok());
    }

    #[tokio::test]
    async fn per_caller_buckets_and_queue_bound() {
        let cfg = RateLimitConfig {
            requests_per_minute: 1,
            burst: 2,
            max_concurrent: 1,
            max_queue: 0,
            ..Default::default()
        };
        let adm = Admission::new(&cfg);
        let a = adm.admit("alice").await.unwrap();
        // The single slot is taken and the queue holds nobody: bob is turned away, not parked.
        assert!(matches!(adm.admit("bob").await, Err(Error::QueueFull { .. })));
        drop(a);
        let _b = adm.admit("alice").await.unwrap();
        let e = adm.admit("alice").await.unwrap_err();
        assert!(e.is_rate_limited() && e.retry_after().unwrap() > Duration::from_secs(1), "{e}");
    }
}
