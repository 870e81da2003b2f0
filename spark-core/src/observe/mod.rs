//! The observer seam: every stage of a request reports what happened (timings, outcome, usage,
//! cache result, retries, fallbacks) to the [`Observer`]s a client was built with.
//!
//! Observers watch; they never change the flow. Metrics, tracing and error reports hang off this
//! seam, so the library stays free of any one monitoring stack. Events borrow their data: an
//! observer that keeps anything copies it.

use std::sync::Arc;
use std::time::Duration;

use crate::diagnostic::Diagnostic;
use crate::error::ErrorCode;
use crate::usage::Usage;

pub mod health;
mod labels;
pub mod metrics;
mod metrics_live;

pub use health::{Health, ProviderHealth};
pub use metrics::{MetricsConfig, MetricsSnapshot, SparkMetrics};
pub use metrics_live::{LiveState, to_prometheus_text};
#[cfg(feature = "otel")]
pub mod otel;
pub mod report;
pub mod trace;
pub use trace::{TelemetryConfig, TraceParent};

/// A stage of the request path, in the order a request meets them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Stage {
    /// Input checks and guards before any provider call.
    GuardBefore,
    /// The finished-result memo and the response cache.
    Cache,
    /// Per-caller rate limit and the concurrency queue.
    Admission,
    /// The provider chain: breakers, retries, fallback, the reply stream.
    Provider,
    /// Code blocks taken from the reply.
    Extract,
    /// Syntax, Unity and security checks.
    Validate,
    /// The repair rounds after the first reply.
    Repair,
    /// Output checks after the result is built.
    GuardAfter,
}

impl Stage {
    /// A stable snake_case name, for metric labels and span names.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::GuardBefore => "guard_before",
            Stage::Cache => "cache",
            Stage::Admission => "admission",
            Stage::Provider => "provider",
            Stage::Extract => "extract",
            Stage::Validate => "validate",
            Stage::Repair => "repair",
            Stage::GuardAfter => "guard_after",
        }
    }
}

/// What the cache layer did for a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CacheOutcome {
    /// The finished result was memoised: no provider, extraction or validation ran.
    ResultHit,
    /// A stored reply was replayed.
    Hit,
    /// No stored reply: the provider chain was called.
    Miss,
    /// An identical request was in flight; this one waited for its reply.
    Coalesced,
    /// The store failed; the request went on as a miss (fail open).
    StoreError,
    /// The cache was bypassed (disabled, or `no_cache`).
    Bypass,
}

