//! Hostile model replies through extraction, naming and validation: each ends in a result or a
//! typed error, never a panic, a stack overflow or minutes of CPU. Inputs nested 100,000 deep
//! run on a thread with a small stack, so a recursion that input depth controls fails here
//! instead of needing the 8 MB of a main thread.

use std::time::{Duration, Instant};

use spark_core::CancelToken;
use spark_core::Error;
use spark_core::export::check_archive_path;
use spark_core::extract::{extract_files, extract_files_with};
use spark_core::validate::{Diagnostic, ValidationConfig, validate_files, validate_files_with};

/// Runs `f` on a thread with a 256 KiB stack.
fn small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new().stack_size(256 * 1024).spawn(f).expect("thread").join().expect("no panic")
}

/// Extracts and validates `reply` on a small stack.
fn pipeline(reply: String) -> (Vec<spark_core::ScriptFile>, Vec<Diagnostic>) {
    small_stack(move || {
        let files = extract_files(&reply);
        let diags = validate_files(&files, &ValidationConfig::default());
        (files, diags)
    })
}

fn fenced(body: &str) -> String {
    format!("Here you go:\n```csharp\n{body}\n```\n")
}

#[test]
fn deep_if_parentheses() {
    let body = format!("#if {}\npublic class Deep : MonoBehaviour {{ }}\n#endif", "(".repeat(100_000));
    let (files, diags) = pipeline(fenced(&body));
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].path, "Deep.cs");
    // The condition is malformed: tree-sitter reports it, not silence.
    assert!(diags.iter().any(|d| d.rule.starts_with("SPK000")), "{diags:?}");
}

#[test]
fn deep_interpolations() {
    let body = format!("public class Holes : MonoBehaviour {{ string s = {}; }}", "$\"{".repeat(100_000));
    let (files, diags) = pipeline(fenced(&body));
    assert_eq!(files[0].path, "Holes.cs");
    assert!(diags.iter().any(|d| d.rule == "SPK0001" || d.rule == "SPK0003"), "{diags:?}");
}

#[test]
fn deep_nesting_of_every_kind() {
    let n = 100_000;
    let bodies = [
        format!("class A {{ void F() {{ var x = {}1{}; }} }}", "(".repeat(n), ")".repeat(n)),
        format!("class B {{ void F() {} }}", "{".repeat(n)),
        format!("class C {{ int[] a = {}; }}", "new[] { ".repeat(n)),
        format!("{}class D {{ }}\n{}", "#if X\n".repeat(n), "#endif\n".repeat(n)),
        format!("class E {{ void F() {{ {} }} }}", "if (a) ".repeat(n)),
        format!("class G {{ object o = {}; }}", "x => ".repeat(n)),
        format!("class H {{ void F() {{ var y = {}; }} }}", "!-".repeat(n)),
        format!("class I {{ string s = @\"{}\"; }}", "{{\n".repeat(n)),
        format!("class J {{ {} }}", "((((]]]]".repeat(n / 8)),
    ];
    for body in bodies {
        let head: String = body.chars().take(12).collect();
        let deep_ifs = head.starts_with("#if");
        let (files, diags) = pipeline(fenced(&body));
        assert_eq!(files.len(), 1, "{head}");
        if deep_ifs {
            // The depth limit is reported, not silent.
            assert!(
                diags.iter().any(|d| d.rule == "SPK0001" && d.message.contains("nesting deeper")),
                "{diags:?}"
            );
        }
    }
}

/// Tree-sitter itself, plus dropping its tree, on the deepest shapes, on a small stack.
#[test]
fn tree_sitter_parse_on_a_small_stack() {
    let inputs = [
        format!("#if {}\nclass A {{}}\n#endif", "(".repeat(100_000)),
        format!("class B {{ string s = {}; }}", "$\"{".repeat(100_000)),
        format!("class C {{ void F() {{ var x = {}1{}; }} }}", "(".repeat(100_000), ")".repeat(100_000)),
    ];
    small_stack(move || {
        let lang: tree_sitter::Language = tree_sitter_c_sharp::LANGUAGE.into();
        let mut parser = tree_sitter::Parser::new();
        parser.set_language(&lang).expect("grammar");
        for text in &inputs {
            let tree = parser.parse(text, None).expect("tree");
            let root = tree.root_node();
            assert!(!root.to_sexp().is_empty());
            let mut cursor = tree.walk();
            let mut count = 0usize;
            'walk: loop {
                count += 1;
                if cursor.goto_first_child() {
                    continue;
                }
                while !cursor.goto_next_sibling() {
                    if !cursor.goto_parent() {
                        break 'walk;
                    }
                }
            }
            assert!(count > 1);
        }
    });
}

