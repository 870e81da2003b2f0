//! `spark_set_log_callback` / `spark_set_log_filter`: SPARK's log events to a C callback.

use std::ffi::c_void;
use std::sync::RwLock;

use spark_core::Result;

use crate::error::invalid;
use crate::hostlog::{self, Record};
use crate::{guard, spark_error_t, text};

/// Log level of `spark_log_cb`: a failure (the numbers 1-5 grow with verbosity).
pub const SPARK_LOG_ERROR: u32 = 1;
/// A problem SPARK worked around (a retry, a fallback to the next provider).
pub const SPARK_LOG_WARN: u32 = 2;
/// Progress worth noting.
pub const SPARK_LOG_INFO: u32 = 3;
/// Details for debugging.
pub const SPARK_LOG_DEBUG: u32 = 4;
/// Very verbose details.
pub const SPARK_LOG_TRACE: u32 = 5;

/// Receives one log event: `level` (`SPARK_LOG_ERROR` 1 … `SPARK_LOG_TRACE` 5), `target` (the
/// Rust module, e.g. `spark_core::resilience::router`) and `message`, both NUL-terminated UTF-8
/// valid only during the call, and the `user_data` given to `spark_set_log_callback`.
///
/// Called on whatever thread logged, possibly several at once: it must be thread-safe and
/// quick, and must not unwind (no C++ exception, no longjmp). Events it causes itself (calling
/// into SPARK from the callback) are dropped, never delivered recursively. Messages never
/// contain API keys.
#[allow(non_camel_case_types)]
pub type spark_log_cb =
    Option<unsafe extern "C" fn(level: u32, target: *const u8, message: *const u8, user_data: *mut c_void)>;

/// A non-NULL `spark_log_cb`.
type LogFn = unsafe extern "C" fn(u32, *const u8, *const u8, *mut c_void);

/// The registered callback and its user data (an address: the host owns what it points to).
static CALLBACK: RwLock<Option<(LogFn, usize)>> = RwLock::new(None);

fn deliver(record: &Record<'_>) {
    // Copied out so the callback runs without the lock held: it may set another callback.
    let Some((cb, user_data)) = CALLBACK.read().map(|s| *s).unwrap_or_else(|p| *p.into_inner()) else {
        return;
    };
    let mut target = Vec::with_capacity(record.target.len() + 1);
    target.extend(record.target.bytes().filter(|&b| b != 0));
    target.push(0);
    let mut message = Vec::with_capacity(record.message.len() + 1);
    message.extend(record.message.bytes().filter(|&b| b != 0));
    message.push(0);
    // SAFETY: the callback contract of `spark_log_cb`; both strings outlive the call.
    unsafe {
        cb(record.level, target.as_ptr(), message.as_ptr(), std::ptr::without_provenance_mut(user_data))
    };
}

/// Sends SPARK's log events to `cb` (NULL stops them), with `user_data` passed back untouched.
///
/// Events are filtered by the `SPARK_LOG` environment variable, read at the first call, in
/// env-filter syntax (`warn`, `spark_core=debug`, `info,spark_core::cache=trace`); unset or empty
/// means `warn`. Change it later with `spark_set_log_filter`. Replaces any earlier callback (a call
/// already running on another thread may still finish with the earlier one; keep its
/// `user_data` valid). Fails with `SPARK_ERROR_INTERNAL` only when
/// another Rust log subscriber already owns this process's events (a Rust host linking the
/// library statically).
#[unsafe(no_mangle)]
pub extern "C" fn spark_set_log_callback(cb: spark_log_cb, user_data: *mut c_void) -> *mut spark_error_t {
    guard(|| {
        let mut slot = CALLBACK.write().unwrap_or_else(|p| p.into_inner());
        *slot = cb.map(|cb| (cb, user_data.addr()));
        drop(slot);
        if cb.is_some() {
            hostlog::install(deliver).map_err(spark_core::Error::Internal)?;
        }
        Ok(())
    })
}

/// Replaces the log filter (env-filter syntax as for `SPARK_LOG`; `(NULL, 0)` or empty means
/// `warn`). Fails with `SPARK_ERROR_INVALID_ARGUMENT` for invalid syntax or UTF-8, and when no
/// callback was ever set.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn spark_set_log_filter(filter: *const u8, len: usize) -> *mut spark_error_t {
    guard(|| -> Result<()> {
        // SAFETY: the caller promises `len` readable bytes.
        let spec = unsafe { text(filter, len, "filter") }?;
        hostlog::set_filter(spec).map_err(invalid)
    })
}
