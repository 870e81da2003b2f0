//! The C ABI of SPARK (library `spark_ffi`, header `include/spark.h`).
//!
//! Requests and results cross as UTF-8 JSON (pointer + length) so the ABI stays small and
//! versionable; handles are opaque tokens checked on every call (see `registry`); every export
//! catches panics and reports them as `SPARK_ERROR_INTERNAL`, so a bug can never unwind into, or
//! abort, the host (a Unity editor, a game server).
//!
//! The client owns a two-worker tokio runtime; the synchronous calls block the calling thread
//! on it, and any number of threads may call into one client at once.
#![allow(clippy::missing_safety_doc)] // the `# Safety` rules are the header's ownership rules
#![deny(unsafe_op_in_unsafe_fn)]

use std::ffi::{c_char, c_void};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr;
use std::sync::Arc;

use futures::StreamExt;
use spark_core::{
    Error, ExportFormat, GenerateRequest, GeneratedScripts, Result, Spark, SparkConfig, StreamEvent,
};
use tokio_util::sync::CancellationToken;

mod buf;
mod codes;
mod error;
mod hostlog;
mod log;
mod registry;
mod usage;

pub use buf::{spark_buf_free, spark_buf_t};
pub use codes::*;
pub use error::{
    spark_code_name, spark_error_code, spark_error_code_number, spark_error_details, spark_error_free,
    spark_error_message, spark_error_retry_after_ms, spark_error_t,
};
pub use log::{
    SPARK_LOG_DEBUG, SPARK_LOG_ERROR, SPARK_LOG_INFO, SPARK_LOG_TRACE, SPARK_LOG_WARN, spark_log_cb,
    spark_set_log_callback, spark_set_log_filter,
};

pub use usage::spark_client_usage;

use buf::write_buf;
use error::invalid;
use registry::Registry;

/// Major version of the library this header belongs to.
pub const SPARK_VERSION_MAJOR: u32 = 0;
/// Minor version of the library this header belongs to.
pub const SPARK_VERSION_MINOR: u32 = 1;
/// Patch version of the library this header belongs to.
pub const SPARK_VERSION_PATCH: u32 = 0;

/// A SPARK client: configuration, provider chain, cache, rate limiter and a small runtime.
///
/// Create with `spark_client_new`, release with `spark_client_free`. Thread-safe: any number of
/// threads may use one client at once; share one per process.
#[allow(non_camel_case_types)]
pub struct spark_client_t {
    _opaque: [u8; 0],
}

/// A cancellation flag for `spark_generate_stream`, settable from any thread.
///
/// Create with `spark_cancel_new`, release with `spark_cancel_free`. Once cancelled it stays
/// cancelled; use a new one per operation.
#[allow(non_camel_case_types)]
pub struct spark_cancel_t {
    _opaque: [u8; 0],
}

/// Receives one progress event of `spark_generate_stream` as JSON:
/// `{"type":"started","provider","model"}`, `{"type":"delta","text"}`,
/// `{"type":"repairing","round"}`, `{"type":"diagnostics","diagnostics":[..]}`,
/// `{"type":"done","result":{..}}` (always last on success).
///
/// `event_json` (NUL-terminated, `len` bytes without the NUL) is valid only during the call.
/// Runs on the thread that called `spark_generate_stream`. Return 0 to continue, anything else
/// to cancel (the call then fails with `SPARK_ERROR_CANCELLED`). It must not unwind (no C++
/// exception, no longjmp) through SPARK.
///
/// Calling SPARK from inside the callback: `spark_generate` and `spark_generate_stream` (on any
/// client) fail at once with `SPARK_ERROR_INVALID_ARGUMENT`, since they would wait for the
/// generation that is running the callback; every other function works. `spark_client_free` of
/// the streaming client is allowed: the client stays usable until `spark_generate_stream`
/// returns, and is released then. `spark_cancel_cancel` on this call's `cancel` makes the call
/// fail with `SPARK_ERROR_CANCELLED` once the callback returns.
#[allow(non_camel_case_types)]
pub type spark_event_cb =
    Option<unsafe extern "C" fn(event_json: *const u8, len: usize, user_data: *mut c_void) -> i32>;

