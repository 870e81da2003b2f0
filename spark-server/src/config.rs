//! The server's configuration: the `[server]` table of the same `spark.toml` the library reads,
//! checked against a deployment profile. Secrets come from the environment or from files named
//! by `*_FILE` variables, never from the command line (where `ps` and shell history show them).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use spark_core::{ApiKey, SparkConfig};

/// What the server refuses to start with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// A laptop: no authentication allowed, a development key printed on first start.
    #[default]
    Dev,
    /// Like `prod`, but what `prod` refuses is only warned about.
    Staging,
    /// Refuses a development key, a wildcard CORS origin, plain-HTTP provider URLs and running
    /// without authentication.
    Prod,
}

/// How callers prove who they are.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthMode {
    /// Caller keys (`Authorization: Bearer spk_…`), and JWTs when `[server.auth.jwt]` is set.
    #[default]
    Keys,
    /// No authentication: every request acts as the anonymous caller with every scope but
    /// `admin`. Refused by the `prod` profile.
    None,
}

/// `[server]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Deployment profile.
    pub profile: Profile,
    /// Address to listen on.
    pub listen: SocketAddr,
    /// The database of caller keys and the usage ledger, used when `[ledger]` names none: a
    /// SQLite file (default `spark-server.db` in the working directory), or a `postgres://`
    /// URL (cargo feature `postgres`; never printed with its password). `None` keeps both in
    /// memory.
    pub database: Option<spark_core::ledger::Database>,
    /// Limits and deadlines.
    pub limits: LimitsConfig,
    /// Authentication.
    pub auth: AuthConfig,
    /// Request signing.
    pub signing: SigningConfig,
    /// Browser security: CORS, HSTS, CSP.
    pub browser: BrowserConfig,
    /// `/.well-known/security.txt` (RFC 9116); not served when `contact` is empty.
    pub security_txt: SecurityTxtConfig,
    /// Write access logs (JSON lines on stderr).
    pub access_log: bool,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            profile: Profile::Dev,
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database: Some(spark_core::ledger::Database::Sqlite(PathBuf::from("spark-server.db"))),
            limits: LimitsConfig::default(),
            auth: AuthConfig::default(),
            signing: SigningConfig::default(),
            browser: BrowserConfig::default(),
            security_txt: SecurityTxtConfig::default(),
            access_log: true,
        }
    }
}

/// `[server.limits]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsConfig {
    /// Largest request body; bigger is 413.
    pub max_body_bytes: usize,
    /// Time a client has to send its request head; slower connections are closed.
    pub header_timeout_ms: u64,
    /// Time a client has to send its request body; slower is 408.
    pub body_timeout_ms: u64,
    /// Deadline of a whole non-streaming request; later is 504. Streams end at the library's
    /// `[timeouts] total_ms`.
    pub request_timeout_ms: u64,
    /// Requests (streams included, until their last byte) served at once; more are shed with
    /// 503 and `Retry-After`.
    pub max_concurrent: usize,
    /// Deepest JSON nesting accepted in a request body.
    pub max_json_depth: usize,
    /// After SIGTERM, how long in-flight requests and streams get to finish.
    pub drain_timeout_ms: u64,
    /// `Retry-After` sent with 503 when shedding load or draining.
    pub retry_after_s: u64,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            max_body_bytes: 1 << 20,
            header_timeout_ms: 10_000,
            body_timeout_ms: 30_000,
            request_timeout_ms: 180_000,
            max_concurrent: 512,
            max_json_depth: 32,
            drain_timeout_ms: 30_000,
            retry_after_s: 1,
        }
    }
}

impl LimitsConfig {
    /// `header_timeout_ms` as a duration.
    pub fn header_timeout(&self) -> Duration {
        Duration::from_millis(self.header_timeout_ms)
    }
    /// `drain_timeout_ms` as a duration.
    pub fn drain_timeout(&self) -> Duration {
        Duration::from_millis(self.drain_timeout_ms)
    }
}

/// `[server.auth]`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// Keys (default) or none (dev only).
    pub mode: AuthMode,
    /// OIDC / JWT bearer tokens, next to caller keys.
    pub jwt: Option<JwtConfig>,
}

