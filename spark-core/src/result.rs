//! What a caller asks for and what comes back: [`GenerateRequest`], [`GeneratedScripts`],
//! [`StreamEvent`].

use serde::{Deserialize, Serialize};

use crate::diagnostic::Diagnostic;
use crate::error::Result;
use crate::export::{ExportConfig, ExportFormat, Provenance};
use crate::extract::ScriptFile;
use crate::provider::{StopReason, Usage};
use crate::repair::RepairRound;
use crate::validate::ValidationConfig;

/// Caller id used when a request names none.
pub const ANONYMOUS_CALLER: &str = "anonymous";

/// What to generate, and for whom. Build it with [`GenerateRequest::new`] and the setters.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GenerateRequest {
    /// The request in plain words ("a third-person controller with double jump").
    pub prompt: String,
    /// Who asks: the key for rate limits, budgets and usage accounting. Not part of the cache key.
    pub caller: Option<String>,
    /// SPARK's request id for this call (tracing, logs, support); generated when absent. Not part
    /// of the cache key.
    pub request_id: Option<String>,
    /// The tier whose limits apply (`[tiers.NAME]`), when the host vouches for it (from a verified
    /// caller key: [`KeyInfo::apply`](crate::keys::KeyInfo::apply)); the caller's configured tier
    /// otherwise. Not part of the cache key.
    pub tier: Option<String>,
    /// Model override for the primary provider.
    pub model: Option<String>,
    /// Output token limit override.
    pub max_tokens: Option<u32>,
    /// Temperature override.
    pub temperature: Option<f32>,
    /// Repair rounds override (`repair.max_rounds` otherwise).
    pub repair_rounds: Option<u32>,
    /// Only this provider of the configured chain (`anthropic`, `openai`, `offline`) serves the
    /// request, with no fallback to the others; a name not in the chain is an invalid request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// The Unity version to target for this request (`2021.3`, `6000.0`): named in the system
    /// prompt and used by validation (C# version, APIs gone in that Unity), instead of
    /// `generation.unity_version` and `validation.unity_version`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unity_version: Option<String>,
    /// Bypass the response cache for this request.
    pub no_cache: bool,
    /// Hand out generated code even when the output policy finds blocking security findings
    /// (`[output] allow_unsafe` for this request only). Secrets are redacted regardless.
    pub allow_unsafe: bool,
    /// The caller's W3C trace context (`traceparent` header value). The request joins that
    /// trace and provider calls carry it on; a malformed value is ignored with a warning. Not
    /// part of the cache key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub traceparent: Option<String>,
}

impl GenerateRequest {
    /// A request with default options.
    pub fn new(prompt: impl Into<String>) -> Self {
        GenerateRequest { prompt: prompt.into(), ..Default::default() }
    }

    /// Sets the caller id.
    pub fn caller(mut self, caller: impl Into<String>) -> Self {
        self.caller = Some(caller.into());
        self
    }

    /// Sets the request id (otherwise one is generated).
    pub fn request_id(mut self, id: impl Into<String>) -> Self {
        self.request_id = Some(id.into());
        self
    }

    /// Sets the tier (see [`GenerateRequest::tier`](Self::tier)).
    pub fn tier(mut self, tier: impl Into<String>) -> Self {
        self.tier = Some(tier.into());
        self
    }

    /// Joins the caller's trace: a W3C `traceparent` value
    /// (`00-<32 hex trace id>-<16 hex span id>-<2 hex flags>`).
    pub fn traceparent(mut self, value: impl Into<String>) -> Self {
        self.traceparent = Some(value.into());
        self
    }

    /// The request id, generating one first when the caller set none: a host that wants the id
    /// of a request it did not name (to attach it to an error, say) calls this before
    /// `generate`.
    pub fn ensure_request_id(&mut self) -> &str {
        self.request_id.get_or_insert_with(crate::observe::trace::new_request_id)
    }

    /// Overrides the model.
    pub fn model(mut self, model: impl Into<String>) -> Self {
        self.model = Some(model.into());
        self
    }

    /// Overrides the output token limit.
    pub fn max_tokens(mut self, max_tokens: u32) -> Self {
        self.max_tokens = Some(max_tokens);
        self
    }

    /// Overrides the temperature.
    pub fn temperature(mut self, temperature: f32) -> Self {
        self.temperature = Some(temperature);
        self
    }

    /// Overrides the number of repair rounds.
    pub fn repair_rounds(mut self, rounds: u32) -> Self {
        self.repair_rounds = Some(rounds);
        self
    }

    /// Serves the request with this provider of the chain only (see
    /// [`GenerateRequest::provider`](Self::provider)).
    pub fn provider(mut self, name: impl Into<String>) -> Self {
        self.provider = Some(name.into());
        self
    }

    /// Targets this Unity version (see [`GenerateRequest::unity_version`](Self::unity_version)).
    pub fn unity_version(mut self, version: impl Into<String>) -> Self {
        self.unity_version = Some(version.into());
        self
    }

    /// Bypasses the cache.
    pub fn no_cache(mut self) -> Self {
        self.no_cache = true;
        self
    }

    /// Accepts (or not) generated code with blocking security findings for this request: the
    /// result is then not [`blocked`](GeneratedScripts::blocked). Secrets are redacted anyway.
    pub fn allow_unsafe(mut self, allow: bool) -> Self {
        self.allow_unsafe = allow;
        self
    }
}

