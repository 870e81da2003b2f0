//! Project-level validation: Editor folders and editor-only assembly definitions decide where
//! UnityEditor is allowed (SPK1002), a type declared twice in one assembly is SPK1027, a broken
//! asmdef is SPK1028, and the generation pipeline validates its files as one project.

use spark_core::validate::{Diagnostic, ProjectFile, ValidationConfig, validate_project};
use spark_core::{Spark, SparkConfig, validate_project_with};

const TOOL: &str = "using UnityEditor;\nusing UnityEngine;\n\npublic static class BuildTool\n{\n    [MenuItem(\"Tools/Build\")]\n    static void Build() { Debug.Log(\"built\"); }\n}\n";
const EDITOR_ONLY: &str = r#"{ "name": "Game.Tools", "references": [], "includePlatforms": ["Editor"] }"#;
const RUNTIME: &str = r#"{ "name": "Game.Runtime", "includePlatforms": [] }"#;

fn run(files: &[(&str, &str)], asmdefs: &[(&str, &str)]) -> Vec<Diagnostic> {
    let f: Vec<ProjectFile> = files.iter().map(|(p, c)| ProjectFile::new(*p, *c)).collect();
    let a: Vec<ProjectFile> = asmdefs.iter().map(|(p, c)| ProjectFile::new(*p, *c)).collect();
    validate_project(&f, &a, &ValidationConfig::default())
}

fn summary(d: &[Diagnostic]) -> Vec<(String, String, u32, u32)> {
    d.iter().map(|d| (d.file.clone(), d.rule.clone(), d.line, d.column)).collect()
}

#[test]
fn editor_only_asmdef_allows_unity_editor() {
    let d = run(&[("Assets/Tools/BuildTool.cs", TOOL)], &[("Assets/Tools/Game.Tools.asmdef", EDITOR_ONLY)]);
    assert!(d.is_empty(), "{d:#?}");
    // Deeper folders belong to the asmdef too.
    let d =
        run(&[("Assets/Tools/Build/BuildTool.cs", TOOL)], &[("Assets/Tools/Game.Tools.asmdef", EDITOR_ONLY)]);
    assert!(d.is_empty(), "{d:#?}");
}

#[test]
fn runtime_asmdef_or_no_asmdef_reports_unity_editor_with_the_file_name() {
    let expected = vec![("Assets/Tools/BuildTool.cs".to_string(), "SPK1002".to_string(), 1, 7)];
    let d = run(&[("Assets/Tools/BuildTool.cs", TOOL)], &[("Assets/Tools/Game.Runtime.asmdef", RUNTIME)]);
    assert_eq!(summary(&d), expected);
    let d = run(&[("Assets/Tools/BuildTool.cs", TOOL)], &[]);
    assert_eq!(summary(&d), expected);
    // An asmdef in a sibling folder (same prefix, other folder) does not own the file.
    let d = run(&[("Assets/Tools/BuildTool.cs", TOOL)], &[("Assets/Tool/Game.Tools.asmdef", EDITOR_ONLY)]);
    assert_eq!(summary(&d), expected);
    // Editor plus another platform is not editor-only.
    let both = r#"{ "name": "Game.Both", "includePlatforms": ["Editor", "WindowsStandalone64"] }"#;
    let d = run(&[("Assets/Tools/BuildTool.cs", TOOL)], &[("Assets/Tools/Game.Both.asmdef", both)]);
    assert_eq!(summary(&d), expected);
}

#[test]
fn nearest_asmdef_wins() {
    // A runtime asmdef nearer the file overrides an editor-only one further up.
    let d = run(
        &[("Assets/Tools/Runtime/BuildTool.cs", TOOL)],
        &[
            ("Assets/Tools/Game.Tools.asmdef", EDITOR_ONLY),
            ("Assets/Tools/Runtime/Game.Runtime.asmdef", RUNTIME),
        ],
    );
    assert_eq!(summary(&d), [("Assets/Tools/Runtime/BuildTool.cs".into(), "SPK1002".into(), 1, 7)]);
    // And the other way round.
    let d = run(
        &[("Assets\\Game\\Tools\\BuildTool.cs", TOOL)],
        &[
            ("Assets/Game/Game.Runtime.asmdef", RUNTIME),
            ("Assets\\Game\\Tools\\Game.Tools.asmdef", EDITOR_ONLY),
        ],
    );
    assert!(d.is_empty(), "{d:#?}");
}

