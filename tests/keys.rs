//! Caller keys and tiers through `Spark`: keys are shown once, stored only as salted hashes in
//! the ledger's database, verified with a distinct reason per failure; per-tier token limits
//! refuse before a loopback provider sees a request, and a key's tier decides which limits apply.

use std::time::Duration;

use spark_core::{Error, ErrorCode, GenerateRequest, KeySpec, Spark, SparkConfig};
use wiremock::MockServer;

use crate::resilience::SCRIPT;

fn reason(e: &Error) -> &str {
    match e {
        Error::Unauthenticated { reason, .. } => reason,
        other => panic!("expected Unauthenticated, got {other:?}"),
    }
}

fn offline(extra: &str) -> Spark {
    Spark::from_config(SparkConfig::from_toml_str(extra).unwrap()).unwrap()
}

#[tokio::test]
async fn a_key_verifies_and_each_failure_has_its_own_reason() {
    let s = offline("[tiers.pro]\ntokens_per_minute = 1000\n");
    let created =
        s.keys().create(KeySpec::new("alice").scopes(["generate", "validate"]).tier("pro")).await.unwrap();
    let key = created.secret.expose().to_string();
    assert!(key.starts_with("spk_") && key.len() == spark_core::keys::KEY_LEN, "{key}");
    assert!(key.contains(&created.info.id));

    let info = s.verify_key(&key).await.unwrap();
    assert_eq!((info.caller.as_str(), info.tier.as_deref()), ("alice", Some("pro")));
    assert!(info.last_used_ms.is_some());
    info.require("validate").unwrap();
    // Missing scope: its own error, naming the scope and the key id, not the secret.
    let e = s.keys().authorize(&key, "admin").await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Forbidden);
    assert!(
        matches!(&e, Error::Forbidden { scope, key_id } if scope == "admin" && *key_id == info.id),
        "{e}"
    );

    // Wrong secret for a real id, an unknown id, a malformed key.
    let secret_at = key.len() - 64;
    let mut wrong = key.clone();
    wrong.replace_range(secret_at.., &"0".repeat(64));
    assert_eq!(reason(&s.verify_key(&wrong).await.unwrap_err()), "bad_secret");
    let unknown = format!("spk_{}_{}", "f".repeat(16), &key[secret_at..]);
    assert_eq!(reason(&s.verify_key(&unknown).await.unwrap_err()), "unknown_key");
    assert_eq!(reason(&s.verify_key("Bearer nonsense").await.unwrap_err()), "malformed_key");
    assert_eq!(reason(&s.verify_key(&key[..key.len() - 1]).await.unwrap_err()), "malformed_key");

    // Expired.
    let soon = s.keys().create(KeySpec::new("bob").expires_in(Duration::from_millis(30))).await.unwrap();
    s.verify_key(soon.secret.expose()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(60)).await;
    assert_eq!(reason(&s.verify_key(soon.secret.expose()).await.unwrap_err()), "expired");

    // Revoked: the right secret no longer works, the wrong one still says so first.
    let revoked = s.keys().revoke(&info.id).await.unwrap();
    assert!(revoked.revoked_ms.is_some());
    assert_eq!(reason(&s.verify_key(&key).await.unwrap_err()), "revoked");
    assert_eq!(reason(&s.verify_key(&wrong).await.unwrap_err()), "bad_secret");
    assert!(s.keys().revoke("0123456789abcdef").await.is_err());

    // Lists never hold a secret, in any form.
    let listed = s.keys().list().await.unwrap();
    assert_eq!(listed.iter().map(|k| k.caller.as_str()).collect::<Vec<_>>(), ["alice", "bob"]);
    let shown = format!("{listed:?} {}", serde_json::to_string(&listed).unwrap());
    assert!(!shown.contains(&key[secret_at..]) && !shown.contains(&soon.secret.expose()[secret_at..]));

    // Bad specs are refused before anything is stored.
    for spec in [
        KeySpec::new("carol").tier("gold"),
        KeySpec::new("carol").scopes(Vec::<String>::new()),
        KeySpec::new("carol").scopes(["has space"]),
        KeySpec::new("").scopes(["generate"]),
        KeySpec::new("carol").expires_at_ms(1),
    ] {
        assert_eq!(s.keys().create(spec).await.unwrap_err().code(), ErrorCode::InvalidRequest);
    }
    assert_eq!(s.keys().list().await.unwrap().len(), 2);
}

