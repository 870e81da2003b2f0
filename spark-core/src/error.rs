//! One error type for the whole library, with stable codes shared by every binding.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::diagnostic::Diagnostic;

/// Result alias used across SPARK.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Stable, language-neutral error codes.
///
/// The numeric value and the snake_case name never change once released; bindings expose both
/// (`SparkError.code` in Python, `err.code` in Node, `spark_error_code()` over the C ABI).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
#[repr(u32)]
pub enum ErrorCode {
    /// The request is malformed (empty prompt, bad option).
    InvalidRequest = 1,
    /// An input exceeds a configured size limit.
    InputTooLarge = 2,
    /// An input guard (prompt injection, content filter) refused the request.
    InputRejected = 3,
    /// The configuration is invalid; the message names the field.
    InvalidConfig = 4,
    /// A configured provider has no API key.
    MissingApiKey = 5,
    /// Rate limited, locally (per caller) or by the provider (HTTP 429).
    RateLimited = 6,
    /// Quota or budget exhausted (`insufficient_quota`, SPARK budgets). Not retryable.
    QuotaExceeded = 7,
    /// The provider refused the credentials (401/403).
    Authentication = 8,
    /// The provider rejected the request (400, 404, 413…).
    ProviderRejected = 9,
    /// The provider failed (5xx) or reported an error mid-stream.
    ProviderFailed = 10,
    /// The provider is overloaded (Anthropic 529, `overloaded_error`).
    Overloaded = 11,
    /// A deadline passed (connect, first token, idle gap, total).
    Timeout = 12,
    /// The connection failed or was reset.
    Connection = 13,
    /// The stream ended before its terminal event.
    StreamTruncated = 14,
    /// The provider answered something that does not follow its wire format.
    MalformedResponse = 15,
    /// The provider's circuit breaker is open.
    CircuitOpen = 16,
    /// The admission queue is full.
    QueueFull = 17,
    /// The operation was cancelled by the caller.
    Cancelled = 18,
    /// The model reply contained no C# code.
    NoCode = 19,
    /// Blocking diagnostics remained after repair.
    ValidationFailed = 20,
    /// An export could not be produced (limits, bad names).
    Export = 21,
    /// An archive given to the import side is unsafe (zip-slip, zip bomb).
    UnsafeArchive = 22,
    /// An I/O error.
    Io = 23,
    /// A value crossing a language boundary is not valid (NULL, bad UTF-8, bad JSON, wrong type).
    InvalidArgument = 24,
    /// A bug in SPARK; please report it.
    Internal = 25,
    /// The caller could not be authenticated: a request signature or caller key failed.
    Unauthenticated = 26,
    /// The output policy holds generated code back (blocking security findings); export it only
    /// with `allow_unsafe`.
    OutputBlocked = 27,
    /// The caller is authenticated but its key lacks the scope the operation needs.
    Forbidden = 28,
}

impl ErrorCode {
    /// The stable numeric value.
    pub fn as_u32(self) -> u32 {
        self as u32
    }

