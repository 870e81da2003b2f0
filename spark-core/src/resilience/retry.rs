//! Capped exponential backoff with full jitter, and the decision whether to wait and retry.

use std::time::Duration;

use tokio::time::Instant;

use super::RetryConfig;
use crate::error::Error;

/// The backoff before attempt `attempt + 1` after `attempt` failed attempts (1-based): a uniform
/// random duration in `[0, min(max_delay, base_delay * 2^(attempt-1))]` ("full jitter", which
/// spreads synchronized clients best).
pub fn backoff_delay(config: &RetryConfig, attempt: u32) -> Duration {
    let ceiling = backoff_ceiling(config, attempt);
    let ms = ceiling.as_millis() as u64;
    Duration::from_millis(if ms == 0 { 0 } else { fastrand::u64(0..=ms) })
}

/// The upper bound of [`backoff_delay`] for `attempt`.
pub fn backoff_ceiling(config: &RetryConfig, attempt: u32) -> Duration {
    let shift = attempt.saturating_sub(1).min(32);
    let ms = config.base_delay_ms.saturating_mul(1u64 << shift).min(config.max_delay_ms);
    Duration::from_millis(ms)
}

/// How long to wait before retrying after `error` on attempt `attempt` (1-based), or `None` when
/// the request must not be retried on this provider: the error is not retryable, the attempts are
/// used up, or the wait would end past `budget_end` (the provider's retry budget or the total
/// deadline, whichever is first).
///
/// A server's `retry-after` replaces the jittered backoff: waiting less would only earn another
/// 429, and a wait longer than the budget is never shortened.
pub(crate) fn retry_delay(
    config: &RetryConfig,
    error: &Error,
    attempt: u32,
    budget_end: Instant,
) -> Option<Duration> {
    if !error.is_retryable() || attempt >= config.max_attempts || error.partial_text().is_some() {
        return None;
    }
    let delay = match error.retry_after() {
        Some(after) => after,
        None => backoff_delay(config, attempt),
    };
    (Instant::now() + delay < budget_end).then_some(delay)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{ProviderError, ProviderErrorKind};

    fn cfg() -> RetryConfig {
        RetryConfig { max_attempts: 5, base_delay_ms: 100, max_delay_ms: 1_000, budget_ms: 10_000 }
    }

    #[test]
    fn ceiling_doubles_and_caps() {
        let c = cfg();
        let ceilings: Vec<u64> = (1..=6).map(|a| backoff_ceiling(&c, a).as_millis() as u64).collect();
        assert_eq!(ceilings, [100, 200, 400, 800, 1_000, 1_000]);
        assert_eq!(backoff_ceiling(&c, 200), Duration::from_millis(1_000));
    }

    #[test]
    fn jitter_stays_within_ceiling_and_varies() {
        let c = cfg();
        let samples: Vec<Duration> = (0..200).map(|_| backoff_delay(&c, 3)).collect();
        assert!(samples.iter().all(|d| *d <= Duration::from_millis(400)));
        let distinct: std::collections::HashSet<_> = samples.iter().collect();
        assert!(distinct.len() > 20, "full jitter must spread delays, got {}", distinct.len());
    }

    #[tokio::test(start_paused = true)]
    async fn decisions() {
        let c = cfg();
        let far = Instant::now() + Duration::from_secs(100);
        let server: Error = ProviderError::new("p", ProviderErrorKind::Server, "boom").into();
        let quota: Error = ProviderError::new("p", ProviderErrorKind::QuotaExceeded, "pay").into();
        let bad: Error = ProviderError::new("p", ProviderErrorKind::BadRequest, "no").into();
        assert!(retry_delay(&c, &server, 1, far).is_some());
        assert!(retry_delay(&c, &server, 5, far).is_none(), "attempts used up");
        assert!(retry_delay(&c, &quota, 1, far).is_none());
        assert!(retry_delay(&c, &bad, 1, far).is_none());

        let mut limited = ProviderError::new("p", ProviderErrorKind::RateLimited, "slow");
        limited.retry_after = Some(Duration::from_secs(3));
        let limited: Error = limited.into();
        assert_eq!(retry_delay(&c, &limited, 1, far), Some(Duration::from_secs(3)));
        let near = Instant::now() + Duration::from_secs(2);
        assert_eq!(retry_delay(&c, &limited, 1, near), None, "retry-after beyond the budget");

        let mut partial = ProviderError::new("p", ProviderErrorKind::Server, "mid-stream");
        partial.partial_text = Some("half".into());
        assert!(retry_delay(&c, &partial.into(), 1, far).is_none(), "streamed text is never replayed");
    }
}
