//! Plain JavaScript objects (camelCase fields) mirroring spark-core's serde types, and the
//! conversions between them. Conversion only: no logic lives here.

use napi::Status;
use napi::threadsafe_function::ThreadsafeFunction;
use napi_derive::napi;

pub use crate::result::{core_result, js_result};

/// One generated C# file.
#[napi(object)]
#[derive(Clone)]
pub struct ScriptFile {
    /// Path relative to the scripts folder, e.g. `Player.cs` or `Editor/PlayerEditor.cs`.
    pub path: String,
    /// File content.
    pub content: String,
    /// The name exactly as the model wrote it, when SPARK did not choose it: untrusted, never use
    /// it as a path.
    pub raw_path: Option<String>,
}

/// One finding of the validator.
#[napi(object)]
#[derive(Clone)]
pub struct Diagnostic {
    /// `"info"`, `"warning"` or `"error"`.
    #[napi(ts_type = "'info' | 'warning' | 'error'")]
    pub severity: String,
    /// Stable rule id (`SPK0001`, `CS-SYNTAX`…).
    pub rule: String,
    /// What is wrong.
    pub message: String,
    /// File name as given to the validator.
    pub file: String,
    /// 1-based line of the start.
    pub line: u32,
    /// 1-based character column of the start.
    pub column: u32,
    /// 1-based line of the end.
    pub end_line: u32,
    /// 1-based character column of the end (exclusive).
    pub end_column: u32,
}

/// Tokens used.
#[napi(object)]
#[derive(Clone)]
pub struct Usage {
    /// Prompt tokens, cached ones included.
    pub input_tokens: i64,
    /// Generated tokens.
    pub output_tokens: i64,
    /// Of `inputTokens`, those read from the provider's prompt cache.
    pub cache_read_tokens: i64,
    /// Of `inputTokens`, those written to the provider's prompt cache.
    pub cache_write_tokens: i64,
}

/// One round of the generate → validate → repair loop (round 0 is the first generation).
#[napi(object)]
#[derive(Clone)]
pub struct RepairRound {
    /// 0 for the first generation, then 1, 2…
    pub round: u32,
    /// Blocking diagnostics sent into this round (empty for round 0).
    pub diagnostics_before: Vec<Diagnostic>,
    /// All diagnostics of this round's output.
    pub diagnostics_after: Vec<Diagnostic>,
    /// How many of `diagnosticsAfter` block.
    pub blocking: u32,
    /// Files extracted in this round.
    pub files: u32,
    /// Tokens this round used.
    pub usage: Usage,
    /// Whether this round's reply came from the cache.
    pub cached: bool,
    /// Whether this round's files are the ones returned (exactly one round is kept).
    pub kept: bool,
    /// Why this repair round failed (the provider call or the reply), if it did.
    #[napi(ts_type = "string | null")]
    pub error: Option<String>,
}

/// The result of one generation: every field of spark-core's result, camelCased (the object is
/// built from the core's serde form, so fields added there appear here too). `null` marks an
/// absent optional value.
#[napi(object, object_from_js = false)]
#[allow(dead_code, reason = "declares the TypeScript shape; results are built by js_result")]
pub struct GeneratedScripts {
    /// The C# files, named after their main type.
    pub files: Vec<ScriptFile>,
    /// Diagnostics of the kept round, sorted by file and position.
    pub diagnostics: Vec<Diagnostic>,
    /// Tokens used by all rounds together.
    pub usage: Usage,
    /// Cost in USD of all rounds, when the model's price is known.
    #[napi(ts_type = "number | null")]
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
    /// Why the model stopped in the kept round (`end_turn`, `max_tokens`…).
    #[napi(ts_type = "string | null")]
    pub stop_reason: Option<String>,
    /// The provider's request id of the kept round.
    #[napi(ts_type = "string | null")]
    pub request_id: Option<String>,
    /// SHA-256 (hex) of the prompt and options that shape the answer.
    pub request_hash: String,
    /// Set when the output policy held the result back: `files` is then empty and `export`
    /// rejects with code `output_blocked` unless `{ allowUnsafe: true }`.
    #[napi(ts_type = "Blocked | null")]
    pub blocked: Option<Blocked>,
}

/// Why the output policy held a result back, and the files it held back.
#[napi(object)]
pub struct Blocked {
    /// Rule ids of the blocking findings, sorted (`["SPK2001", "SPK2009"]`).
    pub rules: Vec<String>,
    /// The blocking findings (also in the result's `diagnostics`).
    pub findings: Vec<Diagnostic>,
    /// The generated files, secrets redacted, held back for review.
    pub withheld_files: Vec<ScriptFile>,
}

/// Options of `export`; every field is optional.
#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct ExportOptions {
    /// Export a result the output policy blocked (its withheld files) instead of rejecting it
    /// with code `output_blocked`.
    pub allow_unsafe: Option<bool>,
}

