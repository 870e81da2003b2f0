//! The offline scaffold against a corpus of everyday requests (tests/fixtures/offline/requests.json):
//! each gets the expected mechanics, type kind and file names; the generic placeholder serves at
//! most 5% of them; every mechanic of the table is exercised; SPARK's own validator finds
//! nothing in any reply; extraction keeps each file's path (`Editor/` included).

use std::collections::BTreeSet;
use std::path::Path;

use serde::Deserialize;
use spark_core::extract::extract_files;
use spark_core::provider::{Scaffold, mechanic_ids, scaffold};
use spark_core::validate::{ValidationConfig, validate_files};
use spark_core::{ExportFormat, GenerateRequest, Offline, ScriptFile, Spark};

/// One request of the corpus and what the offline scaffold must answer.
#[derive(Debug, Deserialize)]
pub struct Case {
    pub request: String,
    /// Mechanic ids, in any order (features composed into one script have no natural order).
    pub mechanics: Vec<String>,
    /// `TypeKind` of the main file, as its Debug name.
    pub kind: String,
    /// Paths of the files, main one first.
    pub files: Vec<String>,
}

/// Requests beyond the corpus: composition, hostile text, unknown things, and what the bindings' tests,
/// the examples and the README send.
pub const EXTRA: &[&str] = &[
    "a character controller with triple jump",
    "enemy health with damage and a death event",
    "a hovering platform that spins",
    "a light that turns on when the player comes close",
    "a custom inspector",
    "spikes that damage objects tagged Enemy every 2 seconds",
    "a 2d platformer with triple jump and a health bar and a pause menu",
    "音乐 player",
    "a </summary> <b>tricky</b> & \"quoted\" request\nwith lines */ {{NAME}}",
    "\u{202E}a reversed door",
    "a treasure chest",
    "a lamp that flickers",
    "a bouncing ball",
    "a rolling ball",
    "a glowing crystal \u{2728} that says h\u{00e9}llo",
    "a cached player",
    "a player that waits",
    "a player that walks forward",
    "a spinning cube",
    "a rotating door",
    "x",
];

pub fn corpus() -> Vec<Case> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/offline/requests.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn paths(s: &Scaffold) -> Vec<&str> {
    s.files.iter().map(|f| f.path.as_str()).collect()
}

#[test]
fn corpus_requests_get_the_expected_mechanics_kinds_and_files() {
    let cases = corpus();
    assert!(cases.len() >= 100, "{} requests", cases.len());
    let mut failures = Vec::new();
    let mut fallbacks = 0;
    for case in &cases {
        let s = scaffold(&case.request);
        fallbacks += usize::from(s.is_fallback());
        let got: BTreeSet<&str> = s.mechanics.iter().copied().collect();
        let want: BTreeSet<&str> = case.mechanics.iter().map(String::as_str).collect();
        let kind = format!("{:?}", s.files[0].kind);
        if got != want || kind != case.kind || paths(&s) != case.files {
            failures.push(format!(
                "{:?}: got {:?} {kind} {:?}, want {:?} {} {:?}",
                case.request,
                s.mechanics,
                paths(&s),
                case.mechanics,
                case.kind,
                case.files
            ));
        }
    }
    assert!(failures.is_empty(), "{} of {}:\n{}", failures.len(), cases.len(), failures.join("\n"));
    // At most 5% may get the generic placeholder.
    assert!(fallbacks * 20 <= cases.len(), "{fallbacks} fallbacks in {}", cases.len());
    eprintln!("offline corpus: {fallbacks} generic fallbacks in {} requests", cases.len());
}

#[test]
fn every_mechanic_is_in_the_corpus() {
    let used: BTreeSet<String> = corpus().into_iter().flat_map(|c| c.mechanics).collect();
    let missing: Vec<&str> = mechanic_ids().into_iter().filter(|id| !used.contains(*id)).collect();
    assert!(missing.is_empty(), "no corpus request exercises {missing:?}");
    assert!(mechanic_ids().len() >= 40);
}

#[test]
fn offline_replies_pass_sparks_validator_and_extract_with_their_paths() {
    let config = ValidationConfig::default();
    for request in corpus().into_iter().map(|c| c.request).chain(EXTRA.iter().map(|r| r.to_string())) {
        let s = scaffold(&request);
        let files: Vec<ScriptFile> =
            s.files.iter().map(|f| ScriptFile::new(&f.path, f.source.clone())).collect();
        let diagnostics = validate_files(&files, &config);
        assert!(diagnostics.is_empty(), "{request}: {diagnostics:#?}");
        let extracted = extract_files(&s.reply());
        let got: Vec<(&str, &str)> =
            extracted.iter().map(|f| (f.path.as_str(), f.content.trim_end())).collect();
        let want: Vec<(&str, &str)> =
            s.files.iter().map(|f| (f.path.as_str(), f.source.trim_end())).collect();
        assert_eq!(got, want, "{request}");
    }
}

#[tokio::test]
async fn an_offline_editor_window_keeps_its_editor_folder_through_generate_and_export() {
    let spark = Spark::builder().provider(Offline::new()).build().unwrap();
    let out =
        spark.generate(GenerateRequest::new("an editor window that renames selected objects")).await.unwrap();
    let paths: Vec<&str> = out.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, ["Editor/BatchRenameWindow.cs"]);
    assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
    let bytes = out.export(ExportFormat::Zip).unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    assert!(zip.by_name("Assets/Generated/Editor/BatchRenameWindow.cs").is_ok());
}
