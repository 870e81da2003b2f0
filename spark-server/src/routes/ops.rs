//! Operations: liveness, readiness, metrics, security.txt and the OpenAPI document.

use std::time::{Duration, SystemTime};

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::config::SecurityTxtConfig;
use crate::state::AppState;

/// Liveness.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Alive {
    /// Always `ok`.
    pub status: &'static str,
    /// The server's version.
    pub version: &'static str,
}

/// Liveness: the process answers. A load balancer restarts it when this fails.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, body = Alive)))]
pub async fn healthz() -> Json<Alive> {
    Json(Alive { status: "ok", version: env!("CARGO_PKG_VERSION") })
}

/// Readiness: at least one provider is usable and the server is not draining; 503 otherwise,
/// with the library's health report either way.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses((status = 200, description = "Ready; the health report", body = Object),
              (status = 503, description = "Not ready (draining, or no provider usable)", body = Object)))]
pub async fn readyz(State(state): State<AppState>) -> Response {
    let health = state.spark.health();
    let draining = state.drain.is_draining();
    let ready = health.ready && !draining;
    let mut body = health.to_json();
    if let Some(o) = body.as_object_mut() {
        o.insert("ready".into(), ready.into());
        o.insert("draining".into(), draining.into());
        o.insert("inflight".into(), state.drain.inflight().into());
    }
    let status = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(body)).into_response()
}

/// Prometheus metrics: the library's, then the server's HTTP metrics.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text format 0.0.4", content_type = "text/plain", body = String)))]
pub async fn metrics(State(state): State<AppState>) -> Response {
    state.http.inflight.set(i64::try_from(state.drain.inflight()).unwrap_or(i64::MAX));
    let mut text = state.spark.metrics_text();
    text.push_str(&state.http.encode());
    let mut res = text.into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"));
    res
}

/// The RFC 9116 security contact file.
#[utoipa::path(get, path = "/.well-known/security.txt", tag = "operations",
    responses((status = 200, content_type = "text/plain", body = String), (status = 404, description = "No contact configured")))]
pub async fn security_txt(State(state): State<AppState>) -> Response {
    match render_security_txt(&state.config.security_txt, state.started) {
        Some(text) => {
            let mut res = text.into_response();
            res.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
            res
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The file's text, or `None` without a contact. `Expires` defaults to a year after `started`.
pub fn render_security_txt(c: &SecurityTxtConfig, started: SystemTime) -> Option<String> {
    if c.contact.is_empty() {
        return None;
    }
    let mut out = String::new();
    for contact in &c.contact {
        out.push_str(&format!("Contact: {contact}\n"));
    }
    let expires = match &c.expires {
        Some(e) => e.clone(),
        None => humantime::format_rfc3339_seconds(started + Duration::from_secs(365 * 24 * 3600)).to_string(),
    };
    out.push_str(&format!("Expires: {expires}\n"));
    for (field, value) in [
        ("Encryption", &c.encryption),
        ("Policy", &c.policy),
        ("Preferred-Languages", &c.preferred_languages),
        ("Canonical", &c.canonical),
    ] {
        if let Some(v) = value {
            out.push_str(&format!("{field}: {v}\n"));
        }
    }
    Some(out)
}

/// The OpenAPI 3.1 document of this server, generated from the routes.
pub async fn openapi(State(state): State<AppState>) -> Response {
    let mut res = state.openapi.as_str().to_string().into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    res
}
