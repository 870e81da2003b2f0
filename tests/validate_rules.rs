//! One positive and one negative C# snippet per Unity and security rule: the rule fires where
//! expected (rule id, 1-based line and character column) and stays silent on the valid idiom.

use spark_core::validate::{Diagnostic, Severity, ValidationConfig, validate_source};

fn run(src: &str, file: &str) -> Vec<Diagnostic> {
    validate_source(src, file, &ValidationConfig::default())
}

/// 1-based line and character column of the first occurrence of `needle`.
fn pos(src: &str, needle: &str) -> (u32, u32) {
    let at = src.find(needle).unwrap_or_else(|| panic!("needle `{needle}` not in snippet"));
    let before = &src[..at];
    let line = before.matches('\n').count() as u32 + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    (line, src[line_start..at].chars().count() as u32 + 1)
}

/// Asserts the snippet yields exactly one diagnostic, of `rule`, starting at `needle`.
#[track_caller]
fn fires(rule: &str, file: &str, src: &str, needle: &str) -> Diagnostic {
    let d = run(src, file);
    let (line, column) = pos(src, needle);
    let hits: Vec<&Diagnostic> = d.iter().filter(|d| d.rule == rule).collect();
    assert_eq!(hits.len(), 1, "expected one {rule} at {line}:{column}, got {d:#?}");
    assert_eq!((hits[0].line, hits[0].column), (line, column), "{rule} position; all: {d:#?}");
    assert_eq!(d.len(), 1, "unexpected extra diagnostics: {d:#?}");
    hits[0].clone()
}

#[track_caller]
fn silent(file: &str, src: &str) {
    let d = run(src, file);
    assert!(d.is_empty(), "expected no diagnostics, got {d:#?}");
}

fn mono(body: &str) -> String {
    format!(
        "using System.Collections;\nusing UnityEngine;\n\npublic class Player : MonoBehaviour\n{{\n{body}\n}}\n"
    )
}

// ---- SPK1001 class name = file name --------------------------------------------------------

#[test]
fn spk1001_class_name_must_match_file() {
    let src = "using UnityEngine;\n\npublic class PlayerMove : MonoBehaviour\n{\n    private void Awake() { Debug.Log(1); }\n}\n";
    let d = fires("SPK1001", "Assets/Scripts/Player.cs", src, "PlayerMove :");
    assert_eq!(d.severity, Severity::Error);
    assert!(d.message.contains("PlayerMove.cs"), "{}", d.message);
    // Through an intermediate base class declared in the same file.
    let src2 =
        "using UnityEngine;\npublic abstract class Unit : MonoBehaviour { }\npublic class Orc : Unit { }\n";
    fires("SPK1001", "Unit.cs", src2, "Orc :");
    let so = "using UnityEngine;\n[CreateAssetMenu]\npublic class WeaponData : ScriptableObject { public int damage; }\n";
    fires("SPK1001", "Weapon.cs", so, "WeaponData :");
}

#[test]
fn spk1001_valid_names() {
    silent("Assets/Scripts/Player.cs", "using UnityEngine;\npublic class Player : MonoBehaviour { }\n");
    // Abstract, generic, nested and plain classes are not attached as components.
    silent(
        "Base.cs",
        "using UnityEngine;\npublic abstract class Enemy : MonoBehaviour { }\npublic class Singleton<T> : MonoBehaviour { }\npublic class Helper { }\npublic class Base { class Inner : MonoBehaviour { } }\n",
    );
    silent("Player.Movement.cs", "using UnityEngine;\npublic partial class Player : MonoBehaviour { }\n");
    // No file name to compare with.
    silent("snippet", "using UnityEngine;\npublic class Anything : MonoBehaviour { }\n");
}

// ---- SPK1002 UnityEditor in runtime code ----------------------------------------------------

#[test]
fn spk1002_unity_editor_in_runtime_code() {
    let src = "using UnityEngine;\nusing UnityEditor;\n\npublic class Tool : MonoBehaviour { }\n";
    fires("SPK1002", "Assets/Scripts/Tool.cs", src, "UnityEditor;");
    let src2 = "using UnityEngine;\npublic class Tool : MonoBehaviour\n{\n    void OnDrawGizmos() { UnityEditor.Handles.Label(transform.position, name); }\n}\n";
    fires("SPK1002", "Tool.cs", src2, "UnityEditor.Handles");
    // Guarded using, unguarded use.
    let src3 = "using UnityEngine;\n#if UNITY_EDITOR\nusing UnityEditor;\n#endif\npublic class Tool : MonoBehaviour\n{\n    void OnValidate() { EditorUtility.SetDirty(this); }\n}\n";
    fires("SPK1002", "Tool.cs", src3, "EditorUtility");
}

