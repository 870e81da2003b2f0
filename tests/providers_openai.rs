//! The OpenAI provider against loopback servers speaking the Chat Completions wire format
//! (OpenAI itself and compatible servers such as Ollama and vLLM).

use std::time::Duration;

use serde_json::json;
use spark_core::config::OpenAiConfig;
use spark_core::provider::{
    CompletionRequest, Message, OpenAi, Provider, ProviderEvent, StopReason, Usage, collect_stream,
};
use spark_core::resilience::TimeoutConfig;
use spark_core::{ApiKey, Error, ErrorCode, ProviderErrorKind};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{RawEnd, RawStreamServer, drain_provider_stream, refused_url, sse_fixture, sse_response};

const KEY: &str = "sk-proj-test-key-abcdef0123456789";

fn config(base_url: &str) -> OpenAiConfig {
    OpenAiConfig {
        api_key: Some(ApiKey::new(KEY)),
        base_url: format!("{base_url}/v1"),
        ..OpenAiConfig::default()
    }
}

fn provider(base_url: &str) -> OpenAi {
    OpenAi::new(config(base_url), &TimeoutConfig::default()).unwrap()
}

fn request() -> CompletionRequest {
    CompletionRequest {
        system: Some("You write Unity C#.".into()),
        messages: vec![Message::user("a spinner that rotates 90 degrees per second")],
        ..CompletionRequest::default()
    }
}

fn reply_text() -> String {
    String::from_utf8(sse_fixture("spinner_reply.txt")).unwrap()
}

fn provider_error(e: &Error) -> &spark_core::ProviderError {
    e.provider_error().unwrap_or_else(|| panic!("not a provider error: {e:?}"))
}

fn text_of(events: &[ProviderEvent]) -> String {
    events
        .iter()
        .filter_map(|e| match e {
            ProviderEvent::TextDelta { text } => Some(text.as_str()),
            _ => None,
        })
        .collect()
}

async fn mock_chat(server: &MockServer, response: ResponseTemplate) {
    Mock::given(method("POST")).and(path("/v1/chat/completions")).respond_with(response).mount(server).await;
}

fn completion_body() -> serde_json::Value {
    json!({
        "id": "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG",
        "object": "chat.completion",
        "created": 1741570283,
        "model": "gpt-4o-mini-2024-07-18",
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": "```csharp\nclass Spinner {}\n```", "refusal": null, "annotations": []},
            "logprobs": null,
            "finish_reason": "stop"
        }],
        "usage": {
            "prompt_tokens": 31, "completion_tokens": 18, "total_tokens": 49,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0, "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}
        },
        "service_tier": "default",
        "system_fingerprint": "fp_06737a9306"
    })
}

#[tokio::test]
async fn complete_sends_the_exact_body_and_headers_and_reads_the_reply() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .and(header("openai-organization", "org-test"))
        .and(header("openai-project", "proj_test"))
        .and(header("content-type", "application/json"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-request-id", "req_7f5a0c2b9d")
                .set_body_json(completion_body()),
        )
        .expect(1)
        .mount(&server)
        .await;
    let cfg = OpenAiConfig {
        organization: Some("org-test".into()),
        project: Some("proj_test".into()),
        // What api.openai.com gets by default; a loopback server would get `max_tokens` unasked.
        legacy_max_tokens: Some(false),
        ..config(&server.uri())
    };
    let p = OpenAi::new(cfg, &TimeoutConfig::default()).unwrap();
    let mut req = request();
    req.messages.push(Message::assistant("Which axis?"));
    req.messages.push(Message::user("Y"));
    req.stop = vec!["END".into()];
    req.extra.insert("seed".into(), json!(7));
    req.extra.insert("top_p".into(), json!(0.9));
    req.extra.insert("stream".into(), json!(true)); // ignored: the transport decides
    req.extra.insert("stream_options".into(), json!({"include_usage": false})); // dropped when not streaming
    let out = p.complete(&req).await.unwrap();

    assert_eq!(out.text, "```csharp\nclass Spinner {}\n```");
    assert_eq!(out.usage, Usage::new(31, 18));
    assert_eq!(out.stop_reason, Some(StopReason::EndTurn));
    assert_eq!(out.model, "gpt-4o-mini-2024-07-18");
    assert_eq!(out.provider, "openai");
    assert_eq!(out.request_id.as_deref(), Some("req_7f5a0c2b9d"));

    let sent: serde_json::Value = server.received_requests().await.unwrap()[0].body_json().unwrap();
    assert_eq!(
        sent,
        json!({
            "model": "gpt-4o-mini",
            "messages": [
                {"role": "system", "content": "You write Unity C#."},
                {"role": "user", "content": "a spinner that rotates 90 degrees per second"},
                {"role": "assistant", "content": "Which axis?"},
                {"role": "user", "content": "Y"}
            ],
            "max_completion_tokens": 8192,
            "temperature": 0.2,
            "stop": ["END"],
            "seed": 7,
            "top_p": 0.9
        })
    );
}

