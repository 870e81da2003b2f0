//! Preprocessor-correct syntax checking: directives anywhere C# allows them never cause a syntax
//! error; a real error in one configuration of symbols is reported once, at its real position.

use spark_core::validate::{Diagnostic, ValidationConfig, validate_source};

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
fn directives_inside_constructs_are_valid() {
    let cases = [
        // Parameter list.
        "class A\n{\n    void F(\n#if UNITY_EDITOR\n        int a,\n#endif\n        int b) { }\n}\n",
        // `if` condition.
        "class A\n{\n    void F(bool a, bool b)\n    {\n        if (a\n#if X\n            && b\n#endif\n        )\n        {\n        }\n    }\n}\n",
        // `else` right before `#endif`.
        "class A\n{\n    void F(bool a)\n    {\n#if UNITY_EDITOR\n        if (a) { F(a); }\n        else\n#endif\n        {\n            F(!a);\n        }\n    }\n}\n",
        // An `else if` of a chain inside a group, the chain's `else` after `#endif`.
        "class A\n{\n    void F(bool a, bool b)\n    {\n        if (a) { F(b, a); }\n        else if (b) { F(a, a); }\n#if URP || HDRP\n        else if (a && b)\n            F(b, b);\n#endif\n        else\n            F(a, b);\n    }\n}\n",
        // Two conditional `using` headers before one block.
        "class A\n{\n    void F(System.IDisposable a, System.IDisposable b)\n    {\n#if X\n        using (a)\n#endif\n#if X\n        using (b)\n#endif\n        {\n            F(a, b);\n        }\n    }\n}\n",
        // Expression split by #elif / #else.
        "class A\n{\n    int F() => 1\n#if UNITY_ANDROID\n        + 2\n#elif UNITY_IOS\n        + 3\n#else\n        + 4\n#endif\n        ;\n}\n",
        // Argument list and initializer.
        "class A\n{\n    int[] v = {\n        1,\n#if DEBUG\n        2,\n#endif\n        3 };\n    void F() { System.Console.WriteLine(\"{0} {1}\",\n#if UNITY_EDITOR\n        1,\n#else\n        2,\n#endif\n        3); }\n}\n",
        // Attribute and base list.
        "class A\n#if UNITY_EDITOR\n    : System.IDisposable\n#endif\n{\n#if UNITY_EDITOR\n    public void Dispose() { }\n#endif\n}\n",
        // `#define`d symbol at the top of the file.
        "#define TRACE_ON\nclass A\n{\n    void F(\n#if TRACE_ON\n        int a\n#else\n        int a, int b\n#endif\n    ) { }\n}\n",
    ];
    for src in cases {
        let d = run(src);
        assert!(d.is_empty(), "{src}\n{d:#?}");
    }
}

#[test]
fn an_error_in_one_configuration_is_reported_once() {
    // Only the editor configuration compiles the broken line.
    let src = "class A\n{\n    void F()\n    {\n#if UNITY_EDITOR\n        int x = 1\n#endif\n    }\n}\n";
    assert_eq!(brief(&run(src)), one("SPK0002", 6, 18));
    // Only the player configuration (`#else`).
    let src = "class A\n{\n    void F()\n    {\n#if UNITY_EDITOR\n        int x = 1;\n#else\n        int x = 1 +;\n#endif\n    }\n}\n";
    assert_eq!(brief(&run(src)), one("SPK0001", 8, 19));
    // Broken in every configuration: still one diagnostic.
    let src = "class A\n{\n    void F()\n    {\n        int y = 2\n#if UNITY_EDITOR\n        F();\n#endif\n    }\n}\n";
    assert_eq!(brief(&run(src)), one("SPK0002", 5, 18));
}

#[test]
fn build_targets_are_never_defined_together() {
    // Each target's entry is the list's last on its own target, so it has no comma: a build
    // for iOS and Xbox at once (which no player is) would read two strings in a row.
    let src = "class A\n{\n    string[] skip =\n    {\n        \"Stacking\",\n#if UNITY_GAMECORE\n        \"SoftJoint\"\n#endif\n#if UNITY_IOS\n        \"Ragdolls\"\n#endif\n    };\n}\n";
    let d = run(src);
    assert!(d.is_empty(), "{d:#?}");
    // A target's own code is still checked: the first target the file names is built.
    let src = "class A\n{\n    void F()\n    {\n#if UNITY_ANDROID\n        int x = 1\n#elif UNITY_IOS\n        int x = 2;\n#endif\n    }\n}\n";
    assert_eq!(brief(&run(src)), one("SPK0002", 6, 18));
}