#[test]
fn spk1002_editor_folder_and_guards_are_fine() {
    let editor = "using UnityEditor;\nusing UnityEngine;\n\n[CustomEditor(typeof(Tool))]\npublic class ToolEditor : Editor\n{\n    public override void OnInspectorGUI() { DrawDefaultInspector(); }\n}\n";
    silent("Assets/Editor/ToolEditor.cs", editor);
    let guarded = "using UnityEngine;\n#if UNITY_EDITOR\nusing UnityEditor;\n#endif\n\npublic class Tool : MonoBehaviour\n{\n#if UNITY_EDITOR\n    void OnValidate() { EditorUtility.SetDirty(this); }\n#endif\n}\n";
    silent("Tool.cs", guarded);
    let else_branch = "using UnityEngine;\npublic class Tool : MonoBehaviour\n{\n    void OnDrawGizmos()\n    {\n#if !UNITY_EDITOR\n        return;\n#else\n        UnityEditor.Handles.Label(transform.position, name);\n#endif\n    }\n}\n";
    silent("Tool.cs", else_branch);
}

// ---- SPK1003 top-level statements -----------------------------------------------------------

#[test]
fn spk1003_top_level_statements() {
    let src = "using UnityEngine;\n\nDebug.Log(\"hello\");\nvar x = 1;\n";
    fires("SPK1003", "Hello.cs", src, "Debug.Log");
    silent(
        "Hello.cs",
        "using UnityEngine;\n\npublic static class Hello\n{\n    public static void Say() => Debug.Log(\"hello\");\n}\n",
    );
}

#[test]
fn spk1003_in_a_file_with_if_groups_comes_from_the_compiled_text() {
    // A `case` label inside `#if` in a switch section: the members after the switch are not
    // top-level statements (Unity's netcode test project has this shape).
    let src = "using UnityEngine;\n\npublic class Net : MonoBehaviour\n{\n    void Pick(object t)\n    {\n        switch (t)\n        {\n#if UNITY_UNET_PRESENT\n            case string s:\n                Debug.Log(s);\n                break;\n#endif\n            case int n:\n                {\n                    Debug.Log(n);\n                    break;\n                }\n        }\n    }\n\n    private void SetPort(ushort port)\n    {\n        switch (port)\n        {\n            case 0:\n                break;\n        }\n    }\n}\n";
    silent("Net.cs", src);
    // A real top-level statement is still found once, at its position, in such a file.
    let src = "using UnityEngine;\n#if UNITY_EDITOR\nusing UnityEditor;\n#endif\n\nDebug.Log(\"hello\");\nvar x = 1;\n";
    fires("SPK1003", "Hello.cs", src, "Debug.Log");
}

// ---- SPK1004 UNT0001 empty message ----------------------------------------------------------

#[test]
fn spk1004_empty_message() {
    let d = fires(
        "SPK1004",
        "Player.cs",
        &mono("    void Update()\n    {\n        // nothing yet\n    }"),
        "Update",
    );
    assert!(d.message.ends_with("(UNT0001)"), "{}", d.message);
    assert_eq!(d.severity, Severity::Warning);
}

#[test]
fn spk1004_non_empty_or_polymorphic() {
    silent(
        "Player.cs",
        &mono(
            "    void Update() { transform.Rotate(0f, 1f, 0f); }\n    protected virtual void Start() { }\n    void Helper() { }",
        ),
    );
    // Not a Unity object: any empty method is fine.
    silent("Plain.cs", "public class Plain { void Update() { } }\n");
}

// ---- SPK1005 UNT0002 tag comparison ---------------------------------------------------------

#[test]
fn spk1005_tag_comparison() {
    let src = mono(
        "    void OnTriggerEnter(Collider other)\n    {\n        if (other.tag == \"Enemy\") Destroy(other.gameObject);\n    }",
    );
    let d = fires("SPK1005", "Player.cs", &src, "other.tag ==");
    assert!(d.message.contains("other.CompareTag(\"Enemy\")"), "{}", d.message);
    fires(
        "SPK1005",
        "Player.cs",
        &mono("    void Start() { if (\"Player\" != gameObject.tag) enabled = false; }"),
        "\"Player\" !=",
    );
}

#[test]
fn spk1005_compare_tag_is_fine() {
    silent(
        "Player.cs",
        &mono(
            "    void OnTriggerEnter(Collider other)\n    {\n        if (other.CompareTag(\"Enemy\") && other.tag != null) Destroy(other.gameObject);\n    }",
        ),
    );
}

// ---- SPK1006 UNT0003 non-generic GetComponent -----------------------------------------------

#[test]
fn spk1006_non_generic_get_component() {
    fires(
        "SPK1006",
        "Player.cs",
        &mono("    Rigidbody body;\n    void Awake() { body = (Rigidbody)GetComponent(typeof(Rigidbody)); }"),
        "GetComponent(typeof",
    );
}

#[test]
fn spk1006_generic_is_fine() {
    silent(
        "Player.cs",
        &mono(
            "    Rigidbody body;\n    void Awake() { body = GetComponent<Rigidbody>(); var t = typeof(Rigidbody); }",
        ),
    );
}

// ---- SPK1007 UNT0004 fixedDeltaTime in Update -----------------------------------------------

#[test]
fn spk1007_fixed_delta_time_in_update() {
    fires(
        "SPK1007",
        "Player.cs",
        &mono("    void Update() { transform.Translate(0f, 0f, Time.fixedDeltaTime); }"),
        "Time.fixedDeltaTime",
    );
}