/// What a `spark_client_t*` token stands for. Fields drop in order: the client before the
/// runtime its background tasks live on.
struct Client {
    spark: Spark,
    runtime: OwnedRuntime,
}

/// A runtime that can be dropped anywhere: inside another runtime's context (a client freed from
/// a stream callback of another client) a blocking shutdown would panic, so it shuts down in the
/// background there.
struct OwnedRuntime(Option<tokio::runtime::Runtime>);

impl Drop for OwnedRuntime {
    fn drop(&mut self) {
        if let Some(rt) = self.0.take() {
            if tokio::runtime::Handle::try_current().is_ok() {
                rt.shutdown_background();
            } else {
                drop(rt);
            }
        }
    }
}

impl OwnedRuntime {
    fn get(&self) -> &tokio::runtime::Runtime {
        self.0.as_ref().expect("runtime present until drop")
    }
}

static CLIENTS: Registry<Client> = Registry::new();

thread_local! {
    /// Set while a `spark_event_cb` runs on this thread.
    static IN_EVENT_CB: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Blocks on `fut` with the client's runtime, or fails with `SPARK_ERROR_INVALID_ARGUMENT` when
/// that cannot work: inside a `spark_event_cb` the call would wait for the very generation that
/// is running the callback (a deadlock when both share a cache entry), and inside any other
/// async runtime blocking would panic.
fn block_on<T>(c: &Client, what: &str, fut: impl std::future::Future<Output = Result<T>>) -> Result<T> {
    if IN_EVENT_CB.with(std::cell::Cell::get) {
        return Err(invalid(format!(
            "{what} was called from inside a spark_event_cb; finish the callback first (return, or \
             cancel with a non-zero return) and call it afterwards"
        )));
    }
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(invalid(format!(
            "{what} blocks the calling thread and cannot run on a thread of an async runtime; \
             call it from a plain thread"
        )));
    }
    c.runtime.get().block_on(fut)
}

/// Runs `cb`, marking this thread as inside a stream callback for the duration.
///
/// # Safety
/// The callback contract of `spark_event_cb`.
unsafe fn call_event_cb(
    cb: unsafe extern "C" fn(*const u8, usize, *mut c_void) -> i32,
    json: &[u8],
    len: usize,
    user_data: *mut c_void,
) -> i32 {
    struct Reset(bool);
    impl Drop for Reset {
        fn drop(&mut self) {
            IN_EVENT_CB.with(|f| f.set(self.0));
        }
    }
    let _reset = Reset(IN_EVENT_CB.with(|f| f.replace(true)));
    // SAFETY: forwarded from the caller.
    unsafe { cb(json.as_ptr(), len, user_data) }
}
static CANCELS: Registry<CancellationToken> = Registry::new();

/// Runs `f`, turning its error or panic into an owned `spark_error_t*` (NULL on success).
fn guard(f: impl FnOnce() -> Result<()>) -> *mut spark_error_t {
    guard_request(|_| f())
}

/// Like [`guard`] for a generation: `f` names the request id as soon as it knows it, and the
/// error (or the panic, reported without its payload) carries it.
fn guard_request(f: impl FnOnce(&mut Option<String>) -> Result<()>) -> *mut spark_error_t {
    let mut request_id = None;
    match catch_unwind(AssertUnwindSafe(|| f(&mut request_id))) {
        Ok(Ok(())) => ptr::null_mut(),
        Ok(Err(e)) => error::into_raw_for(e, request_id),
        Err(panic) => {
            spark_core::observe::report::report_panic(request_id.as_deref(), "c");
            error::into_raw_for(error::from_panic(panic), request_id)
        }
    }
}

fn client(handle: *const spark_client_t) -> Result<Arc<Client>> {
    if handle.is_null() {
        return Err(invalid("client is NULL"));
    }
    CLIENTS
        .get(handle.addr())
        .ok_or_else(|| invalid("client is not a live spark_client_t (already freed, or not a client handle)"))
}

