//! Findings about C# code, shared by validation, repair, export manifests and errors.

use serde::{Deserialize, Serialize};

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Diagnostic {
    /// Severity.
    pub severity: Severity,
    /// Stable rule id (`SPK0001`), see [`crate::validate::RULES`].
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
