//! Helpers shared by the integration tests.
#![allow(dead_code)]

/// How [`RawStreamServer`] ends its one response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawEnd {
    /// Abortive close (TCP RST, `SO_LINGER` 0) in the middle of the chunked body.
    Reset,
    /// Orderly close (FIN) without the terminating zero-size chunk.
    Close,
}

/// A raw HTTP/1.1 server on 127.0.0.1 that answers one request with a chunked 200 response,
/// sends `first` as one chunk, then waits for [`RawStreamServer::cut`] and ends the connection
/// as `end` says: what wiremock cannot do (a connection dropped mid-stream).
pub struct RawStreamServer {
    /// Base URL (`http://127.0.0.1:PORT`).
    pub url: String,
    cut: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl RawStreamServer {
    /// Starts the server; `headers` are extra response header lines (`name: value`).
    pub async fn start(headers: &[&str], first: Vec<u8>, end: RawEnd) -> Self {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let head = {
            let mut h = String::from(
                "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n",
            );
            for line in headers {
                h.push_str(line);
                h.push_str("\r\n");
            }
            h.push_str("\r\n");
            h
        };
        let task = tokio::spawn(async move {
            let (mut sock, _) = listener.accept().await?;
            // Read the request head and its content-length body.
            let mut buf = Vec::new();
            let mut tmp = [0u8; 4096];
            let body_start = loop {
                let n = sock.read(&mut tmp).await?;
                if n == 0 {
                    return Ok(());
                }
                buf.extend_from_slice(&tmp[..n]);
                if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    break p + 4;
                }
            };
            let head_text = String::from_utf8_lossy(&buf[..body_start]).to_ascii_lowercase();
            let len = head_text
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            while buf.len() < body_start + len {
                let n = sock.read(&mut tmp).await?;
                if n == 0 {
                    break;
                }
                buf.extend_from_slice(&tmp[..n]);
            }
            sock.write_all(head.as_bytes()).await?;
            sock.write_all(format!("{:x}\r\n", first.len()).as_bytes()).await?;
            sock.write_all(&first).await?;
            sock.write_all(b"\r\n").await?;
            sock.flush().await?;
            let _ = rx.await;
            match end {
                RawEnd::Reset => {
                    sock.set_zero_linger()?;
                    drop(sock);
                }
                RawEnd::Close => {
                    sock.shutdown().await?;
                    drop(sock);
                }
            }
            Ok(())
        });
        RawStreamServer { url, cut: Some(tx), task }
    }

    /// Ends the connection (as chosen at start) and waits for the server task.
    pub async fn cut(&mut self) {
        if let Some(tx) = self.cut.take() {
            let _ = tx.send(());
            let _ = (&mut self.task).await;
        }
    }
}

/// A loopback URL on which nothing listens (connection refused).
pub async fn refused_url() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    drop(listener);
    url
}

/// Bytes of `tests/fixtures/sse/<name>`.
pub fn sse_fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/../tests/fixtures/sse/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A 200 `text/event-stream` response with `body`, as providers send it.
pub fn sse_response(body: Vec<u8>) -> wiremock::ResponseTemplate {
    wiremock::ResponseTemplate::new(200)
        .insert_header("cache-control", "no-cache")
        .set_body_raw(body, "text/event-stream")
}

/// Drains a provider stream: the events before the first error, and that error.
pub async fn drain_provider_stream(
    mut stream: spark_core::provider::ProviderStream,
) -> (Vec<spark_core::provider::ProviderEvent>, Option<spark_core::Error>) {
    use futures::StreamExt;
    let mut events = Vec::new();
    while let Some(item) = stream.next().await {
        match item {
            Ok(e) => events.push(e),
            Err(e) => {
                // Nothing may follow an error.
                assert!(stream.next().await.is_none(), "an item followed the error {e}");
                return (events, Some(e));
            }
        }
    }
    (events, None)
}

/// An OpenAI server on 127.0.0.1 streaming `text` as its reply (Chat Completions SSE, with a final
/// usage chunk of 11 prompt and 22 output tokens).
pub async fn openai_replying(text: &str) -> wiremock::MockServer {
    let chunk = |delta: serde_json::Value, finish: serde_json::Value| {
        serde_json::json!({"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-test",
            "choices":[{"index":0,"delta":delta,"finish_reason":finish}]})
    };
    let usage = serde_json::json!({"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-test","choices":[],
        "usage":{"prompt_tokens":11,"completion_tokens":22,"total_tokens":33}});
    let body: String = [
        chunk(serde_json::json!({"role":"assistant","content":text}), serde_json::json!(null)),
        chunk(serde_json::json!({}), serde_json::json!("stop")),
        usage,
    ]
    .iter()
    .map(|c| format!("data: {c}\n\n"))
    .chain(std::iter::once("data: [DONE]\n\n".to_string()))
    .collect();
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .and(wiremock::matchers::path("/v1/chat/completions"))
        .respond_with(sse_response(body.into_bytes()))
        .mount(&server)
        .await;
    server
}
pub mod pg_server;
pub mod redis_server;
