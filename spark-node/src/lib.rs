//! Node.js binding of SPARK (napi-rs 3): `new Spark(config)`, `generate` (a Promise resolved on
//! napi's tokio runtime), streaming through a callback or an async iterator, `validate` and
//! `export` as `AsyncTask`s off the main thread, and errors carrying SPARK's stable `code`.
//!
//! Conversion code only: every behaviour lives in spark-core.

#![deny(clippy::all)]

use std::collections::HashMap;
use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures::{FutureExt, StreamExt};
use napi::bindgen_prelude::{AsyncTask, Buffer, PromiseRaw, ToNapiValue, Unknown};
use napi::{Env, Task};
use napi_derive::napi;
use spark_core::{ExportFormat, SparkConfig};

mod abort;
mod args;
mod error;
mod keys;
mod log;
mod observe;
mod result;
mod signing;
mod stream;
mod types;

use error::{Failure, guard, panic_error, to_js};
use types::{Diagnostic, ExportInput, GENERATE_OPTION_KEYS, GenerateOptions, OnEvent, StreamEvent};
use types::{EXPORT_OPTION_KEYS, ExportOptions, ProjectFile};

pub use log::{set_log_filter, set_logger};
pub use stream::GenerationStream;

/// SPARK's version.
#[napi]
pub fn version() -> String {
    spark_core::VERSION.to_owned()
}

/// The Cargo profile the addon was built with: `"release"` or `"debug"` (benchmarks check it).
#[napi]
pub fn build_profile() -> String {
    if cfg!(debug_assertions) { "debug" } else { "release" }.to_owned()
}

/// A result as spark-core's JSON (snake_case fields): the form Python's `to_json()`, the C
/// ABI and C# share, for saving a result or handing it to another language. Throws a
/// `SparkError` with code `invalid_argument` when `result` is not a whole result.
#[napi(ts_args_type = "result: GeneratedScripts")]
pub fn result_to_json(env: Env, result: Unknown) -> napi::Result<String> {
    // JSON.stringify, then serde_json's depth-limited parser: a hostile, deeply nested object
    // cannot exhaust the stack the way a recursive conversion of the JavaScript value could.
    let stringify: napi::bindgen_prelude::Function<'_, Unknown, Option<String>> =
        env.run_script("JSON.stringify")?;
    let json = stringify.call(result)?.unwrap_or_default();
    types::core_result(&json).map_err(|e| to_js(&env, &spark_core::Error::InvalidArgument(e)))
}

/// Every error code: `{ rate_limited: 6, … }` (the `code` and `codeNumber` of a `SparkError`).
#[napi]
pub fn error_codes() -> HashMap<String, u32> {
    error::error_codes().into_iter().collect()
}

/// The SPARK client. Create one per process and share it.
#[napi]
pub struct Spark {
    inner: spark_core::Spark,
}

/// Runs `fut` on napi's tokio runtime and settles a Promise with its outcome; the error object
/// is built on the JavaScript thread (see `error.rs`). Panics reject with code `internal`.
fn promise<'env, T, F>(env: &'env Env, fut: F) -> napi::Result<PromiseRaw<'env, T>>
where
    T: ToNapiValue + Send + 'static,
    F: Future<Output = Result<T, Failure>> + Send + 'static,
{
    env.spawn_future_with_callback(
        async move {
            Ok(AssertUnwindSafe(fut).catch_unwind().await.unwrap_or_else(|p| {
                // The payload may quote user text: the report names the boundary only.
                spark_core::observe::report::report_panic(None, "node");
                Err(panic_error(p).into())
            }))
        },
        |env, outcome| outcome.map_err(|failure| failure.into_js(env)),
    )
}

/// One generation as JavaScript asked for it.
struct Call {
    request: spark_core::GenerateRequest,
    on_event: Option<OnEvent>,
    abort: Option<abort::Abort>,
}

