//! Export of generated scripts into files Unity imports as they are.
//!
//! Three archive formats ([`ExportFormat`]) and a folder writer share one layout:
//!
//! - **ZIP** and **.unitypackage**: `Assets/<root>/Scripts/*.cs` with a runtime assembly
//!   definition, `Assets/<root>/Editor/*.cs` (scripts that use `UnityEditor` outside
//!   `#if UNITY_EDITOR`) with an Editor-only one, and `Assets/<root>/spark-manifest.json`.
//! - **UPM** (`.tgz`): `package/package.json`, `package/Runtime/`, `package/Editor/`, each
//!   with its `.asmdef`, a README and the manifest, installable with "Add package from tarball".
//!
//! Every file and folder has a `.meta` with the importer Unity would pick, and a GUID derived
//! from the package id and the asset path ([`stable_guid`]): re-exporting keeps every GUID, so
//! scene and prefab references survive upgrades. Model-given names are sanitised
//! ([`sanitize_script_name`]); archives are byte-for-byte reproducible (fixed timestamps,
//! permissions, order and compression level). The import side ([`import_zip`],
//! [`import_upm`], [`import_unitypackage`]) reads archives back with zip-slip and zip-bomb
//! protection.

mod dir;
mod guid;
mod import;
mod manifest;
mod meta;
pub(crate) mod path;
mod scan;
mod tarball;
mod unitypackage;
mod upm;
mod zipfile;

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

use crate::diagnostic::Diagnostic;
use crate::error::{Error, Result};
use crate::extract::ScriptFile;

pub use dir::{export_generated_to_dir, export_to_dir};
pub use guid::{is_unity_guid, stable_guid};
pub use import::{ImportLimits, ImportedFile, import, import_unitypackage, import_upm, import_zip};
pub use manifest::{ExportManifest, MANIFEST_FILE_NAME, ManifestFile, ValidationSummary};
pub use meta::{Importer, meta_text};
pub use path::{
    MAX_NAME_BYTES, check_archive_path, is_reserved_name, sanitize_script_name, sanitize_script_path,
};
pub use scan::{main_type_name, uses_unity_editor};
pub use upm::{is_valid_package_name, is_valid_semver, sanitize_package_name};

/// Archive formats.
///
/// Parsed from (and displayed as) `"zip"`, `"upm"` (also `"tgz"`) and `"unitypackage"` (also
/// `"unity_package"`), ignoring case; that is also its serde form, so bindings pass a string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExportFormat {
    /// A ZIP of `Assets/<root>/…` to unpack into a Unity project.
    Zip,
    /// A UPM package tarball (`.tgz`, contents under `package/`).
    Upm,
    /// A `.unitypackage` (gzip tar of `<guid>/asset`, `asset.meta`, `pathname`).
    UnityPackage,
}

impl ExportFormat {
    /// Every format.
    pub const ALL: [ExportFormat; 3] = [ExportFormat::Zip, ExportFormat::Upm, ExportFormat::UnityPackage];

    /// The canonical name (`zip`, `upm`, `unitypackage`).
    pub fn as_str(self) -> &'static str {
        match self {
            ExportFormat::Zip => "zip",
            ExportFormat::Upm => "upm",
            ExportFormat::UnityPackage => "unitypackage",
        }
    }

    /// The file extension of the archive, without the dot (`zip`, `tgz`, `unitypackage`).
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Zip => "zip",
            ExportFormat::Upm => "tgz",
            ExportFormat::UnityPackage => "unitypackage",
        }
    }

    /// The media type of the archive.
    pub fn mime_type(self) -> &'static str {
        match self {
            ExportFormat::Zip => "application/zip",
            ExportFormat::Upm | ExportFormat::UnityPackage => "application/gzip",
        }
    }
}

impl fmt::Display for ExportFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ExportFormat {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let name = s.trim().trim_start_matches('.').to_ascii_lowercase();
        match name.as_str() {
            "zip" => Ok(ExportFormat::Zip),
            "upm" | "tgz" => Ok(ExportFormat::Upm),
            "unitypackage" | "unity_package" | "unity-package" => Ok(ExportFormat::UnityPackage),
            _ => Err(Error::InvalidArgument(format!(
                "unknown export format {}; expected one of: zip, upm (or tgz), unitypackage",
                path::quote(s)
            ))),
        }
    }
}

impl Serialize for ExportFormat {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ExportFormat {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(|e: Error| {
            serde::de::Error::custom(e.to_string().trim_start_matches("invalid argument: "))
        })
    }
}

