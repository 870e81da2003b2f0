//! Python binding of SPARK: the native module `spark._spark`, re-exported by the `spark` package.
//!
//! Conversion code only: every behaviour lives in `spark_core`. Blocking calls release the GIL
//! while the core works; async calls run on one shared tokio runtime (pyo3-async-runtimes).

use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::Duration;

use futures::StreamExt;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyCFunction, PyDict, PyTuple};
use spark_core::{GenerateRequest, SparkConfig, StreamEvent};

mod error;
mod keys;
mod log;
mod pyview;
mod signing;
mod stream;
mod types;

use error::to_py_err;
use pyview::Diagnostic;
use types::{Event, GeneratedScripts};

/// The runtime shared by every client and by `agenerate`/`stream`.
pub(crate) fn runtime() -> &'static tokio::runtime::Runtime {
    pyo3_async_runtimes::tokio::get_runtime()
}

/// Runs a blocking wait with the GIL already released. On a runtime worker thread (inside a
/// callback of `agenerate`) the worker's queued tasks are first handed to another thread:
/// otherwise the very task being waited for could sit behind the blocked worker forever.
pub(crate) fn block<R>(f: impl FnOnce() -> R) -> R {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
    }
}

/// How often a blocked call wakes up to let Ctrl-C through.
pub(crate) const SIGNAL_POLL: Duration = Duration::from_millis(100);

/// Waits for the next message of a background task with the GIL released, checking for signals
/// (KeyboardInterrupt) in between. `None` means the task ended without sending.
fn recv<T: Send>(
    py: Python<'_>,
    rx: Receiver<T>,
    task: &tokio::task::AbortHandle,
) -> PyResult<(Receiver<T>, Option<T>)> {
    let mut rx = rx;
    loop {
        let (back, got) = py.detach(move || {
            let got = block(|| rx.recv_timeout(SIGNAL_POLL));
            (rx, got)
        });
        rx = back;
        match got {
            Ok(v) => return Ok((rx, Some(v))),
            Err(RecvTimeoutError::Disconnected) => return Ok((rx, None)),
            Err(RecvTimeoutError::Timeout) => {
                if let Err(e) = py.check_signals() {
                    task.abort();
                    return Err(e);
                }
            }
        }
    }
}

/// Runs `fut` on the shared runtime and waits for it with the GIL released (from any thread,
/// a runtime worker included).
fn wait<T: Send + 'static>(
    py: Python<'_>,
    fut: impl std::future::Future<Output = spark_core::Result<T>> + Send + 'static,
) -> PyResult<T> {
    let task = runtime().spawn(fut);
    let joined = py.detach(|| block(|| futures::executor::block_on(task)));
    match joined {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(to_py_err(py, &e)),
        Err(e) => Err(to_py_err(py, &spark_core::Error::Internal(format!("task failed: {e}")))),
    }
}

/// Calls a Python progress callback; its exception stops the generation.
fn call_back(py: Python<'_>, callback: &Py<PyAny>, event: Event) -> PyResult<()> {
    callback.bind(py).call1((event,))?;
    Ok(())
}

fn check_callable(callback: &Option<Py<PyAny>>, py: Python<'_>) -> PyResult<()> {
    match callback {
        Some(cb) if !cb.bind(py).is_callable() => {
            Err(pyo3::exceptions::PyTypeError::new_err("on_event must be callable"))
        }
        _ => Ok(()),
    }
}

fn config_from_dict(py: Python<'_>, config: &Bound<'_, PyDict>) -> PyResult<SparkConfig> {
    // The standard json module gives TypeError for values JSON cannot hold, like any Python API.
    let text: String = py.import("json")?.call_method1("dumps", (config,))?.extract()?;
    SparkConfig::from_json_str(&text).map_err(|e| to_py_err(py, &e))
}

/// A core value as plain Python dicts and lists, through its serde form.
fn to_python<'py>(py: Python<'py>, value: &impl serde::Serialize) -> PyResult<Bound<'py, PyAny>> {
    let text = serde_json::to_string(value)
        .map_err(|e| to_py_err(py, &spark_core::Error::Internal(e.to_string())))?;
    pyview::json_to_py(py, &text)
}

