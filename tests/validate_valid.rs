//! No false positives: every script in tests/fixtures/valid (modern Unity C#, up to C# 9, the
//! language Unity compiles) validates without a single diagnostic, alone and as one set. The
//! scripts in tests/fixtures/post9 use later C# features: each is reported by SPK1020 and by
//! nothing else.

use std::path::Path;

use spark_core::ScriptFile;
use spark_core::validate::{
    ProjectFile, ValidationConfig, validate_files, validate_project, validate_source,
};

fn fixtures() -> Vec<ScriptFile> {
    scripts("valid")
}

fn scripts(folder: &str) -> Vec<ScriptFile> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures").join(folder);
    let mut paths = Vec::new();
    let mut dirs = vec![dir.clone()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|e| e == "cs") {
                paths.push(p);
            }
        }
    }
    let mut files: Vec<ScriptFile> = paths
        .into_iter()
        .map(|p| {
            let rel = p.strip_prefix(&dir).unwrap().to_string_lossy().replace('\\', "/");
            ScriptFile { path: rel, content: std::fs::read_to_string(&p).unwrap(), raw_path: None }
        })
        .collect();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files
}

#[test]
fn at_least_one_hundred_valid_scripts() {
    assert!(fixtures().len() >= 100, "{}", fixtures().len());
}

#[test]
fn every_valid_script_is_clean_alone() {
    let cfg = ValidationConfig::default();
    let mut failures = Vec::new();
    for f in fixtures() {
        for d in validate_source(&f.content, &f.path, &cfg) {
            failures.push(d.to_string());
        }
    }
    assert!(failures.is_empty(), "false positives:\n{}", failures.join("\n"));
}

#[test]
fn valid_scripts_are_clean_as_a_set() {
    let d = validate_files(&fixtures(), &ValidationConfig::default());
    assert!(d.is_empty(), "{d:#?}");
}

#[test]
fn valid_scripts_are_clean_as_one_project() {
    // Also no type declared twice: the corpus compiles as one Unity project.
    let files: Vec<ProjectFile> =
        fixtures().into_iter().map(|f| ProjectFile::new(f.path, f.content)).collect();
    let d = validate_project(&files, &[], &ValidationConfig::default());
    assert!(d.is_empty(), "{d:#?}");
}

#[test]
fn fixtures_cover_modern_csharp() {
    let all: String = fixtures().into_iter().map(|f| format!("// {}\n{}", f.path, f.content)).collect();
    for feature in [
        "record ",     // records (C# 9)
        " with {",     // with-expressions
        "init;",       // init-only setters
        "switch\n",    // switch expressions
        " and ",       // pattern combinators
        "is not null", // negated patterns
        "new()",       // target-typed new
        "??=",         // null-coalescing assignment (C# 8)
        "async ",      // async/await
        "await ",
        "static ", // static lambdas / local functions
        "$\"\"",   // empty interpolated string
        "#if UNITY_EDITOR",
        "InputAction", // the new Input System
        "UIDocument",  // UI Toolkit
        "CreateAssetMenu",
        "Awaitable.",  // Unity 2023.1+ async
        "IEnumerator", // coroutines
        "IJobParallelFor",
        "[BurstCompile]",
        "UnityEvent",
        " where T : ", // generic constraints
        "Editor/",     // editor scripts (paths)
    ] {
        assert!(all.contains(feature), "no fixture uses `{feature}`");
    }
}

/// Each post-C# 9 script is reported by the version rule only, and clean without it.
#[test]
fn post9_scripts_are_version_errors_only() {
    let files = scripts("post9");
    assert!(files.len() >= 10, "{}", files.len());
    let cfg = ValidationConfig::default();
    for f in &files {
        let d = validate_source(&f.content, &f.path, &cfg);
        assert!(!d.is_empty(), "{}: no SPK1020", f.path);
        assert!(d.iter().all(|d| d.rule == "SPK1020"), "{}: {d:#?}", f.path);
    }
    let off = ValidationConfig { disabled_rules: vec!["SPK1020".into()], ..Default::default() };
    assert!(validate_files(&files, &off).is_empty());
}
