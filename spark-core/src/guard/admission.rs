//! Admission in front of the providers that cost money: a per-caller rate limit (through a
//! [`RateLimitStore`]) and a global concurrency limit with a bounded, time-limited queue.
//!
//! [`AdmissionLayer`] wraps a [`Provider`] and is one itself; it sits below the cache, so a
//! cache hit or a coalesced wait never spends a caller's tokens or a slot.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use futures::{FutureExt, StreamExt};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use super::{RateLimitConfig, Tiers};
use crate::error::{Error, Result};
use crate::observe::{Event, Observers};
use crate::provider::{CompletionRequest, Provider, ProviderEvent, ProviderStream};
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

    /// Settles an earlier [`acquire`](Self::acquire) after the fact: a negative `delta` gives back
    /// units reserved but not used, a positive one takes units used beyond the reservation (the
    /// bucket may go into debt, which delays later calls). Token limits reserve an estimate and
    /// settle with this. The default ignores it (reservations then count in full).
    async fn adjust(&self, key: &str, quota: RateQuota, delta: i64) -> Result<()> {
        let _ = (key, quota, delta);
        Ok(())
    }
}

/// The in-process rate limiter: GCRA (the generic cell rate algorithm, a token bucket kept as
/// one "theoretical arrival time" per key), which also takes settlements.
#[derive(Debug, Default)]
pub struct LocalRateLimiter {
    buckets: Mutex<HashMap<(RateQuota, String), Instant>>,
}

/// Keys kept before those whose buckets are full again are forgotten.
const MAX_KEYS: usize = 10_000;

impl LocalRateLimiter {
    fn with<T>(&self, f: impl FnOnce(&mut HashMap<(RateQuota, String), Instant>, Instant) -> T) -> T {
        let mut map = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        if map.len() > MAX_KEYS {
            // A bucket whose arrival time has passed is full: the same as no entry.
            map.retain(|_, tat| *tat > now);
        }
        f(&mut map, now)
    }
}

/// Time one unit takes to come back under `quota`.
fn unit_time(quota: RateQuota) -> f64 {
    60.0 / f64::from(quota.per_minute.max(1))
}

#[async_trait]
impl RateLimitStore for LocalRateLimiter {
    async fn acquire(&self, key: &str, quota: RateQuota, cost: u32) -> Result<Option<Duration>> {
        let cost = cost.max(1);
        // More than the burst at once can never pass: say so with a wait of one period.
        if cost > quota.burst.max(1) {
            return Ok(Some(Duration::from_secs(60)));
        }
        let t = unit_time(quota);
        let tolerance = Duration::from_secs_f64(t * f64::from(quota.burst.max(1)));
        let need = Duration::from_secs_f64(t * f64::from(cost));
        Ok(self.with(|map, now| {
            let tat = map.get(&(quota, key.to_string())).copied().unwrap_or(now).max(now);
            let new_tat = tat + need;
            // Passes when the bucket, after this call, holds no more than `burst` units of debt.
            match (new_tat - tolerance).checked_duration_since(now) {
                Some(wait) if !wait.is_zero() => Some(wait.max(Duration::from_millis(1))),
                _ => {
                    map.insert((quota, key.to_string()), new_tat);
                    None
                }
            }
        }))
    }

    async fn adjust(&self, key: &str, quota: RateQuota, delta: i64) -> Result<()> {
        let step =
            Duration::from_secs_f64(unit_time(quota) * delta.unsigned_abs().min(u64::from(u32::MAX)) as f64);
        self.with(|map, now| {
            let tat = map.entry((quota, key.to_string())).or_insert(now);
            *tat = if delta >= 0 { (*tat).max(now) + step } else { (*tat - step).max(now) };
        });
        Ok(())
    }
}

/// Worst-case tokens of `request`: prompt bytes / 4 (tokens rarely hold fewer than 4 bytes of
/// English or code) plus every output token it may produce (`default_max` when it names no limit).
pub fn estimate_tokens(request: &CompletionRequest, default_max: u32) -> u64 {
    let bytes = request.system.as_ref().map_or(0, String::len)
        + request.messages.iter().map(|m| m.content.len()).sum::<usize>();
    (bytes as u64).div_ceil(4) + u64::from(request.max_tokens.unwrap_or(default_max))
}

/// The key a caller's token bucket is kept under: caller ids never hold control characters, so
/// it cannot meet a request bucket's key.
fn token_key(caller: &str) -> String {
    format!("{caller}\u{1f}tokens")
}

/// Tokens a call reserved from its caller's bucket; settles at the reported usage when dropped.
#[derive(Debug)]
pub struct TokenHold {
    store: Arc<dyn RateLimitStore>,
    key: String,
    quota: RateQuota,
    reserved: u64,
    /// Prompt + output tokens the provider reported.
    pub used: u64,
}

impl Drop for TokenHold {
    fn drop(&mut self) {
        let delta = i64::try_from(self.used).unwrap_or(i64::MAX) - i64::try_from(self.reserved).unwrap_or(0);
        if delta == 0 {
            return;
        }
        let (store, key, quota) = (self.store.clone(), std::mem::take(&mut self.key), self.quota);
        let mut settle = Box::pin(async move {
            if let Err(e) = store.adjust(&key, quota, delta).await {
                tracing::warn!(error = %e, "token limit not settled");
            }
        });
        // The in-process store settles at once, so the caller's next call already sees it; a
        // shared store is async, and settling must not hold up the caller's result.
        if (&mut settle).now_or_never().is_none()
            && let Ok(rt) = tokio::runtime::Handle::try_current()
        {
            rt.spawn(settle);
        }
    }
}

