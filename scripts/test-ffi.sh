#!/usr/bin/env bash
# Tests of the C ABI (spark-ffi), its C# wrapper and the Unity sample. Run from anywhere; uses
# CARGO_TARGET_DIR (default ./target). Needs gcc, python3, valgrind, mcs and mono (scripts/setup.sh).
#
#  1. cargo build -p spark-ffi, and its Rust tests (tests/header.rs fails when include/spark.h is stale)
#  2. the C test (tests/ffi_test.c) built with -Wall -Wextra -Werror against the header, run natively
#     and under valgrind, offline and against the loopback OpenAI mock (tests/mock_openai.py)
#  3. the C# wrapper and its tests compiled with mcs and run with mono, offline and against the mock
#  4. the Unity sample (examples/unity/com.spark.unity): Runtime filled from spark-ffi/csharp,
#     every file has a valid .meta, and Runtime + Editor window compile with the Unity define
#     against a UnityEngine/UnityEditor stand-in
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
case "$TARGET" in /*) ;; *) TARGET="$ROOT/$TARGET" ;; esac
LIB="$TARGET/debug"
OUT="$TARGET/ffi-test"
PKG="$ROOT/examples/unity/com.spark.unity"
mkdir -p "$OUT"

step() { printf '\n== ffi: %s\n' "$*"; }

for tool in gcc python3 valgrind mcs mono; do
  command -v "$tool" >/dev/null || { echo "ffi: $tool is missing (scripts/setup.sh installs it)" >&2; exit 1; }
done

step "cargo build -p spark-ffi"
cargo build -p spark-ffi --quiet
step "cargo test -p spark-ffi (unit tests, header up to date)"
cargo test -p spark-ffi --quiet

# The loopback OpenAI-compatible mock, killed on exit whatever happens.
MOCK_PID=""
cleanup() {
  if [ -n "$MOCK_PID" ]; then kill "$MOCK_PID" 2>/dev/null || true; wait "$MOCK_PID" 2>/dev/null || true; fi
}
trap cleanup EXIT INT TERM
rm -f "$OUT/mock.port"
python3 spark-ffi/tests/mock_openai.py "$OUT/mock.port" &
MOCK_PID=$!
for _ in $(seq 100); do [ -s "$OUT/mock.port" ] && break; sleep 0.05; done
[ -s "$OUT/mock.port" ] || { echo "ffi: the mock server did not start" >&2; exit 1; }
MOCK_URL="http://127.0.0.1:$(cat "$OUT/mock.port")/v1"

step "C test: gcc -Wall -Wextra -Werror against include/spark.h"
gcc -std=c11 -O1 -g -Wall -Wextra -Werror -pedantic -pthread -Ispark-ffi/include \
  spark-ffi/tests/ffi_test.c -L"$LIB" -lspark_ffi -Wl,-rpath,"$LIB" -o "$OUT/ffi_test"
# The header must also be valid C++ (cpp_compat) for C++ hosts.
if command -v g++ >/dev/null; then
  g++ -std=c++17 -Wall -Wextra -Werror -fsyntax-only -x c++ -Ispark-ffi/include - <<<'#include "spark.h"'
else
  echo "(g++ not installed: C++ header check skipped)"
fi

gcc -std=c11 -Wall -Wextra -Werror -pedantic -Ispark-ffi/include spark-ffi/examples/generate.c \
  -L"$LIB" -lspark_ffi -Wl,-rpath,"$LIB" -o "$OUT/generate"

step "C example, offline"
rm -f "$OUT/spark-scripts.zip"
# A request the template library serves: the example must show the mechanic, not a placeholder.
(cd "$OUT" && SPARK_PROVIDERS__ORDER=offline ./generate "an enemy that patrols between waypoints and chases the player" spark-scripts.zip >generate.out 2>/dev/null)
grep -q '"path":"Enemy.cs"' "$OUT/generate.out" && grep -q 'offline scaffold (no model was called): patrol_chase' "$OUT/generate.out" \
  && [ -s "$OUT/spark-scripts.zip" ]
step "C test, offline"
SPARK_MOCK_URL="" "$OUT/ffi_test"
step "C test under valgrind, offline and against the loopback mock ($MOCK_URL)"
SPARK_MOCK_URL="$MOCK_URL" valgrind -q --error-exitcode=1 --leak-check=full --suppressions=spark-ffi/valgrind.supp \
  "$OUT/ffi_test"

step "C#: no DllImport may return string (the marshaller would free Rust memory)"
if grep -nE 'extern[[:space:]]+string' spark-ffi/csharp/*.cs; then exit 1; fi

step "C#: mcs (wrapper with XML docs, warnings as errors) and tests"
mcs -nologo -warnaserror -target:library -doc:"$OUT/Spark.xml" -out:"$OUT/Spark.dll" spark-ffi/csharp/*.cs
mcs -nologo -warnaserror -r:"$OUT/Spark.dll" -r:System.Core -out:"$OUT/SparkTests.exe" spark-ffi/csharp/tests/SparkTests.cs
mcs -nologo -warnaserror -r:"$OUT/Spark.dll" -out:"$OUT/Generate.exe" spark-ffi/csharp/examples/Generate.cs
step "C#: example, offline"
(cd "$OUT" && LD_LIBRARY_PATH="$LIB" SPARK_PROVIDERS__ORDER=offline mono Generate.exe "a scriptable object for weapon stats" >Generate.out 2>/dev/null)
grep -q '^// ---- WeaponStats.cs' "$OUT/Generate.out" && grep -q 'public class WeaponStats : ScriptableObject' "$OUT/Generate.out"
step "C#: mono, offline and against the loopback mock"
(cd "$OUT" && LD_LIBRARY_PATH="$LIB${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" SPARK_MOCK_URL="$MOCK_URL" mono --debug SparkTests.exe)

step "Unity sample: Runtime filled from spark-ffi/csharp, each source with its committed .meta"
bash examples/unity/install-native.sh --sources-only
for f in spark-ffi/csharp/*.cs; do
  [ -f "$PKG/Runtime/$(basename "$f").meta" ] ||
    { echo "ffi: $PKG/Runtime/$(basename "$f").meta is missing (a fixed GUID for the new source)" >&2; exit 1; }
done
step "Unity sample: package.json, asmdefs, a valid unique .meta for every file and folder"
VERSION="$(sed -n 's/^#define SPARK_VERSION_STRING "\(.*\)"$/\1/p' spark-ffi/include/spark.h)"
python3 examples/unity/check_package.py "$PKG" --version "$VERSION"
step "Unity sample: Runtime and Editor window compile as Unity compiles them (stub UnityEngine/UnityEditor)"
STUB=spark-ffi/csharp/tests/unity-stub
DEFS="-define:UNITY_5_3_OR_NEWER -define:UNITY_2021_3_OR_NEWER -define:UNITY_EDITOR"
mcs -nologo -warnaserror -target:library -out:"$OUT/UnityStub.dll" "$STUB"/*.cs
# shellcheck disable=SC2086
mcs -nologo -warnaserror -target:library $DEFS -r:"$OUT/UnityStub.dll" -out:"$OUT/Spark.Runtime.dll" "$PKG"/Runtime/*.cs
# shellcheck disable=SC2086
mcs -nologo -warnaserror -target:library $DEFS -r:"$OUT/UnityStub.dll" -r:"$OUT/Spark.Runtime.dll" \
  -out:"$OUT/Spark.Editor.dll" "$PKG"/Editor/*.cs

step "all ffi tests passed"