#[test]
fn many_blocks_with_one_name_are_fast() {
    let reply: String =
        (0..5_000).map(|i| format!("```csharp Player.cs\npublic class P{i} {{ }}\n```\n")).collect();
    let t = Instant::now();
    let files = extract_files(&reply);
    assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
    assert_eq!(files.len(), 5_000);
    assert_eq!(files[0].path, "Player.cs");
    assert_eq!(files[1].path, "Player_2.cs");
    assert_eq!(files[4_999].path, "Player_5000.cs");
    let mut seen = std::collections::HashSet::new();
    assert!(files.iter().all(|f| seen.insert(f.path.to_lowercase())));
}

#[test]
fn five_thousand_tiny_blocks() {
    let reply: String = (0..5_000).map(|_| "```cs\nclass A{}\n```\n").collect();
    let (files, diags) = pipeline(reply);
    assert_eq!(files.len(), 5_000);
    assert_eq!(files[2].path, "A_3.cs");
    // Every file is its own tiny class: nothing blocks.
    assert!(diags.iter().all(|d| d.severity != spark_core::Severity::Error), "{:?}", &diags[..3]);
}

#[test]
fn fence_inside_a_string_literal() {
    // Mid-line, a fence marker is content.
    let inline = "```csharp\npublic class Md : MonoBehaviour { string fence = \"```\"; }\n```\n";
    let f = extract_files(inline);
    assert_eq!(f.len(), 1);
    assert!(f[0].content.contains("\"```\""));
    // On its own line (inside a verbatim string) it closes the block, as in CommonMark: the
    // file is cut there, what follows is prose, and the next block is still found and named.
    let own_line = "```csharp\npublic class Doc : MonoBehaviour {\n  string s = @\"\n```\n\";\n}\n```\n\
                    Then:\n```csharp\npublic class Next : MonoBehaviour { }\n```\n";
    let f = extract_files(own_line);
    let names: Vec<&str> = f.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(names[0], "Doc.cs");
    assert!(names.contains(&"Next.cs"), "{names:?}");
    let d = validate_files(&f, &ValidationConfig::default());
    assert!(d.iter().any(|d| d.file == "Doc.cs" && d.rule.starts_with("SPK000")), "the cut file is reported");
}

