#!/usr/bin/env python3
"""Unity rule recall against Microsoft.Unity.Analyzers' own tests
(https://github.com/microsoft/Microsoft.Unity.Analyzers, src/Microsoft.Unity.Analyzers.Tests).

Each test method there holds a C# source (`const string test = @"..."`) and the diagnostics the
analyzer must report on it (`ExpectDiagnostic(...).WithLocation(line, column)`), or none. For the
UNT ids that SPARK's README rule table names, this runs SPARK's validation on every such source
and reports, by UNT id: expected diagnostics fired (a SPARK rule with that UNT id on the expected
line), and SPARK findings of that id on sources where the analyzer expects none of it.

The sources are read from the fetched git snapshot at measurement time, never copied here. Needs
the Python binding built into .venv (`bash scripts/test-python.sh`).

    .venv/bin/python scripts/measure_analyzers.py /work/.mirror/microsoft+Microsoft.Unity.Analyzers/repo [--show]
"""

from __future__ import annotations

import argparse
import json
import pathlib
import re
import subprocess
import sys
from collections import defaultdict

import spark

TESTS = "src/Microsoft.Unity.Analyzers.Tests/"
ANALYZERS = "src/Microsoft.Unity.Analyzers/"


def git(git_dir: str, *args: str) -> str:
    return subprocess.run(["git", "--git-dir", git_dir, *args], capture_output=True, check=True).stdout.decode(
        "utf-8", "replace"
    )


def modelled() -> dict[str, list[str]]:
    """UNT id -> SPARK rules, from the README rule table."""
    readme = (pathlib.Path(__file__).resolve().parent.parent / "README.md").read_text()
    out: dict[str, list[str]] = defaultdict(list)
    for m in re.finditer(r"^\| (SPK\d{4}) \| \w+ \| \w+ \| ([^|]+) \|", readme, re.M):
        for unt in re.findall(r"UNT\d{4}", m.group(2)):
            out[unt].append(m.group(1))
    return dict(out)


def analyzer_ids(git_dir: str) -> dict[str, dict[str, str]]:
    """Analyzer class -> {descriptor or constant name -> UNT id, "": its default id}."""
    out: dict[str, dict[str, str]] = {}
    for path in git(git_dir, "ls-tree", "-r", "--name-only", "HEAD", ANALYZERS).splitlines():
        if not path.endswith(".cs"):
            continue
        text = git(git_dir, "show", f"HEAD:{path}")
        consts = dict(re.findall(r"(\w+)\s*=\s*\"(UNT\d{4})\"", text))
        names: dict[str, str] = dict(consts)
        for name, ident in re.findall(r"DiagnosticDescriptor\s+(\w+)\s*=\s*new\w*\(\s*id:\s*([\w\"]+)", text):
            unt = ident.strip('"') if ident.startswith('"') else consts.get(ident)
            if unt:
                names[name] = unt
        if not names:
            continue
        default = names.get("Rule") or next(iter(names.values()))
        # `class XAnalyzer : …` or, with a primary constructor, `class XAnalyzer() : …`.
        for cls in re.findall(r"class\s+(\w+Analyzer)\s*(?:\([^)]*\))?\s*:", text):
            out[cls] = {**names, "": default}
    return out


def verbatim(body: str, start: int) -> str | None:
    """The C# verbatim string starting at `body[start]` (just after `@"`)."""
    out = []
    i = start
    while i < len(body):
        c = body[i]
        if c == '"':
            if body.startswith('""', i):
                out.append('"')
                i += 2
                continue
            return "".join(out)
        out.append(c)
        i += 1
    return None


def cases(text: str, ids: dict[str, dict[str, str]]):
    """(test name, source, [(UNT id, line or None)]) of each test method of a test class."""
    m = re.search(r"class\s+\w+\s*:\s*Base\w*VerifierTest<(\w+)", text)
    if not m or m.group(1) not in ids:
        return
    names = ids[m.group(1)]
    for fact in re.split(r"\[(?:Fact|Theory)[^\]]*\]", text)[1:]:
        name = re.search(r"Task\s+(\w+)\s*\(", fact)
        src_at = re.search(r"(?:const\s+)?string\s+test\s*=\s*@\"", fact)
        if not name or not src_at:
            continue
        source = verbatim(fact, src_at.end())
        call = re.search(r"VerifyCSharpDiagnosticAsync\(([^;]*)\);", fact)
        if source is None or not call:
            continue
        expected = []
        for var in [a.strip() for a in call.group(1).split(",")]:
            d = re.search(
                rf"var\s+{re.escape(var)}\s*=\s*ExpectDiagnostic\(([^)]*)\)\s*(?:\.WithLocation\((\d+),\s*(\d+)\))?",
                fact,
            )
            if not d:
                continue
            ref = d.group(1).strip().removesuffix(".Id")
            unt = names.get(ref.rsplit(".", 1)[-1], names[""]) if ref else names[""]
            expected.append((unt, int(d.group(2)) if d.group(2) else None))
        yield name.group(1), source, expected, set(names.values())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("repo", help="git directory of Microsoft.Unity.Analyzers")
    ap.add_argument("--show", action="store_true", help="print every miss and every extra finding")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    spk = modelled()
    ids = analyzer_ids(args.repo)
    commit = git(args.repo, "rev-parse", "HEAD").strip()
    stats: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    details = []
    files = [p for p in git(args.repo, "ls-tree", "-r", "--name-only", "HEAD", TESTS).splitlines() if p.endswith("Tests.cs")]
    for path in files:
        text = git(args.repo, "show", f"HEAD:{path}")
        for test, source, expected, analyzer_units in cases(text, ids):
            wanted = [u for u in analyzer_units if u in spk]
            if not wanted:
                continue
            diags = spark.validate(source)
            where = f"{path.rsplit('/', 1)[-1]}:{test}"
            for unt in wanted:
                rules = spk[unt]
                got = [d for d in diags if d.rule in rules]
                exp = [line for u, line in expected if u == unt]
                s = stats[unt]
                s["sources"] += 1
                for line in exp:
                    s["expected"] += 1
                    ok = any(line is None or d.line == line for d in got)
                    s["fired"] += ok
                    if not ok:
                        details.append(f"missed {unt} at {where} line {line}")
                if not exp and got:
                    s["extra"] += 1
                    details.append(f"extra {unt} ({got[0].rule}) at {where} line {got[0].line}")
    total_exp = sum(s["expected"] for s in stats.values())
    total_fired = sum(s["fired"] for s in stats.values())
    total_extra = sum(s["extra"] for s in stats.values())
    if args.json:
        print(json.dumps({"commit": commit, "by_unt": {u: dict(s) for u, s in sorted(stats.items())}}, indent=2))
        return 0
    print(f"{'UNT':8} {'SPARK':18} fired/expected  extra (sources without that diagnostic)")
    for unt in sorted(stats):
        s = stats[unt]
        print(f"{unt:8} {','.join(spk[unt]):18} {s['fired']:>4}/{s['expected']:<4}       {s['extra']}")
    print(
        f"\nMicrosoft.Unity.Analyzers@{commit[:12]}: {total_fired}/{total_exp} expected diagnostics fired "
        f"({100 * total_fired / max(total_exp, 1):.1f}%), {total_extra} sources with a finding the analyzer does not expect"
    )
    missing = sorted(set(spk) - set(stats))
    if missing:
        print(f"modelled ids without test sources: {missing}")
    if args.show:
        print("\n" + "\n".join(details))
    return 0


if __name__ == "__main__":
    sys.exit(main())
