//! The seams of the request path: observers, guards, layers, cache stores, the one path shared
//! by `generate` and `generate_stream`, and the request id.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use spark_core::cache::{CacheKey, CacheStore};
use spark_core::observe::CacheOutcome;
use spark_core::provider::{Completion, CompletionRequest, ProviderStream};
use spark_core::{
    Error, ErrorCode, Event, GenerateRequest, Guard, GuardAction, GuardInput, Layer, Observer, Provider,
    ProviderErrorKind, Spark, Stage, Verdict,
};

use crate::resilience::{SCRIPT, Scripted, Step, config, drain};

/// Keeps a line per event: `kind request_id detail`.
#[derive(Default, Clone)]
struct Recorder(Arc<Mutex<Vec<String>>>);

impl Observer for Recorder {
    fn on_event(&self, event: &Event<'_>) {
        let line = match event {
            Event::RequestStarted { request_id } => format!("start {request_id}"),
            Event::StageFinished { request_id, stage, error, .. } => {
                format!("stage {request_id} {} {:?}", stage.as_str(), error)
            }
            Event::Cache { request_id, outcome } => format!("cache {request_id} {outcome:?}"),
            Event::Retry { request_id, provider, attempt, .. } => {
                format!("retry {request_id} {provider} {attempt}")
            }
            Event::Fallback { request_id, from, error } => format!("fallback {request_id} {from} {error}"),
            Event::CircuitOpen { request_id, provider } => format!("circuit {request_id} {provider}"),
            Event::FirstToken { request_id, provider, .. } => format!("first_token {request_id} {provider}"),
            Event::Queued { request_id, .. } => format!("queued {request_id}"),
            Event::RequestFinished { request_id, provider, error, .. } => {
                format!("finish {request_id} {provider:?} {error:?}")
            }
            other => format!("other {other:?}"),
        };
        self.0.lock().unwrap().push(line);
    }
}