#[tokio::test]
async fn keys_persist_in_the_ledger_file_as_hashes_only() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("spark.db");
    let toml = format!("[ledger]\npath = {:?}\n", db.display().to_string());
    let s = offline(&toml);
    let created = s.keys().create(KeySpec::new("alice").scopes(["admin"]).name("ops laptop")).await.unwrap();
    let key = created.secret.expose().to_string();
    s.verify_key(&key).await.unwrap();
    // The usage ledger lives in the same file.
    s.generate(GenerateRequest::new("a spinning cube").caller("alice")).await.unwrap();
    drop(s);

    let secret = &key[key.len() - 64..];
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        bytes.extend(std::fs::read(entry.unwrap().path()).unwrap()); // the database, its WAL
    }
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.contains(&created.info.id) && text.contains("ops laptop"), "the key row is in the file");
    assert!(!text.contains(secret), "the secret is in the database");
    assert!(!text.contains(&secret.to_uppercase()) && !bytes.windows(32).any(|w| w == hex(secret)));

    let s = offline(&toml);
    let info = s.verify_key(&key).await.unwrap();
    assert_eq!((info.caller.as_str(), info.name.as_deref()), ("alice", Some("ops laptop")));
    assert!(info.has_scope("export"), "admin holds every scope");
    assert_eq!(s.usage(Some("alice"), spark_core::Period::Day).await.unwrap()[0].requests, 1);
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

/// An OpenAI-compatible loopback server answering SCRIPT with 11 prompt + 22 output tokens.
async fn openai_server() -> MockServer {
    crate::common::openai_replying(SCRIPT).await
}

/// A client of `server` with tiers: `free` allows `free` tokens a minute, `pro` 100,000.
fn tiered(server: &MockServer, free: u32, extra: &str) -> Spark {
    let toml = format!(
        "[providers]\norder = [\"openai\"]\n\
         [openai]\nbase_url = \"{}/v1\"\napi_key = \"sk-test-0123456789\"\n\
         [repair]\nmax_rounds = 0\n[cache]\nenabled = false\n\
         [tiers.free]\ntokens_per_minute = {free}\n\
         [tiers.pro]\ntokens_per_minute = 100000\n{extra}",
        server.uri()
    );
    Spark::from_config(SparkConfig::from_toml_str(&toml).unwrap()).unwrap()
}

async fn requests(server: &MockServer) -> usize {
    server.received_requests().await.unwrap().len()
}

#[tokio::test]
async fn a_tier_token_limit_refuses_before_the_provider_is_called() {
    let server = openai_server().await;
    let s = tiered(&server, 300, "[caller_tiers]\ndefault = \"free\"\n");
    // The estimate (prompt bytes / 4 + 1000 output tokens) is past the free tier's burst.
    let e =
        s.generate(GenerateRequest::new("a spinning cube").caller("bob").max_tokens(1000)).await.unwrap_err();
    assert!(e.is_rate_limited(), "{e}");
    assert!(matches!(&e, Error::RateLimited { caller, .. } if caller == "bob"));
    assert!(e.retry_after().unwrap() > Duration::ZERO);
    assert_eq!(requests(&server).await, 0, "no request reached the provider");
}

#[tokio::test]
async fn reservations_settle_at_the_reported_usage() {
    let server = openai_server().await;
    // Each call reserves its worst case: (system prompt + request) bytes / 4 + 100 output tokens.
    let system = tiered(&server, 300, "").system_prompt().len();
    let prompt = |i: usize| format!("a spinning cube {i}");
    let estimate = (system + spark_core::user_message(&prompt(0)).len()).div_ceil(4) + 100;
    // Room for one estimate plus what four settled calls used (33 tokens each), not for two
    // estimates: without settlement the second call would be refused.
    let burst = estimate + 4 * 33 + 20;
    assert!(burst < 2 * estimate);
    let s = tiered(&server, burst as u32, "[caller_tiers]\ndefault = \"free\"\n");
    for i in 0..5 {
        let req = GenerateRequest::new(prompt(i)).caller("carol").max_tokens(100);
        s.generate(req).await.unwrap_or_else(|e| panic!("call {i}: {e}"));
    }
    assert_eq!(requests(&server).await, 5);
    let e = s.generate(GenerateRequest::new(prompt(5)).caller("carol").max_tokens(300)).await.unwrap_err();
    assert!(e.is_rate_limited(), "{e}");
    assert_eq!(requests(&server).await, 5);
}

#[tokio::test]
async fn a_keys_tier_decides_its_limits() {
    let server = openai_server().await;
    let s =
        tiered(&server, 300, "[caller_tiers]\ndefault = \"free\"\n[caller_tiers.callers]\nvip = \"pro\"\n");
    let free = s.keys().create(KeySpec::new("dora")).await.unwrap();
    let pro = s.keys().create(KeySpec::new("erin").tier("pro")).await.unwrap();
    let big = |who: &spark_core::KeyInfo| who.apply(GenerateRequest::new("a spinning cube").max_tokens(1000));

    let info = s.verify_key(free.secret.expose()).await.unwrap();
    let e = s.generate(big(&info)).await.unwrap_err();
    assert!(matches!(&e, Error::RateLimited { caller, .. } if caller == "dora"), "{e}");
    assert_eq!(requests(&server).await, 0);

    let info = s.verify_key(pro.secret.expose()).await.unwrap();
    info.require("generate").unwrap();
    s.generate(big(&info)).await.unwrap();
    assert_eq!(requests(&server).await, 1);
    let usage = s.usage(Some("erin"), spark_core::Period::Day).await;
    assert!(usage.is_err(), "the ledger is off here: {usage:?}");

    // The caller map assigns tiers without a key; an unknown tier is refused up front.
    s.generate(GenerateRequest::new("a spinning cube").caller("vip").max_tokens(1000)).await.unwrap();
    let e = s.generate(GenerateRequest::new("a cube").caller("vip").tier("gold")).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidRequest, "{e}");
    assert_eq!(requests(&server).await, 2);
}