#[tokio::test]
async fn legacy_max_tokens_and_no_key_for_a_local_server() {
    let server = MockServer::start().await;
    mock_chat(&server, ResponseTemplate::new(200).set_body_json(completion_body())).await;
    // An Ollama-like server: no key configured (and none needed), older `max_tokens` field.
    let cfg = OpenAiConfig {
        api_key: None,
        base_url: format!("{}/v1/", server.uri()),
        model: "qwen2.5-coder:7b".into(),
        legacy_max_tokens: None, // a local server gets `max_tokens` unasked
        max_tokens: 512,
        temperature: None,
        ..OpenAiConfig::default()
    };
    let p = match std::env::var("OPENAI_API_KEY") {
        Ok(v) if !v.trim().is_empty() => return, // the environment supplies a key
        _ => OpenAi::new(cfg, &TimeoutConfig::default()).expect("no key needed off api.openai.com"),
    };
    p.complete(&request()).await.unwrap();
    let received = server.received_requests().await.unwrap();
    assert!(received[0].headers.get("authorization").is_none());
    let sent: serde_json::Value = received[0].body_json().unwrap();
    assert_eq!(sent["max_tokens"], 512);
    assert!(sent.get("max_completion_tokens").is_none());
    assert!(sent.get("temperature").is_none());
    assert_eq!(sent["model"], "qwen2.5-coder:7b");
}

#[test]
fn the_official_endpoint_needs_a_key() {
    if std::env::var("OPENAI_API_KEY").is_ok_and(|v| !v.trim().is_empty()) {
        return;
    }
    let err = OpenAi::new(OpenAiConfig::default(), &TimeoutConfig::default()).unwrap_err();
    assert!(matches!(&err, Error::MissingApiKey { env_var, .. } if env_var == "OPENAI_API_KEY"), "{err}");
}

#[tokio::test]
async fn stream_yields_text_exact_usage_and_one_stop() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .respond_with(sse_response(sse_fixture("openai_text.sse")).insert_header("x-request-id", "req_s1"))
        .mount(&server)
        .await;
    let (events, err) =
        drain_provider_stream(provider(&server.uri()).stream(&request()).await.unwrap()).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(events[0], ProviderEvent::start("gpt-4o-mini-2024-07-18", Some("req_s1".into())));
    assert_eq!(text_of(&events), reply_text());
    let usages: Vec<_> = events.iter().filter(|e| matches!(e, ProviderEvent::Usage { .. })).collect();
    assert_eq!(usages, [&ProviderEvent::Usage { usage: Usage::new(31, 18) }]);
    assert_eq!(events.iter().filter(|e| matches!(e, ProviderEvent::Stop { .. })).count(), 1);
    assert_eq!(events.last(), Some(&ProviderEvent::Stop { reason: StopReason::EndTurn }));

    let sent: serde_json::Value = server.received_requests().await.unwrap()[0].body_json().unwrap();
    assert_eq!(sent["stream"], json!(true));
    assert_eq!(sent["stream_options"], json!({"include_usage": true}));
}

