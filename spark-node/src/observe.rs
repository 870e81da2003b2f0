//! Metrics, health and usage analytics as JavaScript values.

use napi_derive::napi;

/// One provider's health (`spark.health().providers`).
#[napi(object, object_from_js = false)]
pub struct ProviderHealth {
    /// Provider name.
    pub name: String,
    /// Breaker state.
    #[napi(ts_type = "'closed' | 'open' | 'half_open'")]
    pub breaker: String,
    /// Whether a call may go to it now (its breaker is not open).
    pub usable: bool,
    /// Attempts in the recent window (the last 100 calls).
    pub recent_attempts: i64,
    /// Share of those attempts that failed, 0 to 1 (null without attempts).
    pub recent_error_rate: Option<f64>,
    /// Their mean time to an answer or failure, in milliseconds (null without attempts).
    pub recent_latency_ms: Option<f64>,
}

/// A client's health (`spark.health()`).
#[napi(object, object_from_js = false)]
pub struct Health {
    /// At least one provider is usable.
    pub ready: bool,
    /// Each provider, in fallback order.
    pub providers: Vec<ProviderHealth>,
    /// Response cache entries held.
    pub cache_entries: i64,
    /// Approximate bytes the cache holds.
    pub cache_bytes: i64,
    /// Cache bytes over its bound, 0 to 1.
    pub cache_fill: f64,
    /// Requests waiting for a provider slot.
    pub queue_depth: i64,
    /// Requests allowed to wait (0 when admission is off).
    pub queue_capacity: i64,
    /// The usage ledger.
    #[napi(ts_type = "'on' | 'off'")]
    pub ledger: String,
}

fn int(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl From<spark_core::observe::Health> for Health {
    fn from(h: spark_core::observe::Health) -> Self {
        Health {
            ready: h.ready,
            providers: h
                .providers
                .into_iter()
                .map(|p| ProviderHealth {
                    name: p.name,
                    breaker: p.breaker,
                    usable: p.usable,
                    recent_attempts: int(p.recent_attempts),
                    recent_error_rate: p.recent_error_rate,
                    recent_latency_ms: p.recent_latency_ms,
                })
                .collect(),
            cache_entries: int(h.cache_entries),
            cache_bytes: int(h.cache_bytes),
            cache_fill: h.cache_fill,
            queue_depth: int(h.queue_depth),
            queue_capacity: int(h.queue_capacity),
            ledger: h.ledger,
        }
    }
}

/// Usage totals of one caller (`spark.usage()`).
#[napi(object, object_from_js = false)]
pub struct UsageTotals {
    /// The caller.
    pub caller: String,
    /// Requests recorded (every outcome).
    pub requests: i64,
    /// Requests that failed.
    pub errors: i64,
    /// Requests answered from SPARK's cache.
    pub cached: i64,
    /// Prompt tokens billed.
    pub input_tokens: i64,
    /// Generated tokens billed.
    pub output_tokens: i64,
    /// Prompt tokens read from a prompt cache.
    pub cache_read_tokens: i64,
    /// Prompt tokens written to a prompt cache.
    pub cache_write_tokens: i64,
    /// USD spent.
    pub cost_usd: f64,
}

impl From<spark_core::UsageTotals> for UsageTotals {
    fn from(t: spark_core::UsageTotals) -> Self {
        UsageTotals {
            caller: t.caller,
            requests: int(t.requests),
            errors: int(t.errors),
            cached: int(t.cached),
            input_tokens: int(t.input_tokens),
            output_tokens: int(t.output_tokens),
            cache_read_tokens: int(t.cache_read_tokens),
            cache_write_tokens: int(t.cache_write_tokens),
            cost_usd: t.cost_usd,
        }
    }
}

/// Usage totals of one group: a caller, a provider, a day or an hour (`spark.usageBy()`,
/// `spark.topCallers()`).
#[napi(object, object_from_js = false)]
pub struct UsageGroup {
    /// Caller id, provider name, `YYYY-MM-DD` or `YYYY-MM-DDTHH:00Z`.
    pub key: String,
    /// Requests recorded (every outcome).
    pub requests: i64,
    /// Requests that failed.
    pub errors: i64,
    /// `errors / requests`.
    pub error_rate: f64,
    /// Requests answered from SPARK's cache.
    pub cached: i64,
    /// Prompt tokens billed.
    pub input_tokens: i64,
    /// Generated tokens billed.
    pub output_tokens: i64,
    /// USD spent.
    pub cost_usd: f64,
}

impl From<spark_core::ledger::UsageGroup> for UsageGroup {
    fn from(g: spark_core::ledger::UsageGroup) -> Self {
        UsageGroup {
            key: g.key,
            requests: int(g.requests),
            errors: int(g.errors),
            error_rate: g.error_rate,
            cached: int(g.cached),
            input_tokens: int(g.input_tokens),
            output_tokens: int(g.output_tokens),
            cost_usd: g.cost_usd,
        }
    }
}

/// Which ledger records a usage query covers, and how to group or rank them.
#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct UsageOptions {
    /// One caller, or everyone when absent.
    pub caller: Option<String>,
    /// `day` (the default), `month` or `all` (UTC calendar periods).
    #[napi(ts_type = "'day' | 'month' | 'all'")]
    pub period: Option<String>,
    /// For `usageBy`: `caller` (the default), `provider`, `day` or `hour`.
    #[napi(ts_type = "'caller' | 'provider' | 'day' | 'hour'")]
    pub group_by: Option<String>,
    /// For `topCallers`: `cost` (the default), `requests`, `tokens` or `errors`.
    #[napi(ts_type = "'cost' | 'requests' | 'tokens' | 'errors'")]
    pub rank_by: Option<String>,
    /// For `topCallers`: how many (default 10).
    pub limit: Option<u32>,
}

impl UsageOptions {
    pub(crate) fn period(&self) -> spark_core::Result<spark_core::Period> {
        spark_core::Period::parse(self.period.as_deref().unwrap_or("day"))
    }
}
