//! SPK1020: C# features newer than the target Unity's compiler, each named at its position.

use spark_core::validate::{Diagnostic, ValidationConfig, validate_source};

fn with_unity(v: Option<&str>) -> ValidationConfig {
    ValidationConfig { unity_version: v.map(String::from), ..Default::default() }
}

fn at(src: &str, needle: &str) -> (u32, u32) {
    let i = src.find(needle).unwrap_or_else(|| panic!("`{needle}` not in snippet"));
    let line = src[..i].matches('\n').count() as u32 + 1;
    let start = src[..i].rfind('\n').map_or(0, |p| p + 1);
    (line, src[start..i].chars().count() as u32 + 1)
}

fn version_errors(src: &str, cfg: &ValidationConfig) -> Vec<Diagnostic> {
    validate_source(src, "A.cs", cfg).into_iter().filter(|d| d.rule == "SPK1020").collect()
}

/// Every post-C# 9 feature, its snippet, where it is reported and the words naming it.
const POST9: &[(&str, &str, &str)] = &[
    ("namespace Game;\nclass A { }\n", "namespace Game;", "file-scoped namespace"),
    ("global using System;\nclass A { }\n", "global using", "global using"),
    ("class A\n{\n    string s = \"\"\"\n        raw\n        \"\"\";\n}\n", "\"\"\"\n", "raw string"),
    ("class A\n{\n    string s(int v) => $\"\"\"v={v}\"\"\";\n}\n", "$\"\"\"", "raw string"),
    ("class A\n{\n    int[] v = [1, 2, 3];\n}\n", "[1, 2", "collection expression"),
    ("class A(int hp)\n{\n    int Hp => hp;\n}\n", "A(int", "primary constructor"),
    ("struct P(int x)\n{\n    int X => x;\n}\n", "P(int", "primary constructor"),
    ("class A\n{\n    public required int Id { get; set; }\n}\n", "required", "`required`"),
    ("class A\n{\n    bool M(int[] a) => a is [1, 2];\n}\n", "[1, 2]", "list pattern"),
    ("class Tag<T> : System.Attribute { }\n[Tag<int>]\nclass A { }\n", "Tag<int>]", "generic attribute"),
    ("class A\n{\n    System.ReadOnlySpan<byte> B => \"hi\"u8;\n}\n", "\"hi\"u8", "UTF-8"),
    ("file class A { }\n", "file", "`file`-local"),
    ("record struct P(int X, int Y);\n", "P(int", "record struct"),
    ("ref struct S\n{\n    void M(scoped System.Span<int> s) { }\n}\n", "scoped", "`scoped`"),
    (
        "class A\n{\n    void M()\n    {\n        System.Func<int> f = int () => 1;\n    }\n}\n",
        "int () =>",
        "explicit return type",
    ),
    (
        "class A\n{\n    void M()\n    {\n        System.Func<int> f = [System.Obsolete] () => 1;\n    }\n}\n",
        "[System.Obsolete] ()",
        "attribute on a lambda",
    ),
    (
        "class A\n{\n    void M()\n    {\n        var f = (int x) => x + 1;\n    }\n}\n",
        "(int x) =>",
        "lambda assigned to `var`",
    ),
    (
        "class B { public B C; public int D; }\nclass A\n{\n    bool M(B b) => b is { C.D: 1 };\n}\n",
        "C.D:",
        "extended property pattern",
    ),
    (
        "class A\n{\n    const string X = \"x\";\n    const string Y = $\"{X}!\";\n}\n",
        "$\"{X}",
        "`const` interpolated",
    ),
    (
        "class A\n{\n    void M()\n    {\n        int x;\n        (x, int y) = (1, 2);\n    }\n}\n",
        "(x, int y)",
        "declares and assigns",
    ),
    ("record class R(int X);\n", "record class", "`record class`"),
    (
        "record R(int X)\n{\n    public sealed override string ToString() => \"\";\n}\n",
        "public sealed",
        "`sealed` ToString",
    ),
    (
        "struct P\n{\n    public int X;\n    public P() { X = 1; }\n}\n",
        "public P()",
        "parameterless struct constructor",
    ),
    ("struct P\n{\n    public int X = 1;\n}\n", "X = 1", "field initializer in a struct"),
    ("interface I\n{\n    static abstract int Zero();\n}\n", "static abstract", "`static abstract`"),
    ("class A\n{\n    int M(int v) => v >>> 1;\n}\n", ">>>", "`>>>`"),
    (
        "struct N\n{\n    public static N operator checked +(N a, N b) => a;\n    public static N operator +(N a, N b) => a;\n}\n",
        "public static N operator checked",
        "`checked` user-defined operator",
    ),
    ("ref struct S\n{\n    ref int v;\n}\n", "ref int v", "`ref` field"),
    (
        "class A\n{\n    string M(int v) => $\"{v\n        + 1}\";\n}\n",
        "{v\n",
        "line break inside an interpolation hole",
    ),
    (
        "class A\n{\n    void M()\n    {\n        System.Func<int, int> f = (int x = 1) => x;\n    }\n}\n",
        "int x = 1",
        "default value on a lambda parameter",
    ),
    ("using Point = (int X, int Y);\nclass A { }\n", "(int X, int Y)", "`using` alias"),
    ("class A\n{\n    void M(ref readonly int v) { }\n}\n", "ref readonly", "`ref readonly` parameter"),
    (
        "class A\n{\n    void M(params System.Collections.Generic.List<int> v) { }\n}\n",
        "System.Collections.Generic.List<int> v",
        "`params` on a type",
    ),
    ("class A\n{\n    char c = '\\e';\n}\n", "'\\e'", "`\\e` escape"),
    (
        "partial class A\n{\n    public partial int X { get; }\n}\n",
        "public partial int",
        "`partial` property",
    ),
];