#[tokio::test]
async fn compatible_server_stream_crlf_no_space_comments_and_cumulative_usage() {
    let server = MockServer::start().await;
    mock_chat(&server, sse_response(sse_fixture("openai_compat_crlf.sse"))).await;
    let p = provider(&server.uri());
    let out = collect_stream("openai", "x", p.stream(&request()).await.unwrap()).await.unwrap();
    assert_eq!(out.text, "public class A : MonoBehaviour { } // ünïcødé");
    // Usage sent with every chunk is cumulative: the last one counts, never the sum (22).
    assert_eq!(out.usage, Usage::new(40, 10));
    assert_eq!(out.stop_reason, Some(StopReason::MaxTokens));
    assert_eq!(out.model, "qwen2.5-coder:7b");
}

#[tokio::test]
async fn stream_options_from_extra_are_kept_but_usage_is_always_asked_for() {
    let server = MockServer::start().await;
    mock_chat(&server, sse_response(sse_fixture("openai_text.sse"))).await;
    let mut req = request();
    req.extra.insert("stream_options".into(), json!({"include_usage": false, "include_obfuscation": false}));
    let (_, err) = drain_provider_stream(provider(&server.uri()).stream(&req).await.unwrap()).await;
    assert!(err.is_none());
    let sent: serde_json::Value = server.received_requests().await.unwrap()[0].body_json().unwrap();
    assert_eq!(sent["stream_options"], json!({"include_usage": true, "include_obfuscation": false}));
}

#[tokio::test]
async fn error_chunk_mid_stream_is_a_typed_error_with_partial_text() {
    let server = MockServer::start().await;
    mock_chat(&server, sse_response(sse_fixture("openai_midstream_error.sse"))).await;
    let (events, err) =
        drain_provider_stream(provider(&server.uri()).stream(&request()).await.unwrap()).await;
    assert_eq!(text_of(&events), "using UnityEngine;\n");
    let err = err.expect("an error");
    let p = provider_error(&err);
    assert_eq!(p.kind, ProviderErrorKind::Server);
    assert_eq!(p.error_type.as_deref(), Some("server_error"));
    assert!(p.message.starts_with("The server had an error"), "{}", p.message);
    assert_eq!(err.partial_text(), Some("using UnityEngine;\n"));
    assert!(err.is_retryable());
}

#[tokio::test]
async fn eof_before_done_is_a_truncation_error() {
    let full = String::from_utf8(sse_fixture("openai_text.sse")).unwrap();
    // Even with finish_reason and usage received, a missing [DONE] is a truncation.
    let before_done = full.find("data: [DONE]").unwrap();
    let mid_chunk = full.find("Dreht").unwrap();
    for cut in [before_done, mid_chunk] {
        let server = MockServer::start().await;
        mock_chat(&server, sse_response(full.as_bytes()[..cut].to_vec())).await;
        let (events, err) =
            drain_provider_stream(provider(&server.uri()).stream(&request()).await.unwrap()).await;
        let err = err.unwrap_or_else(|| panic!("cut at {cut}: silent success"));
        assert_eq!(provider_error(&err).kind, ProviderErrorKind::Truncated, "{err}");
        assert!(err.is_retryable());
        assert!(!events.iter().any(|e| matches!(e, ProviderEvent::Stop { .. })));
        assert_eq!(err.partial_text().unwrap_or(""), text_of(&events));
    }
}

