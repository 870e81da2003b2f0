//! [`Health`]: what a readiness probe or a status page needs, in one struct.

use serde::Serialize;

use super::{LiveState, SparkMetrics};

/// One provider's health.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct ProviderHealth {
    /// Provider name.
    pub name: String,
    /// Its breaker state: `closed`, `open` or `half_open`.
    pub breaker: String,
    /// Whether a call may go to it now (its breaker is not open).
    pub usable: bool,
    /// Attempts in the recent window (the last 100 calls; 0 when metrics are off).
    pub recent_attempts: u64,
    /// Share of those attempts that failed, 0 to 1 (`None` without attempts).
    pub recent_error_rate: Option<f64>,
    /// Their mean time to an answer or failure, in milliseconds (`None` without attempts).
    pub recent_latency_ms: Option<f64>,
}

/// A client's health: [`crate::Spark::health`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Health {
    /// At least one provider is usable.
    pub ready: bool,
    /// Each provider, in fallback order.
    pub providers: Vec<ProviderHealth>,
    /// Response cache entries held.
    pub cache_entries: u64,
    /// Approximate bytes the cache holds.
    pub cache_bytes: u64,
    /// `cache_bytes / cache.max_bytes`, 0 to 1 (0 when the cache is off).
    pub cache_fill: f64,
    /// Requests waiting for a provider slot.
    pub queue_depth: u64,
    /// Requests allowed to wait (0 when admission is off).
    pub queue_capacity: u64,
    /// The usage ledger: `off` or `on`.
    pub ledger: String,
}

impl Health {
    /// Health from the live state, the recent attempts `metrics` remembered, and whether the
    /// ledger is on.
    pub fn assemble(live: &LiveState, metrics: Option<&SparkMetrics>, ledger_on: bool) -> Health {
        let providers: Vec<ProviderHealth> = live
            .providers
            .iter()
            .map(|(name, state, _)| {
                let recent = metrics.and_then(|m| m.recent(&super::labels::sanitize(name)));
                ProviderHealth {
                    name: name.clone(),
                    breaker: (*state).to_string(),
                    usable: *state != "open",
                    recent_attempts: recent.map_or(0, |r| r.0 as u64),
                    recent_error_rate: recent.map(|r| r.1),
                    recent_latency_ms: recent.map(|r| r.2 * 1000.0),
                }
            })
            .collect();
        let cache_fill = if live.cache_max_bytes == 0 {
            0.0
        } else {
            (live.cache_bytes as f64 / live.cache_max_bytes as f64).clamp(0.0, 1.0)
        };
        Health {
            ready: providers.iter().any(|p| p.usable),
            providers,
            cache_entries: live.cache_entries,
            cache_bytes: live.cache_bytes,
            cache_fill,
            queue_depth: live.queue_depth,
            queue_capacity: live.queue_capacity,
            ledger: if ledger_on { "on" } else { "off" }.to_string(),
        }
    }

    /// As JSON (what the C ABI and the C# wrapper return).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}
