"""Independent checker for SPARK exports (used by tests/export.rs).

Usage: python3 export_check.py <zip|upm|unitypackage> <archive>

Unpacks the archive with Python's own zipfile / tarfile, checks the Unity rules (every file and
folder has a .meta with the right importer, GUIDs are 32 lowercase hex and unique, assembly
definitions and package.json parse, the manifest's sizes, hashes and GUIDs match), and prints a
JSON summary on stdout for the Rust test to assert on. Any violated rule exits with status 1.
"""

import hashlib
import json
import os
import re
import sys
import tarfile
import tempfile
import zipfile

GUID = re.compile(r"^[0-9a-f]{32}$")
TAIL = ["  userData: ", "  assetBundleName: ", "  assetBundleVariant: ", ""]
MONO = ["  serializedVersion: 2", "  defaultReferences: []", "  executionOrder: 0", "  icon: {instanceID: 0}"]


def fail(msg):
    print("CHECK FAILED: " + msg, file=sys.stderr)
    sys.exit(1)


def expected_importer(path, is_dir, fmt):
    if is_dir:
        return "DefaultImporter"
    name = path.rsplit("/", 1)[-1]
    if fmt == "upm" and path == "package/package.json":
        return "PackageManifestImporter"
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return {
        "cs": "MonoImporter",
        "asmdef": "AssemblyDefinitionImporter",
        "json": "TextScriptImporter",
        "md": "TextScriptImporter",
    }.get(ext, "DefaultImporter")


def parse_meta(text, path, is_dir, fmt):
    lines = text.split("\n")
    if lines[0] != "fileFormatVersion: 2":
        fail(f"{path}.meta: first line {lines[0]!r}")
    m = re.fullmatch(r"guid: (.*)", lines[1])
    if not m or not GUID.match(m.group(1)):
        fail(f"{path}.meta: bad guid line {lines[1]!r}")
    rest = lines[2:]
    if is_dir:
        if rest[0] != "folderAsset: yes":
            fail(f"{path}.meta: folder without folderAsset: yes")
        rest = rest[1:]
    importer = expected_importer(path, is_dir, fmt)
    body = [importer + ":", "  externalObjects: {}"] + (MONO if importer == "MonoImporter" else []) + TAIL
    if rest != body:
        fail(f"{path}.meta: importer block {rest!r}, expected {body!r}")
    return m.group(1), importer


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def check_tree(root, mount, fmt, summary):
    """Walks an extracted tree: `mount` (Assets or package) has no meta; everything below does."""
    assets = {}
    base = os.path.join(root, mount)
    if not os.path.isdir(base):
        fail(f"no {mount}/ folder")
    for dirpath, dirnames, filenames in os.walk(base):
        rel_dir = os.path.relpath(dirpath, root).replace(os.sep, "/")
        for d in dirnames:
            p = f"{rel_dir}/{d}"
            meta = os.path.join(root, p + ".meta")
            if not os.path.isfile(meta):
                fail(f"folder {p} has no .meta")
            guid, importer = parse_meta(open(meta, encoding="utf-8").read(), p, True, fmt)
            assets[p] = {"guid": guid, "importer": importer, "dir": True}
        for f in filenames:
            p = f"{rel_dir}/{f}"
            full = os.path.join(root, p)
            if f.endswith(".meta"):
                target = full[: -len(".meta")]
                if not os.path.exists(target):
                    fail(f"orphan meta {p}")
                if rel_dir == mount and os.path.normpath(target) == os.path.normpath(base):
                    fail("the mount folder must not have a meta")
                continue
            meta = full + ".meta"
            if not os.path.isfile(meta):
                fail(f"file {p} has no .meta")
            data = open(full, "rb").read()
            guid, importer = parse_meta(open(meta, encoding="utf-8").read(), p, False, fmt)
            assets[p] = {"guid": guid, "importer": importer, "dir": False, "size": len(data), "sha256": sha256(data)}
            if f.endswith(".asmdef"):
                summary["asmdefs"][p] = json.loads(data)
            if p == "package/package.json":
                summary["package_json"] = json.loads(data)
            if f == "spark-manifest.json":
                summary["manifest_path"] = p
                summary["manifest"] = json.loads(data)
    return assets


