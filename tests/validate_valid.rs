//! No false positives: every script in tests/fixtures/valid (modern Unity C#, C# 9–12 features)
//! validates without a single diagnostic, alone and as one set.

use std::path::Path;

use spark_core::ScriptFile;
use spark_core::validate::{ValidationConfig, validate_files, validate_source};

fn fixtures() -> Vec<ScriptFile> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/valid");
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
fn at_least_forty_valid_scripts() {
    assert!(fixtures().len() >= 40, "{}", fixtures().len());
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
fn fixtures_cover_modern_csharp() {
    let all: String = fixtures().into_iter().map(|f| f.content).collect();
    for feature in [
        "record ",                  // records (C# 9)
        " with {",                  // with-expressions
        "init;",                    // init-only setters
        "switch\n",                 // switch expressions
        " and ",                    // pattern combinators
        "is not null",              // negated patterns
        "namespace Game.Settings;", // file-scoped namespaces (C# 10)
        "\"\"\"",                   // raw strings (C# 11)
        "required ",                // required members (C# 11)
        "[.., var last]",           // list patterns (C# 11)
        ".. var rest]",             // slice designation
        "= [",                      // collection expressions (C# 12)
        "class Chase(",             // primary constructors (C# 12)
        "async ",                   // async/await
        "await ",
        "static ", // static lambdas / local functions
        "$\"\"",   // empty interpolated string
        "#if UNITY_EDITOR",
    ] {
        assert!(all.contains(feature), "no fixture uses `{feature}`");
    }
}
