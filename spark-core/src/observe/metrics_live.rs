//! Metrics sampled at scrape time from a client's live state (breakers, cache, queue), and the
//! [`MetricsSnapshot`] read back from the exposition text.

use std::collections::BTreeMap;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use serde::Serialize;

/// A client's state at one instant, as the facade sees it; the observe layer knows nothing of
/// routers or caches, so the facade fills this in.
#[derive(Debug, Clone, Default, Serialize)]
#[non_exhaustive]
pub struct LiveState {
    /// Each provider: name, breaker state (`closed`, `open`, `half_open`), times opened.
    pub providers: Vec<(String, &'static str, u64)>,
    /// Each provider's breaker transitions since start: name, state entered (`open`,
    /// `half_open`, `closed`), count.
    pub breaker_transitions: Vec<(String, &'static str, u64)>,
    /// Response cache entries held.
    pub cache_entries: u64,
    /// Approximate bytes the cache holds.
    pub cache_bytes: u64,
    /// The cache's byte bound (0 when the cache is off).
    pub cache_max_bytes: u64,
    /// Entries the cache evicted to stay within its bound.
    pub cache_evictions: u64,
    /// Requests waiting for a provider slot.
    pub queue_depth: u64,
    /// Requests that may wait (0 when admission is off).
    pub queue_capacity: u64,
    /// Calls to Redis that failed or passed `timeout_ms`, and of those the ones served from the
    /// instance's own stores instead (`on_error = "open"`); `None` without `[redis]`.
    pub redis: Option<(u64, u64)>,
}

impl LiveState {
    /// A fresh state: no providers, everything zero.
    pub fn new() -> Self {
        Self::default()
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BreakerLabels {
    provider: String,
    state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ProviderLabels {
    provider: String,
}

const STATES: [&str; 3] = ["closed", "open", "half_open"];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TransitionLabels {
    provider: String,
    to: &'static str,
}

/// Appends the live metrics (without `# EOF`) to `out`.
pub(super) fn encode_live(out: &mut String, live: &LiveState) -> std::fmt::Result {
    let mut r = Registry::with_prefix("spark");
    let state: Family<BreakerLabels, Gauge> = Family::default();
    let opened: Family<ProviderLabels, Counter> = Family::default();
    for (name, now, times) in live.providers.iter().take(super::labels::MAX_LABEL_VALUES) {
        let provider = super::labels::sanitize(name);
        for s in STATES {
            state
                .get_or_create(&BreakerLabels { provider: provider.clone(), state: s })
                .set(i64::from(s == *now));
        }
        opened.get_or_create(&ProviderLabels { provider }).inc_by(*times);
    }
    let transitions: Family<TransitionLabels, Counter> = Family::default();
    for (name, to, n) in live.breaker_transitions.iter().take(3 * super::labels::MAX_LABEL_VALUES) {
        let provider = super::labels::sanitize(name);
        transitions.get_or_create(&TransitionLabels { provider, to }).inc_by(*n);
    }
    let gauge = |v: u64| {
        let g: Gauge = Gauge::default();
        g.set(i64::try_from(v).unwrap_or(i64::MAX));
        g
    };
    let counter = |v: u64| {
        let c: Counter = Counter::default();
        c.inc_by(v);
        c
    };
    r.register("breaker_state", "1 for each provider's current breaker state, else 0", state);
    r.register("breaker_opened", "Times each provider's breaker opened since start", opened);
    r.register(
        "breaker_transitions",
        "Breaker state changes since start, by provider and the state entered",
        transitions,
    );
    r.register("cache_entries", "Response cache entries held", gauge(live.cache_entries));
    r.register("cache_bytes", "Approximate bytes the response cache holds", gauge(live.cache_bytes));
    r.register("cache_max_bytes", "The response cache's byte bound", gauge(live.cache_max_bytes));
    r.register(
        "cache_evictions",
        "Entries evicted to keep the cache within its bound",
        counter(live.cache_evictions),
    );
    r.register("queue_depth", "Requests waiting for a provider slot", gauge(live.queue_depth));
    r.register("queue_capacity", "Requests allowed to wait for a slot", gauge(live.queue_capacity));
    if let Some((errors, fallbacks)) = live.redis {
        r.register("redis_errors", "Calls to Redis that failed or timed out", counter(errors));
        r.register(
            "redis_fallbacks",
            "Calls to Redis served from the instance's own stores instead (on_error = open)",
            counter(fallbacks),
        );
    }
    prometheus_client::encoding::text::encode_registry(out, &r)
}

/// OpenMetrics to the Prometheus text format: a counter family is named with its `_total`
/// suffix there, and there is no `# EOF`. Samples are the same.
pub fn to_prometheus_text(open: &str) -> String {
    let counters: std::collections::HashSet<&str> = open
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.strip_suffix(" counter"))
        .collect();
    let mut out = String::with_capacity(open.len() + counters.len() * 16);
    for line in open.lines() {
        if line == "# EOF" {
            continue;
        }
        let renamed = ["# HELP ", "# TYPE "].iter().find_map(|tag| {
            let rest = line.strip_prefix(tag)?;
            let (name, tail) = rest.split_once(' ')?;
            counters.contains(name).then(|| format!("{tag}{name}_total {tail}"))
        });
        match renamed {
            Some(l) => out.push_str(&l),
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

/// One sample of the exposition: metric name (with its `_total`, `_bucket`… suffix), labels
/// and value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sample {
    /// Sample name as exposed (`spark_requests_total`).
    pub name: String,
    /// Its labels.
    pub labels: BTreeMap<String, String>,
    /// Its value.
    pub value: f64,
}

/// Every metric sample at one instant: what [`crate::Spark::metrics`] returns. The accessors
/// sum samples, so a test or a host reads a figure without parsing text.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct MetricsSnapshot {
    /// All samples, in exposition order.
    pub samples: Vec<Sample>,
}

impl MetricsSnapshot {
    /// Reads the exposition text SPARK writes (label values are label-safe: no escapes).
    pub fn parse(text: &str) -> Self {
        let mut samples = Vec::new();
        for line in text.lines() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let Some((head, value)) = line.rsplit_once(' ') else { continue };
            let Ok(value) = value.parse::<f64>() else { continue };
            let (name, labels) = match head.split_once('{') {
                Some((name, rest)) => (name, parse_labels(rest.trim_end_matches('}'))),
                None => (head, BTreeMap::new()),
            };
            samples.push(Sample { name: name.to_string(), labels, value });
        }
        MetricsSnapshot { samples }
    }

    /// The sum of the samples named `name` whose labels include every pair of `labels`.
    pub fn sum(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.samples
            .iter()
            .filter(|s| s.name == name)
            .filter(|s| labels.iter().all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v)))
            .map(|s| s.value)
            .sum()
    }

    /// Requests finished (every outcome).
    pub fn requests(&self) -> u64 {
        self.sum("spark_requests_total", &[]) as u64
    }

    /// Requests that failed.
    pub fn errors(&self) -> u64 {
        self.sum("spark_errors_total", &[]) as u64
    }

    /// Cache decisions with `outcome` (`hit`, `result_hit`, `miss`, `coalesced`…).
    pub fn cache(&self, outcome: &str) -> u64 {
        self.sum("spark_cache_requests_total", &[("outcome", outcome)]) as u64
    }

    /// Samples recorded by a histogram (its `_count`), over labels matching `labels`.
    pub fn histogram_count(&self, histogram: &str, labels: &[(&str, &str)]) -> u64 {
        self.sum(&format!("{histogram}_count"), labels) as u64
    }

    /// The metric family names present (`spark_requests`, without sample suffixes).
    pub fn families(text: &str) -> Vec<String> {
        let mut out: Vec<String> = text
            .lines()
            .filter_map(|l| l.strip_prefix("# TYPE "))
            .filter_map(|l| l.split_whitespace().next())
            .map(str::to_string)
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

fn parse_labels(body: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for pair in body.split("\",") {
        if let Some((k, v)) = pair.split_once("=\"") {
            out.insert(k.trim().to_string(), v.trim_end_matches('"').to_string());
        }
    }
    out
}
