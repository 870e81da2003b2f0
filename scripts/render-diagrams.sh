#!/usr/bin/env bash
# Renders the Mermaid diagrams of docs/architecture.md to docs/img/*.svg (commit the result).
# Uses mermaid-cli through npx with the system Chromium (no browser download): Debian's
# `chromium` package, installed by scripts/setup.sh. The SVG names follow the image links in the
# page, in order. `--check` renders into a temporary folder and fails when a committed SVG is
# missing (renders are not byte-stable across Chromium versions, so content is not compared).
set -euo pipefail
cd "$(dirname "$0")/.."
PAGE=docs/architecture.md
MMDC_VERSION=12.2.0
export PUPPETEER_EXECUTABLE_PATH="${PUPPETEER_EXECUTABLE_PATH:-/usr/bin/chromium}" PUPPETEER_SKIP_DOWNLOAD=1
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# Chromium as root needs --no-sandbox.
printf '{"args": ["--no-sandbox", "--headless=new"]}\n' >"$WORK/puppeteer.json"

python3 - "$PAGE" "$WORK" <<'PY'
import pathlib, re, sys
page, work = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
text = page.read_text()
names = re.findall(r"!\[[^\]]*\]\(img/([\w-]+)\.svg\)", text)
blocks = re.findall(r"```mermaid\n(.*?)```", text, re.S)
if len(names) != len(blocks):
    sys.exit(f"{page}: {len(names)} image links but {len(blocks)} mermaid blocks")
for name, block in zip(names, blocks):
    (work / f"{name}.mmd").write_text(block)
    print(name)
PY

dest=docs/img
[ "${1:-}" = "--check" ] && dest="$WORK/out"
mkdir -p "$dest"
for src in "$WORK"/*.mmd; do
  name="$(basename "$src" .mmd)"
  npx --yes "@mermaid-js/mermaid-cli@$MMDC_VERSION" -q -p "$WORK/puppeteer.json" -b white \
    -i "$src" -o "$dest/$name.svg"
  echo "rendered $dest/$name.svg"
done
if [ "${1:-}" = "--check" ]; then
  for f in "$dest"/*.svg; do
    [ -s "docs/img/$(basename "$f")" ] || { echo "docs/img/$(basename "$f") is missing: run scripts/render-diagrams.sh" >&2; exit 1; }
  done
fi
