//! `generate` of a 300-line script reply: where the time goes.
//!
//! - `generate_300/in_process`: `Spark::generate` answered by an in-process provider (no I/O),
//!   cache bypassed, repair off: guards, extraction, validation, result.
//! - `generate_300/extract_and_validate`: the same extraction and project validation called
//!   directly, and `generate_300/validate_source`: the script alone (the standalone baseline).
//! - `generate_300/http_loopback`: `Spark::generate` against a hyper server on 127.0.0.1
//!   answering the OpenAI chat completion JSON, next to `generate_300/reqwest_json_only`: the
//!   same HTTP call made with reqwest and the JSON parsed with serde_json, what an SDK does
//!   without validating anything.
//!
//! Run: `cargo bench -p spark-core --bench generate_large`; the Python comparison with the
//! openai SDK is `benches/openai_sdk.py`.

use std::hint::black_box;

use criterion::Criterion;
use spark_core::config::OpenAiConfig;
use spark_core::extract::extract_files;
use spark_core::validate::{ProjectFile, ValidationConfig, validate_project, validate_source};
use spark_core::{ApiKey, GenerateRequest, OpenAi, Spark, SparkConfig};

mod support;
use support::{Fixed, mock_server, openai_body};

const SCRIPT: &str = include_str!("../tests/fixtures/bench/ThirdPersonCharacter.cs");

fn reply() -> &'static str {
    let text = format!("Here is the script.\n\n### ThirdPersonCharacter.cs\n\n```csharp\n{SCRIPT}```\n");
    Box::leak(text.into_boxed_str())
}

fn config() -> SparkConfig {
    let mut c = SparkConfig::default();
    c.rate_limit.requests_per_minute = 100_000_000;
    c.rate_limit.burst = 1_000_000;
    c.rate_limit.max_concurrent = 1_024;
    c.repair.max_rounds = 0;
    c
}

fn bench(c: &mut Criterion) {
    let reply = reply();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let req = GenerateRequest::new("a third person character controller").caller("bench").no_cache();
    let mut group = c.benchmark_group("generate_300");

    let spark = Spark::builder().config(config()).provider(Fixed(reply)).build().unwrap();
    let first = rt.block_on(spark.generate(req.clone())).unwrap();
    assert!(first.diagnostics.is_empty(), "{:?}", first.diagnostics);
    group.bench_function("in_process", |b| {
        b.iter(|| black_box(rt.block_on(spark.generate(black_box(req.clone()))).unwrap()))
    });
    let cfg = ValidationConfig::default();
    group.bench_function("extract_and_validate", |b| {
        b.iter(|| {
            let files = extract_files(black_box(reply));
            let project: Vec<ProjectFile> =
                files.iter().map(|f| ProjectFile::new(&f.path, &f.content)).collect();
            black_box(validate_project(&project, &[], &cfg))
        })
    });
    group.bench_function("validate_source", |b| {
        b.iter(|| black_box(validate_source(black_box(SCRIPT), "ThirdPersonCharacter.cs", &cfg)))
    });

    let url = rt.block_on(mock_server(openai_body(reply)));
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
    let http = Spark::builder().config(cfg).provider(openai).build().unwrap();
    assert!(rt.block_on(http.generate(req.clone())).unwrap().diagnostics.is_empty());
    group.bench_function("http_loopback", |b| {
        b.iter(|| black_box(rt.block_on(http.generate(black_box(req.clone()))).unwrap()))
    });
    let client = reqwest::Client::new();
    let body = serde_json::json!({"model": "gpt-bench", "messages": [{"role": "user", "content": "a third person character controller"}]});
    group.bench_function("reqwest_json_only", |b| {
        b.iter(|| {
            rt.block_on(async {
                let r = client
                    .post(format!("{url}/v1/chat/completions"))
                    .bearer_auth("sk-bench-0123456789")
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                let v: serde_json::Value = r.json().await.unwrap();
                black_box(v["choices"][0]["message"]["content"].as_str().map(str::len))
            })
        })
    });
    group.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
    c.final_summary();
}
