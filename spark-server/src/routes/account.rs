//! A caller's own usage, and the admin endpoints for keys and everyone's usage.

use std::time::Duration;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use spark_core::keys::{SCOPE_ADMIN, SCOPE_USAGE};
use spark_core::ledger::GroupBy;
use spark_core::{KeyInfo, KeySpec, Period, UsageTotals};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Principal;
use crate::http::ApiJson;
use crate::problem::Problem;
use crate::state::AppState;

/// Which period to report.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodQuery {
    /// `day` (UTC, default), `month` or `all`.
    pub period: Option<String>,
}

/// A caller's usage over a period.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UsageReply {
    /// The caller.
    pub caller: String,
    /// The period.
    pub period: String,
    /// Requests, errors, cache hits, tokens and USD (none when nothing was recorded).
    pub totals: Option<UsageTotals>,
}

fn period(q: Option<&str>) -> Result<(String, Period), Problem> {
    let name = q.unwrap_or("day");
    Ok((name.to_string(), Period::parse(name)?))
}

/// Your own usage and cost.
#[utoipa::path(
    get, path = "/v1/usage", tag = "usage", params(PeriodQuery),
    responses(
        (status = 200, description = "Your totals", body = UsageReply),
        (status = "4XX", description = "Refused", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["usage"]))
)]
pub async fn usage(
    State(state): State<AppState>,
    who: Principal,
    Query(q): Query<PeriodQuery>,
) -> Result<Json<UsageReply>, Problem> {
    who.require(SCOPE_USAGE)?;
    let (name, p) = period(q.period.as_deref())?;
    let totals = state.spark.usage(Some(&who.caller), p).await?.into_iter().next();
    Ok(Json(UsageReply { caller: who.caller, period: name, totals }))
}

/// A key to create.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateKeyBody {
    /// The caller id its requests count under.
    pub caller: String,
    /// Scopes (`generate`, `validate`, `export`, `usage`, `admin`, `allow_unsafe`); default
    /// `generate validate export usage`.
    pub scopes: Option<Vec<String>>,
    /// Tier whose limits apply.
    pub tier: Option<String>,
    /// A label for people.
    pub name: Option<String>,
    /// Lifetime in seconds.
    pub expires_in_s: Option<u64>,
}

/// A key just created. `key` is shown this once.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CreatedKeyReply {
    /// The caller key (`spk_…`): hand it over now, it cannot be recovered.
    pub key: String,
    /// What is stored about it.
    pub info: KeyInfo,
}

/// Lists every key (never their secrets).
#[utoipa::path(get, path = "/v1/admin/keys", tag = "admin",
    responses((status = 200, body = Vec<KeyInfo>), (status = "4XX", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = ["admin"])))]
pub async fn list_keys(State(state): State<AppState>, who: Principal) -> Result<Json<Vec<KeyInfo>>, Problem> {
    who.require(SCOPE_ADMIN)?;
    Ok(Json(state.spark.keys().list().await?))
}

/// Creates a key.
#[utoipa::path(post, path = "/v1/admin/keys", tag = "admin", request_body = CreateKeyBody,
    responses((status = 201, body = CreatedKeyReply), (status = "4XX", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = ["admin"])))]
pub async fn create_key(
    State(state): State<AppState>,
    who: Principal,
    ApiJson(body): ApiJson<CreateKeyBody>,
) -> Result<(StatusCode, Json<CreatedKeyReply>), Problem> {
    who.require(SCOPE_ADMIN)?;
    let created = state.spark.keys().create(spec(body)).await?;
    tracing::info!(key_id = %created.info.id, caller = %created.info.caller, by = who.key_id.as_deref().unwrap_or(who.via), "caller key created");
    Ok((
        StatusCode::CREATED,
        Json(CreatedKeyReply { key: created.secret.expose().to_string(), info: created.info }),
    ))
}

/// The spec of a key from its request.
pub fn spec(body: CreateKeyBody) -> KeySpec {
    let mut spec = KeySpec::new(body.caller);
    if let Some(s) = body.scopes {
        spec = spec.scopes(s);
    }
    if let Some(t) = body.tier {
        spec = spec.tier(t);
    }
    if let Some(n) = body.name {
        spec = spec.name(n);
    }
    if let Some(s) = body.expires_in_s {
        spec = spec.expires_in(Duration::from_secs(s));
    }
    spec
}

/// Revokes a key; it stops working at once.
#[utoipa::path(delete, path = "/v1/admin/keys/{id}", tag = "admin",
    params(("id" = String, Path, description = "The key's public id")),
    responses((status = 200, body = KeyInfo), (status = "4XX", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = ["admin"])))]
pub async fn revoke_key(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<Json<KeyInfo>, Problem> {
    who.require(SCOPE_ADMIN)?;
    let info = state.spark.keys().revoke(&id).await?;
    tracing::info!(key_id = %info.id, by = who.key_id.as_deref().unwrap_or(who.via), "caller key revoked");
    Ok(Json(info))
}

/// Everyone's usage over a period.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// `day` (default), `month` or `all`.
    pub period: Option<String>,
    /// Only this caller.
    pub caller: Option<String>,
    /// Group by `caller`, `provider`, `day` or `hour`; without it, the full report.
    pub by: Option<String>,
}

/// Usage report: per caller, per provider with error rates, per day, top callers.
#[utoipa::path(get, path = "/v1/admin/usage", tag = "admin", params(ReportQuery),
    responses((status = 200, description = "The report (JSON)", body = Object), (status = "4XX", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = ["admin"])))]
pub async fn usage_report(
    State(state): State<AppState>,
    who: Principal,
    Query(q): Query<ReportQuery>,
) -> Result<Json<serde_json::Value>, Problem> {
    who.require(SCOPE_ADMIN)?;
    let (_, p) = period(q.period.as_deref())?;
    let caller = q.caller.as_deref();
    let value = match q.by.as_deref() {
        Some(by) => serde_json::to_value(state.spark.usage_by(caller, p, GroupBy::parse(by)?).await?)
            .map_err(|e| spark_core::Error::Internal(e.to_string()))?,
        None => state.spark.usage_report(caller, p).await?,
    };
    Ok(Json(value))
}
