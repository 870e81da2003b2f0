#!/usr/bin/env bash
# Cross-language validate benchmark: the same 300-line script validated through Rust, the C ABI,
# Python and Node, one after another in one run (release builds), with each binding's ratio to Rust.
# Every leg follows the same protocol (warm up 200 calls, 30 batches of 200, median of the per-batch
# per-call mean) and prints one JSON line; this script runs them and prints a table.
#
# Usage: bash benches/bindings.sh        (needs scripts/setup.sh to have run: .venv, node_modules)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
export PYO3_PYTHON="$PWD/.venv/bin/python"
out="$(mktemp)"
trap 'rm -f "$out"' EXIT

echo "building release legs…" >&2
(cd spark-py && VIRTUAL_ENV="$PWD/../.venv" PATH="$PWD/../.venv/bin:$PATH" maturin develop --release -q) >&2
(cd spark-node && npx napi build --platform --release --dts index.d.ts --js index.js) >&2
cargo build --release -q -p spark-core --bench validate_rust >&2

# Interleave the legs twice so a slow phase of a noisy machine does not favour one language.
for round in 1 2; do
  cargo bench -q -p spark-core --bench validate_rust 2>/dev/null | grep '^{' >>"$out"
  bash benches/validate_ffi.sh 2>/dev/null | grep '^{' >>"$out"
  .venv/bin/python benches/validate_python.py | grep '^{' >>"$out"
  node benches/validate_node.js | grep '^{' >>"$out"
done

python3 - "$out" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
by = {}
for r in rows:
    by.setdefault(r["lang"], []).append(r["median_us"])
med = {k: statistics.median(v) for k, v in by.items()}
base = med["rust"]
print(f"{'leg':<8} {'median µs/call':>15} {'ratio to Rust':>14}   runs")
for k in ["rust", "c", "ffi", "python", "node"]:
    if k in med:
        print(f"{k:<8} {med[k]:>15.1f} {med[k] / base:>13.2f}×   {', '.join(f'{x:.1f}' for x in by[k])}")
PY
