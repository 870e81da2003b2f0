//! N in-process `generate` calls (`miss`: cache bypassed, `hit`: the memoised result), for
//! instruction counts that machine noise does not move. Build it in two checkouts and compare:
//!
//! ```sh
//! cargo build --release -p spark-core --example instructions
//! valgrind --tool=callgrind --callgrind-out-file=cg.miss target/release/examples/instructions miss 300
//! valgrind --tool=callgrind --callgrind-out-file=cg.hit target/release/examples/instructions hit 3000
//! ```
use async_trait::async_trait;
use spark_core::provider::{Completion, CompletionRequest, ProviderStream, StopReason};
use spark_core::{GenerateRequest, Provider, Spark, SparkConfig};

const REPLY: &str = "### Spin.cs\n```csharp\nusing UnityEngine;\n\npublic class Spin : MonoBehaviour\n{\n    [SerializeField] private float speed = 90f;\n\n    private void Update()\n    {\n        transform.Rotate(0f, speed * Time.deltaTime, 0f);\n    }\n}\n```\n";

struct Fixed;
#[async_trait]
impl Provider for Fixed {
    fn name(&self) -> &str {
        "fixed"
    }
    fn default_model(&self) -> &str {
        "fixed-1"
    }
    async fn complete(&self, _: &CompletionRequest) -> spark_core::Result<Completion> {
        let mut c: Completion = serde_json::from_value(serde_json::json!({"text": REPLY, "usage": {"input_tokens": 1, "output_tokens": 2}, "stop_reason": "end_turn", "provider": "fixed", "model": "fixed-1", "request_id": null})).unwrap();
        c.stop_reason = Some(StopReason::EndTurn);
        Ok(c)
    }
    async fn stream(&self, r: &CompletionRequest) -> spark_core::Result<ProviderStream> {
        Ok(self.complete(r).await?.into_stream())
    }
}

fn main() {
    let mode = std::env::args().nth(1).unwrap_or_default();
    let n: usize = std::env::args().nth(2).and_then(|a| a.parse().ok()).unwrap_or(2000);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let mut cfg = SparkConfig::default();
    cfg.rate_limit.requests_per_minute = 100_000_000;
    cfg.rate_limit.burst = 1_000_000;
    cfg.repair.max_rounds = 0;
    let spark = Spark::builder().config(cfg).provider(Fixed).build().unwrap();
    let req = GenerateRequest::new("a cube that spins").caller("ab");
    rt.block_on(spark.generate(req.clone())).unwrap();
    for _ in 0..n {
        let r = if mode == "hit" { req.clone() } else { req.clone().no_cache() };
        std::hint::black_box(rt.block_on(spark.generate(r)).unwrap());
    }
}