#[tokio::test]
async fn quota_is_not_retryable_but_rate_limit_is() {
    let quota = json!({"error": {
        "message": "You exceeded your current quota, please check your plan and billing details.",
        "type": "insufficient_quota", "param": null, "code": "insufficient_quota"
    }});
    let rate = json!({"error": {
        "message": "Rate limit reached for gpt-4o-mini in organization org-test on tokens per min (TPM): Limit 200000, Used 199500, Requested 800. Please try again in 90ms.",
        "type": "tokens", "param": null, "code": "rate_limit_exceeded"
    }});
    let server = MockServer::start().await;
    mock_chat(
        &server,
        ResponseTemplate::new(429).insert_header("x-request-id", "req_q").set_body_json(quota),
    )
    .await;
    let err = provider(&server.uri()).complete(&request()).await.unwrap_err();
    let p = provider_error(&err);
    assert_eq!(
        (p.kind, p.status, p.error_type.as_deref()),
        (ProviderErrorKind::QuotaExceeded, Some(429), Some("insufficient_quota"))
    );
    assert!(!err.is_retryable() && !err.is_rate_limited());
    assert_eq!(err.code(), ErrorCode::QuotaExceeded);
    assert_eq!(p.request_id.as_deref(), Some("req_q"));

    let server = MockServer::start().await;
    mock_chat(
        &server,
        ResponseTemplate::new(429)
            .insert_header("retry-after-ms", "90")
            .insert_header("retry-after", "1")
            .insert_header("x-ratelimit-remaining-tokens", "0")
            .set_body_json(rate),
    )
    .await;
    let err = provider(&server.uri()).stream(&request()).await.err().unwrap();
    let p = provider_error(&err);
    assert_eq!(
        (p.kind, p.error_type.as_deref()),
        (ProviderErrorKind::RateLimited, Some("rate_limit_exceeded"))
    );
    assert!(err.is_retryable() && err.is_rate_limited());
    assert_eq!(err.retry_after(), Some(Duration::from_millis(90)));
}

#[tokio::test]
async fn http_errors_of_openai_and_compatible_servers_are_classified() {
    use ProviderErrorKind as K;
    // (status, body, kind, error_type, message, retryable)
    type Case = (u16, String, K, Option<&'static str>, &'static str, bool);
    let cases: Vec<Case> = vec![
        (
            401,
            json!({"error": {"message": "Incorrect API key provided: sk-proj-****6789.", "type": "invalid_request_error", "param": null, "code": "invalid_api_key"}}).to_string(),
            K::Authentication,
            Some("invalid_api_key"),
            "Incorrect API key provided: sk-proj-****6789.",
            false,
        ),
        (
            400,
            json!({"error": {"message": "This model's maximum context length is 128000 tokens.", "type": "invalid_request_error", "param": "messages", "code": "context_length_exceeded"}}).to_string(),
            K::BadRequest,
            Some("context_length_exceeded"),
            "This model's maximum context length is 128000 tokens.",
            false,
        ),
        (
            404,
            json!({"error": {"message": "The model `gpt-9` does not exist or you do not have access to it.", "type": "invalid_request_error", "param": null, "code": "model_not_found"}}).to_string(),
            K::NotFound,
            Some("model_not_found"),
            "The model `gpt-9` does not exist or you do not have access to it.",
            false,
        ),
        (
            // Ollama: the error is a plain string.
            404,
            json!({"error": "model \"llama9\" not found, try pulling it first"}).to_string(),
            K::NotFound,
            None,
            "model \"llama9\" not found, try pulling it first",
            false,
        ),
        (
            500,
            json!({"error": {"message": "The server had an error processing your request.", "type": "server_error", "param": null, "code": null}}).to_string(),
            K::Server,
            Some("server_error"),
            "The server had an error processing your request.",
            true,
        ),
        (503, "upstream connect error or disconnect/reset before headers".into(), K::Server, None, "Service Unavailable: upstream connect error or disconnect/reset before headers", true),
        (
            // vLLM: {"object":"error","message":…,"type":…,"code":400}
            400,
            json!({"object": "error", "message": "max_tokens must be at least 1", "type": "BadRequestError", "param": null, "code": 400}).to_string(),
            K::BadRequest,
            Some("BadRequestError"),
            "max_tokens must be at least 1",
            false,
        ),
    ];
    for (status, body, kind, error_type, message, retryable) in cases {
        let server = MockServer::start().await;
        mock_chat(&server, ResponseTemplate::new(status).set_body_raw(body.clone(), "application/json"))
            .await;
        let err = provider(&server.uri()).complete(&request()).await.unwrap_err();
        let p = provider_error(&err);
        assert_eq!(p.kind, kind, "{status} {body}");
        assert_eq!(p.status, Some(status));
        assert_eq!(p.error_type.as_deref(), error_type, "{body}");
        assert_eq!(p.message, message);
        assert_eq!(err.is_retryable(), retryable, "{body}");
    }
}

