#!/usr/bin/env bash
# Tests of the Node binding (spark-node). Run from anywhere; uses CARGO_TARGET_DIR (default
# ./target). Needs Node >= 20 and npm.
#
#  1. npm ci when spark-node/node_modules is missing (the pinned @napi-rs/cli)
#  2. napi build (debug: the tests check behaviour, not speed), which regenerates index.d.ts
#     and index.js; fails when they differ from the committed ones (commit the regenerated files)
#  3. node --test: offline, against a loopback OpenAI-compatible mock, validate, export, errors
set -euo pipefail
cd "$(dirname "$0")/../spark-node"

for tool in node npm; do
  command -v "$tool" >/dev/null || { echo "node: $tool is missing" >&2; exit 1; }
done
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' \
  || { echo "node: Node >= 20 is needed, found $(node --version)" >&2; exit 1; }

step() { printf '\n== node: %s\n' "$*"; }

if [ ! -x node_modules/.bin/napi ]; then
  step "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi

SAVED="$(mktemp -d)"
trap 'rm -rf "$SAVED"' EXIT
for f in index.d.ts index.js; do
  [ -f "$f" ] || { echo "node: $f is not committed; run: cd spark-node && npm run build:debug" >&2; exit 1; }
  cp "$f" "$SAVED/$f"
done

step "napi build (debug)"
npx napi build --platform --dts index.d.ts --js index.js

step "generated index.d.ts and index.js are the committed ones"
stale=0
for f in index.d.ts index.js; do
  if ! diff -u "$SAVED/$f" "$f"; then
    echo "node: $f is stale; commit the regenerated spark-node/$f" >&2
    stale=1
  fi
done
[ "$stale" -eq 0 ]

step "node --test"
# The hostile-reply suite runs on its own: scripts/test-hostile.sh.
node --test $(ls test/*.test.mjs | grep -v "/hostile\.test\.mjs$")
