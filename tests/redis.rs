//! Four `Spark` clients (separate in-process state, as four instances) sharing one real
//! `redis-server`: one rate limit, one budget, one nonce set and one cache across all of them;
//! and what happens when Redis stops and comes back.
#![cfg(feature = "redis")]

mod common;

use std::time::{Duration, Instant};

use common::redis_server::RedisServer;
use spark_core::guard::signing::{RequestSigner, RequestVerifier, SignatureError};
use spark_core::redis::{RedisConfig, RedisNonceStore, RedisUrl};
use spark_core::{ApiKey, ErrorCode, GenerateRequest, Spark, SparkConfig};

const SCRIPT: &str = "### Spin.cs\n```csharp\nusing UnityEngine;\n\npublic class Spin : MonoBehaviour\n{\n    private void Update()\n    {\n        transform.Rotate(0f, 90f * Time.deltaTime, 0f);\n    }\n}\n```\n";

/// An OpenAI mock that answers [`SCRIPT`] after `delay` and counts its calls.
async fn openai(delay: Duration) -> wiremock::MockServer {
    let chunk = serde_json::json!({"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-test",
        "choices":[{"index":0,"delta":{"role":"assistant","content":SCRIPT},"finish_reason":"stop"}]});
    let usage = serde_json::json!({"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-test",
        "choices":[],"usage":{"prompt_tokens":11,"completion_tokens":22,"total_tokens":33}});
    let body = format!("data: {chunk}\n\ndata: {usage}\n\ndata: [DONE]\n\n");
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .and(wiremock::matchers::path("/v1/chat/completions"))
        .respond_with(common::sse_response(body.into_bytes()).set_delay(delay))
        .mount(&server)
        .await;
    server
}

async fn calls(server: &wiremock::MockServer) -> usize {
    server.received_requests().await.map_or(0, |r| r.len())
}

/// A client of `mock` sharing `redis` under `policy`, Redis calls bounded by `timeout_ms`;
/// `extra` is more TOML.
fn client(
    mock: &wiremock::MockServer,
    redis: &RedisServer,
    policy: &str,
    timeout_ms: u64,
    extra: &str,
) -> Spark {
    let toml = format!(
        "[providers]\norder = [\"openai\"]\n[openai]\nbase_url = \"{}/v1\"\napi_key = \"sk-test\"\nmodel = \"gpt-test\"\n\
         max_tokens = 64\n[repair]\nmax_rounds = 0\n[retry]\nmax_attempts = 1\n\
         [redis]\nurl = \"{}\"\ntimeout_ms = {timeout_ms}\nlock_ms = 5000\non_error = \"{policy}\"\n{extra}",
        mock.uri(),
        redis.url()
    );
    let mut config = SparkConfig::from_toml_str(&toml).unwrap_or_else(|e| panic!("{e}\n{toml}"));
    config.rate_limit.max_concurrent = 512;
    config.rate_limit.max_queue = 1024;
    Spark::builder().config(config).build().unwrap()
}

