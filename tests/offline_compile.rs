//! The offline scaffold's scripts compile: Mono's `mcs` builds every reply of the request corpus
//! (which exercises every mechanic) plus awkward requests, each reply's files together, against
//! compile-only stand-ins for UnityEngine, uGUI, TextMeshPro and UnityEditor
//! (tests/fixtures/unity-stub). Needs `mcs` (Debian package mono-mcs, which scripts/setup.sh
//! installs); without it the test fails under CI and is skipped locally.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use spark_core::provider::scaffold;

use crate::offline_corpus::{EXTRA, corpus};

/// A path relative to a batch folder and its source.
type SourceFile = (String, String);

fn mcs_available() -> bool {
    Command::new("mcs").arg("--version").output().map(|o| o.status.success()).unwrap_or(false)
}

fn run(cmd: &mut Command) {
    let out = cmd.output().expect("spawn");
    assert!(
        out.status.success(),
        "{:?} failed:\n{}{}",
        cmd,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Top-level type names a file declares (column 0 `public ... class|interface|struct|enum X`).
fn declared(source: &str) -> BTreeSet<String> {
    source
        .lines()
        .filter(|l| l.starts_with("public "))
        .filter_map(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            let at = words.iter().position(|w| matches!(*w, "class" | "interface" | "struct" | "enum"))?;
            words.get(at + 1).map(|n| n.trim_end_matches(|c: char| !c.is_alphanumeric()).to_string())
        })
        .collect()
}

/// Types a reply's inspectors edit that it does not declare (the user's own components).
fn external_targets(sources: &[&str], own: &BTreeSet<String>) -> BTreeSet<String> {
    sources
        .iter()
        .flat_map(|s| s.lines())
        .filter_map(|l| l.trim().strip_prefix("[CustomEditor(typeof(")?.split(')').next())
        .filter(|t| !own.contains(*t))
        .map(str::to_string)
        .collect()
}

#[test]
fn offline_scaffolds_compile_with_mcs() {
    if !mcs_available() {
        assert!(std::env::var_os("CI").is_none(), "mcs is required under CI (apt install mono-mcs)");
        eprintln!("skipped: mcs not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let stub_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/unity-stub");
    let stub_dll = dir.path().join("UnityEngine.dll");
    let mut stub = Command::new("mcs");
    stub.args(["-target:library", "-nowarn:0067,0414"]).arg(format!("-out:{}", stub_dll.display()));
    for entry in std::fs::read_dir(&stub_dir).unwrap() {
        stub.arg(entry.unwrap().path());
    }
    run(&mut stub);

    // Replies whose type names do not collide share one mcs run, which keeps the test fast;
    // a reply's files always compile together, since they reference each other.
    let requests: Vec<String> =
        corpus().into_iter().map(|c| c.request).chain(EXTRA.iter().map(|p| p.to_string())).collect();
    let mut batches: Vec<(BTreeSet<String>, Vec<SourceFile>)> = Vec::new();
    for request in &requests {
        let s = scaffold(request);
        let mut names = BTreeSet::new();
        let mut files: Vec<SourceFile> = Vec::new();
        for f in &s.files {
            names.extend(declared(&f.source));
            files.push((f.path.clone(), f.source.clone()));
        }
        let sources: Vec<&str> = s.files.iter().map(|f| f.source.as_str()).collect();
        for target in external_targets(&sources, &names) {
            files.push((
                format!("{target}.cs"),
                format!("public class {target} : UnityEngine.MonoBehaviour {{ }}\n"),
            ));
            names.insert(target);
        }
        match batches.iter_mut().find(|(taken, _)| taken.is_disjoint(&names)) {
            Some((taken, batch)) => {
                taken.extend(names);
                batch.extend(files);
            }
            None => batches.push((names, files)),
        }
    }
    for (i, (_, batch)) in batches.iter().enumerate() {
        let sub = dir.path().join(format!("batch{i}"));
        let mut cmd = Command::new("mcs");
        cmd.args(["-target:library", "-warnaserror+", "-nowarn:0414,0649"])
            .arg(format!("-r:{}", stub_dll.display()))
            .arg(format!("-out:{}", sub.join("Scripts.dll").display()));
        for (path, source) in batch {
            let file = sub.join(path);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            assert!(!file.exists(), "{path} twice in one batch");
            std::fs::write(&file, source).unwrap();
            cmd.arg(file);
        }
        run(&mut cmd);
    }
}
