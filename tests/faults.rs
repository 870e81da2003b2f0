//! Fault injection against the real HTTP providers on loopback servers: wiremock for HTTP-level
//! faults, a raw `TcpListener` for connection resets and stalls. Every fault must end in the right
//! typed error within its deadline (+10%), or — with one healthy fallback — in a success, 200
//! requests in a row; never a hang, a panic, or a success carrying partial text.

use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::json;
use spark_core::config::{AnthropicConfig, OpenAiConfig};
use spark_core::provider::{Anthropic, OpenAi, Usage};
use spark_core::{ApiKey, Error, ErrorCode, GenerateRequest, Spark, SparkConfig, StreamEvent};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::resilience::SCRIPT;

const FIRST_TOKEN_MS: u64 = 300;
const IDLE_MS: u64 = 200;
const TOTAL_MS: u64 = 1_000;

fn config() -> SparkConfig {
    let mut c = SparkConfig::default();
    c.rate_limit.enabled = false;
    c.repair.max_rounds = 0;
    c.cache.enabled = false;
    c.retry.max_attempts = 2;
    c.retry.base_delay_ms = 10;
    c.retry.max_delay_ms = 50;
    c.timeouts.connect_ms = 200;
    c.timeouts.first_token_ms = FIRST_TOKEN_MS;
    c.timeouts.idle_ms = IDLE_MS;
    c.timeouts.total_ms = TOTAL_MS;
    c
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

fn openai(base_url: &str, cfg: &SparkConfig) -> OpenAi {
    let o = OpenAiConfig {
        api_key: Some(ApiKey::new("sk-test-0123456789")),
        base_url: format!("{base_url}/v1"),
        model: "gpt-test".into(),
        ..OpenAiConfig::default()
    };
    OpenAi::new(o, &cfg.timeouts).unwrap()
}

// ------------------------------------------------------------------ wire bodies

fn sse(events: &[(&str, serde_json::Value)]) -> String {
    events.iter().map(|(name, data)| format!("event: {name}\ndata: {data}\n\n")).collect()
}

fn anthropic_head(text: &str) -> String {
    sse(&[
        (
            "message_start",
            json!({"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant",
                "model":"claude-test","content":[],"stop_reason":null,"usage":{"input_tokens":11,"output_tokens":1}}}),
        ),
        (
            "content_block_start",
            json!({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}),
        ),
        (
            "content_block_delta",
            json!({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":text}}),
        ),
    ])
}

fn openai_json(text: &str) -> serde_json::Value {
    json!({"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-test",
        "choices":[{"index":0,"message":{"role":"assistant","content":text},"finish_reason":"stop"}],
        "usage":{"prompt_tokens":11,"completion_tokens":22,"total_tokens":33}})
}

fn openai_sse(text: &str) -> String {
    let chunk = |delta: serde_json::Value, finish: serde_json::Value| {
        json!({"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-test",
            "choices":[{"index":0,"delta":delta,"finish_reason":finish}]})
    };
    let usage = json!({"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-test","choices":[],
        "usage":{"prompt_tokens":11,"completion_tokens":22,"total_tokens":33}});
    let half = text.len() / 2;
    [
        chunk(json!({"role":"assistant","content":""}), json!(null)),
        chunk(json!({"content":&text[..half]}), json!(null)),
        chunk(json!({"content":&text[half..]}), json!(null)),
        chunk(json!({}), json!("stop")),
        usage,
    ]
    .iter()
    .map(|c| format!("data: {c}\n\n"))
    .chain(std::iter::once("data: [DONE]\n\n".to_string()))
    .collect()
}

fn is_stream(r: &Request) -> bool {
    serde_json::from_slice::<serde_json::Value>(&r.body).is_ok_and(|v| v["stream"] == json!(true))
}

/// A healthy OpenAI-compatible server answering plain and streamed requests.
async fn healthy_openai() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(is_stream)
        .respond_with(ResponseTemplate::new(200).set_body_raw(openai_sse(SCRIPT), "text/event-stream"))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(|r: &Request| !is_stream(r))
        .respond_with(ResponseTemplate::new(200).set_body_json(openai_json(SCRIPT)))
        .mount(&server)
        .await;
    server
}

async fn anthropic_mock(response: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST")).and(path("/v1/messages")).respond_with(response).mount(&server).await;
    server
}

// ------------------------------------------------------------------ raw TCP faults

#[derive(Clone, Copy, Debug)]
enum Raw {
    /// Accept, read the request, reset the connection.
    Reset,
    /// Accept, read the request, never answer.
    StallBeforeHeaders,
    /// Send SSE headers and the first text chunk, then stall.
    StallAfterFirstChunk,
}

async fn read_request(sock: &mut TcpStream) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let Ok(n) = sock.read(&mut chunk).await else { return };
        if n == 0 {
            return;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let len = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if buf.len() >= end + 4 + len {
                return;
            }
        }
    }
}

