//! Request signing: a valid request passes once; each way of getting it wrong fails with its own
//! error.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use spark_core::ApiKey;
use spark_core::guard::signing::{
    HEADER_NONCE, HEADER_SIGNATURE, MemoryNonceStore, NonceStore, RequestSigner, RequestVerifier,
    SignatureError, SignedHeaders,
};

const SECRET: &str = "k3y-0f-at-least-32-bytes-for-hmac-sha256!";
const BODY: &[u8] = br#"{"prompt":"a rotating coin"}"#;

fn signer(id: &str, secret: &str) -> RequestSigner {
    RequestSigner::new(id, ApiKey::new(secret)).unwrap()
}

fn verifier() -> RequestVerifier {
    RequestVerifier::new(
        [
            ("k1".to_string(), ApiKey::new(SECRET)),
            ("k2".to_string(), ApiKey::new("the-next-key-in-rotation-0000000")),
        ],
        Duration::from_secs(300),
        1_000,
    )
}

#[tokio::test]
async fn a_signed_request_verifies_once_and_every_tampering_has_its_own_error() {
    let v = verifier();
    let h = signer("k1", SECRET).sign("post", "/v1/generate", BODY).unwrap();
    assert_eq!(v.verify("POST", "/v1/generate", &h, BODY).await, Ok("k1".to_string()));
    // The same headers again: a replay.
    assert_eq!(v.verify("POST", "/v1/generate", &h, BODY).await, Err(SignatureError::Replayed));

    let fresh = || signer("k1", SECRET).sign("POST", "/v1/generate", BODY).unwrap();
    // Tampered body.
    let err = v.verify("POST", "/v1/generate", &fresh(), br#"{"prompt":"a keylogger"}"#).await;
    assert_eq!(err, Err(SignatureError::BodyMismatch));
    // Body and its hash both swapped: the signature no longer holds.
    let mut h2 = fresh();
    h2.content_sha256 = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(b"other"));
    assert_eq!(v.verify("POST", "/v1/generate", &h2, b"other").await, Err(SignatureError::BadSignature));
    // Another path or method.
    assert_eq!(v.verify("POST", "/v1/admin", &fresh(), BODY).await, Err(SignatureError::BadSignature));
    assert_eq!(v.verify("PUT", "/v1/generate", &fresh(), BODY).await, Err(SignatureError::BadSignature));
    // Wrong key under a known id, and an unknown id.
    let wrong = signer("k1", "not-the-secret").sign("POST", "/v1/generate", BODY).unwrap();
    assert_eq!(v.verify("POST", "/v1/generate", &wrong, BODY).await, Err(SignatureError::BadSignature));
    let unknown = signer("k9", SECRET).sign("POST", "/v1/generate", BODY).unwrap();
    assert_eq!(v.verify("POST", "/v1/generate", &unknown, BODY).await, Err(SignatureError::UnknownKey));
    // The second active key (rotation) works.
    let rotated =
        signer("k2", "the-next-key-in-rotation-0000000").sign("POST", "/v1/generate", BODY).unwrap();
    assert_eq!(v.verify("POST", "/v1/generate", &rotated, BODY).await, Ok("k2".to_string()));
}

#[tokio::test]
async fn timestamps_outside_the_window_are_refused_either_way() {
    let v = verifier();
    let s = signer("k1", SECRET);
    let now = SystemTime::now();
    let old = s.sign_with("POST", "/p", BODY, now - Duration::from_secs(301), "nonce-0000000000001").unwrap();
    assert!(matches!(
        v.verify_at("POST", "/p", &old, BODY, now).await,
        Err(SignatureError::Expired { offset_s, window_s: 300 }) if offset_s <= -301
    ));
    let future =
        s.sign_with("POST", "/p", BODY, now + Duration::from_secs(400), "nonce-0000000000002").unwrap();
    assert!(matches!(
        v.verify_at("POST", "/p", &future, BODY, now).await,
        Err(SignatureError::Expired { .. })
    ));
    let skewed =
        s.sign_with("POST", "/p", BODY, now - Duration::from_secs(299), "nonce-0000000000003").unwrap();
    assert_eq!(v.verify_at("POST", "/p", &skewed, BODY, now).await, Ok("k1".into()));
    // An expired request does not use up its nonce: nothing was recorded.
    let retried = s.sign_with("POST", "/p", BODY, now, "nonce-0000000000001").unwrap();
    assert_eq!(v.verify_at("POST", "/p", &retried, BODY, now).await, Ok("k1".into()));
}

