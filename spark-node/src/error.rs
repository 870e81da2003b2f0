//! The one place where SPARK errors become JavaScript errors.
//!
//! Every error SPARK raises reaches JavaScript as an `Error` named `SparkError` carrying
//! `code` (the stable snake_case name, e.g. `"rate_limited"`), `codeNumber` (the stable number),
//! `retryable`, `retryAfter` (seconds, when known), `partialText` (text streamed before the
//! failure, when any), `provider` / `httpStatus` / `requestId` (provider failures),
//! `diagnostics` (`validation_failed`) and a `cause` chain: for a provider failure first a
//! `ProviderError` with what the provider said (`message`, `errorType`, `httpStatus`), then the
//! [`std::error::Error::source`] chain. Arguments of the wrong type become a `TypeError` with code
//! `"invalid_argument"`.
//!
//! The error objects are built on the JavaScript thread (napi's own error type carries only a
//! status and a message); [`napi::Error::from`] an [`Unknown`] keeps a reference to the object,
//! so napi throws or rejects with exactly that object.

use std::any::Any;

use napi::bindgen_prelude::{JsObjectValue, JsValue, Object, Unknown};
use napi::{Env, JsError, JsTypeError};
use spark_core::{Error, ErrorCode, ProviderError};

use crate::types::Diagnostic;

/// `name` of every error SPARK raises.
const ERROR_NAME: &str = "SparkError";

/// Longest `cause` chain copied to JavaScript (sources are user data; stay bounded).
const MAX_CAUSES: usize = 16;

/// `{ code: codeNumber }` for every [`ErrorCode`], so JavaScript can list and compare them.
pub fn error_codes() -> Vec<(String, u32)> {
    ErrorCode::ALL.iter().map(|c| (c.as_str().to_owned(), c.as_u32())).collect()
}

/// A SPARK error as a JavaScript `Error` object (a napi error holding a reference to it).
pub fn to_js(env: &Env, error: &Error) -> napi::Error {
    match build(env, error) {
        Ok(object) => napi::Error::from(object.to_unknown()),
        // Building the object failed (the environment is shutting down): napi's own error still
        // carries the code and message.
        Err(_) => napi::Error::new(napi::Status::GenericFailure, format!("{}: {error}", error.code())),
    }
}

/// The JavaScript error for an error of the generation `request_id`: `sparkRequestId` names it
/// (`requestId` stays the provider's). Reported to the error tracker (feature `sentry`).
pub fn to_js_for(env: &Env, error: &Error, request_id: Option<&str>) -> napi::Error {
    spark_core::observe::report::report_error(error, request_id, "node");
    let built = build(env, error).and_then(|mut object| {
        if let Some(id) = request_id {
            object.set("sparkRequestId", id)?;
        }
        Ok(object)
    });
    match built {
        Ok(object) => napi::Error::from(object.to_unknown()),
        Err(_) => napi::Error::new(napi::Status::GenericFailure, format!("{}: {error}", error.code())),
    }
}

fn build<'env>(env: &'env Env, error: &Error) -> napi::Result<Object<'env>> {
    let code = error.code();
    let unknown = JsError::from(napi::Error::new(code.as_str(), error.to_string())).into_unknown(*env);
    let mut object = unknown.coerce_to_object()?;
    object.set("name", ERROR_NAME)?;
    object.set("codeNumber", code.as_u32())?;
    object.set("retryable", error.is_retryable())?;
    if let Some(after) = error.retry_after() {
        object.set("retryAfter", after.as_secs_f64())?;
    }
    if let Some(text) = error.partial_text() {
        object.set("partialText", text)?;
    }
    if let Some(p) = error.provider_error() {
        object.set("provider", p.provider.as_str())?;
        if let Some(status) = p.status {
            object.set("httpStatus", u32::from(status))?;
        }
        if let Some(id) = &p.request_id {
            object.set("requestId", id.as_str())?;
        }
    }
    match error {
        Error::InputRejected { guard, .. } => object.set("guard", guard.as_str())?,
        Error::Unauthenticated { reason, .. } => object.set("reason", reason.as_str())?,
        Error::OutputBlocked { rules } => object.set("rules", rules.clone())?,
        Error::Forbidden { scope, .. } => object.set("scope", scope.as_str())?,
        _ => {}
    }
    if let Error::ValidationFailed { diagnostics } = error {
        object.set("diagnostics", diagnostics.iter().map(Diagnostic::from).collect::<Vec<_>>())?;
    }
    let sources = causes(env, std::error::Error::source(error), MAX_CAUSES)?;
    let cause = match error.provider_error() {
        Some(p) => Some(provider_cause(env, p, sources)?),
        None => sources,
    };
    if let Some(cause) = cause {
        object.set("cause", cause)?;
    }
    Ok(object)
}

