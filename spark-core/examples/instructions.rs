//! N `generate` calls, for instruction counts that machine noise does not move: `miss` (in-process
//! provider, cache bypassed), `hit` (the memoised result; `hit-off` with metrics off, `hit-sub`
//! under a live INFO `fmt` subscriber that discards its output, `hit-reg` under a bare registry
//! at INFO) or `http` (unique prompts to an OpenAI
//! provider and a loopback hyper server, 64 at a time on two workers: the path of
//! `http_path/c64` in `benches/pipeline.rs`, server included). Build it in two checkouts and
//! compare:
//!
//! ```sh
//! cargo build --release -p spark-core --example instructions
//! valgrind --tool=callgrind --callgrind-out-file=cg.miss target/release/examples/instructions miss 300
//! valgrind --tool=callgrind --callgrind-out-file=cg.hit target/release/examples/instructions hit 3000
//! valgrind --tool=callgrind --callgrind-out-file=cg.http target/release/examples/instructions http 2000
//! ```
use spark_core::{GenerateRequest, Spark, SparkConfig};

#[path = "../../benches/support/mod.rs"]
mod support;
use support::{Fixed, mock_server, openai_body};

const REPLY: &str = "### Spin.cs\n```csharp\nusing UnityEngine;\n\npublic class Spin : MonoBehaviour\n{\n    [SerializeField] private float speed = 90f;\n\n    private void Update()\n    {\n        transform.Rotate(0f, speed * Time.deltaTime, 0f);\n    }\n}\n```\n";

fn http(n: usize) {
    use futures::StreamExt;
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let url = rt.block_on(mock_server(openai_body(REPLY)));
    let mut cfg = SparkConfig::default();
    cfg.rate_limit.requests_per_minute = 100_000_000;
    cfg.rate_limit.burst = 1_000_000;
    cfg.rate_limit.max_concurrent = 1_024;
    cfg.repair.max_rounds = 0;
    cfg.openai.api_key = Some(spark_core::ApiKey::new("sk-bench-0123456789"));
    cfg.openai.base_url = format!("{url}/v1");
    cfg.openai.model = "gpt-bench".into();
    let openai = spark_core::OpenAi::new(cfg.openai.clone(), &cfg.timeouts).unwrap();
    let spark = Spark::builder().config(cfg).provider(openai).build().unwrap();
    rt.block_on(async {
        futures::stream::iter(0..n)
            .map(|i| {
                let s = spark.clone();
                tokio::spawn(async move {
                    let req = GenerateRequest::new(format!("a cube that spins, variant {i}"))
                        .caller(format!("c{}", i % 16));
                    std::hint::black_box(s.generate(req).await.unwrap());
                })
            })
            .buffer_unordered(64)
            .for_each(|r| async move { r.unwrap() })
            .await
    });
}

fn main() {
    let mode = std::env::args().nth(1).unwrap_or_default();
    // `hit-sub`: a live subscriber at INFO that formats and discards (every span is built).
    let _sub = (mode == "hit-sub").then(|| {
        let fmt = tracing_subscriber::fmt().with_max_level(tracing::Level::INFO).with_writer(std::io::sink);
        tracing::subscriber::set_default(fmt.finish())
    });
    // `hit-reg`: a bare registry at INFO (spans kept, nothing formatted: what an OTel layer
    // starts from).
    let _reg = (mode == "hit-reg").then(|| {
        use tracing_subscriber::layer::SubscriberExt;
        let reg = tracing_subscriber::registry().with(tracing_subscriber::filter::LevelFilter::INFO);
        tracing::subscriber::set_default(reg)
    });
    let n: usize = std::env::args().nth(2).and_then(|a| a.parse().ok()).unwrap_or(2000);
    if mode == "http" {
        return http(n);
    }
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let mut cfg = SparkConfig::default();
    cfg.rate_limit.requests_per_minute = 100_000_000;
    cfg.rate_limit.burst = 1_000_000;
    cfg.repair.max_rounds = 0;
    // `hit-off`: the same hit with `[metrics] enabled = false`.
    cfg.metrics.enabled = mode != "hit-off";
    let spark = Spark::builder().config(cfg).provider(Fixed(REPLY)).build().unwrap();
    let req = GenerateRequest::new("a cube that spins").caller("ab");
    rt.block_on(spark.generate(req.clone())).unwrap();
    for _ in 0..n {
        let r = if mode.starts_with("hit") { req.clone() } else { req.clone().no_cache() };
        std::hint::black_box(rt.block_on(spark.generate(r)).unwrap());
    }
}
