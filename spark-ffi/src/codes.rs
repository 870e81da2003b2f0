//! The stable error codes as C macros (`SPARK_ERROR_*`), mirrored from `spark_core::ErrorCode`.
//!
//! A test checks this table against `ErrorCode::ALL`, so a code added to the core cannot be
//! forgotten here (and then in the header).

use std::collections::BTreeMap;
use std::ffi::{CString, c_char};
use std::sync::LazyLock;

use spark_core::ErrorCode;

/// The request is malformed (empty prompt, bad option).
pub const SPARK_ERROR_INVALID_REQUEST: u32 = 1;
/// An input exceeds a configured size limit.
pub const SPARK_ERROR_INPUT_TOO_LARGE: u32 = 2;
/// An input guard (prompt injection, content filter) refused the request.
pub const SPARK_ERROR_INPUT_REJECTED: u32 = 3;
/// The configuration is invalid; the message names the field.
pub const SPARK_ERROR_INVALID_CONFIG: u32 = 4;
/// A configured provider has no API key.
pub const SPARK_ERROR_MISSING_API_KEY: u32 = 5;
/// Rate limited, locally (per caller) or by the provider (HTTP 429).
pub const SPARK_ERROR_RATE_LIMITED: u32 = 6;
/// Quota or budget exhausted. Not retryable.
pub const SPARK_ERROR_QUOTA_EXCEEDED: u32 = 7;
/// The provider refused the credentials (401/403).
pub const SPARK_ERROR_AUTHENTICATION: u32 = 8;
/// The provider rejected the request (400, 404, 413...).
pub const SPARK_ERROR_PROVIDER_REJECTED: u32 = 9;
/// The provider failed (5xx) or reported an error mid-stream.
pub const SPARK_ERROR_PROVIDER_FAILED: u32 = 10;
/// The provider is overloaded.
pub const SPARK_ERROR_OVERLOADED: u32 = 11;
/// A deadline passed (connect, first token, idle gap, total).
pub const SPARK_ERROR_TIMEOUT: u32 = 12;
/// The connection failed or was reset.
pub const SPARK_ERROR_CONNECTION: u32 = 13;
/// The stream ended before its terminal event.
pub const SPARK_ERROR_STREAM_TRUNCATED: u32 = 14;
/// The provider answered something that does not follow its wire format.
pub const SPARK_ERROR_MALFORMED_RESPONSE: u32 = 15;
/// The provider's circuit breaker is open.
pub const SPARK_ERROR_CIRCUIT_OPEN: u32 = 16;
/// The admission queue is full.
pub const SPARK_ERROR_QUEUE_FULL: u32 = 17;
/// The operation was cancelled by the caller.
pub const SPARK_ERROR_CANCELLED: u32 = 18;
/// The model reply contained no C# code.
pub const SPARK_ERROR_NO_CODE: u32 = 19;
/// Blocking diagnostics remained after repair.
pub const SPARK_ERROR_VALIDATION_FAILED: u32 = 20;
/// An export could not be produced (limits, bad names).
pub const SPARK_ERROR_EXPORT: u32 = 21;
/// An archive given to the import side is unsafe.
pub const SPARK_ERROR_UNSAFE_ARCHIVE: u32 = 22;
/// An I/O error.
pub const SPARK_ERROR_IO: u32 = 23;
/// A value crossing the C ABI is not valid (NULL, bad UTF-8, bad JSON, freed handle).
pub const SPARK_ERROR_INVALID_ARGUMENT: u32 = 24;
/// A bug in SPARK (including a caught panic); please report it.
pub const SPARK_ERROR_INTERNAL: u32 = 25;
/// The caller could not be authenticated (request signature, caller key).
pub const SPARK_ERROR_UNAUTHENTICATED: u32 = 26;
/// The output policy holds the result back (blocking security findings); export it only with
/// `allow_unsafe`.
pub const SPARK_ERROR_OUTPUT_BLOCKED: u32 = 27;
/// The caller key is valid but lacks the scope the operation needs.
pub const SPARK_ERROR_FORBIDDEN: u32 = 28;