/// Export settings (`[export]` in the configuration).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExportConfig {
    /// Folder under `Assets/` that receives the scripts (ZIP, .unitypackage, folder export).
    pub root: String,
    /// UPM package name, reverse-domain (`com.company.tool`): lowercase letters, digits, `-`,
    /// `_`, at least three dot-separated parts. Also part of every UPM asset's GUID.
    pub package_name: String,
    /// UPM package version (semver `MAJOR.MINOR.PATCH[-pre][+build]`).
    pub package_version: String,
    /// UPM display name shown in the Package Manager.
    pub display_name: String,
    /// UPM description.
    pub description: String,
    /// Oldest Unity version the package supports (`2021.3`, `6000.0`).
    pub unity: String,
    /// Runtime assembly name; the Editor assembly adds `.Editor`. Empty: `Spark.<root>` for the
    /// `Assets/` layouts, derived from `package_name` for UPM (`com.acme.tool` → `Acme.Tool`).
    pub assembly_name: String,
    /// Write assembly definitions in the `Assets/` layouts too (UPM always has them), so editor
    /// code never reaches a player build and the scripts compile in their own assembly.
    pub assembly_definitions: bool,
    /// Most scripts in one export.
    pub max_files: usize,
    /// Largest single script in bytes.
    pub max_file_bytes: usize,
    /// Largest sum of script sizes in bytes.
    pub max_total_bytes: usize,
    /// Deflate / gzip level, 0–9. Part of reproducibility: the same level gives the same bytes.
    pub compression_level: u32,
    /// Export a result the output policy blocked (its withheld files) instead of refusing it
    /// with `Error::OutputBlocked`.
    pub allow_unsafe: bool,
}

impl Default for ExportConfig {
    fn default() -> Self {
        ExportConfig {
            root: "Generated".into(),
            package_name: "com.spark.generated".into(),
            package_version: "1.0.0".into(),
            display_name: "SPARK Generated Scripts".into(),
            description: "C# scripts generated and validated by SPARK.".into(),
            unity: "2021.3".into(),
            assembly_name: String::new(),
            assembly_definitions: true,
            max_files: 2000,
            max_file_bytes: 1 << 20,
            max_total_bytes: 32 << 20,
            compression_level: 6,
            allow_unsafe: false,
        }
    }
}

impl ExportConfig {
    /// Checks every field; the error names the bad one (`export.package_name`).
    pub fn validate(&self) -> Result<()> {
        let bad = |field: &str, message: String| Err(Error::config(format!("export.{field}"), message));
        let root = self.root.as_str();
        if root.trim().is_empty() || root.contains(['/', '\\', '.']) {
            return bad("root", "must be a single folder name (no `/`, `\\` or `.`)".into());
        }
        if sanitize_script_name(root).as_deref() != Some(&format!("{root}.cs")) || root.len() > 64 {
            return bad("root", format!("{} is not a portable folder name", path::quote(root)));
        }
        // Unity treats these folder names specially anywhere in a path: scripts under `Editor`
        // never reach a player, under `StreamingAssets` they are not compiled, `cvs` is ignored.
        if ["Editor", "StreamingAssets", "Editor Default Resources", "cvs"]
            .iter()
            .any(|s| s.eq_ignore_ascii_case(root))
        {
            return bad("root", format!("{} is a special folder name in Unity", path::quote(root)));
        }
        if !is_valid_package_name(&self.package_name) {
            return bad(
                "package_name",
                format!(
                    "{} is not a UPM name like `com.company.tool`; try `{}`",
                    path::quote(&self.package_name),
                    sanitize_package_name(&self.package_name)
                ),
            );
        }
        if !is_valid_semver(&self.package_version) {
            return bad(
                "package_version",
                format!("{} is not semver (`1.2.3`)", path::quote(&self.package_version)),
            );
        }
        if !upm::is_valid_unity_version(&self.unity) {
            return bad(
                "unity",
                format!("{} is not a Unity version like `2021.3`", path::quote(&self.unity)),
            );
        }
        if self.display_name.trim().is_empty() || self.display_name.chars().any(char::is_control) {
            return bad("display_name", "must be non-empty text without control characters".into());
        }
        if self.description.contains('\0') {
            return bad("description", "must not contain NUL".into());
        }
        if !self.assembly_name.is_empty() && !is_assembly_name(&self.assembly_name) {
            return bad("assembly_name", "must be dot-separated identifiers (`Acme.Tools`)".into());
        }
        for (field, v) in [
            ("max_files", self.max_files),
            ("max_file_bytes", self.max_file_bytes),
            ("max_total_bytes", self.max_total_bytes),
        ] {
            if v == 0 {
                return bad(field, "must be greater than 0".into());
            }
        }
        if self.compression_level > 9 {
            return bad("compression_level", "must be 0–9".into());
        }
        Ok(())
    }

