//! OIDC / JWT bearer tokens: signed by the team's identity provider, checked against its JWKS
//! (fetched over HTTPS and kept for `jwks_refresh_s`, refetched early when a token names a key
//! id not seen yet, at most once per [`FORCED_REFRESH`]). Only asymmetric algorithms: a shared
//! HMAC secret would let anyone who can verify tokens mint them too.

use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use tokio::sync::RwLock;

use super::Principal;
use crate::config::{ConfigError, JwtConfig};
use crate::problem::Problem;

/// Shortest time between two fetches forced by unknown key ids, so a flood of forged `kid`s
/// cannot turn the server into a JWKS hammer.
pub const FORCED_REFRESH: Duration = Duration::from_secs(10);

/// Verifies JWTs.
#[derive(Debug)]
pub struct JwtVerifier {
    config: JwtConfig,
    algorithms: Vec<Algorithm>,
    http: reqwest::Client,
    keys: RwLock<Option<Fetched>>,
}

#[derive(Debug)]
struct Fetched {
    set: Arc<JwkSet>,
    at: Instant,
}

impl JwtVerifier {
    /// From `[server.auth.jwt]`.
    pub fn new(config: JwtConfig) -> Result<Self, ConfigError> {
        let mut algorithms = Vec::new();
        for name in &config.algorithms {
            let alg = Algorithm::from_str(name).map_err(|_| {
                ConfigError::new("server.auth.jwt.algorithms", format!("unknown algorithm `{name}`"))
            })?;
            if matches!(alg, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512) {
                return Err(ConfigError::new(
                    "server.auth.jwt.algorithms",
                    "HMAC algorithms are refused: use the identity provider's public keys",
                ));
            }
            algorithms.push(alg);
        }
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| ConfigError::new("server.auth.jwt", e.to_string()))?;
        Ok(JwtVerifier { config, algorithms, http, keys: RwLock::new(None) })
    }

    /// Checks `token` and returns its principal, or 401 with a stable reason: `malformed_token`,
    /// `algorithm_not_allowed`, `unknown_key_id`, `bad_token_signature`, `token_expired`,
    /// `token_not_yet_valid`, `wrong_issuer`, `wrong_audience`, `missing_claim`, `jwks_unavailable`.
    pub async fn verify(&self, token: &str) -> Result<Principal, Problem> {
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| Problem::unauthenticated("malformed_token", "not a JWT"))?;
        if !self.algorithms.contains(&header.alg) {
            return Err(Problem::unauthenticated(
                "algorithm_not_allowed",
                format!("{:?} is not accepted", header.alg),
            ));
        }
        let key = self.key_for(header.kid.as_deref()).await?;
        let mut v = Validation::new(header.alg);
        v.set_issuer(&[&self.config.issuer]);
        v.set_audience(&self.config.audience);
        v.set_required_spec_claims(&["exp", "iss", "aud"]);
        v.leeway = self.config.leeway_s;
        v.validate_nbf = true;
        let data = jsonwebtoken::decode::<Map<String, Value>>(token, &key, &v).map_err(|e| {
            let (reason, detail) = match e.kind() {
                ErrorKind::ExpiredSignature => ("token_expired", "the token has expired"),
                ErrorKind::ImmatureSignature => ("token_not_yet_valid", "the token is not valid yet"),
                ErrorKind::InvalidIssuer => ("wrong_issuer", "the token's issuer is not accepted"),
                ErrorKind::InvalidAudience => ("wrong_audience", "the token is not meant for this service"),
                ErrorKind::InvalidSignature => {
                    ("bad_token_signature", "the token's signature does not verify")
                }
                ErrorKind::MissingRequiredClaim(_) => ("missing_claim", "the token lacks exp, iss or aud"),
                _ => ("malformed_token", "the token cannot be read"),
            };
            Problem::unauthenticated(reason, detail)
        })?;
        self.principal(&data.claims)
    }

    fn principal(&self, claims: &Map<String, Value>) -> Result<Principal, Problem> {
        let sub = claims
            .get(&self.config.caller_claim)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                Problem::unauthenticated(
                    "missing_claim",
                    format!("the token lacks `{}`", self.config.caller_claim),
                )
            })?;
        let scopes = match claims.get(&self.config.scope_claim) {
            Some(Value::String(s)) => s.split_whitespace().map(str::to_string).collect(),
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(str::to_string).collect(),
            _ => Vec::new(),
        };
        let tier = self
            .config
            .tier_claim
            .as_ref()
            .and_then(|c| claims.get(c))
            .and_then(Value::as_str)
            .map(str::to_string);
        Ok(Principal { caller: caller_id(sub), key_id: None, scopes, tier, via: "jwt" })
    }

    async fn key_for(&self, kid: Option<&str>) -> Result<DecodingKey, Problem> {
        let refresh = Duration::from_secs(self.config.jwks_refresh_s);
        let set = self.keys(|f| f.at.elapsed() >= refresh).await?;
        if let Some(k) = find(&set, kid) {
            return Ok(k);
        }
        // A key rotated in at the issuer since the last fetch.
        let set = self.keys(|f| f.at.elapsed() >= FORCED_REFRESH).await?;
        find(&set, kid)
            .ok_or_else(|| Problem::unauthenticated("unknown_key_id", "the token names no known key"))
    }

    /// The key set, fetched again when `stale` says so (keeping the old one if that fails).
    async fn keys(&self, stale: impl Fn(&Fetched) -> bool) -> Result<Arc<JwkSet>, Problem> {
        if let Some(f) = self.keys.read().await.as_ref()
            && !stale(f)
        {
            return Ok(f.set.clone());
        }
        let mut slot = self.keys.write().await;
        if let Some(f) = slot.as_ref()
            && !stale(f)
        {
            return Ok(f.set.clone());
        }
        match self.fetch().await {
            Ok(set) => {
                let set = Arc::new(set);
                *slot = Some(Fetched { set: set.clone(), at: Instant::now() });
                Ok(set)
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot load the JWKS");
                match slot.as_mut() {
                    Some(f) => {
                        // Try again after the forced-refresh pause, not on every request.
                        f.at = Instant::now()
                            .checked_sub(refresh_floor(self.config.jwks_refresh_s))
                            .unwrap_or(f.at);
                        Ok(f.set.clone())
                    }
                    None => Err(Problem::unauthenticated(
                        "jwks_unavailable",
                        "the identity provider's keys cannot be loaded",
                    )),
                }
            }
        }
    }

    async fn fetch(&self) -> Result<JwkSet, String> {
        let text = if let Some(url) = &self.config.jwks_url {
            let res = self.http.get(url).send().await.map_err(|e| e.without_url().to_string())?;
            if !res.status().is_success() {
                return Err(format!("JWKS answered {}", res.status()));
            }
            res.text().await.map_err(|e| e.without_url().to_string())?
        } else if let Some(path) = &self.config.jwks_file {
            tokio::fs::read_to_string(path).await.map_err(|e| format!("{}: {e}", path.display()))?
        } else {
            return Err("no JWKS source".into());
        };
        serde_json::from_str(&text).map_err(|e| format!("JWKS: {e}"))
    }
}

fn refresh_floor(refresh_s: u64) -> Duration {
    Duration::from_secs(refresh_s).saturating_sub(FORCED_REFRESH)
}

fn find(set: &JwkSet, kid: Option<&str>) -> Option<DecodingKey> {
    let jwk = match kid {
        Some(kid) => set.find(kid)?,
        // Without a `kid`, only an unambiguous set will do.
        None if set.keys.len() == 1 => &set.keys[0],
        None => return None,
    };
    DecodingKey::from_jwk(jwk).ok()
}

/// `jwt:<sub>`, or `jwt:<hash>` when `sub` holds characters caller ids may not.
fn caller_id(sub: &str) -> String {
    let ok = sub.len() <= 100
        && sub.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':'));
    if ok {
        format!("jwt:{sub}")
    } else {
        format!("jwt:{}", &hex::encode(Sha256::digest(sub.as_bytes()))[..32])
    }
}