/// Checks `prompt` and `options` and builds the core request, plus the `onEvent` callback and
/// the `signal` subscription.
fn request(prompt: &Unknown<'_>, options: &Unknown<'_>) -> Result<Call, Failure> {
    let prompt = args::string(prompt, "prompt")?;
    args::optional_function_field(options, "options", "onEvent")?;
    let mut parsed = args::object::<GenerateOptions>(options, "options", true, Some(GENERATE_OPTION_KEYS))?
        .unwrap_or_default();
    let on_event = parsed.on_event.take();
    let mut request = parsed.into_request(prompt).map_err(Failure::Type)?;
    // Known before the call, so every error of the generation can name it.
    request.ensure_request_id();
    // Subscribed last, once nothing else can fail.
    let abort = abort::from_options(options)?;
    Ok(Call { request, on_event, abort })
}

/// Runs `work`, or stops it (dropping it cancels the provider call) with `cancelled` when
/// `abort` fires first.
async fn abortable<T>(
    work: impl Future<Output = Result<T, Failure>>,
    abort: Option<abort::Abort>,
) -> Result<T, Failure> {
    let Some(abort) = abort else { return work.await };
    // The signal is polled first: once it fired, no further event reaches `onEvent`.
    match futures::future::select(std::pin::pin!(abort.fired()), std::pin::pin!(work)).await {
        futures::future::Either::Left(((), _)) => Err(spark_core::Error::Cancelled.into()),
        futures::future::Either::Right((outcome, _)) => outcome,
    }
}

/// Runs one generation, feeding `on_event` with every event in order.
async fn generate_with_events(
    spark: spark_core::Spark,
    request: spark_core::GenerateRequest,
    on_event: OnEvent,
    aborted: abort::Aborted,
) -> Result<serde_json::Value, Failure> {
    let mut events = Box::pin(spark.generate_stream(request));
    let mut done = None;
    while let Some(event) = events.next().await {
        // An abort made inside the previous callback: no event after it.
        if aborted.get() {
            return Err(spark_core::Error::Cancelled.into());
        }
        let event = event?;
        if let spark_core::StreamEvent::Done { result } = &event {
            done = Some(types::js_result(result.as_ref()));
        }
        // Waiting for the callback keeps the events in order and stops the generation (by
        // dropping `events`) as soon as the callback throws.
        on_event.call_async_catch(StreamEvent::from(&event)).await.map_err(Failure::Js)?;
    }
    done.ok_or_else(|| {
        spark_core::Error::Internal("the event stream ended without a `done` event".into()).into()
    })
}

/// `fileName` as given, or the main type's name when it is absent or empty (as in every binding).
fn file_name_or_default(file_name: &Unknown<'_>, source: &str) -> args::ArgResult<String> {
    let given =
        if args::is_absent(file_name)? { String::new() } else { args::string(file_name, "fileName")? };
    if !given.is_empty() {
        return Ok(given);
    }
    Ok(match spark_core::export::main_type_name(source) {
        Some(name) => format!("{name}.cs"),
        None => "Script.cs".to_owned(),
    })
}

/// Parses an export format name (`"zip"`, `"upm"`, `"unitypackage"` and the core's aliases);
/// an unknown name is spark-core's `invalid_argument` error listing the known ones.
fn export_format(name: &str) -> Result<ExportFormat, Failure> {
    name.parse::<ExportFormat>().map_err(Failure::from)
}

/// What `export` works on: the result, the format, and whether a blocked result may go out.
type ExportJob = (spark_core::GeneratedScripts, ExportFormat, bool);

/// The result to export (a `GeneratedScripts` or `{ files }`), the format and the options.
fn export_input(
    result: &Unknown<'_>,
    format: &Unknown<'_>,
    options: &Unknown<'_>,
) -> Result<ExportJob, Failure> {
    let input = args::object::<ExportInput>(result, "result", false, None)?
        .ok_or_else(|| Failure::Type("result must be an object".into()))?;
    let scripts = input.into_scripts().map_err(Failure::Type)?;
    let format = export_format(&args::string(format, "format")?)?;
    let options = args::object::<ExportOptions>(options, "options", true, Some(EXPORT_OPTION_KEYS))?
        .unwrap_or_default();
    Ok((scripts, format, options.allow_unsafe.unwrap_or(false)))
}

/// Builds the archive.
fn export_scripts(
    spark: &spark_core::Spark,
    scripts: &spark_core::GeneratedScripts,
    format: ExportFormat,
    allow_unsafe: bool,
) -> Result<Vec<u8>, Failure> {
    guard(|| {
        if allow_unsafe {
            let mut config = spark.config().export.clone();
            config.allow_unsafe = true;
            spark_core::export::export_generated(scripts, format, &config)
        } else {
            spark.export(scripts, format)
        }
    })
    .map_err(Failure::from)
}