#[test]
fn spk1007_fixed_delta_time_in_fixed_update_is_fine() {
    silent(
        "Player.cs",
        &mono(
            "    void FixedUpdate() { transform.Translate(0f, 0f, Time.fixedDeltaTime); }\n    void Update() { transform.Translate(0f, 0f, Time.deltaTime); }",
        ),
    );
}

// ---- SPK1029 UNT0005 Time.deltaTime in FixedUpdate -------------------------------------------

#[test]
fn spk1029_delta_time_in_fixed_update() {
    fires(
        "SPK1029",
        "Player.cs",
        &mono("    void FixedUpdate() { transform.Translate(0f, 0f, Time.deltaTime); }"),
        "Time.deltaTime",
    );
    // In a lambda started from FixedUpdate the code runs later, in any frame.
    silent(
        "Player.cs",
        &mono(
            "    void FixedUpdate() { transform.Translate(0f, 0f, Time.fixedDeltaTime); }\n    void LateUpdate() { transform.Translate(0f, 0f, Time.deltaTime); }",
        ),
    );
}

// ---- Accuracy against Microsoft.Unity.Analyzers' cases ---------------------------------------

#[test]
fn unt0016_on_another_mono_behaviour_and_cancel_invoke() {
    let src = mono("    Enemy enemy;\n    void Start() { enemy.InvokeRepeating(\"Fire\", 1f, 1f); }");
    // Nested, as in the analyzer's own case (a second top-level MonoBehaviour would be SPK1001).
    let src = src.replace("\n}\n", "\n    public class Enemy : MonoBehaviour { void Fire() { } }\n}\n");
    fires("SPK1013", "Player.cs", &src, "\"Fire\"");
    fires("SPK1013", "Player.cs", &mono("    void Start() { CancelInvoke(\"Fire\"); }"), "\"Fire\"");
    // A string on an object that is not a MonoBehaviour is whatever that API means.
    silent("Player.cs", &mono("    System.Action<string> log;\n    void Start() { log.Invoke(\"Fire\"); }"));
}

#[test]
fn unt0033_static_methods_are_not_misspelt_messages() {
    silent("Player.cs", &mono("    private static void UPDATE() { Debug.Log(1); }"));
    fires("SPK1009", "Player.cs", &mono("    private void UPDATE() { Debug.Log(1); }"), "UPDATE");
}

#[test]
fn unt0010_component_subclass_created_with_new() {
    let src = "using UnityEngine;\nclass Foo : Component { }\npublic class Player : MonoBehaviour\n{\n    void Start() { Foo foo = new Foo(); Debug.Log(foo); }\n}\n";
    let d = run(src, "Player.cs");
    let hits: Vec<_> = d.iter().filter(|d| d.rule == "SPK1010").collect();
    assert_eq!(hits.len(), 1, "{d:#?}");
    assert_eq!((hits[0].line, hits[0].column), pos(src, "new Foo"));
    silent("Player.cs", &mono("    void Start() { var v = new Vector3(1f, 2f, 3f); Debug.Log(v); }"));
}

// ---- SPK1030 UNT0026 TryGetComponent ----------------------------------------------------------

#[test]
fn spk1030_get_component_then_null_check() {
    let src = mono(
        "    void Start()\n    {\n        var rb = GetComponent<Rigidbody>();\n        // checked next\n        if (rb != null) rb.mass = 2f;\n    }",
    );
    fires("SPK1030", "Player.cs", &src, "GetComponent<Rigidbody>");
    // A field (or property) keeps the component; another look-up or no check is not the pattern.
    silent(
        "Player.cs",
        &mono(
            "    Rigidbody rb;\n    void Start()\n    {\n        rb = GetComponent<Rigidbody>();\n        if (rb != null) rb.mass = 2f;\n    }",
        ),
    );
    silent(
        "Player.cs",
        &mono(
            "    void Start()\n    {\n        var rb = GetComponentInChildren<Rigidbody>();\n        if (rb != null) rb.mass = 2f;\n    }",
        ),
    );
}

// ---- SPK1031 UNT0041 Animator names / SPK1032 UNT0013 [SerializeField] -----------------------

#[test]
fn spk1031_animator_name_as_string() {
    let src = mono("    Animator animator;\n    void Update() { animator.SetFloat(\"Speed\", 1f); }");
    fires("SPK1031", "Player.cs", &src, "\"Speed\"");
    // A hash, a constant, or `Play` on something that is not an Animator.
    silent(
        "Player.cs",
        &mono(
            "    static readonly int Speed = Animator.StringToHash(\"Speed\");\n    Animator animator;\n    ParticleSystem fx;\n    void Update() { animator.SetFloat(Speed, 1f); fx.Play(); }",
        ),
    );
}

