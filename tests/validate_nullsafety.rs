//! Unity object null semantics (SPK1023–SPK1026, UNT0007/0008/0023/0029): `??`, `?.`, `??=` and
//! `is null` on values whose type the file shows to be a Unity object.

use spark_core::validate::{Diagnostic, ValidationConfig, validate_source};

fn at(src: &str, needle: &str) -> (u32, u32) {
    let i = src.find(needle).unwrap_or_else(|| panic!("`{needle}` not in snippet"));
    let line = src[..i].matches('\n').count() as u32 + 1;
    let start = src[..i].rfind('\n').map_or(0, |p| p + 1);
    (line, src[start..i].chars().count() as u32 + 1)
}

fn run(src: &str) -> Vec<Diagnostic> {
    validate_source(src, "Player.cs", &ValidationConfig::default())
}

fn found(src: &str) -> Vec<(String, u32, u32)> {
    run(src).into_iter().map(|d| (d.rule, d.line, d.column)).collect()
}

fn mono(body: &str) -> String {
    format!("using UnityEngine;\n\npublic class Player : MonoBehaviour\n{{\n{body}\n}}\n")
}

fn hit(rule: &str, src: &str, needle: &str) -> (String, u32, u32) {
    let (l, c) = at(src, needle);
    (rule.to_string(), l, c)
}

#[test]
fn each_operator_on_each_kind_of_declaration() {
    let src = mono(
        "    [SerializeField] private Transform target;\n    public Rigidbody Body => GetComponent<Rigidbody>();\n    void Aim(Camera cam)\n    {\n        var anim = GetComponent<Animator>();\n        var t = target ?? transform;\n        anim?.SetTrigger(\"go\");\n        cam ??= Camera.main;\n        if (Body is null) return;\n        if (cam is not null) return;\n        GetComponent<AudioSource>()?.Play();\n    }",
    );
    assert_eq!(
        found(&src),
        vec![
            hit("SPK1023", &src, "target ?? transform"),
            hit("SPK1024", &src, "anim?.SetTrigger"),
            hit("SPK1025", &src, "cam ??= Camera.main"),
            hit("SPK1026", &src, "Body is null"),
            hit("SPK1026", &src, "cam is not null"),
            hit("SPK1024", &src, "GetComponent<AudioSource>()?.Play"),
        ],
        "{:#?}",
        run(&src)
    );
    let d = run(&src);
    assert!(d[0].message.contains("UNT0007") && d[0].message.contains("`target`"), "{}", d[0].message);
    assert!(d[3].message.contains("use `Body == null`"), "{}", d[3].message);
    assert!(d[4].message.contains("use `cam != null`"), "{}", d[4].message);
    // Inside a condition with `||` (which the grammar folds into the pattern).
    let src = mono("    Transform a;\n    Transform b;\n    bool Gone() => a is null || b is not null && b;");
    assert_eq!(
        found(&src),
        vec![hit("SPK1026", &src, "a is null"), hit("SPK1026", &src, "b is not null")],
        "{:#?}",
        run(&src)
    );
}

#[test]
fn project_types_and_own_members_count() {
    let src = "using UnityEngine;\npublic class Enemy : MonoBehaviour { }\npublic class Boss : Enemy\n{\n    Enemy minion;\n    void Start() { var m = minion ?? this; var g = gameObject?.name; }\n}\n";
    let d = validate_source(src, "Boss.cs", &ValidationConfig::default());
    let got: Vec<(String, u32, u32)> = d.into_iter().map(|d| (d.rule, d.line, d.column)).collect();
    assert_eq!(got, vec![hit("SPK1023", src, "minion ??"), hit("SPK1024", src, "gameObject?.name")]);
}

#[test]
fn plain_csharp_values_are_fine() {
    // Strings, collections, interfaces, plain classes, and `var` of unknown origin.
    let src = mono(
        "    string label;\n    System.Collections.Generic.List<int> items;\n    System.IDisposable handle;\n    class Data { public int v; }\n    Data data;\n    void Start()\n    {\n        var n = label ?? \"none\";\n        var c = items?.Count ?? 0;\n        handle?.Dispose();\n        data ??= new Data();\n        var x = System.Environment.GetEnvironmentVariable(\"X\");\n        if (x is null || data is not null) return;\n        var i = GetComponent<System.IDisposable>();\n        i?.Dispose();\n    }",
    );
    assert!(found(&src).is_empty(), "{:#?}", run(&src));
    // The Unity way: `==`, `!=` and the bool conversion.
    let src = mono(
        "    [SerializeField] Transform target;\n    void Start()\n    {\n        if (target == null || !target) return;\n        var r = GetComponent<Renderer>();\n        if (r != null && target) r.enabled = true;\n    }",
    );
    assert!(found(&src).is_empty(), "{:#?}", run(&src));
}

#[test]
fn shadowed_names_follow_the_nearest_declaration() {
    // A local string named like a Unity field is a string.
    let src = mono(
        "    Transform target;\n    void Start()\n    {\n        string target = null;\n        var t = target ?? \"x\";\n    }",
    );
    assert!(found(&src).is_empty(), "{:#?}", run(&src));
}
