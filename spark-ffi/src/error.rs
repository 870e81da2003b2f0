//! `spark_error_t`: an owned error with a stable code, a message and JSON details.

use std::any::Any;
use std::ffi::{CString, c_char};
use std::panic::catch_unwind;
use std::ptr;

use spark_core::{Error, ErrorCode};

use crate::buf::{spark_buf_t, write_buf};
use crate::registry::Registry;

/// An error returned by a fallible call. Owned by the caller: free it with `spark_error_free`.
#[allow(non_camel_case_types)]
pub struct spark_error_t {
    _opaque: [u8; 0],
}

/// What a `spark_error_t*` token stands for.
pub(crate) struct ErrorObj {
    error: Error,
    /// `Display` of the error, NUL-terminated, borrowed by `spark_error_message`.
    message: CString,
    /// SPARK's request id, when the error belongs to a generation.
    request_id: Option<String>,
}

pub(crate) static ERRORS: Registry<ErrorObj> = Registry::new();

/// Registers `error` (of the request `request_id`, for a generation), reports it (feature
/// `sentry`) and returns the handle the caller owns.
pub(crate) fn into_raw_for(error: Error, request_id: Option<String>) -> *mut spark_error_t {
    spark_core::observe::report::report_error(&error, request_id.as_deref(), "c");
    let message = CString::new(error.to_string().replace('\0', " ")).unwrap_or_default();
    ptr::without_provenance_mut(ERRORS.insert(ErrorObj { error, message, request_id }))
}

/// A panic payload turned into an `Internal` error.
pub(crate) fn from_panic(payload: Box<dyn Any + Send>) -> Error {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    Error::Internal(format!("panic caught at the C ABI boundary: {what}"))
}

/// Shorthand for `Error::InvalidArgument`.
pub(crate) fn invalid(message: impl Into<String>) -> Error {
    Error::InvalidArgument(message.into())
}

fn token(err: *const spark_error_t) -> usize {
    err.addr()
}

/// The stable number of `err`'s code (one of the `SPARK_ERROR_*` macros), the `code_number`
/// of the other bindings.
///
/// Returns 0 for NULL (no error) and `SPARK_ERROR_INVALID_ARGUMENT` for a handle that is not a
/// live error (already freed, or not an error handle).
#[unsafe(no_mangle)]
pub extern "C" fn spark_error_code_number(err: *const spark_error_t) -> u32 {
    if err.is_null() {
        return 0;
    }
    catch_unwind(|| ERRORS.with(token(err), |e| e.error.code().as_u32()))
        .ok()
        .flatten()
        .unwrap_or(ErrorCode::InvalidArgument.as_u32())
}

/// The stable snake_case name of `err`'s code (`"rate_limited"`), the `code` of the other
/// bindings: a static NUL-terminated string.
///
/// Returns NULL for NULL, `"invalid_argument"` for a handle that is not a live error.
#[unsafe(no_mangle)]
pub extern "C" fn spark_error_code(err: *const spark_error_t) -> *const c_char {
    if err.is_null() {
        return ptr::null();
    }
    spark_code_name(spark_error_code_number(err))
}

/// The snake_case name of a numeric code (`6` → `"rate_limited"`), a static NUL-terminated
/// string; NULL for a number that is not a code.
#[unsafe(no_mangle)]
pub extern "C" fn spark_code_name(code: u32) -> *const c_char {
    catch_unwind(|| match ErrorCode::ALL.iter().find(|c| c.as_u32() == code) {
        Some(c) => crate::codes::static_name(*c),
        None => ptr::null(),
    })
    .unwrap_or(ptr::null())
}

/// The human-readable message of `err`, NUL-terminated UTF-8.
///
/// Borrowed: valid until `spark_error_free(err)`; do not free it. Returns NULL for NULL or a
/// handle that is not a live error.
#[unsafe(no_mangle)]
pub extern "C" fn spark_error_message(err: *const spark_error_t) -> *const c_char {
    if err.is_null() {
        return ptr::null();
    }
    catch_unwind(|| ERRORS.with(token(err), |e| e.message.as_ptr())).ok().flatten().unwrap_or(ptr::null())
}

/// How long to wait before retrying, in milliseconds (rate limits, open circuit breakers); -1
/// when the error carries no such hint.
#[unsafe(no_mangle)]
pub extern "C" fn spark_error_retry_after_ms(err: *const spark_error_t) -> i64 {
    if err.is_null() {
        return -1;
    }
    catch_unwind(|| {
        ERRORS.with(token(err), |e| e.error.retry_after().map(|d| d.as_millis().min(i64::MAX as u128) as i64))
    })
    .ok()
    .flatten()
    .flatten()
    .unwrap_or(-1)
}

/// Everything known about `err` as a JSON object, written to `*out` (free with
/// `spark_buf_free`):
/// `{"code" (snake_case name), "code_number", "message", "request_id" (SPARK's, for a generation;
/// else null), "retryable", "retry_after_ms", "partial_text",
/// "provider": {kind, provider, status, error_type, message, retry_after_ms, request_id,
/// partial_text} | null, "diagnostics": [..] | null, "causes": [..]}`.
///
/// # Safety
/// `out` must be NULL or point to a writable `spark_buf_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn spark_error_details(err: *const spark_error_t, out: *mut spark_buf_t) -> bool {
    if out.is_null() {
        return false;
    }
    // SAFETY: `out` is non-NULL and the caller promises it is writable.
    unsafe { out.write(spark_buf_t::EMPTY) };
    let json = catch_unwind(|| ERRORS.with(token(err), |e| details(&e.error, e.request_id.as_deref())));
    match json {
        Ok(Some(json)) => {
            // SAFETY: as above.
            unsafe { write_buf(out, json.into_bytes()) };
            true
        }
        _ => false,
    }
}

fn details(error: &Error, request_id: Option<&str>) -> String {
    let mut causes = Vec::new();
    let mut source = std::error::Error::source(error);
    while let Some(s) = source {
        causes.push(s.to_string());
        source = s.source();
    }
    let diagnostics = match error {
        Error::ValidationFailed { diagnostics } => serde_json::to_value(diagnostics).ok(),
        _ => None,
    };
    serde_json::json!({
        "code": error.code().as_str(),
        "code_number": error.code().as_u32(),
        "message": error.to_string(),
        "request_id": request_id,
        "retryable": error.is_retryable(),
        "retry_after_ms": error.retry_after().map(|d| d.as_millis() as u64),
        "partial_text": error.partial_text(),
        "provider": error.provider_error(),
        "diagnostics": diagnostics,
        "causes": causes,
    })
    .to_string()
}

/// Frees an error. NULL, and a handle already freed, are ignored.
#[unsafe(no_mangle)]
pub extern "C" fn spark_error_free(err: *mut spark_error_t) {
    if !err.is_null() {
        let _ = catch_unwind(|| drop(ERRORS.remove(token(err))));
    }
}
