//! Request ids and traces: spans per stage (captured by a test subscriber), the `x-request-id`
//! and `traceparent` headers providers receive, and what never appears in a span (the key, the
//! prompt). OTLP export and Sentry reports are in `trace_export`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use spark_core::{ApiKey, GenerateRequest, Spark, SparkConfig};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing_subscriber::layer::{Context, SubscriberExt};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer};

use crate::common::{sse_fixture, sse_response};

pub const KEY: &str = "sk-proj-tracing-secret-5b1d0c2a9e";
pub const MARKER: &str = "PROMPT-MARKER-7f3a91";
pub const CALLER_TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

/// One span or event as the subscriber saw it: its name and every field ever recorded.
#[derive(Debug, Clone, Default)]
pub struct Captured {
    pub name: String,
    pub level: String,
    pub fields: BTreeMap<String, String>,
}

/// A layer that keeps every span (with later `record`s) and every event.
#[derive(Clone, Default)]
pub struct Capture {
    spans: Arc<Mutex<BTreeMap<u64, Captured>>>,
    events: Arc<Mutex<Vec<Captured>>>,
}

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_string(), value.to_string());
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_string(), format!("{value:?}"));
    }
}

impl<S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>>
    tracing_subscriber::Layer<S> for Capture
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, _ctx: Context<'_, S>) {
        let mut c = Captured {
            name: attrs.metadata().name().to_string(),
            level: attrs.metadata().level().to_string(),
            ..Default::default()
        };
        attrs.record(&mut Fields(&mut c.fields));
        self.spans.lock().unwrap().insert(id.into_u64(), c);
    }
    fn on_record(&self, id: &Id, values: &Record<'_>, _ctx: Context<'_, S>) {
        if let Some(c) = self.spans.lock().unwrap().get_mut(&id.into_u64()) {
            values.record(&mut Fields(&mut c.fields));
        }
    }
    fn on_event(&self, event: &tracing::Event<'_>, _ctx: Context<'_, S>) {
        let mut c = Captured {
            name: event.metadata().name().to_string(),
            level: event.metadata().level().to_string(),
            ..Default::default()
        };
        event.record(&mut Fields(&mut c.fields));
        self.events.lock().unwrap().push(c);
    }
}

impl Capture {
    pub fn spans(&self) -> Vec<Captured> {
        self.spans.lock().unwrap().values().cloned().collect()
    }
    pub fn events(&self) -> Vec<Captured> {
        self.events.lock().unwrap().clone()
    }
}

/// A mock OpenAI server answering every chat call with a streamed C# reply.
pub async fn openai_server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(sse_response(sse_fixture("openai_text.sse")))
        .mount(&server)
        .await;
    server
}

pub fn config(server: &MockServer, telemetry: &str) -> SparkConfig {
    let mut c = SparkConfig::from_toml_str(&format!(
        "[providers]\norder = [\"openai\"]\n[openai]\nbase_url = \"{}/v1\"\n[telemetry]\n{telemetry}\n",
        server.uri()
    ))
    .unwrap();
    c.openai.api_key = Some(ApiKey::new(KEY));
    c
}

fn prompt() -> String {
    format!("a spinner that rotates; remember {MARKER} and {KEY}")
}

const STAGES: [&str; 7] =
    ["guard_before", "cache", "admission", "provider", "extract", "validate", "guard_after"];