/// `(ptr, len)` as bytes; `(NULL, 0)` is empty.
///
/// # Safety
/// A non-NULL `ptr` must point to `len` readable bytes that stay valid for `'a`.
unsafe fn bytes<'a>(ptr: *const u8, len: usize, what: &str) -> Result<&'a [u8]> {
    if ptr.is_null() {
        return if len == 0 {
            Ok(&[])
        } else {
            Err(invalid(format!("{what} is NULL but its length is {len}")))
        };
    }
    if len > isize::MAX as usize {
        return Err(invalid(format!("{what}: length {len} is too large")));
    }
    // SAFETY: guaranteed by the caller.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// `(ptr, len)` as UTF-8 text.
///
/// # Safety
/// As for [`bytes`].
unsafe fn text<'a>(ptr: *const u8, len: usize, what: &str) -> Result<&'a str> {
    // SAFETY: forwarded.
    let b = unsafe { bytes(ptr, len, what) }?;
    std::str::from_utf8(b).map_err(|e| invalid(format!("{what} is not valid UTF-8: {e}")))
}

/// Checks and clears an out-parameter buffer.
///
/// # Safety
/// A non-NULL `out` must be writable.
unsafe fn out_buf(out: *mut spark_buf_t, what: &str) -> Result<*mut spark_buf_t> {
    if out.is_null() {
        return Err(invalid(format!("{what} is NULL")));
    }
    // SAFETY: guaranteed by the caller.
    unsafe { out.write(spark_buf_t { data: ptr::null_mut(), len: 0 }) };
    Ok(out)
}

fn to_json<T: serde::Serialize + ?Sized>(value: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(value).map_err(|e| Error::Internal(format!("cannot serialize a result: {e}")))
}

fn parse_request(json: &str) -> Result<GenerateRequest> {
    if json.trim().is_empty() {
        return Err(invalid("request_json is empty; expected a JSON object like {\"prompt\": \"...\"}"));
    }
    serde_json::from_str(json).map_err(|e| invalid(format!("request_json: {e}")))
}

/// Creates a client from a JSON configuration (the `SparkConfig` schema: `providers`,
/// `openai`, `rate_limit`, `cache`, ...). `(NULL, 0)` or an empty string means defaults plus the
/// `SPARK_*` environment variables; a JSON document is used as given, without environment
/// overrides. API keys come from the configuration or `ANTHROPIC_API_KEY` / `OPENAI_API_KEY`.
///
/// On success writes the new handle to `*out` (the caller owns it: `spark_client_free`) and
/// returns NULL; on failure writes NULL and returns the error (`SPARK_ERROR_INVALID_CONFIG` for a
/// bad or malformed configuration, `SPARK_ERROR_INVALID_ARGUMENT` for bad pointers or UTF-8).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn spark_client_new(
    config_json: *const u8,
    len: usize,
    out: *mut *mut spark_client_t,
) -> *mut spark_error_t {
    // SAFETY: forwarded from the caller's promises.
    unsafe {
        new_client(config_json, len, "config_json", out, |json| {
            if json.trim().is_empty() { SparkConfig::from_env() } else { SparkConfig::from_json_str(json) }
        })
    }
}

/// Like `spark_client_new`, from a `spark.toml` file: `path` is its UTF-8 file name (pointer +
/// length), read then, with `SPARK_*` environment overrides applied (the same as `from_toml` in
/// Python, Node and C#). A missing or unreadable file fails with `SPARK_ERROR_INVALID_CONFIG`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn spark_client_new_from_toml(
    path: *const u8,
    len: usize,
    out: *mut *mut spark_client_t,
) -> *mut spark_error_t {
    // SAFETY: forwarded from the caller's promises.
    unsafe {
        new_client(path, len, "path", out, |path| {
            if path.is_empty() {
                return Err(invalid("path is empty; pass the file name of a spark.toml"));
            }
            SparkConfig::load(path)
        })
    }
}

