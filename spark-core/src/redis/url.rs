//! A Redis URL whose password never prints.

use secrecy::{ExposeSecret, SecretString};

use crate::error::{Error, Result};

/// A `redis://` URL. Its password (Redis `AUTH`) is a credential: `Debug`, `Display`,
/// serialization and every error show the URL with the password replaced by `***`.
#[derive(Clone)]
pub struct RedisUrl(SecretString);

impl RedisUrl {
    /// Wraps a URL (checked by validation, not here).
    pub fn new(url: impl Into<String>) -> Self {
        RedisUrl(SecretString::from(url.into()))
    }

    /// The URL with its password, for the connection only.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// The URL with user name kept and password masked; `[invalid URL]` when it does not parse.
    pub fn redacted(&self) -> String {
        crate::secret::redact_url(self.expose())
    }

    /// The password, if the URL has one (to scrub it from driver messages).
    #[cfg(feature = "redis")]
    pub(crate) fn password(&self) -> Option<String> {
        ::url::Url::parse(self.expose()).ok()?.password().map(str::to_string)
    }

    pub(crate) fn validate(&self, field: &str) -> Result<()> {
        // The parser's message never holds the input.
        let u =
            ::url::Url::parse(self.expose()).map_err(|e| Error::config(field, format!("not a URL: {e}")))?;
        match u.scheme() {
            "redis" => {}
            "rediss" => {
                return Err(Error::config(
                    field,
                    "TLS (`rediss://`) is not built in: reach Redis over a private network or a TLS tunnel",
                ));
            }
            _ => return Err(Error::config(field, "must be a redis:// URL")),
        }
        if u.host_str().is_none_or(str::is_empty) {
            return Err(Error::config(field, "has no host"));
        }
        Ok(())
    }
}

impl PartialEq for RedisUrl {
    fn eq(&self, other: &Self) -> bool {
        self.expose() == other.expose()
    }
}

impl std::fmt::Debug for RedisUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("RedisUrl").field(&self.redacted()).finish()
    }
}

impl std::fmt::Display for RedisUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl serde::Serialize for RedisUrl {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.redacted())
    }
}

impl<'de> serde::Deserialize<'de> for RedisUrl {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        String::deserialize(d).map(RedisUrl::new)
    }
}
