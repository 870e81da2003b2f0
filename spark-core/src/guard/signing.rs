//! Request signing for hosts that relay requests to SPARK (a game backend in front of a SPARK
//! service, an editor plugin talking to a studio's relay).
//!
//! The signature is HMAC-SHA256 under a shared key over a canonical string of the method, the
//! path, a Unix timestamp, a one-time nonce and the SHA-256 of the body. The verifier checks, in
//! this order and each with its own [`SignatureError`]: every header present and well formed, the
//! key id known, the timestamp inside the skew window, the body hash, the signature (in constant
//! time), and last the nonce (recorded only once the signature holds, so a forger cannot use up
//! nonces). Several keys can be active at once, by id, so keys rotate without downtime.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

use crate::secret::ApiKey;

/// Header carrying the signing key's id.
pub const HEADER_KEY_ID: &str = "x-spark-key-id";
/// Header carrying the Unix time of signing, in seconds.
pub const HEADER_TIMESTAMP: &str = "x-spark-timestamp";
/// Header carrying the one-time nonce (16 to 128 printable ASCII characters).
pub const HEADER_NONCE: &str = "x-spark-nonce";
/// Header carrying the body's SHA-256, 64 lowercase hex digits.
pub const HEADER_CONTENT_SHA256: &str = "x-spark-content-sha256";
/// Header carrying the signature, 64 lowercase hex digits.
pub const HEADER_SIGNATURE: &str = "x-spark-signature";

/// The version tag that starts every canonical string.
const SCHEME: &str = "SPARK-HMAC-SHA256";
const MIN_NONCE: usize = 16;
const MAX_NONCE: usize = 128;
const MAX_KEY_ID: usize = 128;

/// Why a signed request was refused. Each cause is its own variant, so a relay can tell a
/// clock problem from an attack; none of them carries a key or a signature.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// A signing header is absent.
    #[error("the `{0}` header is missing")]
    Missing(&'static str),
    /// A signing header is present but not in its form.
    #[error("the `{0}` header is malformed")]
    Malformed(&'static str),
    /// No active key has this id.
    #[error("unknown signing key id")]
    UnknownKey,
    /// The timestamp is further from the verifier's clock than the skew window allows.
    #[error("the request timestamp is {offset_s} s from now, outside the {window_s} s window")]
    Expired {
        /// Request time minus now, in seconds (negative: in the past).
        offset_s: i64,
        /// The allowed skew either way, in seconds.
        window_s: u64,
    },
    /// The body is not the one that was signed.
    #[error("the body does not match its signed SHA-256")]
    BodyMismatch,
    /// The signature does not verify under the named key.
    #[error("the signature does not match")]
    BadSignature,
    /// This nonce was already used inside the replay window.
    #[error("the nonce was already used")]
    Replayed,
    /// The nonce store is full of live nonces; the request is refused rather than risk a replay.
    #[error("too many signed requests in the replay window")]
    NonceStoreFull,
}

impl SignatureError {
    /// A stable snake_case name (`bad_signature`, `replayed`…), the same in every binding.
    pub fn reason(&self) -> &'static str {
        match self {
            SignatureError::Missing(_) => "missing_header",
            SignatureError::Malformed(_) => "malformed_header",
            SignatureError::UnknownKey => "unknown_key",
            SignatureError::Expired { .. } => "expired",
            SignatureError::BodyMismatch => "body_mismatch",
            SignatureError::BadSignature => "bad_signature",
            SignatureError::Replayed => "replayed",
            SignatureError::NonceStoreFull => "nonce_store_full",
        }
    }
}

impl From<SignatureError> for crate::Error {
    fn from(e: SignatureError) -> Self {
        crate::Error::Unauthenticated { reason: e.reason().to_string(), message: e.to_string() }
    }
}

