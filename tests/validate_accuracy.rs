//! Accuracy of the existing rules on what real code does: each rule fires at the exact place on
//! the risky form and stays silent on the valid neighbour the issue names.

use spark_core::validate::{Diagnostic, ValidationConfig, validate_source};

fn run(src: &str, file: &str) -> Vec<Diagnostic> {
    validate_source(src, file, &ValidationConfig::default())
}

fn at(src: &str, needle: &str) -> (u32, u32) {
    let i = src.find(needle).unwrap_or_else(|| panic!("`{needle}` not in snippet"));
    let line = src[..i].matches('\n').count() as u32 + 1;
    let start = src[..i].rfind('\n').map_or(0, |p| p + 1);
    (line, src[start..i].chars().count() as u32 + 1)
}

/// The (rule, line, column) of every diagnostic.
fn found(src: &str, file: &str) -> Vec<(String, u32, u32)> {
    run(src, file).into_iter().map(|d| (d.rule, d.line, d.column)).collect()
}

#[track_caller]
fn only(rule: &str, src: &str, file: &str, needle: &str) {
    let (l, c) = at(src, needle);
    assert_eq!(found(src, file), vec![(rule.to_string(), l, c)], "{src}");
}

fn mono(body: &str) -> String {
    format!(
        "using System.Collections;\nusing UnityEngine;\n\npublic class Player : MonoBehaviour\n{{\n{body}\n}}\n"
    )
}

// ---- SPK1005: only Unity tags, and the Equals forms ------------------------------------------

#[test]
fn spk1005_equals_forms_are_tag_comparisons() {
    let src = mono(
        "    void OnTriggerEnter(Collider other)\n    {\n        if (other.tag.Equals(\"Enemy\")) Destroy(other.gameObject);\n    }",
    );
    only("SPK1005", &src, "Player.cs", "other.tag.Equals");
    let src = mono("    void Start() { if (string.Equals(gameObject.tag, \"Boss\")) enabled = false; }");
    only("SPK1005", &src, "Player.cs", "string.Equals");
    let src = mono("    void Start() { if (\"Boss\".Equals(tag)) enabled = false; }");
    only("SPK1005", &src, "Player.cs", "\"Boss\".Equals");
}

#[test]
fn spk1005_ignores_strings_named_tag() {
    // A local, a parameter and a field named `tag`, and the `tag` of a non-Unity type.
    let src = mono(
        "    void Start()\n    {\n        string tag = name;\n        if (tag == \"x\") enabled = false;\n    }\n    bool Has(string tag) => tag == \"y\";",
    );
    assert!(found(&src, "Player.cs").is_empty(), "{:#?}", run(&src, "Player.cs"));
    let src = "using UnityEngine;\npublic class Item { public string tag; }\npublic class Shop : MonoBehaviour\n{\n    Item item;\n    bool Rare() => item.tag == \"rare\";\n}\n";
    assert!(found(src, "Shop.cs").is_empty(), "{:#?}", run(src, "Shop.cs"));
    let src = "public class Label\n{\n    string tag;\n    bool Is(string t) => tag == t;\n}\n";
    assert!(found(src, "Label.cs").is_empty());
    // The same `tag` in a MonoBehaviour without a shadowing field is the component's tag.
    let src = mono("    bool IsBoss() => tag == \"Boss\";");
    only("SPK1005", &src, "Player.cs", "tag ==");
}

#[test]
fn spk1005_typed_receivers() {
    let src = mono(
        "    void Hit(GameObject go, Transform t)\n    {\n        if (go.tag == \"A\" || t.tag != \"B\") Destroy(go);\n    }",
    );
    let d = found(&src, "Player.cs");
    assert_eq!(
        d,
        vec![
            ("SPK1005".into(), at(&src, "go.tag").0, at(&src, "go.tag").1),
            ("SPK1005".into(), at(&src, "t.tag").0, at(&src, "t.tag").1)
        ]
    );
    // `var` locals typed by GetComponent<T>().
    let src = mono(
        "    void Start()\n    {\n        var body = GetComponent<Rigidbody>();\n        if (body.tag == \"Heavy\") body.mass = 10f;\n    }",
    );
    only("SPK1005", &src, "Player.cs", "body.tag ==");
}

// ---- SPK1008: fewer parameters are valid -----------------------------------------------------

#[test]
fn spk1008_leading_parameters_are_valid() {
    let src = mono(
        "    void OnTriggerEnter() { Debug.Log(1); }\n    void OnApplicationPause() { Debug.Log(2); }\n    void OnAnimatorIK() { Debug.Log(3); }\n    void OnAudioFilterRead(float[] data) { data[0] = 0f; }",
    );
    assert!(found(&src, "Player.cs").is_empty(), "{:#?}", run(&src, "Player.cs"));
    // A wrong type in the leading parameter is still wrong.
    let src = mono("    void OnAnimatorIK(float layer) { Debug.Log(layer); }");
    only("SPK1008", &src, "Player.cs", "OnAnimatorIK");
}