    /// The stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::InputTooLarge => "input_too_large",
            ErrorCode::InputRejected => "input_rejected",
            ErrorCode::InvalidConfig => "invalid_config",
            ErrorCode::MissingApiKey => "missing_api_key",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::QuotaExceeded => "quota_exceeded",
            ErrorCode::Authentication => "authentication",
            ErrorCode::ProviderRejected => "provider_rejected",
            ErrorCode::ProviderFailed => "provider_failed",
            ErrorCode::Overloaded => "overloaded",
            ErrorCode::Timeout => "timeout",
            ErrorCode::Connection => "connection",
            ErrorCode::StreamTruncated => "stream_truncated",
            ErrorCode::MalformedResponse => "malformed_response",
            ErrorCode::CircuitOpen => "circuit_open",
            ErrorCode::QueueFull => "queue_full",
            ErrorCode::Cancelled => "cancelled",
            ErrorCode::NoCode => "no_code",
            ErrorCode::ValidationFailed => "validation_failed",
            ErrorCode::Export => "export",
            ErrorCode::UnsafeArchive => "unsafe_archive",
            ErrorCode::Io => "io",
            ErrorCode::InvalidArgument => "invalid_argument",
            ErrorCode::Internal => "internal",
            ErrorCode::Unauthenticated => "unauthenticated",
            ErrorCode::OutputBlocked => "output_blocked",
            ErrorCode::Forbidden => "forbidden",
        }
    }

    /// All codes, in numeric order (used by bindings to build their exception tables).
    pub const ALL: &'static [ErrorCode] = &[
        ErrorCode::InvalidRequest,
        ErrorCode::InputTooLarge,
        ErrorCode::InputRejected,
        ErrorCode::InvalidConfig,
        ErrorCode::MissingApiKey,
        ErrorCode::RateLimited,
        ErrorCode::QuotaExceeded,
        ErrorCode::Authentication,
        ErrorCode::ProviderRejected,
        ErrorCode::ProviderFailed,
        ErrorCode::Overloaded,
        ErrorCode::Timeout,
        ErrorCode::Connection,
        ErrorCode::StreamTruncated,
        ErrorCode::MalformedResponse,
        ErrorCode::CircuitOpen,
        ErrorCode::QueueFull,
        ErrorCode::Cancelled,
        ErrorCode::NoCode,
        ErrorCode::ValidationFailed,
        ErrorCode::Export,
        ErrorCode::UnsafeArchive,
        ErrorCode::Io,
        ErrorCode::InvalidArgument,
        ErrorCode::Internal,
        ErrorCode::Unauthenticated,
        ErrorCode::OutputBlocked,
        ErrorCode::Forbidden,
    ];
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which deadline a [`Error::Timeout`] names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TimeoutStage {
    /// TCP/TLS connect.
    Connect,
    /// Request sent → first text.
    FirstToken,
    /// Gap between two stream chunks.
    Idle,
    /// The whole call, CPU work after the reply included.
    Total,
    /// Waiting in the admission queue.
    Queue,
}

impl TimeoutStage {
    /// The stable snake_case name (`connect`, `first_token`, `idle`, `total`, `queue`).
    pub fn as_str(self) -> &'static str {
        match self {
            TimeoutStage::Connect => "connect",
            TimeoutStage::FirstToken => "first_token",
            TimeoutStage::Idle => "idle",
            TimeoutStage::Total => "total",
            TimeoutStage::Queue => "queue",
        }
    }
}

impl std::fmt::Display for TimeoutStage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for TimeoutStage {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// What went wrong talking to a provider, as decided from the wire (status, error type).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ProviderErrorKind {
    /// 400 / `invalid_request_error`.
    BadRequest,
    /// 401 / 403.
    Authentication,
    /// 404 / `not_found_error` (often a wrong model name or base URL).
    NotFound,
    /// 413 / `request_too_large`.
    RequestTooLarge,
    /// 429 `rate_limit_exceeded` / `rate_limit_error`: retryable.
    RateLimited,
    /// 429 `insufficient_quota`, billing errors: not retryable.
    QuotaExceeded,
    /// 529 / `overloaded_error`.
    Overloaded,
    /// 5xx / `api_error`, or an error event mid-stream.
    Server,
    /// Connection refused, reset, TLS failure.
    Connection,
    /// A deadline passed.
    Timeout,
    /// The stream closed before its terminal event.
    Truncated,
    /// The body does not follow the wire format (bad JSON, missing fields).
    Malformed,
}

impl ProviderErrorKind {
    /// A passing fault of the provider or the path to it (rate limit, overload, 5xx, connection,
    /// deadline, cut stream), which a later attempt may not meet; the request and the account are
    /// fine. Retries and circuit breakers both build on this.
    pub fn is_transient(self) -> bool {
        matches!(
            self,
            ProviderErrorKind::RateLimited
                | ProviderErrorKind::Overloaded
                | ProviderErrorKind::Server
                | ProviderErrorKind::Connection
                | ProviderErrorKind::Timeout
                | ProviderErrorKind::Truncated
        )
    }
}