async fn raw_server(kind: Raw) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else { return };
            tokio::spawn(async move {
                read_request(&mut sock).await;
                match kind {
                    Raw::Reset => {
                        // Linger 0 makes the close an RST; it cannot block on a loopback socket.
                        #[allow(deprecated)]
                        let _ = sock.set_linger(Some(Duration::ZERO));
                        drop(sock);
                    }
                    Raw::StallBeforeHeaders => {
                        tokio::time::sleep(Duration::from_secs(60)).await;
                    }
                    Raw::StallAfterFirstChunk => {
                        let body = anthropic_head("### Spin.cs\n");
                        let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n";
                        let chunk = format!("{:x}\r\n{body}\r\n", body.len());
                        let _ = sock.write_all(head.as_bytes()).await;
                        let _ = sock.write_all(chunk.as_bytes()).await;
                        tokio::time::sleep(Duration::from_secs(60)).await;
                    }
                }
            });
        }
    });
    url
}

// ------------------------------------------------------------------ the faults

#[derive(Clone, Copy, Debug)]
enum Fault {
    RateLimitedRetryAfter,
    Server500,
    Overloaded529,
    Reset,
    StallBeforeHeaders,
    StallAfterFirstChunk,
    TruncatedSse,
    ErrorEventMidStream,
    BadJson,
}

const ALL: [Fault; 9] = [
    Fault::RateLimitedRetryAfter,
    Fault::Server500,
    Fault::Overloaded529,
    Fault::Reset,
    Fault::StallBeforeHeaders,
    Fault::StallAfterFirstChunk,
    Fault::TruncatedSse,
    Fault::ErrorEventMidStream,
    Fault::BadJson,
];

fn error_body(kind: &str, message: &str) -> serde_json::Value {
    json!({"type":"error","error":{"type":kind,"message":message}})
}

/// A faulty Anthropic endpoint; the mock server (if any) must stay alive while it is used.
async fn faulty(fault: Fault) -> (String, Option<MockServer>) {
    let mock = match fault {
        Fault::RateLimitedRetryAfter => {
            // Longer than the whole deadline: never waited for, reported to the caller.
            ResponseTemplate::new(429)
                .insert_header("retry-after", "30")
                .set_body_json(error_body("rate_limit_error", "slow down"))
        }
        Fault::Server500 => ResponseTemplate::new(500).set_body_json(error_body("api_error", "boom")),
        Fault::Overloaded529 => {
            ResponseTemplate::new(529).set_body_json(error_body("overloaded_error", "busy"))
        }
        Fault::TruncatedSse => {
            ResponseTemplate::new(200).set_body_raw(anthropic_head("### Spin.cs\n"), "text/event-stream")
        }
        Fault::ErrorEventMidStream => {
            let body = anthropic_head("### Spin.cs\n")
                + &sse(&[("error", error_body("overloaded_error", "Overloaded"))]);
            ResponseTemplate::new(200).set_body_raw(body, "text/event-stream")
        }
        Fault::BadJson => {
            ResponseTemplate::new(200).set_body_raw("{\"id\": \"msg_1\", \"content\": [", "application/json")
        }
        Fault::Reset => return (raw_server(Raw::Reset).await, None),
        Fault::StallBeforeHeaders => return (raw_server(Raw::StallBeforeHeaders).await, None),
        Fault::StallAfterFirstChunk => return (raw_server(Raw::StallAfterFirstChunk).await, None),
    };
    let server = anthropic_mock(mock).await;
    (server.uri(), Some(server))
}