/// The SPARK client. Build one per process and share it; every method is thread-safe.
#[pyclass(frozen, module = "spark", name = "Spark")]
struct Spark {
    inner: spark_core::Spark,
}

impl Spark {
    fn build(py: Python<'_>, config: spark_core::Result<SparkConfig>) -> PyResult<Self> {
        let built = config.and_then(|c| {
            let _rt = runtime().enter();
            spark_core::Spark::from_config(c)
        });
        built.map(|inner| Spark { inner }).map_err(|e| to_py_err(py, &e))
    }
}

#[allow(clippy::too_many_arguments)]
fn request(
    prompt: String,
    caller: Option<String>,
    model: Option<String>,
    max_tokens: Option<u32>,
    temperature: Option<f32>,
    repair_rounds: Option<u32>,
    no_cache: bool,
    allow_unsafe: bool,
) -> GenerateRequest {
    let mut req = GenerateRequest::new(prompt);
    req.caller = caller;
    req.model = model;
    req.max_tokens = max_tokens;
    req.temperature = temperature;
    req.repair_rounds = repair_rounds;
    req.no_cache = no_cache;
    req.allow_unsafe = allow_unsafe;
    // Known before the call, so every error of the generation can name it.
    req.ensure_request_id();
    req
}

/// Applies the caller's own request id and W3C trace context, when given.
fn trace_ids(req: &mut GenerateRequest, request_id: Option<String>, traceparent: Option<String>) {
    if request_id.is_some() {
        req.request_id = request_id;
    }
    req.traceparent = traceparent;
}

/// The body of `agenerate`: the generation, with `on_event` called (with the GIL) per event.
async fn run_agenerate(
    spark: spark_core::Spark,
    req: GenerateRequest,
    on_event: Option<Py<PyAny>>,
) -> PyResult<GeneratedScripts> {
    let rid = req.request_id.clone();
    let Some(callback) = on_event else {
        return match spark.generate(req).await {
            Ok(result) => Ok(GeneratedScripts::new(result, spark)),
            Err(e) => Err(error::to_py_err_detached_for(&e, rid.as_deref())),
        };
    };
    let mut events = spark.generate_stream(req);
    while let Some(item) = events.next().await {
        match item {
            Ok(StreamEvent::Done { result }) => {
                let done = Event(StreamEvent::Done { result: result.clone() }, spark.clone());
                Python::attach(|py| call_back(py, &callback, done))?;
                return Ok(GeneratedScripts::new(*result, spark));
            }
            Ok(event) => Python::attach(|py| call_back(py, &callback, Event(event, spark.clone())))?,
            Err(e) => return Err(error::to_py_err_detached_for(&e, rid.as_deref())),
        }
    }
    Err(Python::attach(|py| error::lost_generation(py, rid.as_deref())))
}

/// The file name `validate` uses when none is given: the main type's, so a MonoBehaviour passes
/// the class-name rule.
fn default_file_name(source: &str) -> String {
    match spark_core::export::main_type_name(source) {
        Some(name) => format!("{name}.cs"),
        None => "Script.cs".to_owned(),
    }
}

