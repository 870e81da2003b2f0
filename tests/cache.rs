//! The response cache through `Spark`: one provider call per distinct request, single-flight for
//! concurrent identical requests (streamed too), no errors or partial answers stored, byte bound.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use spark_core::cache::{CacheKey, CacheStore, MokaStore, entry_weight};
use spark_core::provider::{Completion, Usage};
use spark_core::{ErrorCode, GenerateRequest, Offline, ProviderErrorKind, Spark, SparkConfig, StreamEvent};

use crate::resilience::{SCRIPT, Scripted, Step, drain, spark};

fn cached_config() -> SparkConfig {
    let mut c = crate::resilience::config();
    c.cache.enabled = true;
    c
}

fn req() -> GenerateRequest {
    GenerateRequest::new("a spinning cube").caller("alice")
}

#[tokio::test]
async fn same_request_one_call_and_caller_is_not_part_of_the_key() {
    let p = Scripted::always("primary", Step::Ok(SCRIPT));
    let s = spark(cached_config(), &[&p]);
    let first = s.generate(req()).await.unwrap();
    let second = s.generate(req()).await.unwrap();
    let third = s.generate(req().caller("bob")).await.unwrap();
    assert_eq!(p.calls(), 1);
    assert!(!first.rounds[0].cached);
    assert!(second.rounds[0].cached && third.rounds[0].cached);
    assert_eq!((second.files.clone(), second.provider.as_str()), (first.files.clone(), "primary"));
    let stats = s.cache_stats();
    assert_eq!((stats.hits, stats.misses, stats.coalesced), (2, 1, 0));
}

#[tokio::test]
async fn each_parameter_that_changes_the_answer_misses() {
    let p = Scripted::always("primary", Step::Ok(SCRIPT));
    let s = spark(cached_config(), &[&p]);
    s.generate(req()).await.unwrap();
    let mut variants = vec![
        GenerateRequest::new("a spinning sphere"),
        req().model("other-model"),
        req().max_tokens(77),
        req().temperature(0.7),
        req().temperature(0.70001),
    ];
    for (i, r) in variants.drain(..).enumerate() {
        s.generate(r).await.unwrap();
        assert_eq!(p.calls(), i + 2, "variant {i} must miss");
    }
    // Each variant is now cached on its own.
    s.generate(req().max_tokens(77)).await.unwrap();
    assert_eq!(p.calls(), 6);

    // A different system prompt (configuration) is a different answer too.
    let mut cfg = cached_config();
    cfg.generation.system_prompt = Some("You write C#.".into());
    let other = spark(cfg, &[&p]);
    other.generate(req()).await.unwrap();
    assert_eq!(p.calls(), 7);
}

#[tokio::test]
async fn no_cache_bypasses_and_disabled_cache_never_stores() {
    let p = Scripted::always("primary", Step::Ok(SCRIPT));
    let s = spark(cached_config(), &[&p]);
    s.generate(req().no_cache()).await.unwrap();
    s.generate(req().no_cache()).await.unwrap();
    assert_eq!(p.calls(), 2);
    s.generate(req()).await.unwrap();
    assert_eq!(p.calls(), 3, "no_cache requests store nothing");
    let s = spark(crate::resilience::config(), &[&p]);
    s.generate(req()).await.unwrap();
    s.generate(req()).await.unwrap();
    assert_eq!(p.calls(), 5);
}

#[tokio::test]
async fn hundred_concurrent_identical_requests_make_one_call() {
    let p = Scripted::always("primary", Step::Slow(Duration::from_millis(50), SCRIPT));
    let s = spark(cached_config(), &[&p]);
    let all = futures::future::join_all((0..100).map(|_| s.generate(req()))).await;
    assert!(all.iter().all(|r| r.as_ref().unwrap().files[0].path.ends_with("Spin.cs")));
    assert_eq!(p.calls(), 1);
    let stats = s.cache_stats();
    assert_eq!(stats.misses, 1);
    assert_eq!(stats.hits + stats.coalesced, 99);
}