    /// The runtime assembly name for `format` (see [`ExportConfig::assembly_name`]).
    pub fn runtime_assembly(&self, format: ExportFormat) -> String {
        if !self.assembly_name.is_empty() {
            return self.assembly_name.clone();
        }
        match format {
            ExportFormat::Upm => upm::assembly_from_package(&self.package_name),
            _ => format!("Spark.{}", identifier(&self.root)),
        }
    }
}

fn is_assembly_name(s: &str) -> bool {
    s.len() <= 128
        && s.split('.').all(|p| {
            p.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
}

/// `my folder-2` → `MyFolder2`: a C#-identifier-safe rendering of a folder name.
fn identifier(s: &str) -> String {
    let mut out = String::new();
    for word in s.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()) {
        let mut cs = word.chars();
        if let Some(c) = cs.next() {
            out.push(c.to_ascii_uppercase());
            out.extend(cs);
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert_str(0, "Generated");
    }
    out
}

/// Builds an archive of `files` in `format`. Without a [`crate::GeneratedScripts`], the manifest has
/// no provider, model, request hash or diagnostics; see [`export_generated`].
pub fn export(files: &[ScriptFile], format: ExportFormat, config: &ExportConfig) -> Result<Vec<u8>> {
    write_archive(
        &Layout::build(&Provenance::files_only(files), format, format.as_str(), config)?,
        format,
        config,
    )
}

/// Builds an archive of a whole generation result (a [`crate::GeneratedScripts`], or any
/// [`Provenance`]) in `format`; its manifest records the provider, model, request hash and a
/// summary of the diagnostics.
pub fn export_generated<'a>(
    scripts: impl Into<Provenance<'a>>,
    format: ExportFormat,
    config: &ExportConfig,
) -> Result<Vec<u8>> {
    write_archive(&Layout::build(&scripts.into(), format, format.as_str(), config)?, format, config)
}

fn write_archive(layout: &Layout, format: ExportFormat, config: &ExportConfig) -> Result<Vec<u8>> {
    match format {
        ExportFormat::Zip => zipfile::write(layout, config.compression_level),
        ExportFormat::Upm => upm::write(layout, config.compression_level),
        ExportFormat::UnityPackage => unitypackage::write(layout, config.compression_level),
    }
}

/// Files to export and where they came from, for the manifest.
#[derive(Debug, Clone, Copy)]
pub struct Provenance<'a> {
    pub(crate) files: &'a [ScriptFile],
    pub(crate) provider: Option<&'a str>,
    pub(crate) model: Option<&'a str>,
    pub(crate) request_hash: Option<&'a str>,
    pub(crate) diagnostics: &'a [Diagnostic],
    /// Rule ids of the output policy's blocking findings, when it held these files back.
    pub(crate) blocked: Option<&'a [String]>,
}

impl<'a> Provenance<'a> {
    /// Files with no recorded origin.
    pub fn files_only(files: &'a [ScriptFile]) -> Self {
        Provenance { files, provider: None, model: None, request_hash: None, diagnostics: &[], blocked: None }
    }

    /// Files produced by `provider` / `model` for the request hashed as `request_hash`, with
    /// their diagnostics (empty strings read as unknown).
    pub fn generated(
        files: &'a [ScriptFile],
        provider: &'a str,
        model: &'a str,
        request_hash: &'a str,
        diagnostics: &'a [Diagnostic],
    ) -> Self {
        let opt = |s: &'a str| if s.is_empty() { None } else { Some(s) };
        Provenance {
            files,
            provider: opt(provider),
            model: opt(model),
            request_hash: opt(request_hash),
            diagnostics,
            blocked: None,
        }
    }

    /// The same files, held back by the output policy for the findings of `rules`: export
    /// refuses them with [`Error::OutputBlocked`] unless [`ExportConfig::allow_unsafe`].
    pub fn blocked_by(mut self, rules: &'a [String]) -> Self {
        self.blocked = Some(rules);
        self
    }
}

