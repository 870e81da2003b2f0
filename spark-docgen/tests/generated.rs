//! The generated reference pages under docs/ are the ones the code produces today.
//! `SPARK_DOCS_BLESS=1 cargo test -p spark-docgen` rewrites them.

use std::path::PathBuf;

#[test]
fn generated_pages_are_up_to_date() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let bless = std::env::var_os("SPARK_DOCS_BLESS").is_some_and(|v| v != "0");
    let mut stale = Vec::new();
    for (rel, text) in spark_docgen::pages(&root) {
        let path = root.join(rel);
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        if committed == text {
            continue;
        }
        if bless {
            std::fs::write(&path, &text).unwrap_or_else(|e| panic!("{rel}: {e}"));
        } else {
            stale.push(rel);
        }
    }
    assert!(
        stale.is_empty(),
        "stale generated pages {stale:?}: regenerate with SPARK_DOCS_BLESS=1 cargo test -p spark-docgen"
    );
}

#[test]
fn configuration_page_names_every_section_and_field() {
    // Independent of the generator's walk: every key of the serialized defaults appears.
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let page = spark_docgen::configuration_md(&root);
    let core = serde_json::to_value(spark_core::SparkConfig::default()).unwrap();
    for (section, fields) in core.as_object().unwrap() {
        if let Some(fields) = fields.as_object() {
            if fields.is_empty() {
                continue;
            }
            assert!(page.contains(&format!("### `[{section}]`")), "section [{section}] missing");
            for key in fields.keys() {
                assert!(page.contains(&format!("| `{key}` |")), "[{section}] {key} missing");
            }
        }
    }
    assert!(page.contains("### `[server.limits]`"));
    assert!(page.contains("| `listen` |") && page.contains("`\"127.0.0.1:8080\"`"));
}

#[test]
fn error_page_lists_every_code_with_its_number() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let page = spark_docgen::errors_md(&root);
    for code in spark_core::ErrorCode::ALL {
        let row = format!("| {} | `{}` |", code.as_u32(), code.as_str());
        assert!(page.contains(&row), "missing {row}");
    }
    assert!(page.contains("`RateLimited`") && page.contains("| 429 |"));
}
