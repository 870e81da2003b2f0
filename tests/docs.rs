//! The README stays true: its tables are the ones the code defines.

use spark_core::validate::rules::markdown_table;

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).expect("README.md")
}

#[test]
fn readme_rule_table_matches_the_code() {
    let table = markdown_table();
    assert!(readme().contains(&table), "README.md's rule table is stale; replace it with:\n{table}");
}

#[test]
fn readme_starts_with_the_two_setup_commands() {
    let text = readme();
    let block: Vec<&str> = text.lines().skip_while(|l| !l.starts_with("```")).skip(1).take(2).collect();
    assert!(block[0].starts_with("cargo run --example generate -- "), "{block:?}");
    assert!(block[1].starts_with("bash scripts/test.sh"), "{block:?}");
}
