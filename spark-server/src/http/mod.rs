//! HTTP building blocks below the application state: request ids, bounded bodies, the drain
//! count, JSON extraction within limits, security headers.

mod body;
pub mod headers;
mod json;

use std::sync::{Arc, OnceLock};

use axum::http::StatusCode;

pub use body::{Drain, Tracked, Tracker, read_body};
pub use json::{ApiJson, json_depth};

use crate::problem::Problem;

/// The request id header, read from callers and always answered.
pub const REQUEST_ID: &str = "x-request-id";

/// This request's id (in the request's extensions).
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// What the access log learns while the request runs (the caller key's id, once known).
#[derive(Debug, Clone, Default)]
pub struct AccessNote(Arc<OnceLock<String>>);

impl AccessNote {
    /// Records the caller key's public id (or how the caller authenticated).
    pub fn set_key_id(&self, id: &str) {
        let _ = self.0.set(id.to_string());
    }

    /// The recorded id, `-` when none.
    pub fn key_id(&self) -> &str {
        self.0.get().map_or("-", String::as_str)
    }
}

/// 408 for a body that came too slowly, 413 for one too large, 400 otherwise.
pub(crate) fn body_problem(e: &(dyn std::error::Error + 'static)) -> Problem {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if err.is::<http_body_util::LengthLimitError>() {
            return Problem::for_status(StatusCode::PAYLOAD_TOO_LARGE);
        }
        if err.is::<tower_http::timeout::TimeoutError>() {
            return Problem::for_status(StatusCode::REQUEST_TIMEOUT);
        }
        cur = err.source();
    }
    Problem::new(StatusCode::BAD_REQUEST, "invalid_request", "the request body could not be read")
}
