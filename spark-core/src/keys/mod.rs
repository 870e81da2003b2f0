//! Caller API keys, for hosts that serve many users (a game backend, a studio server): each user
//! gets a key that names its caller id, its scopes and its tier.
//!
//! A key reads `spk_<id>_<secret>`: `id` is 16 public hex digits (it names the key in lists,
//! logs and errors), `secret` 64 hex digits (256 random bits from the OS). The secret is shown
//! once, by [`KeyManager::create`]; the store keeps only a salted hash of it:
//! HMAC-SHA256 keyed with a per-key random 16-byte salt over the id and the secret. A slow
//! password hash (argon2, scrypt) buys nothing here: it slows down guessing of low-entropy
//! passwords, and guessing a 256-bit random secret is out of reach at any hash speed. Checks
//! compare the MAC in constant time.
//!
//! Keys live behind [`KeyStore`]: [`crate::ledger::SqliteStore`] keeps them in the ledger's
//! database (table `spark_keys`, portable SQL), [`MemoryKeyStore`] in the process.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use hmac::{Hmac, KeyInit, Mac};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::error::{Error, Result};
use crate::guard::check_word;
use crate::ledger::now_ms;
use crate::result::GenerateRequest;

mod memory;
#[cfg(feature = "postgres")]
mod postgres;
mod sql;
mod sqlite;

pub use memory::MemoryKeyStore;

/// What every key starts with, so a leaked key is recognisable (secret scanners, logs).
pub const KEY_PREFIX: &str = "spk_";
/// Hex digits of a key id.
const ID_HEX: usize = 16;
/// Hex digits of a key secret (256 bits).
const SECRET_HEX: usize = 64;
/// Length of a whole key: prefix, id, `_`, secret.
pub const KEY_LEN: usize = KEY_PREFIX.len() + ID_HEX + 1 + SECRET_HEX;
/// `last_used_ms` is written at most this often per key, so verifying is not a write each time.
pub const LAST_USED_GRANULARITY_MS: i64 = 60_000;
/// How long a [`KeyManager`] keeps a key it read, so verifying is not a database read per
/// request either. A key revoked through the same manager stops at once; through another
/// process (the CLI, another instance), within this time.
pub const KEY_CACHE_TTL: Duration = Duration::from_secs(1);

/// Scope to generate scripts.
pub const SCOPE_GENERATE: &str = "generate";
/// Scope to validate C# sources.
pub const SCOPE_VALIDATE: &str = "validate";
/// Scope to export archives.
pub const SCOPE_EXPORT: &str = "export";
/// Scope to read usage and cost.
pub const SCOPE_USAGE: &str = "usage";
/// Scope to manage keys; it grants every other scope too.
pub const SCOPE_ADMIN: &str = "admin";

/// The most scopes one key holds.
const MAX_SCOPES: usize = 32;

/// The full text of a caller key (`spk_…`). `Debug` and `Display` show only the public id.
#[derive(Clone)]
pub struct CallerKey {
    id: String,
    text: SecretString,
}

impl CallerKey {
    /// The key as the caller must send it (the one place it is shown: right after creation).
    pub fn expose(&self) -> &str {
        self.text.expose_secret()
    }

    /// The public id part.
    pub fn id(&self) -> &str {
        &self.id
    }
}

impl std::fmt::Debug for CallerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CallerKey({KEY_PREFIX}{}_[redacted])", self.id)
    }
}

impl std::fmt::Display for CallerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{KEY_PREFIX}{}_[redacted]", self.id)
    }
}

/// What is known about a key: never its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KeyInfo {
    /// The public id (16 hex digits).
    pub id: String,
    /// The caller id its requests are limited, budgeted and recorded under.
    pub caller: String,
    /// A label for people (`ci`, `alice laptop`).
    pub name: Option<String>,
    /// What the key may do (`generate`, `validate`, `export`, `usage`, `admin`).
    pub scopes: BTreeSet<String>,
    /// The tier whose limits apply to its requests (the caller's otherwise).
    pub tier: Option<String>,
    /// Creation time, ms since the Unix epoch.
    pub created_ms: i64,
    /// When it stops working, ms since the Unix epoch.
    pub expires_ms: Option<i64>,
    /// When it was revoked, ms since the Unix epoch.
    pub revoked_ms: Option<i64>,
    /// When it last verified, to within [`LAST_USED_GRANULARITY_MS`].
    pub last_used_ms: Option<i64>,
}

