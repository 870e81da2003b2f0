//! Syntax diagnostics (position, dedup, balance), the grammar's known gaps on valid C#, and bad
//! input: empty, huge, binary, invalid UTF-8, deeply nested.

use spark_core::validate::{Diagnostic, ValidationConfig, validate_bytes, validate_source};

fn run(src: &str) -> Vec<Diagnostic> {
    validate_source(src, "A.cs", &ValidationConfig::default())
}

fn brief(d: &[Diagnostic]) -> Vec<(String, u32, u32)> {
    d.iter().map(|d| (d.rule.clone(), d.line, d.column)).collect()
}

fn one(rule: &str, line: u32, column: u32) -> Vec<(String, u32, u32)> {
    vec![(rule.to_string(), line, column)]
}

#[test]
fn missing_semicolon_points_after_the_statement() {
    let d = run("class A\n{\n    void M()\n    {\n        int x = 5\n        int y = 6;\n    }\n}\n");
    assert_eq!(brief(&d), one("SPK0002", 5, 18));
    assert_eq!(d[0].to_string(), "A.cs:5:18: error[SPK0002]: expected `;`");
    let d = run("class A\n{\n    public int X { get; set }\n}\n");
    assert_eq!(brief(&d), one("SPK0002", 3, 28));
}

#[test]
fn unclosed_method_points_at_its_opening_brace() {
    // The grammar reports one ERROR over the whole class; the balance check finds the culprit.
    let src = "class A\n{\n    void M()\n    {\n        Foo();\n\n    void N()\n    {\n    }\n}\n";
    assert_eq!(brief(&run(src)), one("SPK0003", 4, 5));
    // Missing last brace of the class.
    assert_eq!(brief(&run("class A\n{\n    void M()\n    {\n    }\n")), one("SPK0003", 2, 1));
}

#[test]
fn stray_closer_and_open_paren() {
    let d = run("class A\n{\n    void M()\n    {\n        Foo();\n    }\n}\n}\n");
    assert_eq!(brief(&d), one("SPK0003", 8, 1));
    assert_eq!(
        brief(&run("class A\n{\n    void M()\n    {\n        Foo(;\n    }\n}\n")),
        one("SPK0003", 5, 12)
    );
}

#[test]
fn unexpected_token_points_at_the_token() {
    let d = run("class A\n{\n    void M()\n    {\n        var x = 1 +;\n    }\n}\n");
    assert_eq!(brief(&d), one("SPK0001", 5, 19));
    assert!(d[0].message.contains('+'), "{}", d[0].message);
}

#[test]
fn errors_are_deduplicated_and_sorted() {
    let src =
        "class A\n{\n    void M()\n    {\n        int x = 5\n        int y = 6\n        Foo(;\n    }\n}\n";
    let d = run(src);
    let mut sorted = brief(&d);
    sorted.sort_by_key(|x| (x.1, x.2));
    assert_eq!(brief(&d), sorted);
    let mut dedup = brief(&d);
    dedup.dedup();
    assert_eq!(dedup.len(), d.len());
    assert!(d.len() >= 2, "{d:#?}");
}

#[test]
fn grammar_gaps_are_not_errors() {
    let cases = [
        // Empty interpolated string.
        "class A { string M() => $\"\"; string N(bool b) => b ? $\"\" : $\"x{b}\"; }",
        // List pattern with a slice designation.
        "class A { int M(int[] a) => a is [1, .. var rest] ? rest.Length : 0; int N(int[] a) => a switch { [var f, .. var mid, var l] => f + l + mid.Length, _ => 0 }; }",
        "class A { int M(int[] a) => a is [.., var last] ? last : 0; bool N(int[] a) => a is [..] or [.. var all]; int[] C(int[] a) => [.. a, 1]; }",
        // Dereference of a pointer cast (the rule SPK2011 is disabled below).
        "class A { static unsafe int M(void* p) { int v = *(int*)p; *(float*)p = 1f; return v * (int)*(byte*)p; } }",
        // Dereference of pointer arithmetic (Unity's DOTS samples), as a target and a value.
        "class A\n{\n    static unsafe void M(int* buffer, int n, int item)\n    {\n        // add a new entry at the bottom\n        *(buffer + n) = item;\n        int root = *buffer;\n        *buffer = *(buffer + n - 1);\n        int x = 2 *(n + 1) + *(buffer + (n - 1));\n    }\n}\n",
        // `in` and `out` on explicitly typed lambda parameters (Unity's netcode tests).
        "class A\n{\n    delegate void Dup(in string a, ref string b);\n    delegate bool Check(in float a, in float b);\n    delegate void Make(out int v);\n    void M()\n    {\n        Dup d = (in string a, ref string b) =>\n        {\n            b = string.Copy(a);\n        };\n        Check c = (in float value, in float next) => System.Math.Abs(next - value) >= 0.1f;\n        Make m = (out int v) => v = 1;\n        M2(out var x);\n        foreach (var y in new[] { x }) { }\n    }\n    void M2(out int x) { x = 1; }\n}\n",
        // #if that splits a method header across branches.
        "class A\n{\n#if UNITY_EDITOR\n    void M(int x)\n    {\n#else\n    void M(int x, int y)\n    {\n#endif\n        System.Console.WriteLine(1);\n    }\n}\n",
        // #if around an opening and its closing brace.
        "class A\n{\n    void M(bool b)\n    {\n#if DEBUG\n        if (b)\n        {\n#endif\n            System.Console.WriteLine(1);\n#if DEBUG\n        }\n#endif\n    }\n}\n",
    ];
    // List patterns and collection expressions are C# 11–12 (SPK1020): only the parse matters here.
    let cfg =
        ValidationConfig { disabled_rules: vec!["SPK2011".into(), "SPK1020".into()], ..Default::default() };
    for src in cases {
        let d = validate_source(src, "A.cs", &cfg);
        assert!(d.is_empty(), "{src}\n{d:#?}");
    }
}