/// What the primary alone must answer: the error code, and whether partial text is attached (the
/// fault comes after the first token). `generate` reads the reply as a stream too (so the
/// first-token and idle deadlines bound it), hence the same answer with or without streaming.
fn expected(fault: Fault) -> (ErrorCode, bool) {
    match fault {
        Fault::RateLimitedRetryAfter => (ErrorCode::RateLimited, false),
        Fault::Server500 => (ErrorCode::ProviderFailed, false),
        Fault::Overloaded529 => (ErrorCode::Overloaded, false),
        Fault::Reset => (ErrorCode::Connection, false),
        Fault::StallBeforeHeaders => (ErrorCode::Timeout, false),
        Fault::StallAfterFirstChunk => (ErrorCode::Timeout, true),
        Fault::TruncatedSse => (ErrorCode::StreamTruncated, true),
        Fault::ErrorEventMidStream => (ErrorCode::Overloaded, true),
        Fault::BadJson => (ErrorCode::MalformedResponse, false),
    }
}

async fn stream_result(
    spark: &Spark,
    r: GenerateRequest,
) -> (String, spark_core::Result<Box<spark_core::GeneratedScripts>>) {
    let mut s = Box::pin(spark.generate_stream(r));
    let mut text = String::new();
    while let Some(ev) = s.next().await {
        match ev {
            Ok(StreamEvent::Delta { text: t }) => text.push_str(&t),
            Ok(StreamEvent::Done { result }) => return (text, Ok(result)),
            Ok(_) => {}
            Err(e) => return (text, Err(e)),
        }
    }
    (text, Err(Error::Internal("stream ended without Done".into())))
}

