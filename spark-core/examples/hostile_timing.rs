//! Times extraction + validation of hostile replies (many blocks): the medians of a few runs.
//!
//! Run: `cargo run --release -p spark-core --example hostile_timing [rounds]`

use std::time::{Duration, Instant};

use spark_core::extract::extract_files;
use spark_core::validate::{ValidationConfig, validate_files};

fn same_named(n: usize) -> String {
    (0..n).map(|i| format!("```csharp Player.cs\npublic class P{i} {{ }}\n```\n")).collect()
}

fn tiny(n: usize) -> String {
    (0..n).map(|_| "```cs\nclass A{}\n```\n").collect()
}

fn nested(head: &str, unit: &str, tail: &str) -> String {
    format!("```csharp\n{head}{}{tail}\n```\n", unit.repeat(100_000))
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let rounds: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(3);
    let cfg = ValidationConfig::default();
    for (name, reply) in [
        ("1000 same-named blocks", same_named(1000)),
        ("2000 same-named blocks", same_named(2000)),
        ("5000 tiny blocks", tiny(5000)),
        ("100000 nested $\"{", nested("public class Player { string s = ", "$\"{", "; }")),
        ("#if + 100000 (", nested("#if ", "(", "\npublic class Player { }\n#endif")),
    ] {
        let mut ex = Vec::new();
        let mut all = Vec::new();
        for _ in 0..rounds {
            let t = Instant::now();
            let files = extract_files(&reply);
            ex.push(t.elapsed());
            let d = validate_files(&files, &cfg);
            all.push(t.elapsed());
            std::hint::black_box(d);
        }
        println!("{name}: extract {:?}, extract+validate {:?} (median of {rounds})", median(ex), median(all));
    }
}