/// A failure reported by (or while talking to) a model provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProviderError {
    /// Classification used for retries and error codes.
    pub kind: ProviderErrorKind,
    /// Provider name (`anthropic`, `openai`, …).
    pub provider: String,
    /// HTTP status, when there was one.
    pub status: Option<u16>,
    /// The provider's own error type string (`overloaded_error`, `insufficient_quota`…).
    pub error_type: Option<String>,
    /// Human-readable message (never contains credentials).
    pub message: String,
    /// How long the provider asked us to wait (`retry-after`, `retry-after-ms`).
    #[serde(with = "opt_duration_ms", rename = "retry_after_ms")]
    pub retry_after: Option<Duration>,
    /// The provider's request id (`request-id`, `x-request-id`), for support tickets.
    pub request_id: Option<String>,
    /// Text already streamed before the failure, so nothing is silently lost.
    pub partial_text: Option<String>,
}

impl ProviderError {
    /// A new error of `kind` from `provider`.
    pub fn new(provider: impl Into<String>, kind: ProviderErrorKind, message: impl Into<String>) -> Self {
        ProviderError {
            kind,
            provider: provider.into(),
            status: None,
            error_type: None,
            message: message.into(),
            retry_after: None,
            request_id: None,
            partial_text: None,
        }
    }
}

impl std::fmt::Display for ProviderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.provider)?;
        if let Some(status) = self.status {
            write!(f, " HTTP {status}")?;
        }
        if let Some(t) = &self.error_type {
            write!(f, " {t}")?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(d) = self.retry_after {
            write!(f, " (retry after {:.3}s)", d.as_secs_f64())?;
        }
        if let Some(id) = &self.request_id {
            write!(f, " [request id {id}]")?;
        }
        Ok(())
    }
}

