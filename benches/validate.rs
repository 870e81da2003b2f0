//! Full validation (syntax, Unity and security rules) against a raw tree-sitter parse of the same
//! file, in the same run. Goal: full validation ≤ 1.3× the raw parse.
//!
//! Run: `cargo bench -p spark-core --bench validate`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use spark_core::validate::{ValidationConfig, validate_source};

const SCRIPT: &str = include_str!("../tests/fixtures/bench/ThirdPersonCharacter.cs");
const FILE: &str = "ThirdPersonCharacter.cs";

fn bench(c: &mut Criterion) {
    let cfg = ValidationConfig::default();
    assert!(validate_source(SCRIPT, FILE, &cfg).is_empty(), "the bench script must be clean");
    // A broken variant: the rare path (diagnostics, re-parse after blanking grammar gaps).
    let broken = SCRIPT.replacen("stamina = maxStamina;", "stamina = maxStamina", 1).replacen(
        "private void OnValidate()",
        "private void OnValidate() { var s = $\"\"; }\n        private void Check()",
        1,
    );
    assert!(!validate_source(&broken, FILE, &cfg).is_empty());

    let mut group = c.benchmark_group("validate");
    group.throughput(criterion::Throughput::Bytes(SCRIPT.len() as u64));
    let lang: tree_sitter::Language = tree_sitter_c_sharp::LANGUAGE.into();
    let mut parser = tree_sitter::Parser::new();
    parser.set_language(&lang).expect("C# grammar");
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

criterion_group!(benches, bench);
criterion_main!(benches);