/// The option names `ExportOptions` knows.
pub const EXPORT_OPTION_KEYS: &[&str] = &["allowUnsafe"];

/// A file of a project for `validateProject`: a path relative to the project (`Assets/Player.cs`,
/// `Assets/Editor/Tools.asmdef`) and its text. A result's `files` fit.
#[napi(object, object_to_js = false)]
pub struct ProjectFile {
    /// Path relative to the project; its folders decide editor code and the assembly.
    pub path: String,
    /// The C# source, or the asmdef's JSON.
    pub content: String,
}

impl From<ProjectFile> for spark_core::ProjectFile {
    fn from(f: ProjectFile) -> Self {
        spark_core::ProjectFile::new(f.path, f.content)
    }
}

/// What `export` needs: the files, plus (optionally) the provenance the archive's manifest
/// records. A whole `GeneratedScripts` fits; other fields are ignored.
#[napi(object, object_to_js = false)]
pub struct ExportInput {
    /// The files to put in the archive.
    pub files: Vec<ScriptFile>,
    /// The provider that generated the files.
    pub provider: Option<String>,
    /// The model that generated the files.
    pub model: Option<String>,
    /// SHA-256 (hex) of the request.
    pub request_hash: Option<String>,
    /// The files' diagnostics (summarised in the manifest).
    pub diagnostics: Option<Vec<Diagnostic>>,
    /// The output policy's block: export rejects it with `output_blocked` unless
    /// `{ allowUnsafe: true }`, then exports the withheld files. (Read as plain JSON: a result's
    /// `blocked` is `null` when nothing was held back.)
    #[napi(ts_type = "Blocked | null")]
    pub blocked: Option<serde_json::Value>,
}

impl ExportInput {
    /// The core result to export; `Err` describes a mistyped diagnostic.
    pub fn into_scripts(self) -> Result<spark_core::GeneratedScripts, String> {
        let diagnostics = self
            .diagnostics
            .unwrap_or_default()
            .into_iter()
            .map(spark_core::Diagnostic::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        let files: Vec<spark_core::ScriptFile> = self.files.into_iter().map(Into::into).collect();
        let blocked = match self.blocked {
            Some(serde_json::Value::Null) | None => serde_json::Value::Null,
            Some(b) => {
                let b: spark_core::Blocked = serde_json::from_value(crate::result::rename(b, false))
                    .map_err(|e| format!("result.blocked: {e}"))?;
                serde_json::to_value(b).map_err(|e| format!("result.blocked: {e}"))?
            }
        };
        // Only what an export reads; the empty strings mean "unknown" to spark-core.
        serde_json::from_value(serde_json::json!({
            "files": files,
            "diagnostics": diagnostics,
            "usage": spark_core::provider::Usage::default(),
            "cost_usd": null,
            "provider": self.provider.unwrap_or_default(),
            "model": self.model.unwrap_or_default(),
            "offline": false,
            "raw": "",
            "rounds": [],
            "stop_reason": null,
            "request_id": "",
            "provider_request_id": null,
            "request_hash": self.request_hash.unwrap_or_default(),
            "verdicts": [],
            "blocked": blocked,
        }))
        .map_err(|e| format!("result: {e}"))
    }
}

impl TryFrom<Diagnostic> for spark_core::Diagnostic {
    type Error = String;