/// `[server.auth.jwt]`: tokens from an identity provider, checked against its JWKS.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JwtConfig {
    /// Required `iss`.
    pub issuer: String,
    /// Required `aud` (one of).
    pub audience: Vec<String>,
    /// Where the issuer publishes its keys (`https://…/jwks.json`).
    pub jwks_url: Option<String>,
    /// A JWKS file instead of a URL.
    pub jwks_file: Option<PathBuf>,
    /// Accepted algorithms (asymmetric only: RS256/384/512, PS256/384/512, ES256/384, EdDSA).
    pub algorithms: Vec<String>,
    /// Claim naming the caller.
    pub caller_claim: String,
    /// Claim holding the scopes: a space-separated string (`scope`) or an array (`scp`).
    pub scope_claim: String,
    /// Claim holding the tier, if any.
    pub tier_claim: Option<String>,
    /// Clock skew allowed on `exp` and `nbf`, in seconds.
    pub leeway_s: u64,
    /// How long fetched keys are kept before they are fetched again.
    pub jwks_refresh_s: u64,
}

impl Default for JwtConfig {
    fn default() -> Self {
        JwtConfig {
            issuer: String::new(),
            audience: Vec::new(),
            jwks_url: None,
            jwks_file: None,
            algorithms: vec!["RS256".into(), "ES256".into()],
            caller_claim: "sub".into(),
            scope_claim: "scope".into(),
            tier_claim: None,
            leeway_s: 30,
            jwks_refresh_s: 300,
        }
    }
}

/// `[server.signing]`: HMAC request signing (see `spark_core::guard::signing`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SigningConfig {
    /// Every authenticated request must be signed; otherwise only requests of the caller keys
    /// listed in `keys` must be.
    pub required: bool,
    /// Clock skew allowed either way, in seconds (default 300).
    pub window_s: Option<u64>,
    /// Most nonces remembered at once.
    pub max_nonces: Option<usize>,
    /// Signing secrets by key id (the caller key's public id, so a signature binds to its key).
    pub keys: BTreeMap<String, SecretSource>,
}

/// Where a secret comes from: an environment variable or a file, never the config text itself.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretSource {
    /// Environment variable holding the secret.
    pub env: Option<String>,
    /// File holding the secret (trailing newline ignored).
    pub file: Option<PathBuf>,
}

impl SecretSource {
    /// Reads the secret.
    pub fn load(&self, what: &str) -> Result<ApiKey, ConfigError> {
        match (&self.env, &self.file) {
            (Some(var), None) => std::env::var(var)
                .ok()
                .filter(|v| !v.is_empty())
                .map(ApiKey::new)
                .ok_or_else(|| ConfigError::new(what, format!("environment variable `{var}` is not set"))),
            (None, Some(path)) => read_secret_file(path).map_err(|m| ConfigError::new(what, m)),
            _ => Err(ConfigError::new(what, "give exactly one of `env` and `file`")),
        }
    }
}

/// `[server.browser]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BrowserConfig {
    /// Origins allowed to call the API from a browser (`https://tools.example.com`). `*` allows
    /// any origin without credentials; refused by `prod`.
    pub cors_origins: Vec<String>,
    /// Let allowed origins send credentials (never together with `*`).
    pub cors_credentials: bool,
    /// `Strict-Transport-Security: max-age` in seconds.
    pub hsts_max_age_s: u64,
}

impl Default for BrowserConfig {
    fn default() -> Self {
        BrowserConfig { cors_origins: Vec::new(), cors_credentials: false, hsts_max_age_s: 31_536_000 }
    }
}

/// `[server.security_txt]` (RFC 9116).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SecurityTxtConfig {
    /// `Contact:` lines (`mailto:security@example.com`, `https://…`).
    pub contact: Vec<String>,
    /// `Expires:` as RFC 3339; unset: one year after the server started.
    pub expires: Option<String>,
    /// `Policy:` URL.
    pub policy: Option<String>,
    /// `Encryption:` URL.
    pub encryption: Option<String>,
    /// `Preferred-Languages:`.
    pub preferred_languages: Option<String>,
    /// `Canonical:` URL.
    pub canonical: Option<String>,
}

/// A configuration error naming its field. Carries no secret: values are never quoted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid server configuration `{field}`: {message}")]
pub struct ConfigError {
    /// The field (`server.browser.cors_origins`).
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl ConfigError {
    pub(crate) fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigError { field: field.into(), message: message.into() }
    }
}

