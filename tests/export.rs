//! Export: archives checked by independent tools (Python's zipfile / tarfile, `unzip`, `tar`),
//! stable GUIDs, reproducible bytes, hostile names, and the import side's zip-slip and zip-bomb
//! protection.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use serde_json::Value;
use spark_core::export::{
    self, ExportConfig, ExportManifest, ImportLimits, MAX_NAME_BYTES, export, export_generated,
    export_to_dir, import, import_unitypackage, import_upm, import_zip, is_reserved_name, is_unity_guid,
};
use spark_core::{
    Diagnostic, ErrorCode, ExportFormat, GenerateRequest, GeneratedScripts, Offline, ScriptFile, Severity,
    Spark,
};

const CHECKER: &str = include_str!("export_check.py");

const PLAYER: &str = "using UnityEngine;\nusing TMPro;\n\npublic class Player : MonoBehaviour\n{\n    \
                      [SerializeField] private TMP_Text label;\n    void Update() { label.text = \
                      Time.time.ToString(); }\n}\n";
const ENEMY: &str = "using UnityEngine;\n\npublic class Enemy : MonoBehaviour\n{\n#if UNITY_EDITOR\n    void \
                     OnDrawGizmos() { UnityEditor.Handles.Label(transform.position, name); }\n#endif\n}\n";
const PLAYER_EDITOR: &str = "using UnityEditor;\nusing UnityEngine;\n\n[CustomEditor(typeof(Player))]\npublic \
                             class PlayerEditor : Editor\n{\n    public override void OnInspectorGUI() { \
                             base.OnInspectorGUI(); }\n}\n";

fn file(path: &str, content: &str) -> ScriptFile {
    ScriptFile { path: path.into(), content: content.into(), raw_path: None }
}

fn fixture() -> Vec<ScriptFile> {
    vec![file("Player.cs", PLAYER), file("Editor/PlayerEditor.cs", PLAYER_EDITOR), file("Enemy.cs", ENEMY)]
}

fn generated(files: Vec<ScriptFile>) -> GeneratedScripts {
    let diag = |severity, rule: &str| Diagnostic {
        severity,
        rule: rule.into(),
        message: "m".into(),
        file: "Player.cs".into(),
        line: 1,
        column: 1,
        end_line: 1,
        end_column: 2,
    };
    let diagnostics = vec![
        diag(Severity::Warning, "SPK0101"),
        diag(Severity::Warning, "SPK0101"),
        diag(Severity::Info, "SPK0200"),
    ];
    serde_json::from_value(serde_json::json!({
        "files": files,
        "diagnostics": diagnostics,
        "usage": {"input_tokens": 0, "output_tokens": 0},
        "cost_usd": null,
        "provider": "anthropic",
        "model": "claude-test",
        "offline": false,
        "raw": "",
        "rounds": [],
        "stop_reason": null,
        "request_id": "r-1",
        "provider_request_id": null,
        "request_hash": "ab".repeat(32),
        "verdicts": [],
    }))
    .expect("a result from JSON")
}