/// One thing that happened while serving a request.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Event<'a> {
    /// A request entered the path.
    RequestStarted {
        /// SPARK's request id.
        request_id: &'a str,
    },
    /// A stage finished (successfully or not).
    StageFinished {
        /// SPARK's request id.
        request_id: &'a str,
        /// Which stage.
        stage: Stage,
        /// Time spent in it.
        elapsed: Duration,
        /// `None` on success, else the error's code.
        error: Option<ErrorCode>,
    },
    /// The cache decided.
    Cache {
        /// SPARK's request id.
        request_id: &'a str,
        /// What it did.
        outcome: CacheOutcome,
    },
    /// A provider attempt failed and will be retried after `delay`.
    Retry {
        /// SPARK's request id.
        request_id: &'a str,
        /// The provider.
        provider: &'a str,
        /// The attempt that failed (1-based).
        attempt: u32,
        /// The wait before the next attempt.
        delay: Duration,
        /// Why it failed.
        error: ErrorCode,
    },
    /// A provider failed for good; the next one in the chain is tried.
    Fallback {
        /// SPARK's request id.
        request_id: &'a str,
        /// The provider given up on.
        from: &'a str,
        /// Why.
        error: ErrorCode,
    },
    /// A provider was skipped because its circuit breaker is open.
    CircuitOpen {
        /// SPARK's request id.
        request_id: &'a str,
        /// The provider.
        provider: &'a str,
    },
    /// A provider started answering (its first text, or a clean end).
    FirstToken {
        /// SPARK's request id.
        request_id: &'a str,
        /// The provider.
        provider: &'a str,
        /// From the start of the request to the first text.
        elapsed: Duration,
    },
    /// A request waited for a concurrency slot.
    Queued {
        /// SPARK's request id.
        request_id: &'a str,
        /// How long it waited.
        waited: Duration,
    },
    /// A request ended.
    RequestFinished {
        /// SPARK's request id.
        request_id: &'a str,
        /// The provider that answered, when one did.
        provider: Option<&'a str>,
        /// The model that answered, when one did.
        model: Option<&'a str>,
        /// The caller's tier, a name from `[tiers]` (never a caller id); `None` when no tier
        /// applies.
        tier: Option<&'a str>,
        /// Tokens spent by every round (zero when the answer came from the cache).
        usage: Usage,
        /// Cost in USD, when the price is known.
        cost_usd: Option<f64>,
        /// Whole time in the path.
        elapsed: Duration,
        /// `None` on success, else the error's code.
        error: Option<ErrorCode>,
    },
    /// SPARK itself refused a request (not a provider): a limit, a budget or a guard.
    Rejected {
        /// SPARK's request id.
        request_id: &'a str,
        /// Who refused it.
        by: Rejection<'a>,
    },
    /// A reply was extracted, validated and repaired as far as it would go.
    Evaluated {
        /// SPARK's request id.
        request_id: &'a str,
        /// The diagnostics of the final round.
        diagnostics: &'a [Diagnostic],
        /// Repair rounds run after the first reply (0 when it was clean).
        repair_rounds: u32,
    },
    /// One call to one provider ended: it answered (first text or a clean end) or failed.
    ProviderAttempt {
        /// SPARK's request id.
        request_id: &'a str,
        /// The provider.
        provider: &'a str,
        /// From sending the call to its answer or failure.
        elapsed: Duration,
        /// `None` when it answered, else the error's code.
        error: Option<ErrorCode>,
    },
}

/// Who refused a request in [`Event::Rejected`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rejection<'a> {
    /// The caller's rate limit.
    RateLimited,
    /// The admission queue was full or its wait ran out.
    QueueFull,
    /// A SPARK budget was exhausted.
    Budget,
    /// A guard blocked the prompt.
    Guard {
        /// The guard's name.
        guard: &'a str,
    },
}

impl Rejection<'_> {
    /// A stable snake_case name, for metric labels.
    pub fn as_str(&self) -> &'static str {
        match self {
            Rejection::RateLimited => "rate_limited",
            Rejection::QueueFull => "queue_full",
            Rejection::Budget => "budget",
            Rejection::Guard { .. } => "guard",
        }
    }

    /// The rejection an error stands for, if SPARK (not a provider) refused the request.
    pub fn of(error: &crate::error::Error) -> Option<Rejection<'_>> {
        use crate::error::Error;
        match error {
            Error::RateLimited { .. } => Some(Rejection::RateLimited),
            Error::QueueFull { .. } => Some(Rejection::QueueFull),
            Error::BudgetExceeded { .. } => Some(Rejection::Budget),
            Error::InputRejected { guard, .. } => Some(Rejection::Guard { guard }),
            _ => None,
        }
    }
}

/// Sees every stage's events. Implementations must be cheap and must not block: they run on the
/// request path, inside the caller's task.
pub trait Observer: Send + Sync + 'static {
    /// Called for each event, in order, from the task serving the request.
    fn on_event(&self, event: &Event<'_>);
}

/// The observers of one client, called in registration order.
#[derive(Clone, Default)]
pub struct Observers(Arc<[Arc<dyn Observer>]>);

impl std::fmt::Debug for Observers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Observers({})", self.0.len())
    }
}

impl Observers {
    /// A fan-out over `observers`.
    pub fn new(observers: Vec<Arc<dyn Observer>>) -> Self {
        Observers(observers.into())
    }

    /// Whether nobody listens (events need not even be built).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Sends `event` to every observer.
    pub fn emit(&self, event: Event<'_>) {
        for o in self.0.iter() {
            o.on_event(&event);
        }
    }
}