#[test]
fn model_names_become_safe_relative_paths() {
    let names = [
        ("../../../../home/user/.bashrc.cs", "bashrc.cs"),
        ("/etc/cron.d/x.cs", "x.cs"),
        ("//server/share/y.cs", "y.cs"),
        ("C:\\z.cs", "z.cs"),
        ("Editor/ToolEditor.cs", "Editor/ToolEditor.cs"),
        ("Scripts/../Evil.cs", "Evil.cs"),
        ("con.cs", "con_.cs"),
        ("Tools/.Hidden.cs", "Tools/Hidden.cs"),
        ("./Scripts/Ok.cs", "Scripts/Ok.cs"),
    ];
    for (raw, want) in names {
        let reply = format!("```csharp {raw}\npublic class Q {{ }}\n```\n");
        let f = extract_files(&reply);
        assert_eq!(f.len(), 1, "{raw}");
        assert_eq!(f[0].path, want, "{raw}");
        assert_eq!(check_archive_path(&f[0].path), Ok(()), "{raw}");
        // The raw name is the model's token as written (markdown decoration aside).
        assert_eq!(f[0].raw_path.is_some(), raw != want, "{raw}");
        assert!(f[0].raw_path.as_deref().is_none_or(|r| raw.contains(r)), "{raw}");
    }
    // Hosts building files by hand get the same rule.
    let f = spark_core::ScriptFile::new("Backup~/.Old.cs~", "class O {}");
    assert_eq!((f.path.as_str(), f.raw_path.as_deref()), ("Backup/Old.cs", Some("Backup~/.Old.cs~")));
    // Names the fence reader refuses (bidi, zero-width) fall back to the type's name.
    let bidi = "### Spieler\u{202E}sc.cs\n```csharp\npublic class Spieler : MonoBehaviour { }\n```\n";
    let f = extract_files(bidi);
    assert_eq!(f[0].path, "Spieler.cs");
    assert!(!f[0].path.chars().any(|c| c.is_control() || ('\u{200B}'..='\u{206F}').contains(&c)));
    // A long name is cut, still ending in `.cs`.
    let long = format!("```csharp {}.cs\nclass L {{ }}\n```\n", "N".repeat(5_000));
    let f = extract_files(&long);
    assert!(f[0].path.len() <= 100 && f[0].path.ends_with(".cs"), "{}", f[0].path);
    // SPARK-chosen names carry no raw name, and it is not serialised.
    let f = extract_files("```csharp\npublic class Plain { }\n```\n");
    assert_eq!((f[0].path.as_str(), f[0].raw_path.as_deref()), ("Plain.cs", None));
    let json = serde_json::to_string(&f[0]).unwrap();
    assert!(!json.contains("raw_path"), "{json}");
    // Folders do not make a name unique: exports flatten them.
    let two = "```csharp Editor/A.cs\nclass A {}\n```\n```csharp a.cs\nclass A {}\n```\n";
    let paths: Vec<String> = extract_files(two).into_iter().map(|f| f.path).collect();
    assert_eq!(paths, ["Editor/A.cs", "a_2.cs"]);
}

#[test]
fn a_deadline_stops_extraction_and_validation() {
    let body: String = (0..400)
        .map(|i| format!("    void M{i}() {{ for (int k = 0; k < 10; k++) {{ transform.position += Vector3.up * k; }} }}\n"))
        .collect();
    let reply: String = (0..200)
        .map(|i| format!("```csharp\npublic class C{i} : MonoBehaviour {{\n{body}}}\n```\n"))
        .collect();
    let files = extract_files(&reply);
    let cfg = ValidationConfig::default();
    let full = Instant::now();
    let _ = validate_files(&files[..20], &cfg);
    // A tenth of the files takes this long; all of them at least ten times as much.
    let tenth = full.elapsed();

    let token = CancelToken::with_timeout(Duration::from_millis(50));
    let t = Instant::now();
    let err = validate_files_with(&files, &cfg, &token).expect_err("the deadline passes first");
    assert!(
        matches!(err, Error::Timeout { ref stage, after, .. } if stage.as_str() == "total" && after == Duration::from_millis(50)),
        "{err:?}"
    );
    assert!(t.elapsed() < (tenth * 10).max(Duration::from_millis(500)), "{:?} vs {:?}", t.elapsed(), tenth);

    let cancelled = CancelToken::new();
    cancelled.cancel();
    assert!(matches!(extract_files_with(&reply, &cancelled), Err(Error::Cancelled)));
    assert!(matches!(validate_files_with(&files, &cfg, &cancelled), Err(Error::Cancelled)));
    assert!(extract_files_with(&reply, &CancelToken::new()).is_ok());
}

#[test]
fn a_cancel_stops_one_long_parse() {
    // One file far too large to parse in 30 ms on this machine: tree-sitter's progress
    // callback must stop it mid-parse.
    let body: String = (0..40_000).map(|i| format!("    int f{i} = {i} * 2 + ({i} - 1);\n")).collect();
    let files = vec![spark_core::ScriptFile::new("Big.cs", format!("public class Big {{\n{body}}}\n"))];
    let token = CancelToken::with_timeout(Duration::from_millis(30));
    let t = Instant::now();
    let r = validate_files_with(&files, &ValidationConfig::default(), &token);
    assert!(matches!(r, Err(Error::Timeout { .. })), "{:?}", r.map(|d| d.len()));
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
}

#[test]
fn empty_and_odd_replies() {
    for reply in ["", "```", "```csharp", "```csharp\n", "~~~\n~~~", "\u{FEFF}", "```csharp\n\u{0}\n```"] {
        let files = extract_files(reply);
        let _ = validate_files(&files, &ValidationConfig::default());
    }
}
