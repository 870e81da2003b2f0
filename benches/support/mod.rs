//! Pieces shared by the request-path bench (`benches/pipeline.rs`) and the instruction-count
//! example (`spark-core/examples/instructions.rs`): a provider answering in-process with a fixed
//! reply, and a loopback HTTP server answering every request with the same chat completion.
// Each bench includes this module and uses only part of it.
#![allow(dead_code)]

use std::convert::Infallible;

use async_trait::async_trait;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use spark_core::Provider;
use spark_core::provider::{Completion, CompletionRequest, ProviderStream, StopReason, Usage};

/// A provider that answers every request with `self.0`, without any I/O.
pub struct Fixed(pub &'static str);

#[async_trait]
impl Provider for Fixed {
    fn name(&self) -> &str {
        "fixed"
    }
    fn default_model(&self) -> &str {
        "fixed-1"
    }
    async fn complete(&self, _: &CompletionRequest) -> spark_core::Result<Completion> {
        let mut c = Completion::empty("fixed", "fixed-1");
        c.text = self.0.into();
        c.usage = Usage::new(100, 200);
        c.stop_reason = Some(StopReason::EndTurn);
        Ok(c)
    }
    async fn stream(&self, request: &CompletionRequest) -> spark_core::Result<ProviderStream> {
        Ok(self.complete(request).await?.into_stream())
    }
}

/// An OpenAI chat completion whose message is `reply`.
pub fn openai_body(reply: &str) -> Bytes {
    Bytes::from(
        serde_json::json!({"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-bench",
            "choices":[{"index":0,"message":{"role":"assistant","content":reply},"finish_reason":"stop"}],
            "usage":{"prompt_tokens":100,"completion_tokens":200,"total_tokens":300}})
        .to_string(),
    )
}

/// A minimal HTTP/1.1 server on 127.0.0.1 answering every request with `body` as JSON; its URL.
pub async fn mock_server(body: Bytes) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let _ = sock.set_nodelay(true);
            let body = body.clone();
            tokio::spawn(async move {
                let service =
                    hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                        let body = body.clone();
                        async move {
                            let _ = req.into_body().collect().await;
                            Ok::<_, Infallible>(
                                hyper::Response::builder()
                                    .header("content-type", "application/json")
                                    .body(Full::new(body))
                                    .unwrap(),
                            )
                        }
                    });
                let io = hyper_util::rt::TokioIo::new(sock);
                let _ = hyper::server::conn::http1::Builder::new().serve_connection(io, service).await;
            });
        }
    });
    url
}
