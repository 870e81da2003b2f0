#!/usr/bin/env bash
# Builds the release spark_ffi library and benches/validate_ffi.c against it, then runs the C ABI leg
# of the cross-language validate benchmark. Prints one JSON line on stdout (build output on stderr).
# Usage (any directory): bash benches/validate_ffi.sh
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET="${CARGO_TARGET_DIR:-$PWD/target}"
case "$TARGET" in /*) ;; *) TARGET="$PWD/$TARGET" ;; esac
cargo build -p spark-ffi --release --quiet >&2
mkdir -p "$TARGET/ffi-bench"
gcc -O2 -std=c11 -Wall -Wextra -Werror -Ispark-ffi/include benches/validate_ffi.c \
  -L"$TARGET/release" -lspark_ffi -Wl,-rpath,"$TARGET/release" -o "$TARGET/ffi-bench/validate_ffi"
"$TARGET/ffi-bench/validate_ffi" tests/fixtures/bench/ThirdPersonCharacter.cs
