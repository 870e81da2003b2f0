//! Who is calling: caller keys (`Authorization: Bearer spk_…`), JWTs from an identity provider,
//! and, per key or for everyone, an HMAC signature over the request with replay protection.
//!
//! The middleware runs before every `/v1` handler; it reads the body only when a signature must
//! be checked (bounded by the body limit), and leaves a [`Principal`] in the request's
//! extensions. Handlers ask it for their scope, so a route cannot forget its check.

pub mod jwt;
mod signing;

use std::sync::Arc;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use spark_core::keys::{SCOPE_ADMIN, SCOPE_EXPORT, SCOPE_GENERATE, SCOPE_USAGE, SCOPE_VALIDATE, bearer_key};
use spark_core::{GenerateRequest, KeyInfo};

pub use jwt::JwtVerifier;
pub use signing::Signing;

use crate::config::AuthMode;
use crate::http::RequestId;
use crate::problem::Problem;
use crate::state::AppState;

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Principal {
    /// Caller id, for limits, budgets and usage.
    pub caller: String,
    /// The caller key's public id (`None` for a JWT or no authentication).
    pub key_id: Option<String>,
    /// What it may do.
    pub scopes: Vec<String>,
    /// Tier whose limits apply.
    pub tier: Option<String>,
    /// How it was authenticated: `key`, `jwt` or `none`.
    pub via: &'static str,
}

impl Principal {
    fn from_key(info: KeyInfo) -> Self {
        Principal {
            caller: info.caller,
            key_id: Some(info.id),
            scopes: info.scopes.into_iter().collect(),
            tier: info.tier,
            via: "key",
        }
    }

    fn anonymous() -> Self {
        Principal {
            caller: spark_core::ANONYMOUS_CALLER.to_string(),
            key_id: None,
            scopes: [SCOPE_GENERATE, SCOPE_VALIDATE, SCOPE_EXPORT, SCOPE_USAGE].map(String::from).to_vec(),
            tier: None,
            via: "none",
        }
    }

    /// Whether it holds `scope` (`admin` holds every scope).
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope || s == SCOPE_ADMIN)
    }

    /// `Forbidden` (403) unless it holds `scope`.
    pub fn require(&self, scope: &str) -> Result<(), Problem> {
        if self.has_scope(scope) {
            Ok(())
        } else {
            Err(Problem::from(spark_core::Error::Forbidden {
                scope: scope.to_string(),
                key_id: self.key_id.clone().unwrap_or_else(|| self.via.to_string()),
            }))
        }
    }

    /// Gives `req` this caller's id and tier.
    pub fn apply(&self, mut req: GenerateRequest) -> GenerateRequest {
        req = req.caller(self.caller.clone());
        if let Some(t) = &self.tier {
            req = req.tier(t.clone());
        }
        req
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Principal {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Problem> {
        parts
            .extensions
            .get::<Principal>()
            .cloned()
            .ok_or_else(|| Problem::unauthenticated("missing_credentials", "this route needs authentication"))
    }
}

/// Authentication state shared by the middleware.
#[derive(Debug, Clone)]
pub struct Auth {
    /// Keys or none.
    pub mode: AuthMode,
    /// JWT verification, when configured.
    pub jwt: Option<Arc<JwtVerifier>>,
    /// Request signing, when configured.
    pub signing: Option<Arc<Signing>>,
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
    if let Some(log) = req.extensions().get::<crate::http::AccessNote>() {
        log.set_key_id(principal.key_id.as_deref().unwrap_or(principal.via));
    }
    req.extensions_mut().insert(principal);
    Ok(req)
}
