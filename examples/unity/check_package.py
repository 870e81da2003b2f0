#!/usr/bin/env python3
"""Checks the Unity sample package (run by scripts/test-ffi.sh).

- package.json: UPM name, semver version (equal to --version when given), displayName, unity version;
- every file and folder Unity imports has a .meta, and no .meta is orphaned;
- every .meta has fileFormatVersion 2, a 32-lowercase-hex GUID unique in the package, and the
  importer its asset needs (MonoImporter for .cs, AssemblyDefinitionImporter for .asmdef,
  PackageManifestImporter for package.json, TextScriptImporter for text, PluginImporter for native
  libraries, DefaultImporter with folderAsset for folders);
- asmdefs: valid JSON, unique names, references resolvable, Editor/ ones Editor-only;
- no UnityEditor code outside Editor/ unless under #if UNITY_EDITOR; a class deriving from
  MonoBehaviour, ScriptableObject or EditorWindow lives in a file named after it.

Usage: check_package.py PACKAGE_DIR [--version X.Y.Z]. Exits 1 listing every problem.
"""

import json
import re
import sys
from pathlib import Path

IMPORTERS = {
    ".cs": "MonoImporter",
    ".asmdef": "AssemblyDefinitionImporter",
    ".md": "TextScriptImporter",
    ".txt": "TextScriptImporter",
    ".json": "TextScriptImporter",
    ".so": "PluginImporter",
    ".dll": "PluginImporter",
    ".dylib": "PluginImporter",
    ".bundle": "PluginImporter",
}


def ignored(path: Path, root: Path) -> bool:
    """Unity skips hidden names and names ending in '~' (and everything below them)."""
    return any(p.startswith(".") or p.endswith("~") for p in path.relative_to(root).parts)


def main() -> int:
    args = sys.argv[1:]
    version = None
    if "--version" in args:
        i = args.index("--version")
        version = args[i + 1]
        del args[i : i + 2]
    root = Path(args[0]).resolve()
    problems: list[str] = []

    manifest = json.loads((root / "package.json").read_text(encoding="utf-8"))
    if not re.fullmatch(r"com\.[a-z0-9][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)+", manifest.get("name", "")):
        problems.append(f"package.json: name {manifest.get('name')!r} is not a reverse-domain UPM name")
    if not re.fullmatch(r"\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?", manifest.get("version", "")):
        problems.append(f"package.json: version {manifest.get('version')!r} is not semver")
    if version is not None and manifest.get("version") != version:
        problems.append(f"package.json: version {manifest.get('version')} differs from the library's {version}")
    if not manifest.get("displayName"):
        problems.append("package.json: displayName missing")
    if not re.fullmatch(r"\d{4}\.\d+", manifest.get("unity", "")):
        problems.append(f"package.json: unity {manifest.get('unity')!r} is not like 2021.3")

    guids: dict[str, Path] = {}
    for path in sorted(root.rglob("*")):
        if ignored(path, root):
            continue
        rel = path.relative_to(root)
        if path.suffix == ".meta":
            if not path.with_suffix("").exists():
                problems.append(f"{rel}: orphaned .meta")
            continue
        meta = path.with_name(path.name + ".meta")
        if not meta.is_file():
            problems.append(f"{rel}: no .meta")
            continue
        text = meta.read_text(encoding="utf-8")
        if not text.startswith("fileFormatVersion: 2\n"):
            problems.append(f"{rel}.meta: does not start with fileFormatVersion: 2")
        m = re.search(r"^guid: (\S*)$", text, re.M)
        guid = m.group(1) if m else ""
        if not re.fullmatch(r"[0-9a-f]{32}", guid):
            problems.append(f"{rel}.meta: guid {guid!r} is not 32 lowercase hex digits")
        elif guid in guids:
            problems.append(f"{rel}.meta: guid {guid} also used by {guids[guid]}")
        else:
            guids[guid] = rel
        if path.is_dir():
            want = "DefaultImporter"
            if "\nfolderAsset: yes\n" not in text:
                problems.append(f"{rel}.meta: a folder needs folderAsset: yes")
        elif path.name == "package.json" and path.parent == root:
            want = "PackageManifestImporter"
        else:
            want = IMPORTERS.get(path.suffix, "DefaultImporter")
        if not re.search(rf"^{want}:$", text, re.M):
            problems.append(f"{rel}.meta: expected a {want}")

    asmdefs = {}
    for path in sorted(root.rglob("*.asmdef")):
        rel = path.relative_to(root)
        try:
            a = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as e:
            problems.append(f"{rel}: invalid JSON: {e}")
            continue
        name = a.get("name")
        if not name or name in asmdefs:
            problems.append(f"{rel}: missing or duplicate assembly name {name!r}")
        asmdefs[name] = (rel, a)
    for name, (rel, a) in asmdefs.items():
        for ref in a.get("references", []):
            if ref not in asmdefs and not ref.startswith("GUID:") and not ref.startswith("Unity"):
                problems.append(f"{rel}: reference {ref!r} is not an assembly of the package")
        if "Editor" in rel.parts and a.get("includePlatforms") != ["Editor"]:
            problems.append(f"{rel}: an Editor assembly must have includePlatforms [\"Editor\"]")

    for path in sorted(root.rglob("*.cs")):
        if ignored(path, root):
            continue
        rel = path.relative_to(root)
        src = path.read_text(encoding="utf-8")
        if "Editor" not in rel.parts and re.search(r"^using UnityEditor", src, re.M) and "#if UNITY_EDITOR" not in src:
            problems.append(f"{rel}: UnityEditor code outside an Editor folder")
        for cls, base in re.findall(r"class\s+(\w+)\s*:\s*(?:UnityEngine\.|UnityEditor\.)?(\w+)", src):
            if base in ("MonoBehaviour", "ScriptableObject", "EditorWindow") and cls != path.stem:
                problems.append(f"{rel}: {base} {cls} must live in {cls}.cs")

    for p in problems:
        print(f"check_package: {p}", file=sys.stderr)
    if not problems:
        print(f"check_package: {root.name}: {len(guids)} assets with valid .meta files, {len(asmdefs)} asmdefs")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
