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

#[test]
fn readme_configuration_reference_loads() {
    let text = readme();
    let section = &text[text.find("## Configuration").expect("configuration section")..];
    let start = section.find("```toml\n").expect("toml block") + "```toml\n".len();
    let block = &section[start..start + section[start..].find("```").expect("closing fence")];
    // Every section and field the reference names must exist and hold a valid value; the keys
    // would need `[anthropic] api_key`, so the provider order is dropped for the check.
    let block = block.replace("order = [\"anthropic\", \"openai\"]", "order = []");
    let cfg = spark_core::SparkConfig::from_toml_str(&block).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(cfg.export.root, "Generated");
    assert_eq!(cfg.retry.budget_ms, 20000);
}