#[test]
fn real_errors_next_to_grammar_gaps_are_still_found() {
    let src = "class A\n{\n    string M() => $\"\";\n    void N()\n    {\n        int x = 1\n    }\n}\n";
    assert_eq!(brief(&run(src)), one("SPK0002", 6, 18));
}

#[test]
fn zero_width_error_nodes_are_reported() {
    // Every diagnostic must point inside the text and carry a message.
    for src in ["class { }", "class A : { }", "class A { void () { } }", "class A { int x = ; }"] {
        let d = run(src);
        assert!(!d.is_empty(), "{src}");
        for x in &d {
            assert!(x.line >= 1 && x.column >= 1 && !x.message.is_empty(), "{src}: {x:?}");
            assert!(x.column as usize <= src.chars().count() + 1, "{src}: {x:?}");
        }
    }
}

// ---- Bad input ------------------------------------------------------------------------------

#[test]
fn empty_and_whitespace_files() {
    assert!(run("").is_empty());
    assert!(run("\n\n   \t\n").is_empty());
    assert!(validate_bytes(b"", "A.cs", &ValidationConfig::default()).is_empty());
}

#[test]
fn five_megabyte_file() {
    let mut src = String::with_capacity(5 * 1024 * 1024 + 4096);
    let mut i = 0;
    while src.len() < 5 * 1024 * 1024 {
        src.push_str(&format!(
            "public static class Util{i}\n{{\n    public static int Twice(int x) => x * 2;\n    public static string Name => \"util{i}\";\n}}\n"
        ));
        i += 1;
    }
    assert!(run(&src).is_empty());
    // The same size of broken text: capped diagnostics, no blow-up.
    let broken = src.replace("=> x * 2;", "=> x * ;");
    let d = run(&broken);
    assert!(!d.is_empty() && d.len() <= 60, "{}", d.len());
}

fn garbage(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

#[test]
fn binary_garbage() {
    let cfg = ValidationConfig::default();
    for seed in [1u64, 7, 42] {
        let d = validate_bytes(&garbage(64 * 1024, seed), "Noise.cs", &cfg);
        assert!(d.iter().any(|d| d.rule == "SPK0004"), "garbage must be reported as not UTF-8");
        assert!(d.len() <= 60, "{}", d.len());
    }
    // Valid UTF-8 but nonsense, with NUL and control bytes.
    let text: String = garbage(32 * 1024, 9).iter().map(|b| (b % 128) as char).collect();
    let d = run(&text);
    assert!(!d.is_empty() && d.len() <= 60);
}

#[test]
fn invalid_utf8_is_a_located_diagnostic() {
    let mut bytes = b"using UnityEngine;\npublic class A : MonoBehaviour\n{\n    // caf".to_vec();
    bytes.push(0xE9); // Latin-1 é
    bytes.extend_from_slice(b" menu\n}\n");
    let d = validate_bytes(&bytes, "A.cs", &ValidationConfig::default());
    assert_eq!(brief(&d), one("SPK0004", 4, 11), "{d:#?}");
    assert!(d[0].message.contains("0xe9"));
}

#[test]
fn ten_thousand_nested_braces() {
    let depth = 10_000;
    let src = format!("class A\n{{\n    void M()\n    {}{}\n}}\n", "{".repeat(depth), "}".repeat(depth));
    assert!(run(&src).is_empty());
    // Unclosed: diagnostics, capped.
    let open = format!("class A\n{{\n    void M()\n    {}\n", "{".repeat(depth));
    let d = run(&open);
    assert!(!d.is_empty() && d.len() <= 60, "{}", d.len());
    // Deep expressions and deep blocks with statements inside.
    let parens = format!("class A {{ int M() => {}1{}; }}", "(".repeat(depth), ")".repeat(depth));
    let _ = run(&parens);
    let blocks = format!(
        "class A : UnityEngine.MonoBehaviour {{ void Update() {{ {} }} }}",
        "if (tag == \"x\") { ".repeat(2_000) + &"}".repeat(2_000)
    );
    let d = validate_source(&blocks, "A.cs", &ValidationConfig::default());
    assert_eq!(d.iter().filter(|d| d.rule == "SPK1005").count(), 2_000);
}

#[test]
fn rewriting_grammar_gaps_stays_linear_on_hostile_text() {
    // One long line of `*(` and of lambda lists full of spaces: each rewrite looks a bounded
    // distance around its spot, so the work grows with the text.
    let file = |n: usize| {
        let stars = "*(".repeat(n);
        let lambdas = format!("({}) => 1; ", " ".repeat(200)).repeat(n / 100);
        format!("class A {{ void F() {{ x = {stars} }} void G() {{ {lambdas} }} }}\n")
    };
    let (small, big) = (file(2_000), file(20_000));
    let timed = |src: &str| {
        let t = std::time::Instant::now();
        assert!(!run(src).is_empty(), "the text is not C#");
        t.elapsed()
    };
    // The shortest of three runs each, interleaved, so a busy machine slows both alike.
    let (mut s, mut b) = (std::time::Duration::MAX, std::time::Duration::MAX);
    for _ in 0..3 {
        s = s.min(timed(&small));
        b = b.min(timed(&big));
    }
    // Ten times the text: about ten times the time when linear, a hundred when quadratic.
    assert!(
        b < s * 40,
        "{} bytes took {b:?}, {} took {s:?}: the work grows faster than the text",
        big.len(),
        small.len()
    );
}