#[tokio::test]
async fn a_forged_request_does_not_burn_the_nonce_of_a_real_one() {
    let v = verifier();
    let real =
        signer("k1", SECRET).sign_with("POST", "/p", BODY, SystemTime::now(), "shared-nonce-000001").unwrap();
    let mut forged = real.clone();
    forged.signature = "0".repeat(64);
    assert_eq!(v.verify("POST", "/p", &forged, BODY).await, Err(SignatureError::BadSignature));
    assert_eq!(v.verify("POST", "/p", &real, BODY).await, Ok("k1".into()));
}

#[test]
fn headers_round_trip_and_malformed_ones_are_named() {
    let h = signer("k1", SECRET).sign("POST", "/p", BODY).unwrap();
    let pairs = h.to_pairs();
    let lookup = |pairs: &[(&'static str, String)], name: &str| {
        pairs.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.clone())
    };
    let back =
        SignedHeaders::from_lookup(|n| pairs.iter().find(|(k, _)| *k == n).map(|(_, v)| v.as_str())).unwrap();
    assert_eq!(back, h);

    let mut missing: Vec<(&'static str, String)> = pairs.to_vec();
    missing.retain(|(n, _)| *n != HEADER_NONCE);
    assert_eq!(
        SignedHeaders::from_lookup(|n| missing.iter().find(|(k, _)| *k == n).map(|(_, v)| v.as_str())),
        Err(SignatureError::Missing(HEADER_NONCE))
    );
    for (name, bad) in [
        (HEADER_SIGNATURE, "zz".repeat(32)),
        (HEADER_SIGNATURE, "ab".into()),
        (HEADER_NONCE, "short".into()),
        (HEADER_NONCE, "a nonce with spaces in it".into()),
        ("x-spark-timestamp", "-5".into()),
        ("x-spark-timestamp", "99999999999999999999".into()),
    ] {
        let mut p: Vec<(&'static str, String)> = pairs.to_vec();
        for (n, v) in p.iter_mut() {
            if n.eq_ignore_ascii_case(name) {
                *v = bad.clone();
            }
        }
        let got = SignedHeaders::from_lookup(|n| p.iter().find(|(k, _)| *k == n).map(|(_, v)| v.as_str()));
        assert!(matches!(got, Err(SignatureError::Malformed(n)) if n == name), "{name}={bad}: {got:?}");
    }
    assert!(lookup(&pairs, "X-SPARK-SIGNATURE").is_some());
}

#[tokio::test]
async fn the_nonce_store_is_bounded_and_fails_closed() {
    let store = MemoryNonceStore::new(3);
    let ttl = Duration::from_secs(60);
    for n in ["a", "b", "c"] {
        assert_eq!(store.insert_new("k", n, ttl).await, Ok(true));
    }
    assert_eq!(store.insert_new("k", "a", ttl).await, Ok(false));
    assert_eq!(store.insert_new("k", "d", ttl).await, Err(SignatureError::NonceStoreFull));
    assert_eq!(store.len(), 3);
    // Expired nonces make room again.
    let short = MemoryNonceStore::new(2);
    for n in ["a", "b"] {
        short.insert_new("k", n, Duration::from_millis(20)).await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(40)).await;
    assert_eq!(short.insert_new("k", "c", ttl).await, Ok(true));
    assert_eq!(short.len(), 1);
    // The same nonce under another key id is another nonce.
    let shared: Arc<dyn NonceStore> = Arc::new(MemoryNonceStore::new(10));
    assert_eq!(shared.insert_new("k1", "n", ttl).await, Ok(true));
    assert_eq!(shared.insert_new("k2", "n", ttl).await, Ok(true));
}

#[test]
fn no_secret_in_debug_output_or_errors() {
    let s = signer("k1", SECRET);
    let v = verifier();
    let text = format!("{s:?} {v:?} {:?}", SignatureError::BadSignature);
    assert!(!text.contains(SECRET) && !text.contains("the-next-key"), "{text}");
    assert!(RequestSigner::new("", ApiKey::new(SECRET)).is_err());
    assert!(RequestSigner::new("k\n1", ApiKey::new(SECRET)).is_err());
    assert!(RequestSigner::new("k1", ApiKey::new("")).is_err());
    assert!(s.sign("POST", "/a\nb", BODY).is_err());
}