    fn try_from(d: Diagnostic) -> Result<Self, String> {
        let severity = match d.severity.as_str() {
            "info" => spark_core::Severity::Info,
            "warning" => spark_core::Severity::Warning,
            "error" => spark_core::Severity::Error,
            other => {
                return Err(format!(
                    "result.diagnostics: severity must be info, warning or error, got `{other}`"
                ));
            }
        };
        Ok(spark_core::Diagnostic {
            severity,
            rule: d.rule,
            message: d.message,
            file: d.file,
            line: d.line,
            column: d.column,
            end_line: d.end_line,
            end_column: d.end_column,
        })
    }
}

/// The JavaScript callback of `generate(prompt, { onEvent })`: called with each event, in order,
/// on the JavaScript thread. Its return value is ignored; if it throws, the generation stops.
pub type OnEvent = ThreadsafeFunction<StreamEvent, (), StreamEvent, Status, false>;

/// Options of one generation; every field is optional.
#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct GenerateOptions {
    /// Who asks: the key for rate limits, budgets and usage accounting.
    pub caller: Option<String>,
    /// The tier whose limits apply (`[tiers.NAME]`), e.g. a verified key's `tier`; the
    /// caller's configured tier otherwise.
    pub tier: Option<String>,
    /// Model override for the primary provider.
    pub model: Option<String>,
    /// Output token limit override (a positive integer).
    pub max_tokens: Option<f64>,
    /// Temperature override (0–2).
    pub temperature: Option<f64>,
    /// Repair rounds override (an integer, 0–10).
    pub repair_rounds: Option<f64>,
    /// Only this provider of the chain (`anthropic`, `openai`, `offline`) serves the request,
    /// with no fallback; a name not in the chain rejects with `invalid_request`.
    pub provider: Option<String>,
    /// The Unity version to target (`"6000.0"`): named in the prompt, checked by validation.
    pub unity_version: Option<String>,
    /// Bypass the response cache for this request.
    pub no_cache: Option<bool>,
    /// Hand out generated code even when the output policy finds blocking security findings
    /// (the result is then not `blocked`); secrets are redacted anyway.
    pub allow_unsafe: Option<bool>,
    /// SPARK's id for this request (logs, traces, errors' `sparkRequestId`); generated when
    /// absent. Sent to providers as `x-request-id`.
    pub request_id: Option<String>,
    /// The caller's W3C trace context (`traceparent` header value): the request joins that trace
    /// and provider calls carry it on. A malformed value starts a new trace.
    pub traceparent: Option<String>,
    /// Called with each progress event (`started`, `delta`…, `repairing`, `diagnostics`, `done`)
    /// in order, before the Promise settles. If it throws, the generation is cancelled and the
    /// Promise rejects with that exception.
    #[napi(ts_type = "(event: StreamEvent) => void")]
    pub on_event: Option<OnEvent>,
    /// Cancels the generation when it aborts: the Promise rejects with code `cancelled` and
    /// the provider call stops.
    #[napi(ts_type = "AbortSignal")]
    #[allow(dead_code, reason = "listed for index.d.ts; the signal is read by abort::from_options")]
    pub signal: Option<crate::abort::SignalField>,
}

/// The option names `GenerateOptions` knows, to reject typos like the core does.
pub const GENERATE_OPTION_KEYS: &[&str] = &[
    "caller",
    "tier",
    "model",
    "maxTokens",
    "temperature",
    "repairRounds",
    "provider",
    "unityVersion",
    "noCache",
    "allowUnsafe",
    "requestId",
    "traceparent",
    "onEvent",
    "signal",
];

/// Progress of a streamed generation. `type` tells which fields are set.
#[napi(object)]
#[derive(Clone)]
pub struct StreamEvent {
    /// `started` (provider, model), `delta` (text), `repairing` (round), `diagnostics`
    /// (diagnostics) or `done` (result; always the last event of a successful stream).
    #[napi(js_name = "type", ts_type = "'started' | 'delta' | 'repairing' | 'diagnostics' | 'done'")]
    pub kind: String,
    /// `started`: the provider.
    pub provider: Option<String>,
    /// `started`: the model.
    pub model: Option<String>,
    /// `delta`: a piece of the reply's text.
    pub text: Option<String>,
    /// `repairing`: the repair round (1-based).
    pub round: Option<u32>,
    /// `diagnostics`: the diagnostics of the final files.
    pub diagnostics: Option<Vec<Diagnostic>>,
    /// `done`: the finished result.
    #[napi(ts_type = "GeneratedScripts")]
    pub result: Option<serde_json::Value>,
}

fn count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl From<&spark_core::ScriptFile> for ScriptFile {
    fn from(f: &spark_core::ScriptFile) -> Self {
        ScriptFile { path: f.path.clone(), content: f.content.clone(), raw_path: f.raw_path.clone() }
    }
}

impl From<ScriptFile> for spark_core::ScriptFile {
    fn from(f: ScriptFile) -> Self {
        // What a host hands in is not the model's: the exporter sanitises `path` itself.
        spark_core::ScriptFile { path: f.path, content: f.content, raw_path: None }
    }
}

impl From<&spark_core::Diagnostic> for Diagnostic {
    fn from(d: &spark_core::Diagnostic) -> Self {
        Diagnostic {
            severity: d.severity.to_string(),
            rule: d.rule.clone(),
            message: d.message.clone(),
            file: d.file.clone(),
            line: d.line,
            column: d.column,
            end_line: d.end_line,
            end_column: d.end_column,
        }
    }
}

impl From<&spark_core::provider::Usage> for Usage {
    fn from(u: &spark_core::provider::Usage) -> Self {
        Usage {
            input_tokens: count(u.input_tokens),
            output_tokens: count(u.output_tokens),
            cache_read_tokens: count(u.cache_read_tokens),
            cache_write_tokens: count(u.cache_write_tokens),
        }
    }
}

fn diagnostics(list: &[spark_core::Diagnostic]) -> Vec<Diagnostic> {
    list.iter().map(Diagnostic::from).collect()
}

/// A JavaScript number that must be a whole `u32`; the error names the option.
fn whole(value: Option<f64>, name: &str) -> Result<Option<u32>, String> {
    match value {
        None => Ok(None),
        Some(v) if v.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&v) => Ok(Some(v as u32)),
        Some(v) => Err(format!("options.{name} must be a non-negative integer, got {v}")),
    }
}