/// The five signing headers of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHeaders {
    /// Id of the key that signed.
    pub key_id: String,
    /// Unix time of signing, in seconds.
    pub timestamp: i64,
    /// The one-time nonce.
    pub nonce: String,
    /// SHA-256 of the body, lowercase hex.
    pub content_sha256: String,
    /// The HMAC-SHA256 signature, lowercase hex.
    pub signature: String,
}

impl SignedHeaders {
    /// The headers as (name, value) pairs, ready to add to an HTTP request.
    pub fn to_pairs(&self) -> [(&'static str, String); 5] {
        [
            (HEADER_KEY_ID, self.key_id.clone()),
            (HEADER_TIMESTAMP, self.timestamp.to_string()),
            (HEADER_NONCE, self.nonce.clone()),
            (HEADER_CONTENT_SHA256, self.content_sha256.clone()),
            (HEADER_SIGNATURE, self.signature.clone()),
        ]
    }

    /// Reads the headers through `get` (a case-insensitive header lookup), checking their form.
    pub fn from_lookup<'a>(
        get: impl Fn(&'static str) -> Option<&'a str>,
    ) -> Result<SignedHeaders, SignatureError> {
        let need = |name: &'static str| get(name).map(str::trim).ok_or(SignatureError::Missing(name));
        let key_id = need(HEADER_KEY_ID)?;
        if key_id.is_empty() || key_id.len() > MAX_KEY_ID || !printable(key_id) {
            return Err(SignatureError::Malformed(HEADER_KEY_ID));
        }
        let timestamp = need(HEADER_TIMESTAMP)?;
        let timestamp = (timestamp.len() <= 12 && timestamp.bytes().all(|b| b.is_ascii_digit()))
            .then(|| timestamp.parse::<i64>().ok())
            .flatten()
            .ok_or(SignatureError::Malformed(HEADER_TIMESTAMP))?;
        let nonce = need(HEADER_NONCE)?;
        if !(MIN_NONCE..=MAX_NONCE).contains(&nonce.len()) || !printable(nonce) {
            return Err(SignatureError::Malformed(HEADER_NONCE));
        }
        let content_sha256 = need(HEADER_CONTENT_SHA256)?;
        if !is_hex64(content_sha256) {
            return Err(SignatureError::Malformed(HEADER_CONTENT_SHA256));
        }
        let signature = need(HEADER_SIGNATURE)?;
        if !is_hex64(signature) {
            return Err(SignatureError::Malformed(HEADER_SIGNATURE));
        }
        Ok(SignedHeaders {
            key_id: key_id.to_string(),
            timestamp,
            nonce: nonce.to_string(),
            content_sha256: content_sha256.to_ascii_lowercase(),
            signature: signature.to_ascii_lowercase(),
        })
    }
}

fn printable(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_graphic())
}

