//! Metrics driven by requests with known outcomes through real HTTP providers on loopback
//! servers: every outcome must move exactly the counters and histograms it names.

use std::time::Duration;

use async_trait::async_trait;
use serde_json::json;
use spark_core::config::{AnthropicConfig, OpenAiConfig};
use spark_core::observe::MetricsSnapshot;
use spark_core::provider::{Anthropic, OpenAi};
use spark_core::{
    ApiKey, ErrorCode, GenerateRequest, Guard, GuardAction, GuardInput, Spark, SparkConfig, Verdict,
};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{sse_fixture, sse_response};

pub(crate) fn config() -> SparkConfig {
    let mut c = SparkConfig::default();
    c.rate_limit.enabled = false;
    c.repair.max_rounds = 0;
    c.retry.max_attempts = 1;
    c.timeouts.connect_ms = 500;
    c.timeouts.first_token_ms = 300;
    c.timeouts.idle_ms = 300;
    c.timeouts.total_ms = 2_000;
    c
}

pub(crate) fn openai(base_url: &str, cfg: &SparkConfig) -> OpenAi {
    let o = OpenAiConfig {
        api_key: Some(ApiKey::new("sk-test-0123456789")),
        base_url: format!("{base_url}/v1"),
        model: "gpt-test".into(),
        ..OpenAiConfig::default()
    };
    OpenAi::new(o, &cfg.timeouts).unwrap()
}

fn anthropic(base_url: &str, cfg: &SparkConfig) -> Anthropic {
    let a = AnthropicConfig {
        api_key: Some(ApiKey::new("sk-ant-test-0123456789")),
        base_url: base_url.to_string(),
        model: "claude-test".into(),
        ..AnthropicConfig::default()
    };
    Anthropic::new(a, &cfg.timeouts).unwrap()
}

/// An OpenAI server answering every call with `response`.
pub(crate) async fn openai_server(response: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST")).and(path("/v1/chat/completions")).respond_with(response).mount(&server).await;
    server
}

pub(crate) async fn healthy() -> MockServer {
    openai_server(sse_response(sse_fixture("openai_text.sse"))).await
}

/// An OpenAI server streaming `text` as its reply (the shared helper, under the name tests here
/// and in `metrics_promtool` use).
pub(crate) use crate::common::openai_replying as replying;

/// A reply with one warning: an empty Unity message (SPK1004).
pub(crate) const EMPTY_UPDATE: &str = "### Idle.cs\n```csharp\nusing UnityEngine;\n\npublic class Idle : MonoBehaviour\n{\n    void Update() { }\n}\n```\n";

/// The counters a test looks at, read from one snapshot.
fn n(s: &MetricsSnapshot, name: &str, labels: &[(&str, &str)]) -> f64 {
    s.sum(name, labels)
}

/// `after - before` for one sample set.
fn delta(before: &MetricsSnapshot, after: &MetricsSnapshot, name: &str, labels: &[(&str, &str)]) -> f64 {
    n(after, name, labels) - n(before, name, labels)
}

struct Deny;

#[async_trait]
impl Guard for Deny {
    fn name(&self) -> &str {
        "deny_words"
    }
    async fn before(&self, input: &GuardInput<'_>) -> spark_core::Result<Vec<Verdict>> {
        if input.prompt.contains("teapot") {
            return Ok(vec![Verdict::new("deny_words", "word", 1.0, GuardAction::Block, "teapot")]);
        }
        Ok(vec![])
    }
}