#[test]
fn editor_folder_and_editor_guard_still_count() {
    let d = run(&[("Assets/Editor/BuildTool.cs", TOOL)], &[("Assets/Game.Runtime.asmdef", RUNTIME)]);
    assert!(d.is_empty(), "{d:#?}");
    let guarded = "#if UNITY_EDITOR\nusing UnityEditor;\n#endif\nusing UnityEngine;\n\npublic class Marker : MonoBehaviour\n{\n}\n";
    let d = run(&[("Assets/Marker.cs", guarded)], &[("Assets/Game.Runtime.asmdef", RUNTIME)]);
    assert!(d.is_empty(), "{d:#?}");
}

#[test]
fn duplicate_type_is_reported_at_the_second_declaration() {
    let a = "namespace Game\n{\n    public class Health { }\n}\n";
    let b = "using UnityEngine;\n\nnamespace Game\n{\n    public class Health { public int hp; }\n}\n";
    let d = run(&[("Assets/A.cs", a), ("Assets/B.cs", b)], &[]);
    assert_eq!(summary(&d), [("Assets/B.cs".into(), "SPK1027".into(), 5, 18)]);
    assert!(
        d[0].message.contains("`Game.Health`") && d[0].message.contains("Assets/A.cs"),
        "{}",
        d[0].message
    );
}