/// Every macro with the core code it mirrors, in numeric order.
#[cfg(test)]
const TABLE: &[(u32, ErrorCode)] = &[
    (SPARK_ERROR_INVALID_REQUEST, ErrorCode::InvalidRequest),
    (SPARK_ERROR_INPUT_TOO_LARGE, ErrorCode::InputTooLarge),
    (SPARK_ERROR_INPUT_REJECTED, ErrorCode::InputRejected),
    (SPARK_ERROR_INVALID_CONFIG, ErrorCode::InvalidConfig),
    (SPARK_ERROR_MISSING_API_KEY, ErrorCode::MissingApiKey),
    (SPARK_ERROR_RATE_LIMITED, ErrorCode::RateLimited),
    (SPARK_ERROR_QUOTA_EXCEEDED, ErrorCode::QuotaExceeded),
    (SPARK_ERROR_AUTHENTICATION, ErrorCode::Authentication),
    (SPARK_ERROR_PROVIDER_REJECTED, ErrorCode::ProviderRejected),
    (SPARK_ERROR_PROVIDER_FAILED, ErrorCode::ProviderFailed),
    (SPARK_ERROR_OVERLOADED, ErrorCode::Overloaded),
    (SPARK_ERROR_TIMEOUT, ErrorCode::Timeout),
    (SPARK_ERROR_CONNECTION, ErrorCode::Connection),
    (SPARK_ERROR_STREAM_TRUNCATED, ErrorCode::StreamTruncated),
    (SPARK_ERROR_MALFORMED_RESPONSE, ErrorCode::MalformedResponse),
    (SPARK_ERROR_CIRCUIT_OPEN, ErrorCode::CircuitOpen),
    (SPARK_ERROR_QUEUE_FULL, ErrorCode::QueueFull),
    (SPARK_ERROR_CANCELLED, ErrorCode::Cancelled),
    (SPARK_ERROR_NO_CODE, ErrorCode::NoCode),
    (SPARK_ERROR_VALIDATION_FAILED, ErrorCode::ValidationFailed),
    (SPARK_ERROR_EXPORT, ErrorCode::Export),
    (SPARK_ERROR_UNSAFE_ARCHIVE, ErrorCode::UnsafeArchive),
    (SPARK_ERROR_IO, ErrorCode::Io),
    (SPARK_ERROR_INVALID_ARGUMENT, ErrorCode::InvalidArgument),
    (SPARK_ERROR_INTERNAL, ErrorCode::Internal),
    (SPARK_ERROR_UNAUTHENTICATED, ErrorCode::Unauthenticated),
    (SPARK_ERROR_OUTPUT_BLOCKED, ErrorCode::OutputBlocked),
    (SPARK_ERROR_FORBIDDEN, ErrorCode::Forbidden),
];

/// NUL-terminated names of every core code, built from `ErrorCode::ALL` so new codes get one.
static NAMES: LazyLock<BTreeMap<u32, CString>> = LazyLock::new(|| {
    ErrorCode::ALL.iter().map(|c| (c.as_u32(), CString::new(c.as_str()).unwrap_or_default())).collect()
});

/// `code`'s name as a static C string.
pub(crate) fn static_name(code: ErrorCode) -> *const c_char {
    NAMES.get(&code.as_u32()).map_or(std::ptr::null(), |s| s.as_ptr())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macros_mirror_every_core_code() {
        assert_eq!(TABLE.len(), ErrorCode::ALL.len(), "a core ErrorCode has no SPARK_ERROR_* macro");
        for ((value, code), core) in TABLE.iter().zip(ErrorCode::ALL) {
            assert_eq!(code, core);
            assert_eq!(*value, core.as_u32(), "{core}");
        }
    }
}
