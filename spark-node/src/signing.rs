//! Request signing for Node hosts that relay requests (`RequestSigner`, `RequestVerifier`); a
//! failed check throws a `SparkError` with code `unauthenticated` and a `reason`.

use std::collections::HashMap;
use std::time::Duration;

use napi::Env;
use napi::bindgen_prelude::Unknown;
use napi_derive::napi;
use spark_core::ApiKey;
use spark_core::guard::signing::{self, SignedHeaders};

use crate::args;
use crate::error::{to_js, type_error};

/// Signs requests with one shared key: `sign()` gives the five `x-spark-*` headers to send.
#[napi]
pub struct RequestSigner {
    inner: signing::RequestSigner,
}

#[napi]
impl RequestSigner {
    /// A signer for `secret`, known to verifiers as `keyId`.
    #[napi(constructor, ts_args_type = "keyId: string, secret: string")]
    pub fn new(env: Env, key_id: Unknown, secret: Unknown) -> napi::Result<Self> {
        let key_id = args::string(&key_id, "keyId").map_err(|e| type_error(&env, e.0))?;
        let secret = args::string(&secret, "secret").map_err(|e| type_error(&env, e.0))?;
        let inner = signing::RequestSigner::new(key_id, ApiKey::new(secret)).map_err(|e| to_js(&env, &e))?;
        Ok(RequestSigner { inner })
    }

    /// The signing headers for `method` `path` with `body`, signed now with a fresh nonce.
    #[napi(
        ts_args_type = "method: string, path: string, body: Buffer | string",
        ts_return_type = "Record<string, string>"
    )]
    pub fn sign(
        &self,
        env: Env,
        method: Unknown,
        path: Unknown,
        body: Unknown,
    ) -> napi::Result<HashMap<String, String>> {
        let method = args::string(&method, "method").map_err(|e| type_error(&env, e.0))?;
        let path = args::string(&path, "path").map_err(|e| type_error(&env, e.0))?;
        let body = args::bytes(&body, "body").map_err(|e| type_error(&env, e.0))?;
        let headers = self.inner.sign(&method, &path, &body).map_err(|e| to_js(&env, &e))?;
        Ok(headers.to_pairs().into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }
}

/// Options of a `RequestVerifier`.
#[napi(object)]
pub struct VerifierOptions {
    /// Clock skew allowed either way, in seconds (default 300).
    pub window_seconds: Option<f64>,
    /// Most nonces held for the replay window (default 100,000); beyond it requests are refused.
    pub max_nonces: Option<u32>,
}

/// Verifies signed requests against active keys (`{ keyId: secret }`, several for rotation).
#[napi]
pub struct RequestVerifier {
    inner: signing::RequestVerifier,
}

#[napi]
impl RequestVerifier {
    /// A verifier for `keys`, with `options.windowSeconds` of skew and `options.maxNonces`.
    #[napi(constructor, ts_args_type = "keys: Record<string, string>, options?: VerifierOptions | null")]
    pub fn new(env: Env, keys: Unknown, options: Unknown) -> napi::Result<Self> {
        let keys = args::string_map(&keys, "keys").map_err(|e| type_error(&env, e.0))?;
        if keys.is_empty() {
            return Err(type_error(&env, "keys must name at least one key"));
        }
        let options =
            args::object::<VerifierOptions>(&options, "options", true, Some(&["windowSeconds", "maxNonces"]))
                .map_err(|e| type_error(&env, e.0))?;
        let (window, max_nonces) = match options {
            Some(o) => (o.window_seconds.unwrap_or(300.0), o.max_nonces.unwrap_or(100_000)),
            None => (300.0, 100_000),
        };
        if !(window.is_finite() && (1.0..=86_400.0).contains(&window)) {
            return Err(type_error(&env, "options.windowSeconds must be between 1 and 86400"));
        }
        let keys = keys.into_iter().map(|(id, secret)| (id, ApiKey::new(secret)));
        let inner = signing::RequestVerifier::new(keys, Duration::from_secs_f64(window), max_nonces as usize);
        Ok(RequestVerifier { inner })
    }

    /// Checks a request (header names matched without regard to case) and returns the id of the
    /// key that signed it; throws a `SparkError` (code `unauthenticated`, with `reason`) otherwise.
    #[napi(
        ts_args_type = "method: string, path: string, headers: Record<string, string | string[] | undefined>, body: Buffer | string"
    )]
    pub fn verify(
        &self,
        env: Env,
        method: Unknown,
        path: Unknown,
        headers: Unknown,
        body: Unknown,
    ) -> napi::Result<String> {
        let method = args::string(&method, "method").map_err(|e| type_error(&env, e.0))?;
        let path = args::string(&path, "path").map_err(|e| type_error(&env, e.0))?;
        let body = args::bytes(&body, "body").map_err(|e| type_error(&env, e.0))?;
        let lower: HashMap<String, String> = args::string_map(&headers, "headers")
            .map_err(|e| type_error(&env, e.0))?
            .into_iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v))
            .collect();
        let parsed = SignedHeaders::from_lookup(|n| lower.get(n).map(String::as_str))
            .map_err(|e| to_js(&env, &e.into()))?;
        // The in-process nonce store never waits, so this completes on the spot.
        futures::executor::block_on(self.inner.verify(&method, &path, &parsed, &body))
            .map_err(|e| to_js(&env, &e.into()))
    }
}