#[test]
fn tier_assignments_must_name_configured_tiers() {
    let e = SparkConfig::from_toml_str("[caller_tiers.callers]\nalice = \"gold\"\n").unwrap_err();
    assert!(matches!(&e, Error::Config { field, .. } if field == "caller_tiers.callers.alice"), "{e}");
    let e = SparkConfig::from_toml_str("[tiers.free]\ntokens_per_minute = 0\n").unwrap_err();
    assert!(matches!(&e, Error::Config { field, .. } if field == "tiers.free.tokens_per_minute"), "{e}");
    let e =
        SparkConfig::from_toml_str("[tiers.free]\ndaily_usd = 1.0\n[ledger]\nenabled = false\n").unwrap_err();
    assert!(matches!(&e, Error::Config { field, .. } if field == "ledger.enabled"), "{e}");
}

#[tokio::test]
async fn no_new_type_prints_a_secret() {
    let s = offline("[tiers.pro]\nrequests_per_minute = 5\n");
    let created =
        s.keys().create(KeySpec::new("alice").tier("pro").scopes(["generate", "usage"])).await.unwrap();
    let key = created.secret.expose().to_string();
    let secret = key[key.len() - 64..].to_string();
    let info = s.verify_key(&key).await.unwrap();
    let mut wrong = key.clone();
    wrong.replace_range(key.len() - 64.., &"1".repeat(64));
    let errors = [
        s.verify_key(&wrong).await.unwrap_err(),
        s.keys().authorize(&key, "admin").await.unwrap_err(),
        s.verify_key(&format!("{key}x")).await.unwrap_err(),
    ];
    let stored = s.keys().store().get(&info.id).await.unwrap().unwrap();
    let shown = format!(
        "{created:?} {created} {0:?} {0} {info:?} {stored:?} {1:?} {2:?} {errors:?} {3} {4} {5}",
        created.secret,
        s.keys(),
        KeySpec::new("x"),
        errors[0],
        errors[1],
        errors[2],
    );
    assert!(!shown.contains(&secret), "{shown}");
    assert!(!shown.contains(&stored.hash) && !shown.contains(&stored.salt), "{shown}");
    assert!(shown.contains(&info.id), "the public id is what identifies a key: {shown}");
}

/// A key store that counts reads.
#[derive(Debug, Default)]
struct Counting {
    inner: spark_core::MemoryKeyStore,
    gets: std::sync::atomic::AtomicUsize,
}

#[async_trait::async_trait]
impl spark_core::KeyStore for Counting {
    async fn insert(&self, key: &spark_core::keys::StoredKey) -> spark_core::Result<()> {
        self.inner.insert(key).await
    }
    async fn get(&self, id: &str) -> spark_core::Result<Option<spark_core::keys::StoredKey>> {
        self.gets.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.inner.get(id).await
    }
    async fn list(&self) -> spark_core::Result<Vec<spark_core::KeyInfo>> {
        self.inner.list().await
    }
    async fn revoke(&self, id: &str, at_ms: i64) -> spark_core::Result<bool> {
        self.inner.revoke(id, at_ms).await
    }
    async fn touch(&self, id: &str, at_ms: i64) -> spark_core::Result<()> {
        self.inner.touch(id, at_ms).await
    }
}

#[tokio::test]
async fn verified_keys_are_cached_briefly_and_revocation_reaches_other_managers_within_the_ttl() {
    use spark_core::KeyManager;
    use spark_core::keys::KEY_CACHE_TTL;
    let store = std::sync::Arc::new(Counting::default());
    let here = KeyManager::new(store.clone());
    let key = here.create(KeySpec::new("alice")).await.unwrap();
    let text = key.secret.expose().to_string();
    for _ in 0..100 {
        here.verify(&text).await.unwrap();
    }
    // One read for a hundred checks.
    assert_eq!(store.gets.load(std::sync::atomic::Ordering::SeqCst), 1);
    // Revoked through another manager (another instance, the CLI): this one notices within the TTL.
    let elsewhere = KeyManager::new(store.clone());
    elsewhere.revoke(&key.info.id).await.unwrap();
    assert_eq!(reason(&elsewhere.verify(&text).await.unwrap_err()), "revoked");
    tokio::time::sleep(KEY_CACHE_TTL + Duration::from_millis(200)).await;
    assert_eq!(reason(&here.verify(&text).await.unwrap_err()), "revoked");
    // Without a cache every check reads the store, and a revocation applies to the next one.
    let uncached = KeyManager::new(store.clone()).with_cache_ttl(Duration::ZERO);
    let other = here.create(KeySpec::new("bob")).await.unwrap();
    let other_text = other.secret.expose().to_string();
    uncached.verify(&other_text).await.unwrap();
    here.revoke(&other.info.id).await.unwrap();
    assert_eq!(reason(&uncached.verify(&other_text).await.unwrap_err()), "revoked");
}