/// The result of one generation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GeneratedScripts {
    /// The C# files, at safe relative paths named after their main type.
    pub files: Vec<ScriptFile>,
    /// Diagnostics of the kept round, sorted by file and position.
    pub diagnostics: Vec<Diagnostic>,
    /// Tokens used by all rounds together.
    pub usage: Usage,
    /// Cost in USD of all rounds, when the model's price is known.
    pub cost_usd: Option<f64>,
    /// The provider that answered.
    pub provider: String,
    /// The model that answered (`offline-scaffold` for the offline provider).
    pub model: String,
    /// True when the offline scaffold produced the files: no model was called.
    pub offline: bool,
    /// The raw reply of the kept round.
    pub raw: String,
    /// Every round of the generate → validate → repair loop.
    pub rounds: Vec<RepairRound>,
    /// Why the model stopped in the kept round.
    pub stop_reason: Option<StopReason>,
    /// SPARK's request id (the caller's, or generated).
    pub request_id: String,
    /// The provider's own request id of the kept round, for its support.
    pub provider_request_id: Option<String>,
    /// SHA-256 (hex) of the prompt and options that shape the answer: the canonical form of
    /// [`cache_key`](crate::cache::cache_key), without the provider.
    pub request_hash: String,
    /// What the guards said: warnings and allowances, and the output policy's blocks (an input
    /// guard's block is an error instead).
    pub verdicts: Vec<Verdict>,
    /// Set when the output policy held the result back: `files` is then empty, the files are in
    /// [`Blocked::withheld_files`], and export refuses them unless told `allow_unsafe`.
    #[serde(default)]
    pub blocked: Option<Blocked>,
}

/// Why a result was held back by the output policy (`[output]`), and what was held back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Blocked {
    /// Rule ids of the blocking findings, sorted and unique (`["SPK2001", "SPK2009"]`).
    pub rules: Vec<String>,
    /// The blocking findings (also in [`GeneratedScripts::diagnostics`]).
    pub findings: Vec<Diagnostic>,
    /// The generated files (secrets redacted), kept for review: export refuses them unless
    /// `allow_unsafe`.
    pub withheld_files: Vec<ScriptFile>,
}

impl GeneratedScripts {
    /// Diagnostics that block under `policy`.
    pub fn blocking<'a>(&'a self, policy: &'a ValidationConfig) -> impl Iterator<Item = &'a Diagnostic> + 'a {
        self.diagnostics.iter().filter(|d| policy.is_blocking(d))
    }

    /// Builds an archive of the files, with their provenance in the manifest, under default
    /// export settings (`Spark::export` applies the client's `[export]` settings). A
    /// [`blocked`](GeneratedScripts::blocked) result is refused with `Error::OutputBlocked`.
    pub fn export(&self, format: ExportFormat) -> Result<Vec<u8>> {
        crate::export::export_generated(self, format, &ExportConfig::default())
    }

    /// Whether the output policy held this result back.
    pub fn is_blocked(&self) -> bool {
        self.blocked.is_some()
    }
}

impl<'a> From<&'a GeneratedScripts> for Provenance<'a> {
    fn from(g: &'a GeneratedScripts) -> Self {
        match &g.blocked {
            // The withheld files, marked: export refuses them unless `allow_unsafe`.
            Some(b) => Provenance::generated(
                &b.withheld_files,
                &g.provider,
                &g.model,
                &g.request_hash,
                &g.diagnostics,
            )
            .blocked_by(&b.rules),
            None => Provenance::generated(&g.files, &g.provider, &g.model, &g.request_hash, &g.diagnostics),
        }
    }
}

/// Progress of a streamed generation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum StreamEvent {
    /// The provider started answering.
    Started {
        /// The provider.
        provider: String,
        /// The model.
        model: String,
        /// Whether the reply is replayed from the cache.
        #[serde(default)]
        cached: bool,
    },
    /// A piece of the first reply's text.
    Delta {
        /// The text.
        text: String,
    },
    /// A repair round is starting because of these blocking diagnostics.
    Repairing {
        /// The round number (1-based).
        round: u32,
    },
    /// The diagnostics of the final files.
    Diagnostics {
        /// The diagnostics.
        diagnostics: Vec<Diagnostic>,
    },
    /// The finished result; always the last event of a successful stream.
    Done {
        /// The result.
        result: Box<GeneratedScripts>,
    },
}

/// What a guard decided about one finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum GuardAction {
    /// Noted, nothing done.
    Allow,
    /// Let through, reported in the result.
    Warn,
    /// Refused.
    Block,
}

/// One guard finding: which detector, how sure, what was done.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Verdict {
    /// The guard (`limits`, `prompt_injection`…).
    pub guard: String,
    /// The detector inside it that fired.
    pub detector: String,
    /// How sure, 0–1.
    pub score: f32,
    /// What was done.
    pub action: GuardAction,
    /// Why, in words (never a secret).
    pub message: String,
    /// The byte range of the prompt (after clean-up) that triggered it, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub span: Option<(usize, usize)>,
}

impl Verdict {
    /// A verdict of `guard`'s `detector`.
    pub fn new(
        guard: impl Into<String>,
        detector: impl Into<String>,
        score: f32,
        action: GuardAction,
        message: impl Into<String>,
    ) -> Self {
        Verdict {
            guard: guard.into(),
            detector: detector.into(),
            score,
            action,
            message: message.into(),
            span: None,
        }
    }

    /// The same verdict pointing at bytes `start..end` of the prompt.
    pub fn with_span(mut self, start: usize, end: usize) -> Self {
        self.span = Some((start, end));
        self
    }
}
