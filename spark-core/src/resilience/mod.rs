//! Retries, circuit breakers, fallback routing and timeouts.
// PLACEHOLDER: deepened by the resilience work (issue 5).

use serde::{Deserialize, Serialize};

use crate::config::check_range;
use crate::error::Result;

/// Retry policy: capped exponential backoff with full jitter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetryConfig {
    /// Attempts per provider, including the first.
    pub max_attempts: u32,
    /// First backoff, in milliseconds.
    pub base_delay_ms: u64,
    /// Largest single backoff, in milliseconds.
    pub max_delay_ms: u64,
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig { max_attempts: 3, base_delay_ms: 250, max_delay_ms: 8_000 }
    }
}

impl RetryConfig {
    pub(crate) fn validate(&self) -> Result<()> {
        check_range("retry.max_attempts", self.max_attempts as f64, 1.0, 100.0)
    }
}

/// Circuit breaker per provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BreakerConfig {
    /// Failures within the window that open the breaker.
    pub failure_threshold: u32,
    /// Window in milliseconds.
    pub window_ms: u64,
    /// Time open before a half-open probe, in milliseconds.
    pub cooldown_ms: u64,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        BreakerConfig { failure_threshold: 5, window_ms: 30_000, cooldown_ms: 15_000 }
    }
}

impl BreakerConfig {
    pub(crate) fn validate(&self) -> Result<()> {
        check_range("breaker.failure_threshold", self.failure_threshold as f64, 1.0, 1e6)
    }
}

/// Deadlines, in milliseconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TimeoutConfig {
    /// TCP/TLS connect.
    pub connect_ms: u64,
    /// From sending the request to the first token (or the whole body when not streaming).
    pub first_token_ms: u64,
    /// Largest gap between two stream chunks.
    pub idle_ms: u64,
    /// Whole call, all retries included.
    pub total_ms: u64,
}

impl Default for TimeoutConfig {
    fn default() -> Self {
        TimeoutConfig { connect_ms: 10_000, first_token_ms: 60_000, idle_ms: 30_000, total_ms: 300_000 }
    }
}

impl TimeoutConfig {
    pub(crate) fn validate(&self) -> Result<()> {
        check_range("timeouts.connect_ms", self.connect_ms as f64, 1.0, 3.6e6)?;
        check_range("timeouts.first_token_ms", self.first_token_ms as f64, 1.0, 3.6e6)?;
        check_range("timeouts.idle_ms", self.idle_ms as f64, 1.0, 3.6e6)?;
        check_range("timeouts.total_ms", self.total_ms as f64, 1.0, 3.6e7)
    }
}

use std::sync::Arc;

use async_trait::async_trait;

use crate::config::SparkConfig;
use crate::provider::{Completion, CompletionRequest, Provider, ProviderStream};

/// An ordered fallback chain of providers; itself a [`Provider`].
pub struct Router {
    providers: Vec<Arc<dyn Provider>>,
}

impl std::fmt::Debug for Router {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.providers.iter().map(|p| p.identity())).finish()
    }
}

impl Router {
    /// A chain tried in order; `providers` must not be empty.
    pub fn new(providers: Vec<Arc<dyn Provider>>, _config: &SparkConfig) -> Self {
        Router { providers }
    }

    /// The providers, in order.
    pub fn providers(&self) -> &[Arc<dyn Provider>] {
        &self.providers
    }
}

#[async_trait]
impl Provider for Router {
    fn name(&self) -> &str {
        self.providers[0].name()
    }
    fn default_model(&self) -> &str {
        self.providers[0].default_model()
    }
    fn identity(&self) -> String {
        self.providers.iter().map(|p| p.identity()).collect::<Vec<_>>().join(" > ")
    }
    fn is_offline(&self) -> bool {
        self.providers.iter().all(|p| p.is_offline())
    }
    async fn complete(&self, request: &CompletionRequest) -> Result<Completion> {
        let mut last = None;
        for p in &self.providers {
            match p.complete(request).await {
                Ok(c) => return Ok(c),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| crate::Error::Internal("empty provider chain".into())))
    }
    async fn stream(&self, request: &CompletionRequest) -> Result<ProviderStream> {
        let mut last = None;
        for p in &self.providers {
            match p.stream(request).await {
                Ok(s) => return Ok(s),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| crate::Error::Internal("empty provider chain".into())))
    }
}