#[test]
fn spk1032_serialize_field_misuse() {
    let src = mono("    [SerializeField]\n    public float speed = 1f;");
    fires("SPK1032", "Player.cs", &src, "SerializeField]");
    fires("SPK1032", "Player.cs", &mono("    [SerializeField] static int count;"), "SerializeField]");
    fires("SPK1032", "Player.cs", &mono("    [SerializeField] int Health { get; set; }"), "SerializeField]");
    silent(
        "Player.cs",
        &mono(
            "    [SerializeField] private float speed = 1f;\n    [field: SerializeField] public int Health { get; private set; }",
        ),
    );
}

// ---- AssetPostprocessor messages (UNT0006, UNT0033) -----------------------------------------

#[test]
fn asset_postprocessor_static_messages() {
    let head = "#if UNITY_EDITOR\nusing UnityEditor;\n\npublic class Import : AssetPostprocessor\n{\n";
    let tail = "}\n#endif\n";
    let case = format!(
        "{head}    static void OnPostPROCESSAllAssets(string[] a, string[] b, string[] c, string[] d) {{ UnityEngine.Debug.Log(a); }}\n{tail}"
    );
    fires("SPK1009", "Import.cs", &case, "OnPostPROCESSAllAssets");
    let sig =
        format!("{head}    static bool OnPreGeneratingCSProjectFiles(int foo) {{ return foo > 0; }}\n{tail}");
    fires("SPK1008", "Import.cs", &sig, "OnPreGeneratingCSProjectFiles");
    // The documented signatures; the class name need not match the file (no script asset).
    let ok = format!(
        "{head}    static void OnPostprocessAllAssets(string[] a, string[] b, string[] c, string[] d) {{ UnityEngine.Debug.Log(a); }}\n    static bool OnPreGeneratingCSProjectFiles() {{ return true; }}\n    void OnPreprocessTexture() {{ UnityEngine.Debug.Log(assetPath); }}\n{tail}"
    );
    silent("Tools.cs", &ok);
}

// ---- SPK1008 UNT0006 message signature ------------------------------------------------------

#[test]
fn spk1008_wrong_message_signature() {
    let d = fires(
        "SPK1008",
        "Player.cs",
        &mono("    void OnTriggerEnter(Collision c) { Debug.Log(c); }"),
        "OnTriggerEnter",
    );
    assert!(d.message.contains("(Collider)"), "{}", d.message);
    fires("SPK1008", "Player.cs", &mono("    IEnumerator Update() { yield return null; }"), "Update");
    fires(
        "SPK1008",
        "Player.cs",
        &mono("    void OnApplicationPause(int paused) { Debug.Log(paused); }"),
        "OnApplicationPause",
    );
}

#[test]
fn spk1008_valid_signatures() {
    silent(
        "Player.cs",
        &mono(
            "    IEnumerator Start() { yield return null; }\n    void OnCollisionEnter() { Debug.Log(1); }\n    void OnApplicationPause() { Debug.Log(2); }\n    void OnTriggerEnter() { Debug.Log(3); }\n    void OnAnimatorIK() { Debug.Log(4); }\n    void OnCollisionExit(UnityEngine.Collision c) { Debug.Log(c); }\n    void OnAudioFilterRead(float[] data, int channels) { data[0] = 0; }\n    async void OnEnable() { await System.Threading.Tasks.Task.Yield(); }",
        ),
    );
}

// ---- SPK1009 UNT0033 message case -----------------------------------------------------------

#[test]
fn spk1009_wrong_message_case() {
    fires("SPK1009", "Player.cs", &mono("    void update() { transform.Rotate(0f, 1f, 0f); }"), "update");
    fires(
        "SPK1009",
        "Player.cs",
        &mono("    void OnTriggerenter(Collider c) { Debug.Log(c); }"),
        "OnTriggerenter",
    );
}

#[test]
fn spk1009_similar_names_are_fine() {
    silent(
        "Player.cs",
        &mono(
            "    void Update() { UpdateHealth(); }\n    void UpdateHealth() { Debug.Log(1); }\n    public override string ToString() => name;",
        ),
    );
}

// ---- SPK1010 / SPK1011 UNT0010 / UNT0011 new -------------------------------------------------

#[test]
fn spk1010_new_monobehaviour() {
    let src = "using UnityEngine;\npublic class Spawner : MonoBehaviour\n{\n    public class Enemy : MonoBehaviour { }\n    void Start() { var e = new Enemy(); Debug.Log(e); }\n}\n";
    fires("SPK1010", "Spawner.cs", src, "new Enemy");
    fires(
        "SPK1010",
        "Spawner.cs",
        "using UnityEngine;\npublic class Spawner : MonoBehaviour\n{\n    Spawner other = new();\n}\n",
        "new()",
    );
}

#[test]
fn spk1010_resolves_bases_across_files() {
    use spark_core::ScriptFile;
    let files = vec![
        ScriptFile {
            path: "Enemy.cs".into(),
            content: "using UnityEngine;\npublic class Enemy : MonoBehaviour { }\n".into(),
            raw_path: None,
        },
        ScriptFile::new("Orc.cs", "public class Orc : Enemy { }\n"),
        ScriptFile {
            path: "Spawner.cs".into(),
            content: "public static class Spawner\n{\n    public static Orc Make() => new Orc();\n}\n".into(),
            raw_path: None,
        },
    ];
    let d = spark_core::validate::validate_files(&files, &ValidationConfig::default());
    assert_eq!(d.len(), 1, "{d:#?}");
    assert_eq!(
        (d[0].rule.as_str(), d[0].file.as_str(), d[0].line, d[0].column),
        ("SPK1010", "Spawner.cs", 3, 33)
    );
}

