//! HMAC request signing at the edge: the library's [`RequestVerifier`] over the method, the path
//! with its query, the body and the five `x-spark-*` headers.

use std::collections::HashMap;
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use spark_core::guard::signing::{RequestVerifier, SignedHeaders};
use spark_core::redis::RedisConfig;

use super::Principal;
use crate::config::{ConfigError, SigningConfig};
use crate::problem::Problem;

/// Which requests must be signed, and the verifier.
#[derive(Debug)]
pub struct Signing {
    required: bool,
    key_ids: Vec<String>,
    verifier: RequestVerifier,
}

impl Signing {
    /// From `[server.signing]`; `None` when no key is configured. With `[redis] url` (and the
    /// feature `redis`), nonces are shared by every instance, so a replay fails on all of them.
    pub fn from_config(config: &SigningConfig, redis: &RedisConfig) -> Result<Option<Signing>, ConfigError> {
        if config.keys.is_empty() {
            if config.required {
                return Err(ConfigError::new(
                    "server.signing.keys",
                    "signing is required but no key is configured",
                ));
            }
            return Ok(None);
        }
        let mut keys = HashMap::new();
        for (id, source) in &config.keys {
            keys.insert(id.clone(), source.load(&format!("server.signing.keys.{id}"))?);
        }
        let window =
            Duration::from_secs(config.window_s.unwrap_or(RequestVerifier::DEFAULT_WINDOW.as_secs()));
        let max_nonces = config.max_nonces.unwrap_or(1_000_000);
        #[cfg(feature = "redis")]
        let verifier = match spark_core::redis::RedisNonceStore::from_config(redis, max_nonces)? {
            Some(store) => RequestVerifier::with_store(keys, window, store),
            None => RequestVerifier::new(keys, window, max_nonces),
        };
        #[cfg(not(feature = "redis"))]
        let verifier = {
            let _ = redis;
            RequestVerifier::new(keys, window, max_nonces)
        };
        Ok(Some(Signing {
            required: config.required,
            key_ids: config.keys.keys().cloned().collect(),
            verifier,
        }))
    }

    /// Whether `who`'s requests must be signed.
    pub fn applies_to(&self, who: &Principal) -> bool {
        self.required || who.key_id.as_ref().is_some_and(|id| self.key_ids.contains(id))
    }

    /// Reads the body (at most `limit` bytes), checks the signature and gives the request back
    /// with its body. A caller key's requests must be signed with the signing key of the same id.
    pub async fn verify(&self, req: Request, who: &Principal, limit: usize) -> Result<Request, Problem> {
        let (parts, body) = req.into_parts();
        let headers =
            SignedHeaders::from_lookup(|name| parts.headers.get(name).and_then(|v| v.to_str().ok()))
                .map_err(|e| Problem::from(spark_core::Error::from(e)))?;
        if let Some(id) = &who.key_id
            && *id != headers.key_id
        {
            return Err(Problem::unauthenticated(
                "key_mismatch",
                "the request is signed with another key than the caller key's",
            ));
        }
        let bytes = crate::http::read_body(body, limit).await?;
        let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        self.verifier
            .verify(parts.method.as_str(), path, &headers, &bytes)
            .await
            .map_err(|e| Problem::from(spark_core::Error::from(e)))?;
        Ok(Request::from_parts(parts, Body::from(bytes)))
    }
}