#[test]
fn every_post9_feature_is_an_error_for_unity() {
    for (src, needle, words) in POST9 {
        let d = version_errors(src, &with_unity(None));
        assert_eq!(d.len(), 1, "{src}\n{d:#?}");
        assert_eq!((d[0].line, d[0].column), at(src, needle), "{src}\n{d:#?}");
        assert!(d[0].message.contains(words), "{}", d[0].message);
        assert!(d[0].message.contains("Unity 2022.3 compiles C# 9.0"), "{}", d[0].message);
        // Unity 6 is no different.
        assert_eq!(version_errors(src, &with_unity(Some("6000.0"))).len(), 1, "{src}");
    }
}

#[test]
fn csharp9_is_fine_for_current_unity_but_not_for_older() {
    let src = "record Score(int Value);\nclass A\n{\n    public int X { get; init; }\n    Score s = new(1);\n    bool Small(int v) => v is > 0 and < 10 or 20;\n    string N(object o) => o switch { int i => i.ToString(), _ => \"\" };\n    System.Func<int, int> f = static x => x * 2;\n    Score T(Score a) => a with { Value = 2 };\n    string last;\n    void L(string s) { last ??= s; }\n}\n";
    assert!(version_errors(src, &with_unity(Some("2021.3"))).is_empty());
    assert!(version_errors(src, &with_unity(Some("6000.1"))).is_empty());
    // Unity 2020.3 compiles C# 8: records, init, target-typed new, patterns, static lambdas, `with`.
    let d = version_errors(src, &with_unity(Some("2020.3")));
    let got: Vec<(u32, u32)> = d.iter().map(|d| (d.line, d.column)).collect();
    assert!(d.iter().all(|d| d.message.contains("Unity 2020.3 compiles C# 8.0")), "{d:#?}");
    for w in
        [at(src, "Score(int"), at(src, "init;"), at(src, "new(1)"), at(src, "static x"), at(src, "a with")]
    {
        assert!(got.contains(&w), "{w:?} not in {got:?}");
    }
    // The combinators are reported as patterns, nothing else.
    assert!(d.iter().all(|d| d.line != 6 || d.message.contains("pattern")), "{d:#?}");
    // Unity 2019.4 compiles C# 7.3: switch expressions and `??=` too.
    let d = version_errors(src, &with_unity(Some("2019.4")));
    let got: Vec<(u32, u32)> = d.iter().map(|d| (d.line, d.column)).collect();
    assert!(got.contains(&at(src, "o switch")) && got.contains(&at(src, "last ??= s")), "{got:?}");
}

#[test]
fn unity_version_is_checked_in_config() {
    assert!(with_unity(Some("2022.3")).validate().is_ok());
    assert!(with_unity(Some("6000.0")).validate().is_ok());
    let e = with_unity(Some("twenty")).validate().unwrap_err().to_string();
    assert!(e.contains("validation.unity_version"), "{e}");
    // The facade fills an unset version from generation.unity_version.
    let filled = with_unity(None).with_unity_default("2020.3");
    assert_eq!(filled.unity_version.as_deref(), Some("2020.3"));
    assert_eq!(
        with_unity(Some("6000.0")).with_unity_default("2020.3").unity_version.as_deref(),
        Some("6000.0")
    );
}

#[test]
fn disabled_version_rule_is_silent() {
    let cfg = ValidationConfig { disabled_rules: vec!["SPK1020".into()], ..Default::default() };
    for (src, ..) in POST9 {
        assert!(validate_source(src, "A.cs", &cfg).is_empty(), "{src}");
    }
}
