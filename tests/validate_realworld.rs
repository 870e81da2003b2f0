//! Idioms found in real Unity projects' scripts that the validator once misread. Each snippet is
//! valid code written for these tests; each test also keeps the rule firing on the risky variant.

use spark_core::validate::{Diagnostic, ValidationConfig, validate_source};

fn run(src: &str, file: &str) -> Vec<Diagnostic> {
    validate_source(src, file, &ValidationConfig::default())
}

fn rules(src: &str, file: &str) -> Vec<String> {
    run(src, file).into_iter().map(|d| d.rule).collect()
}

fn mono(name: &str, body: &str) -> String {
    format!("using System.IO;\nusing UnityEngine;\n\npublic class {name} : MonoBehaviour\n{{\n{body}\n}}\n")
}

#[test]
fn file_content_from_a_parameter_is_not_a_path() {
    let src = mono(
        "SaveStore",
        "    private string savePath;\n    public void Save(string json)\n    {\n        File.WriteAllText(savePath, json);\n        File.AppendAllText(savePath, json);\n    }",
    );
    assert!(rules(&src, "SaveStore.cs").is_empty(), "{:#?}", run(&src, "SaveStore.cs"));
}

#[test]
fn both_paths_of_a_copy_are_still_checked() {
    let src = mono(
        "Backup",
        "    private string savePath;\n    public void Export(string target)\n    {\n        File.Copy(savePath, target);\n    }",
    );
    assert_eq!(rules(&src, "Backup.cs"), ["SPK2005"]);
}

#[test]
fn numeric_parameter_in_a_path_is_not_traversal() {
    let body = "    public void SaveSlot(int slot, string json)\n    {\n        File.WriteAllText(Path.Combine(Application.persistentDataPath, $\"slot{slot}.json\"), json);\n    }";
    let src = mono("SlotStore", body);
    assert!(rules(&src, "SlotStore.cs").is_empty(), "{:#?}", run(&src, "SlotStore.cs"));

    // A string parameter can hold `../`, so the same shape with text input is still flagged.
    let risky = src.replace("int slot", "string slot");
    assert_eq!(rules(&risky, "SlotStore.cs"), ["SPK2005"]);
}

#[test]
fn null_guarded_lookup_in_update_is_a_cache() {
    let src = mono(
        "Mover",
        "    private Rigidbody body;\n    private GameObject target;\n    void Update()\n    {\n        if (body == null) body = GetComponent<Rigidbody>();\n        if (!target)\n        {\n            target = GameObject.Find(\"Target\");\n        }\n        body.AddForce(Vector3.up);\n    }",
    );
    assert!(rules(&src, "Mover.cs").is_empty(), "{:#?}", run(&src, "Mover.cs"));
}

#[test]
fn coalescing_assignment_in_update_is_a_cache() {
    let src = mono(
        "Glow",
        "    private Renderer rend;\n    void LateUpdate()\n    {\n        rend ??= GetComponent<Renderer>();\n        rend.enabled = true;\n    }",
    );
    // Not a per-frame lookup (no SPK1019); `??=` on a Unity object is UNT0023's finding, though:
    // a destroyed renderer is never looked up again.
    assert_eq!(rules(&src, "Glow.cs"), ["SPK1025"], "{:#?}", run(&src, "Glow.cs"));
}

#[test]
fn lookup_under_an_unrelated_guard_still_fires_every_frame() {
    let src = mono(
        "Shooter",
        "    private Rigidbody body;\n    private bool firing;\n    void Update()\n    {\n        if (firing) body = GetComponent<Rigidbody>();\n        if (!body.isKinematic) body = GetComponent<Rigidbody>();\n    }",
    );
    assert_eq!(rules(&src, "Shooter.cs"), ["SPK1019", "SPK1019"]);
}

#[test]
fn game_words_in_player_prefs_are_not_secrets() {
    let src = mono(
        "Arcade",
        "    private int tokens;\n    private string tokenName = \"gold\";\n    public KeyCode jumpKey = KeyCode.Space;\n    void OnDisable()\n    {\n        PlayerPrefs.SetInt(\"Tokens\", tokens);\n        PlayerPrefs.SetString(\"SelectedSkin\", tokenName);\n        PlayerPrefs.SetString(\"JumpBinding\", jumpKey.ToString());\n    }",
    );
    assert!(rules(&src, "Arcade.cs").is_empty(), "{:#?}", run(&src, "Arcade.cs"));
}

#[test]
fn secret_text_in_player_prefs_still_fires() {
    let src = mono(
        "Login",
        "    public UnityEngine.UI.InputField passwordInput;\n    public void Remember()\n    {\n        PlayerPrefs.SetString(\"user\", passwordInput.text);\n    }",
    );
    assert_eq!(rules(&src, "Login.cs"), ["SPK2010"]);
}

#[test]
fn custom_editor_beside_its_component_needs_no_own_file() {
    let src = "using UnityEngine;\n#if UNITY_EDITOR\nusing UnityEditor;\n#endif\n\npublic class Turret : MonoBehaviour\n{\n    public float range = 5f;\n}\n\n#if UNITY_EDITOR\n[CustomEditor(typeof(Turret))]\npublic class TurretInspector : Editor\n{\n    public override void OnInspectorGUI()\n    {\n        DrawDefaultInspector();\n    }\n}\n#endif\n";
    assert!(rules(src, "Turret.cs").is_empty(), "{:#?}", run(src, "Turret.cs"));

    // A second component in the same file still cannot be attached, so it is still reported.
    let two = src.replace("TurretInspector : Editor", "TurretBase : MonoBehaviour");
    assert_eq!(rules(&two, "Turret.cs"), ["SPK1001"]);
}

