//! `spark-manifest.json`: what an export contains and where it came from.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::diagnostic::{Diagnostic, Severity};

/// File name of the manifest, at the root of every export (`Assets/<root>/` or `package/`).
pub const MANIFEST_FILE_NAME: &str = "spark-manifest.json";

/// The content of `spark-manifest.json`. It holds no timestamp, so exports stay reproducible.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportManifest {
    /// The SPARK version that wrote the export ([`crate::VERSION`]).
    pub spark_version: String,
    /// What was written: `zip`, `upm`, `unitypackage` or `folder`.
    pub format: String,
    /// The id GUIDs are derived from: `Assets/<root>` or the UPM package name.
    pub package_id: String,
    /// The provider that generated the scripts, when known.
    pub provider: Option<String>,
    /// The model that generated the scripts, when known.
    pub model: Option<String>,
    /// SHA-256 of the request, when known.
    pub request_hash: Option<String>,
    /// Diagnostics of the exported scripts, summarised.
    pub validation: ValidationSummary,
    /// Every file of the export except this manifest and the `.meta` files, sorted by path.
    pub files: Vec<ManifestFile>,
}

impl ExportManifest {
    pub(crate) fn to_json(&self) -> Vec<u8> {
        super::pretty_json(self, b"  ")
    }
}

/// One file listed in the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestFile {
    /// Path inside the archive (`Assets/Generated/Scripts/Player.cs`, `package/Runtime/…`).
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the content, lowercase hex.
    pub sha256: String,
    /// The GUID in the file's `.meta`.
    pub guid: String,
    /// For a script whose name was changed on export: the name the model gave.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// For a script: the assembly it compiles into (`Assembly-CSharp` / `Assembly-CSharp-Editor`
    /// without assembly definitions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assembly: Option<String>,
}

/// Diagnostics counted by severity, and the rules that fired.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidationSummary {
    /// Number of errors.
    pub error: usize,
    /// Number of warnings.
    pub warning: usize,
    /// Number of infos.
    pub info: usize,
    /// Distinct rule ids, sorted.
    pub rules: Vec<String>,
}

impl ValidationSummary {
    /// Summarises `diagnostics`.
    pub fn of(diagnostics: &[Diagnostic]) -> Self {
        let mut s = ValidationSummary::default();
        let mut rules = BTreeSet::new();
        for d in diagnostics {
            match d.severity {
                Severity::Error => s.error += 1,
                Severity::Warning => s.warning += 1,
                Severity::Info => s.info += 1,
            }
            rules.insert(d.rule.as_str());
        }
        s.rules = rules.into_iter().map(str::to_string).collect();
        s
    }
}