#[tokio::test]
async fn success_then_cache_hit_then_guard_rejection() {
    let server = healthy().await;
    let cfg = config();
    let s = Spark::builder()
        .config(cfg.clone())
        .provider(openai(&server.uri(), &cfg))
        .guard(Deny)
        .build()
        .unwrap();
    let m0 = s.metrics();
    assert_eq!(m0.requests(), 0);

    s.generate(GenerateRequest::new("a spinner")).await.unwrap();
    let m1 = s.metrics();
    assert_eq!(delta(&m0, &m1, "spark_requests_total", &[("provider", "openai"), ("outcome", "ok")]), 1.0);
    assert_eq!(delta(&m0, &m1, "spark_requests_total", &[]), 1.0);
    assert_eq!(delta(&m0, &m1, "spark_errors_total", &[]), 0.0);
    assert_eq!(delta(&m0, &m1, "spark_cache_requests_total", &[("outcome", "miss")]), 1.0);
    assert_eq!(
        delta(&m0, &m1, "spark_provider_attempts_total", &[("provider", "openai"), ("code", "ok")]),
        1.0
    );
    assert_eq!(delta(&m0, &m1, "spark_tokens_total", &[("direction", "input")]), 31.0);
    assert_eq!(delta(&m0, &m1, "spark_tokens_total", &[("direction", "output")]), 18.0);
    assert_eq!(m1.histogram_count("spark_request_duration_seconds", &[]), 1);
    assert_eq!(m1.histogram_count("spark_time_to_first_token_seconds", &[("provider", "openai")]), 1);
    assert_eq!(m1.histogram_count("spark_provider_attempt_duration_seconds", &[]), 1);
    for stage in ["guard_before", "provider", "extract", "validate", "guard_after"] {
        assert_eq!(m1.histogram_count("spark_stage_duration_seconds", &[("stage", stage)]), 1, "{stage}");
    }
    // No repair configured: no repair rounds, no repair stage.
    assert_eq!(m1.histogram_count("spark_stage_duration_seconds", &[("stage", "repair")]), 0);
    assert_eq!(n(&m1, "spark_repair_rounds_total", &[]), 0.0);
    assert!(m1.sum("spark_cache_entries", &[]) >= 0.0);

    // The same request again: the finished result is memoised, no provider call.
    s.generate(GenerateRequest::new("a spinner")).await.unwrap();
    let m2 = s.metrics();
    assert_eq!(delta(&m1, &m2, "spark_cache_requests_total", &[("outcome", "result_hit")]), 1.0);
    assert_eq!(delta(&m1, &m2, "spark_requests_total", &[("outcome", "ok")]), 1.0);
    assert_eq!(delta(&m1, &m2, "spark_provider_attempts_total", &[]), 0.0);
    assert_eq!(m2.histogram_count("spark_request_duration_seconds", &[]), 2);
    assert_eq!(m2.histogram_count("spark_stage_duration_seconds", &[("stage", "provider")]), 1);

    // A guard refuses: counted by guard, as an error, and the provider is never called.
    let e = s.generate(GenerateRequest::new("a teapot")).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::InputRejected);
    let m3 = s.metrics();
    assert_eq!(delta(&m2, &m3, "spark_guard_rejected_total", &[("guard", "deny_words")]), 1.0);
    assert_eq!(delta(&m2, &m3, "spark_errors_total", &[("code", "input_rejected")]), 1.0);
    assert_eq!(
        delta(&m2, &m3, "spark_requests_total", &[("outcome", "input_rejected"), ("provider", "none")]),
        1.0
    );
    assert_eq!(delta(&m2, &m3, "spark_provider_attempts_total", &[]), 0.0);
    assert_eq!(m3.histogram_count("spark_request_duration_seconds", &[]), 3);
    // Diagnostics of the clean reply were counted once (the memo hit is not re-validated).
    let text = s.metrics_text();
    assert!(!text.contains("teapot"), "prompt text leaked into metrics");
    assert!(!text.contains("sk-test"), "a key leaked into metrics");
    assert!(text.contains("# TYPE spark_requests_total counter\n"), "{text}");

    let h = s.health();
    assert!(h.ready);
    assert_eq!(h.providers.len(), 1);
    assert_eq!(h.providers[0].breaker, "closed");
    assert_eq!(h.providers[0].recent_attempts, 1);
    assert_eq!(h.providers[0].recent_error_rate, Some(0.0));
    assert!(h.cache_entries >= 1 || h.cache_bytes == 0);
}