/// Like `spark_client_new`, from the text of a `spark.toml` (UTF-8, pointer + length) without
/// environment overrides; `(NULL, 0)` or an empty text means the defaults (the same as
/// `from_toml_str` in Python, Node and C#).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn spark_client_new_from_toml_str(
    config_toml: *const u8,
    len: usize,
    out: *mut *mut spark_client_t,
) -> *mut spark_error_t {
    // SAFETY: forwarded from the caller's promises.
    unsafe { new_client(config_toml, len, "config_toml", out, SparkConfig::from_toml_str) }
}

/// The body of the `spark_client_new*` constructors: `*out` is NULL unless a client is made.
///
/// # Safety
/// `config` points to `len` readable bytes (or is NULL with `len` 0); `out` is NULL or writable.
unsafe fn new_client(
    config: *const u8,
    len: usize,
    name: &str,
    out: *mut *mut spark_client_t,
    parse: impl FnOnce(&str) -> Result<SparkConfig>,
) -> *mut spark_error_t {
    guard(|| {
        if out.is_null() {
            return Err(invalid("out (spark_client_t**) is NULL"));
        }
        // SAFETY: non-NULL; the caller promises it is writable.
        unsafe { out.write(ptr::null_mut()) };
        // SAFETY: the caller promises `len` readable bytes.
        let source = unsafe { text(config, len, name) }?;
        // SAFETY: checked non-NULL above.
        unsafe { register_client(parse(source)?, out) }
    })
}

/// Builds a client with its runtime and writes its handle to `*out`.
///
/// # Safety
/// `out` must be non-NULL and writable.
unsafe fn register_client(config: SparkConfig, out: *mut *mut spark_client_t) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("spark-ffi")
        .enable_all()
        .build()
        .map_err(|e| Error::Internal(format!("cannot start the runtime: {e}")))?;
    let spark = {
        let _ctx = runtime.enter();
        Spark::from_config(config)?
    };
    let token = CLIENTS.insert(Client { spark, runtime: OwnedRuntime(Some(runtime)) });
    // SAFETY: guaranteed by the caller.
    unsafe { out.write(ptr::without_provenance_mut(token)) };
    Ok(())
}

/// Releases a client. Calls already running on other threads finish first (they keep the
/// client alive); later calls with this handle fail with `SPARK_ERROR_INVALID_ARGUMENT`.
/// NULL, and a handle already freed, are ignored.
#[unsafe(no_mangle)]
pub extern "C" fn spark_client_free(client: *mut spark_client_t) {
    if !client.is_null() {
        let _ = catch_unwind(|| drop(CLIENTS.remove(client.addr())));
    }
}

/// Describes a client as JSON in `*out`: `{"version", "offline", "providers": [..],
/// "config": {..}}` (the effective configuration; API keys print as `[redacted]`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn spark_client_info(
    client: *const spark_client_t,
    out: *mut spark_buf_t,
) -> *mut spark_error_t {
    guard(|| {
        // SAFETY: the caller promises a writable `out` when non-NULL.
        let out = unsafe { out_buf(out, "out") }?;
        let c = self::client(client)?;
        let providers: Vec<&str> = c.spark.providers().iter().map(|p| p.name()).collect();
        let info = serde_json::json!({
            "version": spark_core::VERSION,
            "offline": c.spark.is_offline(),
            "providers": providers,
            "config": c.spark.config(),
        });
        // SAFETY: checked by `out_buf`.
        unsafe { write_buf(out, to_json(&info)?) };
        Ok(())
    })
}

/// Describes a client's health as JSON in `*out`: `{"providers": [{"name", "model", "state":
/// "closed"|"open"|"half_open", "failures", "retry_in_ms", "times_opened", "successes",
/// "total_failures"}], "cache": {"hits", "misses", "coalesced", "entries", "bytes"}}` (providers
/// in fallback order, counters since the client was created).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn spark_client_status(
    client: *const spark_client_t,
    out: *mut spark_buf_t,
) -> *mut spark_error_t {
    guard(|| {
        // SAFETY: the caller promises a writable `out` when non-NULL.
        let out = unsafe { out_buf(out, "out") }?;
        let c = self::client(client)?;
        let status = serde_json::json!({
            "providers": c.spark.provider_status(),
            "cache": c.spark.cache_stats(),
        });
        // SAFETY: checked by `out_buf`.
        unsafe { write_buf(out, to_json(&status)?) };
        Ok(())
    })
}