impl From<spark_core::Error> for ConfigError {
    fn from(e: spark_core::Error) -> Self {
        ConfigError::new("spark", e.to_string())
    }
}

/// Reads a secret file; a missing or empty one is an error naming the path, not its content.
pub fn read_secret_file(path: &Path) -> Result<ApiKey, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    let value = text.trim_end_matches(['\r', '\n']);
    if value.is_empty() {
        return Err(format!("`{}` is empty", path.display()));
    }
    Ok(ApiKey::new(value))
}

/// The library's and the server's configuration, read together.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The library's.
    pub spark: SparkConfig,
    /// The server's.
    pub server: ServerConfig,
}

/// Reads `path` (or defaults when `None`) with the process environment.
pub fn load(path: Option<&Path>) -> Result<Loaded, ConfigError> {
    let text = match path {
        Some(p) => std::fs::read_to_string(p)
            .map_err(|e| ConfigError::new(p.display().to_string(), format!("cannot read: {e}")))?,
        None => String::new(),
    };
    load_str(&text, std::env::vars())
}

/// Parses TOML text with explicit environment variables. `NAME_FILE` variables are read into
/// `NAME` (`ANTHROPIC_API_KEY_FILE`, `OPENAI_API_KEY_FILE`, `SPARK_SECTION__FIELD_FILE`).
pub fn load_str(text: &str, env: impl IntoIterator<Item = (String, String)>) -> Result<Loaded, ConfigError> {
    let table: toml::Table =
        toml::from_str(text).map_err(|e| ConfigError::new("<toml>", e.message().to_string()))?;
    let mut value = serde_json::to_value(table).map_err(|e| ConfigError::new("<toml>", e.to_string()))?;
    let root = value.as_object_mut().ok_or_else(|| ConfigError::new("<root>", "expected a table"))?;
    let server_value = root.remove("server").unwrap_or_else(|| serde_json::json!({}));
    let mut server: ServerConfig = serde_path_to_error::deserialize(server_value)
        .map_err(|e| ConfigError::new(format!("server.{}", e.path()), e.into_inner().to_string()))?;

    let mut vars = Vec::new();
    for (name, raw) in env {
        if let Some(base) = name.strip_suffix("_FILE").filter(|b| is_secret_var(b)) {
            let secret = read_secret_file(Path::new(&raw)).map_err(|m| ConfigError::new(&name, m))?;
            match base {
                "ANTHROPIC_API_KEY" | "OPENAI_API_KEY" => {
                    let section = if base.starts_with("ANTHROPIC") { "anthropic" } else { "openai" };
                    let table = root.entry(section).or_insert_with(|| serde_json::json!({}));
                    if let Some(t) = table.as_object_mut() {
                        t.insert("api_key".into(), secret.expose().into());
                    }
                }
                _ if base.starts_with("SPARK_") => vars.push((base.to_string(), secret.expose().to_string())),
                _ => {}
            }
        } else if name == "SPARK_SERVER_PROFILE" {
            server.profile = serde_json::from_value(serde_json::Value::String(raw.to_ascii_lowercase()))
                .map_err(|_| ConfigError::new("SPARK_SERVER_PROFILE", "expected dev, staging or prod"))?;
        } else if name == "SPARK_SERVER_LISTEN" {
            server.listen =
                raw.parse().map_err(|_| ConfigError::new("SPARK_SERVER_LISTEN", "expected HOST:PORT"))?;
        } else {
            vars.push((name, raw));
        }
    }
    // Keys and usage share one database; the server keeps it on disk unless told otherwise.
    if let Some(db) = &server.database {
        // `[ledger] path` or `url`, in the file or the environment, wins over `[server] database`.
        let by_env = vars.iter().any(|(n, _)| n == "SPARK_LEDGER__PATH" || n == "SPARK_LEDGER__URL");
        let ledger = root.entry("ledger").or_insert_with(|| serde_json::json!({}));
        if let Some(t) = ledger.as_object_mut() {
            if !by_env && !t.contains_key("path") && !t.contains_key("url") {
                match db {
                    spark_core::ledger::Database::Sqlite(p) => {
                        t.insert("path".into(), p.display().to_string().into())
                    }
                    spark_core::ledger::Database::Postgres(u) => t.insert("url".into(), u.expose().into()),
                };
            }
            t.entry("enabled").or_insert(true.into());
        }
    }
    let spark = SparkConfig::from_value_with_env(value, vars)?;
    server.validate()?;
    Ok(Loaded { spark, server })
}