#[tokio::test]
async fn hundred_concurrent_identical_streams_make_one_call() {
    let p = Scripted::always("primary", Step::Slow(Duration::from_millis(50), SCRIPT));
    let s = spark(cached_config(), &[&p]);
    let all = futures::future::join_all((0..100).map(|_| drain(&s, req()))).await;
    for (started, text, result) in &all {
        assert_eq!(started.as_deref(), Some("primary"));
        assert_eq!(text, SCRIPT, "late joiners get the full text");
        assert_eq!(result.as_ref().unwrap().usage, Usage::new(10, 20));
    }
    assert_eq!(p.calls(), 1);
    let live = all.iter().filter(|(_, _, r)| !r.as_ref().unwrap().rounds[0].cached).count();
    assert_eq!(live, 1, "exactly one caller streamed live");

    // A later streamed request replays from the store, naming the provider that answered.
    let (started, text, result) = drain(&s, req()).await;
    assert_eq!((started.as_deref(), text.as_str()), (Some("primary"), SCRIPT));
    assert!(result.unwrap().rounds[0].cached);
    assert_eq!(p.calls(), 1);
}

#[tokio::test]
async fn streamed_and_plain_requests_share_entries() {
    let p = Scripted::always("primary", Step::Ok(SCRIPT));
    let s = spark(cached_config(), &[&p]);
    drain(&s, req()).await.2.unwrap();
    let plain = s.generate(req()).await.unwrap();
    assert!(plain.rounds[0].cached);
    assert_eq!(plain.raw, SCRIPT);
    assert_eq!(p.calls(), 1);
}

#[tokio::test]
async fn errors_and_partial_streams_are_not_cached() {
    let p = Scripted::new(
        "primary",
        vec![
            Step::Fail(ProviderErrorKind::BadRequest),
            Step::TextThenFail(SCRIPT, ProviderErrorKind::Server),
        ],
        Step::Ok(SCRIPT),
    );
    let s = spark(cached_config(), &[&p]);
    assert_eq!(s.generate(req()).await.unwrap_err().code(), ErrorCode::ProviderRejected);
    let err = drain(&s, req()).await.2.unwrap_err();
    assert_eq!(err.partial_text(), Some(SCRIPT));
    assert_eq!(p.calls(), 2);
    let out = s.generate(req()).await.unwrap();
    assert!(!out.rounds[0].cached);
    assert_eq!(p.calls(), 3);
    s.generate(req()).await.unwrap();
    assert_eq!(p.calls(), 3);
}

