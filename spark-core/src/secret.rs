//! Secrets (API keys, signing keys) that never print.

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer};

/// An API key or signing key. `Debug` and `Display` show `[redacted]`; it is never serialized.
#[derive(Clone)]
pub struct ApiKey(SecretString);

impl ApiKey {
    /// Wraps a key.
    pub fn new(key: impl Into<String>) -> Self {
        ApiKey(SecretString::from(key.into()))
    }

    /// Reads a key from an environment variable; empty or unset gives `None`.
    pub fn from_env(var: &str) -> Option<Self> {
        std::env::var(var).ok().filter(|v| !v.trim().is_empty()).map(|v| ApiKey::new(v.trim()))
    }

    /// The key itself, for the one place that must send it (an HTTP header).
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

impl std::fmt::Display for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

impl PartialEq for ApiKey {
    fn eq(&self, other: &Self) -> bool {
        // Constant-time enough for config comparison; keys are never compared on a hot path.
        self.expose() == other.expose()
    }
}

impl<'de> Deserialize<'de> for ApiKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(ApiKey::new(String::deserialize(d)?))
    }
}

impl serde::Serialize for ApiKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("[redacted]")
    }
}

/// `raw` with its password replaced by `***` (user name kept); `[invalid URL]` when it does not
/// parse. Used by every URL that may carry a credential (Redis, PostgreSQL).
pub(crate) fn redact_url(raw: &str) -> String {
    match ::url::Url::parse(raw) {
        Ok(mut u) => {
            if u.password().is_some() {
                let _ = u.set_password(Some("***"));
            }
            u.to_string()
        }
        Err(_) => "[invalid URL]".into(),
    }
}

/// The password of `raw` as written in the URL and percent-decoded (one entry when both are the
/// same); empty without one. A driver may echo either form, so both are scrubbed.
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
pub(crate) fn url_secrets(raw: &str) -> Vec<String> {
    let Some(written) = ::url::Url::parse(raw).ok().and_then(|u| u.password().map(str::to_string)) else {
        return Vec::new();
    };
    let decoded = percent_encoding::percent_decode_str(&written).decode_utf8_lossy().into_owned();
    let mut all = vec![written];
    if decoded != all[0] {
        all.push(decoded);
    }
    all
}

/// `message` with every one of `secrets` replaced by `***`.
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
pub(crate) fn scrub(message: &str, secrets: &[String]) -> String {
    secrets.iter().filter(|s| !s.is_empty()).fold(message.to_string(), |m, s| m.replace(s.as_str(), "***"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints() {
        let k = ApiKey::new("sk-live-123456");
        assert_eq!(format!("{k:?} {k}"), "[redacted] [redacted]");
        assert_eq!(serde_json::to_string(&k).unwrap(), "\"[redacted]\"");
        assert_eq!(k.expose(), "sk-live-123456");
    }

    #[test]
    fn url_passwords_are_masked_and_scrubbed() {
        let raw = "postgres://app:s3cr%40t@db:5432/spark";
        assert_eq!(redact_url(raw), "postgres://app:***@db:5432/spark");
        let secrets = url_secrets(raw);
        assert_eq!(secrets, ["s3cr%40t", "s3cr@t"]);
        assert_eq!(scrub("auth failed for s3cr@t (s3cr%40t)", &secrets), "auth failed for *** (***)");
        assert!(url_secrets("postgres://db/spark").is_empty());
        assert_eq!(redact_url("not a url"), "[invalid URL]");
    }
}
