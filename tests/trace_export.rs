//! Spans exported over OTLP/HTTP (feature `otel`) to a loopback receiver that decodes them with
//! the official protobuf types, and error reports sent to a loopback Sentry envelope endpoint
//! (feature `sentry`). Run with `cargo test -p spark-core --features otel,sentry --test telemetry`.
#![cfg(any(feature = "otel", feature = "sentry"))]

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};

/// A loopback HTTP/1.1 server keeping `(path, body)` of every request and answering 200 with
/// `reply`; its base URL.
async fn receiver(
    reply: &'static [u8],
    content_type: &'static str,
) -> (String, Arc<Mutex<Vec<(String, Bytes)>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen: Arc<Mutex<Vec<(String, Bytes)>>> = Arc::default();
    let keep = seen.clone();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let keep = keep.clone();
            tokio::spawn(async move {
                let service =
                    hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                        let keep = keep.clone();
                        async move {
                            let path = req.uri().path().to_string();
                            let body =
                                req.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
                            keep.lock().unwrap().push((path, body));
                            Ok::<_, Infallible>(
                                hyper::Response::builder()
                                    .header("content-type", content_type)
                                    .body(Full::new(Bytes::from_static(reply)))
                                    .unwrap(),
                            )
                        }
                    });
                let io = hyper_util::rt::TokioIo::new(sock);
                let _ = hyper::server::conn::http1::Builder::new().serve_connection(io, service).await;
            });
        }
    });
    (url, seen)
}

#[cfg(feature = "otel")]
mod otel {
    use std::collections::BTreeMap;

    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
    use opentelemetry_proto::tonic::common::v1::any_value::Value;
    use prost::Message;
    use spark_core::observe::otel::OtlpExporter;
    use spark_core::{GenerateRequest, Spark};
    use tracing_subscriber::layer::SubscriberExt;

    use crate::trace_spans::{CALLER_TRACEPARENT, KEY, MARKER, config, openai_server};

    #[tokio::test]
    async fn spans_reach_an_otlp_receiver_with_the_request_id_and_no_secrets() {
        let (otlp, seen) = super::receiver(b"", "application/x-protobuf").await;
        let server = openai_server().await;
        let cfg = config(&server, &format!("otlp_endpoint = \"{otlp}\""));
        let exporter = OtlpExporter::new(&cfg.telemetry).unwrap().expect("an endpoint is configured");
        let subscriber = tracing_subscriber::registry().with(exporter.layer());
        let guard = tracing::subscriber::set_default(subscriber);
        let spark = Spark::builder().config(cfg).build().unwrap();
        let prompt = format!("a spinner; {MARKER} {KEY}");
        let out = spark
            .generate(GenerateRequest::new(prompt).request_id("otlp-req-1").traceparent(CALLER_TRACEPARENT))
            .await
            .unwrap();
        assert_eq!(out.request_id, "otlp-req-1");
        drop(guard);
        // The export thread posts to the receiver, which runs on this runtime: wait elsewhere.
        tokio::task::spawn_blocking(move || exporter.shutdown()).await.unwrap().unwrap();

        let bodies = seen.lock().unwrap().clone();
        assert!(!bodies.is_empty(), "nothing exported");
        let mut spans = Vec::new();
        for (path, body) in &bodies {
            assert_eq!(path, "/v1/traces");
            let raw = String::from_utf8_lossy(body);
            assert!(!raw.contains(KEY) && !raw.contains(MARKER), "a secret or the prompt was exported");
            let req = ExportTraceServiceRequest::decode(body.as_ref()).expect("OTLP protobuf");
            for rs in req.resource_spans {
                let service =
                    rs.resource.iter().flat_map(|r| &r.attributes).find(|a| a.key == "service.name");
                assert!(
                    matches!(service.and_then(|a| a.value.as_ref()?.value.as_ref()), Some(Value::StringValue(s)) if s == "spark")
                );
                spans.extend(rs.scope_spans.into_iter().flat_map(|s| s.spans));
            }
        }
        let attrs = |s: &opentelemetry_proto::tonic::trace::v1::Span| -> BTreeMap<String, String> {
            s.attributes
                .iter()
                .filter_map(|a| match a.value.as_ref()?.value.as_ref()? {
                    Value::StringValue(v) => Some((a.key.clone(), v.clone())),
                    _ => None,
                })
                .collect()
        };
        let names: Vec<&str> = spans.iter().map(|s| s.name.as_str()).collect();
        for stage in ["guard_before", "cache", "admission", "provider", "extract", "validate", "guard_after"]
        {
            let name = format!("spark.{stage}");
            let span =
                spans.iter().find(|s| s.name == name).unwrap_or_else(|| panic!("no {name} in {names:?}"));
            assert_eq!(attrs(span).get("request_id").map(String::as_str), Some("otlp-req-1"), "{name}");
        }
        let request = spans.iter().find(|s| s.name == "spark.request").expect("request span");
        assert_eq!(attrs(request).get("request_id").map(String::as_str), Some("otlp-req-1"));
        assert_eq!(attrs(request).get("spark.request_id").map(String::as_str), Some("otlp-req-1"));
        // The caller's trace is joined: same trace id, the caller's span as parent.
        let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
        assert_eq!(hex(&request.trace_id), "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(hex(&request.parent_span_id), "00f067aa0ba902b7");
        assert!(spans.iter().all(|s| s.trace_id == request.trace_id), "one trace");
    }
}

#[cfg(feature = "sentry")]
mod sentry {
    use std::time::Duration;

