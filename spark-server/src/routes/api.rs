//! The generation API: generate, generate as Server-Sent Events, validate, export.

use std::convert::Infallible;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::{Stream, StreamExt};
use serde::{Deserialize, Serialize};
use spark_core::keys::{SCOPE_EXPORT, SCOPE_GENERATE, SCOPE_VALIDATE};
use spark_core::{Diagnostic, ExportFormat, GenerateRequest, GeneratedScripts, ScriptFile};
use utoipa::ToSchema;

use crate::auth::Principal;
use crate::http::{ApiJson, RequestId};
use crate::problem::Problem;
use crate::state::AppState;

/// Scope a key needs to receive code the output policy holds back (`allow_unsafe`).
pub const SCOPE_ALLOW_UNSAFE: &str = "allow_unsafe";

/// A generation request. The caller and tier come from the credential, the request id from the
/// `x-request-id` header and the trace from `traceparent`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GenerateBody {
    /// What to build, in plain words.
    #[schema(example = "a third-person controller with double jump")]
    pub prompt: String,
    /// Model override for the primary provider.
    pub model: Option<String>,
    /// Output token limit override.
    pub max_tokens: Option<u32>,
    /// Temperature override.
    pub temperature: Option<f32>,
    /// Repair rounds override (0 to 10).
    pub repair_rounds: Option<u32>,
    /// Only this provider of the server's chain answers (see `GET /v1/options`); no fallback.
    #[schema(example = "offline")]
    pub provider: Option<String>,
    /// The Unity version to target (`2021.3`, `2022.3`, `6000.0`): the prompt and the checks.
    #[schema(example = "6000.0")]
    pub unity_version: Option<String>,
    /// Bypass the response cache.
    #[serde(default)]
    pub no_cache: bool,
    /// Receive code the output policy holds back (needs the `allow_unsafe` scope).
    #[serde(default)]
    pub allow_unsafe: bool,
}

fn request(
    state: &AppState,
    who: &Principal,
    rid: &RequestId,
    headers: &HeaderMap,
    body: GenerateBody,
) -> Result<GenerateRequest, Problem> {
    who.require(SCOPE_GENERATE)?;
    if body.allow_unsafe {
        who.require(SCOPE_ALLOW_UNSAFE)?;
    }
    let _ = state;
    let mut req = who.apply(GenerateRequest::new(body.prompt)).request_id(rid.0.clone());
    if let Some(tp) = headers.get("traceparent").and_then(|v| v.to_str().ok()) {
        req = req.traceparent(tp);
    }
    if let Some(m) = body.model {
        req = req.model(m);
    }
    if let Some(n) = body.max_tokens {
        req = req.max_tokens(n);
    }
    if let Some(t) = body.temperature {
        req = req.temperature(t);
    }
    if let Some(r) = body.repair_rounds {
        req = req.repair_rounds(r);
    }
    if let Some(p) = body.provider {
        req = req.provider(p);
    }
    if let Some(v) = body.unity_version {
        req = req.unity_version(v);
    }
    if body.no_cache {
        req = req.no_cache();
    }
    Ok(req.allow_unsafe(body.allow_unsafe))
}

/// Unity versions offered as choices: the long-term-support lines models know best. Any version
/// Unity names (`2023.2`, `2021.3.15f1`) is accepted in a request.
pub const SUGGESTED_UNITY_VERSIONS: &[&str] = &["2021.3", "2022.3", "6000.0"];

/// What a generation request may choose on this server.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OptionsReply {
    /// The provider chain, in fallback order: each a `provider` a request may name.
    pub providers: Vec<ProviderChoice>,
    /// The Unity version a request without one targets.
    pub default_unity_version: String,
    /// Unity versions to offer (the default among them).
    pub unity_versions: Vec<String>,
    /// Export formats (`POST /v1/export`).
    pub export_formats: Vec<String>,
}

/// One provider of the chain.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProviderChoice {
    /// Its name (`anthropic`, `openai`, `offline`).
    pub name: String,
    /// The model it uses unless a request names one.
    pub model: String,
}

/// The providers, Unity versions and export formats a request may choose.
#[utoipa::path(
    get, path = "/v1/options", tag = "generate",
    responses(
        (status = 200, description = "The choices", body = OptionsReply),
        (status = "4XX", description = "Refused", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn options(State(state): State<AppState>, _who: Principal) -> Json<OptionsReply> {
    let spark = &state.spark;
    let default = spark.config().generation.unity_version.clone();
    let mut unity_versions: Vec<String> = SUGGESTED_UNITY_VERSIONS.iter().map(|v| v.to_string()).collect();
    if !unity_versions.contains(&default) {
        unity_versions.push(default.clone());
        unity_versions.sort();
    }
    Json(OptionsReply {
        providers: spark
            .providers()
            .iter()
            .map(|p| ProviderChoice { name: p.name().to_string(), model: p.default_model().to_string() })
            .collect(),
        default_unity_version: default,
        unity_versions,
        export_formats: ExportFormat::ALL.iter().map(|f| f.as_str().to_string()).collect(),
    })
}

/// Generates, validates and repairs scripts.
#[utoipa::path(
    post, path = "/v1/generate", tag = "generate",
    request_body = GenerateBody,
    params(("x-request-id" = Option<String>, Header, description = "Your id for this request"),
           ("traceparent" = Option<String>, Header, description = "W3C trace context")),
    responses(
        (status = 200, description = "The scripts, their diagnostics, usage and cost", body = GeneratedScripts),
        (status = "4XX", description = "The request was refused", body = Problem, content_type = "application/problem+json"),
        (status = "5XX", description = "The server or the model provider failed", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["generate"]))
)]
pub async fn generate(
    State(state): State<AppState>,
    who: Principal,
    axum::Extension(rid): axum::Extension<RequestId>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<GenerateBody>,
) -> Result<Json<GeneratedScripts>, Problem> {
    let req = request(&state, &who, &rid, &headers, body)?;
    match state.spark.generate(req).await {
        Ok(out) => Ok(Json(out)),
        Err(e) => Err(Problem::from(e).with_request_id(Some(&rid.0))),
    }
}