/// Runs the Python checker on an archive and returns its summary (it fails the test on any
/// broken Unity rule).
fn python_check(format: ExportFormat, bytes: &[u8]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join(format!("export.{}", format.extension()));
    std::fs::write(&archive, bytes).unwrap();
    let script = dir.path().join("export_check.py");
    std::fs::write(&script, CHECKER).unwrap();
    let out = Command::new("python3")
        .arg(&script)
        .arg(format.as_str())
        .arg(&archive)
        .output()
        .expect("python3 runs");
    assert!(out.status.success(), "python checker ({format}):\n{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Path → GUID of every asset the checker found.
fn guids(summary: &Value) -> BTreeMap<String, String> {
    summary["assets"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(p, a)| (p.clone(), a["guid"].as_str().unwrap().into()))
        .collect()
}

fn asset_paths(summary: &Value) -> BTreeSet<String> {
    summary["assets"].as_object().unwrap().keys().cloned().collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn cmd_available(name: &str) -> bool {
    Command::new(name).arg("--help").output().is_ok()
}

#[test]
fn zip_layout_checked_by_python_and_unzip() {
    let bytes = export_generated(&generated(fixture()), ExportFormat::Zip, &ExportConfig::default()).unwrap();
    let s = python_check(ExportFormat::Zip, &bytes);
    let g = "Assets/Generated";
    assert_eq!(
        asset_paths(&s),
        set(&[
            g,
            "Assets/Generated/Editor",
            "Assets/Generated/Editor/PlayerEditor.cs",
            "Assets/Generated/Editor/Spark.Generated.Editor.asmdef",
            "Assets/Generated/Scripts",
            "Assets/Generated/Scripts/Enemy.cs",
            "Assets/Generated/Scripts/Player.cs",
            "Assets/Generated/Scripts/Spark.Generated.asmdef",
            "Assets/Generated/spark-manifest.json",
        ])
    );
    // Fixed metadata: the ZIP epoch and fixed permissions.
    assert_eq!(s["timestamps"], serde_json::json!(["1980-01-01 00:00:00"]));
    assert_eq!(s["modes"], serde_json::json!(["0o644", "0o755"]));
    let entries: Vec<&str> = s["entries"].as_array().unwrap().iter().map(|e| e.as_str().unwrap()).collect();
    let mut sorted = entries.clone();
    sorted.sort_unstable();
    assert_eq!(entries, sorted, "entries are sorted");
    assert!(!entries.contains(&"Assets.meta"), "Assets/ itself has no meta");

    // Editor-only assembly for UnityEditor code, referencing the runtime one by name.
    let runtime = &s["asmdefs"]["Assets/Generated/Scripts/Spark.Generated.asmdef"];
    let editor = &s["asmdefs"]["Assets/Generated/Editor/Spark.Generated.Editor.asmdef"];
    assert_eq!(runtime["name"], "Spark.Generated");
    assert_eq!(runtime["includePlatforms"], serde_json::json!([]));
    assert_eq!(runtime["references"], serde_json::json!(["Unity.TextMeshPro"]), "TMPro is used");
    assert_eq!(runtime["autoReferenced"], true);
    assert_eq!(editor["name"], "Spark.Generated.Editor");
    assert_eq!(editor["includePlatforms"], serde_json::json!(["Editor"]));
    assert_eq!(editor["references"], serde_json::json!(["Spark.Generated"]));

    // Manifest provenance (its files were checked against the content by the checker).
    let m: ExportManifest = serde_json::from_value(s["manifest"].clone()).unwrap();
    assert_eq!(m.spark_version, spark_core::VERSION);
    assert_eq!(m.format, "zip");
    assert_eq!((m.provider.as_deref(), m.model.as_deref()), (Some("anthropic"), Some("claude-test")));
    assert_eq!(m.request_hash.as_deref(), Some("ab".repeat(32).as_str()));
    assert_eq!((m.validation.error, m.validation.warning, m.validation.info), (0, 2, 1));
    assert_eq!(m.validation.rules, ["SPK0101", "SPK0200"]);
    let editor_script = m.files.iter().find(|f| f.path.ends_with("PlayerEditor.cs")).unwrap();
    assert_eq!(editor_script.source.as_deref(), Some("Editor/PlayerEditor.cs"));
    assert_eq!(editor_script.assembly.as_deref(), Some("Spark.Generated.Editor"));

    if cmd_available("unzip") {
        let dir = tempfile::tempdir().unwrap();
        let zip = dir.path().join("x.zip");
        std::fs::write(&zip, &bytes).unwrap();
        let out = Command::new("unzip").arg("-tq").arg(&zip).output().unwrap();
        assert!(out.status.success(), "unzip -t: {}", String::from_utf8_lossy(&out.stdout));
    }
}

#[test]
fn upm_layout_checked_by_python_and_tar() {
    let cfg = ExportConfig {
        package_name: "com.acme.pickups".into(),
        package_version: "2.1.0-preview.3".into(),
        display_name: "Acme Pickups".into(),
        unity: "2022.3".into(),
        ..Default::default()
    };
    let bytes = export_generated(&generated(fixture()), ExportFormat::Upm, &cfg).unwrap();
    assert_eq!(&bytes[..3], &[0x1f, 0x8b, 8], "gzip");
    assert_eq!(&bytes[4..8], &[0, 0, 0, 0], "no gzip timestamp");
    assert_eq!(bytes[3] & 0x08, 0, "no file name in the gzip header");
    let s = python_check(ExportFormat::Upm, &bytes);
    assert_eq!(
        asset_paths(&s),
        set(&[
            "package/Editor",
            "package/Editor/Acme.Pickups.Editor.asmdef",
            "package/Editor/PlayerEditor.cs",
            "package/README.md",
            "package/Runtime",
            "package/Runtime/Acme.Pickups.asmdef",
            "package/Runtime/Enemy.cs",
            "package/Runtime/Player.cs",
            "package/package.json",
            "package/spark-manifest.json",
        ])
    );
    assert_eq!(s["assets"]["package/package.json"]["importer"], "PackageManifestImporter");
    let pj = &s["package_json"];
    assert_eq!(pj["name"], "com.acme.pickups");
    assert_eq!(pj["version"], "2.1.0-preview.3");
    assert_eq!(pj["displayName"], "Acme Pickups");
    assert_eq!(pj["unity"], "2022.3");
    assert!(pj["description"].as_str().is_some_and(|d| !d.is_empty()));
    assert_eq!(
        s["asmdefs"]["package/Editor/Acme.Pickups.Editor.asmdef"]["includePlatforms"],
        serde_json::json!(["Editor"])
    );
    assert_eq!(
        s["asmdefs"]["package/Editor/Acme.Pickups.Editor.asmdef"]["references"],
        serde_json::json!(["Acme.Pickups"])
    );
    assert_eq!(s["timestamps"].as_array().unwrap().len(), 1, "one fixed mtime");
    assert_eq!(s["modes"], serde_json::json!(["0o644"]));
    assert_eq!(s["manifest"]["package_id"], "com.acme.pickups");

    if cmd_available("tar") {
        let dir = tempfile::tempdir().unwrap();
        let tgz = dir.path().join("p.tgz");
        std::fs::write(&tgz, &bytes).unwrap();
        let out = Command::new("tar").arg("-tzf").arg(&tgz).output().unwrap();
        assert!(out.status.success());
        let listed = String::from_utf8(out.stdout).unwrap();
        assert!(listed.lines().all(|l| l.starts_with("package/")), "{listed}");
        assert!(listed.lines().any(|l| l == "package/Runtime.meta"), "{listed}");
    }
}

#[test]
fn unitypackage_layout_checked_by_python() {
    let bytes = export(&fixture(), ExportFormat::UnityPackage, &ExportConfig::default()).unwrap();
    let s = python_check(ExportFormat::UnityPackage, &bytes);
    let zip = python_check(
        ExportFormat::Zip,
        &export(&fixture(), ExportFormat::Zip, &ExportConfig::default()).unwrap(),
    );
    // Same assets, same GUIDs as the ZIP of the same files: both install into Assets/Generated.
    assert_eq!(guids(&s), guids(&zip));
    let m = &s["manifest"];
    assert_eq!(m["format"], "unitypackage");
    assert!(m["provider"].is_null() && m["request_hash"].is_null());
    // Every GUID folder is named after the GUID in its meta (checked by the script) and every
    // entry is `<guid>/`, `<guid>/asset`, `<guid>/asset.meta` or `<guid>/pathname`.
    assert_eq!(s["entries"].as_array().unwrap().len(), 9 * 3 + 6, "9 assets, 6 of them files");
}

#[test]
fn guids_are_well_formed_unique_and_stable() {
    let cfg = ExportConfig::default();
    for format in ExportFormat::ALL {
        let first = guids(&python_check(format, &export(&fixture(), format, &cfg).unwrap()));
        assert!(first.values().all(|g| is_unity_guid(g)));
        assert_eq!(first.values().collect::<BTreeSet<_>>().len(), first.len(), "{format}: unique");

        let again = guids(&python_check(format, &export(&fixture(), format, &cfg).unwrap()));
        assert_eq!(first, again, "{format}: re-export keeps every GUID");

        // Adding a script (and changing another's content) keeps the existing GUIDs.
        let mut more = fixture();
        more.push(file("Coin.cs", "using UnityEngine;\npublic class Coin : MonoBehaviour {}\n"));
        more[0].content.push_str("// changed\n");
        let bigger = guids(&python_check(format, &export(&more, format, &cfg).unwrap()));
        for (path, guid) in &first {
            assert_eq!(bigger.get(path), Some(guid), "{format}: {path} kept its GUID");
        }
        assert_eq!(bigger.len(), first.len() + 1);

        // Another package id gives other GUIDs (no clash when two exports share a project).
        let other = ExportConfig {
            root: "Other".into(),
            package_name: "com.acme.other".into(),
            ..Default::default()
        };
        let other = guids(&python_check(format, &export(&fixture(), format, &other).unwrap()));
        let a: BTreeSet<_> = first.values().collect();
        assert!(other.values().all(|g| !a.contains(g)), "{format}");
    }
}

#[test]
fn archives_are_byte_identical_across_exports() {
    let cfg = ExportConfig::default();
    let g = generated(fixture());
    for format in ExportFormat::ALL {
        let a = export_generated(&g, format, &cfg).unwrap();
        let b = export_generated(&g.clone(), format, &cfg).unwrap();
        assert!(a == b, "{format}: two exports differ");
        let c = export_generated(&g, format, &ExportConfig { compression_level: 0, ..cfg.clone() }).unwrap();
        assert_ne!(a, c, "{format}: the level is part of the output");
    }
}

#[test]
fn round_trip_through_the_import_side() {
    let files = fixture();
    let limits = ImportLimits::default();
    for format in ExportFormat::ALL {
        let bytes = export(&files, format, &ExportConfig::default()).unwrap();
        let back = import(&bytes, format, &limits).unwrap();
        let by_path: BTreeMap<&str, &[u8]> =
            back.iter().map(|f| (f.path.as_str(), f.bytes.as_slice())).collect();
        let prefix = if format == ExportFormat::Upm { "package/Runtime" } else { "Assets/Generated/Scripts" };
        assert_eq!(by_path[format!("{prefix}/Player.cs").as_str()], PLAYER.as_bytes(), "{format}");
        let editor = if format == ExportFormat::Upm { "package/Editor" } else { "Assets/Generated/Editor" };
        assert_eq!(by_path[format!("{editor}/PlayerEditor.cs").as_str()], PLAYER_EDITOR.as_bytes());
        // Every imported non-meta file has its meta, and the folders' metas came along.
        for f in &back {
            if !f.path.ends_with(".meta") {
                assert!(by_path.contains_key(format!("{}.meta", f.path).as_str()), "{format}: {}", f.path);
            }
        }
        assert!(by_path.contains_key(format!("{editor}.meta").as_str()), "{format}");
    }
}

#[test]
fn a_thousand_scripts_import_back_under_default_limits() {
    let files: Vec<ScriptFile> = (0..1000)
        .map(|i| file(&format!("Pickup{i}.cs"), &PLAYER.replace("class Player", &format!("class Pickup{i}"))))
        .collect();
    for format in ExportFormat::ALL {
        let bytes = export(&files, format, &ExportConfig::default()).unwrap();
        let back = import(&bytes, format, &ImportLimits::default()).unwrap();
        assert_eq!(back.iter().filter(|f| f.path.ends_with(".cs")).count(), 1000, "{format}");
    }
}

#[test]
fn export_to_dir_writes_what_the_zip_holds() {
    let project = tempfile::tempdir().unwrap();
    export_to_dir(&fixture(), &ExportConfig::default(), project.path()).unwrap();
    let zip = import_zip(
        &export(&fixture(), ExportFormat::Zip, &ExportConfig::default()).unwrap(),
        &ImportLimits::default(),
    )
    .unwrap();
    let on_disk = walk(project.path());
    assert_eq!(on_disk, zip.iter().map(|f| f.path.clone()).collect::<Vec<_>>());
    for f in zip.iter().filter(|f| !f.path.ends_with("spark-manifest.json")) {
        assert_eq!(std::fs::read(project.path().join(&f.path)).unwrap(), f.bytes, "{}", f.path);
    }
}

#[test]
fn guarded_editor_code_stays_runtime_and_no_editor_folder_without_editor_code() {
    let files = vec![file("Enemy.cs", ENEMY)];
    let s = python_check(
        ExportFormat::Zip,
        &export(&files, ExportFormat::Zip, &ExportConfig::default()).unwrap(),
    );
    let paths = asset_paths(&s);
    assert!(paths.contains("Assets/Generated/Scripts/Enemy.cs"));
    assert!(!paths.iter().any(|p| p.contains("/Editor")), "{paths:?}");
    assert_eq!(s["asmdefs"].as_object().unwrap().len(), 1);

    // Only editor code: no runtime assembly, and the editor one references nothing missing.
    let files = vec![file(
        "Tool.cs",
        "using UnityEditor;\npublic static class Tool { [MenuItem(\"A/B\")] static void Go() {} }\n",
    )];
    let s = python_check(
        ExportFormat::Upm,
        &export(&files, ExportFormat::Upm, &ExportConfig::default()).unwrap(),
    );
    let asmdefs = s["asmdefs"].as_object().unwrap();
    assert_eq!(asmdefs.keys().collect::<Vec<_>>(), ["package/Editor/Spark.Generated.Editor.asmdef"]);
    assert_eq!(asmdefs["package/Editor/Spark.Generated.Editor.asmdef"]["references"], serde_json::json!([]));

    // Without assembly definitions the Editor folder still keeps editor code out of players.
    let cfg = ExportConfig { assembly_definitions: false, ..Default::default() };
    let s = python_check(ExportFormat::Zip, &export(&fixture(), ExportFormat::Zip, &cfg).unwrap());
    assert!(s["asmdefs"].as_object().unwrap().is_empty());
    assert!(asset_paths(&s).contains("Assets/Generated/Editor/PlayerEditor.cs"));
    let m: ExportManifest = serde_json::from_value(s["manifest"].clone()).unwrap();
    let assembly = |name: &str| m.files.iter().find(|f| f.path.ends_with(name)).unwrap().assembly.clone();
    assert_eq!(assembly("/PlayerEditor.cs").as_deref(), Some("Assembly-CSharp-Editor"));
    assert_eq!(assembly("/Player.cs").as_deref(), Some("Assembly-CSharp"));
}

const HOSTILE: &[&str] = &[
    "../../etc/passwd",
    "C:\\x.cs",
    "C:x.cs",
    "/abs.cs",
    "\\\\server\\share\\unc.cs",
    "con.cs",
    "CON.cs",
    "aux",
    "Com1.extra.cs",
    "a\0b.cs",
    "line\nbreak.cs",
    "a/../../b.cs",
    "trailing.cs. . ",
    "what?<>|*\".cs",
    "Ünïcödé_名前.cs",
    "\u{202E}gnp.cs",
    "..",
    "",
];

fn hostile_files() -> Vec<ScriptFile> {
    let mut files: Vec<ScriptFile> =
        HOSTILE.iter().enumerate().map(|(i, n)| file(n, &format!("public class Script{i} {{}}\n"))).collect();
    files.push(file(&"x".repeat(300), "public class Long {}\n"));
    files.push(file(&format!("{}.cs", "é".repeat(150)), "public class LongUnicode {}\n"));
    files.push(file("Player.cs", PLAYER));
    files.push(file("player.cs", PLAYER));
    files.push(file("PLAYER.CS", PLAYER));
    files
}

fn assert_safe_name(name: &str) {
    assert!(name.ends_with(".cs") && name.len() <= MAX_NAME_BYTES, "{name:?}");
    assert!(!name.chars().any(|c| c.is_control() || "<>:\"|?*/\\".contains(c)), "{name:?}");
    assert!(!name.starts_with('.') && !is_reserved_name(name), "{name:?}");
    assert!(!name.contains('\u{202E}'), "{name:?}");
}

#[test]
fn hostile_names_are_sanitised_in_every_format() {
    let files = hostile_files();
    for format in ExportFormat::ALL {
        let bytes = export(&files, format, &ExportConfig::default()).unwrap();
        let s = python_check(format, &bytes);
        let dir = if format == ExportFormat::Upm { "package/Runtime/" } else { "Assets/Generated/Scripts/" };
        let scripts: Vec<String> = asset_paths(&s).into_iter().filter(|p| p.ends_with(".cs")).collect();
        assert_eq!(scripts.len(), files.len(), "{format}: every script kept: {scripts:?}");
        let mut lower = BTreeSet::new();
        for p in &scripts {
            let name = p.strip_prefix(dir).unwrap_or_else(|| panic!("{format}: {p} outside {dir}"));
            assert!(!name.contains('/'), "{p}");
            assert_safe_name(name);
            assert!(lower.insert(name.to_lowercase()), "{format}: {name} clashes ignoring case");
        }
        for expected in ["passwd.cs", "x.cs", "C_x.cs", "abs.cs", "unc.cs", "con_.cs", "CON__2.cs", "aux_.cs"]
        {
            assert!(scripts.contains(&format!("{dir}{expected}")), "{format}: {expected} in {scripts:?}");
        }
        for expected in ["Com1_.extra.cs", "ab.cs", "linebreak.cs", "b.cs", "trailing.cs", "what______.cs"] {
            assert!(scripts.contains(&format!("{dir}{expected}")), "{format}: {expected} in {scripts:?}");
        }
        assert!(scripts.contains(&format!("{dir}Ünïcödé_名前.cs")));
        // `..` and the empty name are named after the class they declare.
        assert!(
            scripts.contains(&format!("{dir}Script16.cs")) && scripts.contains(&format!("{dir}Script17.cs"))
        );
        for expected in ["Player.cs", "player_2.cs", "PLAYER_3.cs"] {
            assert!(scripts.contains(&format!("{dir}{expected}")), "{format}: {expected}");
        }
        // The import side accepts what the export side wrote.
        import(&bytes, format, &ImportLimits::default()).unwrap();
    }
}

/// Every regular file below `dir`, relative, `/`-separated.
fn walk(dir: &Path) -> Vec<String> {
    fn go(base: &Path, dir: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            let t = e.file_type().unwrap();
            if t.is_dir() {
                go(base, &e.path(), out);
            } else {
                out.push(e.path().strip_prefix(base).unwrap().to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let mut out = Vec::new();
    go(dir, dir, &mut out);
    out.sort();
    out
}

#[test]
fn export_to_dir_never_leaves_the_project() {
    let outer = tempfile::tempdir().unwrap();
    let project = outer.path().join("project");
    std::fs::create_dir(&project).unwrap();
    let written = export_to_dir(&hostile_files(), &ExportConfig::default(), &project).unwrap();
    let all = walk(outer.path());
    assert!(
        all.iter()
            .all(|p| p == "project/Assets/Generated.meta" || p.starts_with("project/Assets/Generated/")),
        "{all:?}"
    );
    let canon = std::fs::canonicalize(&project).unwrap();
    assert!(written.iter().all(|p| p.starts_with(&canon)));
    assert_eq!(written.len(), all.len(), "returns what it wrote");
    // Every file and folder written has its meta.
    for p in &all {
        if let Some(asset) = p.strip_suffix(".meta") {
            assert!(outer.path().join(asset).exists(), "orphan {p}");
        } else {
            assert!(all.contains(&format!("{p}.meta")), "{p} has no meta");
        }
    }
    for folder in ["Generated", "Generated/Scripts"] {
        assert!(project.join("Assets").join(format!("{folder}.meta")).is_file());
    }
    assert!(!project.join("Assets.meta").exists());
    let m: ExportManifest =
        serde_json::from_slice(&std::fs::read(project.join("Assets/Generated/spark-manifest.json")).unwrap())
            .unwrap();
    assert_eq!(m.format, "folder");
}

#[test]
fn export_to_dir_replaces_files_and_keeps_their_guids() {
    let project = tempfile::tempdir().unwrap();
    let cfg = ExportConfig::default();
    export_to_dir(&fixture(), &cfg, project.path()).unwrap();
    let meta = project.path().join("Assets/Generated/Scripts/Player.cs.meta");
    let before = std::fs::read_to_string(&meta).unwrap();
    let mut files = fixture();
    files[0].content = "public class Player : UnityEngine.MonoBehaviour {}\n".into();
    export_to_dir(&files, &cfg, project.path()).unwrap();
    assert_eq!(std::fs::read_to_string(&meta).unwrap(), before);
    assert_eq!(
        std::fs::read_to_string(project.path().join("Assets/Generated/Scripts/Player.cs")).unwrap(),
        files[0].content
    );
    assert!(!walk(project.path()).iter().any(|p| p.contains("spark-tmp")), "no temporary left");
}

#[cfg(unix)]
#[test]
fn export_to_dir_refuses_to_follow_links() {
    use std::os::unix::fs::symlink;
    let outer = tempfile::tempdir().unwrap();
    let outside = outer.path().join("outside");
    std::fs::create_dir(&outside).unwrap();
    let project = outer.path().join("project");
    std::fs::create_dir_all(project.join("Assets")).unwrap();
    // A folder link where the export root belongs.
    symlink(&outside, project.join("Assets/Generated")).unwrap();
    let e = export_to_dir(&fixture(), &ExportConfig::default(), &project).unwrap_err();
    assert_eq!(e.code(), ErrorCode::Export, "{e}");
    assert!(walk(&outside).is_empty(), "nothing written through the link");

    // A file link where a script belongs: the target outside stays untouched.
    std::fs::remove_file(project.join("Assets/Generated")).unwrap();
    std::fs::create_dir_all(project.join("Assets/Generated/Scripts")).unwrap();
    let victim = outside.join("victim.txt");
    std::fs::write(&victim, "keep me").unwrap();
    symlink(&victim, project.join("Assets/Generated/Scripts/Player.cs")).unwrap();
    let e = export_to_dir(&fixture(), &ExportConfig::default(), &project).unwrap_err();
    assert_eq!(e.code(), ErrorCode::Export, "{e}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");
}

#[test]
fn names_that_cannot_be_type_names_follow_the_declared_class() {
    let files = vec![
        file("player controller.cs", "public class PlayerController : UnityEngine.MonoBehaviour {}\n"),
        file("Player.Movement.cs", "public partial class Player {}\n"),
        file("2d-camera.cs", "// no type here\n"),
    ];
    let back = import_zip(
        &export(&files, ExportFormat::Zip, &ExportConfig::default()).unwrap(),
        &ImportLimits::default(),
    )
    .unwrap();
    let scripts: Vec<&str> = back
        .iter()
        .filter_map(|f| f.path.strip_prefix("Assets/Generated/Scripts/"))
        .filter(|p| p.ends_with(".cs"))
        .collect();
    assert_eq!(scripts, ["2d-camera.cs", "Player.Movement.cs", "PlayerController.cs"]);
}

#[test]
fn unusable_names_and_limits_are_typed_errors() {
    let cfg = ExportConfig::default();
    // No name left and no type to name the file after.
    let e = export(&[file("../", "// nothing here\n")], ExportFormat::Zip, &cfg).unwrap_err();
    assert_eq!(e.code(), ErrorCode::Export);
    assert!(!e.to_string().contains('\n'));
    let e = export(&[], ExportFormat::Zip, &cfg).unwrap_err();
    assert_eq!(e.code(), ErrorCode::Export);

    let few = ExportConfig { max_files: 2, ..cfg.clone() };
    assert_eq!(export(&fixture(), ExportFormat::Zip, &few).unwrap_err().code(), ErrorCode::Export);
    let small = ExportConfig { max_file_bytes: 100, ..cfg.clone() };
    let e = export(&fixture(), ExportFormat::Upm, &small).unwrap_err();
    assert_eq!(e.code(), ErrorCode::Export);
    assert!(e.to_string().contains("max_file_bytes"), "{e}");
    let total = ExportConfig { max_total_bytes: 300, ..cfg.clone() };
    let e = export(&fixture(), ExportFormat::UnityPackage, &total).unwrap_err();
    assert!(e.to_string().contains("max_total_bytes"), "{e}");
    // A bad configuration passed directly (not through SparkConfig) is caught too.
    let bad = ExportConfig { package_name: "Not A Name".into(), ..cfg };
    assert_eq!(export(&fixture(), ExportFormat::Upm, &bad).unwrap_err().code(), ErrorCode::InvalidConfig);
}

#[test]
fn export_config_loads_from_the_export_section() {
    let cfg = spark_core::SparkConfig::from_toml_str(
        "[export]\nroot = \"Pickups\"\npackage_name = \"com.acme.pickups\"\nmax_files = 10\n",
    )
    .unwrap();
    assert_eq!(cfg.export.root, "Pickups");
    assert_eq!(cfg.export.max_files, 10);
    assert_eq!(cfg.export.unity, "2021.3");
    assert!(spark_core::SparkConfig::from_toml_str("[export]\nunknown = 1\n").is_err());
    match spark_core::SparkConfig::from_toml_str("[export]\npackage_name = \"My Tool\"\n") {
        Err(spark_core::Error::Config { field, message }) => {
            assert_eq!(field, "export.package_name");
            assert!(message.contains("com.spark.my-tool"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn spark_export_records_the_generation() {
    let spark = Spark::builder().provider(Offline::new()).build().unwrap();
    let out = spark.generate(GenerateRequest::new("a rotating pickup")).await.unwrap();
    for format in ExportFormat::ALL {
        let bytes = spark.export(&out, format).unwrap();
        let s = python_check(format, &bytes);
        assert_eq!(s["manifest"]["provider"], out.provider.as_str(), "{format}");
        assert_eq!(s["manifest"]["request_hash"], out.request_hash.as_str());
        assert_eq!(s["manifest"]["validation"]["rules"].as_array().unwrap().len(), {
            out.diagnostics.iter().map(|d| &d.rule).collect::<BTreeSet<_>>().len()
        });
    }
}

// ---- import side: hostile archives, built with Python's zipfile / tarfile ----

/// Runs a Python snippet with `out` bound to a fresh path, and returns the bytes it wrote.
fn python_archive(body: &str) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("archive");
    let code = format!("import io, tarfile, zipfile, gzip, sys\nout = sys.argv[1]\n{body}\n");
    let run = Command::new("python3").arg("-c").arg(&code).arg(&out).output().expect("python3 runs");
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    std::fs::read(out).unwrap()
}

fn zip_with(names: &[&str]) -> Vec<u8> {
    python_archive(&format!(
        "with zipfile.ZipFile(out, 'w', zipfile.ZIP_DEFLATED) as z:\n    for n in {names:?}:\n        \
         z.writestr(zipfile.ZipInfo(n), b'class Evil {{}}')"
    ))
}

fn tgz_with(names: &[&str]) -> Vec<u8> {
    python_archive(&format!(
        "with tarfile.open(out, 'w:gz') as t:\n    for n in {names:?}:\n        data = b'x'\n        \
         i = tarfile.TarInfo(n); i.size = len(data); t.addfile(i, io.BytesIO(data))"
    ))
}

fn assert_unsafe(r: spark_core::Result<Vec<export::ImportedFile>>, what: &str) {
    match r {
        Err(e) => assert_eq!(e.code(), ErrorCode::UnsafeArchive, "{what}: {e}"),
        Ok(files) => panic!("{what}: accepted {:?}", files.iter().map(|f| &f.path).collect::<Vec<_>>()),
    }
}

#[test]
fn zip_slip_is_rejected() {
    let limits = ImportLimits::default();
    for bad in [
        "../evil.cs",
        "Assets/../../evil.cs",
        "/abs/evil.cs",
        "C:/evil.cs",
        "C:evil.cs",
        "a\\..\\..\\evil.cs",
        "Assets/con.cs",
    ] {
        assert_unsafe(import_zip(&zip_with(&["Assets/ok.cs", bad]), &limits), bad);
    }
    // Duplicates that would overwrite each other on Windows or macOS.
    assert_unsafe(import_zip(&zip_with(&["Assets/A.cs", "Assets/a.cs"]), &limits), "case duplicate");
    // A symbolic link entry.
    let link = python_archive(
        "with zipfile.ZipFile(out, 'w') as z:\n    i = zipfile.ZipInfo('Assets/link.cs')\n    \
         i.create_system = 3\n    i.external_attr = (0o120777 << 16)\n    z.writestr(i, '/etc/passwd')",
    );
    assert_unsafe(import_zip(&link, &limits), "symlink");
    // Garbage is a malformed argument, not a crash.
    assert_eq!(import_zip(b"not a zip", &limits).unwrap_err().code(), ErrorCode::InvalidArgument);
}

#[test]
fn tar_slip_and_links_are_rejected() {
    let limits = ImportLimits::default();
    for bad in ["../evil.cs", "package/../../evil.cs", "/etc/evil.cs", "C:/evil.cs"] {
        assert_unsafe(import_upm(&tgz_with(&["package/ok.cs", bad]), &limits), bad);
    }
    let link = python_archive(
        "with tarfile.open(out, 'w:gz') as t:\n    i = tarfile.TarInfo('package/Runtime/A.cs')\n    \
         i.type = tarfile.SYMTYPE\n    i.linkname = '/etc/passwd'\n    t.addfile(i)",
    );
    assert_unsafe(import_upm(&link, &limits), "symlink");
    let hard = python_archive(
        "with tarfile.open(out, 'w:gz') as t:\n    i = tarfile.TarInfo('package/Runtime/A.cs')\n    \
         i.type = tarfile.LNKTYPE\n    i.linkname = '../../etc/passwd'\n    t.addfile(i)",
    );
    assert_unsafe(import_upm(&hard, &limits), "hard link");

    // .unitypackage: a pathname that escapes, a folder that is not a GUID, a shared pathname.
    let g1 = "0123456789abcdef0123456789abcdef";
    let g2 = "fedcba9876543210fedcba9876543210";
    let unitypackage = |entries: &[(String, &str)]| {
        python_archive(&format!(
            "with tarfile.open(out, 'w:gz') as t:\n    for n, d in {entries:?}:\n        d = d.encode()\n        \
             i = tarfile.TarInfo(n); i.size = len(d); t.addfile(i, io.BytesIO(d))"
        ))
    };
    let ok = unitypackage(&[
        (format!("{g1}/asset"), "class A {}"),
        (format!("{g1}/pathname"), "Assets/A.cs\n00"),
        (format!("{g1}/asset.meta"), "fileFormatVersion: 2"),
    ]);
    let files = import_unitypackage(&ok, &limits).unwrap();
    assert_eq!(
        files.iter().map(|f| f.path.as_str()).collect::<Vec<_>>(),
        ["Assets/A.cs", "Assets/A.cs.meta"]
    );
    for pathname in
        ["../../../.bashrc", "/etc/passwd", "Assets/../../x.cs", "C:\\Windows\\x.cs", "Assets/NUL.cs"]
    {
        let bad = unitypackage(&[(format!("{g1}/asset"), "x"), (format!("{g1}/pathname"), pathname)]);
        assert_unsafe(import_unitypackage(&bad, &limits), pathname);
    }
    let not_guid = unitypackage(&[("../asset".into(), "x"), ("evil/pathname".into(), "Assets/x.cs")]);
    assert_unsafe(import_unitypackage(&not_guid, &limits), "not a GUID folder");
    let shared = unitypackage(&[
        (format!("{g1}/asset"), "a"),
        (format!("{g1}/pathname"), "Assets/A.cs"),
        (format!("{g2}/asset"), "b"),
        (format!("{g2}/pathname"), "Assets/a.cs"),
    ]);
    assert_unsafe(import_unitypackage(&shared, &limits), "shared pathname");
}

#[test]
fn zip_bombs_are_rejected_while_reading() {
    // 100 MB of zeros deflates to about 100 KB.
    let bomb = python_archive(
        "with zipfile.ZipFile(out, 'w', zipfile.ZIP_DEFLATED) as z:\n    \
         z.writestr('Assets/Bomb.cs', bytes(100_000_000))",
    );
    assert!(bomb.len() < 1_000_000, "{}", bomb.len());
    let limits = ImportLimits::default();
    assert_unsafe(import_zip(&bomb, &limits), "ratio");
    // With the ratio check off, the total limit stops it, counted on real output.
    let no_ratio = ImportLimits { max_ratio: u64::MAX, max_total_bytes: 4 << 20, ..limits };
    assert_unsafe(import_zip(&bomb, &no_ratio), "total");

    // A header that lies about the size (claims 10 bytes) is not trusted.
    let lying = python_archive(
        "import struct\nbuf = io.BytesIO()\nwith zipfile.ZipFile(buf, 'w', zipfile.ZIP_DEFLATED) as z:\n    \
         z.writestr('Assets/Bomb.cs', bytes(20_000_000))\nb = bytearray(buf.getvalue())\n\
         cd = b.rfind(b'PK\\x01\\x02')\nstruct.pack_into('<I', b, cd + 24, 10)\nstruct.pack_into('<I', b, 22, 10)\n\
         open(out, 'wb').write(b)",
    );
    let lie_limits = ImportLimits { max_ratio: u64::MAX, max_total_bytes: 4 << 20, ..limits };
    let e = import_zip(&lying, &lie_limits).unwrap_err();
    assert_eq!(e.code(), ErrorCode::UnsafeArchive, "{e}");
    assert!(e.to_string().contains("declared size"), "{e}");

    // Many entries.
    let many = python_archive(
        "with zipfile.ZipFile(out, 'w') as z:\n    for i in range(50):\n        z.writestr(f'Assets/F{i}.cs', b'x')",
    );
    assert_unsafe(import_zip(&many, &ImportLimits { max_entries: 10, ..limits }), "entries");

    // The same for gzip tars: 100 MB of zeros in a .tgz and in a .unitypackage.
    let tar_bomb = python_archive(
        "with tarfile.open(out, 'w:gz') as t:\n    data = bytes(100_000_000)\n    \
         i = tarfile.TarInfo('package/Bomb.cs'); i.size = len(data); t.addfile(i, io.BytesIO(data))",
    );
    assert_unsafe(import_upm(&tar_bomb, &limits), "tgz ratio");
    assert_unsafe(import_upm(&tar_bomb, &no_ratio), "tgz total");
    let up_bomb = python_archive(
        "with tarfile.open(out, 'w:gz') as t:\n    data = bytes(100_000_000)\n    \
         i = tarfile.TarInfo('0123456789abcdef0123456789abcdef/asset'); i.size = len(data); \
         t.addfile(i, io.BytesIO(data))",
    );
    assert_unsafe(import_unitypackage(&up_bomb, &limits), "unitypackage ratio");
}

#[test]
fn export_format_parses_bindings_strings() {
    for (s, f) in [
        ("zip", ExportFormat::Zip),
        ("upm", ExportFormat::Upm),
        ("tgz", ExportFormat::Upm),
        ("unitypackage", ExportFormat::UnityPackage),
    ] {
        assert_eq!(s.parse::<ExportFormat>().unwrap(), f);
        assert_eq!(serde_json::from_value::<ExportFormat>(Value::String(s.into())).unwrap(), f);
    }
    assert_eq!(ExportFormat::Upm.to_string(), "upm");
    let e = "rar".parse::<ExportFormat>().unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidArgument);
}