    use spark_core::observe::report;
    use spark_core::{GenerateRequest, Spark};
    use wiremock::matchers::method;
    use wiremock::{Mock, MockServer, ResponseTemplate};

    use crate::trace_spans::{KEY, MARKER, config};

    #[tokio::test]
    async fn errors_and_panics_reach_a_sentry_envelope_receiver_without_secrets() {
        let (sentry, seen) = super::receiver(b"{}", "application/json").await;
        let dsn = sentry.replace("http://", "http://public@") + "/1";
        // A provider refusing the key: the error is what a binding would hand to its host.
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(401).set_body_json(serde_json::json!(
                {"error": {"message": format!("Incorrect API key provided: {KEY}"), "type": "invalid_request_error", "code": "invalid_api_key"}}
            )))
            .mount(&server)
            .await;
        let spark =
            Spark::builder().config(config(&server, &format!("sentry_dsn = \"{dsn}\""))).build().unwrap();
        assert!(report::is_enabled());
        assert!(!format!("{:?}", spark.config()).contains("public@"), "the DSN never prints");
        let err = spark
            .generate(GenerateRequest::new(format!("a spinner {MARKER}")).request_id("sentry-req-1"))
            .await
            .unwrap_err();
        report::report_error(&err, Some("sentry-req-1"), "rust");
        report::report_panic(Some("sentry-req-2"), "rust");
        let flushed = tokio::task::spawn_blocking(|| report::flush(Duration::from_secs(5))).await.unwrap();
        assert!(flushed);

        let bodies = seen.lock().unwrap().clone();
        let mut events = Vec::new();
        for (path, body) in &bodies {
            assert_eq!(path, "/api/1/envelope/");
            let text = std::str::from_utf8(body).unwrap();
            assert!(!text.contains(KEY) && !text.contains(MARKER), "leak in {text}");
            // An envelope: a header line, then item header / payload pairs.
            let mut lines = text.lines();
            let _header: serde_json::Value = serde_json::from_str(lines.next().unwrap()).unwrap();
            while let Some(item) = lines.next() {
                let item: serde_json::Value = serde_json::from_str(item).unwrap();
                let payload = lines.next().unwrap_or_default();
                if item["type"] == "event" {
                    events.push(serde_json::from_str::<serde_json::Value>(payload).unwrap());
                }
            }
        }
        let tagged = |id: &str| events.iter().find(|e| e["tags"]["request_id"] == id).cloned();
        let error = tagged("sentry-req-1").unwrap_or_else(|| panic!("{events:#?}"));
        assert_eq!(error["tags"]["error.code"], "authentication");
        assert_eq!(error["tags"]["provider"], "openai");
        let panic = tagged("sentry-req-2").unwrap_or_else(|| panic!("{events:#?}"));
        assert_eq!(panic["tags"]["error.code"], "panic");
        drop(spark);
        assert!(!report::is_enabled(), "the reporter ends with its client");
    }
}