#[tokio::test]
async fn bad_or_error_bodies_in_a_200_are_typed() {
    let server = MockServer::start().await;
    mock_chat(&server, ResponseTemplate::new(200).set_body_raw("{\"choices\": [", "application/json")).await;
    let err = provider(&server.uri()).complete(&request()).await.unwrap_err();
    assert_eq!(provider_error(&err).kind, ProviderErrorKind::Malformed);
    assert!(!err.is_retryable());

    let server = MockServer::start().await;
    mock_chat(&server, ResponseTemplate::new(200).set_body_json(json!({"choices": []}))).await;
    let err = provider(&server.uri()).complete(&request()).await.unwrap_err();
    assert_eq!(provider_error(&err).kind, ProviderErrorKind::Malformed);

    // A compatible server answering a streaming request with a JSON error and status 200.
    let server = MockServer::start().await;
    mock_chat(
        &server,
        ResponseTemplate::new(200).set_body_json(json!({"error": {"message": "busy", "type": "overloaded"}})),
    )
    .await;
    let err = provider(&server.uri()).stream(&request()).await.err().unwrap();
    assert_eq!(provider_error(&err).kind, ProviderErrorKind::Overloaded);
    assert_eq!(provider_error(&err).message, "busy");

    // A non-JSON data line in the stream.
    let server = MockServer::start().await;
    mock_chat(
        &server,
        sse_response(
            b"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}\n\ndata: <html>\n\n".to_vec(),
        ),
    )
    .await;
    let (events, err) =
        drain_provider_stream(provider(&server.uri()).stream(&request()).await.unwrap()).await;
    assert_eq!(text_of(&events), "a");
    let err = err.unwrap();
    assert_eq!(provider_error(&err).kind, ProviderErrorKind::Malformed);
    assert_eq!(err.partial_text(), Some("a"));
}

#[tokio::test]
async fn refusal_and_content_filter_are_reported() {
    let server = MockServer::start().await;
    let mut body = completion_body();
    body["choices"][0]["message"] =
        json!({"role": "assistant", "content": null, "refusal": "I can't help with that."});
    mock_chat(&server, ResponseTemplate::new(200).set_body_json(body)).await;
    let out = provider(&server.uri()).complete(&request()).await.unwrap();
    assert_eq!(out.text, "");
    assert_eq!(out.stop_reason, Some(StopReason::ContentFilter));
}

#[tokio::test]
async fn the_key_never_appears_in_errors_or_debug() {
    let server = MockServer::start().await;
    mock_chat(
        &server,
        ResponseTemplate::new(401).set_body_json(
            json!({"error": {"message": format!("Incorrect API key provided: {KEY}."), "type": "invalid_request_error", "code": "invalid_api_key"}}),
        ),
    )
    .await;
    let p = provider(&server.uri());
    let err = p.complete(&request()).await.unwrap_err();
    let shown = format!("{err} {err:?} {p:?}");
    assert!(!shown.contains(KEY), "{shown}");
}