/// One script after sanitising and analysis.
struct Script<'a> {
    name: String,
    source: &'a ScriptFile,
    editor: bool,
    facts: scan::ScriptFacts,
}

fn prepare<'a>(files: &'a [ScriptFile], config: &ExportConfig) -> Result<Vec<Script<'a>>> {
    if files.is_empty() {
        return Err(Error::Export("nothing to export: no scripts".into()));
    }
    if files.len() > config.max_files {
        return Err(Error::Export(format!(
            "too many scripts: {} (limit {}, `export.max_files`)",
            files.len(),
            config.max_files
        )));
    }
    let mut total = 0usize;
    for f in files {
        if f.content.len() > config.max_file_bytes {
            return Err(Error::Export(format!(
                "script {} is too large: {} bytes (limit {}, `export.max_file_bytes`)",
                path::quote(&f.path),
                f.content.len(),
                config.max_file_bytes
            )));
        }
        total += f.content.len();
    }
    if total > config.max_total_bytes {
        return Err(Error::Export(format!(
            "scripts are too large together: {total} bytes (limit {}, `export.max_total_bytes`)",
            config.max_total_bytes
        )));
    }
    let mut names = path::UniqueNames::default();
    let mut out = Vec::with_capacity(files.len());
    for (i, f) in files.iter().enumerate() {
        let facts = scan::scan(&f.content);
        let name = path::choose_file_name(Some(&f.path), || facts.main_type());
        let name = name.ok_or_else(|| {
            Error::Export(format!(
                "script #{} {}: no usable file name, and the content declares no type to name it after",
                i + 1,
                path::quote(&f.path)
            ))
        })?;
        let name = names.claim(&name);
        out.push(Script { name, source: f, editor: facts.uses_editor, facts });
    }
    Ok(out)
}

/// One file or folder of an export, with its archive path (`/`-separated, no trailing slash).
pub(crate) struct Asset<'a> {
    pub path: String,
    /// `None` for the mount folders (`Assets`, `package`) that have no `.meta`.
    pub guid: Option<String>,
    /// `None` for folders.
    pub data: Option<Cow<'a, [u8]>>,
    pub importer: Importer,
}

impl Asset<'_> {
    pub fn meta(&self) -> Option<String> {
        self.guid.as_deref().map(|g| meta_text(g, self.importer))
    }
}

/// Every asset of an export, sorted by path.
pub(crate) struct Layout<'a> {
    pub assets: Vec<Asset<'a>>,
}

/// A file before GUIDs are assigned: path relative to the package base.
struct Planned<'a> {
    rel: String,
    data: Cow<'a, [u8]>,
    /// For scripts: the model-given path when it differs from the file name, and whether the
    /// script went to the Editor assembly.
    script: Option<(Option<String>, bool)>,
}

impl<'a> Layout<'a> {
    /// `label` names the target in the manifest (`zip`, `upm`, `unitypackage`, `folder`).
    fn build(
        src: &Provenance<'a>,
        format: ExportFormat,
        label: &str,
        config: &ExportConfig,
    ) -> Result<Layout<'a>> {
        config.validate()?;
        if let Some(rules) = src.blocked
            && !config.allow_unsafe
        {
            return Err(Error::OutputBlocked { rules: rules.to_vec() });
        }
        let scripts = prepare(src.files, config)?;
        let upm = format == ExportFormat::Upm;
        // The base folder holds the package; the mount is the folder above it that has no meta.
        let (mount, base, package_id) = if upm {
            ("package".to_string(), "package".to_string(), config.package_name.clone())
        } else {
            let base = format!("Assets/{}", config.root);
            ("Assets".to_string(), base.clone(), base)
        };
        let runtime_dir = if upm { "Runtime" } else { "Scripts" };
        let asmdefs = upm || config.assembly_definitions;
        let runtime_asm = config.runtime_assembly(format);
        let editor_asm = format!("{runtime_asm}.Editor");

