#!/usr/bin/env bash
# Installs the packages as a user would, offline, and uses them:
#   1. scripts/release.sh --dev (debug profile, reusing the test command's target)
#   2. the wheel into a brand-new venv (pip --no-index), the npm tarball into an empty folder
#      (npm --offline), the Unity tarball unpacked; no source folder of the repository on any path
#   3. in each: generate (offline scaffold) + validate + export, checking what comes back
# Run after test-python.sh and test-node.sh (their builds make this about a minute on 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
PKGS="$(mktemp -d)"
WORK="$(mktemp -d)"
trap 'rm -rf "$PKGS" "$WORK"' EXIT
export SPARK_PACKAGES_DIR="$PKGS"
passed=0
ok() { passed=$((passed + 1)); echo "ok   $*"; }

echo "== install: scripts/release.sh --dev"
bash scripts/release.sh --dev >"$WORK/release.log" 2>&1 || { tail -40 "$WORK/release.log"; exit 1; }
VERSION="$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1)"
ls -l "$PKGS"

# Nothing here may reach a provider.
unset ANTHROPIC_API_KEY OPENAI_API_KEY

echo "== install: the wheel into a clean venv"
python3 -m venv "$WORK/venv"
"$WORK/venv/bin/pip" install -q --no-index --no-cache-dir "$PKGS"/spark_unity-"$VERSION"-*.whl
mkdir "$WORK/py" && cd "$WORK/py"
"$WORK/venv/bin/python" - "$WORK/venv" <<'PY'
import io, sys, zipfile
import spark
assert spark.__file__.startswith(sys.argv[1]), f"imported from {spark.__file__}, not the venv"
client = spark.Spark({"providers": {"order": ["offline"]}})
result = client.generate("an enemy that patrols between waypoints and chases the player")
assert result.offline and result.files, result
names = [f.path for f in result.files]
bad = client.validate("public class Broken : MonoBehaviour { void Update() { int x = } }", "Broken.cs")
assert any(d.severity == "error" for d in bad), bad
archive = zipfile.ZipFile(io.BytesIO(result.export("zip")))
assert any(n.endswith(names[0]) for n in archive.namelist()), (names, archive.namelist())
print("python:", names, len(bad), "diagnostics on the broken file")
PY
cd "$ROOT"
ok "wheel: pip install into a clean venv, generate + validate + export"

echo "== install: the npm tarball into an empty folder"
mkdir "$WORK/node" && cd "$WORK/node"
printf '{"name": "spark-install-test", "private": true}\n' >package.json
npm install --offline --no-audit --no-fund --loglevel=error "$PKGS/spark-node-$VERSION.tgz"
node - <<'JS'
const assert = require('assert')
const { Spark } = require('@spark/node')
assert(require.resolve('@spark/node').startsWith(process.cwd()), 'not the installed copy')
async function main() {
  const spark = new Spark({ providers: { order: ['offline'] } })
  const result = await spark.generate('an enemy that patrols between waypoints and chases the player')
  assert(result.offline && result.files.length > 0)
  const bad = await spark.validate('public class Broken : MonoBehaviour { void Update() { int x = } }', 'Broken.cs')
  assert(bad.some((d) => d.severity === 'error'))
  const zip = await spark.export(result, 'zip')
  assert(zip.length > 22 && zip.readUInt32LE(0) === 0x04034b50, 'not a zip')
  console.log('node:', result.files.map((f) => f.path), bad.length, 'diagnostics on the broken file')
}
main().catch((e) => { console.error(e); process.exit(1) })
JS
cd "$ROOT"
ok "npm: install into an empty folder, generate + validate + export"

echo "== install: the Unity tarball"
mkdir "$WORK/unity" && tar -xzf "$PKGS/com.spark.unity-$VERSION.tgz" -C "$WORK/unity"
P="$WORK/unity/package"
python3 examples/unity/check_package.py "$P" --version "$VERSION"
grep -q '^PluginImporter:' "$P/Plugins/Linux/x86_64/libspark_ffi.so.meta"
nm -D --defined-only "$P/Plugins/Linux/x86_64/libspark_ffi.so" | grep ' spark_generate$' >/dev/null
ok "unity: package layout, .meta files, plugin exports spark_generate"

echo "install: $passed passed, 0 failed"