#[test]
fn same_name_in_other_namespace_assembly_arity_or_partial_is_fine() {
    let a = "namespace Game { public class Health { } }\n";
    let other_ns = "namespace Ui { public class Health { } }\n";
    let generic = "namespace Game { public class Health<T> { } }\n";
    let d = run(&[("A.cs", a), ("B.cs", other_ns), ("C.cs", generic)], &[]);
    assert!(d.is_empty(), "{d:#?}");
    let p1 = "namespace Game { public partial class Health { } }\n";
    let p2 = "namespace Game { public partial class Health { int x; } }\n";
    assert!(run(&[("A.cs", p1), ("B.cs", p2)], &[]).is_empty());
    // Two assemblies may each declare the type.
    let d = run(
        &[("Assets/Game/A.cs", a), ("Assets/Other/B.cs", a)],
        &[
            ("Assets/Game/Game.asmdef", r#"{"name":"Game"}"#),
            ("Assets/Other/Other.asmdef", r#"{"name":"Other"}"#),
        ],
    );
    assert!(d.is_empty(), "{d:#?}");
    // Without asmdefs an Editor folder is its own assembly (Assembly-CSharp-Editor).
    assert!(run(&[("Assets/A.cs", a), ("Assets/Editor/A.cs", a)], &[]).is_empty());
    // Declarations under #if may be alternatives.
    let cond = "#if UNITY_EDITOR\nnamespace Game { public class Health { } }\n#endif\n";
    assert!(run(&[("A.cs", a), ("B.cs", cond)], &[]).is_empty());
}

#[test]
fn duplicate_enum_struct_nested_and_global_types() {
    let a = "public enum Team { Red, Blue }\npublic class Outer { public struct Cell { } }\n";
    let b = "public struct Team { }\npublic class Outer2 { public struct Cell { } }\n";
    let d = run(&[("A.cs", a), ("B.cs", b)], &[]);
    assert_eq!(summary(&d), [("B.cs".into(), "SPK1027".into(), 1, 15)]);
    let c = "public class Other { }\npublic class Outer { }\n";
    let d = run(&[("A.cs", a), ("C.cs", c)], &[]);
    assert_eq!(summary(&d), [("C.cs".into(), "SPK1027".into(), 2, 14)]);
}

#[test]
fn malformed_asmdef_is_a_diagnostic_not_a_panic() {
    for bad in
        ["{ \"name\": \"Game\", ", "[1, 2]", "{\"includePlatforms\": \"Editor\"}", "", "\u{feff}{ nope }"]
    {
        let d = run(&[("Assets/Tools/BuildTool.cs", TOOL)], &[("Assets/Tools/Game.asmdef", bad)]);
        let rules: Vec<&str> = d.iter().map(|d| d.rule.as_str()).collect();
        // The broken asmdef does not make its folder editor code.
        assert_eq!(rules, ["SPK1028", "SPK1002"], "{bad:?}: {d:#?}");
        assert_eq!(d[0].file, "Assets/Tools/Game.asmdef");
    }
    let d = run(&[], &[("Game.asmdef", "{\n  \"name\": \"Game\",\n  oops\n}")]);
    assert_eq!(summary(&d), [("Game.asmdef".into(), "SPK1028".into(), 3, 3)]);
    // A BOM before valid JSON (Unity writes some asmdefs so) is fine.
    let d = run(&[("T/BuildTool.cs", TOOL)], &[("T/Game.Tools.asmdef", &format!("\u{feff}{EDITOR_ONLY}"))]);
    assert!(d.is_empty(), "{d:#?}");
}

#[test]
fn policy_applies_to_project_rules() {
    let mut cfg = ValidationConfig::default();
    cfg.disabled_rules.push("SPK1027".into());
    let a = ProjectFile::new("A.cs", "class Pool { }");
    let d = validate_project(&[a.clone(), ProjectFile::new("B.cs", "class Pool { }")], &[], &cfg);
    assert!(d.is_empty(), "{d:#?}");
}

#[test]
fn facade_checks_limits_and_uses_the_policy() {
    let mut config = SparkConfig::default();
    config.limits.max_source_bytes = 64;
    let big = ProjectFile::new("Big.cs", "// ".repeat(40));
    let e = validate_project_with(&[big], &[], &config).unwrap_err();
    assert_eq!(e.code().as_str(), "input_too_large");
    let spark =
        Spark::builder().provider(spark_core::Offline::new()).config(SparkConfig::default()).build().unwrap();
    let files = [ProjectFile::new("Assets/Tools/BuildTool.cs", TOOL)];
    let asmdefs = [ProjectFile::new("Assets/Tools/Tools.asmdef", EDITOR_ONLY)];
    assert!(spark.validate_project(&files, &asmdefs).unwrap().is_empty());
    assert_eq!(spark.validate_project(&files, &[]).unwrap()[0].rule, "SPK1002");
}

#[test]
fn a_name_also_declared_as_a_plain_class_is_not_taken_for_the_unity_one() {
    let asset =
        "using UnityEngine;\n\nnamespace Game\n{\n    public class Settings : ScriptableObject { }\n}\n";
    let plain = "namespace Game.Samples\n{\n    internal class Settings { public int Level; }\n}\n";
    let user = "namespace Game.Samples\n{\n    internal class Loader\n    {\n        Settings s = new Settings();\n    }\n}\n";
    // Only the ScriptableObject declares the name: `new` is SPK1011 at the creation.
    let d = run(&[("Assets/Settings.cs", asset), ("Assets/Samples/Loader.cs", user)], &[]);
    assert_eq!(
        summary(&d),
        [("Assets/Samples/Loader.cs".to_string(), "SPK1011".to_string(), 5, 22)],
        "{d:#?}"
    );
    // A plain class of the same name in another namespace: `new Settings()` may mean it.
    let d = run(
        &[
            ("Assets/Settings.cs", asset),
            ("Assets/Samples/SampleSettings.cs", plain),
            ("Assets/Samples/Loader.cs", user),
        ],
        &[],
    );
    assert!(d.iter().all(|d| d.rule != "SPK1011"), "{d:#?}");
    // The parts of one partial class are one type: still a ScriptableObject.
    let part = "namespace Game\n{\n    public partial class Settings { public int Level; }\n}\n";
    let asset_part = asset.replace("public class Settings", "public partial class Settings");
    let user_game = user.replace("Game.Samples", "Game");
    let d = run(
        &[
            ("Assets/Settings.cs", &asset_part),
            ("Assets/SettingsLevel.cs", part),
            ("Assets/Loader.cs", &user_game),
        ],
        &[],
    );
    assert_eq!(summary(&d), [("Assets/Loader.cs".to_string(), "SPK1011".to_string(), 5, 22)], "{d:#?}");
}
