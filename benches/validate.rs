//! Full validation (syntax, Unity and security rules) against a raw tree-sitter parse of the same
//! file, in the same run. Goal: full validation ≤ 1.3× the raw parse.
//!
//! Run: `cargo bench -p spark-core --bench validate`
//!
//! Instruction counts (the machine is too noisy for wall time alone): build with
//! `cargo bench -p spark-core --bench validate --no-run`, then run the binary under
//! `valgrind --tool=callgrind` with `SPARK_VALIDATE_REPEAT=<raw|full|broken>:<n>`; it does the
//! chosen work `n` times and exits without criterion. `SPARK_VALIDATE_CPU=<rounds>` prints the
//! median on-CPU time of each (steadier than wall time when other processes share the cores).

use std::hint::black_box;

use criterion::Criterion;
use spark_core::validate::{ValidationConfig, validate_source};

const SCRIPT: &str = include_str!("../tests/fixtures/bench/ThirdPersonCharacter.cs");
const FILE: &str = "ThirdPersonCharacter.cs";

/// The rare path: diagnostics, and a grammar gap (`$""`) that forces the re-parse.
fn broken() -> String {
    SCRIPT.replacen("stamina = maxStamina;", "stamina = maxStamina", 1).replacen(
        "private void OnValidate()",
        "private void OnValidate() { var s = $\"\"; }\n        private void Check()",
        1,
    )
}

fn parser() -> tree_sitter::Parser {
    let lang: tree_sitter::Language = tree_sitter_c_sharp::LANGUAGE.into();
    let mut parser = tree_sitter::Parser::new();
    parser.set_language(&lang).expect("C# grammar");
    parser
}

fn bench(c: &mut Criterion) {
    let cfg = ValidationConfig::default();
    assert!(validate_source(SCRIPT, FILE, &cfg).is_empty(), "the bench script must be clean");
    let broken = broken();
    assert!(!validate_source(&broken, FILE, &cfg).is_empty());

    let mut group = c.benchmark_group("validate");
    group.throughput(criterion::Throughput::Bytes(SCRIPT.len() as u64));
    let mut parser = parser();
    group.bench_function("raw_parse_300_lines", |b| {
        b.iter(|| black_box(parser.parse(black_box(SCRIPT), None).expect("tree")))
    });
    group.bench_function("full_validation_300_lines", |b| {
        b.iter(|| black_box(validate_source(black_box(SCRIPT), FILE, &cfg)))
    });
    group.bench_function("full_validation_broken_300_lines", |b| {
        b.iter(|| black_box(validate_source(black_box(&broken), FILE, &cfg)))
    });
    group.finish();
}

/// `raw:N`, `full:N` or `broken:N`: the work of one benchmark, `N` times, for callgrind.
fn repeat(spec: &str) {
    let (what, n) = spec.split_once(':').unwrap_or((spec, "100"));
    let n: usize = n.parse().expect("SPARK_VALIDATE_REPEAT=<raw|full|broken>:<count>");
    let cfg = ValidationConfig::default();
    let broken = broken();
    // One warm-up call so lazily built tables (grammar, kind map) are not counted.
    black_box(validate_source(SCRIPT, FILE, &cfg));
    let mut parser = parser();
    for _ in 0..n {
        match what {
            "raw" => drop(black_box(parser.parse(black_box(SCRIPT), None))),
            "full" => drop(black_box(validate_source(black_box(SCRIPT), FILE, &cfg))),
            "broken" => drop(black_box(validate_source(black_box(&broken), FILE, &cfg))),
            other => panic!("unknown work `{other}`: raw, full or broken"),
        }
    }
}

/// This thread's on-CPU time in nanoseconds (Linux schedstat): unlike wall time, it leaves out
/// the time other processes hold the core, which dominates on a shared machine.
fn cpu_ns() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok()
}

/// `SPARK_VALIDATE_CPU=<rounds>`: interleaved batches of the three benchmarks, median on-CPU
/// time per call of each and the ratios to the raw parse, as one JSON line.
fn cpu_medians(rounds: usize) {
    let cfg = ValidationConfig::default();
    let broken = broken();
    let mut parser = parser();
    let batch = 50;
    let mut times: [Vec<f64>; 3] = Default::default();
    for round in 0..=rounds {
        for (w, t) in times.iter_mut().enumerate() {
            let start = cpu_ns().expect("/proc/thread-self/schedstat");
            for _ in 0..batch {
                match w {
                    0 => drop(black_box(parser.parse(black_box(SCRIPT), None))),
                    1 => drop(black_box(validate_source(black_box(SCRIPT), FILE, &cfg))),
                    _ => drop(black_box(validate_source(black_box(&broken), FILE, &cfg))),
                }
            }
            let per_call = (cpu_ns().unwrap_or(start) - start) as f64 / batch as f64 / 1e6;
            // Round 0 warms caches and lazily built tables.
            if round > 0 {
                t.push(per_call);
            }
        }
    }
    let med = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let [mut raw, mut full, mut brk] = times;
    let (raw, full, brk) = (med(&mut raw), med(&mut full), med(&mut brk));
    println!(
        "{{\"cpu_ms\":{{\"raw_parse\":{raw:.3},\"full\":{full:.3},\"broken\":{brk:.3}}},\"full_over_raw\":{:.3},\"broken_over_raw\":{:.3},\"rounds\":{rounds},\"batch\":{batch}}}",
        full / raw,
        brk / raw
    );
}

fn main() {
    if let Ok(spec) = std::env::var("SPARK_VALIDATE_REPEAT") {
        repeat(&spec);
        return;
    }
    if let Ok(rounds) = std::env::var("SPARK_VALIDATE_CPU") {
        cpu_medians(rounds.parse().expect("SPARK_VALIDATE_CPU=<rounds>"));
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
    c.final_summary();
}
