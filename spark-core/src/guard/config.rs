//! Settings of the input limits and of admission.

use serde::{Deserialize, Serialize};

use crate::check::check_range;
use crate::error::Result;

/// Input size limits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsConfig {
    /// Largest accepted prompt, in bytes.
    pub max_prompt_bytes: usize,
    /// Largest C# source accepted by `validate`, in bytes.
    pub max_source_bytes: usize,
    /// Largest model reply kept, in bytes; a longer reply is an error, not a silent cut.
    pub max_reply_bytes: usize,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            max_prompt_bytes: 32 * 1024,
            max_source_bytes: 2 * 1024 * 1024,
            max_reply_bytes: 4 * 1024 * 1024,
        }
    }
}

/// Per-caller rate limit (token bucket) and admission control, in front of the providers that
/// cost money: a cache hit, a coalesced wait or the offline scaffold never uses up a caller's
/// tokens or a slot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitConfig {
    /// Whether per-caller limits apply.
    pub enabled: bool,
    /// Sustained requests per minute per caller.
    pub requests_per_minute: u32,
    /// Requests a caller may make at once before the sustained rate applies.
    pub burst: u32,
    /// Sustained provider tokens (prompt + output) per minute per caller; unset: no token limit.
    /// A call reserves its worst case (prompt bytes / 4 + its output token limit) before it
    /// reaches a provider and settles at the tokens the provider reports.
    pub tokens_per_minute: Option<u32>,
    /// Tokens a caller may spend at once (`tokens_per_minute` when unset); a call whose
    /// estimate exceeds it can never pass.
    pub token_burst: Option<u32>,
    /// Requests running at once across all callers.
    pub max_concurrent: usize,
    /// Requests waiting for a slot before new ones get `QueueFull`.
    pub max_queue: usize,
    /// Longest wait for a slot, in milliseconds; a request queued longer gets `QueueFull` with
    /// an estimate of when to retry.
    pub queue_timeout_ms: u64,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        RateLimitConfig {
            enabled: true,
            requests_per_minute: 60,
            burst: 10,
            tokens_per_minute: None,
            token_burst: None,
            max_concurrent: 64,
            max_queue: 1024,
            queue_timeout_ms: 30_000,
        }
    }
}

impl LimitsConfig {
    pub(crate) fn validate(&self) -> Result<()> {
        check_range("limits.max_prompt_bytes", self.max_prompt_bytes as f64, 1.0, 64e6)?;
        check_range("limits.max_source_bytes", self.max_source_bytes as f64, 1.0, 256e6)?;
        check_range("limits.max_reply_bytes", self.max_reply_bytes as f64, 1.0, 256e6)
    }
}

impl RateLimitConfig {
    pub(crate) fn validate(&self) -> Result<()> {
        if self.enabled {
            check_range("rate_limit.requests_per_minute", self.requests_per_minute as f64, 1.0, 1e9)?;
            check_range("rate_limit.burst", self.burst as f64, 1.0, 1e9)?;
        }
        if let Some(t) = self.tokens_per_minute {
            check_range("rate_limit.tokens_per_minute", f64::from(t), 1.0, 4e9)?;
        }
        if let Some(t) = self.token_burst {
            check_range("rate_limit.token_burst", f64::from(t), 1.0, 4e9)?;
        }
        check_range("rate_limit.max_concurrent", self.max_concurrent as f64, 1.0, 1e6)?;
        check_range("rate_limit.max_queue", self.max_queue as f64, 0.0, 1e7)?;
        check_range("rate_limit.queue_timeout_ms", self.queue_timeout_ms as f64, 1.0, 3.6e6)
    }
}
