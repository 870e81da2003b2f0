//! The Anthropic provider against loopback servers speaking the Messages API wire format.

use std::time::Duration;

use serde_json::json;
use spark_core::config::AnthropicConfig;
use spark_core::provider::{
    Anthropic, CompletionRequest, Message, Provider, ProviderEvent, StopReason, Usage, collect_stream,
};
use spark_core::resilience::TimeoutConfig;
use spark_core::{ApiKey, Error, ErrorCode, ProviderErrorKind};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{RawEnd, RawStreamServer, drain_provider_stream, refused_url, sse_fixture, sse_response};

const KEY: &str = "sk-ant-api03-test-key-0123456789";

fn provider(base_url: &str) -> Anthropic {
    let config = AnthropicConfig {
        api_key: Some(ApiKey::new(KEY)),
        base_url: base_url.to_string(),
        ..AnthropicConfig::default()
    };
    Anthropic::new(config, &TimeoutConfig::default()).unwrap()
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

async fn mock_messages(server: &MockServer, response: ResponseTemplate) {
    Mock::given(method("POST")).and(path("/v1/messages")).respond_with(response).mount(server).await;
}

#[tokio::test]
async fn complete_sends_the_exact_body_and_headers_and_reads_the_reply() {
    let server = MockServer::start().await;
    let body = json!({
        "id": "msg_013Zva2CMHLNnXjNJJKqJ2EF",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5-20250929",
        "content": [
            {"type": "thinking", "thinking": "not reply text", "signature": "sig"},
            {"type": "text", "text": "### Spinner.cs\n"},
            {"type": "tool_use", "id": "toolu_1", "name": "x", "input": {}},
            {"type": "text", "text": "```csharp\nclass Spinner {}\n```\n"}
        ],
        "stop_reason": "max_tokens",
        "stop_sequence": null,
        "usage": {"input_tokens": 25, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0, "output_tokens": 15}
    });
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .and(header("x-api-key", KEY))
        .and(header("anthropic-version", "2023-06-01"))
        .and(header("content-type", "application/json"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("request-id", "req_011CSHoEeqs5C35K2UUqR7Fy")
                .set_body_json(body),
        )
        .expect(1)
        .mount(&server)
        .await;

    let mut req = request();
    req.messages.push(Message::assistant("Which axis?"));
    req.messages.push(Message::user("Y"));
    req.stop = vec!["```\n\n".into()];
    req.max_tokens = Some(1024);
    req.extra.insert("top_k".into(), json!(40));
    req.extra.insert("metadata".into(), json!({"user_id": "alice"}));
    req.extra.insert("stream".into(), json!(true)); // the transport decides; ignored
    let out = provider(&server.uri()).complete(&req).await.unwrap();

    assert_eq!(out.text, "### Spinner.cs\n```csharp\nclass Spinner {}\n```\n");
    assert_eq!(out.usage, Usage::new(25, 15));
    assert_eq!(out.stop_reason, Some(StopReason::MaxTokens));
    assert_eq!(out.model, "claude-sonnet-4-5-20250929");
    assert_eq!(out.provider, "anthropic");
    assert_eq!(out.request_id.as_deref(), Some("req_011CSHoEeqs5C35K2UUqR7Fy"));

    let received = server.received_requests().await.unwrap();
    assert_eq!(received.len(), 1);
    let sent: serde_json::Value = received[0].body_json().unwrap();
    assert_eq!(
        sent,
        json!({
            "model": "claude-sonnet-4-5",
            "max_tokens": 1024,
            "system": "You write Unity C#.",
            "messages": [
                {"role": "user", "content": "a spinner that rotates 90 degrees per second"},
                {"role": "assistant", "content": "Which axis?"},
                {"role": "user", "content": "Y"}
            ],
            "temperature": 0.2,
            "stop_sequences": ["```\n\n"],
            "top_k": 40,
            "metadata": {"user_id": "alice"}
        })
    );
    assert!(received[0].headers.get("authorization").is_none(), "Anthropic takes x-api-key only");
}

#[tokio::test]
async fn request_defaults_come_from_the_config_and_overrides_from_the_request() {
    let server = MockServer::start().await;
    let config = AnthropicConfig {
        api_key: Some(ApiKey::new(KEY)),
        base_url: format!("{}/", server.uri()),
        model: "claude-haiku-4-5".into(),
        max_tokens: 333,
        temperature: None,
        version: "2099-01-01".into(),
    };
    let p = Anthropic::new(config, &TimeoutConfig::default()).unwrap();
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .and(header("anthropic-version", "2099-01-01"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "content": [{"type": "text", "text": "ok"}], "stop_reason": "end_turn",
            "usage": {"input_tokens": 3, "output_tokens": 1}, "model": "claude-haiku-4-5"
        })))
        .expect(2)
        .mount(&server)
        .await;
    let req = CompletionRequest { messages: vec![Message::user("hi")], ..Default::default() };
    p.complete(&req).await.unwrap();
    let req2 = CompletionRequest {
        model: Some("claude-opus-4-1".into()),
        temperature: Some(0.7),
        max_tokens: Some(50),
        ..req.clone()
    };
    p.complete(&req2).await.unwrap();
    let received = server.received_requests().await.unwrap();
    let first: serde_json::Value = received[0].body_json().unwrap();
    assert_eq!(
        first,
        json!({"model": "claude-haiku-4-5", "max_tokens": 333, "messages": [{"role": "user", "content": "hi"}]})
    );
    let second: serde_json::Value = received[1].body_json().unwrap();
    assert_eq!(second["model"], "claude-opus-4-1");
    assert_eq!(second["temperature"], json!(0.7));
    assert_eq!(second["max_tokens"], 50);
}