impl Recorder {
    fn lines(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

fn cached() -> spark_core::SparkConfig {
    let mut c = config();
    c.cache.enabled = true;
    c
}

#[tokio::test]
async fn observers_see_every_stage_under_the_request_id() {
    let p = Scripted::always("primary", Step::Ok(SCRIPT));
    let rec = Recorder::default();
    let s = Spark::builder()
        .config(cached())
        .provider_arc(Arc::new(p.clone()))
        .observer(rec.clone())
        .build()
        .unwrap();

    let out = s.generate(GenerateRequest::new("a spinning cube").request_id("req-1")).await.unwrap();
    assert_eq!(out.request_id, "req-1");
    let lines = rec.lines();
    for expected in [
        "start req-1",
        "stage req-1 guard_before None",
        "cache req-1 Miss",
        "first_token req-1 primary",
        "stage req-1 provider None",
        "stage req-1 extract None",
        "stage req-1 validate None",
        "stage req-1 guard_after None",
        "finish req-1 Some(\"primary\") None",
    ] {
        assert!(lines.iter().any(|l| l == expected), "missing `{expected}` in {lines:#?}");
    }

    // The same request again: the finished result is memoised, no provider, no validation.
    let again = s.generate(GenerateRequest::new("a spinning cube")).await.unwrap();
    assert_eq!(p.calls(), 1);
    assert_eq!(again.request_id.len(), 32, "a generated id: {}", again.request_id);
    assert!(again.request_id.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_ne!(again.request_id, "req-1");
    let id = &again.request_id;
    let lines = rec.lines();
    assert!(lines.contains(&format!("cache {id} {:?}", CacheOutcome::ResultHit)), "{lines:#?}");
    assert!(!lines.contains(&format!("stage {id} validate None")), "{lines:#?}");
}

#[tokio::test]
async fn a_bad_request_id_is_refused() {
    let s =
        Spark::builder().config(config()).provider(Scripted::always("p", Step::Ok(SCRIPT))).build().unwrap();
    for bad in ["", "has space", "new\nline", &"x".repeat(129)] {
        let e = s.generate(GenerateRequest::new("a coin").request_id(bad)).await.unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidRequest, "{bad:?}: {e}");
    }
}

#[tokio::test]
async fn retries_and_fallbacks_are_observed() {
    let primary = Scripted::always("primary", Step::Fail(ProviderErrorKind::Server));
    let fallback = Scripted::always("fallback", Step::Ok(SCRIPT));
    let rec = Recorder::default();
    let s = Spark::builder()
        .config(config())
        .provider_arc(Arc::new(primary.clone()))
        .provider_arc(Arc::new(fallback.clone()))
        .observer(rec.clone())
        .build()
        .unwrap();
    let out = s.generate(GenerateRequest::new("a cube").request_id("r")).await.unwrap();
    assert_eq!(out.provider, "fallback");
    let lines = rec.lines();
    assert!(lines.contains(&"retry r primary 1".to_string()), "{lines:#?}");
    assert!(lines.contains(&"retry r primary 2".to_string()), "{lines:#?}");
    assert!(lines.contains(&"fallback r primary provider_failed".to_string()), "{lines:#?}");
}

struct Refuse {
    word: &'static str,
}

#[async_trait]
impl Guard for Refuse {
    fn name(&self) -> &str {
        "word_filter"
    }
    async fn before(&self, input: &GuardInput<'_>) -> spark_core::Result<Vec<Verdict>> {
        let action = if input.prompt.contains(self.word) { GuardAction::Block } else { GuardAction::Warn };
        Ok(vec![Verdict::new("word_filter", "word", 1.0, action, format!("mentions {}", self.word))])
    }
}

#[tokio::test]
async fn a_blocking_guard_refuses_before_any_provider_call() {
    let p = Scripted::always("primary", Step::Ok(SCRIPT));
    let s = Spark::builder()
        .config(config())
        .provider_arc(Arc::new(p.clone()))
        .guard(Refuse { word: "teapot" })
        .build()
        .unwrap();
    let e = s.generate(GenerateRequest::new("a teapot")).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::InputRejected);
    assert!(matches!(&e, Error::InputRejected { guard, .. } if guard == "word_filter"), "{e}");
    assert_eq!(p.calls(), 0, "the provider must not be called");

    let ok = s.generate(GenerateRequest::new("a door")).await.unwrap();
    assert_eq!(ok.verdicts.len(), 1);
    assert_eq!(ok.verdicts[0].action, GuardAction::Warn);
    assert_eq!(ok.verdicts[0].guard, "word_filter");
    assert_eq!(p.calls(), 1);
}

/// Counts the calls that pass through it.
struct Counting(Arc<AtomicUsize>);

struct CountingProvider {
    inner: Arc<dyn Provider>,
    calls: Arc<AtomicUsize>,
}

#[async_trait]
impl Provider for CountingProvider {
    fn name(&self) -> &str {
        self.inner.name()
    }
    fn default_model(&self) -> &str {
        self.inner.default_model()
    }
    async fn stream(&self, request: &CompletionRequest) -> spark_core::Result<ProviderStream> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        assert_eq!(request.context.caller.as_deref(), Some("alice"), "the caller travels with the call");
        self.inner.stream(request).await
    }
}

impl Layer for Counting {
    fn layer(&self, inner: Arc<dyn Provider>) -> Arc<dyn Provider> {
        Arc::new(CountingProvider { inner, calls: self.0.clone() })
    }
}