#[tokio::test]
async fn every_stage_span_carries_the_request_id_and_no_secret_or_prompt() {
    let server = openai_server().await;
    let spark = Spark::builder().config(config(&server, "")).build().unwrap();
    let capture = Capture::default();
    let _default = tracing::subscriber::set_default(tracing_subscriber::registry().with(capture.clone()));

    let out = spark.generate(GenerateRequest::new(prompt()).request_id("req-trace-1")).await.unwrap();
    assert_eq!(out.request_id, "req-trace-1");
    // The same request again is a memo hit: its spans carry its own id.
    let hit = spark.generate(GenerateRequest::new(prompt()).request_id("req-trace-2")).await.unwrap();
    assert!(hit.rounds.iter().all(|r| r.cached));

    let spans = capture.spans();
    for id in ["req-trace-1", "req-trace-2"] {
        let request: Vec<_> = spans
            .iter()
            .filter(|s| {
                s.name == "spark.request" && s.fields.get("request_id").map(String::as_str) == Some(id)
            })
            .collect();
        assert_eq!(request.len(), 1, "{id}: {spans:#?}");
        // The OpenTelemetry attribute a trace backend is searched by.
        assert_eq!(request[0].fields.get("spark.request_id").map(String::as_str), Some(id));
        assert_eq!(request[0].fields.get("provider").map(String::as_str), Some("openai"));
        assert!(!request[0].fields.contains_key("prompt"), "prompts are off by default");
    }
    let stages_of = |id: &str| -> Vec<String> {
        spans
            .iter()
            .filter(|s| s.name == "spark.stage" && s.fields.get("request_id").map(String::as_str) == Some(id))
            .map(|s| s.fields["stage"].clone())
            .collect()
    };
    let first = stages_of("req-trace-1");
    for stage in STAGES {
        assert!(first.iter().any(|s| s == stage), "no {stage} span in {first:?}");
    }
    assert_eq!(stages_of("req-trace-2"), ["guard_before", "cache"], "a memo hit stops at the cache");
    // Every stage span names its request; none is orphaned.
    for s in spans.iter().filter(|s| s.name == "spark.stage") {
        let id = s.fields.get("request_id").map(String::as_str);
        assert!(matches!(id, Some("req-trace-1" | "req-trace-2")), "{s:?}");
        assert_eq!(
            s.fields.get("otel.name").map(String::as_str),
            Some(&*format!("spark.{}", s.fields["stage"]))
        );
    }
    for c in spans.iter().chain(capture.events().iter()) {
        for (k, v) in &c.fields {
            assert!(!v.contains(KEY) && !v.contains(MARKER), "{} field {k} leaks: {v}", c.name);
        }
    }
}

#[tokio::test]
async fn prompts_are_recorded_only_when_enabled() {
    let server = openai_server().await;
    let spark = Spark::builder().config(config(&server, "record_prompts = true")).build().unwrap();
    let capture = Capture::default();
    let _default = tracing::subscriber::set_default(tracing_subscriber::registry().with(capture.clone()));
    spark.generate(GenerateRequest::new(prompt())).await.unwrap();
    let request = capture.spans().into_iter().find(|s| s.name == "spark.request").unwrap();
    assert!(request.fields["prompt"].contains(MARKER), "{request:?}");
}

/// The headers of every request the mock received.
async fn received_headers(server: &MockServer, name: &str) -> Vec<String> {
    let requests = server.received_requests().await.unwrap();
    requests
        .iter()
        .map(|r| r.headers.get(name).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default())
        .collect()
}

#[tokio::test]
async fn provider_calls_carry_the_request_id_and_the_callers_trace() {
    let server = openai_server().await;
    let spark = Spark::builder().config(config(&server, "")).build().unwrap();
    let out = spark
        .generate(
            GenerateRequest::new("a spinner")
                .request_id("order-17")
                .traceparent(CALLER_TRACEPARENT)
                .repair_rounds(0),
        )
        .await
        .unwrap();
    assert_eq!(out.request_id, "order-17");
    assert_eq!(received_headers(&server, "x-request-id").await, ["order-17"]);
    let sent = received_headers(&server, "traceparent").await.remove(0);
    let parsed = spark_core::observe::TraceParent::parse(&sent).unwrap_or_else(|| panic!("{sent}"));
    assert_eq!(parsed.trace_id_hex(), "4bf92f3577b34da6a3ce929d0e0e4736", "same trace");
    assert_ne!(hex(&parsed.parent_id()), "00f067aa0ba902b7", "a new span id");
    assert_eq!(parsed.flags(), 1, "the caller's sampling decision travels on");
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn a_malformed_traceparent_is_ignored_with_a_warning() {
    let server = openai_server().await;
    let spark = Spark::builder().config(config(&server, "")).build().unwrap();
    let capture = Capture::default();
    let _default = tracing::subscriber::set_default(tracing_subscriber::registry().with(capture.clone()));
    let out = spark
        .generate(GenerateRequest::new("a spinner").traceparent("00-not-a-trace").no_cache())
        .await
        .unwrap();
    let warned = capture.events().into_iter().any(|e| {
        e.level == "WARN" && e.fields.get("message").is_some_and(|m| m.contains("malformed traceparent"))
    });
    assert!(warned, "{:#?}", capture.events());
    // A new trace, keyed by the generated request id.
    let sent = received_headers(&server, "traceparent").await.remove(0);
    let parsed = spark_core::observe::TraceParent::parse(&sent).unwrap();
    assert_eq!(parsed.trace_id_hex(), out.request_id);
}

#[tokio::test]
async fn a_request_id_is_known_before_the_call_and_comes_back() {
    let server = openai_server().await;
    let spark = Spark::builder().config(config(&server, "")).build().unwrap();
    let mut req = GenerateRequest::new("a spinner");
    let id = req.ensure_request_id().to_string();
    assert_eq!(id.len(), 32);
    assert_eq!(spark.generate(req).await.unwrap().request_id, id);
}
