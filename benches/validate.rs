//! Full validation (syntax, Unity and security rules) against a raw tree-sitter parse of the same
//! file, in the same run. Goals:
//! - full validation ≤ 1.15× the raw parse;
//! - validation behind the stream: the 300-line script streamed in 50-byte pieces, the time from
//!   the last piece to the finished validation ≤ 10% of a full validation (`stream_last_piece_*`;
//!   `_fence_last` ends the reply with the closing fence, so the last piece holds the end of the code; `_prose_last` with a paragraph after it);
//! - per-line cost: full validation of generated scripts of 20, 300 and 2,000 lines
//!   (`per_line/*`, throughput in lines), the cost per line at 2,000 within 1.2× that at 300.
//!
//! Run: `cargo bench -p spark-core --bench validate`
//!
//! Instruction counts (the machine is too noisy for wall time alone): build with
//! `cargo bench -p spark-core --bench validate --no-run`, then run the binary under
//! `valgrind --tool=callgrind` with `SPARK_VALIDATE_REPEAT=<case>:<n>` (`raw_parse`, `full`,
//! `broken`, `full_2000`, `stream_fence_last`…); it does the chosen work `n` times and exits
//! without criterion. `SPARK_VALIDATE_CPU=<rounds>` prints the
//! median on-CPU time of each (steadier than wall time when other processes share the cores).

use std::hint::black_box;

use criterion::{BatchSize, Criterion};
use spark_core::validate::{StreamingValidation, ValidationConfig, validate_source};

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

/// A MonoBehaviour of about `lines` lines: methods with loops, calls and interpolated strings.
fn script_of(lines: usize) -> String {
    let mut s = String::from(
        "using UnityEngine;\nusing System.Collections.Generic;\n\npublic class Big : MonoBehaviour\n{\n    \
         [SerializeField] private float speed = 2f;\n    private readonly List<Transform> targets = new List<Transform>();\n\n",
    );
    let mut n = 8;
    let mut i = 0;
    while n + 13 < lines {
        s.push_str(&format!(
            "    private float Step{i}(float dt)\n    {{\n        float total = 0f;\n        \
             for (int k = 0; k < targets.Count; k++)\n        {{\n            var t = targets[k];\n            \
             total += Vector3.Distance(transform.position, t.position) * speed * dt;\n        }}\n        \
             if (total > {i}f) {{ Debug.Log($\"step {i}: {{total}}\"); }}\n        return total;\n    }}\n\n"
        ));
        n += 12;
        i += 1;
    }
    s.push_str("}\n");
    s
}

/// What a model usually writes after the code: a short paragraph (more than one piece).
const PROSE: &str = "\nAttach the script to the player object and assign its Animator and Rigidbody in \
                     the Inspector; stamina refills while the player walks.\n";

/// The bench script as a model's reply, ending with `tail` after the closing fence.
fn reply(tail: &str) -> String {
    format!("### {FILE}\n```csharp\n{SCRIPT}```{tail}")
}

/// `text` in pieces of `size` bytes (on character boundaries).
fn pieces(text: &str, size: usize) -> Vec<&str> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < text.len() {
        let mut end = (at + size).min(text.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        out.push(&text[at..end]);
        at = end;
    }
    out
}

