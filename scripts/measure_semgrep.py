#!/usr/bin/env python3
"""Security scan precision and recall on an independent corpus: the C# test files of
semgrep-rules (https://github.com/semgrep/semgrep-rules, folder csharp/).

Each test file marks the line after a `// ruleid: <id>` comment as a finding of rule <id> and the
line after `// ok: <id>` (or a bare `// ok`) as clean. RULES below maps each semgrep rule to the
SPARK rules with the same meaning, or says why SPARK does not model it. For a covered rule, a
positive counts as caught when a mapped SPARK rule reports inside the annotated construct (the
statement, or the whole block when the line opens one); a negative is a false positive when one
does. POLICY lists the negatives SPARK flags on purpose, each with the reason; they are reported
apart, never hidden.

The files are read from the fetched git snapshot at measurement time, never copied here. Needs
the Python binding built into .venv (`bash scripts/test-python.sh`).

    .venv/bin/python scripts/measure_semgrep.py /work/.mirror/semgrep+semgrep-rules/repo [--show]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from collections import defaultdict

import spark

# semgrep rule id -> (SPARK rules that cover it, or None, and a note).
RULES: dict[str, tuple[list[str] | None, str]] = {
    "os-command-injection": (["SPK2001"], "every process start is an error in game code"),
    "insecure-binaryformatter-deserialization": (["SPK2002"], ""),
    "data-contract-resolver": (["SPK2002"], ""),
    "insecure-fastjson-deserialization": (["SPK2002"], "type checking switched off"),
    "insecure-fspickler-deserialization": (["SPK2002"], ""),
    "insecure-typefilterlevel-full": (["SPK2002"], ""),
    "insecure-javascriptserializer-deserialization": (["SPK2002"], "with a type resolver"),
    "insecure-losformatter-deserialization": (["SPK2002"], ""),
    "insecure-netdatacontract-deserialization": (["SPK2002"], ""),
    "insecure-newtonsoft-deserialization": (["SPK2002"], "TypeNameHandling other than None"),
    "insecure-soapformatter-deserialization": (["SPK2002"], ""),
    "memory-marshal-create-span": (["SPK2013"], "raw memory access"),
    "regular-expression-dos": (["SPK2018"], "SPARK asks for a timeout on every runtime regex"),
    "regular-expression-dos-infinite-timeout": (["SPK2018"], "a timeout over 5 s is no timeout"),
    "use_deprecated_cipher_algorithm": (["SPK2014"], ""),
    "use_ecb_mode": (["SPK2014"], ""),
    "use_weak_rng_for_keygeneration": (["SPK2016"], ""),
    "use_weak_rsa_encryption_padding": (["SPK2014"], "RSA PKCS#1 v1.5 key exchange"),
    "correctness-sslcertificatetrust-handshake-no-trust": (None, "platform-support correctness (trust list sent in the handshake), not a bypass"),
    "X509-subject-name-validation": (["SPK2008"], "certificate checked by subject-name string"),
    "http-listener-wildcard-bindings": (["SPK2020"], ""),
    "unsafe-path-combine": (["SPK2005"], "path built from method input"),
    "ssrf": (["SPK2006", "SPK2007"], "request URL that is not a literal"),
    "xmldocument-unsafe-parser-override": (["SPK2017"], ""),
    "xmlreadersettings-unsafe-parser-override": (["SPK2017"], ""),
    "xmltextreader-unsafe-defaults": (["SPK2017"], ""),
    # Not modelled: server-side (ASP.NET, databases, directory services) or not a security rule.
    "ldap-injection": (None, "server-side directory query; no LDAP in a game"),
    "mass-assignment": (None, "ASP.NET MVC model binding"),
    "misconfigured-lockout-option": (None, "ASP.NET Identity sign-in"),
    "missing-or-broken-authorization": (None, "ASP.NET MVC controllers"),
    "open-directory-listing": (None, "ASP.NET static files"),
    "xpath-injection": (None, "server-side XPath query built from a request"),
    "mvc-missing-antiforgery": (None, "ASP.NET MVC controllers"),
    "razor-template-injection": (None, "ASP.NET Razor views"),
    "structured-logging": (None, "logging style, not security"),
    "double-epsilon-equality": (None, "numeric correctness, not security"),
    "regioninfo-interop": (None, "globalization correctness, not security"),
    "correctness-double-epsilon-equality": (None, "numeric correctness, not security"),
    "correctness-regioninfo-interop": (None, "globalization correctness, not security"),
    "jwt-tokenvalidationparameters-no-expiry-validation": (None, "server-side JWT validation"),
    "X509Certificate2-privkey": (None, "deprecated API, not a vulnerability by itself"),
    "unsigned-security-token": (None, "server-side WS-Federation tokens"),
    "missing-hsts-header": (None, "ASP.NET response headers"),
    "open-redirect": (None, "ASP.NET redirects"),
    "csharp-sqli": (None, "SQL databases; taint from web requests"),
    # ssrf/rest-client.cs reuses the id `ssrf` for RestSharp.
    "rest-client:ssrf": (None, "RestSharp (a server-side HTTP client) is not modelled"),
    "stacktrace-disclosure": (None, "ASP.NET error pages"),
}

# (semgrep rule, text in the annotated construct, any case) -> why SPARK reports this `ok` case
# on purpose.
POLICY: dict[tuple[str, str], str] = {
    ("os-command-injection", "process"): "SPARK blocks every process start in game code, constant or not",
    ("use_deprecated_cipher_algorithm", "TripleDES"): "TripleDES is deprecated (NIST SP 800-131A, 2023); SPK2014 treats it as broken",
    ("regular-expression-dos", "FromSeconds(2000)"): "a 2000 s timeout is infinite by semgrep's own regular-expression-dos-infinite-timeout rule",
}

# `// ruleid: deeptodoruleid: use_ecb_mode` names the rule last.
ANNOT = re.compile(r"//\s*(ruleid|ok)\b:?((?:\s*[\w.-]+:)*)\s*([\w.-]*)")


def git(git_dir: str, *args: str) -> bytes:
    return subprocess.run(["git", "--git-dir", git_dir, *args], capture_output=True, check=True).stdout


def construct_end(lines: list[str], start: int) -> int:
    """Index of the last line of the statement or block that begins at `start`."""
    depth = 0
    opened = False
    for i in range(start, min(len(lines), start + 60)):
        code = lines[i].split("//", 1)[0]
        for c in code:
            if c in "{(":
                depth += 1
                opened = opened or c == "{"
            elif c in "})":
                depth -= 1
        stripped = code.rstrip()
        if depth <= 0 and (opened or stripped.endswith(";")):
            return i
    return start


def cases(text: str, rule_of_file: str) -> list[tuple[str, str, int, int, str]]:
    """(kind, rule, first line, last line, line text) of each annotation, 1-based lines."""
    lines = text.split("\n")
    out = []
    for i, line in enumerate(lines):
        m = ANNOT.search(line)
        if not m:
            continue
        kind, rule = m.group(1), m.group(3) or rule_of_file
        # A trailing annotation marks its own line; a comment line marks the next code line.
        target = i
        if line.strip().startswith("//"):
            target = i + 1
            while target < len(lines) and (not lines[target].strip() or lines[target].strip().startswith("//")):
                target += 1
        if target >= len(lines):
            continue
        end = construct_end(lines, target)
        out.append((kind, rule, target + 1, end + 1, lines[target].strip()))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("repo", help="git directory of semgrep-rules")
    ap.add_argument("--show", action="store_true", help="print every missed positive and false positive")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    commit = git(args.repo, "rev-parse", "HEAD").decode().strip()
    names = git(args.repo, "ls-tree", "-r", "--name-only", "HEAD", "csharp").decode().splitlines()
    files = [n for n in names if n.endswith(".cs") and not n.endswith(".fixed.cs")]
    stats: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    unknown: set[str] = set()
    details: list[str] = []
    for path in files:
        text = git(args.repo, "show", f"HEAD:{path}").decode("utf-8", "replace")
        file_rule = path.rsplit("/", 1)[-1].removesuffix(".cs")
        diags = spark.validate(text, path.rsplit("/", 1)[-1])
        for kind, rule, first, last, line in cases(text, file_rule):
            key = f"{file_rule}:{rule}"
            rule = key if key in RULES else rule
            if rule not in RULES:
                unknown.add(rule)
                continue
            spk, _ = RULES[rule]
            s = stats[rule]
            s[kind] += 1
            if spk is None:
                continue
            hit = [d for d in diags if d.rule in spk and first <= d.line <= last]
            where = f"{path}:{first}"
            if kind == "ruleid":
                s["caught"] += 1 if hit else 0
                if not hit:
                    details.append(f"missed {rule} at {where}: {line}")
            elif hit:
                construct = "\n".join(text.split("\n")[first - 1 : last]).lower()
                why = next((w for (r, t), w in POLICY.items() if r == rule and t.lower() in construct), None)
                if why:
                    s["policy"] += 1
                    details.append(f"policy {rule} at {where}: {line} ({why})")
                else:
                    s["fp"] += 1
                    details.append(f"false positive {rule} at {where}: {hit[0].rule} {line}")

    covered = {r: s for r, s in stats.items() if RULES[r][0] is not None}
    pos = sum(s["ruleid"] for s in covered.values())
    caught = sum(s["caught"] for s in covered.values())
    neg = sum(s["ok"] for s in covered.values())
    fp = sum(s["fp"] for s in covered.values())
    policy = sum(s["policy"] for s in covered.values())
    not_cov = {r: s for r, s in stats.items() if RULES[r][0] is None}
    summary = {
        "corpus": f"semgrep-rules@{commit[:12]} csharp/ ({len(files)} files)",
        "covered_positives": pos,
        "caught": caught,
        "recall": round(caught / pos, 3) if pos else None,
        "covered_negatives": neg,
        "false_positives": fp,
        "policy_hits": policy,
        "not_covered_positives": sum(s["ruleid"] for s in not_cov.values()),
        "unknown_rules": sorted(unknown),
    }
    if args.json:
        print(json.dumps({"summary": summary, "by_rule": {r: dict(s) for r, s in stats.items()}}, indent=2))
        return 0
    print(f"{'semgrep rule':52} {'SPARK':16} caught/pos  fp/neg  policy")
    for r in sorted(stats):
        s = stats[r]
        spk, note = RULES[r]
        if spk is None:
            continue
        print(f"{r:52} {','.join(spk):16} {s['caught']:>3}/{s['ruleid']:<3}    {s['fp']:>2}/{s['ok']:<3} {s['policy']:>3}")
    print("\nnot covered:")
    for r in sorted(not_cov):
        print(f"  {r} ({not_cov[r]['ruleid']} positives): {RULES[r][1]}")
    print(
        f"\n{summary['corpus']}: caught {caught}/{pos} covered positives "
        f"(recall {100 * caught / max(pos, 1):.1f}%), {fp} false positives on {neg} covered negatives, "
        f"{policy} policy hits; {summary['not_covered_positives']} positives of rules not modelled"
    )
    if unknown:
        print(f"rules missing from the table: {sorted(unknown)}")
    if args.show:
        print("\n" + "\n".join(details))
    return 0


if __name__ == "__main__":
    sys.exit(main())