#[tokio::test]
async fn rate_limited_requests_are_counted() {
    let server = healthy().await;
    let mut cfg = config();
    cfg.rate_limit.enabled = true;
    cfg.rate_limit.requests_per_minute = 1;
    cfg.rate_limit.burst = 1;
    let s = Spark::builder().config(cfg.clone()).provider(openai(&server.uri(), &cfg)).build().unwrap();
    s.generate(GenerateRequest::new("a spinner").caller("alice").no_cache()).await.unwrap();
    let m0 = s.metrics();
    let e = s.generate(GenerateRequest::new("a spinner").caller("alice").no_cache()).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::RateLimited);
    let m1 = s.metrics();
    assert_eq!(delta(&m0, &m1, "spark_rate_limited_total", &[]), 1.0);
    assert_eq!(delta(&m0, &m1, "spark_errors_total", &[("code", "rate_limited")]), 1.0);
    assert_eq!(delta(&m0, &m1, "spark_cache_requests_total", &[("outcome", "bypass")]), 1.0);
    assert_eq!(delta(&m0, &m1, "spark_provider_attempts_total", &[]), 0.0);
    assert!(!s.metrics_text().contains("alice"), "caller ids must never be labels");
    assert_eq!(m1.sum("spark_queue_capacity", &[]), cfg.rate_limit.max_queue as f64);
}

#[tokio::test]
async fn a_failing_primary_falls_back_and_is_counted_per_provider() {
    let bad = MockServer::start().await;
    let body = json!({"type":"error","error":{"type":"api_error","message":"boom"}});
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .respond_with(ResponseTemplate::new(500).set_body_json(body))
        .mount(&bad)
        .await;
    let good = healthy().await;
    let cfg = config();
    let s = Spark::builder()
        .config(cfg.clone())
        .provider(anthropic(&bad.uri(), &cfg))
        .fallback(openai(&good.uri(), &cfg))
        .build()
        .unwrap();
    let m0 = s.metrics();
    let r = s.generate(GenerateRequest::new("a spinner")).await.unwrap();
    assert_eq!(r.provider, "openai");
    let m1 = s.metrics();
    assert_eq!(
        delta(&m0, &m1, "spark_fallbacks_total", &[("provider", "anthropic"), ("code", "provider_failed")]),
        1.0
    );
    assert_eq!(
        delta(
            &m0,
            &m1,
            "spark_provider_attempts_total",
            &[("provider", "anthropic"), ("code", "provider_failed")]
        ),
        1.0
    );
    assert_eq!(
        delta(&m0, &m1, "spark_provider_attempts_total", &[("provider", "openai"), ("code", "ok")]),
        1.0
    );
    assert_eq!(delta(&m0, &m1, "spark_requests_total", &[("provider", "openai"), ("outcome", "ok")]), 1.0);
    assert_eq!(delta(&m0, &m1, "spark_retries_total", &[]), 0.0);
    assert_eq!(
        m1.histogram_count("spark_provider_attempt_duration_seconds", &[("provider", "anthropic")]),
        1
    );
    let h = s.health();
    assert_eq!(h.providers[0].recent_error_rate, Some(1.0));
    assert_eq!(h.providers[1].recent_error_rate, Some(0.0));
    assert!(h.ready);
}

#[tokio::test]
async fn a_provider_error_and_a_timeout_are_counted_by_code() {
    let rejecting = openai_server(
        ResponseTemplate::new(400)
            .set_body_json(json!({"error":{"message":"bad","type":"invalid_request_error"}})),
    )
    .await;
    let cfg = config();
    let s = Spark::builder().config(cfg.clone()).provider(openai(&rejecting.uri(), &cfg)).build().unwrap();
    let e = s.generate(GenerateRequest::new("a spinner")).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::ProviderRejected);
    let m = s.metrics();
    assert_eq!(n(&m, "spark_errors_total", &[("code", "provider_rejected")]), 1.0);
    assert_eq!(n(&m, "spark_diagnostics_total", &[]), 0.0);
    assert_eq!(n(&m, "spark_errors_total", &[]), 1.0);
    assert_eq!(n(&m, "spark_provider_attempts_total", &[("code", "provider_rejected")]), 1.0);
    assert_eq!(m.histogram_count("spark_request_duration_seconds", &[]), 1);
    assert_eq!(m.histogram_count("spark_time_to_first_token_seconds", &[]), 0);

    // A server that answers after the first-token deadline.
    let slow =
        openai_server(sse_response(sse_fixture("openai_text.sse")).set_delay(Duration::from_millis(1_500)))
            .await;
    let s = Spark::builder().config(cfg.clone()).provider(openai(&slow.uri(), &cfg)).build().unwrap();
    let e = s.generate(GenerateRequest::new("a spinner")).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Timeout);
    let m = s.metrics();
    assert_eq!(n(&m, "spark_errors_total", &[("code", "timeout")]), 1.0);
    assert_eq!(n(&m, "spark_requests_total", &[("outcome", "timeout")]), 1.0);
    assert_eq!(n(&m, "spark_provider_attempts_total", &[("code", "timeout")]), 1.0);
    assert_eq!(m.histogram_count("spark_request_duration_seconds", &[]), 1);
}