/// Writes the client's metrics to `*out` as Prometheus text exposition (UTF-8, NUL-terminated;
/// empty when `metrics.enabled` is off). Free it with `spark_buf_free`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn spark_client_metrics_text(
    client: *const spark_client_t,
    out: *mut spark_buf_t,
) -> *mut spark_error_t {
    guard(|| {
        // SAFETY: the caller promises a writable `out` when non-NULL.
        let out = unsafe { out_buf(out, "out") }?;
        let c = self::client(client)?;
        // SAFETY: checked by `out_buf`.
        unsafe { write_buf(out, c.spark.metrics_text().into_bytes()) };
        Ok(())
    })
}

/// Writes the client's health to `*out` as JSON: `{"ready", "providers": [{"name", "breaker":
/// "closed"|"open"|"half_open", "usable", "recent_attempts", "recent_error_rate",
/// "recent_latency_ms"}], "cache_entries", "cache_bytes", "cache_fill", "queue_depth",
/// "queue_capacity", "ledger": "on"|"off"}`; `ready` when at least one provider is usable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn spark_client_health(
    client: *const spark_client_t,
    out: *mut spark_buf_t,
) -> *mut spark_error_t {
    guard(|| {
        // SAFETY: the caller promises a writable `out` when non-NULL.
        let out = unsafe { out_buf(out, "out") }?;
        let c = self::client(client)?;
        // SAFETY: checked by `out_buf`.
        unsafe { write_buf(out, to_json(&c.spark.health())?) };
        Ok(())
    })
}

/// Generates scripts for a request and writes the result JSON to `*out_result_json`.
///
/// `request_json` is a `GenerateRequest`: `{"prompt": "...", "caller"?, "request_id"?, "model"?,
/// "max_tokens"?, "temperature"?, "repair_rounds"?, "no_cache"?, "allow_unsafe"?, "tier"?,
/// "traceparent"?, "provider"?, "unity_version"?}` (unknown fields are rejected; "provider" pins the
/// request to one provider of the chain, "unity_version" is the Unity targeted). An error's details name the request id (the
/// caller's, or the one generated). The result is `{"files": [{"path","content"}], "diagnostics": [..],
/// "usage": {"input_tokens",
/// "output_tokens"}, "cost_usd", "provider", "model", "offline", "raw", "rounds", "stop_reason",
/// "request_id", "request_hash", "verdicts", "blocked"}`; `blocked` is null, or
/// `{"rules", "findings", "withheld_files"}` when the output policy held the files back (then
/// `files` is empty). Blocks the calling thread until done.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn spark_generate(
    client: *const spark_client_t,
    request_json: *const u8,
    len: usize,
    out_result_json: *mut spark_buf_t,
) -> *mut spark_error_t {
    guard_request(|request_id| {
        // SAFETY: the caller promises a writable `out_result_json` when non-NULL.
        let out = unsafe { out_buf(out_result_json, "out_result_json") }?;
        let c = self::client(client)?;
        // SAFETY: the caller promises `len` readable bytes.
        let mut req = parse_request(unsafe { text(request_json, len, "request_json") }?)?;
        *request_id = Some(req.ensure_request_id().to_string());
        let result = block_on(&c, "spark_generate", c.spark.generate(req))?;
        // SAFETY: checked by `out_buf`.
        unsafe { write_buf(out, to_json(&result)?) };
        Ok(())
    })
}

