//! Retries, circuit breakers, fallback routing and timeouts.
//!
//! The [`Router`] wraps the provider chain. For each request it walks the chain in order:
//! a provider whose [breaker](CircuitBreaker) is open is skipped without a network call; otherwise the
//! call runs under the [deadlines](TimeoutConfig) and is [retried](backoff_delay) with capped exponential
//! backoff and full jitter while the error is retryable, the provider has attempts left and the
//! retry budget allows. A failure before the first streamed token falls through to the next
//! provider; once text has streamed, the provider is committed and a later failure is a typed
//! error carrying the partial text.
//!
//! Production defaults (all in [`SparkConfig`](crate::SparkConfig) sections `[retry]`,
//! `[breaker]`, `[timeouts]`):
//!
//! | setting | default | meaning |
//! |---|---|---|
//! | `retry.max_attempts` | 3 | attempts per provider, first included |
//! | `retry.base_delay_ms` | 250 | first backoff ceiling; doubles per attempt, full jitter |
//! | `retry.max_delay_ms` | 8 000 | largest backoff ceiling |
//! | `retry.budget_ms` | 20 000 | time one provider may spend in attempts and waits; a longer `retry-after` stops retrying |
//! | `breaker.enabled` | true | one breaker per provider |
//! | `breaker.failure_threshold` | 5 | health failures within the window that open it |
//! | `breaker.window_ms` | 30 000 | sliding window of counted failures |
//! | `breaker.cooldown_ms` | 15 000 | open time before exactly one half-open probe |
//! | `timeouts.connect_ms` | 10 000 | TCP/TLS connect (HTTP providers) |
//! | `timeouts.first_token_ms` | 60 000 | request sent → first text (whole body when not streaming) |
//! | `timeouts.idle_ms` | 30 000 | largest gap between two stream chunks |
//! | `timeouts.total_ms` | 300 000 | whole call: every provider, retry and chunk |

use serde::{Deserialize, Serialize};

use crate::check::check_range;
use crate::error::Result;

mod breaker;
mod retry;
mod router;
pub(crate) mod timeout;

pub use breaker::{BreakerPermit, BreakerState, CircuitBreaker, ProviderStatus, is_health_failure};
pub use retry::{backoff_ceiling, backoff_delay};
pub use router::Router;

pub use crate::provider::TimeoutConfig;

/// Retry policy: capped exponential backoff with full jitter, honouring `retry-after`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetryConfig {
    /// Attempts per provider, including the first (1 disables retries).
    pub max_attempts: u32,
    /// Backoff ceiling before the second attempt, in milliseconds; doubles per attempt.
    pub base_delay_ms: u64,
    /// Largest backoff ceiling, in milliseconds.
    pub max_delay_ms: u64,
    /// Time one provider may spend on a request, attempts and waits together, in milliseconds.
    /// A wait (backoff or `retry-after`) that would end past it is not taken: the router moves
    /// on to the next provider or returns the error, which still carries `retry_after`.
    pub budget_ms: u64,
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig { max_attempts: 3, base_delay_ms: 250, max_delay_ms: 8_000, budget_ms: 20_000 }
    }
}

impl RetryConfig {
    pub(crate) fn validate(&self) -> Result<()> {
        check_range("retry.max_attempts", self.max_attempts as f64, 1.0, 100.0)?;
        check_range("retry.base_delay_ms", self.base_delay_ms as f64, 0.0, 3.6e6)?;
        check_range("retry.max_delay_ms", self.max_delay_ms as f64, self.base_delay_ms as f64, 3.6e6)?;
        check_range("retry.budget_ms", self.budget_ms as f64, 0.0, 3.6e7)
    }
}

/// Circuit breaker per provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BreakerConfig {
    /// Whether breakers are used at all.
    pub enabled: bool,
    /// Health failures (5xx, 529, 429 rate limits, connection errors, timeouts, broken streams)
    /// within the window that open the breaker. Caller errors (400, 401, 403, 404, 413, quota)
    /// never count.
    pub failure_threshold: u32,
    /// Sliding window in milliseconds.
    pub window_ms: u64,
    /// Time open before one half-open probe is let through, in milliseconds.
    pub cooldown_ms: u64,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        BreakerConfig { enabled: true, failure_threshold: 5, window_ms: 30_000, cooldown_ms: 15_000 }
    }
}

impl BreakerConfig {
    pub(crate) fn validate(&self) -> Result<()> {
        check_range("breaker.failure_threshold", self.failure_threshold as f64, 1.0, 1e6)?;
        check_range("breaker.window_ms", self.window_ms as f64, 1.0, 3.6e7)?;
        check_range("breaker.cooldown_ms", self.cooldown_ms as f64, 1.0, 3.6e7)
    }
}