#[napi]
impl Spark {
    /// A client from a configuration object (the `spark.toml` sections as a plain object, e.g.
    /// `{ providers: { order: ["offline"] } }`), a path to a TOML file, or nothing (defaults).
    /// Throws a `SparkError` with code `invalid_config` naming the bad field.
    #[napi(constructor, ts_args_type = "config?: Record<string, unknown> | string | null")]
    pub fn new(env: Env, config: Unknown) -> napi::Result<Self> {
        let config = if args::is_absent(&config).map_err(|e| error::type_error(&env, e.0))? {
            Ok(SparkConfig::default())
        } else if let Ok(path) = args::string(&config, "config") {
            guard(|| SparkConfig::load(&path))
        } else {
            let value = args::object::<serde_json::Value>(&config, "config", false, None)
                .map_err(|_| {
                    error::type_error(&env, "config must be an object, a TOML file path or undefined")
                })?
                .unwrap_or_default();
            guard(|| SparkConfig::from_value_with_env(value, std::iter::empty()))
        };
        let inner =
            config.and_then(|c| guard(|| spark_core::Spark::from_config(c))).map_err(|e| to_js(&env, &e))?;
        Ok(Spark { inner })
    }

    /// A client from a TOML file (`spark.toml`), with `SPARK_*` environment overrides.
    #[napi(factory, ts_args_type = "path: string")]
    pub fn from_toml(env: Env, path: Unknown) -> napi::Result<Spark> {
        let path = args::string(&path, "path").map_err(|e| error::type_error(&env, e.0))?;
        guard(|| SparkConfig::load(&path).and_then(spark_core::Spark::from_config))
            .map(|inner| Spark { inner })
            .map_err(|e| to_js(&env, &e))
    }

    /// A client from the text of a `spark.toml` (no environment overrides). Throws a
    /// `SparkError` with code `invalid_config` naming the bad field.
    #[napi(factory, ts_args_type = "text: string")]
    pub fn from_toml_str(env: Env, text: Unknown) -> napi::Result<Spark> {
        let text = args::string(&text, "text").map_err(|e| error::type_error(&env, e.0))?;
        guard(|| SparkConfig::from_toml_str(&text).and_then(spark_core::Spark::from_config))
            .map(|inner| Spark { inner })
            .map_err(|e| to_js(&env, &e))
    }

    /// A client from `SPARK_*` environment variables (and provider keys such as
    /// `ANTHROPIC_API_KEY`).
    #[napi(factory)]
    pub fn from_env(env: Env) -> napi::Result<Spark> {
        guard(|| SparkConfig::from_env().and_then(spark_core::Spark::from_config))
            .map(|inner| Spark { inner })
            .map_err(|e| to_js(&env, &e))
    }

    /// Provider names in fallback order (`anthropic`, `openai`, `offline`).
    #[napi(getter)]
    pub fn providers(&self) -> Vec<String> {
        self.inner.providers().iter().map(|p| p.name().to_owned()).collect()
    }

    /// Whether every provider is the offline scaffold (no model is ever called).
    #[napi(getter)]
    pub fn is_offline(&self) -> bool {
        self.inner.is_offline()
    }

    /// Caller keys: `create`, `list`, `revoke`, `verify`.
    #[napi(getter)]
    pub fn keys(&self) -> keys::KeyManager {
        keys::KeyManager { spark: self.inner.clone() }
    }

    /// Circuit-breaker state and counters of each provider, in fallback order.
    #[napi]
    pub fn provider_status(&self) -> Vec<types::ProviderStatus> {
        self.inner.provider_status().iter().map(types::ProviderStatus::from).collect()
    }

    /// Response cache counters (hits, misses, coalesced waits, entries, bytes).
    #[napi]
    pub fn cache_stats(&self) -> types::CacheStats {
        self.inner.cache_stats().into()
    }

    /// Prometheus text exposition of this client's metrics (empty when `metrics.enabled` is
    /// off).
    #[napi]
    pub fn metrics_text(&self) -> String {
        self.inner.metrics_text()
    }