#[tokio::test]
async fn a_layer_sees_every_provider_call_and_no_cache_hit() {
    let calls = Arc::new(AtomicUsize::new(0));
    let s = Spark::builder()
        .config(cached())
        .provider(Scripted::always("primary", Step::Ok(SCRIPT)))
        .layer(Counting(calls.clone()))
        .build()
        .unwrap();
    for _ in 0..3 {
        s.generate(GenerateRequest::new("a cube").caller("alice")).await.unwrap();
    }
    drain(&s, GenerateRequest::new("a cube").caller("alice")).await.2.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    s.generate(GenerateRequest::new("a cube").caller("alice").no_cache()).await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

/// A store that is down.
#[derive(Debug)]
struct Down;

#[async_trait]
impl CacheStore for Down {
    async fn get(&self, _: &CacheKey) -> spark_core::Result<Option<Arc<Completion>>> {
        Err(Error::Internal("store down".into()))
    }
    async fn put(&self, _: CacheKey, _: Arc<Completion>, _: Duration) -> spark_core::Result<()> {
        Err(Error::Internal("store down".into()))
    }
    async fn remove(&self, _: &CacheKey) -> spark_core::Result<()> {
        Err(Error::Internal("store down".into()))
    }
    fn entry_count(&self) -> u64 {
        0
    }
    fn weighted_bytes(&self) -> u64 {
        0
    }
}

#[tokio::test]
async fn a_failing_cache_store_is_a_miss_not_an_error() {
    let p = Scripted::always("primary", Step::Ok(SCRIPT));
    let rec = Recorder::default();
    let s = Spark::builder()
        .config(cached())
        .provider_arc(Arc::new(p.clone()))
        .cache_store(Arc::new(Down))
        .observer(rec.clone())
        .build()
        .unwrap();
    let out = s.generate(GenerateRequest::new("a cube").request_id("r1").no_cache()).await.unwrap();
    assert_eq!(out.provider, "primary");
    s.generate(GenerateRequest::new("a ball").request_id("r2")).await.unwrap();
    assert!(rec.lines().contains(&"cache r2 StoreError".to_string()), "{:#?}", rec.lines());
    assert_eq!(p.calls(), 2);
}

#[tokio::test]
async fn a_reply_that_breaks_halfway_falls_back_when_nobody_saw_it() {
    let primary = Scripted::always("primary", Step::TextThenFail(SCRIPT, ProviderErrorKind::Connection));
    let fallback = Scripted::always("fallback", Step::Ok(SCRIPT));
    let mut cfg = config();
    cfg.retry.max_attempts = 1;
    let s = Spark::builder()
        .config(cfg)
        .provider_arc(Arc::new(primary.clone()))
        .provider_arc(Arc::new(fallback.clone()))
        .build()
        .unwrap();
    // generate: the caller sees nothing until the end, so the fallback answers.
    assert_eq!(s.generate(GenerateRequest::new("a cube")).await.unwrap().provider, "fallback");
    // generate_stream: the text was shown, so the break is an error carrying it.
    let (started, text, result) = drain(&s, GenerateRequest::new("a cube")).await;
    assert_eq!(started.as_deref(), Some("primary"));
    assert!(!text.is_empty());
    assert_eq!(result.unwrap_err().partial_text(), Some(text.as_str()));
}

#[tokio::test(start_paused = true)]
async fn circuit_open_during_a_half_open_probe_is_a_real_wait() {
    let primary = Scripted::new(
        "primary",
        vec![Step::Fail(ProviderErrorKind::Server)],
        Step::Slow(Duration::from_secs(1), SCRIPT),
    );
    let mut cfg = config();
    cfg.retry.max_attempts = 1;
    cfg.breaker.failure_threshold = 1;
    cfg.breaker.cooldown_ms = 5_000;
    let s = Spark::builder().config(cfg).provider_arc(Arc::new(primary.clone())).build().unwrap();
    s.generate(GenerateRequest::new("a cube")).await.unwrap_err();
    tokio::time::advance(Duration::from_millis(5_001)).await;
    let probe = tokio::spawn({
        let s = s.clone();
        async move { s.generate(GenerateRequest::new("a cube")).await }
    });
    tokio::task::yield_now().await;
    tokio::time::sleep(Duration::from_millis(10)).await;
    let e = s.generate(GenerateRequest::new("a cube")).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::CircuitOpen, "{e}");
    let wait = e.retry_after().unwrap();
    assert!(wait >= Duration::from_millis(100) && wait <= Duration::from_secs(5), "{wait:?}");
    probe.await.unwrap().unwrap();
}

#[tokio::test]
async fn stage_names_are_stable() {
    let names: Vec<_> = [
        Stage::GuardBefore,
        Stage::Cache,
        Stage::Admission,
        Stage::Provider,
        Stage::Extract,
        Stage::Validate,
        Stage::Repair,
        Stage::GuardAfter,
    ]
    .iter()
    .map(|s| s.as_str())
    .collect();
    assert_eq!(
        names,
        ["guard_before", "cache", "admission", "provider", "extract", "validate", "repair", "guard_after"]
    );
}