/// A streaming validation fed every piece but the last.
fn all_but_last(pieces: &[&str], cfg: &ValidationConfig) -> StreamingValidation {
    let mut v = StreamingValidation::new(cfg.clone());
    for p in &pieces[..pieces.len() - 1] {
        v.push(p);
    }
    v
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
    for (name, tail) in
        [("stream_last_piece_300_lines_fence_last", "\n"), ("stream_last_piece_300_lines_prose_last", PROSE)]
    {
        let text = reply(tail);
        let parts = pieces(&text, 50);
        let last = parts[parts.len() - 1];
        let (files, diags) = {
            let mut v = all_but_last(&parts, &cfg);
            v.push(last);
            v.finish()
        };
        assert_eq!(diags, validate_source(&files[0].content, &files[0].path, &cfg));
        group.bench_function(name, |b| {
            b.iter_batched(
                || all_but_last(&parts, &cfg),
                |mut v| {
                    v.push(last);
                    black_box(v.finish())
                },
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();

    let mut group = c.benchmark_group("per_line");
    for lines in [20, 300, 2000] {
        let text = script_of(lines);
        let n = text.lines().count() as u64;
        group.throughput(criterion::Throughput::Elements(n));
        group.bench_function(format!("full_validation_{lines}_lines"), |b| {
            b.iter(|| black_box(validate_source(black_box(&text), "Big.cs", &cfg)))
        });
        group.bench_function(format!("raw_parse_{lines}_lines"), |b| {
            b.iter(|| black_box(parser.parse(black_box(&text), None).expect("tree")))
        });
    }
    group.finish();
}

/// The work of each measured case, by name; `stream_*` cases get a fresh streaming validation
/// fed all pieces but the last (not counted: see [`cpu_medians`]) and do the last piece.
fn cases() -> Vec<(String, Box<dyn FnMut()>)> {
    let cfg = ValidationConfig::default();
    let broken = broken();
    let mut out: Vec<(String, Box<dyn FnMut()>)> = Vec::new();
    let mut p = parser();
    out.push(("raw_parse".into(), Box::new(move || drop(black_box(p.parse(black_box(SCRIPT), None))))));
    let c = cfg.clone();
    out.push((
        "full".into(),
        Box::new(move || drop(black_box(validate_source(black_box(SCRIPT), FILE, &c)))),
    ));
    let c = cfg.clone();
    out.push((
        "broken".into(),
        Box::new(move || drop(black_box(validate_source(black_box(&broken), FILE, &c)))),
    ));
    for lines in [20, 300, 2000] {
        let text = script_of(lines);
        let mut p = parser();
        let t = text.clone();
        out.push((
            format!("raw_parse_{lines}"),
            Box::new(move || drop(black_box(p.parse(black_box(&t), None)))),
        ));
        let c = cfg.clone();
        out.push((
            format!("full_{lines}"),
            Box::new(move || drop(black_box(validate_source(black_box(&text), "Big.cs", &c)))),
        ));
    }
    out
}

/// Lines of the `*_N` cases' scripts.
fn lines_of(case: &str) -> Option<f64> {
    let n: usize = case.rsplit('_').next()?.parse().ok()?;
    Some(script_of(n).lines().count() as f64)
}

/// `<case>:N`: the work of one case (see [`cases`]; also `stream_fence_last`), `N` times, for
/// callgrind.
fn repeat(spec: &str) {
    let (what, n) = spec.split_once(':').unwrap_or((spec, "100"));
    let n: usize = n.parse().expect("SPARK_VALIDATE_REPEAT=<case>:<count>");
    let cfg = ValidationConfig::default();
    // One warm-up call so lazily built tables (grammar, kind map) are not counted.
    black_box(validate_source(SCRIPT, FILE, &cfg));
    if what == "stream_fence_last" {
        let text = reply("\n");
        let parts = pieces(&text, 50);
        for _ in 0..n {
            let mut v = all_but_last(&parts, &cfg);
            v.push(parts[parts.len() - 1]);
            black_box(v.finish());
        }
        return;
    }
    let mut cases = cases();
    let Some((_, work)) = cases.iter_mut().find(|(name, _)| name == what) else {
        panic!("unknown case `{what}`");
    };
    for _ in 0..n {
        work();
    }
}

/// This thread's on-CPU time in nanoseconds (Linux schedstat): unlike wall time, it leaves out
/// the time other processes hold the core, which dominates on a shared machine.
fn cpu_ns() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok()
}

/// `SPARK_VALIDATE_CPU=<rounds>`: interleaved batches of every case, the median on-CPU time per
/// call of each, and the goals' ratios, as JSON lines.
fn cpu_medians(rounds: usize) {
    let cfg = ValidationConfig::default();
    let mut cases = cases();
    let batch = 20;
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); cases.len() + 2];
    let texts = [reply("\n"), reply(PROSE)];
    let parts: Vec<Vec<&str>> = texts.iter().map(|t| pieces(t, 50)).collect();
    for round in 0..=rounds {
        for (w, (name, work)) in cases.iter_mut().enumerate() {
            // Small scripts in bigger batches: schedstat moves in scheduler ticks.
            let batch = if name.ends_with("_20") { batch * 20 } else { batch };
            let start = cpu_ns().expect("/proc/thread-self/schedstat");
            for _ in 0..batch {
                work();
            }
            let per_call = (cpu_ns().unwrap_or(start) - start) as f64 / batch as f64 / 1e6;
            // Round 0 warms caches and lazily built tables.
            if round > 0 {
                times[w].push(per_call);
            }
        }
        for (k, parts) in parts.iter().enumerate() {
            let mut spent = 0;
            for _ in 0..batch {
                let mut v = all_but_last(parts, &cfg);
                let start = cpu_ns().expect("schedstat");
                v.push(parts[parts.len() - 1]);
                black_box(v.finish());
                spent += cpu_ns().unwrap_or(start) - start;
            }
            if round > 0 {
                times[cases.len() + k].push(spent as f64 / batch as f64 / 1e6);
            }
        }
    }
    let med = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let mut names: Vec<String> = cases.iter().map(|(n, _)| n.clone()).collect();
    names.push("stream_last_piece_fence_last".into());
    names.push("stream_last_piece_prose_last".into());
    let m: Vec<(String, f64)> = names.into_iter().zip(times.iter_mut().map(med)).collect();
    let get = |n: &str| m.iter().find(|(k, _)| k == n).map_or(f64::NAN, |(_, v)| *v);
    for (name, ms) in &m {
        let per_line =
            lines_of(name).map(|l| format!(",\"us_per_line\":{:.2}", ms * 1000.0 / l)).unwrap_or_default();
        println!("{{\"case\":\"{name}\",\"cpu_ms\":{ms:.3}{per_line}}}");
    }
    let per_line = |n: &str| get(n) / lines_of(n).unwrap_or(f64::NAN);
    println!(
        "{{\"full_over_raw\":{:.3},\"stream_fence_last_over_full\":{:.3},\"stream_prose_last_over_full\":{:.3},\"per_line_2000_over_300\":{:.3},\"rounds\":{rounds},\"batch\":{batch}}}",
        get("full") / get("raw_parse"),
        get("stream_last_piece_fence_last") / get("full"),
        get("stream_last_piece_prose_last") / get("full"),
        per_line("full_2000") / per_line("full_300"),
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
