//! `.meta` files, written exactly as the Unity editor writes them (2019.4 … 6000.x), so that
//! importing the export does not rewrite them and version control stays quiet.

/// The importer Unity uses for an asset, by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Importer {
    /// A folder: `folderAsset: yes` with `DefaultImporter`.
    Folder,
    /// A C# script (`.cs`).
    Mono,
    /// An assembly definition (`.asmdef`).
    AssemblyDefinition,
    /// A UPM `package.json`.
    PackageManifest,
    /// A text asset (`.json`, `.md`, `.txt`…).
    TextScript,
    /// Anything else.
    Default,
}

impl Importer {
    /// The importer for a file at `path` (`/`-separated); `package_root` says whether the file
    /// sits at the root of a UPM package, where `package.json` is the manifest.
    pub fn for_file(path: &str, package_root: bool) -> Importer {
        let name = path.rsplit('/').next().unwrap_or(path);
        if package_root && name == "package.json" {
            return Importer::PackageManifest;
        }
        let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
        match ext.as_str() {
            "cs" => Importer::Mono,
            "asmdef" => Importer::AssemblyDefinition,
            "json" | "md" | "txt" | "xml" | "yaml" | "yml" | "csv" | "html" | "htm" | "bytes" => {
                Importer::TextScript
            }
            _ => Importer::Default,
        }
    }

    fn section(self) -> &'static str {
        match self {
            Importer::Folder | Importer::Default => "DefaultImporter",
            Importer::Mono => "MonoImporter",
            Importer::AssemblyDefinition => "AssemblyDefinitionImporter",
            Importer::PackageManifest => "PackageManifestImporter",
            Importer::TextScript => "TextScriptImporter",
        }
    }
}

/// The `.meta` text for an asset with `guid` imported by `importer`.
///
/// Note the single space after `userData:`, `assetBundleName:` and `assetBundleVariant:`:
/// Unity writes empty scalars that way.
pub fn meta_text(guid: &str, importer: Importer) -> String {
    let mut s = String::with_capacity(256);
    s.push_str("fileFormatVersion: 2\nguid: ");
    s.push_str(guid);
    s.push('\n');
    if importer == Importer::Folder {
        s.push_str("folderAsset: yes\n");
    }
    s.push_str(importer.section());
    s.push_str(":\n  externalObjects: {}\n");
    if importer == Importer::Mono {
        s.push_str(
            "  serializedVersion: 2\n  defaultReferences: []\n  executionOrder: 0\n  icon: {instanceID: 0}\n",
        );
    }
    s.push_str("  userData: \n  assetBundleName: \n  assetBundleVariant: \n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mono_meta_matches_unity() {
        let g = "8fc4f76dcd03d4e2ea3de6827f2200c1";
        assert_eq!(
            meta_text(g, Importer::Mono),
            "fileFormatVersion: 2\nguid: 8fc4f76dcd03d4e2ea3de6827f2200c1\nMonoImporter:\n  externalObjects: {}\n  \
             serializedVersion: 2\n  defaultReferences: []\n  executionOrder: 0\n  icon: {instanceID: 0}\n  \
             userData: \n  assetBundleName: \n  assetBundleVariant: \n"
        );
        assert_eq!(
            meta_text(g, Importer::Folder),
            "fileFormatVersion: 2\nguid: 8fc4f76dcd03d4e2ea3de6827f2200c1\nfolderAsset: yes\nDefaultImporter:\n  \
             externalObjects: {}\n  userData: \n  assetBundleName: \n  assetBundleVariant: \n"
        );
    }

    #[test]
    fn importer_by_name() {
        assert_eq!(Importer::for_file("Runtime/A.cs", false), Importer::Mono);
        assert_eq!(Importer::for_file("Runtime/A.asmdef", false), Importer::AssemblyDefinition);
        assert_eq!(Importer::for_file("package.json", true), Importer::PackageManifest);
        assert_eq!(Importer::for_file("package.json", false), Importer::TextScript);
        assert_eq!(Importer::for_file("README.md", true), Importer::TextScript);
        assert_eq!(Importer::for_file("LICENSE", true), Importer::Default);
    }
}
