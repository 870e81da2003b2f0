//! JWT bearer tokens against a JWKS served on loopback.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use p256::pkcs8::{EncodePrivateKey, LineEnding};
use sha2::{Digest, Sha256};

use crate::common::{TestServer, problem};

/// A P-256 key derived from `seed` (a test key, never a real one).
fn es256_key(seed: &str) -> EncodingKey {
    let secret = p256::SecretKey::from_slice(&Sha256::digest(seed.as_bytes())).unwrap();
    let pem = secret.to_pkcs8_pem(LineEnding::LF).unwrap();
    EncodingKey::from_ec_pem(pem.as_bytes()).unwrap()
}

fn jwk(key: &EncodingKey, kid: &str) -> Jwk {
    let mut jwk = Jwk::from_encoding_key(key, Algorithm::ES256).unwrap();
    jwk.common.key_id = Some(kid.to_string());
    jwk
}

struct Idp {
    key: EncodingKey,
    jwks_url: String,
    fetches: Arc<AtomicUsize>,
}

async fn idp() -> Idp {
    let key = es256_key("spark-server test issuer");
    let set = JwkSet { keys: vec![jwk(&key, "k1")] };
    let fetches = Arc::new(AtomicUsize::new(0));
    let f = fetches.clone();
    let app = axum::Router::new().route(
        "/jwks.json",
        axum::routing::get(move || {
            f.fetch_add(1, Ordering::SeqCst);
            let set = set.clone();
            async move { axum::Json(set) }
        }),
    );
    // Dropping the handle detaches the task: the server runs until the test's runtime ends.
    let (addr, _task) = crate::common::serve_loopback(app).await;
    Idp { key, jwks_url: format!("http://{addr}/jwks.json"), fetches }
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

fn token(key: &EncodingKey, kid: &str, claims: serde_json::Value) -> String {
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some(kid.to_string());
    jsonwebtoken::encode(&header, &claims, key).unwrap()
}

fn claims(overrides: serde_json::Value) -> serde_json::Value {
    let mut c = serde_json::json!({
        "iss": "https://id.example.test/", "aud": "spark", "sub": "alice@example.test",
        "exp": now() + 600, "iat": now(), "scope": "generate usage",
    });
    for (k, v) in overrides.as_object().unwrap() {
        if v.is_null() {
            c.as_object_mut().unwrap().remove(k);
        } else {
            c[k] = v.clone();
        }
    }
    c
}

async fn server(idp: &Idp) -> TestServer {
    TestServer::start(&format!(
        "[server.auth.jwt]\nissuer = \"https://id.example.test/\"\naudience = [\"spark\"]\njwks_url = \"{}\"\nalgorithms = [\"ES256\"]\n",
        idp.jwks_url
    ))
    .await
}

async fn call(s: &TestServer, token: &str) -> reqwest::Response {
    s.post("/v1/generate", token, serde_json::json!({"prompt": "a rotating pickup"})).await
}

#[tokio::test]
async fn a_valid_token_is_accepted_and_bad_ones_are_refused_with_their_reason() {
    let idp = idp().await;
    let s = server(&idp).await;
    let good = token(&idp.key, "k1", claims(serde_json::json!({})));
    let res = call(&s, &good).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    // The caller is the token's subject (sanitised into a caller id).
    let usage: serde_json::Value =
        s.client.get(s.url("/v1/usage")).bearer_auth(&good).send().await.unwrap().json().await.unwrap();
    assert!(usage["caller"].as_str().unwrap().starts_with("jwt:"), "{usage}");

    let cases = [
        (claims(serde_json::json!({"exp": now() - 3600})), "token_expired"),
        (claims(serde_json::json!({"nbf": now() + 3600})), "token_not_yet_valid"),
        (claims(serde_json::json!({"aud": "someone-else"})), "wrong_audience"),
        (claims(serde_json::json!({"iss": "https://evil.example.test/"})), "wrong_issuer"),
        (claims(serde_json::json!({"exp": null})), "missing_claim"),
    ];
    for (c, reason) in cases {
        let res = call(&s, &token(&idp.key, "k1", c)).await;
        assert_eq!(res.status(), 401, "{reason}");
        assert_eq!(problem(res).await["reason"], reason);
    }
    // Signed by another key under the known kid.
    let forged = token(&es256_key("an attacker"), "k1", claims(serde_json::json!({})));
    assert_eq!(problem(call(&s, &forged).await).await["reason"], "bad_token_signature");
    // A tampered payload.
    let mut parts: Vec<String> = good.split('.').map(str::to_string).collect();
    parts[1] = parts[1].chars().rev().collect();
    let res = call(&s, &parts.join(".")).await;
    assert_eq!(res.status(), 401);
    // Algorithm confusion: HS256 signed with the public key's bytes is refused outright.
    let hs = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims(serde_json::json!({})),
        &EncodingKey::from_secret(b"public"),
    )
    .unwrap();
    assert_eq!(problem(call(&s, &hs).await).await["reason"], "algorithm_not_allowed");
    assert_eq!(problem(call(&s, "not.a.jwt").await).await["reason"], "malformed_token");
}

#[tokio::test]
async fn scopes_come_from_the_token() {
    let idp = idp().await;
    let s = server(&idp).await;
    let t = token(&idp.key, "k1", claims(serde_json::json!({"scope": "validate"})));
    let res = call(&s, &t).await;
    assert_eq!(res.status(), 403);
    let arr = token(&idp.key, "k1", claims(serde_json::json!({"scope": ["generate"]})));
    assert_eq!(call(&s, &arr).await.status(), 200);
}

#[tokio::test]
async fn unknown_key_ids_refetch_the_jwks_at_a_bounded_rate() {
    let idp = idp().await;
    let s = server(&idp).await;
    assert_eq!(call(&s, &token(&idp.key, "k1", claims(serde_json::json!({})))).await.status(), 200);
    let first = idp.fetches.load(Ordering::SeqCst);
    assert_eq!(first, 1);
    for i in 0..20 {
        let t = token(&idp.key, &format!("rotated-{i}"), claims(serde_json::json!({})));
        assert_eq!(problem(call(&s, &t).await).await["reason"], "unknown_key_id");
    }
    // Twenty unknown ids within the forced-refresh pause cost no fetch at all.
    assert_eq!(idp.fetches.load(Ordering::SeqCst), first);
}
