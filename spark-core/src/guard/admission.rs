//! Admission in front of the providers that cost money: a per-caller rate limit (through a
//! [`RateLimitStore`]) and a global concurrency limit with a bounded, time-limited queue.
//!
//! [`AdmissionLayer`] wraps a [`Provider`] and is one itself; it sits below the cache, so a
//! cache hit or a coalesced wait never spends a caller's tokens or a slot.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use futures::StreamExt;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use super::RateLimitConfig;
use crate::error::{Error, Result};
use crate::observe::{Event, Observers};
use crate::provider::{CompletionRequest, Provider, ProviderStream};
use crate::result::ANONYMOUS_CALLER;

/// A sustained rate with a burst, per key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RateQuota {
    /// Sustained units per minute.
    pub per_minute: u32,
    /// Units that may be spent at once.
    pub burst: u32,
}

/// Where per-caller rate-limit state lives. The in-process [`LocalRateLimiter`] is the default;
/// a shared store (Redis) makes a limit hold across instances.
#[async_trait]
pub trait RateLimitStore: Send + Sync + std::fmt::Debug + 'static {
    /// Takes `cost` units from `key`'s bucket under `quota`: `Ok(None)` when admitted,
    /// `Ok(Some(wait))` when refused, `wait` being when the same call would pass.
    async fn acquire(&self, key: &str, quota: RateQuota, cost: u32) -> Result<Option<Duration>>;
}

/// The in-process rate limiter: GCRA token buckets (governor), one keyed limiter per quota.
#[derive(Debug, Default)]
pub struct LocalRateLimiter {
    limiters: Mutex<HashMap<RateQuota, Arc<DefaultKeyedRateLimiter<String>>>>,
}

/// Keys a limiter holds before idle ones are forgotten.
const MAX_KEYS: usize = 10_000;

#[async_trait]
impl RateLimitStore for LocalRateLimiter {
    async fn acquire(&self, key: &str, quota: RateQuota, cost: u32) -> Result<Option<Duration>> {
        let limiter = {
            let mut map = self.limiters.lock().unwrap_or_else(|p| p.into_inner());
            map.entry(quota)
                .or_insert_with(|| {
                    let rate = NonZeroU32::new(quota.per_minute).unwrap_or(NonZeroU32::MIN);
                    let burst = NonZeroU32::new(quota.burst).unwrap_or(NonZeroU32::MIN);
                    Arc::new(RateLimiter::keyed(Quota::per_minute(rate).allow_burst(burst)))
                })
                .clone()
        };
        let n = NonZeroU32::new(cost).unwrap_or(NonZeroU32::MIN);
        let key = key.to_string();
        let verdict = match limiter.check_key_n(&key, n) {
            Ok(Ok(())) => None,
            Ok(Err(not_until)) => Some(not_until.wait_time_from(DefaultClock::default().now())),
            // More than the burst at once can never pass: say so with a wait of one period.
            Err(_) => Some(Duration::from_secs(60)),
        };
        if limiter.len() > MAX_KEYS {
            limiter.retain_recent();
        }
        Ok(verdict.map(|w| w.max(Duration::from_millis(1))))
    }
}

/// Per-caller limits plus a global concurrency limit with a bounded wait queue.
pub struct Admission {
    store: Arc<dyn RateLimitStore>,
    quota: Option<RateQuota>,
    slots: Arc<Semaphore>,
    waiting: AtomicUsize,
    max_queue: usize,
    max_concurrent: usize,
    queue_timeout: Duration,
    /// Mean time a slot is held, in microseconds (moving average), for `retry_after` estimates.
    mean_hold_us: AtomicU64,
}

impl std::fmt::Debug for Admission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Admission")
            .field("quota", &self.quota)
            .field("free_slots", &self.slots.available_permits())
            .field("waiting", &self.waiting.load(Ordering::Relaxed))
            .finish()
    }
}

/// Holds a concurrency slot; dropping it frees the slot and records how long it was held.
#[derive(Debug)]
pub struct Admitted {
    _permit: OwnedSemaphorePermit,
    admission: Arc<Admission>,
    since: Instant,
}

impl Drop for Admitted {
    fn drop(&mut self) {
        let held = self.since.elapsed().as_micros().min(u64::MAX as u128) as u64;
        let old = self.admission.mean_hold_us.load(Ordering::Relaxed);
        // An exponential moving average over roughly the last 16 requests.
        let new = if old == 0 { held } else { old - old / 16 + held / 16 };
        self.admission.mean_hold_us.store(new.max(1), Ordering::Relaxed);
    }
}

impl Admission {
    /// From configuration (already validated), with per-caller state in `store`.
    pub fn new(config: &RateLimitConfig, store: Arc<dyn RateLimitStore>) -> Arc<Self> {
        let quota = config
            .enabled
            .then_some(RateQuota { per_minute: config.requests_per_minute, burst: config.burst });
        let max_concurrent = config.max_concurrent.max(1);
        Arc::new(Admission {
            store,
            quota,
            slots: Arc::new(Semaphore::new(max_concurrent)),
            waiting: AtomicUsize::new(0),
            max_queue: config.max_queue,
            max_concurrent,
            queue_timeout: Duration::from_millis(config.queue_timeout_ms),
            mean_hold_us: AtomicU64::new(0),
        })
    }

    /// Requests waiting for a slot now.
    pub fn queue_depth(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }

    /// When a slot is likely to free up for a request that finds `ahead` requests before it.
    fn estimate_wait(&self, ahead: usize) -> Duration {
        let hold = Duration::from_micros(self.mean_hold_us.load(Ordering::Relaxed).max(1_000));
        let rounds = (ahead / self.max_concurrent + 1) as u32;
        (hold * rounds).clamp(Duration::from_millis(10), Duration::from_secs(300))
    }

    /// Takes one unit from `caller`'s bucket, then waits (at most the queue timeout) for a
    /// concurrency slot.
    pub async fn admit(self: &Arc<Self>, caller: &str) -> Result<Admitted> {
        if let Some(quota) = self.quota
            && let Some(wait) = self.store.acquire(caller, quota, 1).await?
        {
            return Err(Error::RateLimited { caller: caller.to_string(), retry_after: wait });
        }
        let since = Instant::now();
        if let Ok(permit) = self.slots.clone().try_acquire_owned() {
            return Ok(Admitted { _permit: permit, admission: self.clone(), since });
        }
        let ahead = self.waiting.fetch_add(1, Ordering::AcqRel);
        if ahead >= self.max_queue {
            self.waiting.fetch_sub(1, Ordering::AcqRel);
            return Err(Error::QueueFull {
                capacity: self.max_queue,
                retry_after: self.estimate_wait(ahead),
            });
        }
        let waited = tokio::time::timeout(self.queue_timeout, self.slots.clone().acquire_owned()).await;
        self.waiting.fetch_sub(1, Ordering::AcqRel);
        match waited {
            Ok(Ok(permit)) => {
                Ok(Admitted { _permit: permit, admission: self.clone(), since: Instant::now() })
            }
            Ok(Err(_)) => Err(Error::Internal("admission closed".into())),
            Err(_) => Err(Error::QueueFull {
                capacity: self.max_queue,
                retry_after: self.estimate_wait(self.queue_depth()),
            }),
        }
    }

    /// `inner` behind this admission, reporting queue waits to `observers`.
    pub fn layer(self: &Arc<Self>, inner: Arc<dyn Provider>, observers: Observers) -> AdmissionLayer {
        AdmissionLayer { inner, admission: self.clone(), observers }
    }
}

/// A [`Provider`] behind [`Admission`]: each call takes the caller's token and a slot, held until
/// its stream ends or is dropped.
pub struct AdmissionLayer {
    inner: Arc<dyn Provider>,
    admission: Arc<Admission>,
    observers: Observers,
}

impl std::fmt::Debug for AdmissionLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdmissionLayer").field("admission", &self.admission).finish_non_exhaustive()
    }
}

#[async_trait]
impl Provider for AdmissionLayer {
    crate::provider::forward_provider_identity!(inner);

    async fn stream(&self, request: &CompletionRequest) -> Result<ProviderStream> {
        let caller = request.context.caller.as_deref().unwrap_or(ANONYMOUS_CALLER);
        let start = Instant::now();
        let request_id = request.context.request_id.as_deref().unwrap_or("");
        let span = crate::observe::trace::stage_span(crate::observe::Stage::Admission, request_id);
        let slot = tracing::Instrument::instrument(self.admission.admit(caller), span.clone()).await;
        if let Err(e) = &slot {
            crate::observe::trace::record_error(&span, e);
        }
        let slot = slot?;
        let waited = start.elapsed();
        if waited > Duration::from_millis(1) {
            self.observers.emit(Event::Queued { request_id, waited });
        }
        let stream = self.inner.stream(request).await?;
        // The slot lives as long as the reply streams.
        Ok(Box::pin(stream.map(move |item| {
            let _held = &slot;
            item
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admission(cfg: RateLimitConfig) -> Arc<Admission> {
        Admission::new(&cfg, Arc::new(LocalRateLimiter::default()))
    }

    #[tokio::test]
    async fn per_caller_buckets_and_queue_bound() {
        let adm = admission(RateLimitConfig {
            requests_per_minute: 1,
            burst: 2,
            max_concurrent: 1,
            max_queue: 0,
            ..Default::default()
        });
        let a = adm.admit("alice").await.unwrap();
        // The single slot is taken and the queue holds nobody: bob is turned away, not parked.
        let e = adm.admit("bob").await.unwrap_err();
        assert!(matches!(e, Error::QueueFull { .. }) && e.retry_after().unwrap() > Duration::ZERO, "{e}");
        drop(a);
        let _b = adm.admit("alice").await.unwrap();
        let e = adm.admit("alice").await.unwrap_err();
        assert!(e.is_rate_limited() && e.retry_after().unwrap() > Duration::from_secs(1), "{e}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_queued_request_waits_at_most_the_queue_timeout() {
        let adm = admission(RateLimitConfig {
            enabled: false,
            max_concurrent: 1,
            max_queue: 8,
            queue_timeout_ms: 250,
            ..Default::default()
        });
        let _held = adm.admit("a").await.unwrap();
        let start = Instant::now();
        let e = adm.admit("b").await.unwrap_err();
        assert!(matches!(e, Error::QueueFull { .. }), "{e}");
        assert_eq!(start.elapsed(), Duration::from_millis(250));
        assert!(e.retry_after().unwrap() >= Duration::from_millis(10));
        assert_eq!(adm.queue_depth(), 0);
    }
}