#[pymethods]
impl Spark {
    /// A client from `config` (a dict shaped like spark.toml), or from the environment
    /// (`SPARK_*`, `ANTHROPIC_API_KEY`, `OPENAI_API_KEY`; the offline scaffold when no key is set).
    #[new]
    #[pyo3(signature = (config = None))]
    fn new(py: Python<'_>, config: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        match config {
            Some(c) => Spark::build(py, Ok(config_from_dict(py, c)?)),
            None => Spark::build(py, SparkConfig::from_env()),
        }
    }

    /// A client from a dict shaped like spark.toml (no environment overrides).
    #[staticmethod]
    fn from_config(py: Python<'_>, config: &Bound<'_, PyDict>) -> PyResult<Self> {
        Spark::build(py, Ok(config_from_dict(py, config)?))
    }

    /// A client from a TOML file, with `SPARK_*` environment overrides.
    #[staticmethod]
    fn from_toml(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        Spark::build(py, SparkConfig::load(path))
    }

    /// A client from TOML text (no environment overrides).
    #[staticmethod]
    fn from_toml_str(py: Python<'_>, text: &str) -> PyResult<Self> {
        Spark::build(py, SparkConfig::from_toml_str(text))
    }

    /// A client from defaults plus `SPARK_*` environment variables (same as `Spark()`).
    #[staticmethod]
    fn from_env(py: Python<'_>) -> PyResult<Self> {
        Spark::build(py, SparkConfig::from_env())
    }

    /// Provider names in fallback order.
    #[getter]
    fn providers(&self) -> Vec<String> {
        self.inner.providers().iter().map(|p| p.name().to_string()).collect()
    }

    /// Whether every provider is the offline scaffold (no model is ever called).
    #[getter]
    fn offline(&self) -> bool {
        self.inner.is_offline()
    }

    /// The configuration in use, as dicts (API keys are redacted).
    #[getter]
    fn config<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_python(py, self.inner.config())
    }

    /// The system prompt sent with every request.
    #[getter]
    fn system_prompt(&self) -> &str {
        self.inner.system_prompt()
    }

    /// Caller keys: `create`, `list`, `revoke`, `verify`.
    #[getter]
    fn keys(&self) -> keys::KeyManager {
        keys::KeyManager { spark: self.inner.clone() }
    }

    /// Health of each provider in the chain (circuit breaker state, failures), as dicts.
    fn provider_status<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_python(py, &self.inner.provider_status())
    }

    /// Response cache counters (`hits`, `misses`, `coalesced`, `entries`, `bytes`), as a dict.
    fn cache_stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_python(py, &self.inner.cache_stats())
    }

    /// Usage totals per caller over `period` (`day`, `month` or `all`, UTC) from the ledger, as
    /// dicts (`caller`, `requests`, `errors`, `cached`, token counts, `cost_usd`); `caller`
    /// narrows them to one caller.
    #[pyo3(signature = (*, caller = None, period = "day"))]
    fn usage<'py>(
        &self,
        py: Python<'py>,
        caller: Option<String>,
        period: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let period = spark_core::Period::parse(period).map_err(|e| to_py_err(py, &e))?;
        let spark = self.inner.clone();
        let totals = wait(py, async move { spark.usage(caller.as_deref(), period).await })?;
        to_python(py, &totals)
    }

    /// The ledger's totals and records over `period` as JSON text (`caller`, `from`, `to`,
    /// `totals`, `records`).
    #[pyo3(signature = (*, caller = None, period = "day"))]
    fn export_usage(&self, py: Python<'_>, caller: Option<String>, period: &str) -> PyResult<String> {
        let period = spark_core::Period::parse(period).map_err(|e| to_py_err(py, &e))?;
        let spark = self.inner.clone();
        let json = wait(py, async move { spark.export_usage(caller.as_deref(), period).await })?;
        Ok(json.to_string())
    }

    /// Prometheus text exposition of this client's metrics (empty when `metrics.enabled` is
    /// off): requests, errors, latencies, tokens, cost, cache, retries, breakers, refusals.
    fn metrics_text(&self, py: Python<'_>) -> String {
        let spark = self.inner.clone();
        py.detach(move || spark.metrics_text())
    }

    /// Health as a dict: `ready`, `providers` (each `name`, `breaker`, `usable`,
    /// `recent_attempts`, `recent_error_rate`, `recent_latency_ms`), `cache_entries`,
    /// `cache_bytes`, `cache_fill`, `queue_depth`, `queue_capacity`, `ledger`.
    fn health<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_python(py, &self.inner.health())
    }

    /// Ledger totals over `period` grouped by `group_by` (`caller`, `provider`, `day` or
    /// `hour`), as dicts (`key`, `requests`, `errors`, `error_rate`, `cached`, token counts,
    /// `cost_usd`).
    #[pyo3(signature = (*, group_by = "caller", caller = None, period = "day"))]
    fn usage_by<'py>(
        &self,
        py: Python<'py>,
        group_by: &str,
        caller: Option<String>,
        period: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let period = spark_core::Period::parse(period).map_err(|e| to_py_err(py, &e))?;
        let by = spark_core::ledger::GroupBy::parse(group_by).map_err(|e| to_py_err(py, &e))?;
        let spark = self.inner.clone();
        let groups = wait(py, async move { spark.usage_by(caller.as_deref(), period, by).await })?;
        to_python(py, &groups)
    }

    /// The `limit` callers ranking highest over `period` by `rank_by` (`cost`, `requests`,
    /// `tokens` or `errors`), as dicts like [`usage_by`]'s.
    #[pyo3(signature = (*, period = "day", rank_by = "cost", limit = 10))]
    fn top_callers<'py>(
        &self,
        py: Python<'py>,
        period: &str,
        rank_by: &str,
        limit: usize,
    ) -> PyResult<Bound<'py, PyAny>> {
        let period = spark_core::Period::parse(period).map_err(|e| to_py_err(py, &e))?;
        let rank = spark_core::ledger::RankBy::parse(rank_by).map_err(|e| to_py_err(py, &e))?;
        let spark = self.inner.clone();
        let groups = wait(py, async move { spark.top_callers(period, rank, limit).await })?;
        to_python(py, &groups)
    }

    /// A usage report over `period` as JSON text: `by_caller`, `by_provider` (with error
    /// rates), `by_day`, `top_callers`.
    #[pyo3(signature = (*, caller = None, period = "day"))]
    fn usage_report(&self, py: Python<'_>, caller: Option<String>, period: &str) -> PyResult<String> {
        let period = spark_core::Period::parse(period).map_err(|e| to_py_err(py, &e))?;
        let spark = self.inner.clone();
        let json = wait(py, async move { spark.usage_report(caller.as_deref(), period).await })?;
        Ok(json.to_string())
    }

    /// Generates, validates and repairs scripts for `prompt`, blocking with the GIL released.
    ///
    /// `on_event` (optional) is called with each progress event (`Started`, `Delta`,
    /// `Repairing`, `Diagnostics`, `Done`) on the calling thread; an exception it raises stops
    /// the generation and propagates. `request_id` names the request (tracing, logs, errors;
    /// generated when absent) and `traceparent` (a W3C trace context) joins the caller's trace;
    /// provider calls carry both on as `x-request-id` and `traceparent` headers. `provider`
    /// serves the request with that provider of the chain alone (no fallback); `unity_version`
    /// (`"6000.0"`) is the Unity the prompt names and validation checks against.
    #[pyo3(signature = (prompt, *, caller = None, model = None, max_tokens = None, temperature = None,
                        repair_rounds = None, no_cache = false, allow_unsafe = false,
                        on_event = None, tier = None, request_id = None, traceparent = None, provider = None, unity_version = None))]
    #[allow(clippy::too_many_arguments)]
    fn generate(
        &self,
        py: Python<'_>,
        prompt: String,
        caller: Option<String>,
        model: Option<String>,
        max_tokens: Option<u32>,
        temperature: Option<f32>,
        repair_rounds: Option<u32>,
        no_cache: bool,
        allow_unsafe: bool,
        on_event: Option<Py<PyAny>>,
        tier: Option<String>,
        request_id: Option<String>,
        traceparent: Option<String>,
        provider: Option<String>,
        unity_version: Option<String>,
    ) -> PyResult<GeneratedScripts> {
        check_callable(&on_event, py)?;
        let mut req =
            request(prompt, caller, model, max_tokens, temperature, repair_rounds, no_cache, allow_unsafe);
        req.tier = tier;
        req.provider = provider;
        req.unity_version = unity_version;
        trace_ids(&mut req, request_id, traceparent);
        let rid = req.request_id.clone();
        let spark = self.inner.clone();
        let Some(callback) = on_event else {
            let (tx, rx) = mpsc::channel();
            let task = runtime().spawn(async move {
                let _ = tx.send(spark.generate(req).await);
            });
            let (_, got) = recv(py, rx, &task.abort_handle())?;
            return match got {
                Some(Ok(result)) => Ok(GeneratedScripts::new(result, self.inner.clone())),
                Some(Err(e)) => Err(error::to_py_err_for(py, &e, rid.as_deref())),
                None => Err(error::lost_generation(py, rid.as_deref())),
            };
        };
        let (tx, mut rx) = mpsc::channel();
        let task = runtime().spawn(async move {
            let mut events = spark.generate_stream(req);
            while let Some(item) = events.next().await {
                if tx.send(item).is_err() {
                    return;
                }
            }
        });
        let abort = task.abort_handle();
        loop {
            let (back, got) = recv(py, rx, &abort)?;
            rx = back;
            match got {
                Some(Ok(StreamEvent::Done { result })) => {
                    let done = Event(StreamEvent::Done { result: result.clone() }, self.inner.clone());
                    if let Err(e) = call_back(py, &callback, done) {
                        abort.abort();
                        return Err(e);
                    }
                    return Ok(GeneratedScripts::new(*result, self.inner.clone()));
                }
                Some(Ok(event)) => {
                    if let Err(e) = call_back(py, &callback, Event(event, self.inner.clone())) {
                        abort.abort();
                        return Err(e);
                    }
                }
                Some(Err(e)) => return Err(error::to_py_err_for(py, &e, rid.as_deref())),
                None => return Err(error::lost_generation(py, rid.as_deref())),
            }
        }
    }

    /// Like `generate`, as a coroutine for asyncio (`await`, `asyncio.create_task`). `on_event` is called with the GIL from a
    /// SPARK worker thread; use `stream()` to handle progress inside the event loop.
    #[pyo3(signature = (prompt, *, caller = None, model = None, max_tokens = None, temperature = None,
                        repair_rounds = None, no_cache = false, allow_unsafe = false,
                        on_event = None, tier = None, request_id = None, traceparent = None, provider = None, unity_version = None))]
    #[allow(clippy::too_many_arguments)]
    fn agenerate<'py>(
        &self,
        py: Python<'py>,
        prompt: String,
        caller: Option<String>,
        model: Option<String>,
        max_tokens: Option<u32>,
        temperature: Option<f32>,
        repair_rounds: Option<u32>,
        no_cache: bool,
        allow_unsafe: bool,
        on_event: Option<Py<PyAny>>,
        tier: Option<String>,
        request_id: Option<String>,
        traceparent: Option<String>,
        provider: Option<String>,
        unity_version: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        check_callable(&on_event, py)?;
        let mut req =
            request(prompt, caller, model, max_tokens, temperature, repair_rounds, no_cache, allow_unsafe);
        req.tier = tier;
        req.provider = provider;
        req.unity_version = unity_version;
        trace_ids(&mut req, request_id, traceparent);
        let spark = self.inner.clone();
        // The asyncio future is made when the coroutine first runs, inside its event loop: a
        // coroutine may be created before the loop starts (`asyncio.run(spark.agenerate(...))`).
        let start = PyCFunction::new_closure(py, None, None, move |args: &Bound<'_, PyTuple>, _kw| {
            let py = args.py();
            let callback = on_event.as_ref().map(|c| c.clone_ref(py));
            pyo3_async_runtimes::tokio::future_into_py(
                py,
                run_agenerate(spark.clone(), req.clone(), callback),
            )
            .map(Bound::unbind)
        })?;
        static AWAIT: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
        let wrap = AWAIT.get_or_try_init(py, || -> PyResult<_> {
            Ok(py.import("spark._aio")?.getattr("agenerate")?.unbind())
        })?;
        wrap.bind(py).call1((start,))
    }

    /// Streams progress events as an async iterator (`async for event in spark.stream(...)`),
    /// or a plain iterator. The last event is `Done`; dropping or closing the stream cancels.
    #[pyo3(signature = (prompt, *, caller = None, model = None, max_tokens = None, temperature = None,
                        repair_rounds = None, no_cache = false, allow_unsafe = false, tier = None,
                        request_id = None, traceparent = None, provider = None, unity_version = None))]
    #[allow(clippy::too_many_arguments)]
    fn stream(
        &self,
        prompt: String,
        caller: Option<String>,
        model: Option<String>,
        max_tokens: Option<u32>,
        temperature: Option<f32>,
        repair_rounds: Option<u32>,
        no_cache: bool,
        allow_unsafe: bool,
        tier: Option<String>,
        request_id: Option<String>,
        traceparent: Option<String>,
        provider: Option<String>,
        unity_version: Option<String>,
    ) -> stream::EventStream {
        let mut req =
            request(prompt, caller, model, max_tokens, temperature, repair_rounds, no_cache, allow_unsafe);
        req.tier = tier;
        req.provider = provider;
        req.unity_version = unity_version;
        trace_ids(&mut req, request_id, traceparent);
        let _rt = runtime().enter();
        let rid = req.request_id.clone();
        stream::EventStream::new(self.inner.generate_stream(req).boxed(), self.inner.clone(), rid)
    }

    /// Validates one C# file with this client's policy; returns its diagnostics. `file_name`
    /// defaults to the main type's name (`Player.cs`), as SPARK names generated files.
    #[pyo3(signature = (source, file_name = None))]
    fn validate(&self, py: Python<'_>, source: &str, file_name: Option<String>) -> PyResult<Vec<Diagnostic>> {
        let spark = &self.inner;
        match py.detach(|| {
            let name = file_name.unwrap_or_else(|| default_file_name(source));
            spark.validate(source, &name)
        }) {
            Ok(d) => Ok(d.into_iter().map(Diagnostic::from).collect()),
            Err(e) => Err(to_py_err(py, &e)),
        }
    }

    /// Validates a set of C# files as one Unity project with this client's policy. `files` and
    /// `asmdefs` are each a dict `{path: text}`, pairs `(path, text)` or objects with `.path` and
    /// `.content` (a result's `files`); Editor folders and editor-only asmdefs decide where
    /// UnityEditor is allowed, and a type two files of one assembly declare is SPK1027.
    #[pyo3(signature = (files, asmdefs = None))]
    fn validate_project(
        &self,
        py: Python<'_>,
        files: &Bound<'_, PyAny>,
        asmdefs: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Vec<Diagnostic>> {
        let (files, asmdefs) = (project_files(files, "files")?, project_files_opt(asmdefs)?);
        let spark = &self.inner;
        match py.detach(|| spark.validate_project(&files, &asmdefs)) {
            Ok(d) => Ok(d.into_iter().map(Diagnostic::from).collect()),
            Err(e) => Err(to_py_err(py, &e)),
        }
    }

    /// Builds an archive of `result` (`zip`, `upm` or `unitypackage`) with this client's export
    /// settings. Returns the bytes, or writes them to `path` and returns None. A blocked result
    /// raises `OutputBlocked` unless `allow_unsafe`.
    #[pyo3(signature = (result, format = "zip", *, path = None, allow_unsafe = false))]
    fn export(
        &self,
        py: Python<'_>,
        result: &Bound<'_, GeneratedScripts>,
        format: &str,
        path: Option<PathBuf>,
        allow_unsafe: bool,
    ) -> PyResult<Option<Py<PyBytes>>> {
        types::export_to(py, &self.inner, result.get().core(), format, path, allow_unsafe)
    }

    fn __repr__(&self) -> String {
        let names: Vec<String> = self.providers().iter().map(|p| pyview::repr_str(p)).collect();
        format!(
            "Spark(providers=[{}], offline={})",
            names.join(", "),
            if self.offline() { "True" } else { "False" }
        )
    }
}

