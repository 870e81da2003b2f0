#!/usr/bin/env python3
"""False errors on real Unity projects: validates every .cs file of some git repositories as one
project each (their .asmdef files included) and counts the files with any error, by rule.

The code is read from the git directories at measurement time (`git --git-dir D cat-file`), never
copied into this repository. Each argument is `GIT_DIR[:SUBFOLDER]`; SUBFOLDER keeps the Unity
project of a repository that also holds plain .NET code (C# newer than Unity's is not an error
there). Needs the Python binding built into .venv (`bash scripts/test-python.sh`).

    .venv/bin/python scripts/measure_realworld.py /work/.mirror/Owner+Name/repo[:Assets] ... [--show]

Prints, per repository and in total: files, files with an error, and the files with an error per
rule; with `--show`, every error (file:line:col rule message). `--json` prints the figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from collections import Counter

import spark


def git(git_dir: str, *args: str, data: bytes | None = None) -> bytes:
    return subprocess.run(
        ["git", "--git-dir", git_dir, *args], input=data, capture_output=True, check=True
    ).stdout


def read_tree(git_dir: str, prefix: str) -> tuple[str, list[tuple[str, str]], list[tuple[str, str]]]:
    """The commit and the (path, text) of every .cs and .asmdef file under `prefix`."""
    commit = git(git_dir, "rev-parse", "HEAD").decode().strip()
    listing = git(git_dir, "ls-tree", "-r", "HEAD").decode("utf-8", "replace").splitlines()
    wanted: list[tuple[str, str]] = []
    for line in listing:
        meta, path = line.split("\t", 1)
        kind, obj = meta.split()[1:3]
        if kind == "blob" and path.startswith(prefix) and path.endswith((".cs", ".asmdef")):
            wanted.append((path, obj))
    batch = git(git_dir, "cat-file", "--batch", data="".join(f"{o}\n" for _, o in wanted).encode())
    texts: list[str] = []
    pos = 0
    for _ in wanted:
        header_end = batch.index(b"\n", pos)
        size = int(batch[pos:header_end].split()[2])
        body = batch[header_end + 1 : header_end + 1 + size]
        texts.append(body.decode("utf-8-sig", "replace"))
        pos = header_end + 1 + size + 1
    cs = [(p, t) for (p, _), t in zip(wanted, texts) if p.endswith(".cs")]
    asm = [(p, t) for (p, _), t in zip(wanted, texts) if p.endswith(".asmdef")]
    return commit, cs, asm


def project_unity(git_dir: str) -> str | None:
    """`2022.3` from the repository's ProjectSettings/ProjectVersion.txt (the shallowest one)."""
    names = git(git_dir, "ls-tree", "-r", "--name-only", "HEAD").decode("utf-8", "replace").splitlines()
    found = sorted((n for n in names if n.endswith("ProjectSettings/ProjectVersion.txt")), key=lambda n: n.count("/"))
    if not found:
        return None
    text = git(git_dir, "show", f"HEAD:{found[0]}").decode("utf-8", "replace")
    m = re.search(r"m_EditorVersion:\s*(\d+)\.(\d+)", text)
    return f"{m.group(1)}.{m.group(2)}" if m else None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("repos", nargs="+", help="GIT_DIR[:SUBFOLDER]")
    ap.add_argument("--show", action="store_true", help="print every error")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    ap.add_argument("--no-asmdefs", action="store_true", help="ignore the .asmdef files (single-file view)")
    args = ap.parse_args()

    total_files = 0
    total_bad: set[tuple[str, str]] = set()
    total_by_rule: Counter[str] = Counter()
    report = []
    for spec in args.repos:
        git_dir, _, prefix = spec.partition(":")
        commit, files, asmdefs = read_tree(git_dir, prefix)
        # The Unity version the project is made with decides the C# version and the API (a
        # package without a project of its own: Unity 2022.3, SPARK's default).
        unity = project_unity(git_dir) or "2022.3"
        client = spark.Spark({"providers": {"order": ["offline"]}, "validation": {"unity_version": unity}})
        diags = client.validate_project(files, [] if args.no_asmdefs else asmdefs)
        errors = [d for d in diags if d.severity == "error"]
        bad = {d.file for d in errors}
        by_rule: Counter[str] = Counter()
        for rule in {(d.file, d.rule) for d in errors}:
            by_rule[rule[1]] += 1
        name = git_dir.rstrip("/").removesuffix("/repo").rsplit("/", 1)[-1].replace("+", "/")
        report.append(
            {
                "repo": name,
                "commit": commit,
                "subfolder": prefix,
                "unity": unity,
                "files": len(files),
                "asmdefs": len(asmdefs),
                "files_with_error": len(bad),
                "by_rule": dict(sorted(by_rule.items())),
            }
        )
        total_files += len(files)
        total_bad |= {(name, f) for f in bad}
        total_by_rule.update(by_rule)
        if args.show:
            for d in errors:
                print(f"  {name}: {d}", file=sys.stderr)
    total = {
        "files": total_files,
        "files_with_error": len(total_bad),
        "by_rule": dict(sorted(total_by_rule.items())),
    }
    if args.json:
        print(json.dumps({"repos": report, "total": total}, indent=2))
    else:
        for r in report:
            sub = f":{r['subfolder']}" if r["subfolder"] else ""
            print(
                f"{r['repo']}@{r['commit'][:12]}{sub} (Unity {r['unity']}): {r['files']} files, {r['asmdefs']} asmdefs, "
                f"{r['files_with_error']} with an error {r['by_rule']}"
            )
        print(f"total: {total['files']} files, {total['files_with_error']} with an error {total['by_rule']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