#[test]
fn a_keyword_as_a_name_in_a_file_with_groups_is_reported_once() {
    // Outside the group, so every configuration sees it; inside the group, only one does.
    let src = "class A\n{\n    int class = 1;\n#if UNITY_EDITOR\n    int event = 2;\n#endif\n}\n";
    let d = brief(&run(src));
    assert_eq!(d, [("SPK0001".to_string(), 3, 9), ("SPK0001".to_string(), 5, 9)], "{d:?}");
}

#[test]
fn a_brace_missing_in_one_configuration_is_found() {
    // `{` only when UNITY_EDITOR is undefined: the editor build has one `}` too many.
    let src = "class A\n{\n#if !UNITY_EDITOR\n    void F()\n    {\n#endif\n    }\n}\n";
    let d = run(src);
    assert_eq!(brief(&d), one("SPK0003", 8, 1), "{d:#?}");
}

#[test]
fn unpaired_directives_are_errors_at_the_directive() {
    let src = "class A\n{\n#if UNITY_EDITOR\n    void F() { }\n}\n";
    assert_eq!(brief(&run(src)), one("SPK0001", 3, 1));
    let src = "class A\n{\n    void F() { }\n  #endif\n}\n";
    let d = run(src);
    assert_eq!(brief(&d), one("SPK0001", 4, 3));
    assert!(d[0].message.contains("without its `#if`"), "{}", d[0].message);
}

#[test]
fn directives_in_strings_and_comments_are_text() {
    let src = "class A\n{\n    string s = @\"\n#if X\n\";\n    // #endif\n    /*\n#else\n    */\n}\n";
    assert!(run(src).is_empty());
}

#[test]
fn many_groups_stay_fast() {
    // Groups side by side (flat, so under every nesting limit), each naming its own symbol:
    // three distinct configurations, each parsed once, so the work grows with the file.
    let file = |n: usize| {
        let mut src = String::from("class A\n{\n");
        for i in 0..n {
            src.push_str(&format!("#if UNITY_EDITOR\n    int f{i};\n#elif S{i}\n    int g{i};\n#endif\n"));
        }
        src.push_str("}\n");
        src
    };
    let (small, big) = (file(1_000), file(10_000));
    let timed = |src: &str| {
        let t = std::time::Instant::now();
        assert!(run(src).is_empty());
        t.elapsed()
    };
    // The shortest of three runs each, interleaved, so a busy machine slows both alike.
    let (mut s, mut b) = (std::time::Duration::MAX, std::time::Duration::MAX);
    for _ in 0..3 {
        s = s.min(timed(&small));
        b = b.min(timed(&big));
    }
    let broken = big.replacen("int g7;", "int g7 = ;", 1);
    assert_eq!(brief(&run(&broken)), one("SPK0001", 41, 12));
    // Ten times the groups: about ten times the time when linear, a hundred when quadratic.
    assert!(b < s * 40, "10,000 groups took {b:?}, 1,000 took {s:?}: the work grows faster than the file");
}

#[test]
fn malformed_conditions_are_reported_at_the_directive() {
    let src = "class A\n{\n#if (UNITY_EDITOR\n    void F() { }\n#endif\n}\n";
    let d = run(src);
    assert_eq!(brief(&d), one("SPK0001", 3, 1), "{d:#?}");
    assert!(d[0].message.contains("invalid `#if` condition"), "{}", d[0].message);
}

#[test]
fn a_directive_after_a_byte_order_mark_is_a_directive() {
    let src = "\u{feff}#if DEVELOPMENT_BUILD || UNITY_EDITOR\nclass A\n{\n    void F() { }\n}\n#endif\n";
    assert!(run(src).is_empty(), "{:#?}", run(src));
}