/// Validates one C# file with the default policy. `file_name` defaults to the main type's name.
#[pyfunction]
#[pyo3(signature = (source, file_name = None))]
fn validate(py: Python<'_>, source: &str, file_name: Option<String>) -> PyResult<Vec<Diagnostic>> {
    let config = SparkConfig::default();
    match py.detach(|| {
        let name = file_name.unwrap_or_else(|| default_file_name(source));
        spark_core::validate_with(source, &name, &config)
    }) {
        Ok(d) => Ok(d.into_iter().map(Diagnostic::from).collect()),
        Err(e) => Err(to_py_err(py, &e)),
    }
}

/// Validates a set of C# files as one Unity project with the default policy (see
/// `Spark.validate_project`).
#[pyfunction]
#[pyo3(signature = (files, asmdefs = None))]
fn validate_project(
    py: Python<'_>,
    files: &Bound<'_, PyAny>,
    asmdefs: Option<&Bound<'_, PyAny>>,
) -> PyResult<Vec<Diagnostic>> {
    let (files, asmdefs) = (project_files(files, "files")?, project_files_opt(asmdefs)?);
    let config = SparkConfig::default();
    match py.detach(|| spark_core::validate_project_with(&files, &asmdefs, &config)) {
        Ok(d) => Ok(d.into_iter().map(Diagnostic::from).collect()),
        Err(e) => Err(to_py_err(py, &e)),
    }
}