#[tokio::test]
async fn metrics_can_be_turned_off() {
    let mut cfg = SparkConfig::default();
    cfg.metrics.enabled = false;
    let s = Spark::from_config(cfg).unwrap();
    s.generate(GenerateRequest::new("a spinner")).await.unwrap();
    assert_eq!(s.metrics_text(), "");
    assert_eq!(s.metrics().requests(), 0);
    assert!(s.health().ready);
}

#[tokio::test]
async fn diagnostics_are_counted_by_rule() {
    let server = replying(EMPTY_UPDATE).await;
    let cfg = config();
    let s = Spark::builder().config(cfg.clone()).provider(openai(&server.uri(), &cfg)).build().unwrap();
    let r = s.generate(GenerateRequest::new("an idle object")).await.unwrap();
    let rules: Vec<&str> = r.diagnostics.iter().map(|d| d.rule.as_str()).collect();
    assert!(rules.contains(&"SPK1004"), "{rules:?}");
    let m = s.metrics();
    assert_eq!(n(&m, "spark_diagnostics_total", &[]), r.diagnostics.len() as f64);
    assert_eq!(n(&m, "spark_diagnostics_total", &[("rule", "SPK1004"), ("severity", "warning")]), 1.0);
    assert_eq!(n(&m, "spark_tokens_total", &[("provider", "openai"), ("direction", "output")]), 22.0);
}

/// `|a - b|` small enough to call the sums equal (they are sums of a few small prices).
fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[tokio::test]
async fn tokens_and_cost_are_counted_per_configured_tier_never_per_caller() {
    use spark_core::ModelPrice;
    use spark_core::TierConfig;
    let server = healthy().await;
    let mut cfg = config();
    cfg.tiers.insert("gold".into(), TierConfig::default());
    cfg.tiers.insert("free".into(), TierConfig::default());
    cfg.caller_tiers.callers.insert("alice-4711".into(), "gold".into());
    cfg.caller_tiers.default = Some("free".into());
    // The reply names its model; 31 input and 18 output tokens at these prices cost 0.067 USD.
    cfg.pricing.insert("openai/gpt-4o-mini-2024-07-18".into(), ModelPrice::new(1_000.0, 2_000.0));
    let s = Spark::builder().config(cfg.clone()).provider(openai(&server.uri(), &cfg)).build().unwrap();
    let tokens = |m: &MetricsSnapshot, tier: &str, direction: &str| {
        n(m, "spark_tokens_total", &[("tier", tier), ("direction", direction)])
    };
    let cost = |m: &MetricsSnapshot, tier: &str| n(m, "spark_cost_usd_total", &[("tier", tier)]);
    let m0 = s.metrics();

    // By the caller's assigned tier.
    s.generate(GenerateRequest::new("a spinner").caller("alice-4711")).await.unwrap();
    let m1 = s.metrics();
    assert_eq!(tokens(&m1, "gold", "input") - tokens(&m0, "gold", "input"), 31.0);
    assert_eq!(tokens(&m1, "gold", "output") - tokens(&m0, "gold", "output"), 18.0);
    assert!(close(cost(&m1, "gold") - cost(&m0, "gold"), 0.067), "{}", cost(&m1, "gold"));
    assert_eq!(delta(&m0, &m1, "spark_tokens_total", &[("tier", "free")]), 0.0);

    // A caller not named: the default tier.
    s.generate(GenerateRequest::new("a cube").caller("bob-0815")).await.unwrap();
    let m2 = s.metrics();
    assert_eq!(tokens(&m2, "free", "input") - tokens(&m1, "free", "input"), 31.0);
    assert_eq!(tokens(&m2, "free", "output") - tokens(&m1, "free", "output"), 18.0);
    assert!(close(cost(&m2, "free") - cost(&m1, "free"), 0.067));
    assert_eq!(delta(&m1, &m2, "spark_tokens_total", &[("tier", "gold")]), 0.0);

    // The tier a request names (a verified key's) wins over the assignment.
    s.generate(GenerateRequest::new("a door").caller("bob-0815").tier("gold")).await.unwrap();
    let m3 = s.metrics();
    assert_eq!(tokens(&m3, "gold", "input") - tokens(&m2, "gold", "input"), 31.0);
    assert_eq!(delta(&m2, &m3, "spark_tokens_total", &[("tier", "free")]), 0.0);

    // A memoised answer spends nothing: requests count, tokens and cost do not.
    s.generate(GenerateRequest::new("a spinner").caller("alice-4711")).await.unwrap();
    let m4 = s.metrics();
    assert_eq!(delta(&m3, &m4, "spark_requests_total", &[("outcome", "ok")]), 1.0);
    assert_eq!(delta(&m3, &m4, "spark_tokens_total", &[]), 0.0);
    assert_eq!(delta(&m3, &m4, "spark_cost_usd_total", &[]), 0.0);

    // Label values come from `[tiers]`: caller ids never become labels.
    let text = s.metrics_text();
    assert!(!text.contains("alice") && !text.contains("bob"), "{text}");
    assert!(text.contains("tier=\"none\""), "series without a tier are created at zero");
}