impl ServerConfig {
    /// Checks values that are wrong under any profile.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let l = &self.limits;
        for (name, v) in [
            ("max_body_bytes", l.max_body_bytes as u64),
            ("header_timeout_ms", l.header_timeout_ms),
            ("body_timeout_ms", l.body_timeout_ms),
            ("request_timeout_ms", l.request_timeout_ms),
            ("max_concurrent", l.max_concurrent as u64),
            ("max_json_depth", l.max_json_depth as u64),
        ] {
            if v == 0 {
                return Err(ConfigError::new(format!("server.limits.{name}"), "must be above 0"));
            }
        }
        let b = &self.browser;
        for o in &b.cors_origins {
            if o != "*" && !valid_origin(o) {
                return Err(ConfigError::new(
                    "server.browser.cors_origins",
                    format!("`{o}` is not an origin (scheme://host[:port], no path)"),
                ));
            }
        }
        if b.cors_credentials && b.cors_origins.iter().any(|o| o == "*") {
            return Err(ConfigError::new(
                "server.browser.cors_credentials",
                "credentials cannot be allowed for the wildcard origin `*`",
            ));
        }
        if let Some(jwt) = &self.auth.jwt {
            if jwt.issuer.is_empty() || jwt.audience.is_empty() {
                return Err(ConfigError::new("server.auth.jwt", "`issuer` and `audience` are required"));
            }
            if jwt.jwks_url.is_some() == jwt.jwks_file.is_some() {
                return Err(ConfigError::new(
                    "server.auth.jwt",
                    "give exactly one of `jwks_url` and `jwks_file`",
                ));
            }
        }
        if let Some(e) = &self.security_txt.expires
            && parse_rfc3339(e).is_none()
        {
            return Err(ConfigError::new("server.security_txt.expires", "expected an RFC 3339 time"));
        }
        Ok(())
    }

    /// What the profile refuses, given the library's configuration and whether a development
    /// key is active. `prod` returns them as an error; `staging` and `dev` as warnings.
    pub fn profile_findings(&self, spark: &SparkConfig, dev_key_active: bool) -> Vec<ConfigError> {
        let mut found = Vec::new();
        if self.profile == Profile::Dev {
            return found;
        }
        if self.auth.mode == AuthMode::None {
            found.push(ConfigError::new("server.auth.mode", "authentication is off"));
        }
        if dev_key_active {
            found.push(ConfigError::new(
                "keys",
                "a development key is active (revoke it: spark-server keys revoke ID)",
            ));
        }
        if self.browser.cors_origins.iter().any(|o| o == "*") {
            found.push(ConfigError::new("server.browser.cors_origins", "the wildcard origin `*` is allowed"));
        }
        for (field, url) in
            [("anthropic.base_url", &spark.anthropic.base_url), ("openai.base_url", &spark.openai.base_url)]
        {
            if url.trim().to_ascii_lowercase().starts_with("http://") {
                found.push(ConfigError::new(field, "plain HTTP would send the provider key unencrypted"));
            }
        }
        if let Some(jwt) = &self.auth.jwt
            && jwt.jwks_url.as_deref().is_some_and(|u| u.to_ascii_lowercase().starts_with("http://"))
        {
            found.push(ConfigError::new("server.auth.jwt.jwks_url", "plain HTTP lets anyone forge tokens"));
        }
        found
    }
}

/// An RFC 3339 time in UTC (`2027-12-31T23:59:59Z`), as the instant it names.
pub fn parse_rfc3339(text: &str) -> Option<std::time::SystemTime> {
    humantime::parse_rfc3339(text).ok()
}

/// Variables whose `_FILE` form names a file to read the value from.
fn is_secret_var(name: &str) -> bool {
    matches!(name, "ANTHROPIC_API_KEY" | "OPENAI_API_KEY") || name.starts_with("SPARK_")
}

fn valid_origin(o: &str) -> bool {
    let Ok(u) = url::Url::parse(o) else { return false };
    matches!(u.scheme(), "http" | "https")
        && u.host().is_some()
        && u.path() == "/"
        && !o.ends_with('/')
        && u.query().is_none()
        && u.username().is_empty()
}
