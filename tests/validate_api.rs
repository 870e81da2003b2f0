//! SPK1021 / SPK1022: Unity APIs removed, not yet added or obsolete in the target version, each
//! reported where it is used with its replacement.

use spark_core::validate::{Diagnostic, ValidationConfig, validate_source};

fn cfg(unity: &str) -> ValidationConfig {
    ValidationConfig { unity_version: Some(unity.into()), ..Default::default() }
}

fn at(src: &str, needle: &str) -> (u32, u32) {
    let i = src.find(needle).unwrap_or_else(|| panic!("`{needle}` not in snippet"));
    let line = src[..i].matches('\n').count() as u32 + 1;
    let start = src[..i].rfind('\n').map_or(0, |p| p + 1);
    (line, src[start..i].chars().count() as u32 + 1)
}

fn api(src: &str, unity: &str) -> Vec<Diagnostic> {
    validate_source(src, "Player.cs", &cfg(unity))
        .into_iter()
        .filter(|d| d.rule == "SPK1021" || d.rule == "SPK1022")
        .collect()
}

#[track_caller]
fn one(src: &str, unity: &str, rule: &str, needle: &str, fix: &str) {
    let d = api(src, unity);
    assert_eq!(d.len(), 1, "{src}\n{d:#?}");
    assert_eq!(
        (d[0].rule.as_str(), d[0].line, d[0].column),
        (rule, at(src, needle).0, at(src, needle).1),
        "{d:#?}"
    );
    assert!(d[0].message.contains(fix), "{}", d[0].message);
}

fn mono(body: &str) -> String {
    format!(
        "using System.Collections;\nusing UnityEngine;\n\npublic class Player : MonoBehaviour\n{{\n{body}\n}}\n"
    )
}

#[test]
fn legacy_apis_models_still_write() {
    let src = mono(
        "    IEnumerator Get(string url)\n    {\n        var w = new WWW(url);\n        yield return w;\n    }",
    );
    one(&src, "2022.3", "SPK1022", "WWW(url)", "UnityWebRequest");
    let src = mono("    void Next() { Application.LoadLevel(1); }");
    one(&src, "2022.3", "SPK1022", "Application.LoadLevel", "SceneManager.LoadScene");
    let src = mono("    void OnLevelWasLoaded(int level) { Debug.Log(level); }");
    one(&src, "2022.3", "SPK1022", "OnLevelWasLoaded", "SceneManager.sceneLoaded");
    let src = mono("    public GUIText label;");
    one(&src, "2022.3", "SPK1021", "GUIText", "TextMeshProUGUI");
    // Still in the engine in 2019.2: no finding.
    assert!(api(&src, "2019.2").is_empty());
}

#[test]
fn component_shortcuts_are_gone() {
    let src = mono("    void Jump() { rigidbody.AddForce(Vector3.up); }");
    one(&src, "2022.3", "SPK1021", "rigidbody.", "GetComponent<Rigidbody>()");
    let src = mono("    void Hide() { gameObject.renderer.enabled = false; }");
    one(&src, "2022.3", "SPK1021", "renderer.", "GetComponent<Renderer>()");
    // A field of that name, or a project base class that may declare one, is not the shortcut.
    let src = mono("    Rigidbody rigidbody;\n    void Jump() { rigidbody.AddForce(Vector3.up); }");
    assert!(api(&src, "2022.3").is_empty(), "{:#?}", api(&src, "2022.3"));
    let src = "using UnityEngine;\npublic class Player : Actor\n{\n    void Jump() { camera.Render(); }\n}\n";
    assert!(api(src, "2022.3").is_empty());
}

#[test]
fn find_object_of_type_is_obsolete_from_2023() {
    let src = mono("    void Start() { var a = FindObjectOfType<AudioListener>(); Debug.Log(a); }");
    one(&src, "6000.0", "SPK1022", "FindObjectOfType", "FindAnyObjectByType");
    assert!(api(&src, "2022.3").is_empty());
    let src = mono("    void Start() { var all = Object.FindObjectsOfType<Light>(); Debug.Log(all); }");
    one(&src, "2023.1", "SPK1022", "Object.FindObjectsOfType", "FindObjectsByType");
}

#[test]
fn rigidbody_velocity_follows_the_version() {
    let src = mono(
        "    Rigidbody body;\n    void Awake() { body = GetComponent<Rigidbody>(); }\n    void FixedUpdate() { body.velocity = Vector3.zero; }",
    );
    one(&src, "6000.0", "SPK1022", "velocity =", "linearVelocity");
    assert!(api(&src, "2022.3").is_empty());
    // The Unity 6 name in an older target does not compile.
    let src = mono(
        "    void FixedUpdate()\n    {\n        var body = GetComponent<Rigidbody2D>();\n        body.linearVelocity = Vector2.zero;\n    }",
    );
    one(&src, "2022.3", "SPK1021", "linearVelocity", "use `velocity` before Unity 6");
    assert!(api(&src, "6000.0").is_empty());
    // `velocity` of something else (a particle, a custom type) is not a Rigidbody's.
    let src = mono(
        "    Vector3 velocity;\n    struct Mover { public Vector3 velocity; }\n    Mover m;\n    void Update() { m.velocity = velocity; }",
    );
    assert!(api(&src, "6000.0").is_empty());
}

#[test]
fn unet_is_gone_but_netcode_is_fine() {
    let src = "using UnityEngine;\nusing UnityEngine.Networking;\n\npublic class Player : NetworkBehaviour\n{\n    [SyncVar] public int hp;\n}\n";
    let d = api(src, "2022.3");
    let got: Vec<(u32, u32)> = d.iter().map(|d| (d.line, d.column)).collect();
    assert_eq!(got, vec![at(src, "NetworkBehaviour"), at(src, "SyncVar")], "{d:#?}");
    assert!(d.iter().all(|d| d.rule == "SPK1021" && d.message.contains("Netcode")), "{d:#?}");
    let ngo = "using UnityEngine;\nusing Unity.Netcode;\n\npublic class Player : NetworkBehaviour\n{\n    public NetworkVariable<int> hp = new NetworkVariable<int>();\n}\n";
    assert!(api(ngo, "2022.3").is_empty());
    // UnityWebRequest lives in UnityEngine.Networking too.
    let web = "using UnityEngine;\nusing UnityEngine.Networking;\n\npublic class Player : MonoBehaviour\n{\n    void Start() { UnityWebRequest.Get(\"https://example.com\"); }\n}\n";
    assert!(api(web, "2022.3").is_empty());
}

#[test]
fn version_guarded_branches_are_judged_by_their_own_version() {
    let src = mono(
        "    Rigidbody body;\n    void FixedUpdate()\n    {\n#if UNITY_6000_0_OR_NEWER\n        body.linearVelocity = Vector3.zero;\n#else\n        body.velocity = Vector3.zero;\n#endif\n    }",
    );
    assert!(api(&src, "2022.3").is_empty(), "{:#?}", api(&src, "2022.3"));
    assert!(api(&src, "6000.0").is_empty(), "{:#?}", api(&src, "6000.0"));
    // Unguarded, each version sees its problem.
    let bare = src.replace("#if UNITY_6000_0_OR_NEWER\n", "").replace("#else\n", "").replace("#endif\n", "");
    one(&bare, "2022.3", "SPK1021", "linearVelocity", "velocity");
    one(&bare, "6000.0", "SPK1022", "velocity =", "linearVelocity");
}