#[tokio::test]
async fn connection_reset_mid_stream_is_retryable_and_keeps_the_text() {
    let full = String::from_utf8(sse_fixture("openai_text.sse")).unwrap();
    let first =
        &full[..full.find("\"finish_reason\":\"stop\"").map(|i| full[..i].rfind("data:").unwrap()).unwrap()];
    let mut server =
        RawStreamServer::start(&["x-request-id: req_raw"], first.as_bytes().to_vec(), RawEnd::Reset).await;
    let mut stream = provider(&server.url).stream(&request()).await.unwrap();
    use futures::StreamExt;
    let mut text = String::new();
    while text != reply_text() {
        if let ProviderEvent::TextDelta { text: t } = stream.next().await.unwrap().unwrap() {
            text.push_str(&t);
        }
    }
    server.cut().await;
    let (rest, err) = drain_provider_stream(stream).await;
    assert!(rest.is_empty());
    let err = err.expect("an error");
    // The 200 arrived: a dropped connection now is a truncated stream, not a failed connect.
    assert_eq!(provider_error(&err).kind, ProviderErrorKind::Truncated, "{err}");
    assert!(err.is_retryable());
    assert_eq!(err.partial_text(), Some(reply_text().as_str()));
    assert_eq!(provider_error(&err).request_id.as_deref(), Some("req_raw"));

    let err = provider(&refused_url().await).complete(&request()).await.unwrap_err();
    assert_eq!(provider_error(&err).kind, ProviderErrorKind::Connection);
    assert!(err.is_retryable());
}

#[tokio::test]
async fn a_429_without_retry_after_waits_for_the_exhausted_limit_to_reset() {
    let server = MockServer::start().await;
    mock_chat(
        &server,
        ResponseTemplate::new(429)
            .insert_header("x-ratelimit-limit-requests", "500")
            .insert_header("x-ratelimit-remaining-requests", "499")
            .insert_header("x-ratelimit-reset-requests", "120ms")
            .insert_header("x-ratelimit-limit-tokens", "200000")
            .insert_header("x-ratelimit-remaining-tokens", "0")
            .insert_header("x-ratelimit-reset-tokens", "1.5s")
            .set_body_json(json!({"error": {"message": "Rate limit reached", "type": "tokens", "code": "rate_limit_exceeded"}})),
    )
    .await;
    let err = provider(&server.uri()).complete(&request()).await.unwrap_err();
    assert!(err.is_rate_limited());
    assert_eq!(err.retry_after(), Some(Duration::from_millis(1500)));
}

#[tokio::test]
async fn spark_generates_through_an_openai_compatible_server_without_a_key() {
    use spark_core::{GenerateRequest, Spark, SparkConfig};
    if std::env::var("OPENAI_API_KEY").is_ok_and(|v| !v.trim().is_empty()) {
        return; // the no-key path cannot be shown with a key in the environment
    }
    let server = MockServer::start().await;
    let mut body = completion_body();
    body["choices"][0]["message"]["content"] = json!(reply_text());
    body["model"] = json!("qwen2.5-coder:7b");
    mock_chat(&server, ResponseTemplate::new(200).set_body_json(body)).await;
    let mut config = SparkConfig::from_toml_str(&format!(
        "[providers]\norder = [\"openai\"]\n[openai]\nbase_url = \"{}/v1\"\nmodel = \"qwen2.5-coder:7b\"\n",
        server.uri()
    ))
    .unwrap();
    config.cache.enabled = false;
    let out = Spark::from_config(config).unwrap().generate(GenerateRequest::new("a spinner")).await.unwrap();
    assert_eq!((out.provider.as_str(), out.model.as_str()), ("openai", "qwen2.5-coder:7b"));
    assert_eq!(out.usage, Usage::new(31, 18));
    assert!(out.files.iter().any(|f| f.content.contains("class Spinner : MonoBehaviour")), "{:?}", out.files);
    let received = server.received_requests().await.unwrap();
    assert!(received[0].headers.get("authorization").is_none());
}

#[tokio::test]
async fn extra_null_removes_a_configured_field() {
    // Reasoning models reject `temperature`: a request can leave the configured one out.
    let server = MockServer::start().await;
    mock_chat(&server, ResponseTemplate::new(200).set_body_json(completion_body())).await;
    let mut req = request();
    req.extra.insert("temperature".into(), serde_json::Value::Null);
    req.extra.insert("reasoning_effort".into(), json!("low"));
    provider(&server.uri()).complete(&req).await.unwrap();
    let sent: serde_json::Value = server.received_requests().await.unwrap()[0].body_json().unwrap();
    assert!(sent.get("temperature").is_none(), "{sent}");
    assert_eq!(sent["reasoning_effort"], "low");
}