fn within_deadline(elapsed: Duration) -> bool {
    elapsed <= Duration::from_millis(TOTAL_MS * 11 / 10)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_fault_alone_is_the_right_typed_error_within_the_deadline() {
    for fault in ALL {
        let cfg = config();
        let (url, _keep) = faulty(fault).await;
        let spark = Spark::builder().config(cfg.clone()).provider(anthropic(&url, &cfg)).build().unwrap();
        for streaming in [false, true] {
            let (want, partial) = expected(fault);
            let t0 = Instant::now();
            let (text, err) = if streaming {
                let (text, r) = stream_result(&spark, GenerateRequest::new("a spinning cube")).await;
                (text, r.map(|_| ()).unwrap_err())
            } else {
                let r = spark.generate(GenerateRequest::new("a spinning cube")).await;
                (String::new(), r.map(|_| ()).unwrap_err())
            };
            let elapsed = t0.elapsed();
            let what = format!("{fault:?} streaming={streaming}: {err:?}");
            assert_eq!(err.code(), want, "{what}");
            assert!(within_deadline(elapsed), "{what} took {elapsed:?}");
            if partial {
                assert_eq!(err.partial_text(), Some("### Spin.cs\n"), "{what}");
                if streaming {
                    assert_eq!(text, "### Spin.cs\n", "{what}");
                }
            } else {
                assert_eq!(err.partial_text(), None, "{what}");
            }
            match fault {
                Fault::RateLimitedRetryAfter => {
                    assert_eq!(err.retry_after(), Some(Duration::from_secs(30)), "{what}")
                }
                Fault::StallBeforeHeaders => {
                    assert!(
                        matches!(&err, Error::Timeout { stage, .. } if stage.as_str() == "first_token"),
                        "{what}"
                    )
                }
                Fault::StallAfterFirstChunk => {
                    assert!(
                        matches!(&err, Error::Timeout { stage, .. } if stage.as_str() == "idle"),
                        "{what}"
                    )
                }
                _ => {}
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_healthy_fallback_two_hundred_requests_in_a_row_succeed() {
    let healthy = healthy_openai().await;
    for fault in ALL {
        let cfg = config();
        let (url, _keep) = faulty(fault).await;
        let spark = Spark::builder()
            .config(cfg.clone())
            .provider(anthropic(&url, &cfg))
            .fallback(openai(&healthy.uri(), &cfg))
            .build()
            .unwrap();
        for i in 0..200 {
            let t0 = Instant::now();
            let out = spark
                .generate(GenerateRequest::new("a spinning cube"))
                .await
                .unwrap_or_else(|e| panic!("{fault:?} request {i}: {e:?}"));
            assert!(within_deadline(t0.elapsed()), "{fault:?} request {i} took {:?}", t0.elapsed());
            assert_eq!((out.provider.as_str(), out.model.as_str()), ("openai", "gpt-test"), "{fault:?}");
            assert_eq!(out.usage, Usage::new(11, 22), "usage counted once");
        }
        // The primary's breaker opened, so most of those requests never touched it.
        let status = spark.provider_status();
        assert_eq!(status[0].state, spark_core::resilience::BreakerState::Open, "{fault:?}");
        assert_eq!(status[1].state, spark_core::resilience::BreakerState::Closed, "{fault:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_before_the_first_token_fall_back_when_streaming() {
    let healthy = healthy_openai().await;
    for fault in [
        Fault::RateLimitedRetryAfter,
        Fault::Server500,
        Fault::Overloaded529,
        Fault::Reset,
        Fault::StallBeforeHeaders,
        Fault::BadJson,
    ] {
        let cfg = config();
        let (url, _keep) = faulty(fault).await;
        let spark = Spark::builder()
            .config(cfg.clone())
            .provider(anthropic(&url, &cfg))
            .fallback(openai(&healthy.uri(), &cfg))
            .build()
            .unwrap();
        for _ in 0..3 {
            let t0 = Instant::now();
            let (text, result) = stream_result(&spark, GenerateRequest::new("a spinning cube")).await;
            let out = result.unwrap_or_else(|e| panic!("{fault:?}: {e:?}"));
            assert!(within_deadline(t0.elapsed()), "{fault:?} took {:?}", t0.elapsed());
            assert_eq!(text, SCRIPT);
            assert_eq!(out.provider, "openai", "{fault:?}: the stream names the provider that answered");
            assert_eq!(out.usage, Usage::new(11, 22));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_after_ms_within_the_budget_is_waited_for_then_succeeds() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after-ms", "150").set_body_json(
            json!({"error":{"message":"slow down","type":"requests","code":"rate_limit_exceeded"}}),
        ))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(openai_json(SCRIPT)))
        .mount(&server)
        .await;
    let cfg = config();
    let spark = Spark::builder().config(cfg.clone()).provider(openai(&server.uri(), &cfg)).build().unwrap();
    let t0 = Instant::now();
    let out = spark.generate(GenerateRequest::new("a spinning cube")).await.unwrap();
    assert!(t0.elapsed() >= Duration::from_millis(150), "{:?}", t0.elapsed());
    assert_eq!(out.usage, Usage::new(11, 22));
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn insufficient_quota_is_neither_retried_nor_counted_against_health() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(429).set_body_json(
            json!({"error":{"message":"You exceeded your quota","type":"insufficient_quota","code":"insufficient_quota"}}),
        ))
        .mount(&server)
        .await;
    let cfg = config();
    let spark = Spark::builder().config(cfg.clone()).provider(openai(&server.uri(), &cfg)).build().unwrap();
    for _ in 0..6 {
        let err = spark.generate(GenerateRequest::new("a spinning cube")).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::QuotaExceeded);
    }
    assert_eq!(server.received_requests().await.unwrap().len(), 6);
    assert_eq!(spark.provider_status()[0].state, spark_core::resilience::BreakerState::Closed);
}
