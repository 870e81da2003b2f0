//! Inputs the cargo-fuzz targets (fuzz/) found to crash or break an invariant, minimised, as
//! plain tests: each must end in a result or a typed error, never a panic.

use spark_core::export::main_type_name;
use spark_core::extract::extract_files;
use spark_core::validate::{ValidationConfig, validate_bytes, validate_source};

/// Found by `validate` (and `ffi_json` through `spark_validate`): a non-ASCII character in an `#if`
/// condition panicked in `validate/source.rs` `tokenize` (`&s[i..i + 1]` on a byte index inside
/// a multi-byte character: "end byte index N is not a char boundary").
#[test]
fn non_ascii_in_if_condition_is_not_a_panic() {
    for condition in ["é", "UNITY_EDITOR && ü", "(ÿ)", "\u{FFFD}", "A\u{202E}"] {
        let source =
            format!("using UnityEngine;\n#if {condition}\nusing UnityEditor;\n#endif\npublic class A {{}}\n");
        let diagnostics = validate_source(&source, "A.cs", &ValidationConfig::default());
        assert!(diagnostics.iter().all(|d| d.line >= 1 && d.column >= 1), "{condition:?}: {diagnostics:?}");
    }
    // The fuzzer's shape: invalid UTF-8 inside the condition, decoded to U+FFFD by validate_bytes.
    let bytes =
        b"using UnityEngine;\n#if UNITY_ED\x00\x00\xf8\x00\x00\x00\x00\x03nyg\n#endif\npublic class A {}\n";
    let diagnostics = validate_bytes(bytes, "A.cs", &ValidationConfig::default());
    assert!(diagnostics.iter().any(|d| d.rule == "SPK0004"), "{diagnostics:?}");
}

/// Found by `extract` on its first seed: the file name a model writes in the fence info string
/// becomes `ScriptFile.path` unchanged, so a host joining it under a folder writes outside it.
#[test]
fn model_file_names_become_safe_relative_paths() {
    let reply = "```csharp ../../Assets/Evil.cs\nclass Evil : MonoBehaviour {}\n```\n\
                 ```cs\n// File: /etc/Abs.cs\npublic class Abs {}\n```\n\
                 ```csharp C:\\x\\Win.cs\npublic class Win {}\n```\n";
    let files = extract_files(reply);
    assert_eq!(files.len(), 3, "{files:?}");
    for f in &files {
        let p = f.path.as_str();
        assert!(p.ends_with(".cs") && !p.starts_with('/') && !p.contains('\\') && !p.contains(':'), "{p:?}");
        assert!(p.split('/').all(|c| !c.is_empty() && c != "." && c != ".."), "{p:?}");
    }
}

/// Found by running the `csharp_scan` target on nested inputs (the issue's shapes): on a 2 MiB
/// stack (a tokio worker's) `export/scan.rs` overflows at ~2,000 nested `$"{` (`Lexer::code` ->
/// `Lexer::string` -> `Lexer::code`, scan.rs:176/370) and ~8,000 `(` in an `#if` (`Parser::unary`
/// -> `or` -> `and` -> `eq` -> `unary`, scan.rs:539) under the fuzz build. A stack overflow
/// aborts the host process: no catch_unwind helps.
#[test]
fn deep_nesting_in_the_export_scanner_is_not_a_stack_overflow() {
    for depth in [100, 100_000] {
        let interpolations =
            format!("public class A : MonoBehaviour {{ string s = {} }}", "$\"{".repeat(depth));
        let parens = format!("#if {}\npublic class A : MonoBehaviour {{}}\n#endif\n", "(".repeat(depth));
        for source in [interpolations, parens] {
            let name = std::thread::Builder::new()
                .stack_size(2 << 20)
                .spawn(move || main_type_name(&source))
                .expect("spawn")
                .join()
                .expect("no panic");
            assert_eq!(name.as_deref(), Some("A"), "depth {depth}");
        }
    }
}

/// Found by the `csharp_scan` target: damaged text made the main type name carry a C1 control
/// character (U+0097) and replacement characters.
#[test]
fn a_main_type_name_is_always_an_identifier() {
    let text = String::from_utf8_lossy(b"#if UNITY_EDITOR\nusing X;\n#endif\npublic class \xc2\x97\xff\xfekpoint : MonoBehaviour {}\nclass Good {}\n");
    let name = main_type_name(&text);
    assert!(name.as_deref().is_none_or(|n| n.chars().all(|c| c.is_alphanumeric() || c == '_')), "{name:?}");
    assert_eq!(main_type_name("class Caf\u{e9} {}").as_deref(), Some("Caf\u{e9}"));
}