        let mut planned = Vec::with_capacity(scripts.len() + 6);
        let (mut runtime_refs, mut editor_refs) = (BTreeSet::new(), BTreeSet::new());
        let (mut runtime_unsafe, mut editor_unsafe) = (false, false);
        let has_runtime = scripts.iter().any(|s| !s.editor);
        for s in &scripts {
            let dir = if s.editor { "Editor" } else { runtime_dir };
            let (refs, uns) = if s.editor {
                (&mut editor_refs, &mut editor_unsafe)
            } else {
                (&mut runtime_refs, &mut runtime_unsafe)
            };
            refs.extend(s.facts.references.iter().map(|r| r.to_string()));
            *uns |= s.facts.uses_unsafe;
            planned.push(Planned {
                rel: format!("{dir}/{}", s.name),
                data: Cow::Borrowed(s.source.content.as_bytes()),
                script: Some(((s.source.path != s.name).then(|| s.source.path.clone()), s.editor)),
            });
        }
        if asmdefs {
            if has_runtime {
                let json = asmdef_json(&runtime_asm, runtime_refs, false, runtime_unsafe);
                planned.push(Planned {
                    rel: format!("{runtime_dir}/{runtime_asm}.asmdef"),
                    data: json.into(),
                    script: None,
                });
            }
            if scripts.iter().any(|s| s.editor) {
                if has_runtime {
                    editor_refs.insert(runtime_asm.clone());
                }
                let json = asmdef_json(&editor_asm, editor_refs, true, editor_unsafe);
                planned.push(Planned {
                    rel: format!("Editor/{editor_asm}.asmdef"),
                    data: json.into(),
                    script: None,
                });
            }
        }
        if upm {
            planned.push(Planned {
                rel: "package.json".into(),
                data: upm::package_json(config).into(),
                script: None,
            });
            let names: Vec<&str> = scripts.iter().map(|s| s.name.as_str()).collect();
            planned.push(Planned {
                rel: "README.md".into(),
                data: upm::readme(config, &names).into(),
                script: None,
            });
        }

        // Folders: every ancestor of a file below the base, and the base itself unless it is
        // the package root (a UPM package root needs no meta).
        let mut folders = BTreeSet::new();
        if !upm {
            folders.insert(String::new());
        }
        for p in &planned {
            let mut rel = p.rel.as_str();
            while let Some((parent, _)) = rel.rsplit_once('/') {
                folders.insert(parent.to_string());
                rel = parent;
            }
        }

        // GUIDs in sorted path order, the manifest included, so allocation is reproducible.
        let manifest_rel = MANIFEST_FILE_NAME.to_string();
        let mut rels: Vec<&str> =
            planned.iter().map(|p| p.rel.as_str()).chain(folders.iter().map(String::as_str)).collect();
        rels.push(&manifest_rel);
        rels.sort_unstable();
        let mut alloc = guid::GuidAllocator::default();
        let guids: std::collections::HashMap<String, String> =
            rels.iter().map(|r| (r.to_string(), alloc.allocate(&package_id, r))).collect();
        let full = |rel: &str| if rel.is_empty() { base.clone() } else { format!("{base}/{rel}") };

        let mut files = Vec::with_capacity(planned.len());
        for p in &planned {
            let guid = guids[p.rel.as_str()].clone();
            // Without assembly definitions Unity compiles into its predefined assemblies.
            let assembly = |editor: bool| match (asmdefs, editor) {
                (true, true) => editor_asm.clone(),
                (true, false) => runtime_asm.clone(),
                (false, true) => "Assembly-CSharp-Editor".to_string(),
                (false, false) => "Assembly-CSharp".to_string(),
            };
            let (source, assembly) = match &p.script {
                Some((source, editor)) => (source.clone(), Some(assembly(*editor))),
                None => (None, None),
            };
            files.push(ManifestFile {
                path: full(&p.rel),
                size: p.data.len() as u64,
                sha256: hex::encode(Sha256::digest(&p.data)),
                guid,
                source,
                assembly,
            });
        }
        files.sort_by(|a, b| a.path.cmp(&b.path));
        let manifest = ExportManifest {
            spark_version: crate::VERSION.to_string(),
            format: label.to_string(),
            package_id: package_id.clone(),
            provider: src.provider.map(str::to_string),
            model: src.model.map(str::to_string),
            request_hash: src.request_hash.map(str::to_string),
            validation: ValidationSummary::of(src.diagnostics),
            files,
        };

