//! Deadlines of a provider call: the connect deadline is applied by the HTTP providers, the
//! others by the router ([`crate::resilience`]).

use serde::{Deserialize, Serialize};

use crate::check::check_range;
use crate::error::Result;

/// Deadlines, in milliseconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TimeoutConfig {
    /// TCP/TLS connect (applied by the HTTP providers).
    pub connect_ms: u64,
    /// From sending the request to the first token (or the whole body when not streaming),
    /// per attempt.
    pub first_token_ms: u64,
    /// Largest gap between two stream chunks once text flows.
    pub idle_ms: u64,
    /// Whole call: every provider, retry, wait and chunk.
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
