//! Errors as RFC 9457 problem details (`application/problem+json`), each carrying SPARK's
//! stable error code and the request id, so a caller can tell causes apart without parsing text
//! and support can find the request.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use spark_core::{Error, ErrorCode};
use utoipa::ToSchema;

/// The media type of a problem.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// One problem (RFC 9457), with SPARK's extension members.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem: `urn:spark:problem:<code>`.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary of the kind.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong in this case (never a key, a signature or a prompt).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// SPARK's stable error code (`rate_limited`, `unauthenticated`, …).
    pub code: String,
    /// The request id (also in the `x-request-id` header).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// For `unauthenticated`: the stable cause (`missing_credentials`, `bad_signature`,
    /// `replayed`, `expired`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Seconds to wait before retrying (also in `Retry-After`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
}

impl Problem {
    /// A problem of `status` with SPARK code `code`.
    pub fn new(status: StatusCode, code: &str, detail: impl Into<String>) -> Self {
        Problem {
            kind: format!("urn:spark:problem:{code}"),
            title: status.canonical_reason().unwrap_or("Error").to_string(),
            status: status.as_u16(),
            detail: Some(detail.into()).filter(|d: &String| !d.is_empty()),
            code: code.to_string(),
            request_id: None,
            reason: None,
            retry_after: None,
        }
    }

    /// 401 with a stable reason.
    pub fn unauthenticated(reason: &str, detail: impl Into<String>) -> Self {
        Problem {
            reason: Some(reason.to_string()),
            ..Problem::new(StatusCode::UNAUTHORIZED, "unauthenticated", detail)
        }
    }

    /// 503 asking the caller to come back after `retry_after_s`.
    pub fn unavailable(code: &str, detail: impl Into<String>, retry_after_s: u64) -> Self {
        Problem {
            retry_after: Some(retry_after_s),
            ..Problem::new(StatusCode::SERVICE_UNAVAILABLE, code, detail)
        }
    }

    /// The problem a protocol-level status (404, 405, 408, 413, …) stands for.
    pub fn for_status(status: StatusCode) -> Self {
        let (code, detail) = match status {
            StatusCode::NOT_FOUND => ("not_found", "no such resource"),
            StatusCode::METHOD_NOT_ALLOWED => ("method_not_allowed", "method not allowed on this resource"),
            StatusCode::PAYLOAD_TOO_LARGE => {
                ("input_too_large", "the request body is larger than the server accepts")
            }
            StatusCode::REQUEST_TIMEOUT => ("timeout", "the request was not received in time"),
            StatusCode::GATEWAY_TIMEOUT => {
                ("timeout", "the request did not finish within the server's deadline")
            }
            StatusCode::UNSUPPORTED_MEDIA_TYPE => {
                ("invalid_request", "expected `Content-Type: application/json`")
            }
            s if s.is_server_error() => ("internal", "the server failed to handle the request"),
            _ => ("invalid_request", ""),
        };
        Problem::new(status, code, detail)
    }

    /// Sets the request id.
    pub fn with_request_id(mut self, id: Option<&str>) -> Self {
        if self.request_id.is_none() {
            self.request_id = id.map(str::to_string);
        }
        self
    }

    /// The status as a `StatusCode`.
    pub fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

/// The HTTP status an error code stands for: the caller's mistakes are 4xx, a provider's
/// failures 502/503/504, SPARK's own 500.
pub fn status_of(code: ErrorCode) -> StatusCode {
    use ErrorCode as C;
    match code {
        C::InvalidRequest | C::InvalidArgument => StatusCode::BAD_REQUEST,
        C::InputTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        C::InputRejected
        | C::NoCode
        | C::ValidationFailed
        | C::OutputBlocked
        | C::UnsafeArchive
        | C::Export => StatusCode::UNPROCESSABLE_ENTITY,
        C::RateLimited | C::QuotaExceeded => StatusCode::TOO_MANY_REQUESTS,
        C::Unauthenticated => StatusCode::UNAUTHORIZED,
        C::Forbidden => StatusCode::FORBIDDEN,
        C::Authentication
        | C::ProviderRejected
        | C::ProviderFailed
        | C::Connection
        | C::StreamTruncated
        | C::MalformedResponse => StatusCode::BAD_GATEWAY,
        C::Overloaded | C::CircuitOpen | C::QueueFull => StatusCode::SERVICE_UNAVAILABLE,
        C::Timeout => StatusCode::GATEWAY_TIMEOUT,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl From<&Error> for Problem {
    fn from(e: &Error) -> Self {
        let code = e.code();
        let status = status_of(code);
        // A provider's key being refused is the operator's problem, not the caller's: say so
        // without the provider's words, which may quote the key's prefix.
        let detail = match code {
            ErrorCode::Authentication => "the model provider refused the server's credentials".to_string(),
            ErrorCode::MissingApiKey | ErrorCode::InvalidConfig | ErrorCode::Io | ErrorCode::Internal => {
                "the server failed to handle the request".to_string()
            }
            _ => e.to_string(),
        };
        let mut p = Problem::new(status, code.as_str(), detail);
        if let Error::Unauthenticated { reason, .. } = e {
            p.reason = Some(reason.clone());
        }
        p.retry_after = e.retry_after().map(|d| d.as_secs().max(1));
        p
    }
}

impl From<Error> for Problem {
    fn from(e: Error) -> Self {
        if matches!(status_of(e.code()), s if s.is_server_error()) {
            tracing::error!(code = e.code().as_str(), error = %e, "request failed");
        }
        Problem::from(&e)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = self.status_code();
        let retry = self.retry_after;
        let unauth = status == StatusCode::UNAUTHORIZED;
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut res = (status, body).into_response();
        let h = res.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if let Some(s) = retry {
            h.insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        if unauth {
            h.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"spark\""));
        }
        // Marks the body as final, so the outer layer does not rewrite it.
        res.extensions_mut().insert(IsProblem);
        res
    }
}

/// Set on responses whose body already is a problem.
#[derive(Debug, Clone, Copy)]
pub struct IsProblem;