/// Generates as a stream of Server-Sent Events: `started`, `delta`, `repairing`,
/// `diagnostics`, then `done` with the result, or `error` with a problem.
#[utoipa::path(
    post, path = "/v1/generate/stream", tag = "generate",
    request_body = GenerateBody,
    responses(
        (status = 200, description = "Events; each `data:` is the JSON of a StreamEvent (or a Problem for `error`)", content_type = "text/event-stream", body = String),
        (status = "4XX", description = "The request was refused", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["generate"]))
)]
pub async fn generate_stream(
    State(state): State<AppState>,
    who: Principal,
    axum::Extension(rid): axum::Extension<RequestId>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<GenerateBody>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, Problem> {
    let req = request(&state, &who, &rid, &headers, body)?;
    let id = rid.0.clone();
    let events = state.spark.generate_stream(req).map(move |item| Ok(sse_event(item, &id)));
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}

fn sse_event(item: spark_core::Result<spark_core::StreamEvent>, rid: &str) -> Event {
    let (name, data) = match item {
        Ok(ev) => {
            let value = serde_json::to_value(&ev).unwrap_or_default();
            let name = value.get("type").and_then(|t| t.as_str()).unwrap_or("event").to_string();
            (name, value)
        }
        Err(e) => (
            "error".to_string(),
            serde_json::to_value(Problem::from(e).with_request_id(Some(rid))).unwrap_or_default(),
        ),
    };
    Event::default().event(name).data(data.to_string())
}

/// A C# file to validate.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ValidateBody {
    /// The source text.
    pub source: String,
    /// Its file name (`Player.cs`): the class-name rules compare against it.
    pub file_name: String,
}

/// What validation found.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ValidateReply {
    /// Findings, in source order.
    pub diagnostics: Vec<Diagnostic>,
}

/// Validates one C# file (syntax, Unity rules, security scan).
#[utoipa::path(
    post, path = "/v1/validate", tag = "validate",
    request_body = ValidateBody,
    responses(
        (status = 200, description = "The diagnostics", body = ValidateReply),
        (status = "4XX", description = "The request was refused", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["validate"]))
)]
pub async fn validate(
    State(state): State<AppState>,
    who: Principal,
    ApiJson(body): ApiJson<ValidateBody>,
) -> Result<Json<ValidateReply>, Problem> {
    who.require(SCOPE_VALIDATE)?;
    let spark = state.spark.clone();
    // Parsing is CPU work: off the I/O threads.
    let diagnostics = tokio::task::spawn_blocking(move || spark.validate(&body.source, &body.file_name))
        .await
        .map_err(|_| Problem::for_status(StatusCode::INTERNAL_SERVER_ERROR))??;
    Ok(Json(ValidateReply { diagnostics }))
}

/// What to export: a whole result of `/v1/generate`, or bare files.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExportBody {
    /// `zip`, `upm` (a `.tgz` package) or `unitypackage`.
    #[schema(example = "zip")]
    pub format: String,
    /// A result of `/v1/generate` (its manifest records provider, model and diagnostics).
    pub result: Option<GeneratedScripts>,
    /// Bare files, when there is no result.
    pub files: Option<Vec<ScriptFile>>,
    /// Export files the output policy held back (needs the `allow_unsafe` scope).
    #[serde(default)]
    pub allow_unsafe: bool,
}

/// Builds an archive Unity imports, as a download.
#[utoipa::path(
    post, path = "/v1/export", tag = "export",
    request_body = ExportBody,
    responses(
        (status = 200, description = "The archive", content_type = "application/octet-stream", body = Vec<u8>),
        (status = "4XX", description = "The request was refused", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["export"]))
)]
pub async fn export(
    State(state): State<AppState>,
    who: Principal,
    ApiJson(body): ApiJson<ExportBody>,
) -> Result<Response, Problem> {
    who.require(SCOPE_EXPORT)?;
    if body.allow_unsafe {
        who.require(SCOPE_ALLOW_UNSAFE)?;
    }
    let format: ExportFormat = body.format.parse()?;
    let mut config = state.spark.config().export.clone();
    config.allow_unsafe |= body.allow_unsafe;
    let (name, bytes) = tokio::task::spawn_blocking(move || -> spark_core::Result<(String, Vec<u8>)> {
        match (body.result, body.files) {
            (Some(result), None) => {
                Ok((stem(&result.files), spark_core::export::export_generated(&result, format, &config)?))
            }
            (None, Some(files)) => Ok((stem(&files), spark_core::export::export(&files, format, &config)?)),
            _ => Err(spark_core::Error::InvalidRequest("give exactly one of `result` and `files`".into())),
        }
    })
    .await
    .map_err(|_| Problem::for_status(StatusCode::INTERNAL_SERVER_ERROR))??;
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(format.mime_type()));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}.{}\"", format.extension())) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(res)
}

/// The download's name: the first file's stem when it is a plain word, else `spark`.
fn stem(files: &[ScriptFile]) -> String {
    files
        .first()
        .and_then(|f| std::path::Path::new(&f.path).file_stem()?.to_str().map(str::to_string))
        .filter(|s| {
            !s.is_empty()
                && s.len() <= 64
                && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        })
        .unwrap_or_else(|| "spark".to_string())
}