impl KeyInfo {
    /// Whether the key holds `scope` (`admin` holds every scope).
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.contains(scope) || self.scopes.contains(SCOPE_ADMIN)
    }

    /// `Ok` when the key holds `scope`, [`Error::Forbidden`] otherwise.
    pub fn require(&self, scope: &str) -> Result<()> {
        if self.has_scope(scope) {
            Ok(())
        } else {
            Err(Error::Forbidden { scope: scope.to_string(), key_id: self.id.clone() })
        }
    }

    /// `req` on behalf of this key: its caller id, and its tier when it has one.
    pub fn apply(&self, mut req: GenerateRequest) -> GenerateRequest {
        req.caller = Some(self.caller.clone());
        if self.tier.is_some() {
            req.tier.clone_from(&self.tier);
        }
        req
    }
}

/// A new key, as it is asked for. Scopes default to `generate` alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySpec {
    /// The caller id the key acts as.
    pub caller: String,
    /// A label for people.
    pub name: Option<String>,
    /// Scopes granted.
    pub scopes: BTreeSet<String>,
    /// Tier of its requests.
    pub tier: Option<String>,
    /// Expiry, ms since the Unix epoch.
    pub expires_ms: Option<i64>,
}

impl KeySpec {
    /// A key for `caller` with the `generate` scope, no tier, no expiry.
    pub fn new(caller: impl Into<String>) -> Self {
        KeySpec {
            caller: caller.into(),
            name: None,
            scopes: BTreeSet::from([SCOPE_GENERATE.to_string()]),
            tier: None,
            expires_ms: None,
        }
    }

    /// Replaces the scopes.
    pub fn scopes<S: Into<String>>(mut self, scopes: impl IntoIterator<Item = S>) -> Self {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the tier.
    pub fn tier(mut self, tier: impl Into<String>) -> Self {
        self.tier = Some(tier.into());
        self
    }

    /// Sets a label.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Expires `after` from now.
    pub fn expires_in(mut self, after: Duration) -> Self {
        let ms = i64::try_from(after.as_millis()).unwrap_or(i64::MAX);
        self.expires_ms = Some(now_ms().saturating_add(ms));
        self
    }

    /// Expires at `ms` since the Unix epoch.
    pub fn expires_at_ms(mut self, ms: i64) -> Self {
        self.expires_ms = Some(ms);
        self
    }
}

/// A key just created: its description and its secret, shown this once.
#[derive(Debug, Clone)]
pub struct CreatedKey {
    /// What the store keeps about it.
    pub info: KeyInfo,
    /// The key to hand to the caller; it cannot be recovered later.
    pub secret: CallerKey,
}

impl std::fmt::Display for CreatedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "caller key {} for `{}`", self.secret, self.info.caller)
    }
}

/// A key as stored: its description, salt and hash (never the secret).
#[derive(Clone, PartialEq, Eq)]
pub struct StoredKey {
    /// The description.
    pub info: KeyInfo,
    /// 16 random bytes, hex.
    pub salt: String,
    /// HMAC-SHA256 under the salt over `id:secret`, hex.
    pub hash: String,
}

impl std::fmt::Debug for StoredKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredKey").field("info", &self.info).finish_non_exhaustive()
    }
}

/// Where caller keys live. Async and fallible: a store may be a server database.
#[async_trait]
pub trait KeyStore: Send + Sync + std::fmt::Debug + 'static {
    /// Adds a key; an id already present is an error.
    async fn insert(&self, key: &StoredKey) -> Result<()>;
    /// The key with this id.
    async fn get(&self, id: &str) -> Result<Option<StoredKey>>;
    /// Every key, oldest first.
    async fn list(&self) -> Result<Vec<KeyInfo>>;
    /// Marks a key revoked at `at_ms`; `false` when it is unknown or already revoked.
    async fn revoke(&self, id: &str, at_ms: i64) -> Result<bool>;
    /// Records a use at `at_ms` (never moving `last_used_ms` back).
    async fn touch(&self, id: &str, at_ms: i64) -> Result<()>;
}

/// Creates, lists, revokes and verifies caller keys in a [`KeyStore`].
#[derive(Clone)]
pub struct KeyManager {
    store: Arc<dyn KeyStore>,
    /// Tier names a key may carry; `None` accepts any.
    tiers: Option<BTreeSet<String>>,
    /// Keys read in the last [`KEY_CACHE_TTL`]; `None` reads the store every time.
    recent: Option<moka::future::Cache<String, StoredKey>>,
}

impl std::fmt::Debug for KeyManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyManager")
            .field("store", &self.store)
            .field("tiers", &self.tiers)
            .field("cached", &self.recent.as_ref().map(|c| c.entry_count()))
            .finish()
    }
}

fn key_cache(ttl: Duration) -> Option<moka::future::Cache<String, StoredKey>> {
    (!ttl.is_zero()).then(|| moka::future::Cache::builder().max_capacity(100_000).time_to_live(ttl).build())
}

type HmacSha256 = Hmac<Sha256>;

fn random_hex(bytes: usize) -> Result<String> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| Error::Internal(format!("no randomness for a key: {e}")))?;
    Ok(hex::encode(buf))
}