/// What the provider itself reported (its message and error type), as the `cause` of the
/// `SparkError` that classifies it, followed by the underlying `source()` chain.
fn provider_cause<'env>(
    env: &'env Env,
    p: &ProviderError,
    sources: Option<Unknown<'env>>,
) -> napi::Result<Unknown<'env>> {
    let unknown = JsError::from(napi::Error::from_reason(p.message.clone())).into_unknown(*env);
    let mut object = unknown.coerce_to_object()?;
    object.delete_named_property("code")?;
    object.set("name", "ProviderError")?;
    object.set("provider", p.provider.as_str())?;
    if let Some(status) = p.status {
        object.set("httpStatus", u32::from(status))?;
    }
    if let Some(kind) = &p.error_type {
        object.set("errorType", kind.as_str())?;
    }
    if let Some(inner) = sources {
        object.set("cause", inner)?;
    }
    Ok(object.to_unknown())
}

/// The `source()` chain as nested `Error` objects linked through `cause` ("Caused by").
fn causes<'env>(
    env: &'env Env,
    source: Option<&(dyn std::error::Error + 'static)>,
    budget: usize,
) -> napi::Result<Option<Unknown<'env>>> {
    let Some(source) = source else { return Ok(None) };
    if budget == 0 {
        return Ok(None);
    }
    let unknown = JsError::from(napi::Error::from_reason(source.to_string())).into_unknown(*env);
    let mut object = unknown.coerce_to_object()?;
    // napi sets `code` to its own status name; a cause has no SPARK code of its own.
    object.delete_named_property("code")?;
    if let Some(inner) = causes(env, source.source(), budget - 1)? {
        object.set("cause", inner)?;
    }
    Ok(Some(object.to_unknown()))
}

/// A `TypeError` (code `invalid_argument`) for an argument of the wrong type.
pub fn type_error(env: &Env, message: impl Into<String>) -> napi::Error {
    let code = ErrorCode::InvalidArgument;
    let unknown = JsTypeError::from(napi::Error::new(code.as_str(), message.into())).into_unknown(*env);
    if let Ok(mut object) = unknown.coerce_to_object() {
        let _ = object.set("codeNumber", code.as_u32());
    }
    napi::Error::from(unknown)
}

/// A caught panic as SPARK's `internal` error, so a bug never takes the host process down.
pub fn panic_error(payload: Box<dyn Any + Send>) -> Error {
    let detail = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned());
    Error::Internal(format!("panic in spark-node: {detail}"))
}

/// Runs `f`, turning a panic into SPARK's `internal` error.
pub fn guard<T>(f: impl FnOnce() -> Result<T, Error>) -> Result<T, Error> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|p| Err(panic_error(p)))
}

/// Why a call failed, kept as Rust data until the JavaScript thread can build the error object.
pub enum Failure {
    /// An argument of the wrong type (becomes a `TypeError`).
    Type(String),
    /// A SPARK error.
    Spark(Error),
    /// An exception thrown by JavaScript (a stream callback), passed on as it is.
    Js(napi::Error),
    /// A SPARK error of the generation with this request id.
    Generation(Error, Option<String>),
}

impl Failure {
    /// The JavaScript error for this failure.
    pub fn into_js(self, env: &Env) -> napi::Error {
        match self {
            Failure::Type(message) => type_error(env, message),
            Failure::Spark(error) => to_js(env, &error),
            Failure::Js(error) => error,
            Failure::Generation(error, id) => to_js_for(env, &error, id.as_deref()),
        }
    }

    /// Ties a SPARK error to the generation `request_id`.
    pub fn in_generation(self, request_id: Option<&str>) -> Failure {
        match self {
            Failure::Spark(error) => Failure::Generation(error, request_id.map(str::to_owned)),
            other => other,
        }
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Spark(e)
    }
}

impl From<crate::args::ArgError> for Failure {
    fn from(e: crate::args::ArgError) -> Self {
        Failure::Type(e.0)
    }
}