fn project_files_opt(v: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<spark_core::ProjectFile>> {
    v.filter(|v| !v.is_none()).map_or(Ok(Vec::new()), |v| project_files(v, "asmdefs"))
}

/// Files from a dict `{path: text}`, `(path, text)` pairs or objects with `path` and `content`,
/// in the order given (the second declaration of a duplicate type is the one reported).
fn project_files(v: &Bound<'_, PyAny>, what: &str) -> PyResult<Vec<spark_core::ProjectFile>> {
    let bad = || {
        pyo3::exceptions::PyTypeError::new_err(format!(
            "{what} must be a dict {{path: text}}, (path, text) pairs or objects with .path and .content"
        ))
    };
    if let Ok(d) = v.cast::<PyDict>() {
        return d
            .iter()
            .map(|(k, c)| Ok(spark_core::ProjectFile::new(k.extract::<String>()?, c.extract::<String>()?)))
            .collect::<PyResult<_>>()
            .map_err(|_: PyErr| bad());
    }
    if v.is_instance_of::<pyo3::types::PyString>() {
        return Err(bad());
    }
    let mut out = Vec::new();
    for item in v.try_iter().map_err(|_| bad())? {
        let item = item?;
        let pair = match item.extract::<(String, String)>() {
            Ok(p) => p,
            Err(_) => (
                item.getattr("path").and_then(|p| p.extract()).map_err(|_| bad())?,
                item.getattr("content").and_then(|c| c.extract()).map_err(|_| bad())?,
            ),
        };
        out.push(spark_core::ProjectFile::new(pair.0, pair.1));
    }
    Ok(out)
}

#[pymodule]
fn _spark(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", spark_core::VERSION)?;
    // Benchmarks refuse to report figures of an unoptimised build.
    m.add("BUILD_PROFILE", if cfg!(debug_assertions) { "debug" } else { "release" })?;
    m.add_class::<Spark>()?;
    m.add_class::<signing::RequestSigner>()?;
    m.add_class::<signing::RequestVerifier>()?;
    m.add_class::<keys::KeyManager>()?;
    m.add_class::<keys::CreatedKey>()?;
    m.add_class::<GeneratedScripts>()?;
    m.add_class::<pyview::ScriptFile>()?;
    m.add_class::<Diagnostic>()?;
    m.add_class::<pyview::Blocked>()?;
    m.add_class::<pyview::Verdict>()?;
    m.add_class::<pyview::Usage>()?;
    m.add_class::<types::Started>()?;
    m.add_class::<types::Delta>()?;
    m.add_class::<types::Repairing>()?;
    m.add_class::<types::Diagnostics>()?;
    m.add_class::<types::Done>()?;
    m.add_class::<stream::EventStream>()?;
    m.add_function(wrap_pyfunction!(validate, m)?)?;
    m.add_function(wrap_pyfunction!(validate_project, m)?)?;
    m.add_function(wrap_pyfunction!(log::set_log_filter, m)?)?;
    log::install();
    error::register(m)?;
    Ok(())
}