    /// Each provider's breaker and recent error rate and latency, cache fill, queue depth,
    /// ledger state; `ready` when at least one provider is usable.
    #[napi]
    pub fn health(&self) -> observe::Health {
        self.inner.health().into()
    }

    /// Ledger totals per caller over `options.period` (default `day`, UTC). Bad options reject
    /// the Promise with `invalid_request`, like every other failure.
    #[napi(ts_return_type = "Promise<UsageTotals[]>")]
    pub fn usage<'env>(
        &self,
        env: &'env Env,
        options: Option<observe::UsageOptions>,
    ) -> napi::Result<PromiseRaw<'env, Vec<observe::UsageTotals>>> {
        let o = options.unwrap_or_default();
        let spark = self.inner.clone();
        promise(env, async move {
            let period = o.period()?;
            let totals = spark.usage(o.caller.as_deref(), period).await?;
            Ok(totals.into_iter().map(Into::into).collect())
        })
    }

    /// Ledger totals over `options.period` grouped by `options.groupBy` (caller, provider, day,
    /// hour), each with its error rate.
    #[napi(ts_return_type = "Promise<UsageGroup[]>")]
    pub fn usage_by<'env>(
        &self,
        env: &'env Env,
        options: Option<observe::UsageOptions>,
    ) -> napi::Result<PromiseRaw<'env, Vec<observe::UsageGroup>>> {
        let o = options.unwrap_or_default();
        let spark = self.inner.clone();
        promise(env, async move {
            let period = o.period()?;
            let by = spark_core::ledger::GroupBy::parse(o.group_by.as_deref().unwrap_or("caller"))?;
            let groups = spark.usage_by(o.caller.as_deref(), period, by).await?;
            Ok(groups.into_iter().map(Into::into).collect())
        })
    }

    /// The `options.limit` (default 10) callers ranking highest by `options.rankBy` (default
    /// `cost`) over `options.period`.
    #[napi(ts_return_type = "Promise<UsageGroup[]>")]
    pub fn top_callers<'env>(
        &self,
        env: &'env Env,
        options: Option<observe::UsageOptions>,
    ) -> napi::Result<PromiseRaw<'env, Vec<observe::UsageGroup>>> {
        let o = options.unwrap_or_default();
        let limit = o.limit.unwrap_or(10) as usize;
        let spark = self.inner.clone();
        promise(env, async move {
            let period = o.period()?;
            let rank = spark_core::ledger::RankBy::parse(o.rank_by.as_deref().unwrap_or("cost"))?;
            let groups = spark.top_callers(period, rank, limit).await?;
            Ok(groups.into_iter().map(Into::into).collect())
        })
    }

    /// The ledger's totals and records over `options.period` as JSON text.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn export_usage<'env>(
        &self,
        env: &'env Env,
        options: Option<observe::UsageOptions>,
    ) -> napi::Result<PromiseRaw<'env, String>> {
        let o = options.unwrap_or_default();
        let spark = self.inner.clone();
        promise(env, async move {
            let period = o.period()?;
            Ok(spark.export_usage(o.caller.as_deref(), period).await?.to_string())
        })
    }

    /// A usage report over `options.period` as JSON text: `by_caller`, `by_provider` (with
    /// error rates), `by_day`, `top_callers`.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn usage_report<'env>(
        &self,
        env: &'env Env,
        options: Option<observe::UsageOptions>,
    ) -> napi::Result<PromiseRaw<'env, String>> {
        let o = options.unwrap_or_default();
        let spark = self.inner.clone();
        promise(env, async move {
            let period = o.period()?;
            Ok(spark.usage_report(o.caller.as_deref(), period).await?.to_string())
        })
    }

    /// Generates, validates and (when needed) repairs scripts for `prompt`. With
    /// `options.onEvent`, the progress events are passed to it in order before the Promise
    /// settles. Rejects with a `SparkError` (or a `TypeError` for arguments of the wrong type).
    #[napi(
        ts_args_type = "prompt: string, options?: GenerateOptions | null",
        ts_return_type = "Promise<GeneratedScripts>"
    )]
    pub fn generate<'env>(
        &self,
        env: &'env Env,
        prompt: Unknown,
        options: Unknown,
    ) -> napi::Result<PromiseRaw<'env, serde_json::Value>> {
        let call = request(&prompt, &options);
        let spark = self.inner.clone();
        promise(env, async move {
            let Call { request, on_event, abort } = call?;
            let rid = request.request_id.clone();
            let aborted = abort.as_ref().map(abort::Abort::flag).unwrap_or_default();
            let work = async move {
                match on_event {
                    Some(on_event) => generate_with_events(spark, request, on_event, aborted).await,
                    None => Ok(types::js_result(&spark.generate(request).await?)),
                }
            };
            abortable(work, abort).await.map_err(|f| f.in_generation(rid.as_deref()))
        })
    }

    /// The same events as an async iterator: `for await (const event of spark.stream(prompt))`.
    /// Leaving the loop early cancels the generation; a failure is thrown from the loop.
    #[napi(ts_args_type = "prompt: string, options?: GenerateOptions | null")]
    pub fn stream(&self, env: Env, prompt: Unknown, options: Unknown) -> napi::Result<GenerationStream> {
        let call = request(&prompt, &options).map_err(|f| f.into_js(&env))?;
        if call.on_event.is_some() || call.abort.is_some() {
            return Err(error::type_error(
                &env,
                "options.onEvent and options.signal are not used by stream(): iterate over the events, \
                 and leave the loop to cancel",
            ));
        }
        Ok(GenerationStream::new(self.inner.clone(), call.request))
    }

    /// Validates one C# file off the main thread. Resolves with its diagnostics. `fileName`
    /// matters (Unity's class-name rule); without it, the main type's name (`Player.cs`).
    #[napi(
        ts_args_type = "source: string, fileName?: string | null",
        ts_return_type = "Promise<Diagnostic[]>"
    )]
    pub fn validate(&self, source: Unknown, file_name: Unknown) -> AsyncTask<ValidateTask> {
        let input = args::string(&source, "source")
            .and_then(|s| {
                let name = file_name_or_default(&file_name, &s)?;
                Ok((s, name))
            })
            .map_err(Failure::from);
        AsyncTask::new(ValidateTask { spark: self.inner.clone(), input: Some(input) })
    }

    /// Validates one C# file on the calling thread.
    #[napi(ts_args_type = "source: string, fileName?: string | null")]
    pub fn validate_sync(
        &self,
        env: Env,
        source: Unknown,
        file_name: Unknown,
    ) -> napi::Result<Vec<Diagnostic>> {
        let source = args::string(&source, "source").map_err(|e| error::type_error(&env, e.0))?;
        let file_name =
            file_name_or_default(&file_name, &source).map_err(|e| error::type_error(&env, e.0))?;
        guard(|| self.inner.validate(&source, &file_name))
            .map(|list| list.iter().map(Diagnostic::from).collect())
            .map_err(|e| to_js(&env, &e))
    }

    /// Validates C# files as one Unity project off the main thread: Editor folders and
    /// editor-only assembly definitions (`asmdefs`, their JSON) decide where UnityEditor is
    /// allowed, and a type two files of one assembly declare is SPK1027. Resolves with the
    /// diagnostics, each naming its file.
    #[napi(
        ts_args_type = "files: ProjectFile[], asmdefs?: ProjectFile[] | null",
        ts_return_type = "Promise<Diagnostic[]>"
    )]
    pub fn validate_project(&self, files: Unknown, asmdefs: Unknown) -> AsyncTask<ValidateProjectTask> {
        let input = project_input(&files, &asmdefs).map_err(Failure::from);
        AsyncTask::new(ValidateProjectTask { spark: self.inner.clone(), input: Some(input) })
    }

    /// `validateProject` on the calling thread.
    #[napi(ts_args_type = "files: ProjectFile[], asmdefs?: ProjectFile[] | null")]
    pub fn validate_project_sync(
        &self,
        env: Env,
        files: Unknown,
        asmdefs: Unknown,
    ) -> napi::Result<Vec<Diagnostic>> {
        let (files, asmdefs) = project_input(&files, &asmdefs).map_err(|e| error::type_error(&env, e.0))?;
        guard(|| self.inner.validate_project(&files, &asmdefs))
            .map(|list| list.iter().map(Diagnostic::from).collect())
            .map_err(|e| to_js(&env, &e))
    }

    /// Builds an archive of `result.files` off the main thread: `format` is `"zip"` (an
    /// `Assets/` tree), `"upm"` or `"unitypackage"`. Resolves with the archive's bytes. A
    /// `blocked` result rejects with code `output_blocked` unless `{ allowUnsafe: true }`.
    #[napi(
        js_name = "export",
        ts_args_type = "result: ExportInput | GeneratedScripts, format: 'zip' | 'upm' | 'unitypackage', options?: ExportOptions",
        ts_return_type = "Promise<Buffer>"
    )]
    pub fn export_archive(
        &self,
        result: Unknown,
        format: Unknown,
        options: Unknown,
    ) -> AsyncTask<ExportTask> {
        let input = Some(export_input(&result, &format, &options));
        AsyncTask::new(ExportTask { spark: self.inner.clone(), input })
    }

    /// `export` on the calling thread.
    #[napi(
        ts_args_type = "result: ExportInput | GeneratedScripts, format: 'zip' | 'upm' | 'unitypackage', options?: ExportOptions"
    )]
    pub fn export_sync(
        &self,
        env: Env,
        result: Unknown,
        format: Unknown,
        options: Unknown,
    ) -> napi::Result<Buffer> {
        export_input(&result, &format, &options)
            .and_then(|(scripts, format, allow)| export_scripts(&self.inner, &scripts, format, allow))
            .map(Buffer::from)
            .map_err(|f| f.into_js(&env))
    }
}