/// Per-caller limits plus a global concurrency limit with a bounded wait queue.
pub struct Admission {
    store: Arc<dyn RateLimitStore>,
    /// Whether per-caller limits apply at all (`rate_limit.enabled`).
    enabled: bool,
    /// `[rate_limit]`'s request quota, for callers without a tier.
    quota: RateQuota,
    /// `[rate_limit]`'s token quota, when one is set.
    token_quota: Option<RateQuota>,
    tiers: Arc<Tiers>,
    /// Output tokens a call may produce when it names no limit (the provider's configured one).
    default_max_tokens: u32,
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
            .field("enabled", &self.enabled)
            .field("quota", &self.quota)
            .field("token_quota", &self.token_quota)
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
        Self::with_tiers(config, store, Arc::default(), 4096)
    }

    /// [`Admission::new`] with tiers, and the output token limit of calls that name none (for
    /// token estimates).
    pub fn with_tiers(
        config: &RateLimitConfig,
        store: Arc<dyn RateLimitStore>,
        tiers: Arc<Tiers>,
        default_max_tokens: u32,
    ) -> Arc<Self> {
        let max_concurrent = config.max_concurrent.max(1);
        let token_quota = config
            .tokens_per_minute
            .map(|per_minute| RateQuota { per_minute, burst: config.token_burst.unwrap_or(per_minute) });
        Arc::new(Admission {
            store,
            enabled: config.enabled,
            quota: RateQuota { per_minute: config.requests_per_minute, burst: config.burst },
            token_quota,
            tiers,
            default_max_tokens,
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

    /// The request and token quotas of `caller` on `tier` (a tier's unset limits are
    /// `[rate_limit]`'s).
    fn quotas(&self, caller: &str, tier: Option<&str>) -> (RateQuota, Option<RateQuota>) {
        let Some((_, t)) = self.tiers.resolve(caller, tier) else { return (self.quota, self.token_quota) };
        let requests = RateQuota {
            per_minute: t.requests_per_minute.unwrap_or(self.quota.per_minute),
            burst: t.burst.unwrap_or(self.quota.burst),
        };
        let tokens = match t.tokens_per_minute {
            Some(per_minute) => Some(RateQuota { per_minute, burst: t.token_burst.unwrap_or(per_minute) }),
            None => self.token_quota,
        };
        (requests, tokens)
    }

    /// Takes one unit from `caller`'s bucket, then waits (at most the queue timeout) for a
    /// concurrency slot.
    pub async fn admit(self: &Arc<Self>, caller: &str) -> Result<Admitted> {
        Ok(self.admit_call(caller, None, 0).await?.0)
    }

    /// Takes one request from `caller`'s bucket and, under a token limit, `tokens` (the call's
    /// estimate) from its token bucket, then waits for a slot. The [`TokenHold`] settles the
    /// tokens at the reported usage when dropped.
    pub async fn admit_call(
        self: &Arc<Self>,
        caller: &str,
        tier: Option<&str>,
        tokens: u64,
    ) -> Result<(Admitted, Option<TokenHold>)> {
        let mut hold = None;
        if self.enabled {
            let (requests, token_quota) = self.quotas(caller, tier);
            let limited = |retry_after| Error::RateLimited { caller: caller.to_string(), retry_after };
            if let Some(wait) = self.store.acquire(caller, requests, 1).await? {
                return Err(limited(wait));
            }
            if let Some(quota) = token_quota {
                let key = token_key(caller);
                let cost = u32::try_from(tokens).unwrap_or(u32::MAX);
                if let Some(wait) = self.store.acquire(&key, quota, cost).await? {
                    // The request unit was not used after all.
                    self.store.adjust(caller, requests, -1).await?;
                    return Err(limited(wait));
                }
                let store = self.store.clone();
                hold = Some(TokenHold { store, key, quota, reserved: u64::from(cost.max(1)), used: 0 });
            }
        }
        let slot = self.slot().await?;
        Ok((slot, hold))
    }

    async fn slot(self: &Arc<Self>) -> Result<Admitted> {
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
        let tokens = estimate_tokens(request, self.admission.default_max_tokens);
        let request_id = request.context.request_id.as_deref().unwrap_or("");
        let span = crate::observe::trace::stage_span(crate::observe::Stage::Admission, request_id);
        let admitted = tracing::Instrument::instrument(
            self.admission.admit_call(caller, request.context.tier.as_deref(), tokens),
            span.clone(),
        )
        .await;
        if let Err(e) = &admitted {
            crate::observe::trace::record_error(&span, e);
        }
        let (slot, mut hold) = admitted?;
        let waited = start.elapsed();
        if waited > Duration::from_millis(1) {
            self.observers.emit(Event::Queued { request_id, waited });
        }
        let stream = self.inner.stream(request).await?;
        // The slot and the token hold live as long as the reply streams.
        Ok(Box::pin(stream.map(move |item| {
            let _held = &slot;
            if let (Some(h), Ok(ProviderEvent::Usage { usage })) = (hold.as_mut(), &item) {
                // Usage is cumulative: the last report is the call's.
                h.used = usage.input_tokens.saturating_add(usage.output_tokens);
            }
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
