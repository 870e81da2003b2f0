//! Where the ledger lives: a SQLite file, or a PostgreSQL URL whose password never prints.

use std::path::PathBuf;

use secrecy::{ExposeSecret, SecretString};

use crate::error::{Error, Result};
use crate::secret::redact_url;

/// A `postgres://` (or `postgresql://`) URL. Its password is a credential: `Debug`, `Display`,
/// serialization and every error show the URL with the password replaced by `***`.
#[derive(Clone)]
pub struct DatabaseUrl(SecretString);

impl DatabaseUrl {
    /// Wraps a URL (checked by validation, not here).
    pub fn new(url: impl Into<String>) -> Self {
        DatabaseUrl(SecretString::from(url.into()))
    }

    /// The URL with its password, for the connection only.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// The URL with the password masked; `[invalid URL]` when it does not parse.
    pub fn redacted(&self) -> String {
        redact_url(self.expose())
    }

    /// The URL without its password, and the password (percent-decoded), for a child process
    /// that takes them apart (`pg_dump`: the URL as its argument, the password in
    /// `PGPASSWORD`, where `ps` does not show it).
    pub fn split_password(&self) -> (String, Option<String>) {
        let Ok(mut u) = ::url::Url::parse(self.expose()) else { return (self.redacted(), None) };
        let password =
            u.password().map(|p| percent_encoding::percent_decode_str(p).decode_utf8_lossy().into_owned());
        let _ = u.set_password(None);
        (u.to_string(), password)
    }

    /// Whether `raw` names PostgreSQL (the scheme decides, so a file path never does).
    pub fn is_postgres(raw: &str) -> bool {
        let lower = raw.trim_start().to_ascii_lowercase();
        lower.starts_with("postgres://") || lower.starts_with("postgresql://")
    }

    pub(crate) fn validate(&self, field: &str) -> Result<()> {
        // The parser's message never holds the input.
        let u =
            ::url::Url::parse(self.expose()).map_err(|e| Error::config(field, format!("not a URL: {e}")))?;
        if !matches!(u.scheme(), "postgres" | "postgresql") {
            return Err(Error::config(field, "must be a postgres:// URL"));
        }
        if u.host_str().is_none_or(str::is_empty) {
            return Err(Error::config(field, "has no host"));
        }
        if !cfg!(feature = "postgres") {
            return Err(Error::config(
                field,
                "PostgreSQL needs spark built with the cargo feature `postgres`",
            ));
        }
        Ok(())
    }
}

impl PartialEq for DatabaseUrl {
    fn eq(&self, other: &Self) -> bool {
        self.expose() == other.expose()
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("DatabaseUrl").field(&self.redacted()).finish()
    }
}

impl std::fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl serde::Serialize for DatabaseUrl {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.redacted())
    }
}

impl<'de> serde::Deserialize<'de> for DatabaseUrl {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        String::deserialize(d).map(DatabaseUrl::new)
    }
}

/// A database named by one string, as a host writes it: a `postgres://` URL, or a SQLite file.
#[derive(Clone, PartialEq)]
pub enum Database {
    /// A SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL server.
    Postgres(DatabaseUrl),
}

impl Database {
    /// Reads `raw`: PostgreSQL by its scheme, a file path otherwise.
    pub fn parse(raw: &str) -> Self {
        if DatabaseUrl::is_postgres(raw) {
            Database::Postgres(DatabaseUrl::new(raw.trim()))
        } else {
            Database::Sqlite(PathBuf::from(raw))
        }
    }
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Database::Sqlite(p) => f.debug_tuple("Sqlite").field(p).finish(),
            Database::Postgres(u) => f.debug_tuple("Postgres").field(&u.redacted()).finish(),
        }
    }
}

impl std::fmt::Display for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Database::Sqlite(p) => write!(f, "{}", p.display()),
            Database::Postgres(u) => f.write_str(&u.redacted()),
        }
    }
}

impl serde::Serialize for Database {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> serde::Deserialize<'de> for Database {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        String::deserialize(d).map(|s| Database::parse(&s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_postgres_password_never_prints() {
        let raw = "postgres://spark:hunter2@127.0.0.1:5432/spark";
        let db = Database::parse(raw);
        let Database::Postgres(url) = &db else { panic!("a postgres URL") };
        for shown in [format!("{db:?}"), db.to_string(), format!("{url:?}"), url.to_string()] {
            assert!(!shown.contains("hunter2"), "{shown}");
            assert!(shown.contains("spark:***@127.0.0.1"), "{shown}");
        }
        assert_eq!(serde_json::to_string(&db).unwrap(), "\"postgres://spark:***@127.0.0.1:5432/spark\"");
        assert_eq!(url.expose(), raw);
        assert_eq!(
            url.split_password(),
            ("postgres://spark@127.0.0.1:5432/spark".into(), Some("hunter2".into()))
        );
        assert_eq!(Database::parse("data/spark.db"), Database::Sqlite("data/spark.db".into()));
        let err = DatabaseUrl::new("mysql://u:hunter2@h/d").validate("ledger.url").unwrap_err();
        assert!(!err.to_string().contains("hunter2"));
    }
}
