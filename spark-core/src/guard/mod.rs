//! Guards around the request path: a [`Guard`] looks at a request before any provider call and
//! at the result after it; [`Admission`] keeps per-caller limits and the concurrency queue in
//! front of the providers that cost money.
//!
//! A guard's [`Verdict`] with [`GuardAction::Block`] before the call becomes
//! [`Error::InputRejected`] naming the guard, and no provider is called; warnings travel in the
//! result (`GeneratedScripts::verdicts`).

use crate::error::{Error, Result};
use crate::result::GeneratedScripts;
pub use crate::result::{GuardAction, Verdict};
use async_trait::async_trait;

mod admission;
mod config;
mod output;
mod screen;
pub mod signing;
mod tiers;

pub use admission::{
    Admission, AdmissionLayer, Admitted, LocalRateLimiter, RateLimitStore, RateQuota, TokenHold,
    estimate_tokens,
};
pub use config::{LimitsConfig, RateLimitConfig};
pub use output::{OUTPUT_GUARD, OutputConfig, OutputGuard};
pub use screen::{CONTENT_GUARD, INJECTION_GUARD, ScreenConfig, ScreenGuard, Screened};
pub use tiers::{CallerTiersConfig, TierConfig, Tiers, check_word};

/// Largest caller id accepted, in bytes.
pub const MAX_CALLER_BYTES: usize = 256;

/// Checks a prompt: not empty, within the size limit, no NUL bytes.
pub fn check_prompt(prompt: &str, limits: &LimitsConfig) -> Result<()> {
    if prompt.len() > limits.max_prompt_bytes {
        return Err(Error::InputTooLarge {
            what: "prompt".into(),
            size: prompt.len(),
            limit: limits.max_prompt_bytes,
        });
    }
    if prompt.trim().is_empty() {
        return Err(Error::InvalidRequest("the prompt is empty".into()));
    }
    if prompt.contains('\0') {
        return Err(Error::InvalidRequest("the prompt contains a NUL character".into()));
    }
    Ok(())
}

/// Checks a caller id: short and printable.
pub fn check_caller(caller: &str) -> Result<()> {
    if caller.len() > MAX_CALLER_BYTES {
        return Err(Error::InputTooLarge {
            what: "caller id".into(),
            size: caller.len(),
            limit: MAX_CALLER_BYTES,
        });
    }
    if caller.chars().any(char::is_control) {
        return Err(Error::InvalidRequest("the caller id contains control characters".into()));
    }
    Ok(())
}

/// What a guard sees before the call.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct GuardInput<'a> {
    /// The prompt as the caller wrote it.
    pub prompt: &'a str,
    /// The caller id (`anonymous` when none).
    pub caller: &'a str,
    /// SPARK's request id.
    pub request_id: &'a str,
    /// Whether the caller accepts generated code with blocking findings
    /// ([`GenerateRequest::allow_unsafe`](crate::GenerateRequest::allow_unsafe)).
    pub allow_unsafe: bool,
}

/// A guard's replacement for the prompt, and its verdicts on the change.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Rewrite {
    /// The prompt every later guard, the cache key and the model see instead.
    pub prompt: String,
    /// What was changed and found (blocking ones refuse the request).
    pub verdicts: Vec<Verdict>,
}

impl Rewrite {
    /// A rewrite to `prompt`.
    pub fn new(prompt: impl Into<String>, verdicts: Vec<Verdict>) -> Self {
        Rewrite { prompt: prompt.into(), verdicts }
    }
}

/// A check around the request path. Every phase defaults to "nothing to say".
#[async_trait]
pub trait Guard: Send + Sync + 'static {
    /// The guard's name, as it appears in verdicts and `InputRejected`.
    fn name(&self) -> &str;

    /// Runs just before this guard's [`before`](Guard::before) and may replace the prompt (for
    /// example with a cleaned one); `before` then sees the replacement.
    fn rewrite(&self, _input: &GuardInput<'_>) -> Result<Option<Rewrite>> {
        Ok(None)
    }

    /// Before any provider call. `Err` refuses the request; verdicts with
    /// [`GuardAction::Block`] refuse it as `InputRejected` naming the verdict's guard and
    /// detector.
    async fn before(&self, _input: &GuardInput<'_>) -> Result<Vec<Verdict>> {
        Ok(Vec::new())
    }

    /// After the result is built; may change it (redact, mark) or refuse it.
    async fn after(&self, _result: &mut GeneratedScripts) -> Result<Vec<Verdict>> {
        Ok(Vec::new())
    }

    /// [`after`](Guard::after) with the request's context (its caller, id and `allow_unsafe`);
    /// this is what the request path calls, and by default it calls `after`.
    async fn after_request(
        &self,
        _input: &GuardInput<'_>,
        result: &mut GeneratedScripts,
    ) -> Result<Vec<Verdict>> {
        self.after(result).await
    }
}

/// The built-in guard: prompt and caller-id limits ([`check_prompt`], [`check_caller`]).
#[derive(Debug, Clone)]
pub struct LimitsGuard {
    limits: LimitsConfig,
}

impl LimitsGuard {
    /// A guard enforcing `limits`.
    pub fn new(limits: LimitsConfig) -> Self {
        LimitsGuard { limits }
    }
}

#[async_trait]
impl Guard for LimitsGuard {
    fn name(&self) -> &str {
        "limits"
    }

    async fn before(&self, input: &GuardInput<'_>) -> Result<Vec<Verdict>> {
        check_prompt(input.prompt, &self.limits)?;
        check_caller(input.caller)?;
        Ok(Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompt_checks() {
        let limits = LimitsConfig::default();
        assert!(matches!(check_prompt("  \n", &limits), Err(Error::InvalidRequest(_))));
        let big = "x".repeat(10 * 1024 * 1024);
        assert!(
            matches!(check_prompt(&big, &limits), Err(Error::InputTooLarge { size, .. }) if size == big.len())
        );
        assert!(check_prompt("a spinning coin", &limits).is_ok());
    }
}