#[test]
fn spk1011_new_scriptable_object() {
    let src = "using UnityEngine;\npublic class Stats : ScriptableObject\n{\n    public static Stats Make() => new Stats();\n}\n";
    fires("SPK1011", "Stats.cs", src, "new Stats");
}

#[test]
fn spk1010_add_component_and_plain_new_are_fine() {
    let src = "using UnityEngine;\npublic abstract class Enemy : MonoBehaviour { }\npublic class Data { }\npublic class Spawner : MonoBehaviour\n{\n    void Start()\n    {\n        gameObject.AddComponent<Rigidbody>();\n        var d = new Data();\n        var s = ScriptableObject.CreateInstance<ScriptableObject>();\n        var v = new Vector3(1f, 2f, 3f);\n        Debug.Log($\"{d} {s} {v}\");\n    }\n}\n";
    silent("Spawner.cs", src);
}

// ---- SPK1012 UNT0012 coroutine without StartCoroutine ---------------------------------------

#[test]
fn spk1012_coroutine_called_directly() {
    fires(
        "SPK1012",
        "Player.cs",
        &mono("    void Start() { Blink(); }\n    IEnumerator Blink() { yield return null; }"),
        "Blink();",
    );
}

#[test]
fn spk1012_started_coroutine_is_fine() {
    silent(
        "Player.cs",
        &mono(
            "    void Start() { StartCoroutine(Blink()); var e = Blink(); StartCoroutine(e); }\n    IEnumerator Blink() { yield return Fade(); }\n    IEnumerator Fade() { yield return null; }",
        ),
    );
}

// ---- SPK1013 UNT0016 string method names ----------------------------------------------------

#[test]
fn spk1013_string_method_name() {
    fires(
        "SPK1013",
        "Player.cs",
        &mono("    void Start() { Invoke(\"Explode\", 2f); }\n    void Explode() { Destroy(gameObject); }"),
        "\"Explode\"",
    );
    fires(
        "SPK1013",
        "Player.cs",
        &mono(
            "    void Start() { StartCoroutine(\"Blink\"); }\n    IEnumerator Blink() { yield return null; }",
        ),
        "\"Blink\"",
    );
}

#[test]
fn spk1013_nameof_and_events_are_fine() {
    silent(
        "Player.cs",
        &mono(
            "    public UnityEngine.Events.UnityEvent<string> said;\n    void Start() { Invoke(nameof(Explode), 2f); said.Invoke(\"hi\"); }\n    void Explode() { Destroy(gameObject); }",
        ),
    );
}

// ---- SPK1014 / SPK1015 static attributes ----------------------------------------------------

#[test]
fn spk1014_menu_item_not_static() {
    let src = "using UnityEditor;\nusing UnityEngine;\npublic class Tools\n{\n    [MenuItem(\"Tools/Reset\")]\n    private void ResetAll() { Debug.Log(1); }\n}\n";
    fires("SPK1014", "Assets/Editor/Tools.cs", src, "MenuItem(");
    silent("Assets/Editor/Tools.cs", &src.replace("private void", "private static void"));
}

#[test]
fn spk1015_runtime_initialize_not_static() {
    let src = "using UnityEngine;\npublic class Boot\n{\n    [RuntimeInitializeOnLoadMethod(RuntimeInitializeLoadType.BeforeSceneLoad)]\n    static void Init(int level) { Debug.Log(level); }\n}\n";
    fires("SPK1015", "Boot.cs", src, "Init(");
    silent("Boot.cs", &src.replace("Init(int level) { Debug.Log(level); }", "Init() { Debug.Log(0); }"));
}

// ---- SPK1016 UNT0025 Input.GetKey strings ---------------------------------------------------

#[test]
fn spk1016_input_get_key_string() {
    fires(
        "SPK1016",
        "Player.cs",
        &mono("    void Update() { if (Input.GetKeyDown(\"space\")) Debug.Log(1); }"),
        "\"space\"",
    );
    silent(
        "Player.cs",
        &mono(
            "    void Update() { if (Input.GetKeyDown(KeyCode.Space) || Input.GetButtonDown(\"Jump\")) Debug.Log(1); }",
        ),
    );
}

// ---- SPK1017 UNT0030 Destroy(transform) -----------------------------------------------------

#[test]
fn spk1017_destroy_transform() {
    fires("SPK1017", "Player.cs", &mono("    void Die() { Destroy(transform); }"), "transform)");
    silent("Player.cs", &mono("    void Die() { Destroy(transform.gameObject); Destroy(gameObject, 2f); }"));
}

// ---- SPK1018 UNT0038 yield instruction in loop ----------------------------------------------