// ---- SPK1018: every literal yield-instruction allocation ------------------------------------

#[test]
fn spk1018_literal_wait_outside_loops() {
    let src = mono(
        "    IEnumerator Intro()\n    {\n        yield return new WaitForSeconds(2f);\n        yield return new WaitForSecondsRealtime(1);\n    }",
    );
    let d = found(&src, "Player.cs");
    let (a, b) = (at(&src, "new WaitForSeconds("), at(&src, "new WaitForSecondsRealtime"));
    assert_eq!(d, vec![("SPK1018".into(), a.0, a.1), ("SPK1018".into(), b.0, b.1)]);
    // Cached, computed or stored: fine.
    let src = mono(
        "    static readonly WaitForSeconds Half = new WaitForSeconds(0.5f);\n    public float delay;\n    IEnumerator Intro()\n    {\n        yield return Half;\n        yield return new WaitForSeconds(delay * 2f);\n        var w = new WaitForSeconds(1f);\n        yield return w;\n    }",
    );
    assert!(found(&src, "Player.cs").is_empty(), "{:#?}", run(&src, "Player.cs"));
}

// ---- SPK1001: a base class next to its subclass ----------------------------------------------

#[test]
fn spk1001_base_in_subclass_file_is_fine() {
    let src = "using UnityEngine;\npublic class Enemy : MonoBehaviour { public int hp; }\npublic class Orc : Enemy { }\n";
    assert!(found(src, "Orc.cs").is_empty(), "{:#?}", run(src, "Orc.cs"));
    // Two levels up.
    let src = "using UnityEngine;\npublic class Unit : MonoBehaviour { }\npublic class Enemy : Unit { }\npublic class Orc : Enemy { }\n";
    assert!(found(src, "Orc.cs").is_empty());
    // A sibling MonoBehaviour is not a base: still an error.
    let src =
        "using UnityEngine;\npublic class Orc : MonoBehaviour { }\npublic class Elf : MonoBehaviour { }\n";
    only("SPK1001", src, "Orc.cs", "Elf :");
}

// ---- SPK2005: private helpers ----------------------------------------------------------------

#[test]
fn spk2005_private_helper_paths_come_from_the_class() {
    let body = "    public void Save(string json) => Write(Path.Combine(Application.persistentDataPath, \"save.json\"), json);\n    void Write(string path, string text) { File.WriteAllText(path, text); }";
    let src =
        format!("using System.IO;\nusing UnityEngine;\npublic class Store : MonoBehaviour\n{{\n{body}\n}}\n");
    assert!(found(&src, "Store.cs").is_empty(), "{:#?}", run(&src, "Store.cs"));
    // The same helper made public takes its path from outside.
    let public = src.replace("    void Write(", "    public void Write(");
    only("SPK2005", &public, "Store.cs", "path, text)");
    // A lambda inside a public method inherits it.
    let lambda = "using System.IO;\npublic static class Io\n{\n    public static System.Action<string> Saver(string dir) => text => File.WriteAllText(dir + \"/a.txt\", text);\n}\n";
    only("SPK2005", lambda, "Io.cs", "dir + ");
}

// ---- Reserved keywords as names --------------------------------------------------------------

#[test]
fn reserved_keywords_as_names_are_syntax_errors() {
    for (src, needle) in [
        ("class A\n{\n    void M()\n    {\n        int event = 1;\n    }\n}\n", "event"),
        ("class A\n{\n    int class;\n}\n", "class;"),
        ("class A\n{\n    void M(int string) { }\n}\n", "string)"),
    ] {
        let d = found(src, "A.cs");
        let (l, c) = at(src, needle);
        assert!(d.iter().any(|x| x.0 == "SPK0001" && (x.1, x.2) == (l, c)), "{src}\n{d:?}");
    }
    // Verbatim names and contextual keywords are fine.
    let src = "class A\n{\n    int @class;\n    void M(int value, int var, int async) { var x = @class + value; }\n}\n";
    assert!(found(src, "A.cs").is_empty(), "{:#?}", run(src, "A.cs"));
}

// ---- SPK1010: a generic type is another type ---------------------------------------------------

#[test]
fn spk1010_generic_namesake_is_not_the_component() {
    let src = "using UnityEngine;\nusing UnityEngine.Pool;\npublic class ObjectPool : MonoBehaviour\n{\n    IObjectPool<GameObject> pool;\n    void Awake() { pool = new ObjectPool<GameObject>(() => new GameObject()); }\n    ObjectPool Copy() => new ObjectPool();\n}\n";
    only("SPK1010", src, "ObjectPool.cs", "new ObjectPool()");
}
