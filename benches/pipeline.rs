//! The request path's overhead.
//!
//! - `cache_hit/generate`: `Spark::generate` answered from the response cache (guards, key
//!   hash, store lookup, extraction and validation of the cached 20-line reply). Goal < 10 µs.
//!   `cache_hit/generate_metrics_off` is the same with `metrics.enabled = false`, and
//!   `cache_hit/generate_info_subscriber` runs under a live INFO `fmt` subscriber writing to
//!   `io::sink`. A run of alternating batches then prints the median of each — metrics off and
//!   no subscriber (the baseline), metrics on with spans but no subscriber, metrics on under the
//!   INFO subscriber — and what each adds to the baseline (goal: metrics and tracing < 2 µs).
//! - `http_path/c64`: the whole path on a miss — guards, cache miss and insert, an HTTP call to
//!   a minimal hyper server on 127.0.0.1 returning a fixed OpenAI chat completion, extraction,
//!   validation — 256 requests per iteration at concurrency 64.
//! - After criterion, a fixed run of `SPARK_BENCH_REQUESTS` (default 20 000) requests at
//!   concurrency 64 prints requests/s and p50/p99 latency, next to raw reqwest calls to the same
//!   server (the same HTTP work without SPARK) so the added latency can be read off. Goal
//!   ≥ 5 000 req/s on 2 cores, p99 added < 1 ms.
//!
//! Run: `cargo bench -p spark-core --bench pipeline`

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use futures::StreamExt;
use spark_core::config::OpenAiConfig;
use spark_core::provider::CompletionRequest;
use spark_core::{ApiKey, GenerateRequest, OpenAi, Spark, SparkConfig};

/// A 20-line MonoBehaviour, as a model would send it.
const REPLY: &str = "### Spin.cs\n```csharp\nusing UnityEngine;\n\npublic class Spin : MonoBehaviour\n{\n    [SerializeField] private float speed = 90f;\n    [SerializeField] private Vector3 axis = Vector3.up;\n    private Transform cached;\n\n    private void Awake()\n    {\n        cached = transform;\n    }\n\n    private void Update()\n    {\n        cached.Rotate(axis, speed * Time.deltaTime);\n    }\n\n    public void SetSpeed(float value)\n    {\n        speed = Mathf.Max(0f, value);\n    }\n}\n```\n";

mod support;
use support::{Fixed, mock_server, openai_body};

const CONCURRENCY: usize = 64;

fn config() -> SparkConfig {
    let mut c = SparkConfig::default();
    // Guards stay on, with limits the bench cannot reach.
    c.rate_limit.requests_per_minute = 100_000_000;
    c.rate_limit.burst = 1_000_000;
    c.rate_limit.max_concurrent = 1_024;
    c.repair.max_rounds = 0;
    c
}