#[test]
fn spk1018_wait_for_seconds_in_loop() {
    fires(
        "SPK1018",
        "Player.cs",
        &mono(
            "    IEnumerator Tick()\n    {\n        while (enabled)\n        {\n            yield return new WaitForSeconds(1f);\n        }\n    }",
        ),
        "new WaitForSeconds",
    );
}

#[test]
fn spk1018_cached_or_varying_waits_are_fine() {
    silent(
        "Player.cs",
        &mono(
            "    IEnumerator Tick()\n    {\n        var wait = new WaitForSeconds(1f);\n        while (enabled) { yield return wait; }\n        for (int i = 0; i < 3; i++) { yield return new WaitForSeconds(Random.Range(1f, 2f)); }\n    }",
        ),
    );
}

// ---- SPK1019 GetComponent / Find per frame --------------------------------------------------

#[test]
fn spk1019_lookups_in_update() {
    fires(
        "SPK1019",
        "Player.cs",
        &mono("    void Update() { GetComponent<Rigidbody>().AddForce(Vector3.up); }"),
        "GetComponent<",
    );
    fires(
        "SPK1019",
        "Player.cs",
        &mono("    void LateUpdate() { var p = GameObject.Find(\"Player\"); Debug.Log(p); }"),
        "GameObject.Find",
    );
    fires(
        "SPK1019",
        "Player.cs",
        &mono("    void FixedUpdate() { var c = FindObjectOfType<Camera>(); Debug.Log(c); }"),
        "FindObjectOfType",
    );
}

#[test]
fn spk1019_cached_or_other_objects_are_fine() {
    silent(
        "Player.cs",
        &mono(
            "    Rigidbody body;\n    void Awake() { body = GetComponent<Rigidbody>(); }\n    void Update()\n    {\n        body.AddForce(Vector3.up);\n        if (Physics.Raycast(transform.position, transform.forward, out RaycastHit hit) && hit.collider.TryGetComponent(out Rigidbody other)) other.WakeUp();\n        var child = transform.Find(\"Visual\");\n        Debug.Log(child);\n    }",
        ),
    );
}

// ---- Security -------------------------------------------------------------------------------

fn plain(body: &str) -> String {
    format!("using System;\nusing System.IO;\n\npublic static class Util\n{{\n{body}\n}}\n")
}

#[test]
fn spk2001_process_execution() {
    fires(
        "SPK2001",
        "Util.cs",
        &plain(
            "    public static void Run(string cmd) { System.Diagnostics.Process.Start(\"cmd.exe\", cmd); }",
        ),
        "System.Diagnostics.Process.Start",
    );
    fires(
        "SPK2001",
        "Util.cs",
        &plain("    public static void Run() { var p = new ProcessStartInfo(\"ls\"); }"),
        "new ProcessStartInfo",
    );
    silent(
        "Util.cs",
        &plain("    public static void Open() { UnityEngine.Application.OpenURL(\"https://example.com\"); }"),
    );
}

#[test]
fn spk2002_unsafe_deserialization() {
    fires(
        "SPK2002",
        "Util.cs",
        &plain(
            "    public static object Load(Stream s) { var f = new BinaryFormatter(); return f.Deserialize(s); }",
        ),
        "BinaryFormatter()",
    );
    fires(
        "SPK2002",
        "Util.cs",
        &plain(
            "    static readonly JsonSerializerSettings S = new JsonSerializerSettings { TypeNameHandling = TypeNameHandling.All };",
        ),
        "TypeNameHandling.All",
    );
    silent(
        "Util.cs",
        &plain(
            "    public static T Load<T>(string json) => UnityEngine.JsonUtility.FromJson<T>(json);\n    static readonly JsonSerializerSettings S = new JsonSerializerSettings { TypeNameHandling = TypeNameHandling.None };",
        ),
    );
}

#[test]
fn spk2003_dynamic_code_loading() {
    fires(
        "SPK2003",
        "Util.cs",
        &plain("    public static void Plug(byte[] b) { var a = System.Reflection.Assembly.Load(b); }"),
        "System.Reflection.Assembly.Load",
    );
    fires(
        "SPK2003",
        "Util.cs",
        &plain("    public static void C() { var p = new CSharpCodeProvider(); }"),
        "new CSharpCodeProvider",
    );
    silent("Util.cs", &plain("    public static string Name() => typeof(Util).Assembly.GetName().Name;"));
}

#[test]
fn spk2004_destructive_file_io() {
    fires(
        "SPK2004",
        "Util.cs",
        &plain(
            "    public static void Wipe() { Directory.Delete(UnityEngine.Application.persistentDataPath, true); }",
        ),
        "Directory.Delete",
    );
    silent(
        "Util.cs",
        &plain(
            "    public static string Read() => File.ReadAllText(Path.Combine(UnityEngine.Application.persistentDataPath, \"save.json\"));",
        ),
    );
}

#[test]
fn spk2005_path_from_input() {
    let d = fires(
        "SPK2005",
        "Util.cs",
        &plain("    public static string Read(string name) => File.ReadAllText(\"Saves/\" + name);"),
        "\"Saves/\" + name",
    );
    assert!(d.message.contains("Path.GetFileName"));
    silent(
        "Util.cs",
        &plain(
            "    public static string Read(string name) => File.ReadAllText(Path.Combine(\"Saves\", Path.GetFileName(name)));",
        ),
    );
}

