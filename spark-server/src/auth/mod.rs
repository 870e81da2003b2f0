//! Who is calling: caller keys (`Authorization: Bearer spk_…`), JWTs from an identity provider,
//! and, per key or for everyone, an HMAC signature over the request with replay protection.
//!
//! The middleware (`crate::edge::authenticate`) runs before every `/v1` handler; it reads the body only when a signature must
//! be checked (bounded by the body limit), and leaves a [`Principal`] in the request's
//! extensions. Handlers ask it for their scope, so a route cannot forget its check.

pub mod jwt;
mod signing;

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use spark_core::keys::{SCOPE_ADMIN, SCOPE_EXPORT, SCOPE_GENERATE, SCOPE_USAGE, SCOPE_VALIDATE};
use spark_core::{GenerateRequest, KeyInfo};

pub use jwt::JwtVerifier;
pub use signing::Signing;

use crate::config::AuthMode;
use crate::problem::Problem;

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
    /// The principal of a verified caller key.
    pub fn from_key(info: KeyInfo) -> Self {
        Principal {
            caller: info.caller,
            key_id: Some(info.id),
            scopes: info.scopes.into_iter().collect(),
            tier: info.tier,
            via: "key",
        }
    }

    /// The caller when authentication is off: every scope but `admin`.
    pub fn anonymous() -> Self {
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
