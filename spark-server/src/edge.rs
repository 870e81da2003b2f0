//! The application's own middleware: the edge every request passes first (its request id,
//! draining and load shedding, the access log, problem details for every error response, a 404
//! or a 413 from a tower layer included), and authentication before every `/v1` handler.

use std::time::Instant;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use spark_core::keys::bearer_key;

use crate::auth::Principal;
use crate::config::AuthMode;
use crate::http::{AccessNote, REQUEST_ID, RequestId, Tracked};
use crate::problem::{IsProblem, Problem};
use crate::state::{AppState, HttpLabels, RouteLabels};

/// Routes that answer even under load or while draining: probes must see the truth.
fn is_probe(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz" | "/metrics")
}

/// A caller's id, kept when it is short printable ASCII; otherwise a fresh one.
fn request_id(req: &Request) -> String {
    req.headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|s| {
            !s.is_empty()
                && s.len() <= spark_core::MAX_REQUEST_ID_BYTES
                && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
        })
        .map_or_else(spark_core::observe::trace::new_request_id, str::to_string)
}

/// The edge middleware (see the module docs).
pub async fn edge(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    let rid = request_id(&req);
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let probe = is_probe(&path);
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |m| m.as_str().to_string());
    let drain = &state.drain;

    let admitted = if drain.is_draining() && path != "/healthz" {
        let mut p = Problem::unavailable(
            "draining",
            "the server is shutting down; retry on another instance",
            state.config.limits.retry_after_s,
        )
        .with_request_id(Some(&rid))
        .into_response();
        p.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
        Err(p)
    } else if probe {
        Ok(None)
    } else {
        match state.gate.clone().try_acquire_owned() {
            Ok(permit) => Ok(Some(permit)),
            Err(_) => {
                state.shed.inc();
                Err(Problem::unavailable(
                    "overloaded",
                    "too many requests in flight; retry shortly",
                    state.config.limits.retry_after_s,
                )
                .with_request_id(Some(&rid))
                .into_response())
            }
        }
    };
    let note = AccessNote::default();
    let mut res = match admitted {
        Err(res) => res,
        Ok(permit) => {
            req.extensions_mut().insert(RequestId(rid.clone()));
            req.extensions_mut().insert(note.clone());
            let tracker = drain.enter(permit);
            let res = next.run(req).await;
            let res = problem_for_errors(res, &rid).await;
            res.map(|b| Body::new(Tracked::new(b, tracker)))
        }
    };
    if let Ok(v) = HeaderValue::from_str(&rid) {
        res.headers_mut().insert(REQUEST_ID, v);
    }
    let status = res.status().as_u16();
    let elapsed = started.elapsed();
    state
        .http
        .requests
        .get_or_create(&HttpLabels { route: route.clone(), method: method.as_str().to_string(), status })
        .inc();
    state.http.duration.get_or_create(&RouteLabels { route }).observe(elapsed.as_secs_f64());
    if state.config.access_log && !probe {
        tracing::info!(
            target: "spark_server::access",
            request_id = %rid,
            method = %method,
            path = %&path[..path.floor_char_boundary(256)],
            status,
            latency_ms = elapsed.as_secs_f64() * 1e3,
            key_id = note.key_id(),
            "request"
        );
    }
    res
}

/// Error responses that are not problems yet (axum's 404 and 405, tower-http's 413 and 408,
/// a 504 from the deadline) become one, keeping their other headers (`Allow`).
async fn problem_for_errors(res: Response, rid: &str) -> Response {
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    if res.extensions().get::<IsProblem>().is_some() {
        return add_request_id_to_problem(res, rid).await;
    }
    let (mut parts, _) = res.into_parts();
    let problem = Problem::for_status(status).with_request_id(Some(rid));
    let fresh = problem.into_response();
    parts.headers.remove(header::CONTENT_LENGTH);
    let (fresh_parts, body) = fresh.into_parts();
    parts.headers.extend(fresh_parts.headers);
    parts.extensions.extend(fresh_parts.extensions);
    Response::from_parts(parts, body)
}

/// Problems built before the request id was known (in extractors) get it here.
async fn add_request_id_to_problem(res: Response, rid: &str) -> Response {
    let (parts, body) = res.into_parts();
    // Problems are small and already in memory: reading one back never waits on a client.
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return Response::from_parts(parts, Body::empty());
    };
    let Ok(mut p) = serde_json::from_slice::<Problem>(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    if p.request_id.is_some() {
        return Response::from_parts(parts, Body::from(bytes));
    }
    p.request_id = Some(rid.to_string());
    let mut parts = parts;
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(serde_json::to_vec(&p).unwrap_or_default()))
}

/// The authentication middleware (see the module docs).
pub async fn authenticate(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let rid = req.extensions().get::<RequestId>().map(|r| r.0.clone());
    match check(&state, req).await {
        Ok(req) => next.run(req).await,
        Err(p) => p.with_request_id(rid.as_deref()).into_response(),
    }
}

async fn check(state: &AppState, req: Request) -> Result<Request, Problem> {
    let auth = &state.auth;
    let header = req.headers().get(axum::http::header::AUTHORIZATION);
    let principal = match header {
        None if auth.mode == AuthMode::None => Principal::anonymous(),
        None => {
            return Err(Problem::unauthenticated(
                "missing_credentials",
                "send `Authorization: Bearer <caller key or token>`",
            ));
        }
        Some(value) => {
            let text = value.to_str().map_err(|_| {
                Problem::unauthenticated("malformed_credentials", "the Authorization header is not ASCII")
            })?;
            let token = bearer_key(text).ok_or_else(|| {
                Problem::unauthenticated("malformed_credentials", "expected the Bearer scheme")
            })?;
            if token.starts_with(spark_core::keys::KEY_PREFIX) {
                Principal::from_key(state.spark.verify_key(token).await.map_err(Problem::from)?)
            } else if let Some(jwt) = &auth.jwt {
                jwt.verify(token).await?
            } else {
                return Err(Problem::unauthenticated(
                    "malformed_key",
                    "not a SPARK caller key (spk_<id>_<secret>)",
                ));
            }
        }
    };
    let mut req = match &auth.signing {
        Some(s) if s.applies_to(&principal) => {
            s.verify(req, &principal, state.config.limits.max_body_bytes).await?
        }
        _ => req,
    };
    tracing::Span::current().record("key_id", principal.key_id.as_deref().unwrap_or("-"));
    if let Some(log) = req.extensions().get::<AccessNote>() {
        log.set_key_id(principal.key_id.as_deref().unwrap_or(principal.via));
    }
    req.extensions_mut().insert(principal);
    Ok(req)
}