#[tokio::test]
async fn stream_yields_text_usage_and_one_stop() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .and(header("x-api-key", KEY))
        .and(header("anthropic-version", "2023-06-01"))
        .respond_with(
            sse_response(sse_fixture("anthropic_text.sse")).insert_header("request-id", "req_stream_1"),
        )
        .mount(&server)
        .await;
    let stream = provider(&server.uri()).stream(&request()).await.unwrap();
    let (events, err) = drain_provider_stream(stream).await;
    assert!(err.is_none(), "{err:?}");

    assert_eq!(events[0], ProviderEvent::start("claude-sonnet-4-5-20250929", Some("req_stream_1".into())));
    let text: String = events
        .iter()
        .filter_map(|e| match e {
            ProviderEvent::TextDelta { text } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(text, reply_text());
    let usages: Vec<_> = events.iter().filter(|e| matches!(e, ProviderEvent::Usage { .. })).collect();
    assert_eq!(usages, [&ProviderEvent::Usage { usage: Usage::new(25, 15) }]);
    assert_eq!(events.iter().filter(|e| matches!(e, ProviderEvent::Stop { .. })).count(), 1);
    assert_eq!(events.last(), Some(&ProviderEvent::Stop { reason: StopReason::EndTurn }));

    let sent: serde_json::Value = server.received_requests().await.unwrap()[0].body_json().unwrap();
    assert_eq!(sent["stream"], json!(true));
    assert_eq!(sent["max_tokens"], json!(8192));
}

#[tokio::test]
async fn collected_stream_equals_the_non_streaming_shape() {
    let server = MockServer::start().await;
    mock_messages(&server, sse_response(sse_fixture("anthropic_text.sse"))).await;
    let p = provider(&server.uri());
    let out = collect_stream("anthropic", "x", p.stream(&request()).await.unwrap()).await.unwrap();
    assert_eq!(out.text, reply_text());
    assert_eq!(out.usage, Usage::new(25, 15));
    assert_eq!(out.model, "claude-sonnet-4-5-20250929");
}

#[tokio::test]
async fn thinking_tool_and_unknown_events_are_not_text_and_usage_is_cumulative() {
    let server = MockServer::start().await;
    mock_messages(&server, sse_response(sse_fixture("anthropic_thinking_tools.sse"))).await;
    let (events, err) =
        drain_provider_stream(provider(&server.uri()).stream(&request()).await.unwrap()).await;
    assert!(err.is_none(), "{err:?}");
    let text: Vec<_> = events.iter().filter(|e| matches!(e, ProviderEvent::TextDelta { .. })).collect();
    assert_eq!(text, [&ProviderEvent::TextDelta { text: "Here is the pickup:".into() }]);
    // message_start 12 + 30 cache creation + 100 cache read; output overwritten 3 → 20 → 42.
    let n = events.len();
    // The cache parts are kept apart for pricing, never added twice.
    assert_eq!(events[n - 2], ProviderEvent::Usage { usage: Usage::new(142, 42).with_cache(100, 30) });
    assert_eq!(events[n - 1], ProviderEvent::Stop { reason: StopReason::ToolUse });
}

#[tokio::test]
async fn overloaded_error_event_mid_stream_is_retryable_and_keeps_the_partial_text() {
    let server = MockServer::start().await;
    mock_messages(
        &server,
        sse_response(sse_fixture("anthropic_overloaded.sse")).insert_header("request-id", "req_ovl"),
    )
    .await;
    let (events, err) =
        drain_provider_stream(provider(&server.uri()).stream(&request()).await.unwrap()).await;
    assert!(events.contains(&ProviderEvent::TextDelta { text: "using UnityEngine;\n".into() }));
    assert!(!events.iter().any(|e| matches!(e, ProviderEvent::Stop { .. })), "no Stop after an error");
    let err = err.expect("an error");
    let p = provider_error(&err);
    assert_eq!(p.kind, ProviderErrorKind::Overloaded);
    assert_eq!(p.error_type.as_deref(), Some("overloaded_error"));
    assert_eq!(p.message, "Overloaded");
    assert_eq!(p.request_id.as_deref(), Some("req_ovl"));
    assert_eq!(p.status, None);
    assert_eq!(err.partial_text(), Some("using UnityEngine;\n"));
    assert!(err.is_retryable());
    assert_eq!(err.code(), ErrorCode::Overloaded);
}

#[tokio::test]
async fn a_stream_closed_before_message_stop_is_a_truncation_error() {
    let full = sse_fixture("anthropic_text.sse");
    let text = String::from_utf8(full.clone()).unwrap();
    let before_stop = text.find("event: message_stop").unwrap();
    let mid_line = text.find("event: message_delta").unwrap() + 40;
    for cut in [before_stop, mid_line, text.find("event: ping").unwrap()] {
        let server = MockServer::start().await;
        mock_messages(&server, sse_response(full[..cut].to_vec())).await;
        let (events, err) =
            drain_provider_stream(provider(&server.uri()).stream(&request()).await.unwrap()).await;
        let err = err.unwrap_or_else(|| panic!("cut at {cut}: silent success {events:?}"));
        let p = provider_error(&err);
        assert_eq!(p.kind, ProviderErrorKind::Truncated, "cut at {cut}");
        assert!(p.message.contains("message_stop"), "{}", p.message);
        assert_eq!(err.code(), ErrorCode::StreamTruncated);
        assert!(err.is_retryable());
        assert!(!events.iter().any(|e| matches!(e, ProviderEvent::Stop { .. })));
        let streamed: String = events
            .iter()
            .filter_map(|e| match e {
                ProviderEvent::TextDelta { text } => Some(text.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(err.partial_text().unwrap_or(""), streamed, "cut at {cut}");
    }
    // The cut before message_stop keeps the whole reply as partial text.
    let server = MockServer::start().await;
    mock_messages(&server, sse_response(full[..before_stop].to_vec())).await;
    let err = collect_stream("anthropic", "m", provider(&server.uri()).stream(&request()).await.unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.partial_text(), Some(reply_text().as_str()));
}

struct Case {
    status: u16,
    headers: Vec<(&'static str, &'static str)>,
    body: &'static str,
    kind: ProviderErrorKind,
    error_type: Option<&'static str>,
    message: &'static str,
    retryable: bool,
    retry_after: Option<Duration>,
}

fn case(status: u16, body: &'static str, kind: ProviderErrorKind, retryable: bool) -> Case {
    Case { status, headers: vec![], body, kind, error_type: None, message: "", retry_after: None, retryable }
}

#[tokio::test]
async fn http_errors_are_classified_with_retry_after_and_request_id() {
    use ProviderErrorKind as K;
    let err_body = |t: &str, m: &str| -> &'static str {
        Box::leak(json!({"type": "error", "error": {"type": t, "message": m}}).to_string().into_boxed_str())
    };
    let cases = vec![
        Case {
            headers: vec![("retry-after", "17"), ("anthropic-ratelimit-requests-remaining", "0")],
            error_type: Some("rate_limit_error"),
            message: "Number of request tokens has exceeded your per-minute rate limit",
            retry_after: Some(Duration::from_secs(17)),
            ..case(
                429,
                err_body(
                    "rate_limit_error",
                    "Number of request tokens has exceeded your per-minute rate limit",
                ),
                K::RateLimited,
                true,
            )
        },
        Case {
            error_type: Some("overloaded_error"),
            message: "Overloaded",
            ..case(529, err_body("overloaded_error", "Overloaded"), K::Overloaded, true)
        },
        Case {
            error_type: Some("api_error"),
            message: "Internal server error",
            ..case(500, err_body("api_error", "Internal server error"), K::Server, true)
        },
        Case {
            error_type: Some("authentication_error"),
            message: "invalid x-api-key",
            ..case(401, err_body("authentication_error", "invalid x-api-key"), K::Authentication, false)
        },
        Case {
            error_type: Some("permission_error"),
            message: "Your API key does not have permission to use the specified resource.",
            ..case(
                403,
                err_body(
                    "permission_error",
                    "Your API key does not have permission to use the specified resource.",
                ),
                K::Authentication,
                false,
            )
        },
        Case {
            error_type: Some("invalid_request_error"),
            message: "max_tokens: Field required",
            ..case(400, err_body("invalid_request_error", "max_tokens: Field required"), K::BadRequest, false)
        },
        Case {
            error_type: Some("not_found_error"),
            message: "model: claude-nope",
            ..case(404, err_body("not_found_error", "model: claude-nope"), K::NotFound, false)
        },
        Case {
            error_type: Some("request_too_large"),
            message: "Request exceeds the maximum allowed number of bytes.",
            ..case(
                413,
                err_body("request_too_large", "Request exceeds the maximum allowed number of bytes."),
                K::RequestTooLarge,
                false,
            )
        },
        Case {
            message: "Bad Gateway: <html><body><h1>502 Bad Gateway</h1></body></html>",
            ..case(502, "<html><body><h1>502 Bad Gateway</h1></body></html>", K::Server, true)
        },
        Case { message: "Service Unavailable", ..case(503, "", K::Server, true) },
        Case {
            message: "Gateway Timeout: upstream timed out",
            ..case(504, "upstream timed out", K::Server, true)
        },
    ];
    for c in cases {
        let server = MockServer::start().await;
        let mut resp = ResponseTemplate::new(c.status)
            .insert_header("request-id", "req_err")
            .set_body_raw(c.body.as_bytes().to_vec(), "application/json");
        for (k, v) in &c.headers {
            resp = resp.insert_header(*k, *v);
        }
        mock_messages(&server, resp).await;
        let p = provider(&server.uri());
        for streaming in [false, true] {
            let err = if streaming {
                p.stream(&request()).await.err().expect("stream() fails before streaming")
            } else {
                p.complete(&request()).await.unwrap_err()
            };
            let pe = provider_error(&err);
            let what = format!("HTTP {} (streaming {streaming}): {err}", c.status);
            assert_eq!(pe.kind, c.kind, "{what}");
            assert_eq!(pe.status, Some(c.status), "{what}");
            assert_eq!(pe.error_type.as_deref(), c.error_type, "{what}");
            assert_eq!(pe.message, c.message, "{what}");
            assert_eq!(pe.request_id.as_deref(), Some("req_err"), "{what}");
            assert_eq!(pe.retry_after, c.retry_after, "{what}");
            assert_eq!(err.retry_after(), c.retry_after, "{what}");
            assert_eq!(err.is_retryable(), c.retryable, "{what}");
            assert_eq!(pe.partial_text, None);
        }
    }
}

#[tokio::test]
async fn retry_after_as_http_date_and_in_milliseconds() {
    let server = MockServer::start().await;
    let in_two_minutes = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(120));
    mock_messages(
        &server,
        ResponseTemplate::new(429).insert_header("retry-after", in_two_minutes.as_str()).set_body_json(
            json!({"type": "error", "error": {"type": "rate_limit_error", "message": "slow"}}),
        ),
    )
    .await;
    let err = provider(&server.uri()).complete(&request()).await.unwrap_err();
    let wait = err.retry_after().expect("retry-after parsed from an HTTP date");
    // The date has one-second resolution and a moment passes before parsing.
    assert!(wait > Duration::from_secs(100) && wait <= Duration::from_secs(120), "{wait:?}");
    assert!(err.is_rate_limited() && err.is_retryable());

    let server = MockServer::start().await;
    mock_messages(
        &server,
        ResponseTemplate::new(429)
            .insert_header("retry-after", "3")
            .insert_header("retry-after-ms", "2500")
            .set_body_json(
                json!({"type": "error", "error": {"type": "rate_limit_error", "message": "slow"}}),
            ),
    )
    .await;
    let err = provider(&server.uri()).complete(&request()).await.unwrap_err();
    assert_eq!(err.retry_after(), Some(Duration::from_millis(2500)), "the finer header wins");
}

#[tokio::test]
async fn a_200_with_bad_json_is_a_malformed_error() {
    for (body, ct) in [
        ("{\"content\": [", "application/json"),
        ("<html>oops</html>", "text/html"),
        ("{\"unexpected\": true}", "application/json"),
    ] {
        let server = MockServer::start().await;
        mock_messages(&server, ResponseTemplate::new(200).set_body_raw(body, ct)).await;
        let err = provider(&server.uri()).complete(&request()).await.unwrap_err();
        assert_eq!(provider_error(&err).kind, ProviderErrorKind::Malformed, "{body}: {err}");
        assert_eq!(err.code(), ErrorCode::MalformedResponse);
        assert!(!err.is_retryable());
    }
}

#[tokio::test]
async fn bad_json_in_a_known_stream_event_is_malformed() {
    let server = MockServer::start().await;
    let body = b"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":\"m\",\"usage\":{\"input_tokens\":1}}}\n\n\
                 event: content_block_delta\ndata: {not json\n\n"
        .to_vec();
    mock_messages(&server, sse_response(body)).await;
    let (_, err) = drain_provider_stream(provider(&server.uri()).stream(&request()).await.unwrap()).await;
    assert_eq!(provider_error(&err.unwrap()).kind, ProviderErrorKind::Malformed);
}

#[tokio::test]
async fn the_key_never_appears_in_errors_or_debug() {
    let server = MockServer::start().await;
    let echo = format!("invalid x-api-key: {KEY}");
    mock_messages(
        &server,
        ResponseTemplate::new(401).set_body_json(
            json!({"type": "error", "error": {"type": "authentication_error", "message": echo}}),
        ),
    )
    .await;
    let p = provider(&server.uri());
    let err = p.complete(&request()).await.unwrap_err();
    let shown = format!("{err} {err:?} {p:?} {}", serde_json::to_string(provider_error(&err)).unwrap());
    assert!(!shown.contains(KEY), "{shown}");
    assert!(shown.contains("[redacted]"));
    assert_eq!(err.code(), ErrorCode::Authentication);
}

#[tokio::test]
async fn connection_refused_is_a_retryable_connection_error() {
    let p = provider(&refused_url().await);
    for err in [p.complete(&request()).await.unwrap_err(), p.stream(&request()).await.err().unwrap()] {
        assert_eq!(provider_error(&err).kind, ProviderErrorKind::Connection, "{err}");
        assert_eq!(err.code(), ErrorCode::Connection);
        assert!(err.is_retryable());
        assert!(!err.to_string().contains("127.0.0.1"), "the URL is left out: {err}");
    }
}

#[tokio::test]
async fn a_connection_reset_mid_stream_is_a_retryable_error_with_the_partial_text() {
    let full = String::from_utf8(sse_fixture("anthropic_text.sse")).unwrap();
    let first_part = &full[..full.find("event: content_block_stop").unwrap()];
    for end in [RawEnd::Reset, RawEnd::Close] {
        let mut server =
            RawStreamServer::start(&["request-id: req_raw"], first_part.as_bytes().to_vec(), end).await;
        let mut stream = provider(&server.url).stream(&request()).await.unwrap();
        // Read until the last delta of the first part has arrived, then cut the connection.
        use futures::StreamExt;
        let mut text = String::new();
        while text != reply_text() {
            match stream.next().await.expect("stream ended early").expect("no error yet") {
                ProviderEvent::TextDelta { text: t } => text.push_str(&t),
                ProviderEvent::Start { request_id, .. } => assert_eq!(request_id.as_deref(), Some("req_raw")),
                other => panic!("unexpected {other:?}"),
            }
        }
        server.cut().await;
        let (rest, err) = drain_provider_stream(stream).await;
        assert!(rest.is_empty(), "{rest:?}");
        let err = err.expect("an error, not a silent end");
        let p = provider_error(&err);
        // After the 200, a reset and a clean close both cut the stream short.
        assert_eq!(p.kind, ProviderErrorKind::Truncated, "{end:?}: {err}");
        assert_eq!(err.code(), spark_core::ErrorCode::StreamTruncated, "{end:?}");
        assert!(err.is_retryable(), "{end:?}");
        assert_eq!(err.partial_text(), Some(reply_text().as_str()));
        assert_eq!(p.request_id.as_deref(), Some("req_raw"));
    }
}

#[tokio::test]
async fn empty_messages_are_rejected_before_any_call() {
    let p = provider(&refused_url().await);
    let err = p.complete(&CompletionRequest::default()).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidRequest);
}

#[test]
fn a_missing_key_is_a_typed_error() {
    if std::env::var("ANTHROPIC_API_KEY").is_ok_and(|v| !v.trim().is_empty()) {
        return; // the environment supplies a key; nothing to check here
    }
    let err = Anthropic::new(AnthropicConfig::default(), &TimeoutConfig::default()).unwrap_err();
    assert!(matches!(&err, Error::MissingApiKey { env_var, .. } if env_var == "ANTHROPIC_API_KEY"), "{err}");
    assert_eq!(err.code(), ErrorCode::MissingApiKey);
}

#[test]
fn identity_names_endpoint_model_and_settings() {
    let a = provider("http://127.0.0.1:1");
    let b = provider("http://127.0.0.1:2");
    assert_ne!(a.identity(), b.identity());
    assert!(a.identity().contains("claude-sonnet-4-5"));
    assert!(!a.identity().contains(KEY));
}

#[tokio::test]
async fn spark_generates_through_anthropic_from_configuration() {
    use futures::StreamExt;
    use spark_core::{GenerateRequest, Spark, SparkConfig, StreamEvent};
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .and(header("x-api-key", KEY))
        .respond_with(sse_response(sse_fixture("anthropic_text.sse")).insert_header("request-id", "req_e2e"))
        .mount(&server)
        .await;
    let mut config = SparkConfig::from_toml_str(&format!(
        "[providers]\norder = [\"anthropic\"]\n[anthropic]\napi_key = \"{KEY}\"\nbase_url = \"{}\"\n",
        server.uri()
    ))
    .unwrap();
    config.cache.enabled = false;
    let spark = Spark::from_config(config).unwrap();
    let mut stream = Box::pin(spark.generate_stream(GenerateRequest::new("a spinner")));
    let mut done = None;
    while let Some(ev) = stream.next().await {
        if let StreamEvent::Done { result } = ev.unwrap() {
            done = Some(result);
        }
    }
    let out = done.expect("Done event");
    assert_eq!(out.provider, "anthropic");
    assert_eq!(out.provider_request_id.as_deref(), Some("req_e2e"));
    assert_eq!(out.usage, Usage::new(25, 15));
    assert!(out.files.iter().any(|f| f.content.contains("class Spinner : MonoBehaviour")), "{:?}", out.files);
}

#[test]
fn unusable_settings_are_configuration_errors_at_construction() {
    let t = TimeoutConfig::default();
    let cfg = |f: fn(&mut AnthropicConfig)| {
        let mut c = AnthropicConfig {
            api_key: Some(ApiKey::new(KEY)),
            base_url: "http://127.0.0.1:1".into(),
            ..AnthropicConfig::default()
        };
        f(&mut c);
        c
    };
    for (config, field) in [
        (cfg(|c| c.base_url = "ftp://example.invalid".into()), "anthropic.base_url"),
        (cfg(|c| c.api_key = Some(ApiKey::new("sk-ant\u{7f}secret"))), "anthropic.api_key"),
        (cfg(|c| c.version = "2023-06-01\n".into()), "anthropic.version"),
    ] {
        let err = Anthropic::new(config, &t).unwrap_err();
        assert!(matches!(&err, Error::Config { field: f, .. } if f == field), "{err}");
        assert!(!err.to_string().contains("secret"), "{err}");
    }
}

#[tokio::test]
async fn a_proxy_that_ignores_stream_true_and_answers_json_still_streams() {
    let server = MockServer::start().await;
    let body = json!({
        "id": "msg_01", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5-20250929",
        "content": [{"type": "text", "text": "### Spinner.cs\n"}],
        "stop_reason": "end_turn", "stop_sequence": null,
        "usage": {"input_tokens": 25, "output_tokens": 15}
    });
    mock_messages(&server, ResponseTemplate::new(200).set_body_json(body)).await;
    let p = provider(&server.uri());
    let out = collect_stream("anthropic", "x", p.stream(&request()).await.unwrap()).await.unwrap();
    assert_eq!(out.text, "### Spinner.cs\n");
    assert_eq!(out.usage, Usage::new(25, 15));
    assert_eq!(out.stop_reason, Some(StopReason::EndTurn));
}