fn is_hex64(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The string that is signed: scheme, method (upper case), path, timestamp, nonce and body hash,
/// one per line. None of them may hold a newline, so no two requests share a canonical string.
pub fn canonical_string(
    method: &str,
    path: &str,
    timestamp: i64,
    nonce: &str,
    content_sha256: &str,
) -> String {
    format!("{SCHEME}\n{}\n{path}\n{timestamp}\n{nonce}\n{content_sha256}", method.to_ascii_uppercase())
}

fn mac(secret: &ApiKey) -> Hmac<Sha256> {
    <Hmac<Sha256> as KeyInit>::new_from_slice(secret.expose().as_bytes())
        .expect("HMAC takes keys of any length")
}

fn unix_now(now: SystemTime) -> i64 {
    match now.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

/// Signs requests with one key.
#[derive(Debug, Clone)]
pub struct RequestSigner {
    key_id: String,
    secret: ApiKey,
}

impl RequestSigner {
    /// A signer for the key `secret` known to verifiers as `key_id` (printable ASCII, at most 128
    /// bytes). The secret should be at least 32 random bytes.
    pub fn new(key_id: impl Into<String>, secret: ApiKey) -> crate::Result<Self> {
        let key_id = key_id.into();
        if key_id.is_empty() || key_id.len() > MAX_KEY_ID || !printable(&key_id) {
            return Err(crate::Error::InvalidArgument(
                "a signing key id is 1 to 128 printable ASCII characters".into(),
            ));
        }
        if secret.expose().is_empty() {
            return Err(crate::Error::InvalidArgument("the signing secret is empty".into()));
        }
        Ok(RequestSigner { key_id, secret })
    }

    /// The headers for `method` `path` with `body`, signed now with a fresh random nonce.
    pub fn sign(&self, method: &str, path: &str, body: &[u8]) -> crate::Result<SignedHeaders> {
        let mut nonce = [0u8; 16];
        getrandom::fill(&mut nonce)
            .map_err(|e| crate::Error::Internal(format!("no randomness for a nonce: {e}")))?;
        self.sign_with(method, path, body, SystemTime::now(), &hex::encode(nonce))
    }

    /// [`sign`](Self::sign) at a given time with a given nonce (for tests and replays of fixtures).
    pub fn sign_with(
        &self,
        method: &str,
        path: &str,
        body: &[u8],
        now: SystemTime,
        nonce: &str,
    ) -> crate::Result<SignedHeaders> {
        if method.is_empty() || !printable(method) || path.is_empty() || path.contains(['\n', '\r']) {
            return Err(crate::Error::InvalidArgument(
                "method and path must be one printable line each".into(),
            ));
        }
        if !(MIN_NONCE..=MAX_NONCE).contains(&nonce.len()) || !printable(nonce) {
            return Err(crate::Error::InvalidArgument(
                "a nonce is 16 to 128 printable ASCII characters".into(),
            ));
        }
        let timestamp = unix_now(now);
        let content_sha256 = hex::encode(Sha256::digest(body));
        let mut m = mac(&self.secret);
        m.update(canonical_string(method, path, timestamp, nonce, &content_sha256).as_bytes());
        Ok(SignedHeaders {
            key_id: self.key_id.clone(),
            timestamp,
            nonce: nonce.to_string(),
            content_sha256,
            signature: hex::encode(m.finalize().into_bytes()),
        })
    }
}

/// Remembers the nonces of the replay window. A trait so that several instances of a service can
/// share one (a Redis set); [`MemoryNonceStore`] is the in-process default.
#[async_trait]
pub trait NonceStore: Send + Sync + 'static {
    /// Records `nonce` of `key_id` for `ttl`: `Ok(true)` when it was new, `Ok(false)` when it was
    /// already there, [`SignatureError::NonceStoreFull`] when it cannot be recorded.
    async fn insert_new(&self, key_id: &str, nonce: &str, ttl: Duration) -> Result<bool, SignatureError>;
}

/// An in-process nonce store holding at most `capacity` live nonces. When it is full of live
/// ones it refuses (fails closed) instead of forgetting a nonce that could then be replayed.
#[derive(Debug)]
pub struct MemoryNonceStore {
    capacity: usize,
    inner: Mutex<NonceSet>,
}

#[derive(Debug, Default)]
struct NonceSet {
    live: HashMap<String, Instant>,
    by_expiry: VecDeque<(Instant, String)>,
}

impl MemoryNonceStore {
    /// A store for at most `capacity` nonces at once.
    pub fn new(capacity: usize) -> Self {
        MemoryNonceStore { capacity: capacity.max(1), inner: Mutex::new(NonceSet::default()) }
    }

    /// Live nonces held now.
    pub fn len(&self) -> usize {
        self.inner.lock().map(|s| s.live.len()).unwrap_or(0)
    }

    /// Whether no nonce is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[async_trait]
impl NonceStore for MemoryNonceStore {
    async fn insert_new(&self, key_id: &str, nonce: &str, ttl: Duration) -> Result<bool, SignatureError> {
        let now = Instant::now();
        let mut set = self.inner.lock().map_err(|_| SignatureError::NonceStoreFull)?;
        // Expiries are pushed in time order (one ttl for all), so expired entries are at the front.
        while let Some((at, _)) = set.by_expiry.front()
            && *at <= now
        {
            if let Some((_, id)) = set.by_expiry.pop_front()
                && set.live.get(&id).is_some_and(|t| *t <= now)
            {
                set.live.remove(&id);
            }
        }
        let id = format!("{key_id}\n{nonce}");
        if set.live.get(&id).is_some_and(|t| *t > now) {
            return Ok(false);
        }
        if set.live.len() >= self.capacity {
            return Err(SignatureError::NonceStoreFull);
        }
        let until = now + ttl;
        set.live.insert(id.clone(), until);
        set.by_expiry.push_back((until, id));
        Ok(true)
    }
}

/// Verifies signed requests against a set of active keys.
#[derive(Clone)]
pub struct RequestVerifier {
    keys: HashMap<String, ApiKey>,
    window: Duration,
    nonces: Arc<dyn NonceStore>,
}

impl std::fmt::Debug for RequestVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut ids: Vec<&String> = self.keys.keys().collect();
        ids.sort();
        f.debug_struct("RequestVerifier").field("key_ids", &ids).field("window", &self.window).finish()
    }
}