fn http_spark(url: &str) -> Spark {
    let cfg = config();
    let openai = OpenAi::new(
        OpenAiConfig {
            api_key: Some(ApiKey::new("sk-bench-0123456789")),
            base_url: format!("{url}/v1"),
            model: "gpt-bench".into(),
            ..OpenAiConfig::default()
        },
        &cfg.timeouts,
    )
    .unwrap();
    Spark::builder().config(cfg).provider(openai).build().unwrap()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

fn cache_hit(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let spark = Spark::builder().config(config()).provider(Fixed(REPLY)).build().unwrap();
    let req = GenerateRequest::new("a cube that spins around an axis").caller("bench");
    let first = rt.block_on(spark.generate(req.clone())).unwrap();
    assert!(first.diagnostics.is_empty(), "{:?}", first.diagnostics);
    c.bench_function("cache_hit/generate", |b| {
        b.iter(|| black_box(rt.block_on(spark.generate(black_box(req.clone()))).unwrap()))
    });
    assert!(spark.cache_stats().hits > 0);
    // The same with a live subscriber: every span of the hit is created, entered and closed.
    {
        let _default = tracing::subscriber::set_default(tracing_subscriber::registry());
        c.bench_function("cache_hit/generate_subscribed", |b| {
            b.iter(|| black_box(rt.block_on(spark.generate(black_box(req.clone()))).unwrap()))
        });
    }

    // The same hit with metrics off: what the metrics observer costs a request.
    let mut off = config();
    off.metrics.enabled = false;
    let bare = Spark::builder().config(off).provider(Fixed(REPLY)).build().unwrap();
    rt.block_on(bare.generate(req.clone())).unwrap();
    c.bench_function("cache_hit/generate_metrics_off", |b| {
        b.iter(|| black_box(rt.block_on(bare.generate(black_box(req.clone()))).unwrap()))
    });
    {
        let _default = tracing::subscriber::set_default(info_subscriber());
        c.bench_function("cache_hit/generate_info_subscriber", |b| {
            b.iter(|| black_box(rt.block_on(spark.generate(black_box(req.clone()))).unwrap()))
        });
    }
    metrics_overhead(&rt, &spark, &bare, &req);

    // Where a miss spends its time, without HTTP: the whole path with an in-process provider
    // (cache bypassed), and extraction + validation alone.
    c.bench_function("miss_path/in_process_provider", |b| {
        b.iter(|| black_box(rt.block_on(spark.generate(black_box(req.clone().no_cache()))).unwrap()))
    });
    let policy = spark_core::validate::ValidationConfig::default();
    c.bench_function("miss_path/extract_and_validate", |b| {
        b.iter(|| {
            let files = spark_core::extract::extract_files(black_box(REPLY));
            black_box(spark_core::validate::validate_files(&files, &policy))
        })
    });
    let base = CompletionRequest {
        system: Some(spark.system_prompt().to_string()),
        messages: vec![spark_core::provider::Message::user("a cube that spins around an axis")],
        ..Default::default()
    };
    c.bench_function("miss_path/cache_key", |b| {
        b.iter(|| black_box(spark_core::cache::cache_key("openai/http://127.0.0.1/v1/gpt", black_box(&base))))
    });
}

/// A live subscriber at INFO that formats every span and event and throws the text away: what
/// a host logging at INFO pays, minus the I/O.
fn info_subscriber() -> impl tracing::Subscriber + Send + Sync {
    tracing_subscriber::fmt().with_max_level(tracing::Level::INFO).with_writer(std::io::sink).finish()
}

/// Cache hits in alternating batches (so every variant sees the same machine load): metrics off
/// without a subscriber (the baseline), metrics on with spans but no subscriber, and metrics on
/// under [`info_subscriber`]. Prints each variant's median per-request time over the batches and
/// what it adds to the baseline.
fn metrics_overhead(rt: &tokio::runtime::Runtime, on: &Spark, off: &Spark, req: &GenerateRequest) {
    const BATCHES: usize = 21;
    const PER_BATCH: u32 = 2_000;
    let batch = |s: &Spark| {
        let t = Instant::now();
        for _ in 0..PER_BATCH {
            black_box(rt.block_on(s.generate(req.clone())).unwrap());
        }
        t.elapsed().as_secs_f64() * 1e6 / f64::from(PER_BATCH)
    };
    let (mut base, mut metrics, mut subscribed) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..BATCHES {
        base.push(batch(off));
        metrics.push(batch(on));
        subscribed.push(tracing::subscriber::with_default(info_subscriber(), || batch(on)));
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (b, m, s) = (median(&mut base), median(&mut metrics), median(&mut subscribed));
    println!(
        "cache hit, median of {BATCHES} batches of {PER_BATCH}: metrics off + no subscriber {b:.2} µs; \
         metrics on + spans, no subscriber {m:.2} µs (+{:.2} µs); metrics on + INFO subscriber \
         {s:.2} µs (+{:.2} µs)",
        m - b,
        s - b
    );
}

/// Runs `n` requests, `concurrency` at a time, each built by `one(i)` and spawned as its own task
/// (as a server would: requests share the runtime's workers instead of one task's poll); returns
/// the latencies.
async fn run<F, Fut>(n: usize, concurrency: usize, one: F) -> Vec<Duration>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    futures::stream::iter(0..n)
        .map(|i| {
            let f = one(i);
            tokio::spawn(async move {
                let t = Instant::now();
                f.await;
                t.elapsed()
            })
        })
        .buffer_unordered(concurrency)
        .map(|r| r.expect("request task"))
        .collect()
        .await
}

fn unique_request(i: usize, round: u64) -> GenerateRequest {
    GenerateRequest::new(format!("a cube that spins, variant {round}-{i}")).caller(format!("c{}", i % 16))
}

fn http_path(c: &mut Criterion) {
    let rt = runtime();
    let url = rt.block_on(mock_server(openai_body(REPLY)));
    let spark = http_spark(&url);
    rt.block_on(spark.generate(unique_request(0, 0))).unwrap();
    let mut group = c.benchmark_group("http_path");
    const BATCH: usize = 256;
    group.throughput(Throughput::Elements(BATCH as u64));
    let mut round = 1u64;
    group.bench_function("c64", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                round += 1;
                let r = round;
                let t = Instant::now();
                rt.block_on(run(BATCH, CONCURRENCY, |i| {
                    let s = spark.clone();
                    async move {
                        s.generate(unique_request(i, r)).await.unwrap();
                    }
                }));
                total += t.elapsed();
            }
            total
        })
    });
    group.finish();
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

