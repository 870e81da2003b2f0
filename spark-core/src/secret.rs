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
}
