//! Retries, fallback, circuit breakers and deadlines, driven by in-process scripted providers.
//! Time-dependent tests run on tokio's paused clock: deadlines and cool-downs advance virtually,
//! so they are exact and instant.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use futures::StreamExt;
use spark_core::provider::{Completion, CompletionRequest, ProviderEvent, ProviderStream, StopReason, Usage};
use spark_core::resilience::BreakerState;
use spark_core::{
    Error, ErrorCode, GenerateRequest, Provider, ProviderError, ProviderErrorKind, Spark, SparkConfig,
    StreamEvent,
};
use tokio::time::Instant;

/// A valid Unity script reply.
pub const SCRIPT: &str = "### Spin.cs\n```csharp\nusing UnityEngine;\n\npublic class Spin : MonoBehaviour\n{\n    [SerializeField] private float speed = 90f;\n\n    private void Update()\n    {\n        transform.Rotate(0f, speed * Time.deltaTime, 0f);\n    }\n}\n```\n";

/// What a scripted provider does on one call.
#[derive(Clone, Debug)]
pub enum Step {
    /// Answers `text` (streams it in 3 pieces).
    Ok(&'static str),
    /// Fails before any output.
    Fail(ProviderErrorKind),
    /// 429 with a `retry-after`.
    RateLimited(Duration),
    /// Never answers.
    Hang,
    /// Waits, then answers.
    Slow(Duration, &'static str),
    /// Streams the text, then fails (`complete` fails outright).
    TextThenFail(&'static str, ProviderErrorKind),
    /// Streams the text, then stalls forever.
    TextThenHang(&'static str),
    /// Streams a chunk every `Duration`, forever.
    Trickle(Duration),
}

/// A provider that follows a script, then repeats its default step; it counts calls, records
/// the models it was asked for and notices when a stream it handed out is dropped.
#[derive(Clone)]
pub struct Scripted {
    pub name: &'static str,
    steps: Arc<Mutex<VecDeque<Step>>>,
    default: Step,
    calls: Arc<AtomicUsize>,
    pub models: Arc<Mutex<Vec<Option<String>>>>,
    pub streams_dropped: Arc<AtomicUsize>,
    pub usage: Usage,
}

impl Scripted {
    pub fn new(name: &'static str, steps: Vec<Step>, default: Step) -> Self {
        Scripted {
            name,
            steps: Arc::new(Mutex::new(steps.into())),
            default,
            calls: Arc::default(),
            models: Arc::default(),
            streams_dropped: Arc::default(),
            usage: Usage::new(10, 20),
        }
    }

    pub fn always(name: &'static str, step: Step) -> Self {
        Self::new(name, vec![], step)
    }

    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    fn next(&self, request: &CompletionRequest) -> Step {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.models.lock().unwrap().push(request.model.clone());
        self.steps.lock().unwrap().pop_front().unwrap_or_else(|| self.default.clone())
    }

    fn error(&self, kind: ProviderErrorKind) -> Error {
        ProviderError::new(self.name, kind, "scripted failure").into()
    }

    fn completion(&self, text: &str) -> Completion {
        Completion {
            text: text.to_string(),
            usage: self.usage,
            stop_reason: Some(StopReason::EndTurn),
            provider: self.name.to_string(),
            model: format!("{}-model", self.name),
            request_id: None,
            cached: false,
        }
    }
}

struct DropFlag(Arc<AtomicUsize>);
impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[async_trait]
impl Provider for Scripted {
    fn name(&self) -> &str {
        self.name
    }
    fn default_model(&self) -> &str {
        "default-model"
    }
    fn identity(&self) -> String {
        format!("{}@scripted", self.name)
    }

    async fn complete(&self, request: &CompletionRequest) -> spark_core::Result<Completion> {
        match self.next(request) {
            Step::Ok(text) => Ok(self.completion(text)),
            Step::Fail(kind) | Step::TextThenFail(_, kind) => Err(self.error(kind)),
            Step::RateLimited(after) => {
                let mut e = ProviderError::new(self.name, ProviderErrorKind::RateLimited, "slow down");
                e.retry_after = Some(after);
                Err(e.into())
            }
            Step::Slow(d, text) => {
                tokio::time::sleep(d).await;
                Ok(self.completion(text))
            }
            Step::Hang | Step::TextThenHang(_) | Step::Trickle(_) => std::future::pending().await,
        }
    }

    async fn stream(&self, request: &CompletionRequest) -> spark_core::Result<ProviderStream> {
        let step = self.next(request);
        let flag = DropFlag(self.streams_dropped.clone());
        let start = Ok(ProviderEvent::start(format!("{}-model", self.name), None));
        let pieces = |text: &'static str| {
            let third = text.len() / 3;
            vec![&text[..third], &text[third..2 * third], &text[2 * third..]]
                .into_iter()
                .map(|t| Ok(ProviderEvent::TextDelta { text: t.to_string() }))
                .collect::<Vec<_>>()
        };
        let s: ProviderStream = match step {
            Step::Ok(text) | Step::Slow(_, text) => {
                if let Step::Slow(d, _) = step {
                    tokio::time::sleep(d).await;
                }
                let mut ev = vec![start];
                ev.extend(pieces(text));
                ev.push(Ok(ProviderEvent::Usage { usage: Usage::new(10, 1) }));
                ev.push(Ok(ProviderEvent::Usage { usage: self.usage }));
                ev.push(Ok(ProviderEvent::Stop { reason: StopReason::EndTurn }));
                Box::pin(futures::stream::iter(ev))
            }
            Step::Fail(kind) => return Err(self.error(kind)),
            Step::RateLimited(after) => {
                let mut e = ProviderError::new(self.name, ProviderErrorKind::RateLimited, "slow down");
                e.retry_after = Some(after);
                return Err(e.into());
            }
            Step::Hang => std::future::pending().await,
            Step::TextThenFail(text, kind) => {
                let mut ev = vec![start];
                ev.extend(pieces(text));
                ev.push(Err(self.error(kind)));
                Box::pin(futures::stream::iter(ev))
            }
            Step::TextThenHang(text) => {
                let mut ev = vec![start];
                ev.extend(pieces(text));
                Box::pin(futures::stream::iter(ev).chain(futures::stream::pending()))
            }
            Step::Trickle(every) => Box::pin(futures::stream::iter(vec![start]).chain(
                futures::stream::unfold((), move |()| async move {
                    tokio::time::sleep(every).await;
                    Some((Ok(ProviderEvent::TextDelta { text: "x".into() }), ()))
                }),
            )),
        };
        Ok(Box::pin(s.map(move |e| {
            let _keep = &flag;
            e
        })))
    }
}

/// A configuration for tests: no local rate limit, no repair, no cache, fast retries.
pub fn config() -> SparkConfig {
    let mut c = SparkConfig::default();
    c.rate_limit.enabled = false;
    c.repair.max_rounds = 0;
    c.cache.enabled = false;
    // These tests pause tokio's clock; a SQLite write runs on a thread the clock does not wait
    // for, so it would let deadlines pass in virtual time.
    c.ledger.enabled = Some(false);
    c.retry.base_delay_ms = 10;
    c.retry.max_delay_ms = 100;
    c
}

pub fn spark(cfg: SparkConfig, chain: &[&Scripted]) -> Spark {
    let mut b = Spark::builder().config(cfg);
    for p in chain {
        b = b.provider_arc(Arc::new((*p).clone()));
    }
    b.build().unwrap()
}

fn req() -> GenerateRequest {
    GenerateRequest::new("a spinning cube")
}

/// Drains a generation stream: (the provider named by `Started`, text deltas, final result or error).
pub async fn drain(
    spark: &Spark,
    r: GenerateRequest,
) -> (Option<String>, String, spark_core::Result<spark_core::GeneratedScripts>) {
    let mut s = Box::pin(spark.generate_stream(r));
    let (mut started, mut text) = (None, String::new());
    while let Some(ev) = s.next().await {
        match ev {
            Ok(StreamEvent::Started { provider, .. }) => started = Some(provider),
            Ok(StreamEvent::Delta { text: t }) => text.push_str(&t),
            Ok(StreamEvent::Done { result }) => return (started, text, Ok(*result)),
            Ok(_) => {}
            Err(e) => return (started, text, Err(e)),
        }
    }
    (started, text, Err(Error::Internal("stream ended without Done".into())))
}

// ---------------------------------------------------------------- retries

#[tokio::test(start_paused = true)]
async fn retryable_errors_are_retried_then_succeed_with_one_usage() {
    let p = Scripted::new(
        "primary",
        vec![Step::Fail(ProviderErrorKind::Server), Step::Fail(ProviderErrorKind::Overloaded)],
        Step::Ok(SCRIPT),
    );
    let out = spark(config(), &[&p]).generate(req()).await.unwrap();
    assert_eq!(p.calls(), 3);
    assert_eq!(out.provider, "primary");
    assert_eq!(out.usage, Usage::new(10, 20), "only the successful attempt counts");
}

#[tokio::test(start_paused = true)]
async fn attempts_are_capped() {
    let p = Scripted::always("primary", Step::Fail(ProviderErrorKind::Connection));
    let mut cfg = config();
    cfg.retry.max_attempts = 4;
    let err = spark(cfg, &[&p]).generate(req()).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::Connection);
    assert_eq!(p.calls(), 4);
}

#[tokio::test(start_paused = true)]
async fn caller_errors_are_never_retried() {
    for kind in [
        ProviderErrorKind::BadRequest,
        ProviderErrorKind::Authentication,
        ProviderErrorKind::NotFound,
        ProviderErrorKind::RequestTooLarge,
        ProviderErrorKind::QuotaExceeded,
    ] {
        let p = Scripted::always("primary", Step::Fail(kind));
        let err = spark(config(), &[&p]).generate(req()).await.unwrap_err();
        assert_eq!(err.provider_error().unwrap().kind, kind);
        assert_eq!(p.calls(), 1, "{kind:?} must not be retried");
    }
}

#[tokio::test(start_paused = true)]
async fn retry_after_is_honoured() {
    let p = Scripted::new("primary", vec![Step::RateLimited(Duration::from_secs(3))], Step::Ok(SCRIPT));
    let t0 = Instant::now();
    spark(config(), &[&p]).generate(req()).await.unwrap();
    let waited = t0.elapsed();
    assert!(waited >= Duration::from_secs(3), "waited {waited:?}, the server asked for 3 s");
    assert!(waited < Duration::from_secs(4), "waited {waited:?}");
    assert_eq!(p.calls(), 2);
}

#[tokio::test(start_paused = true)]
async fn retry_after_beyond_the_budget_is_not_waited_for() {
    let p = Scripted::new("primary", vec![Step::RateLimited(Duration::from_secs(30))], Step::Ok(SCRIPT));
    let mut cfg = config();
    cfg.retry.budget_ms = 5_000;
    let t0 = Instant::now();
    let err = spark(cfg, &[&p]).generate(req()).await.unwrap_err();
    assert!(err.is_rate_limited());
    assert_eq!(err.retry_after(), Some(Duration::from_secs(30)), "the caller still learns how long to wait");
    assert_eq!(p.calls(), 1);
    assert!(t0.elapsed() < Duration::from_secs(1));
}

// ---------------------------------------------------------------- fallback

#[tokio::test(start_paused = true)]
async fn failure_before_the_first_token_falls_back_and_names_the_answering_provider() {
    let primary = Scripted::always("primary", Step::Fail(ProviderErrorKind::Server));
    let fallback = Scripted::always("fallback", Step::Ok(SCRIPT));
    let s = spark(config(), &[&primary, &fallback]);

    let out = s.generate(req()).await.unwrap();
    assert_eq!((out.provider.as_str(), out.model.as_str()), ("fallback", "fallback-model"));
    assert_eq!(primary.calls(), 3, "the primary's retries come first");

    let (started, text, result) = drain(&s, req()).await;
    assert_eq!(started.as_deref(), Some("fallback"));
    assert_eq!(text, SCRIPT);
    let out = result.unwrap();
    assert_eq!((out.provider.as_str(), out.model.as_str()), ("fallback", "fallback-model"));
    assert_eq!(out.usage, Usage::new(10, 20), "cumulative usage, counted once");
}

#[tokio::test(start_paused = true)]
async fn caller_errors_fall_through_without_retry() {
    let primary = Scripted::always("primary", Step::Fail(ProviderErrorKind::Authentication));
    let fallback = Scripted::always("fallback", Step::Ok(SCRIPT));
    let out = spark(config(), &[&primary, &fallback]).generate(req()).await.unwrap();
    assert_eq!(out.provider, "fallback");
    assert_eq!(primary.calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn failure_after_streamed_text_is_an_error_with_the_partial_text() {
    let primary = Scripted::always("primary", Step::TextThenFail(SCRIPT, ProviderErrorKind::Overloaded));
    let fallback = Scripted::always("fallback", Step::Ok(SCRIPT));
    let s = spark(config(), &[&primary, &fallback]);
    let (started, text, result) = drain(&s, req()).await;
    let err = result.unwrap_err();
    assert_eq!(started.as_deref(), Some("primary"));
    assert_eq!(err.code(), ErrorCode::Overloaded);
    assert_eq!(err.partial_text(), Some(SCRIPT), "nothing streamed is lost");
    assert_eq!(text, SCRIPT);
    assert_eq!(primary.calls(), 1, "streamed text is never replayed by a retry");
    assert_eq!(fallback.calls(), 0, "no fallback after the first token");
}

#[tokio::test(start_paused = true)]
async fn the_model_override_applies_to_the_primary_only() {
    let primary = Scripted::always("primary", Step::Fail(ProviderErrorKind::Server));
    let fallback = Scripted::always("fallback", Step::Ok(SCRIPT));
    let mut cfg = config();
    cfg.retry.max_attempts = 1;
    spark(cfg, &[&primary, &fallback]).generate(req().model("claude-x")).await.unwrap();
    assert_eq!(primary.models.lock().unwrap().as_slice(), [Some("claude-x".to_string())]);
    assert_eq!(fallback.models.lock().unwrap().as_slice(), [None]);
}

#[tokio::test(start_paused = true)]
async fn when_all_fail_the_last_error_is_returned() {
    let primary = Scripted::always("primary", Step::Fail(ProviderErrorKind::Authentication));
    let fallback = Scripted::always("fallback", Step::Fail(ProviderErrorKind::Server));
    let err = spark(config(), &[&primary, &fallback]).generate(req()).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::ProviderFailed);
    assert_eq!(err.provider_error().unwrap().provider, "fallback");
}

// ---------------------------------------------------------------- breaker

fn breaker_config() -> SparkConfig {
    let mut cfg = config();
    cfg.retry.max_attempts = 1;
    cfg.breaker.failure_threshold = 3;
    cfg.breaker.window_ms = 10_000;
    cfg.breaker.cooldown_ms = 5_000;
    cfg
}

#[tokio::test(start_paused = true)]
async fn breaker_opens_skips_probes_once_and_closes() {
    let primary = Scripted::always("primary", Step::Fail(ProviderErrorKind::Server));
    let fallback = Scripted::always("fallback", Step::Ok(SCRIPT));
    let s = spark(breaker_config(), &[&primary, &fallback]);
    let state = |s: &Spark| s.provider_status()[0].state;

    for i in 0..3 {
        assert_eq!(state(&s), BreakerState::Closed, "before failure {i}");
        assert_eq!(s.generate(req()).await.unwrap().provider, "fallback");
    }
    let st = &s.provider_status()[0];
    assert_eq!(
        (st.name.as_str(), st.model.as_str(), st.state),
        ("primary", "default-model", BreakerState::Open)
    );
    assert_eq!(st.retry_in_ms, Some(5_000));
    assert_eq!(s.provider_status()[1].state, BreakerState::Closed);

    // Open: skipped without a call.
    for _ in 0..5 {
        assert_eq!(s.generate(req()).await.unwrap().provider, "fallback");
    }
    assert_eq!(primary.calls(), 3);

    // Cool-down over: half-open, one probe, which fails and reopens.
    tokio::time::advance(Duration::from_millis(5_001)).await;
    assert_eq!(state(&s), BreakerState::HalfOpen);
    assert_eq!(s.generate(req()).await.unwrap().provider, "fallback");
    assert_eq!(primary.calls(), 4, "exactly one probe");
    assert_eq!(state(&s), BreakerState::Open);
    assert_eq!(s.provider_status()[0].times_opened, 2);

    // Next cool-down: the probe succeeds and closes the breaker.
    tokio::time::advance(Duration::from_millis(5_001)).await;
    primary.steps.lock().unwrap().push_back(Step::Ok(SCRIPT));
    assert_eq!(s.generate(req()).await.unwrap().provider, "primary");
    assert_eq!(state(&s), BreakerState::Closed);
    assert_eq!(s.provider_status()[0].failures, 0);
}

#[tokio::test(start_paused = true)]
async fn half_open_lets_exactly_one_probe_through() {
    let primary = Scripted::new(
        "primary",
        vec![Step::Fail(ProviderErrorKind::Server)],
        Step::Slow(Duration::from_secs(1), SCRIPT),
    );
    let fallback = Scripted::always("fallback", Step::Ok(SCRIPT));
    let mut cfg = breaker_config();
    cfg.breaker.failure_threshold = 1;
    let s = spark(cfg, &[&primary, &fallback]);
    s.generate(req()).await.unwrap();
    assert_eq!(s.provider_status()[0].state, BreakerState::Open);
    tokio::time::advance(Duration::from_millis(5_001)).await;

    let probe = tokio::spawn({
        let s = s.clone();
        async move { s.generate(req()).await }
    });
    tokio::task::yield_now().await;
    tokio::time::sleep(Duration::from_millis(10)).await;
    // While the probe is out, others go to the fallback.
    let others: Vec<_> = futures::future::join_all((0..5).map(|_| s.generate(req()))).await;
    assert!(others.iter().all(|r| r.as_ref().unwrap().provider == "fallback"));
    assert_eq!(probe.await.unwrap().unwrap().provider, "primary");
    assert_eq!(primary.calls(), 2);
    assert_eq!(s.provider_status()[0].state, BreakerState::Closed);
}

#[tokio::test(start_paused = true)]
async fn caller_errors_never_open_the_breaker() {
    let primary = Scripted::always("primary", Step::Fail(ProviderErrorKind::BadRequest));
    let s = spark(breaker_config(), &[&primary]);
    for _ in 0..10 {
        assert_eq!(s.generate(req()).await.unwrap_err().code(), ErrorCode::ProviderRejected);
    }
    assert_eq!(primary.calls(), 10);
    let st = &s.provider_status()[0];
    assert_eq!((st.state, st.failures, st.total_failures), (BreakerState::Closed, 0, 0));
}

#[tokio::test(start_paused = true)]
async fn failures_outside_the_window_do_not_add_up() {
    let primary = Scripted::always("primary", Step::Fail(ProviderErrorKind::Server));
    let s = spark(breaker_config(), &[&primary]);
    for _ in 0..2 {
        s.generate(req()).await.unwrap_err();
    }
    tokio::time::advance(Duration::from_secs(11)).await;
    for _ in 0..2 {
        s.generate(req()).await.unwrap_err();
    }
    let st = &s.provider_status()[0];
    assert_eq!((st.state, st.failures, st.total_failures), (BreakerState::Closed, 2, 4));
    s.generate(req()).await.unwrap_err();
    assert_eq!(s.provider_status()[0].state, BreakerState::Open);
}

#[tokio::test(start_paused = true)]
async fn all_breakers_open_is_circuit_open_without_a_call() {
    let primary = Scripted::always("primary", Step::Fail(ProviderErrorKind::Server));
    let mut cfg = breaker_config();
    cfg.breaker.failure_threshold = 1;
    let s = spark(cfg, &[&primary]);
    assert_eq!(s.generate(req()).await.unwrap_err().code(), ErrorCode::ProviderFailed);
    let err = s.generate(req()).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::CircuitOpen);
    assert_eq!(err.retry_after(), Some(Duration::from_secs(5)));
    assert_eq!(primary.calls(), 1);
    let (_, _, streamed) = drain(&s, req()).await;
    assert_eq!(streamed.unwrap_err().code(), ErrorCode::CircuitOpen);
    assert_eq!(primary.calls(), 1);
}

#[test]
fn provider_status_serializes_for_bindings() {
    let p = Scripted::always("primary", Step::Ok(SCRIPT));
    let s = spark(config(), &[&p]);
    let json = serde_json::to_value(s.provider_status()).unwrap();
    assert_eq!(json[0]["name"], "primary");
    assert_eq!(json[0]["state"], "closed");
    assert_eq!(json[0]["failures"], 0);
}

// ---------------------------------------------------------------- deadlines

fn timeout_config() -> SparkConfig {
    let mut cfg = config();
    cfg.retry.max_attempts = 1;
    cfg.timeouts.first_token_ms = 500;
    cfg.timeouts.idle_ms = 200;
    cfg.timeouts.total_ms = 2_000;
    cfg
}

#[tokio::test(start_paused = true)]
async fn hang_before_the_first_token_times_out_and_falls_back() {
    for streaming in [false, true] {
        let primary = Scripted::always("primary", Step::Hang);
        let s = spark(timeout_config(), &[&primary]);
        let t0 = Instant::now();
        let err = if streaming {
            drain(&s, req()).await.2.unwrap_err()
        } else {
            s.generate(req()).await.unwrap_err()
        };
        assert_eq!(t0.elapsed(), Duration::from_millis(500));
        match &err {
            Error::Timeout { stage, after, partial_text } => {
                assert_eq!(
                    (stage.as_str(), *after, partial_text),
                    ("first_token", Duration::from_millis(500), &None)
                );
            }
            other => panic!("{other:?}"),
        }

        let fallback = Scripted::always("fallback", Step::Ok(SCRIPT));
        let s = spark(timeout_config(), &[&primary, &fallback]);
        let out =
            if streaming { drain(&s, req()).await.2.unwrap() } else { s.generate(req()).await.unwrap() };
        assert_eq!(out.provider, "fallback");
    }
}

#[tokio::test(start_paused = true)]
async fn stall_after_the_first_chunk_is_an_idle_timeout_with_partial_text() {
    let primary = Scripted::always("primary", Step::TextThenHang(SCRIPT));
    let fallback = Scripted::always("fallback", Step::Ok(SCRIPT));
    let s = spark(timeout_config(), &[&primary, &fallback]);
    let t0 = Instant::now();
    let (_, text, result) = drain(&s, req()).await;
    assert_eq!(t0.elapsed(), Duration::from_millis(200));
    match result.unwrap_err() {
        Error::Timeout { stage, partial_text, .. } => {
            assert_eq!(stage.as_str(), "idle");
            assert_eq!(partial_text.as_deref(), Some(SCRIPT));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(text, SCRIPT);
    assert_eq!(fallback.calls(), 0);
}

#[tokio::test(start_paused = true)]
async fn a_trickling_stream_ends_at_the_total_deadline() {
    let primary = Scripted::always("primary", Step::Trickle(Duration::from_millis(100)));
    let s = spark(timeout_config(), &[&primary]);
    let t0 = Instant::now();
    let (_, text, result) = drain(&s, req()).await;
    assert_eq!(t0.elapsed(), Duration::from_millis(2_000));
    let err = result.unwrap_err();
    assert!(matches!(&err, Error::Timeout { stage, .. } if stage.as_str() == "total"), "{err:?}");
    assert_eq!(err.partial_text(), Some(text.as_str()));
    assert!((19..=20).contains(&text.len()), "one chunk per 100 ms until 2 s: {}", text.len());
}

#[tokio::test(start_paused = true)]
async fn retries_stop_at_the_total_deadline() {
    let primary = Scripted::always("primary", Step::Hang);
    let mut cfg = timeout_config();
    cfg.retry.max_attempts = 100;
    cfg.timeouts.total_ms = 1_200;
    let s = spark(cfg, &[&primary]);
    let t0 = Instant::now();
    let err = s.generate(req()).await.unwrap_err();
    assert!(t0.elapsed() <= Duration::from_millis(1_200), "{:?}", t0.elapsed());
    assert!(err.is_timeout(), "{err:?}");
    assert!(primary.calls() <= 3);
}

#[tokio::test]
async fn dropping_the_stream_cancels_the_provider_call() {
    let primary = Scripted::always("primary", Step::Trickle(Duration::from_millis(5)));
    let s = spark(config(), &[&primary]);
    let mut stream = Box::pin(s.generate_stream(req()));
    let mut deltas = 0;
    while deltas < 3 {
        if let Some(Ok(StreamEvent::Delta { .. })) = stream.next().await {
            deltas += 1;
        }
    }
    drop(stream);
    // The background task notices the closed channel and drops the provider stream.
    for _ in 0..200 {
        if primary.streams_dropped.load(Ordering::SeqCst) == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(primary.streams_dropped.load(Ordering::SeqCst), 1);
    assert_eq!(primary.calls(), 1);
}

#[tokio::test]
async fn out_of_range_temperature_is_an_invalid_request() {
    let p = Scripted::always("primary", Step::Ok(SCRIPT));
    let s = spark(config(), &[&p]);
    for t in [-0.1f32, 2.5, f32::NAN] {
        let mut r = req();
        r.temperature = Some(t);
        assert_eq!(s.generate(r).await.unwrap_err().code(), ErrorCode::InvalidRequest, "{t}");
    }
    assert_eq!(p.calls(), 0);
}

#[tokio::test(start_paused = true)]
async fn a_dropped_request_stops_retrying() {
    let primary = Scripted::always("primary", Step::Fail(ProviderErrorKind::Server));
    let mut cfg = config();
    cfg.retry.max_attempts = 10;
    cfg.retry.base_delay_ms = 1_000;
    cfg.retry.max_delay_ms = 1_000;
    let s = spark(cfg, &[&primary]);

    // A plain request abandoned by its caller during the backoff.
    let gave_up = tokio::time::timeout(Duration::from_millis(1), s.generate(req())).await;
    assert!(gave_up.is_err());
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert_eq!(primary.calls(), 1, "no attempt after the caller left");

    // A streamed one: the background task stops with the stream.
    let mut stream = Box::pin(s.generate_stream(req()));
    let _ = tokio::time::timeout(Duration::from_millis(1), stream.next()).await;
    assert_eq!(primary.calls(), 2);
    drop(stream);
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert_eq!(primary.calls(), 2, "no attempt after the stream was dropped");
}

#[tokio::test(start_paused = true)]
async fn sections_load_from_toml_and_bad_values_name_their_field() {
    let cfg = SparkConfig::from_toml_str(
        "[retry]\nmax_attempts = 1\nbudget_ms = 5000\n[breaker]\nenabled = false\nfailure_threshold = 1\n\
         [timeouts]\nfirst_token_ms = 250\n[cache]\nmax_bytes = 1048576\nttl_secs = 60\n",
    )
    .unwrap();
    assert_eq!((cfg.retry.max_attempts, cfg.retry.budget_ms, cfg.retry.base_delay_ms), (1, 5_000, 250));
    assert!(!cfg.breaker.enabled);
    assert_eq!((cfg.timeouts.first_token_ms, cfg.timeouts.total_ms), (250, 300_000));
    assert_eq!((cfg.cache.max_bytes, cfg.cache.ttl_secs), (1 << 20, 60));

    // A disabled breaker never opens.
    let mut cfg = cfg;
    cfg.rate_limit.enabled = false;
    cfg.repair.max_rounds = 0;
    let primary = Scripted::always("primary", Step::Fail(ProviderErrorKind::Server));
    let s = spark(cfg, &[&primary]);
    for _ in 0..5 {
        assert_eq!(s.generate(req().no_cache()).await.unwrap_err().code(), ErrorCode::ProviderFailed);
    }
    assert_eq!((primary.calls(), s.provider_status()[0].state), (5, BreakerState::Closed));

    for (toml, field) in [
        ("[retry]\nmax_attempts = 0\n", "retry.max_attempts"),
        ("[retry]\nbase_delay_ms = 500\nmax_delay_ms = 100\n", "retry.max_delay_ms"),
        ("[breaker]\ncooldown_ms = 0\n", "breaker.cooldown_ms"),
        ("[timeouts]\nidle_ms = 0\n", "timeouts.idle_ms"),
        ("[cache]\nmax_bytes = 10\n", "cache.max_bytes"),
    ] {
        match SparkConfig::from_toml_str(toml) {
            Err(Error::Config { field: f, .. }) => assert_eq!(f, field, "{toml}"),
            other => panic!("{toml}: {other:?}"),
        }
    }
}