/// `Spark.validate` on libuv's thread pool.
pub struct ValidateTask {
    spark: spark_core::Spark,
    input: Option<Result<(String, String), Failure>>,
}

impl Task for ValidateTask {
    type Output = Result<Vec<Diagnostic>, Failure>;
    type JsValue = Vec<Diagnostic>;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        let Some(input) = self.input.take() else {
            return Ok(Err(spark_core::Error::Internal("validate task ran twice".into()).into()));
        };
        Ok(input.and_then(|(source, file_name)| {
            guard(|| self.spark.validate(&source, &file_name))
                .map(|list| list.iter().map(Diagnostic::from).collect())
                .map_err(Failure::from)
        }))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<Self::JsValue> {
        output.map_err(|f| f.into_js(&env))
    }
}

type ProjectInput = (Vec<spark_core::ProjectFile>, Vec<spark_core::ProjectFile>);

/// The files and asmdefs of `validateProject` (arrays of `{ path, content }`).
fn project_input(files: &Unknown<'_>, asmdefs: &Unknown<'_>) -> args::ArgResult<ProjectInput> {
    let files = args::object::<Vec<ProjectFile>>(files, "files", false, None)?.unwrap_or_default();
    let asmdefs = args::object::<Vec<ProjectFile>>(asmdefs, "asmdefs", true, None)?.unwrap_or_default();
    Ok((files.into_iter().map(Into::into).collect(), asmdefs.into_iter().map(Into::into).collect()))
}