/// Every error SPARK returns.
///
/// Match on [`Error::code`] for a stable classification; the variants may grow.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request is malformed.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// An input exceeds a limit.
    #[error("{what} is too large: {size} bytes (limit {limit} bytes)")]
    InputTooLarge {
        /// What was measured (`prompt`, `source`, `export`…).
        what: String,
        /// Its size in bytes.
        size: usize,
        /// The configured limit in bytes.
        limit: usize,
    },
    /// An input guard refused the request.
    #[error("input rejected by {guard}: {reason}")]
    InputRejected {
        /// The guard that refused (`prompt_injection`, `content`…).
        guard: String,
        /// Why.
        reason: String,
    },
    /// The caller could not be authenticated (a request signature or a caller key failed).
    #[error("unauthenticated ({reason}): {message}")]
    Unauthenticated {
        /// Stable snake_case cause (`bad_signature`, `replayed`, `expired`…).
        reason: String,
        /// What failed, in words (never a key or a signature).
        message: String,
    },
    /// The caller's key is valid but lacks the scope the operation needs.
    #[error("forbidden: caller key `{key_id}` lacks the `{scope}` scope")]
    Forbidden {
        /// The scope that was needed (`generate`, `admin`…).
        scope: String,
        /// The public id of the key (never its secret).
        key_id: String,
    },
    /// The configuration is invalid.
    #[error("invalid configuration: `{field}`: {message}")]
    Config {
        /// Dotted path of the bad field (`cache.max_bytes`).
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// A configured provider has no API key.
    #[error("no API key for {provider}: set {env_var} or `{provider}.api_key` in the configuration")]
    MissingApiKey {
        /// The provider.
        provider: String,
        /// The environment variable that would supply it.
        env_var: String,
    },
    /// Rate limited by SPARK's own per-caller limiter.
    #[error("rate limited: caller `{caller}` exceeded its quota; retry in {:.3}s", retry_after.as_secs_f64())]
    RateLimited {
        /// The caller id that was limited.
        caller: String,
        /// When a retry can succeed.
        retry_after: Duration,
    },
    /// A budget (tokens or money) is exhausted.
    #[error("budget exceeded for `{scope}`: {message}")]
    BudgetExceeded {
        /// Whose budget (`global`, a caller id).
        scope: String,
        /// Details.
        message: String,
    },
    /// A provider failed.
    #[error("provider error: {0}")]
    Provider(Box<ProviderError>),
    /// A deadline passed.
    #[error("timed out: {stage} after {:.3}s", after.as_secs_f64())]
    Timeout {
        /// Which deadline passed.
        stage: TimeoutStage,
        /// The deadline.
        after: Duration,
        /// Text streamed before the deadline, if any.
        partial_text: Option<String>,
    },
    /// The provider's circuit breaker is open; no call was made.
    #[error("circuit open for {provider}; next probe in {:.3}s", retry_in.as_secs_f64())]
    CircuitOpen {
        /// The provider.
        provider: String,
        /// Time until the breaker lets a probe through.
        retry_in: Duration,
    },
    /// The admission queue is full, or a queued request waited longer than the queue timeout.
    #[error("queue full ({capacity} waiting); retry in {:.3}s", retry_after.as_secs_f64())]
    QueueFull {
        /// The configured queue capacity.
        capacity: usize,
        /// An estimate of when a slot frees up (never zero).
        retry_after: Duration,
    },
    /// The caller cancelled the operation.
    #[error("cancelled")]
    Cancelled,
    /// The model reply contained no C# code.
    #[error("the model reply contained no C# code ({reply_chars} characters of text)")]
    NoCode {
        /// Length of the reply, for diagnosis.
        reply_chars: usize,
    },
    /// Blocking diagnostics remained after the repair rounds.
    #[error("validation failed: {} blocking diagnostic(s){}", diagnostics.len(), diagnostics.first().map(|d| format!("; first: {d}")).unwrap_or_default())]
    ValidationFailed {
        /// The blocking diagnostics.
        diagnostics: Vec<Diagnostic>,
    },
    /// An export could not be produced.
    #[error("export failed: {0}")]
    Export(String),
    /// An archive given to the import side is unsafe.
    #[error("unsafe archive: {0}")]
    UnsafeArchive(String),
    /// The output policy held the result back; exporting it needs `allow_unsafe`.
    #[error("output blocked by the output policy: blocking findings {}; export with allow_unsafe to override", rules.join(", "))]
    OutputBlocked {
        /// Rule ids of the blocking findings.
        rules: Vec<String>,
    },
    /// An I/O error.
    #[error("I/O error: {0}")]
    Io(#[source] Arc<std::io::Error>),
    /// A value crossing a language boundary is invalid.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// A bug in SPARK.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Io(Arc::new(e))
    }
}

impl From<ProviderError> for Error {
    fn from(e: ProviderError) -> Self {
        Error::Provider(Box::new(e))
    }
}

impl Error {
    /// Shorthand for a configuration error naming `field`.
    pub fn config(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Config { field: field.into(), message: message.into() }
    }

