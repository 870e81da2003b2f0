#!/usr/bin/env bash
# Runs every code block of the documentation fenced as ```sh runnable (docs/**/*.md and
# README.md), each in its own bash with -euo pipefail, from the repository's root, offline (no
# provider key reaches it). Run after test-python.sh, test-node.sh and test-ffi.sh: the blocks
# reuse the .venv, the debug Node addon and the debug spark_ffi those scripts built, so this adds
# seconds, not builds. Also checks that every getting-started page has at least one runnable block.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT

# Extract: one file per block, named after its page and line, in document order.
python3 - "$OUT" README.md $(find docs -name '*.md' | sort) <<'PY'
import pathlib, re, sys
out = pathlib.Path(sys.argv[1])
n = 0
for page in sys.argv[2:]:
    lines = pathlib.Path(page).read_text().splitlines()
    i = 0
    while i < len(lines):
        m = re.match(r"^(\s*)```+\s*sh\s+runnable\s*$", lines[i])
        if not m:
            i += 1
            continue
        start = i + 1
        j = start
        while j < len(lines) and not re.match(r"^\s*```+\s*$", lines[j]):
            j += 1
        if j == len(lines):
            sys.exit(f"{page}:{i + 1}: runnable block never closes")
        n += 1
        name = f"{n:03d}_{page.replace('/', '_')}_{i + 1}.sh"
        (out / name).write_text("\n".join(lines[start:j]) + "\n")
        i = j + 1
PY

# Every relative link of README.md and docs/ names a file that exists (anchors are not checked),
# and every picture is an SVG that scripts/render-diagrams.sh made.
python3 - README.md $(find docs -name '*.md' | sort) <<'PY'
import pathlib, re, sys
bad = []
for page in map(pathlib.Path, sys.argv[1:]):
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue
        path = (page.parent / target.split("#")[0]).resolve()
        if not path.exists():
            bad.append(f"{page}: {target}")
        elif path.suffix == ".svg" and "<svg" not in path.read_text()[:2000]:
            bad.append(f"{page}: {target} is not an SVG")
if bad:
    sys.exit("docs: broken links:\n  " + "\n  ".join(bad))
PY

for page in docs/getting-started/{rust,python,node,c,csharp-unity}.md; do
  grep -q '^```sh runnable' "$page" || { echo "docs: $page has no runnable block" >&2; exit 1; }
done

passed=0 failed=0
for block in "$OUT"/*.sh; do
  where="$(basename "$block" .sh | sed -E 's/^[0-9]+_//; s/_([0-9]+)$/:\1/; s/^docs_getting-started_/docs\/getting-started\//; s/^docs_/docs\//')"
  start=$SECONDS
  if env -u ANTHROPIC_API_KEY -u OPENAI_API_KEY timeout 300 bash -euo pipefail "$block" >"$block.log" 2>&1; then
    passed=$((passed + 1)); echo "ok   $where ($((SECONDS - start)) s)"
  else
    failed=$((failed + 1)); echo "FAIL $where:"; sed 's/^/     /' "$block.log" | tail -30
  fi
done
echo "docs: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