/// Like `spark_generate`, calling `cb` with each progress event (see `spark_event_cb`) on the
/// calling thread, and writing the final result JSON (the `result` of the `done` event) to
/// `*out_result_json`.
///
/// `cb` may be NULL (no events). `cancel` may be NULL; otherwise `spark_cancel_cancel` on it,
/// from any thread, or a non-zero return from `cb`, stops the work promptly and the call fails
/// with `SPARK_ERROR_CANCELLED`. `user_data` is passed to `cb` untouched.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn spark_generate_stream(
    client: *const spark_client_t,
    request_json: *const u8,
    len: usize,
    cb: spark_event_cb,
    user_data: *mut c_void,
    cancel: *const spark_cancel_t,
    out_result_json: *mut spark_buf_t,
) -> *mut spark_error_t {
    guard_request(|request_id| {
        // SAFETY: the caller promises a writable `out_result_json` when non-NULL.
        let out = unsafe { out_buf(out_result_json, "out_result_json") }?;
        let c = self::client(client)?;
        let token = if cancel.is_null() {
            CancellationToken::new()
        } else {
            CANCELS.with(cancel.addr(), |t| t.clone()).ok_or_else(|| {
                invalid("cancel is not a live spark_cancel_t (already freed, or not a cancel handle)")
            })?
        };
        // SAFETY: the caller promises `len` readable bytes.
        let mut req = parse_request(unsafe { text(request_json, len, "request_json") }?)?;
        *request_id = Some(req.ensure_request_id().to_string());
        let result = block_on(&c, "spark_generate_stream", async {
            let mut stream = std::pin::pin!(c.spark.generate_stream(req));
            loop {
                let next = tokio::select! {
                    biased;
                    _ = token.cancelled() => return Err(Error::Cancelled),
                    next = stream.next() => next,
                };
                let event = match next {
                    Some(event) => event?,
                    None => return Err(Error::Internal("the stream ended without a result".into())),
                };
                if let Some(cb) = cb {
                    let mut json = to_json(&event)?;
                    let len = json.len();
                    json.push(0);
                    // SAFETY: the callback contract in the header; the bytes outlive the call.
                    let verdict = unsafe { call_event_cb(cb, &json, len, user_data) };
                    if verdict != 0 || token.is_cancelled() {
                        return Err(Error::Cancelled);
                    }
                }
                if let StreamEvent::Done { result } = event {
                    return to_json(&result);
                }
            }
        })?;
        // SAFETY: checked by `out_buf`.
        unsafe { write_buf(out, result) };
        Ok(())
    })
}

/// A new, not yet cancelled cancellation flag (never NULL). Free with `spark_cancel_free`.
#[unsafe(no_mangle)]
pub extern "C" fn spark_cancel_new() -> *mut spark_cancel_t {
    catch_unwind(|| ptr::without_provenance_mut(CANCELS.insert(CancellationToken::new())))
        .unwrap_or(ptr::null_mut())
}

/// Cancels the operations watching `cancel`. Safe to call from any thread, any number of times.
/// Fails with `SPARK_ERROR_INVALID_ARGUMENT` when `cancel` is NULL or not live.
#[unsafe(no_mangle)]
pub extern "C" fn spark_cancel_cancel(cancel: *const spark_cancel_t) -> *mut spark_error_t {
    guard(|| {
        if cancel.is_null() {
            return Err(invalid("cancel is NULL"));
        }
        CANCELS.with(cancel.addr(), |t| t.cancel()).ok_or_else(|| {
            invalid("cancel is not a live spark_cancel_t (already freed, or not a cancel handle)")
        })
    })
}

/// Releases a cancellation flag. An operation already watching it keeps running and can no longer
/// be cancelled through it. NULL, and a handle already freed, are ignored.
#[unsafe(no_mangle)]
pub extern "C" fn spark_cancel_free(cancel: *mut spark_cancel_t) {
    if !cancel.is_null() {
        let _ = catch_unwind(|| drop(CANCELS.remove(cancel.addr())));
    }
}