/// `Spark.validateProject` on libuv's thread pool.
pub struct ValidateProjectTask {
    spark: spark_core::Spark,
    input: Option<Result<ProjectInput, Failure>>,
}

impl Task for ValidateProjectTask {
    type Output = Result<Vec<Diagnostic>, Failure>;
    type JsValue = Vec<Diagnostic>;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        let Some(input) = self.input.take() else {
            return Ok(Err(spark_core::Error::Internal("validateProject task ran twice".into()).into()));
        };
        Ok(input.and_then(|(files, asmdefs)| {
            guard(|| self.spark.validate_project(&files, &asmdefs))
                .map(|list| list.iter().map(Diagnostic::from).collect())
                .map_err(Failure::from)
        }))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<Self::JsValue> {
        output.map_err(|f| f.into_js(&env))
    }
}

/// `Spark.export` on libuv's thread pool.
pub struct ExportTask {
    spark: spark_core::Spark,
    input: Option<Result<ExportJob, Failure>>,
}

impl Task for ExportTask {
    type Output = Result<Vec<u8>, Failure>;
    type JsValue = Buffer;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        let Some(input) = self.input.take() else {
            return Ok(Err(spark_core::Error::Internal("export task ran twice".into()).into()));
        };
        Ok(input.and_then(|(scripts, format, allow)| export_scripts(&self.spark, &scripts, format, allow)))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<Self::JsValue> {
        output.map(Buffer::from).map_err(|f| f.into_js(&env))
    }
}
