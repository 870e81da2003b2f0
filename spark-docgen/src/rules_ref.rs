//! docs/rules.md: the validation rule table, from `spark_core::validate::RULES`.

use spark_core::validate::rules::{Category, RULES, markdown_table};

use crate::banner;

/// The whole page.
pub fn rules_md() -> String {
    let count = |c: Category| RULES.iter().filter(|r| r.category == c).count();
    let mut out = banner("Validation rules");
    out.push_str(&format!(
        "Every diagnostic SPARK reports names one of these {} rules ({} syntax, {} Unity, {} security). \
         Ids never change meaning once released. `SPK0xxx` are syntax errors, `SPK1xxx` Unity rules \
         (modelled on Microsoft.Unity.Analyzers, whose `UNTxxxx` id with the same meaning is named), \
         `SPK2xxx` security rules for generated code.\n\n\
         The severity is the default: `[validation] severity = {{ SPK1005 = \"error\" }}` changes it, \
         `[validation] disabled_rules = [\"SPK1005\"]` (or the analyzer id, `\"UNT0002\"`) silences a \
         rule, and `[validation] block_on` decides which severities trigger repair. See \
         [configuration.md](configuration.md#validation).\n\n",
        RULES.len(),
        count(Category::Syntax),
        count(Category::Unity),
        count(Category::Security),
    ));
    out.push_str(&markdown_table());
    out
}