/// Validates one C# file and writes its diagnostics to `*out_diagnostics_json` as a JSON array of
/// `{"severity": "error"|"warning"|"info", "rule", "message", "file", "line", "column",
/// "end_line", "end_column"}` (1-based lines and character columns). No provider is called.
///
/// `file_name` (for example `PlayerController.cs`) matters: Unity rules compare it with the class
/// name. `(NULL, 0)` or empty means the main type's name (`Spinner.cs`), as SPARK names generated
/// files and as `validate` does in Python, Node and C#.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn spark_validate(
    client: *const spark_client_t,
    source: *const u8,
    source_len: usize,
    file_name: *const u8,
    file_name_len: usize,
    out_diagnostics_json: *mut spark_buf_t,
) -> *mut spark_error_t {
    guard(|| {
        // SAFETY: the caller promises a writable out-parameter when non-NULL.
        let out = unsafe { out_buf(out_diagnostics_json, "out_diagnostics_json") }?;
        let c = self::client(client)?;
        // SAFETY: the caller promises the lengths.
        let (source, name) =
            unsafe { (text(source, source_len, "source")?, text(file_name, file_name_len, "file_name")?) };
        let name = if name.is_empty() { default_file_name(source) } else { name.to_owned() };
        let diagnostics = c.spark.validate(source, &name)?;
        // SAFETY: checked by `out_buf`.
        unsafe { write_buf(out, to_json(&diagnostics)?) };
        Ok(())
    })
}

/// The request of `spark_validate_project`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ProjectRequest {
    files: Vec<spark_core::ProjectFile>,
    #[serde(default)]
    asmdefs: Vec<spark_core::ProjectFile>,
}

/// Validates C# files as one Unity project. `request_json` is
/// `{"files": [{"path", "content"}...], "asmdefs"?: [{"path", "content"}...]}`: paths relative to
/// the project (`Assets/Tools/Tool.cs`, `Assets/Tools/Tools.asmdef`), contents the C# source and
/// the asmdef's JSON (a generation result's `files` fit). Writes the diagnostics, each naming its
/// file, to `*out_diagnostics_json` in `spark_validate`'s format.
///
/// Editor folders and asmdefs whose `includePlatforms` is exactly `["Editor"]` (the nearest one up
/// the folders wins) make a file editor code for SPK1002; a type two files of one assembly
/// declare is SPK1027 at the second one; a malformed asmdef is a SPK1028 diagnostic. A request
/// that is not this JSON fails with `SPARK_ERROR_INVALID_ARGUMENT`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn spark_validate_project(
    client: *const spark_client_t,
    request_json: *const u8,
    request_len: usize,
    out_diagnostics_json: *mut spark_buf_t,
) -> *mut spark_error_t {
    guard(|| {
        // SAFETY: the caller promises a writable out-parameter when non-NULL.
        let out = unsafe { out_buf(out_diagnostics_json, "out_diagnostics_json") }?;
        let c = self::client(client)?;
        // SAFETY: the caller promises the length.
        let json = unsafe { text(request_json, request_len, "request_json") }?;
        let req: ProjectRequest =
            serde_json::from_str(json).map_err(|e| invalid(format!("request_json: {e}")))?;
        let diagnostics = c.spark.validate_project(&req.files, &req.asmdefs)?;
        // SAFETY: checked by `out_buf`.
        unsafe { write_buf(out, to_json(&diagnostics)?) };
        Ok(())
    })
}

/// The file name `spark_validate` uses when none is given: the main type's.
fn default_file_name(source: &str) -> String {
    match spark_core::export::main_type_name(source) {
        Some(name) => format!("{name}.cs"),
        None => "Script.cs".to_owned(),
    }
}

/// Builds an archive of a generation result (the JSON `spark_generate` returned) and writes its
/// bytes to `*out_bytes`.
///
/// `format` names the archive, ignoring case: `"zip"` (an `Assets/` tree with `.meta` files and
/// assembly definitions), `"upm"` (a UPM package tarball, `.tgz`) or `"unitypackage"`; an unknown
/// name fails with `SPARK_ERROR_INVALID_ARGUMENT` listing the known ones.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn spark_export(
    client: *const spark_client_t,
    result_json: *const u8,
    result_len: usize,
    format: *const u8,
    format_len: usize,
    out_bytes: *mut spark_buf_t,
) -> *mut spark_error_t {
    // SAFETY: the caller's promises are the same; no options is `(NULL, 0)`.
    unsafe {
        spark_export_with_options(
            client,
            result_json,
            result_len,
            format,
            format_len,
            std::ptr::null(),
            0,
            out_bytes,
        )
    }
}