#[test]
fn setting_the_physics_step_in_update_is_not_reading_it() {
    let src = mono(
        "SlowMotion",
        "    private float step = 0.02f;\n    void Update()\n    {\n        Time.timeScale = 0.5f;\n        Time.fixedDeltaTime = step * Time.timeScale;\n    }",
    );
    assert!(rules(&src, "SlowMotion.cs").is_empty(), "{:#?}", run(&src, "SlowMotion.cs"));

    let read = src.replace(
        "Time.fixedDeltaTime = step * Time.timeScale;",
        "transform.Translate(Vector3.up * Time.fixedDeltaTime);",
    );
    assert_eq!(rules(&read, "SlowMotion.cs"), ["SPK1007"]);
}

#[test]
fn version_dependent_headers_in_conditional_branches_parse() {
    let src = "using UnityEngine;\n\n#if UNITY_2021_1_OR_NEWER\npublic class Bridge : MonoBehaviour, ISerializationCallbackReceiver\n#else\npublic class Bridge : MonoBehaviour\n#endif\n{\n#if UNITY_2021_1_OR_NEWER\n    public void OnBeforeSerialize() { }\n    public void OnAfterDeserialize() { }\n#endif\n    void Update()\n    {\n#if ENABLE_INPUT_SYSTEM\n        if (UnityEngine.InputSystem.Keyboard.current.spaceKey.wasPressedThisFrame)\n#else\n        if (Input.GetKeyDown(KeyCode.Space))\n#endif\n        {\n            Debug.Log(\"jump\");\n        }\n    }\n}\n";
    assert!(rules(src, "Bridge.cs").is_empty(), "{:#?}", run(src, "Bridge.cs"));
}

#[test]
fn complete_alternatives_are_still_parsed_in_every_branch() {
    // Both branches hold whole statements, so an error in the second one is still reported.
    let src = "using UnityEngine;\n\npublic class Jumper : MonoBehaviour\n{\n    void Start()\n    {\n#if UNITY_ANDROID\n        Debug.Log(\"android\");\n#else\n        Debug.Log(\"other\")\n#endif\n    }\n}\n";
    assert!(rules(src, "Jumper.cs").iter().any(|r| r.starts_with("SPK000")), "{:#?}", run(src, "Jumper.cs"));
}

#[test]
fn secret_levels_and_coin_tokens_are_game_content() {
    let src = mono(
        "Bonus",
        "    private string secretLevel = \"BonusLevel01\";\n    private string secretScene = \"HiddenGrotto\";\n    private string tokenPrefab = \"Prefabs/CoinToken\";\n    void Start()\n    {\n        string secretSpawn = \"Spawn_\" + Random.Range(0, 4);\n        Debug.Log(secretSpawn + secretLevel + secretScene + tokenPrefab);\n    }",
    );
    assert!(rules(&src, "Bonus.cs").is_empty(), "{:#?}", run(&src, "Bonus.cs"));

    let real = src.replace("secretLevel = \"BonusLevel01\"", "secretKey = \"q8Zr2LpX7vKw\"");
    assert_eq!(rules(&real, "Bonus.cs"), ["SPK2009"]);
}

#[test]
fn case_labels_inside_if_groups_are_not_names() {
    // A switch section whose labels sit in `#if`: the file's own parse reads `case` as a name.
    let body = "    enum Timing { Update, TimeUpdate }\n    void Run(Timing t)\n    {\n        switch (t)\n        {\n            case Timing.Update:\n                break;\n#if UNITY_2020_2_OR_NEWER\n            case Timing.TimeUpdate:\n                break;\n#endif\n            default:\n                break;\n        }\n    }";
    let src = mono("Runner", body);
    assert!(rules(&src, "Runner.cs").is_empty(), "{:#?}", run(&src, "Runner.cs"));
    // A keyword really used as a name inside `#if` is still reported, once, where it is.
    let bad = mono("Runner", "    void Run()\n    {\n#if UNITY_EDITOR\n        int case = 1;\n#endif\n    }");
    let at: Vec<(String, u32, u32)> =
        run(&bad, "Runner.cs").into_iter().map(|d| (d.rule, d.line, d.column)).collect();
    assert!(at.contains(&("SPK0001".into(), 9, 13)), "{at:?}");
    assert_eq!(at.iter().filter(|(r, l, _)| r == "SPK0001" && *l == 9).count(), 1, "{at:?}");
}

#[test]
fn out_var_and_pattern_locals_shadow_component_shortcuts() {
    let body = "    void Paint(GameObject go, Component c)\n    {\n        if (go.TryGetComponent<MeshRenderer>(out var renderer))\n            renderer.material.color = Color.red;\n        if (c is Collider collider)\n            collider.enabled = false;\n    }";
    let src = mono("Painter", body);
    assert!(rules(&src, "Painter.cs").is_empty(), "{:#?}", run(&src, "Painter.cs"));
    // The removed shortcut itself is still an error at its position.
    let bare =
        mono("Painter", "    void Paint()\n    {\n        renderer.material.color = Color.red;\n    }");
    let at: Vec<(String, u32, u32)> =
        run(&bare, "Painter.cs").into_iter().map(|d| (d.rule, d.line, d.column)).collect();
    assert_eq!(at, [("SPK1021".to_string(), 8, 9)]);
}