fn four(mock: &wiremock::MockServer, redis: &RedisServer, extra: &str) -> Vec<Spark> {
    (0..4).map(|_| client(mock, redis, "open", 1000, extra)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_rate_limit_holds_across_four_instances() {
    let redis = RedisServer::start();
    let mock = openai(Duration::ZERO).await;
    let spark = four(&mock, &redis, "[rate_limit]\nrequests_per_minute = 100\nburst = 100\n");
    let tasks: Vec<_> = (0..240)
        .map(|i| {
            let s = spark[i % 4].clone();
            tokio::spawn(async move {
                s.generate(GenerateRequest::new(format!("cube {i}")).caller("alice")).await
            })
        })
        .collect();
    let (mut ok, mut limited) = (0, 0);
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(e) if e.code() == ErrorCode::RateLimited => limited += 1,
            Err(e) => panic!("{e}"),
        }
    }
    // 100 at once, plus one per 0.6 s the test runs.
    assert!((100..=102).contains(&ok), "admitted {ok}, limited {limited}");
    assert_eq!(calls(&mock).await, ok);
    // Another caller has its own limit.
    spark[0].generate(GenerateRequest::new("bob's cube").caller("bob")).await.unwrap();
    let stats: Vec<_> = spark.iter().map(|s| s.redis_stats().unwrap()).collect();
    assert!(stats.iter().all(|s| s.errors == 0), "{stats:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_budget_holds_across_four_instances() {
    let redis = RedisServer::start();
    let mock = openai(Duration::ZERO).await;
    // Each call is estimated at 64 output tokens ($0.064) and costs 22 ($0.022): with $0.2 a
    // day, calls pass while spent <= 0.136, i.e. 7 calls in all; 7 per instance without Redis.
    let extra = "[anthropic]\nmax_tokens = 64\n[pricing.gpt-test]\ninput_per_mtok = 0.0\noutput_per_mtok = 1000.0\n\
                 [budget]\ncaller_daily_usd = 0.2\n";
    let spark = four(&mock, &redis, extra);
    let mut ok = 0;
    for i in 0..24 {
        let r = spark[i % 4].generate(GenerateRequest::new(format!("sphere {i}")).caller("carol")).await;
        match r {
            Ok(_) => ok += 1,
            Err(e) => assert_eq!(e.code(), ErrorCode::QuotaExceeded, "{e}"),
        }
        // Settlement is sent after the reply; let it land before the next call.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(ok, 7, "calls within the shared budget");
    assert_eq!(calls(&mock).await, 7);
    // Another caller still has its own budget, on any instance.
    spark[3].generate(GenerateRequest::new("dave's").caller("dave")).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_cached_reply_is_a_hit_everywhere_and_64_identical_requests_make_one_call() {
    let redis = RedisServer::start();
    let mock = openai(Duration::from_millis(300)).await;
    let spark = four(&mock, &redis, "[cache]\nenabled = true\n");
    let first = spark[0].generate(GenerateRequest::new("a spinning cube")).await.unwrap();
    assert!(!first.rounds[0].cached);
    let again = spark[1].generate(GenerateRequest::new("a spinning cube")).await.unwrap();
    assert!(again.rounds[0].cached, "a reply cached by one instance is a hit on another");
    assert_eq!(again.files, first.files);
    assert_eq!(calls(&mock).await, 1);

    let start = Instant::now();
    let tasks: Vec<_> = (0..64)
        .map(|i| {
            let s = spark[i % 4].clone();
            tokio::spawn(async move { s.generate(GenerateRequest::new("a bouncing ball")).await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(calls(&mock).await, 2, "64 identical requests on 4 instances: one provider call");
    assert!(start.elapsed() < Duration::from_secs(5), "{:?}", start.elapsed());
    let coalesced: u64 = spark.iter().map(|s| s.cache_stats().coalesced).sum();
    assert!(coalesced >= 3, "the 3 other instances waited for the first: {coalesced}");
}

fn shared_config(redis: &RedisServer, policy: &str) -> RedisConfig {
    serde_json::from_value(serde_json::json!({"url": redis.url(), "timeout_ms": 200, "on_error": policy}))
        .unwrap()
}

#[tokio::test]
async fn a_nonce_used_through_one_verifier_is_refused_by_another() {
    let redis = RedisServer::start();
    let verifier = || {
        let store = RedisNonceStore::from_config(&shared_config(&redis, "open"), 1000).unwrap().unwrap();
        RequestVerifier::with_store(
            [("k1".to_string(), ApiKey::new("s3cret-signing-key"))],
            Duration::from_secs(60),
            store,
        )
    };
    let (a, b) = (verifier(), verifier());
    let signer = RequestSigner::new("k1", ApiKey::new("s3cret-signing-key")).unwrap();
    let h = signer.sign("POST", "/v1/generate", b"{}").unwrap();
    assert_eq!(a.verify("POST", "/v1/generate", &h, b"{}").await.unwrap(), "k1");
    assert_eq!(b.verify("POST", "/v1/generate", &h, b"{}").await.unwrap_err(), SignatureError::Replayed);
    let fresh = signer.sign("POST", "/v1/generate", b"{}").unwrap();
    b.verify("POST", "/v1/generate", &fresh, b"{}").await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redis_down_fails_open_within_the_deadline_and_recovers() {
    let mut redis = RedisServer::start();
    let mock = openai(Duration::ZERO).await;
    let extra = "[cache]\nenabled = true\n[rate_limit]\nrequests_per_minute = 1000\nburst = 1000\n";
    let spark = four(&mock, &redis, extra);
    spark[0].generate(GenerateRequest::new("before").caller("erin")).await.unwrap();
    redis.stop();
    for (i, s) in spark.iter().enumerate() {
        let start = Instant::now();
        let r = s.generate(GenerateRequest::new(format!("during {i}")).caller("erin")).await;
        r.unwrap_or_else(|e| panic!("open: still served ({e})"));
        assert!(start.elapsed() < Duration::from_secs(3), "a call hung: {:?}", start.elapsed());
    }
    // The reply cached in the front store of instance 0 is still served there.
    assert!(spark[0].generate(GenerateRequest::new("before").caller("erin")).await.unwrap().rounds[0].cached);
    assert!(spark.iter().all(|s| s.redis_stats().unwrap().fallbacks > 0));
    // The same counts are in the Prometheus text, where alerts can see an outage.
    let m = spark[0].metrics();
    let stats = spark[0].redis_stats().unwrap();
    assert_eq!(
        m.sum("spark_redis_fallbacks_total", &[]) as u64,
        stats.fallbacks,
        "{}",
        spark[0].metrics_text()
    );
    assert_eq!(m.sum("spark_redis_errors_total", &[]) as u64, stats.errors);
    redis.restart();
    // The connection comes back by itself: a reply cached by one is a hit on another again.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut i = 0;
    loop {
        i += 1;
        let prompt = format!("after {i}");
        spark[1].generate(GenerateRequest::new(prompt.clone())).await.unwrap();
        if spark[2].generate(GenerateRequest::new(prompt)).await.unwrap().rounds[0].cached {
            break;
        }
        assert!(Instant::now() < deadline, "instances did not recover");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redis_down_fails_closed_with_a_typed_error_within_the_deadline() {
    let mut redis = RedisServer::start();
    let mock = openai(Duration::ZERO).await;
    let extra = "[rate_limit]\nrequests_per_minute = 1000\nburst = 1000\n";
    let spark: Vec<Spark> = (0..4).map(|_| client(&mock, &redis, "closed", 1000, extra)).collect();
    spark[0].generate(GenerateRequest::new("up").caller("frank")).await.unwrap();
    let nonces = RedisNonceStore::from_config(&shared_config(&redis, "closed"), 1000).unwrap().unwrap();
    redis.stop();
    let before = calls(&mock).await;
    for s in &spark {
        let start = Instant::now();
        let e = s.generate(GenerateRequest::new("down").caller("frank")).await.unwrap_err();
        assert_eq!(e.code(), ErrorCode::Connection, "{e}");
        assert!(start.elapsed() < Duration::from_secs(3), "a call hung: {:?}", start.elapsed());
    }
    assert_eq!(calls(&mock).await, before, "no provider call without the shared limit");
    let e = nonces.insert_new("k1", "nonce-0123456789abcdef", Duration::from_secs(60)).await.unwrap_err();
    assert_eq!(e, SignatureError::NonceStoreFull);
    redis.restart();
    let deadline = Instant::now() + Duration::from_secs(10);
    while spark[3].generate(GenerateRequest::new("back").caller("frank")).await.is_err() {
        assert!(Instant::now() < deadline, "instance did not recover");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(nonces.insert_new("k1", "nonce-0123456789abcdef", Duration::from_secs(60)).await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hanging_redis_costs_at_most_its_timeouts_and_recovers() {
    let redis = RedisServer::start();
    let mock = openai(Duration::ZERO).await;
    let extra = "[rate_limit]\nrequests_per_minute = 1000\nburst = 1000\n";
    let (a, b) = (client(&mock, &redis, "open", 150, extra), client(&mock, &redis, "closed", 150, extra));
    a.generate(GenerateRequest::new("warm").caller("gina")).await.unwrap();
    b.generate(GenerateRequest::new("warm b").caller("gina")).await.unwrap();
    redis.pause();
    let start = Instant::now();
    a.generate(GenerateRequest::new("frozen").caller("gina")).await.unwrap();
    // A handful of Redis calls per request, each given up after 150 ms.
    assert!(start.elapsed() < Duration::from_secs(3), "open: {:?}", start.elapsed());
    let start = Instant::now();
    let e = b.generate(GenerateRequest::new("frozen b").caller("gina")).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Connection, "{e}");
    assert!(start.elapsed() < Duration::from_secs(3), "closed: {:?}", start.elapsed());
    redis.resume();
    let deadline = Instant::now() + Duration::from_secs(10);
    while b.generate(GenerateRequest::new("thawed").caller("gina")).await.is_err() {
        assert!(Instant::now() < deadline, "did not recover");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[test]
fn the_url_password_never_prints() {
    let c =
        RedisConfig { url: Some(RedisUrl::new("redis://:pa55-word@127.0.0.1:1/0")), ..Default::default() };
    let config = SparkConfig { redis: c, ..Default::default() };
    let shown = format!("{config:?} {}", serde_json::to_string(&config).unwrap());
    assert!(!shown.contains("pa55-word") && shown.contains("127.0.0.1:1"), "{shown}");
}