fn report(label: &str, mut lat: Vec<Duration>, elapsed: Duration) -> (Duration, Duration) {
    lat.sort();
    let (p50, p99) = (percentile(&lat, 0.50), percentile(&lat, 0.99));
    println!(
        "{label:<34} {:>9.0} req/s   p50 {:>8.1} µs   p99 {:>8.1} µs   ({} requests in {:.2} s)",
        lat.len() as f64 / elapsed.as_secs_f64(),
        p50.as_secs_f64() * 1e6,
        p99.as_secs_f64() * 1e6,
        lat.len(),
        elapsed.as_secs_f64()
    );
    (p50, p99)
}

/// The fixed run with percentiles (criterion reports means and medians of batches only).
fn throughput_report(n: usize) {
    let rt = runtime();
    let url = rt.block_on(mock_server(openai_body(REPLY)));
    let spark = http_spark(&url);
    let client = reqwest::Client::new();
    let endpoint = format!("{url}/v1/chat/completions");
    let raw = Arc::new(serde_json::json!({"model":"gpt-bench","messages":[{"role":"user","content":"x"}]}));
    // Warm the connection pools.
    rt.block_on(run(CONCURRENCY * 2, CONCURRENCY, |i| {
        let (s, c, e, r) = (spark.clone(), client.clone(), endpoint.clone(), raw.clone());
        async move {
            s.generate(unique_request(i, u64::MAX)).await.unwrap();
            c.post(&e).json(&*r).send().await.unwrap().bytes().await.unwrap();
        }
    }));
    println!(
        "\nfixed run: {n} requests, concurrency {CONCURRENCY}, 2 runtime workers, loopback hyper server"
    );
    for (label, conc) in [("c64", CONCURRENCY), ("c1", 1)] {
        let n = if conc == 1 { n / 10 } else { n };
        let t = Instant::now();
        let lat = rt.block_on(run(n, conc, |_| {
            let (c, e, r) = (client.clone(), endpoint.clone(), raw.clone());
            async move {
                black_box(c.post(&e).json(&*r).send().await.unwrap().bytes().await.unwrap());
            }
        }));
        let (rp50, rp99) = report(&format!("raw HTTP only ({label})"), lat, t.elapsed());
        let t = Instant::now();
        let lat = rt.block_on(run(n, conc, |i| {
            let s = spark.clone();
            async move {
                black_box(s.generate(unique_request(i, conc as u64)).await.unwrap());
            }
        }));
        let (sp50, sp99) = report(&format!("Spark::generate, cache miss ({label})"), lat, t.elapsed());
        println!(
            "added by SPARK ({label}): p50 {:.1} µs, p99 {:.1} µs",
            (sp50.as_secs_f64() - rp50.as_secs_f64()) * 1e6,
            (sp99.as_secs_f64() - rp99.as_secs_f64()) * 1e6
        );
    }
    let stats = spark.cache_stats();
    println!("cache: {} misses, {} hits, {} entries", stats.misses, stats.hits, stats.entries);
}

fn main() {
    let test_mode = std::env::args().any(|a| a == "--test");
    let mut c = Criterion::default().configure_from_args();
    cache_hit(&mut c);
    http_path(&mut c);
    c.final_summary();
    let n = std::env::var("SPARK_BENCH_REQUESTS").ok().and_then(|v| v.parse().ok());
    throughput_report(if test_mode { 640 } else { n.unwrap_or(20_000) });
}