    /// The stable code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::InvalidRequest(_) => ErrorCode::InvalidRequest,
            Error::InputTooLarge { .. } => ErrorCode::InputTooLarge,
            Error::InputRejected { .. } => ErrorCode::InputRejected,
            Error::Unauthenticated { .. } => ErrorCode::Unauthenticated,
            Error::Forbidden { .. } => ErrorCode::Forbidden,
            Error::Config { .. } => ErrorCode::InvalidConfig,
            Error::MissingApiKey { .. } => ErrorCode::MissingApiKey,
            Error::RateLimited { .. } => ErrorCode::RateLimited,
            Error::BudgetExceeded { .. } => ErrorCode::QuotaExceeded,
            Error::Provider(p) => match p.kind {
                ProviderErrorKind::BadRequest
                | ProviderErrorKind::NotFound
                | ProviderErrorKind::RequestTooLarge => ErrorCode::ProviderRejected,
                ProviderErrorKind::Authentication => ErrorCode::Authentication,
                ProviderErrorKind::RateLimited => ErrorCode::RateLimited,
                ProviderErrorKind::QuotaExceeded => ErrorCode::QuotaExceeded,
                ProviderErrorKind::Overloaded => ErrorCode::Overloaded,
                ProviderErrorKind::Server => ErrorCode::ProviderFailed,
                ProviderErrorKind::Connection => ErrorCode::Connection,
                ProviderErrorKind::Timeout => ErrorCode::Timeout,
                ProviderErrorKind::Truncated => ErrorCode::StreamTruncated,
                ProviderErrorKind::Malformed => ErrorCode::MalformedResponse,
            },
            Error::Timeout { .. } => ErrorCode::Timeout,
            Error::CircuitOpen { .. } => ErrorCode::CircuitOpen,
            Error::QueueFull { .. } => ErrorCode::QueueFull,
            Error::Cancelled => ErrorCode::Cancelled,
            Error::NoCode { .. } => ErrorCode::NoCode,
            Error::ValidationFailed { .. } => ErrorCode::ValidationFailed,
            Error::Export(_) => ErrorCode::Export,
            Error::UnsafeArchive(_) => ErrorCode::UnsafeArchive,
            Error::OutputBlocked { .. } => ErrorCode::OutputBlocked,
            Error::Io(_) => ErrorCode::Io,
            Error::InvalidArgument(_) => ErrorCode::InvalidArgument,
            Error::Internal(_) => ErrorCode::Internal,
        }
    }

    /// The provider error behind this error, if any.
    pub fn provider_error(&self) -> Option<&ProviderError> {
        match self {
            Error::Provider(p) => Some(p),
            _ => None,
        }
    }

    /// Whether trying the same call again later can succeed.
    ///
    /// True for rate limits (not quota), overload, 5xx, connection failures, timeouts and truncated
    /// streams; false for bad requests, authentication, quota, and everything local.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Provider(p) => p.kind.is_transient(),
            Error::Timeout { .. } | Error::RateLimited { .. } | Error::QueueFull { .. } => true,
            _ => false,
        }
    }

    /// Whether this is a rate limit (local or provider 429), not a quota.
    pub fn is_rate_limited(&self) -> bool {
        self.code() == ErrorCode::RateLimited
    }

    /// Whether a deadline passed.
    pub fn is_timeout(&self) -> bool {
        self.code() == ErrorCode::Timeout
    }

    /// How long the server (or the local limiter) asked to wait before retrying.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Provider(p) => p.retry_after,
            Error::RateLimited { retry_after, .. } => Some(*retry_after),
            Error::CircuitOpen { retry_in, .. } => Some(*retry_in),
            Error::QueueFull { retry_after, .. } => Some(*retry_after),
            _ => None,
        }
    }

    /// Text that had already been streamed when the error happened.
    pub fn partial_text(&self) -> Option<&str> {
        match self {
            Error::Provider(p) => p.partial_text.as_deref(),
            Error::Timeout { partial_text, .. } => partial_text.as_deref(),
            _ => None,
        }
    }
}

mod opt_duration_ms {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_some(&(d.as_millis() as u64)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        Ok(Option::<u64>::deserialize(d)?.map(Duration::from_millis))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_stable() {
        let mut seen = std::collections::HashSet::new();
        for (i, c) in ErrorCode::ALL.iter().enumerate() {
            assert_eq!(c.as_u32() as usize, i + 1, "{c} out of order");
            assert!(seen.insert(c.as_str()));
        }
    }

    #[test]
    fn quota_is_not_retryable_but_rate_limit_is() {
        let rl: Error = ProviderError::new("openai", ProviderErrorKind::RateLimited, "slow down").into();
        let q: Error = ProviderError::new("openai", ProviderErrorKind::QuotaExceeded, "pay up").into();
        assert!(rl.is_retryable() && rl.is_rate_limited());
        assert!(!q.is_retryable() && !q.is_rate_limited());
        assert_eq!(q.code(), ErrorCode::QuotaExceeded);
    }
}