fn mac(salt: &[u8], id: &str, secret: &str) -> HmacSha256 {
    let mut m = <HmacSha256 as KeyInit>::new_from_slice(salt).expect("HMAC takes keys of any length");
    m.update(id.as_bytes());
    m.update(b":");
    m.update(secret.as_bytes());
    m
}

fn unauthenticated(reason: &str, message: impl Into<String>) -> Error {
    Error::Unauthenticated { reason: reason.to_string(), message: message.into() }
}

fn is_lower_hex(s: &str) -> bool {
    s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The key in an HTTP `Authorization` header value (`Bearer spk_…`, the scheme in any case);
/// `None` for another scheme. The key's form is checked by [`KeyManager::verify`].
pub fn bearer_key(authorization: &str) -> Option<&str> {
    let (scheme, rest) = authorization.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
}

/// Splits `spk_<id>_<secret>` into id and secret, checking its form.
fn parse(key: &str) -> Result<(&str, &str)> {
    let malformed = || unauthenticated("malformed_key", "not a SPARK caller key (spk_<id>_<secret>)");
    if key.len() != KEY_LEN {
        return Err(malformed());
    }
    let rest = key.strip_prefix(KEY_PREFIX).ok_or_else(malformed)?;
    let (id, secret) = rest.split_once('_').ok_or_else(malformed)?;
    if id.len() != ID_HEX || secret.len() != SECRET_HEX || !is_lower_hex(id) || !is_lower_hex(secret) {
        return Err(malformed());
    }
    Ok((id, secret))
}

impl KeyManager {
    /// A manager of the keys in `store`, accepting any tier name.
    pub fn new(store: Arc<dyn KeyStore>) -> Self {
        KeyManager { store, tiers: None, recent: key_cache(KEY_CACHE_TTL) }
    }

    /// Only these tier names may be given to keys.
    pub fn with_tiers(mut self, tiers: impl IntoIterator<Item = String>) -> Self {
        self.tiers = Some(tiers.into_iter().collect());
        self
    }

    /// Keeps keys it read for `ttl` instead of [`KEY_CACHE_TTL`]; zero reads the store on every
    /// check (a revocation by another process then applies to the next request).
    pub fn with_cache_ttl(mut self, ttl: Duration) -> Self {
        self.recent = key_cache(ttl);
        self
    }

    /// The store behind it.
    pub fn store(&self) -> &Arc<dyn KeyStore> {
        &self.store
    }

    /// Creates a key. The secret in the answer is the only copy: the store keeps a hash.
    pub async fn create(&self, spec: KeySpec) -> Result<CreatedKey> {
        crate::guard::check_caller(&spec.caller)?;
        if spec.caller.trim().is_empty() {
            return Err(Error::InvalidRequest("a key needs a caller id".into()));
        }
        if spec.scopes.is_empty() || spec.scopes.len() > MAX_SCOPES {
            return Err(Error::InvalidRequest(format!("a key needs 1 to {MAX_SCOPES} scopes")));
        }
        for s in &spec.scopes {
            check_word("a scope", s)?;
        }
        if let Some(t) = &spec.tier {
            check_word("a tier", t)?;
            if let Some(known) = &self.tiers
                && !known.contains(t)
            {
                return Err(Error::InvalidRequest(format!("unknown tier `{t}` (see [tiers])")));
            }
        }
        if let Some(n) = &spec.name
            && (n.len() > 256 || n.chars().any(char::is_control))
        {
            return Err(Error::InvalidRequest("a key name is at most 256 printable bytes".into()));
        }
        let now = now_ms();
        if spec.expires_ms.is_some_and(|e| e <= now) {
            return Err(Error::InvalidRequest("the expiry is in the past".into()));
        }
        let id = random_hex(ID_HEX / 2)?;
        let secret = random_hex(SECRET_HEX / 2)?;
        let salt = random_hex(16)?;
        let salt_bytes = hex::decode(&salt).map_err(|e| Error::Internal(e.to_string()))?;
        let hash = hex::encode(mac(&salt_bytes, &id, &secret).finalize().into_bytes());
        let info = KeyInfo {
            id: id.clone(),
            caller: spec.caller,
            name: spec.name,
            scopes: spec.scopes,
            tier: spec.tier,
            created_ms: now,
            expires_ms: spec.expires_ms,
            revoked_ms: None,
            last_used_ms: None,
        };
        self.store.insert(&StoredKey { info: info.clone(), salt, hash }).await?;
        let text = SecretString::from(format!("{KEY_PREFIX}{id}_{secret}"));
        Ok(CreatedKey { info, secret: CallerKey { id, text } })
    }

    /// Every key, oldest first (never a secret).
    pub async fn list(&self) -> Result<Vec<KeyInfo>> {
        self.store.list().await
    }

    /// The key with this id.
    pub async fn get(&self, id: &str) -> Result<Option<KeyInfo>> {
        Ok(self.store.get(id).await?.map(|k| k.info))
    }

    /// Revokes a key from now on; revoking twice keeps the first time. An unknown id is
    /// `InvalidRequest`.
    pub async fn revoke(&self, id: &str) -> Result<KeyInfo> {
        self.store.revoke(id, now_ms()).await?;
        if let Some(c) = &self.recent {
            c.invalidate(id).await;
        }
        self.get(id).await?.ok_or_else(|| Error::InvalidRequest(format!("no caller key with id `{id}`")))
    }

    /// Checks a key and returns its description, or `Unauthenticated` with the reason:
    /// `malformed_key`, `unknown_key`, `bad_secret`, `revoked` or `expired`. The secret is checked
    /// before the key's state, so only its holder learns that a key is revoked or expired.
    pub async fn verify(&self, key: &str) -> Result<KeyInfo> {
        let (id, secret) = parse(key)?;
        let cached = match &self.recent {
            Some(c) => c.get(id).await,
            None => None,
        };
        let stored = match cached {
            Some(s) => Some(s),
            None => {
                let s = self.store.get(id).await?;
                if let (Some(c), Some(s)) = (&self.recent, &s) {
                    c.insert(id.to_string(), s.clone()).await;
                }
                s
            }
        };
        let Some(stored) = stored else {
            // The same work as a known key, so timing does not tell which ids exist.
            let _ = mac(&[0u8; 16], id, secret).finalize();
            return Err(unauthenticated("unknown_key", format!("no caller key with id `{id}`")));
        };
        let salt = hex::decode(&stored.salt).map_err(|_| Error::Internal("stored key salt".into()))?;
        let hash = hex::decode(&stored.hash).map_err(|_| Error::Internal("stored key hash".into()))?;
        // `verify_slice` compares in constant time.
        mac(&salt, id, secret)
            .verify_slice(&hash)
            .map_err(|_| unauthenticated("bad_secret", format!("wrong secret for caller key `{id}`")))?;
        let mut info = stored.info.clone();
        let now = now_ms();
        if info.revoked_ms.is_some() {
            return Err(unauthenticated("revoked", format!("caller key `{id}` was revoked")));
        }
        if info.expires_ms.is_some_and(|e| e <= now) {
            return Err(unauthenticated("expired", format!("caller key `{id}` has expired")));
        }
        if info.last_used_ms.is_none_or(|t| now - t >= LAST_USED_GRANULARITY_MS) {
            // The cached copy learns of this use first, so requests right behind this one do
            // not all write it too.
            if let Some(c) = &self.recent {
                let mut fresh = stored;
                fresh.info.last_used_ms = Some(now);
                c.insert(id.to_string(), fresh).await;
            }
            // Bookkeeping must not lock a valid caller out.
            match self.store.touch(id, now).await {
                Ok(()) => info.last_used_ms = Some(now),
                Err(e) => tracing::warn!(key_id = id, error = %e, "last use of a caller key not recorded"),
            }
        }
        Ok(info)
    }

    /// [`verify`](Self::verify), then `Forbidden` unless the key holds `scope`.
    pub async fn authorize(&self, key: &str, scope: &str) -> Result<KeyInfo> {
        let info = self.verify(key).await?;
        info.require(scope)?;
        Ok(info)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_checks_the_form() {
        let good = format!("spk_{}_{}", "0".repeat(16), "a".repeat(64));
        assert_eq!(parse(&good).unwrap(), ("0000000000000000", &*"a".repeat(64)));
        for bad in [
            String::new(),
            good.replace("spk_", "spx_"),
            good.to_uppercase(),
            format!("{good}0"),
            good.replacen('_', "-", 2),
            "spk_".to_string() + &"é".repeat(40),
        ] {
            let e = parse(&bad).unwrap_err();
            assert!(
                matches!(&e, Error::Unauthenticated { reason, .. } if reason == "malformed_key"),
                "{bad}"
            );
        }
    }

    #[test]
    fn bearer_headers() {
        assert_eq!(bearer_key("Bearer spk_x_y"), Some("spk_x_y"));
        assert_eq!(bearer_key("  bearer   spk_x_y "), Some("spk_x_y"));
        assert_eq!(bearer_key("Basic dXNlcjpwYXNz"), None);
        assert_eq!(bearer_key("spk_x_y"), None);
    }

    #[test]
    fn the_key_text_never_prints() {
        let k = CallerKey { id: "abcd".into(), text: SecretString::from("spk_abcd_s3cr3t".to_string()) };
        assert_eq!(format!("{k} {k:?}"), "spk_abcd_[redacted] CallerKey(spk_abcd_[redacted])");
    }
}