/// Options of `spark_export_with_options`, as JSON.
#[derive(serde::Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct ExportOptions {
    allow_unsafe: bool,
}

/// `spark_export` with options as JSON: `{"allow_unsafe"?: bool}` (unknown fields are
/// rejected; NULL or empty means none). A result the output policy blocked fails with
/// `SPARK_ERROR_OUTPUT_BLOCKED` unless `allow_unsafe` is true; then its withheld files are
/// exported.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments, reason = "a C signature: pointer and length per argument")]
pub unsafe extern "C" fn spark_export_with_options(
    client: *const spark_client_t,
    result_json: *const u8,
    result_len: usize,
    format: *const u8,
    format_len: usize,
    options_json: *const u8,
    options_len: usize,
    out_bytes: *mut spark_buf_t,
) -> *mut spark_error_t {
    guard(|| {
        // SAFETY: the caller promises a writable out-parameter when non-NULL.
        let out = unsafe { out_buf(out_bytes, "out_bytes") }?;
        let c = self::client(client)?;
        // SAFETY: the caller promises the lengths.
        let (json, format) =
            unsafe { (text(result_json, result_len, "result_json")?, text(format, format_len, "format")?) };
        let options: ExportOptions = if options_json.is_null() || options_len == 0 {
            ExportOptions::default()
        } else {
            // SAFETY: the caller promises `options_len` readable bytes.
            let text = unsafe { text(options_json, options_len, "options_json") }?;
            serde_json::from_str(text).map_err(|e| invalid(format!("options_json: {e}")))?
        };
        let scripts: GeneratedScripts =
            serde_json::from_str(json).map_err(|e| invalid(format!("result_json: {e}")))?;
        let format: ExportFormat = format.parse()?;
        let mut config = c.spark.config().export.clone();
        config.allow_unsafe |= options.allow_unsafe;
        let bytes = spark_core::export::export_generated(&scripts, format, &config)?;
        // SAFETY: checked by `out_buf`.
        unsafe { write_buf(out, bytes) };
        Ok(())
    })
}

/// The library version (`"0.1.0"`), a static NUL-terminated string. Compare with the
/// `SPARK_VERSION_*` macros to detect a header/library mismatch.
#[unsafe(no_mangle)]
pub extern "C" fn spark_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_macros_match_the_package() {
        let parts: Vec<u32> = env!("CARGO_PKG_VERSION").split('.').map(|p| p.parse().unwrap()).collect();
        assert_eq!(parts, [SPARK_VERSION_MAJOR, SPARK_VERSION_MINOR, SPARK_VERSION_PATCH]);
        assert_eq!(env!("CARGO_PKG_VERSION"), spark_core::VERSION);
        // SAFETY: static NUL-terminated string.
        let v = unsafe { std::ffi::CStr::from_ptr(spark_version()) };
        assert_eq!(v.to_str().unwrap(), spark_core::VERSION);
    }

    #[test]
    fn a_panic_becomes_an_internal_error() {
        let what = String::from("formatted");
        for (err, text) in [
            (guard(|| panic!("static boom")), "static boom"),
            (guard(|| panic!("{what} boom")), "formatted boom"),
        ] {
            assert_eq!(spark_error_code_number(err), SPARK_ERROR_INTERNAL);
            // SAFETY: a live error's message is a NUL-terminated string until spark_error_free.
            let msg =
                unsafe { std::ffi::CStr::from_ptr(spark_error_message(err)) }.to_str().unwrap().to_owned();
            assert!(msg.contains(text) && msg.contains("panic"), "{msg}");
            spark_error_free(err);
        }
        assert!(guard(|| Ok(())).is_null());
    }
}