#[tokio::test]
async fn breaker_transitions_are_counted_by_the_state_entered() {
    let server = MockServer::start().await;
    // Two failures open the breaker; after that the provider is healthy again.
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(500).set_body_json(json!({"error":{"message":"boom"}})))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(sse_response(sse_fixture("openai_text.sse")))
        .with_priority(2)
        .mount(&server)
        .await;
    let mut cfg = config();
    cfg.breaker.failure_threshold = 2;
    cfg.breaker.cooldown_ms = 200;
    let s = Spark::builder().config(cfg.clone()).provider(openai(&server.uri(), &cfg)).build().unwrap();
    let moved = |m: &MetricsSnapshot, to: &str| {
        n(m, "spark_breaker_transitions_total", &[("provider", "openai"), ("to", to)])
    };
    let m0 = s.metrics();
    for to in ["open", "half_open", "closed"] {
        assert_eq!(moved(&m0, to), 0.0, "{to} exported at zero");
    }

    for _ in 0..2 {
        let e = s.generate(GenerateRequest::new("a spinner").no_cache()).await.unwrap_err();
        assert_eq!(e.code(), ErrorCode::ProviderFailed);
    }
    let m1 = s.metrics();
    assert_eq!((moved(&m1, "open"), moved(&m1, "half_open"), moved(&m1, "closed")), (1.0, 0.0, 0.0));
    // Open: refused without a call.
    let e = s.generate(GenerateRequest::new("a spinner").no_cache()).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::CircuitOpen);
    assert_eq!(moved(&s.metrics(), "half_open"), 0.0);

    // After the cool-down one probe goes through, succeeds, and closes the breaker.
    tokio::time::sleep(Duration::from_millis(250)).await;
    s.generate(GenerateRequest::new("a spinner").no_cache()).await.unwrap();
    let m2 = s.metrics();
    assert_eq!((moved(&m2, "open"), moved(&m2, "half_open"), moved(&m2, "closed")), (1.0, 1.0, 1.0));
    assert_eq!(n(&m2, "spark_breaker_opened_total", &[("provider", "openai")]), 1.0);
    assert_eq!(n(&m2, "spark_breaker_state", &[("provider", "openai"), ("state", "closed")]), 1.0);
}
