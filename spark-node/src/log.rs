//! `setLogger` / `setLogFilter`: SPARK's `tracing` events to a JavaScript callback, filtered by
//! `SPARK_LOG` (env-filter syntax, default `warn`).

use std::sync::{Arc, RwLock};

use napi::bindgen_prelude::{FnArgs, Function, Unknown};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::{Env, Status};
use napi_derive::napi;

#[path = "../../spark-ffi/src/hostlog.rs"]
mod hostlog;

use hostlog::Record;

type Args = FnArgs<(&'static str, String, String)>;

/// The logger: weak, so a registered logger never keeps the process alive.
type Logger = ThreadsafeFunction<Args, (), Args, Status, false, true>;

static LOGGER: RwLock<Option<Arc<Logger>>> = RwLock::new(None);

/// Wraps the host's logger so an exception it throws is dropped: thrown from a threadsafe call it
/// would be a fatal uncaught exception, and logging must never take the process down.
const SHIELD: &str = "(function (f) { return function (level, target, message) { \
                      try { f(level, target, message) } catch (_) {} } })";

fn level_name(level: u32) -> &'static str {
    match level {
        1 => "error",
        2 => "warn",
        3 => "info",
        4 => "debug",
        _ => "trace",
    }
}

/// The sink: queues the record for the JavaScript thread without waiting. Once the environment
/// is shutting down the call fails with `Closing` and the record is dropped.
fn deliver(record: &Record<'_>) {
    let logger = LOGGER.read().map(|l| l.clone()).unwrap_or_else(|p| p.into_inner().clone());
    if let Some(logger) = logger {
        let args = (level_name(record.level), record.target.to_owned(), record.message.to_owned());
        let _ = logger.call(args.into(), ThreadsafeFunctionCallMode::NonBlocking);
    }
}

/// Sends SPARK's log events to `logger(level, target, message)` on the JavaScript thread;
/// `null` stops them. `level` is `'error' | 'warn' | 'info' | 'debug' | 'trace'`, `target` the
/// Rust module that logged. Events are filtered by the `SPARK_LOG` environment variable (read at
/// the first call; env-filter syntax, default `warn`) or `setLogFilter`, and never contain API
/// keys. The logger does not keep the process alive; exceptions it throws are ignored.
#[napi(
    ts_args_type = "logger: ((level: 'error' | 'warn' | 'info' | 'debug' | 'trace', target: string, message: string) => void) | null"
)]
pub fn set_logger(env: Env, logger: Unknown) -> napi::Result<()> {
    let next = if crate::args::is_absent(&logger).map_err(|e| crate::error::type_error(&env, e.0))? {
        None
    } else {
        if logger.get_type()? != napi::ValueType::Function {
            return Err(crate::error::type_error(&env, "logger must be a function or null"));
        }
        // SAFETY: checked to be a function just above.
        let user: Function<'_, Args, ()> = unsafe { logger.cast() }?;
        let shield: Function<'_, Function<'_, Args, ()>, Function<'_, Args, ()>> = env.run_script(SHIELD)?;
        let wrapped = shield.call(user)?;
        let tsfn: Logger =
            wrapped.build_threadsafe_function::<Args>().callee_handled::<false>().weak::<true>().build()?;
        Some(Arc::new(tsfn))
    };
    let install = next.is_some();
    *LOGGER.write().unwrap_or_else(|p| p.into_inner()) = next;
    if install {
        // This addon has its own copy of `tracing`'s globals, so nothing else can own them.
        let _ = hostlog::install(deliver);
    }
    Ok(())
}

/// Replaces the log filter (env-filter syntax as for `SPARK_LOG`: `'warn'`,
/// `'spark_core=debug'`; empty means `'warn'`). Throws a `SparkError` with code
/// `invalid_argument` for invalid syntax, or before any `setLogger`.
#[napi]
pub fn set_log_filter(env: Env, filter: String) -> napi::Result<()> {
    hostlog::set_filter(&filter)
        .map_err(|e| crate::error::to_js(&env, &spark_core::Error::InvalidArgument(e)))
}
