//! Caller keys and request signing at the edge.

use spark_core::ApiKey;
use spark_core::guard::signing::RequestSigner;

use crate::common::{TestServer, problem};

const PROMPT: &str = r#"{"prompt":"a rotating pickup"}"#;

async fn generate(s: &TestServer, auth: Option<&str>) -> reqwest::Response {
    let mut req =
        s.client.post(s.url("/v1/generate")).header("content-type", "application/json").body(PROMPT);
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn missing_malformed_unknown_and_revoked_keys_are_401_with_distinct_reasons() {
    let s = TestServer::start("").await;
    let res = generate(&s, None).await;
    assert_eq!(res.status(), 401);
    assert!(res.headers()["www-authenticate"].to_str().unwrap().starts_with("Bearer"));
    let p = problem(res).await;
    assert_eq!(
        (p["code"].as_str(), p["reason"].as_str()),
        (Some("unauthenticated"), Some("missing_credentials"))
    );
    assert!(p["request_id"].as_str().is_some_and(|r| r.len() == 32), "{p}");

    let p = problem(generate(&s, Some("Basic dXNlcjpwYXNz")).await).await;
    assert_eq!(p["reason"], "malformed_credentials");
    let p = problem(generate(&s, Some("Bearer spk_nope")).await).await;
    assert_eq!(p["reason"], "malformed_key");
    let unknown = format!("Bearer spk_{}_{}", "0".repeat(16), "a".repeat(64));
    let p = problem(generate(&s, Some(&unknown)).await).await;
    assert_eq!(p["reason"], "unknown_key");

    let (key, id) = s.key("bob", &["generate"]).await;
    // The wrong secret for a real id.
    let wrong = format!("{}{}", &key[..key.len() - 1], if key.ends_with('0') { '1' } else { '0' });
    let p = problem(generate(&s, Some(&format!("Bearer {wrong}"))).await).await;
    assert_eq!(p["reason"], "bad_secret");
    assert_eq!(generate(&s, Some(&format!("Bearer {key}"))).await.status(), 200);
    let res =
        s.client.delete(s.url(&format!("/v1/admin/keys/{id}"))).bearer_auth(&s.admin).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let p = problem(generate(&s, Some(&format!("Bearer {key}"))).await).await;
    assert_eq!(p["reason"], "revoked");
    // No answer ever repeats a key.
    assert!(!p.to_string().contains(&key[21..]));
}

#[tokio::test]
async fn a_key_without_the_scope_is_403() {
    let s = TestServer::start("").await;
    let (key, id) = s.key("carol", &["validate"]).await;
    let res = generate(&s, Some(&format!("Bearer {key}"))).await;
    assert_eq!(res.status(), 403);
    let p = problem(res).await;
    assert_eq!(p["code"], "forbidden");
    assert!(
        p["detail"].as_str().unwrap().contains("generate") && p["detail"].as_str().unwrap().contains(&id)
    );
    // Its own scope works, and admin routes stay shut.
    let res =
        s.post("/v1/validate", &key, serde_json::json!({"source": "class A {}", "file_name": "A.cs"})).await;
    assert_eq!(res.status(), 200);
    let res = s.client.get(s.url("/v1/admin/keys")).bearer_auth(&key).send().await.unwrap();
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn allow_unsafe_needs_its_own_scope() {
    let s = TestServer::start("").await;
    let (key, _) = s.key("dave", &["generate"]).await;
    let res =
        s.post("/v1/generate", &key, serde_json::json!({"prompt": "a door", "allow_unsafe": true})).await;
    assert_eq!(res.status(), 403);
    assert!(problem(res).await["detail"].as_str().unwrap().contains("allow_unsafe"));
}

/// Writes `secret` to a file in `dir` and returns the `[server.signing.keys.ID]` table for it.
fn signing_key(dir: &std::path::Path, id: &str, secret: &str) -> String {
    let path = dir.join(format!("{id}.secret"));
    std::fs::write(&path, format!("{secret}\n")).unwrap();
    format!("[server.signing.keys.{id}]\nfile = {:?}\n", path.display().to_string())
}

const BODY: &str = r#"{"source":"class A {}","file_name":"A.cs"}"#;

#[tokio::test]
async fn a_key_listed_for_signing_must_sign_with_its_own_id() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("spark.db").display().to_string();
    // Keys exist before the server starts, so their ids can be named in its config.
    let spark = spark_core::Spark::builder()
        .config(spark_core::SparkConfig::from_toml_str(&format!("[ledger]\npath = {db:?}\n")).unwrap())
        .build()
        .unwrap();
    let relay = spark.keys().create(spark_core::KeySpec::new("relay").scopes(["validate"])).await.unwrap();
    let plain = spark.keys().create(spark_core::KeySpec::new("plain").scopes(["validate"])).await.unwrap();
    drop(spark);
    let toml = format!(
        "[server]\ndatabase = {db:?}\naccess_log = false\n{}{}",
        signing_key(dir.path(), &relay.info.id, "relay-secret-0123456789"),
        signing_key(dir.path(), "partner", "partner-secret-0123456789"),
    );
    let s = TestServer::start(&toml).await;
    let post = |key: String, headers: Vec<(&'static str, String)>| {
        let mut req = s
            .client
            .post(s.url("/v1/validate"))
            .bearer_auth(key)
            .header("content-type", "application/json")
            .body(BODY);
        for (k, v) in headers {
            req = req.header(k, v);
        }
        req.send()
    };
    let relay_key = relay.secret.expose().to_string();
    // Unsigned: refused for the listed key, accepted for the other.
    assert_eq!(problem(post(relay_key.clone(), vec![]).await.unwrap()).await["reason"], "missing_header");
    assert_eq!(post(plain.secret.expose().to_string(), vec![]).await.unwrap().status(), 200);
    // Signed with its own key: accepted.
    let own = RequestSigner::new(relay.info.id.clone(), ApiKey::new("relay-secret-0123456789")).unwrap();
    let h = own.sign("POST", "/v1/validate", BODY.as_bytes()).unwrap().to_pairs().to_vec();
    assert_eq!(post(relay_key.clone(), h).await.unwrap().status(), 200);
    // Signed with another valid signing key: refused, the signature must bind to the caller key.
    let partner = RequestSigner::new("partner", ApiKey::new("partner-secret-0123456789")).unwrap();
    let h = partner.sign("POST", "/v1/validate", BODY.as_bytes()).unwrap().to_pairs().to_vec();
    assert_eq!(problem(post(relay_key, h).await.unwrap()).await["reason"], "key_mismatch");
    s.stop().await;
}

#[tokio::test]
async fn signed_requests_pass_once_and_replays_tampering_and_old_ones_fail() {
    // A server that requires every request to be signed with the shared key, whoever calls.
    let dir = tempfile::tempdir().unwrap();
    let toml = format!(
        "[server.signing]\nrequired = true\n{}[server.auth]\nmode = \"none\"\n",
        signing_key(dir.path(), "relay", "relay-shared-secret-abcdef")
    );
    let s = TestServer::start(&toml).await;
    let signer = RequestSigner::new("relay", ApiKey::new("relay-shared-secret-abcdef")).unwrap();
    let post = |headers: Vec<(&'static str, String)>, body: &'static str| {
        let mut req =
            s.client.post(s.url("/v1/validate")).header("content-type", "application/json").body(body);
        for (k, v) in headers {
            req = req.header(k, v);
        }
        req.send()
    };
    let h = signer.sign("POST", "/v1/validate", BODY.as_bytes()).unwrap().to_pairs().to_vec();
    assert_eq!(post(h.clone(), BODY).await.unwrap().status(), 200);
    // The same nonce again.
    let p = problem(post(h.clone(), BODY).await.unwrap()).await;
    assert_eq!(p["reason"], "replayed");
    // Another body under a valid signature.
    let h2 = signer.sign("POST", "/v1/validate", BODY.as_bytes()).unwrap().to_pairs().to_vec();
    let p = problem(post(h2, r#"{"source":"class B {}","file_name":"B.cs"}"#).await.unwrap()).await;
    assert_eq!(p["reason"], "body_mismatch");
    // A forged signature.
    let mut h3 = signer.sign("POST", "/v1/validate", BODY.as_bytes()).unwrap().to_pairs().to_vec();
    h3[4].1 = "0".repeat(64);
    let p = problem(post(h3, BODY).await.unwrap()).await;
    assert_eq!(p["reason"], "bad_signature");
    // Signed for another path.
    let h4 = signer.sign("POST", "/v1/export", BODY.as_bytes()).unwrap().to_pairs().to_vec();
    assert_eq!(problem(post(h4, BODY).await.unwrap()).await["reason"], "bad_signature");
    // Signed an hour ago.
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    let h5 = signer
        .sign_with("POST", "/v1/validate", BODY.as_bytes(), old, "n0nce-from-an-hour-ago")
        .unwrap()
        .to_pairs()
        .to_vec();
    assert_eq!(problem(post(h5, BODY).await.unwrap()).await["reason"], "expired");
    // An unknown key id.
    let other = RequestSigner::new("stranger", ApiKey::new("whatever-secret-value")).unwrap();
    let h6 = other.sign("POST", "/v1/validate", BODY.as_bytes()).unwrap().to_pairs().to_vec();
    assert_eq!(problem(post(h6, BODY).await.unwrap()).await["reason"], "unknown_key");
    s.stop().await;
}
