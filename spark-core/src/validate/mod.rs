//! Validation of generated C#: syntax, Unity rules, security scan.
// PLACEHOLDER: the rule set is deepened by the validation work (issue 3).

use serde::{Deserialize, Serialize};

use crate::error::Result;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing.
    Info,
    /// Likely a bug or a bad practice.
    Warning,
    /// Will not compile, or must not ship.
    Error,
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

/// One finding, located like a compiler does: 1-based lines and character columns.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Diagnostic {
    /// Severity.
    pub severity: Severity,
    /// Stable rule id (`SPK0001`).
    pub rule: String,
    /// What is wrong.
    pub message: String,
    /// File name as given to the validator.
    pub file: String,
    /// 1-based line of the start.
    pub line: u32,
    /// 1-based character column of the start.
    pub column: u32,
    /// 1-based line of the end.
    pub end_line: u32,
    /// 1-based character column of the end (exclusive).
    pub end_column: u32,
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}[{}]: {}",
            self.file, self.line, self.column, self.severity, self.rule, self.message
        )
    }
}

/// Validation policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ValidationConfig {
    /// Diagnostics at or above this severity block (trigger repair; fail when `fail_on_blocking`).
    pub block_on: Severity,
    /// Rule ids that are not reported.
    pub disabled_rules: Vec<String>,
    /// Return `Error::ValidationFailed` when blocking diagnostics remain after repair, instead of
    /// a result carrying them.
    pub fail_on_blocking: bool,
}

impl Default for ValidationConfig {
    fn default() -> Self {
        ValidationConfig { block_on: Severity::Error, disabled_rules: Vec::new(), fail_on_blocking: false }
    }
}

impl ValidationConfig {
    pub(crate) fn validate(&self) -> Result<()> {
        Ok(())
    }

    /// Whether `d` blocks under this policy.
    pub fn is_blocking(&self, d: &Diagnostic) -> bool {
        d.severity >= self.block_on
    }
}

/// Validates one C# file. Never panics; returns the diagnostics sorted by position.
pub fn validate_source(source: &str, file_name: &str, config: &ValidationConfig) -> Vec<Diagnostic> {
    let mut parser = tree_sitter::Parser::new();
    let lang: tree_sitter::Language = tree_sitter_c_sharp::LANGUAGE.into();
    let mut out = Vec::new();
    if parser.set_language(&lang).is_err() {
        return out;
    }
    let Some(tree) = parser.parse(source, None) else { return out };
    let mut cursor = tree.walk();
    let mut stack = vec![tree.root_node()];
    while let Some(node) = stack.pop() {
        if !node.has_error() {
            continue;
        }
        if node.is_error() || node.is_missing() {
            let (s, e) = (node.start_position(), node.end_position());
            let line_col = |p: tree_sitter::Point| {
                let line = source.lines().nth(p.row).unwrap_or("");
                let col = line.get(..p.column.min(line.len())).map(|l| l.chars().count()).unwrap_or(p.column);
                (p.row as u32 + 1, col as u32 + 1)
            };
            let (line, column) = line_col(s);
            let (end_line, end_column) = line_col(e);
            let message = if node.is_missing() {
                format!("expected `{}`", node.kind())
            } else {
                "syntax error".to_string()
            };
            out.push(Diagnostic {
                severity: Severity::Error,
                rule: "SPK0001".into(),
                message,
                file: file_name.to_string(),
                line,
                column,
                end_line,
                end_column,
            });
            continue;
        }
        for child in node.children(&mut cursor) {
            stack.push(child);
        }
    }
    out.retain(|d| !config.disabled_rules.contains(&d.rule));
    out.sort_by_key(|d| (d.line, d.column));
    out
}

/// Validates a set of files (each on its own, then the rules that span files).
pub fn validate_files(files: &[crate::extract::ScriptFile], config: &ValidationConfig) -> Vec<Diagnostic> {
    files.iter().flat_map(|f| validate_source(&f.content, &f.path, config)).collect()
}
