//! Rust baseline of the cross-language validate benchmark (`benches/bindings.sh`).
//!
//! Same protocol in every language: validate `tests/fixtures/bench/ThirdPersonCharacter.cs` (300 lines)
//! through the public facade, warm up 200 calls, then 30 batches of 200 calls; the figure is the
//! median over batches of the per-call mean. Prints one JSON line.
//!
//! Run: `cargo bench -p spark-core --bench validate_rust`

use std::hint::black_box;
use std::time::Instant;

use spark_core::{Offline, Spark};

const WARMUP: usize = 200;
const BATCHES: usize = 30;
const BATCH: usize = 200;

fn main() {
    // `cargo bench` passes `--bench`; a criterion-style filter is not supported here.
    let source = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/bench/ThirdPersonCharacter.cs"
    ))
    .expect("bench fixture");
    let spark = Spark::builder().provider(Offline::new()).build().expect("offline spark");
    for _ in 0..WARMUP {
        let _ = black_box(spark.validate(black_box(&source), "ThirdPersonCharacter.cs"));
    }
    let mut per_call_us: Vec<f64> = (0..BATCHES)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..BATCH {
                let _ = black_box(spark.validate(black_box(&source), "ThirdPersonCharacter.cs"));
            }
            start.elapsed().as_secs_f64() * 1e6 / BATCH as f64
        })
        .collect();
    per_call_us.sort_by(f64::total_cmp);
    let median = (per_call_us[BATCHES / 2 - 1] + per_call_us[BATCHES / 2]) / 2.0;
    println!(r#"{{"lang":"rust","median_us":{median:.2},"batches":{BATCHES},"batch":{BATCH}}}"#);
}