        let mut assets = Vec::with_capacity(planned.len() + folders.len() + 2);
        assets.push(Asset { path: mount.clone(), guid: None, data: None, importer: Importer::Folder });
        for f in folders.iter().filter(|f| !(f.is_empty() && base == mount)) {
            let guid = Some(guids[f.as_str()].clone());
            assets.push(Asset { path: full(f), guid, data: None, importer: Importer::Folder });
        }
        let manifest_guid = Some(guids[manifest_rel.as_str()].clone());
        for p in planned {
            let importer = Importer::for_file(&p.rel, upm);
            let guid = Some(guids[p.rel.as_str()].clone());
            assets.push(Asset { path: full(&p.rel), guid, data: Some(p.data), importer });
        }
        assets.push(Asset {
            path: full(&manifest_rel),
            guid: manifest_guid,
            data: Some(manifest.to_json().into()),
            importer: Importer::TextScript,
        });
        assets.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(Layout { assets })
    }
}

/// An assembly definition as Unity writes it (same keys, order and 4-space indent).
fn asmdef_json(name: &str, references: BTreeSet<String>, editor: bool, allow_unsafe: bool) -> Vec<u8> {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct AsmDef<'a> {
        name: &'a str,
        root_namespace: &'a str,
        references: Vec<String>,
        include_platforms: Vec<&'a str>,
        exclude_platforms: [&'a str; 0],
        allow_unsafe_code: bool,
        override_references: bool,
        precompiled_references: [&'a str; 0],
        auto_referenced: bool,
        define_constraints: [&'a str; 0],
        version_defines: [&'a str; 0],
        no_engine_references: bool,
    }
    let def = AsmDef {
        name,
        root_namespace: "",
        references: references.into_iter().collect(),
        include_platforms: if editor { vec!["Editor"] } else { vec![] },
        exclude_platforms: [],
        allow_unsafe_code: allow_unsafe,
        override_references: false,
        precompiled_references: [],
        auto_referenced: true,
        define_constraints: [],
        version_defines: [],
        no_engine_references: false,
    };
    pretty_json(&def, b"    ")
}

pub(crate) fn pretty_json<T: Serialize>(value: &T, indent: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(512);
    let mut ser = serde_json::Serializer::with_formatter(
        &mut out,
        serde_json::ser::PrettyFormatter::with_indent(indent),
    );
    // Serializing plain structs of strings, numbers and vectors into a Vec cannot fail.
    value.serialize(&mut ser).expect("JSON serialization of a plain struct");
    out.push(b'\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_names() {
        for f in ExportFormat::ALL {
            assert_eq!(f.as_str().parse::<ExportFormat>().unwrap(), f);
            assert_eq!(serde_json::to_string(&f).unwrap(), format!("\"{f}\""));
            assert_eq!(serde_json::from_str::<ExportFormat>(&format!("\"{f}\"")).unwrap(), f);
        }
        assert_eq!("TGZ".parse::<ExportFormat>().unwrap(), ExportFormat::Upm);
        assert_eq!("unity_package".parse::<ExportFormat>().unwrap(), ExportFormat::UnityPackage);
        let e = "tarball".parse::<ExportFormat>().unwrap_err();
        assert_eq!(e.code(), crate::ErrorCode::InvalidArgument);
        assert!(e.to_string().contains("zip"), "{e}");
        assert!(serde_json::from_str::<ExportFormat>("\"rar\"").is_err());
    }

    #[test]
    fn config_validation_names_the_field() {
        let ok = ExportConfig::default();
        ok.validate().unwrap();
        type Edit = fn(&mut ExportConfig);
        let cases: [(&str, Edit); 8] = [
            ("export.root", |c| c.root = "a/b".into()),
            ("export.root", |c| c.root = "CON".into()),
            ("export.package_name", |c| c.package_name = "My Tool".into()),
            ("export.package_version", |c| c.package_version = "1.0".into()),
            ("export.unity", |c| c.unity = "latest".into()),
            ("export.assembly_name", |c| c.assembly_name = "1abc".into()),
            ("export.max_files", |c| c.max_files = 0),
            ("export.compression_level", |c| c.compression_level = 10),
        ];
        for (field, edit) in cases {
            let mut c = ExportConfig::default();
            edit(&mut c);
            match c.validate() {
                Err(Error::Config { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{field}: {other:?}"),
            }
        }
    }

    #[test]
    fn assembly_names() {
        let c = ExportConfig { root: "my tools-2".into(), ..Default::default() };
        assert_eq!(c.runtime_assembly(ExportFormat::Zip), "Spark.MyTools2");
        assert_eq!(c.runtime_assembly(ExportFormat::Upm), "Spark.Generated");
        let c = ExportConfig { assembly_name: "Acme.Tools".into(), ..Default::default() };
        assert_eq!(c.runtime_assembly(ExportFormat::UnityPackage), "Acme.Tools");
    }
}