def check_zip(path, summary):
    with zipfile.ZipFile(path) as z:
        bad = z.testzip()
        if bad is not None:
            fail(f"corrupt member {bad}")
        infos = z.infolist()
        summary["entries"] = [i.filename for i in infos]
        summary["timestamps"] = sorted({"%04d-%02d-%02d %02d:%02d:%02d" % i.date_time for i in infos})
        summary["modes"] = sorted({oct((i.external_attr >> 16) & 0o7777) for i in infos})
        with tempfile.TemporaryDirectory() as tmp:
            z.extractall(tmp)
            return check_tree(tmp, "Assets", "zip", summary)


def check_upm(path, summary):
    with tarfile.open(path, "r:gz") as t:
        members = t.getmembers()
        summary["entries"] = [m.name for m in members]
        summary["timestamps"] = sorted({m.mtime for m in members})
        summary["modes"] = sorted({oct(m.mode) for m in members})
        for m in members:
            if not (m.isfile() or m.isdir()):
                fail(f"{m.name} is not a plain file or folder")
            if not m.name.startswith("package/"):
                fail(f"{m.name} is not under package/")
        with tempfile.TemporaryDirectory() as tmp:
            t.extractall(tmp, filter="data")
            return check_tree(tmp, "package", "upm", summary)


def check_unitypackage(path, summary):
    parts = {}
    with tarfile.open(path, "r:gz") as t:
        members = t.getmembers()
        summary["entries"] = [m.name for m in members]
        summary["timestamps"] = sorted({m.mtime for m in members})
        summary["modes"] = sorted({oct(m.mode) for m in members})
        for m in members:
            mt = re.fullmatch(r"([0-9a-f]{32})(?:/(asset|asset\.meta|pathname))?/?", m.name)
            if not mt:
                fail(f"unexpected member {m.name}")
            guid, kind = mt.group(1), mt.group(2)
            entry = parts.setdefault(guid, {})
            if kind is None:
                if not m.isdir():
                    fail(f"{m.name} should be a folder")
                continue
            if not m.isfile():
                fail(f"{m.name} is not a plain file")
            entry[kind] = t.extractfile(m).read()
    assets = {}
    for guid, e in parts.items():
        if "pathname" not in e or "asset.meta" not in e:
            fail(f"{guid} lacks pathname or asset.meta")
        p = e["pathname"].decode("utf-8")
        if p in assets:
            fail(f"pathname {p} appears twice")
        is_dir = "asset" not in e
        meta_guid, importer = parse_meta(e["asset.meta"].decode("utf-8"), p, is_dir, "unitypackage")
        if meta_guid != guid:
            fail(f"{p}: meta guid {meta_guid} differs from folder {guid}")
        info = {"guid": guid, "importer": importer, "dir": is_dir}
        if not is_dir:
            data = e["asset"]
            info.update(size=len(data), sha256=sha256(data))
            if p.endswith(".asmdef"):
                summary["asmdefs"][p] = json.loads(data)
            if p.endswith("/spark-manifest.json"):
                summary["manifest_path"] = p
                summary["manifest"] = json.loads(data)
        assets[p] = info
    for p in list(assets):
        parent = p.rsplit("/", 1)[0]
        while parent != "Assets":
            if parent not in assets or not assets[parent]["dir"]:
                fail(f"{p}: parent folder {parent} has no entry")
            parent = parent.rsplit("/", 1)[0]
    return assets


def main():
    fmt, path = sys.argv[1], sys.argv[2]
    summary = {"asmdefs": {}, "package_json": None, "manifest": None}
    assets = {"zip": check_zip, "upm": check_upm, "unitypackage": check_unitypackage}[fmt](path, summary)
    guids = [a["guid"] for a in assets.values()]
    if len(guids) != len(set(guids)):
        fail("duplicate GUIDs")
    manifest = summary["manifest"]
    if manifest is None:
        fail("no spark-manifest.json")
    listed = {f["path"]: f for f in manifest["files"]}
    files = {p for p, a in assets.items() if not a["dir"] and p != summary["manifest_path"]}
    if set(listed) != files:
        fail(f"manifest lists {sorted(listed)} but the archive holds {sorted(files)}")
    for p, f in listed.items():
        a = assets[p]
        if (f["size"], f["sha256"], f["guid"]) != (a["size"], a["sha256"], a["guid"]):
            fail(f"manifest entry {p} does not match the file")
    summary["assets"] = assets
    json.dump(summary, sys.stdout)


main()