#[tokio::test]
async fn a_waiter_takes_over_when_the_streaming_leader_goes_away() {
    let p = Scripted::new("primary", vec![Step::TextThenHang(SCRIPT)], Step::Ok(SCRIPT));
    let s = spark(cached_config(), &[&p]);
    let mut leader = Box::pin(s.generate_stream(req()));
    loop {
        if let Some(Ok(StreamEvent::Delta { .. })) = leader.next().await {
            break;
        }
    }
    let waiter = tokio::spawn({
        let s = s.clone();
        async move { s.generate(req()).await }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(p.calls(), 1, "the waiter joined the flight");
    drop(leader);
    let out = tokio::time::timeout(Duration::from_secs(5), waiter).await.unwrap().unwrap().unwrap();
    assert_eq!(out.raw, SCRIPT);
    assert_eq!(p.calls(), 2, "the abandoned partial answer was not handed out");
}

#[tokio::test]
async fn offline_results_are_cached() {
    let mut cfg = cached_config();
    cfg.providers.order = vec!["offline".into()];
    let s = Spark::builder().provider(Offline::new()).config(cfg).build().unwrap();
    let a = s.generate(req()).await.unwrap();
    let b = s.generate(req()).await.unwrap();
    assert_eq!(a.files, b.files);
    assert_eq!((s.cache_stats().hits, s.cache_stats().misses), (1, 1));
}

fn completion(n: usize) -> Arc<Completion> {
    Arc::new(Completion {
        text: "x".repeat(n),
        usage: Usage::default(),
        stop_reason: None,
        provider: "p".into(),
        model: "m".into(),
        request_id: None,
        cached: false,
    })
}

#[tokio::test]
async fn the_store_is_bounded_by_bytes() {
    let store = MokaStore::new(20_000);
    for i in 0..100u8 {
        store.put(CacheKey([i; 32]), completion(1_000), Duration::from_secs(60)).await.unwrap();
    }
    store.run_pending_tasks().await;
    let per_entry = entry_weight(&CacheKey([0; 32]), &completion(1_000)) as u64;
    assert!(store.weighted_bytes() <= 20_000, "{}", store.weighted_bytes());
    assert!(store.entry_count() <= 20_000 / per_entry, "{}", store.entry_count());
    assert!(store.entry_count() >= 1);
    let present = futures::stream::iter(0..100u8)
        .filter(|i| {
            let store = store.clone();
            let i = *i;
            async move { store.get(&CacheKey([i; 32])).await.unwrap().is_some() }
        })
        .count()
        .await;
    assert_eq!(present as u64, store.entry_count());
}

#[tokio::test]
async fn a_custom_store_can_be_plugged_in() {
    let store = Arc::new(MokaStore::new(1 << 20));
    let p = Scripted::always("primary", Step::Ok(SCRIPT));
    let s = Spark::builder()
        .config(cached_config())
        .provider_arc(Arc::new(p.clone()))
        .cache_store(store.clone())
        .build()
        .unwrap();
    s.generate(req()).await.unwrap();
    store.run_pending_tasks().await;
    assert_eq!(store.entry_count(), 1);
    let s2 = Spark::builder()
        .config(cached_config())
        .provider_arc(Arc::new(p.clone()))
        .cache_store(store.clone())
        .build()
        .unwrap();
    s2.generate(req()).await.unwrap();
    assert_eq!(p.calls(), 1, "two clients share one store");
}

/// The class does not match its file name: blocking, so a repair round runs.
const MISNAMED: &str = "### Spin.cs\n```csharp\nusing UnityEngine;\n\npublic class Spinner : MonoBehaviour\n{\n    private void Update()\n    {\n        transform.Rotate(0f, 90f * Time.deltaTime, 0f);\n    }\n}\n```\n";

#[tokio::test]
async fn finished_results_are_memoised_except_runs_with_a_failed_round() {
    let p = Scripted::new(
        "primary",
        vec![Step::Ok(MISNAMED), Step::Fail(ProviderErrorKind::BadRequest)],
        Step::Ok(SCRIPT),
    );
    let mut cfg = cached_config();
    cfg.repair.max_rounds = 1;
    let s = spark(cfg, &[&p]);
    let first = s.generate(req()).await.unwrap();
    assert!(first.rounds[1].error.is_some(), "{:?}", first.rounds);
    assert_eq!(p.calls(), 2);

    // Not memoised: the failed repair is tried again (the first reply still comes from the cache).
    let second = s.generate(req()).await.unwrap();
    assert_eq!(p.calls(), 3);
    assert!(second.rounds[0].cached && !second.rounds[1].cached);
    assert!(second.rounds[1].error.is_none() && second.diagnostics.is_empty());

    // Clean now: memoised whole, every round reported as cached, no provider call.
    let third = s.generate(req().caller("carol")).await.unwrap();
    assert_eq!(p.calls(), 3);
    assert_eq!(third.files, second.files);
    assert!(third.rounds.iter().all(|r| r.cached));

    // Another number of repair rounds is another result, but the same first reply.
    let other = s.generate(req().repair_rounds(0)).await.unwrap();
    assert_eq!(p.calls(), 3);
    assert_eq!(other.rounds.len(), 1);
    assert!(!other.diagnostics.is_empty(), "without repair the misnamed class stays");
}