impl RequestVerifier {
    /// Default skew window either way.
    pub const DEFAULT_WINDOW: Duration = Duration::from_secs(300);

    /// A verifier for `keys` (id → secret) allowing `window` of clock skew either way, with an
    /// in-process nonce store of `max_nonces`.
    pub fn new(
        keys: impl IntoIterator<Item = (String, ApiKey)>,
        window: Duration,
        max_nonces: usize,
    ) -> Self {
        Self::with_store(keys, window, Arc::new(MemoryNonceStore::new(max_nonces)))
    }

    /// As [`new`](Self::new), with a shared nonce store.
    pub fn with_store(
        keys: impl IntoIterator<Item = (String, ApiKey)>,
        window: Duration,
        nonces: Arc<dyn NonceStore>,
    ) -> Self {
        RequestVerifier { keys: keys.into_iter().collect(), window, nonces }
    }

    /// Checks a request now; on success, the id of the key that signed it.
    pub async fn verify(
        &self,
        method: &str,
        path: &str,
        headers: &SignedHeaders,
        body: &[u8],
    ) -> Result<String, SignatureError> {
        self.verify_at(method, path, headers, body, SystemTime::now()).await
    }

    /// [`verify`](Self::verify) against the clock reading `now`.
    pub async fn verify_at(
        &self,
        method: &str,
        path: &str,
        headers: &SignedHeaders,
        body: &[u8],
        now: SystemTime,
    ) -> Result<String, SignatureError> {
        let secret = self.keys.get(&headers.key_id).ok_or(SignatureError::UnknownKey)?;
        let offset_s = headers.timestamp.saturating_sub(unix_now(now));
        if offset_s.unsigned_abs() > self.window.as_secs() {
            return Err(SignatureError::Expired { offset_s, window_s: self.window.as_secs() });
        }
        if hex::encode(Sha256::digest(body)) != headers.content_sha256 {
            return Err(SignatureError::BodyMismatch);
        }
        let signature =
            hex::decode(&headers.signature).map_err(|_| SignatureError::Malformed(HEADER_SIGNATURE))?;
        let mut m = mac(secret);
        m.update(
            canonical_string(method, path, headers.timestamp, &headers.nonce, &headers.content_sha256)
                .as_bytes(),
        );
        // `verify_slice` compares in constant time.
        m.verify_slice(&signature).map_err(|_| SignatureError::BadSignature)?;
        // Kept for both sides of the window, so a nonce cannot come back once its first use expires.
        let ttl = self.window.saturating_mul(2);
        if !self.nonces.insert_new(&headers.key_id, &headers.nonce, ttl).await? {
            return Err(SignatureError::Replayed);
        }
        Ok(headers.key_id.clone())
    }
}