#[test]
fn unusable_settings_are_configuration_errors_at_construction() {
    let t = TimeoutConfig::default();
    let bad_url = OpenAiConfig { base_url: "localhost:11434/v1".into(), ..config("http://127.0.0.1:1") };
    let err = OpenAi::new(bad_url, &t).unwrap_err();
    assert!(matches!(&err, Error::Config { field, .. } if field == "openai.base_url"), "{err}");

    let bad_key =
        OpenAiConfig { api_key: Some(ApiKey::new("sk-line1\nline2")), ..config("http://127.0.0.1:1") };
    let err = OpenAi::new(bad_key, &t).unwrap_err();
    assert!(matches!(&err, Error::Config { field, .. } if field == "openai.api_key"), "{err}");
    assert!(!err.to_string().contains("line1"), "{err}");

    let bad_org =
        OpenAiConfig { organization: Some("org\r\nX-Injected: 1".into()), ..config("http://127.0.0.1:1") };
    let err = OpenAi::new(bad_org, &t).unwrap_err();
    assert!(matches!(&err, Error::Config { field, .. } if field == "openai.organization"), "{err}");
}

#[tokio::test]
async fn a_runaway_line_mid_stream_is_malformed_after_the_text_before_it() {
    let server = MockServer::start().await;
    let mut body =
        b"data: {\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ok\"}}]}\n\ndata: "
            .to_vec();
    body.extend(std::iter::repeat_n(b'x', 2 * 1024 * 1024));
    mock_chat(&server, sse_response(body)).await;
    let (events, err) =
        drain_provider_stream(provider(&server.uri()).stream(&request()).await.unwrap()).await;
    assert_eq!(text_of(&events), "ok");
    let err = err.expect("an error");
    assert_eq!(provider_error(&err).kind, ProviderErrorKind::Malformed, "{err}");
    assert!(provider_error(&err).message.contains("line longer than"), "{err}");
    assert_eq!(err.partial_text(), Some("ok"));
}

#[tokio::test]
async fn a_server_that_ignores_stream_true_and_answers_json_still_streams() {
    let server = MockServer::start().await;
    mock_chat(&server, ResponseTemplate::new(200).set_body_json(completion_body())).await;
    let p = provider(&server.uri());
    let (events, error) = drain_provider_stream(p.stream(&request()).await.unwrap()).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(
        events,
        vec![
            ProviderEvent::start("gpt-4o-mini-2024-07-18", None),
            ProviderEvent::TextDelta { text: "```csharp\nclass Spinner {}\n```".into() },
            ProviderEvent::Usage { usage: Usage::new(31, 18) },
            ProviderEvent::Stop { reason: StopReason::EndTurn },
        ]
    );
}

#[tokio::test]
async fn reasoning_models_get_no_default_temperature() {
    let server = MockServer::start().await;
    mock_chat(&server, ResponseTemplate::new(200).set_body_json(completion_body())).await;
    let p = provider(&server.uri());
    for (model, explicit, sent) in [
        ("o3-mini", None, None),
        ("gpt-5", None, None),
        ("openrouter/openai/o1", None, None),
        ("gpt-5", Some(1.0), Some(1.0)),
        ("gpt-5-chat-latest", None, Some(0.2)),
        ("gpt-4o-mini", None, Some(0.2)),
        ("qwen2.5-coder:7b", None, Some(0.2)),
    ] {
        let mut req = request();
        req.model = Some(model.into());
        req.temperature = explicit;
        p.complete(&req).await.unwrap();
        let body: serde_json::Value =
            server.received_requests().await.unwrap().last().unwrap().body_json().unwrap();
        assert_eq!(body.get("temperature").and_then(|t| t.as_f64()).map(|t| t as f32), sent, "{model}");
    }
}
