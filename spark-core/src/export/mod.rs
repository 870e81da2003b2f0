//! Export of generated scripts into files Unity imports.
// PLACEHOLDER: deepened by the export work (issue 4): .meta files, UPM, .unitypackage, safety.

use std::io::Write;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::extract::ScriptFile;

/// Archive formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    /// A ZIP of `Assets/<root>/Scripts/…`.
    Zip,
}

/// Export settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExportConfig {
    /// Folder under `Assets/` that receives the scripts.
    pub root: String,
}

impl Default for ExportConfig {
    fn default() -> Self {
        ExportConfig { root: "Generated".into() }
    }
}

impl ExportConfig {
    pub(crate) fn validate(&self) -> Result<()> {
        if self.root.trim().is_empty() || self.root.contains(['/', '\\', '.']) {
            return Err(Error::config("export.root", "must be a single folder name"));
        }
        Ok(())
    }
}

/// Builds an archive of `files` in `format`.
pub fn export(files: &[ScriptFile], format: ExportFormat, config: &ExportConfig) -> Result<Vec<u8>> {
    match format {
        ExportFormat::Zip => {
            let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
            let opts = zip::write::SimpleFileOptions::default();
            for f in files {
                let name = f.path.rsplit(['/', '\\']).next().unwrap_or("Script.cs");
                zip.start_file(format!("Assets/{}/Scripts/{name}", config.root), opts)
                    .map_err(|e| Error::Export(e.to_string()))?;
                zip.write_all(f.content.as_bytes())?;
            }
            Ok(zip.finish().map_err(|e| Error::Export(e.to_string()))?.into_inner())
        }
    }
}