#[test]
fn spk2006_plain_http() {
    let src = mono(
        "    IEnumerator Fetch() { using var r = UnityEngine.Networking.UnityWebRequest.Get(\"http://api.example.com/scores\"); yield return r.SendWebRequest(); }",
    );
    fires("SPK2006", "Player.cs", &src, "\"http://api");
    silent("Player.cs", &src.replace("http://api", "https://api"));
    silent("Player.cs", &src.replace("http://api.example.com", "http://localhost:8080"));
}

#[test]
fn spk2007_non_literal_url() {
    let src = mono(
        "    IEnumerator Fetch(string url) { using var r = UnityEngine.Networking.UnityWebRequest.Get(url); yield return r.SendWebRequest(); }",
    );
    fires("SPK2007", "Player.cs", &src, "url);");
    // A constant (or a string built on a fixed https origin) is known.
    let fixed = mono(
        "    const string Api = \"https://api.example.com\";\n    IEnumerator Fetch(int id) { using var r = UnityEngine.Networking.UnityWebRequest.Get(Api + \"/scores/\" + id); yield return r.SendWebRequest(); }",
    );
    silent("Player.cs", &fixed);
}

#[test]
fn spk2008_tls_bypass() {
    let src = plain(
        "    public static void Init() { System.Net.ServicePointManager.ServerCertificateValidationCallback = (s, c, ch, e) => true; }",
    );
    fires("SPK2008", "Util.cs", &src, "System.Net.ServicePointManager");
    let handler = "using UnityEngine.Networking;\npublic class AcceptAll : CertificateHandler\n{\n    protected override bool ValidateCertificate(byte[] certificateData) { return true; }\n}\n";
    fires("SPK2008", "AcceptAll.cs", handler, "ValidateCertificate");
    let pinned =
        handler.replace("return true;", "return certificateData != null && Pin.Matches(certificateData);");
    silent("AcceptAll.cs", &pinned);
}

#[test]
fn spk2009_hard_coded_secret() {
    fires("SPK2009", "Util.cs", &plain("    const string ApiKey = \"a8F3kL0pQz7Xw2Rt\";"), "\"a8F3");
    fires(
        "SPK2009",
        "Util.cs",
        &plain("    static string endpointAuth = \"Bearer sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123\";"),
        "\"Bearer",
    );
    silent(
        "Util.cs",
        &plain(
            "    const string ApiKey = \"YOUR_API_KEY\";\n    const string PasswordPrefKey = \"player_password\";\n    const string TokenLabel = \"Enter your token\";\n    static string apiKey = Environment.GetEnvironmentVariable(\"GAME_API_KEY\");",
        ),
    );
}

#[test]
fn spk2010_secret_in_player_prefs() {
    fires(
        "SPK2010",
        "Player.cs",
        &mono("    public void Save(string password) { PlayerPrefs.SetString(\"password\", password); }"),
        "PlayerPrefs.SetString",
    );
    silent(
        "Player.cs",
        &mono(
            "    public void Save(int score) { PlayerPrefs.SetInt(\"highscore\", score); PlayerPrefs.Save(); }",
        ),
    );
}

#[test]
fn spk2011_unsafe_code() {
    fires(
        "SPK2011",
        "Util.cs",
        &plain("    public static unsafe int First(int[] a) { fixed (int* p = a) { return *p; } }"),
        "unsafe",
    );
    silent("Util.cs", &plain("    public static int First(int[] a) => a[0];"));
}

#[test]
fn spk2012_native_interop() {
    let src = plain(
        "    [System.Runtime.InteropServices.DllImport(\"user32\")]\n    static extern int MessageBox(IntPtr h, string t, string c, int type);",
    );
    fires("SPK2012", "Util.cs", &src, "System.Runtime.InteropServices.DllImport");
    silent("Util.cs", &plain("    [Obsolete(\"use Other\")]\n    static int Old() => 1;"));
}

#[test]
fn spk2013_marshal() {
    fires(
        "SPK2013",
        "Util.cs",
        &plain(
            "    static void Copy(IntPtr p, byte[] b) { System.Runtime.InteropServices.Marshal.Copy(p, b, 0, b.Length); }",
        ),
        "System.Runtime",
    );
    silent(
        "Util.cs",
        &plain("    static int Size() => System.Runtime.InteropServices.Marshal.SizeOf<int>();"),
    );
}

#[test]
fn spk2014_broken_cipher() {
    fires("SPK2014", "Util.cs", &plain("    static object C() => DES.Create();"), "DES.Create");
    fires(
        "SPK2014",
        "Util.cs",
        &plain("    static void C(Aes a) { a.Mode = CipherMode.ECB; }"),
        "CipherMode.ECB",
    );
    silent("Util.cs", &plain("    static void C(Aes a) { a.Mode = CipherMode.CBC; a.GenerateIV(); }"));
}

