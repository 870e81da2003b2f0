//! Measurement over a directory of real scripts (not run by default): validates every `.cs`
//! under `SPARK_CORPUS` as one project and prints the files with an error, counted by rule.
//!
//! `SPARK_CORPUS=/path/to/project SPARK_UNITY=2022.3 cargo test -p spark-core --test integration \
//!  corpus_report -- --ignored --nocapture`

use std::collections::BTreeMap;
use std::path::PathBuf;

use spark_core::ScriptFile;
use spark_core::validate::{Severity, ValidationConfig, validate_files};

#[test]
#[ignore = "needs SPARK_CORPUS"]
fn corpus_report() {
    let Ok(root) = std::env::var("SPARK_CORPUS") else { return };
    let mut dirs = vec![PathBuf::from(&root)];
    let mut files = Vec::new();
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "cs")
                && let Ok(content) = std::fs::read_to_string(&p)
            {
                let path = p.strip_prefix(&root).unwrap_or(&p).to_string_lossy().into_owned();
                files.push(ScriptFile { path, content, raw_path: None });
            }
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let cfg = ValidationConfig { unity_version: std::env::var("SPARK_UNITY").ok(), ..Default::default() };
    let t = std::time::Instant::now();
    let d = validate_files(&files, &cfg);
    let elapsed = t.elapsed();
    let mut files_by_rule: BTreeMap<String, std::collections::BTreeSet<String>> = BTreeMap::new();
    for x in d.iter().filter(|x| x.severity == Severity::Error) {
        files_by_rule.entry(x.rule.clone()).or_default().insert(x.file.clone());
        println!("{x}");
    }
    let with_error: std::collections::BTreeSet<&String> =
        d.iter().filter(|x| x.severity == Severity::Error).map(|x| &x.file).collect();
    println!("files: {}, with an error: {}, time: {elapsed:?}", files.len(), with_error.len());
    for (rule, fs) in &files_by_rule {
        println!("  {rule}: {} files", fs.len());
    }
}