impl GenerateOptions {
    /// The core request for `prompt` with these options; `Err` describes a mistyped option.
    /// Value ranges (temperature 0–2, at least one token…) are checked by spark-core.
    /// `onEvent` is not part of the request: take it out first.
    pub fn into_request(self, prompt: String) -> Result<spark_core::GenerateRequest, String> {
        let mut req = spark_core::GenerateRequest::new(prompt);
        req.caller = self.caller;
        req.tier = self.tier;
        req.model = self.model;
        req.max_tokens = whole(self.max_tokens, "maxTokens")?;
        req.temperature = self.temperature.map(|t| t as f32);
        req.repair_rounds = whole(self.repair_rounds, "repairRounds")?;
        req.provider = self.provider;
        req.unity_version = self.unity_version;
        req.no_cache = self.no_cache.unwrap_or(false);
        req.allow_unsafe = self.allow_unsafe.unwrap_or(false);
        req.request_id = self.request_id;
        req.traceparent = self.traceparent;
        Ok(req)
    }
}

impl From<&spark_core::StreamEvent> for StreamEvent {
    fn from(e: &spark_core::StreamEvent) -> Self {
        let mut out = StreamEvent {
            kind: String::new(),
            provider: None,
            model: None,
            text: None,
            round: None,
            diagnostics: None,
            result: None,
        };
        use spark_core::StreamEvent as E;
        match e {
            E::Started { provider, model, .. } => {
                out.kind = "started".into();
                out.provider = Some(provider.clone());
                out.model = Some(model.clone());
            }
            E::Delta { text } => {
                out.kind = "delta".into();
                out.text = Some(text.clone());
            }
            E::Repairing { round } => {
                out.kind = "repairing".into();
                out.round = Some(*round);
            }
            E::Diagnostics { diagnostics: d } => {
                out.kind = "diagnostics".into();
                out.diagnostics = Some(diagnostics(d));
            }
            E::Done { result } => {
                out.kind = "done".into();
                out.result = Some(js_result(result.as_ref()));
            }
            // A kind this binding does not know yet travels by its serde tag alone.
            other => {
                out.kind = serde_json::to_value(other)
                    .ok()
                    .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(str::to_owned))
                    .unwrap_or_default();
            }
        }
        out
    }
}

/// Health of one provider in the chain (`spark.providerStatus()`).
#[napi(object, object_from_js = false)]
pub struct ProviderStatus {
    /// Provider name.
    pub name: String,
    /// Its default model.
    pub model: String,
    /// Circuit-breaker state.
    #[napi(ts_type = "'closed' | 'open' | 'half_open'")]
    pub state: String,
    /// Health failures counted in the current window (closed) or since opening.
    pub failures: u32,
    /// Milliseconds until an open breaker lets a probe through.
    pub retry_in_ms: Option<i64>,
    /// Times the breaker opened since start.
    pub times_opened: i64,
    /// Successful calls since start.
    pub successes: i64,
    /// Health failures since start.
    pub total_failures: i64,
}

/// Response cache counters (`spark.cacheStats()`).
#[napi(object, object_from_js = false)]
pub struct CacheStats {
    /// Requests answered from the cache.
    pub hits: i64,
    /// Requests that called the provider chain.
    pub misses: i64,
    /// Requests that waited for an identical request in flight instead of calling the provider.
    pub coalesced: i64,
    /// Entries held (may lag behind recent writes).
    pub entries: i64,
    /// Approximate bytes held (may lag behind recent writes).
    pub bytes: i64,
}

fn breaker_state(state: spark_core::resilience::BreakerState) -> &'static str {
    use spark_core::resilience::BreakerState as B;
    // The serde spelling, the same in every binding.
    match state {
        B::Closed => "closed",
        B::Open => "open",
        B::HalfOpen => "half_open",
    }
}

impl From<&spark_core::resilience::ProviderStatus> for ProviderStatus {
    fn from(s: &spark_core::resilience::ProviderStatus) -> Self {
        ProviderStatus {
            name: s.name.clone(),
            model: s.model.clone(),
            state: breaker_state(s.state).to_owned(),
            failures: s.failures,
            retry_in_ms: s.retry_in_ms.map(count),
            times_opened: count(s.times_opened),
            successes: count(s.successes),
            total_failures: count(s.total_failures),
        }
    }
}

impl From<spark_core::cache::CacheStats> for CacheStats {
    fn from(s: spark_core::cache::CacheStats) -> Self {
        CacheStats {
            hits: count(s.hits),
            misses: count(s.misses),
            coalesced: count(s.coalesced),
            entries: count(s.entries),
            bytes: count(s.bytes),
        }
    }
}