#[test]
fn spk2015_weak_hash() {
    fires(
        "SPK2015",
        "Util.cs",
        &plain("    static byte[] H(byte[] b) { using var md5 = MD5.Create(); return md5.ComputeHash(b); }"),
        "MD5.Create",
    );
    silent(
        "Util.cs",
        &plain(
            "    static byte[] H(byte[] b) { using var sha = SHA256.Create(); return sha.ComputeHash(b); }",
        ),
    );
}

#[test]
fn spk2016_weak_rng_for_secret() {
    fires(
        "SPK2016",
        "Util.cs",
        &plain(
            "    static string GenerateToken() { var r = new Random(); return r.Next().ToString(\"x\"); }",
        ),
        "new Random",
    );
    fires(
        "SPK2016",
        "Util.cs",
        &plain("    static void S() { int salt = UnityEngine.Random.Range(0, 99999); }"),
        "UnityEngine.Random.Range",
    );
    silent(
        "Util.cs",
        &plain(
            "    static float Spread() { var r = new Random(); return (float)r.NextDouble(); }\n    static byte[] GenerateKey() { var k = new byte[32]; System.Security.Cryptography.RandomNumberGenerator.Fill(k); return k; }",
        ),
    );
}

#[test]
fn spk2017_xxe() {
    fires(
        "SPK2017",
        "Util.cs",
        &plain(
            "    static XmlReaderSettings S() => new XmlReaderSettings { DtdProcessing = DtdProcessing.Parse };",
        ),
        "DtdProcessing.Parse",
    );
    silent(
        "Util.cs",
        &plain(
            "    static XmlReaderSettings S() => new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null };",
        ),
    );
}

#[test]
fn spk2018_regex_without_timeout() {
    fires(
        "SPK2018",
        "Util.cs",
        &plain(
            "    static bool Ok(string input) => System.Text.RegularExpressions.Regex.IsMatch(input, \"^(a+)+$\");",
        ),
        "System.Text",
    );
    silent(
        "Util.cs",
        &plain(
            "    static bool Ok(string input) => System.Text.RegularExpressions.Regex.IsMatch(input, \"^(a+)+$\", RegexOptions.None, TimeSpan.FromMilliseconds(100));",
        ),
    );
}

// ---- Policy ---------------------------------------------------------------------------------

#[test]
fn policy_disables_and_overrides() {
    let src = mono("    void Update() { if (tag == \"A\") Debug.Log(1); }");
    let mut cfg = ValidationConfig::default();
    assert_eq!(validate_source(&src, "Player.cs", &cfg).len(), 1);
    cfg.disabled_rules = vec!["UNT0002".into()];
    assert!(validate_source(&src, "Player.cs", &cfg).is_empty());
    cfg.disabled_rules.clear();
    cfg.severity.insert("SPK1005".into(), Severity::Error);
    let d = validate_source(&src, "Player.cs", &cfg);
    assert_eq!(d[0].severity, Severity::Error);
    assert!(cfg.is_blocking(&d[0]));
    cfg.disabled_rules = vec!["SPK9999".into()];
    let e = cfg.validate().unwrap_err();
    assert!(e.to_string().contains("validation.disabled_rules"), "{e}");
    let e =
        spark_core::SparkConfig::from_toml_str("[validation]\ndisabled_rules = [\"NOPE\"]\n").unwrap_err();
    assert!(e.to_string().contains("validation.disabled_rules"), "{e}");
    let ok = spark_core::SparkConfig::from_toml_str(
        "[validation]\ndisabled_rules = [\"SPK1019\"]\nblock_on = \"warning\"\n[validation.severity]\nSPK2007 = \"error\"\n",
    )
    .unwrap();
    assert_eq!(ok.validation.severity.get("SPK2007"), Some(&Severity::Error));
}

#[test]
fn display_and_serde_like_a_compiler() {
    let d = run(&mono("    void Update() { if (tag == \"A\") Debug.Log(1); }"), "Assets/Player.cs");
    let shown = d[0].to_string();
    assert!(shown.starts_with("Assets/Player.cs:6:25: warning[SPK1005]: "), "{shown}");
    let json = serde_json::to_value(&d[0]).unwrap();
    assert_eq!(json["severity"], "warning");
    assert_eq!(json["rule"], "SPK1005");
    assert_eq!(json["line"], 6);
    let back: Diagnostic = serde_json::from_value(json).unwrap();
    assert_eq!(back, d[0]);
}

#[test]
fn columns_count_characters_not_bytes() {
    let src = mono("    void Update() { var s = \"ÄÖÜ→\"; if (tag == s) Debug.Log(s); }");
    let d = run(&src, "Player.cs");
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!((d[0].line, d[0].column), pos(&src, "tag =="));
    assert_eq!(d[0].column, 41);
}

#[test]
fn rule_table_is_documented() {
    let table = spark_core::validate::rules::markdown_table();
    for r in spark_core::validate::RULES {
        assert!(table.contains(r.id));
    }
    assert!(table.contains("| SPK1005 | warning | unity | UNT0002 |"));
}
