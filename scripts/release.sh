#!/usr/bin/env bash
# Builds the installable packages into target/release-packages/:
#   spark_unity-VERSION-cp310-abi3-manylinux_2_34_x86_64.whl   Python wheel (maturin, abi3),
#                                  checked with auditwheel (a manylinux policy it satisfies)
#   spark-node-VERSION.tgz                            npm package with the prebuilt linux-x64 addon
#   com.spark.unity-VERSION.tgz                       Unity package, native plugin for Linux x86-64
#   crates: `cargo publish --dry-run` of spark-core and spark-server (packaging, then a build of
#           the packaged sources; --dev packages only)
# and a SHA256SUMS file.
#
# Usage: scripts/release.sh [--dev] [--python] [--node] [--unity] [--crates]
#   no part named: all of them. --dev builds with the debug profile (reusing the test command's
#   target: seconds instead of minutes) for scripts/test-install.sh; a real release omits it.
# A release build from cold takes about 7 minutes per native part on 2 cores (wheel, addon,
# plugin: the cargo cache is shared, so about 15 minutes for all three, plus the crates' verify
# build).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
case "$CARGO_TARGET_DIR" in /*) ;; *) CARGO_TARGET_DIR="$ROOT/$CARGO_TARGET_DIR" ;; esac
OUT="${SPARK_PACKAGES_DIR:-$ROOT/target/release-packages}"
PROFILE=release
parts=()
for arg in "$@"; do
  case "$arg" in
    --dev) PROFILE=debug ;;
    --python | --node | --unity | --crates) parts+=("${arg#--}") ;;
    -h | --help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "release: unknown argument $arg" >&2; exit 2 ;;
  esac
done
[ ${#parts[@]} -eq 0 ] && parts=(python node unity crates)
want() { [[ " ${parts[*]} " == *" $1 "* ]]; }
step() { printf '\n== release (%s): %s\n' "$PROFILE" "$*"; }

VERSION="$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1)"
[ -n "$VERSION" ] || { echo "release: no [workspace.package] version in Cargo.toml" >&2; exit 1; }
# Every version that ships must be the workspace's (docs/releasing.md bumps them together).
for f in spark-node/package.json examples/unity/com.spark.unity/package.json; do
  grep -q "\"version\": \"$VERSION\"" "$f" || { echo "release: $f is not at version $VERSION" >&2; exit 1; }
done
mkdir -p "$OUT"

if want python; then
  step "Python wheel (maturin, abi3)"
  PY="$ROOT/.venv/bin/python"
  [ -x "$PY" ] || bash scripts/setup.sh
  export PYO3_PYTHON="$PY"
  rm -f "$OUT"/spark_unity-*.whl
  flags=(); [ "$PROFILE" = release ] && flags+=(--release)
  # maturin checks the wheel against the manylinux policy of its tag and refuses one that links
  # a library or a glibc symbol outside it; auditwheel then checks it again, independently.
  # Debian 12's glibc gives manylinux_2_34 (pip installs it on glibc 2.34+: Debian 12, Ubuntu
  # 22.04, RHEL 9); for older systems build inside the manylinux_2_28 image with
  # SPARK_MANYLINUX=manylinux_2_28 (docs/releasing.md).
  "$ROOT/.venv/bin/maturin" build -q "${flags[@]}" -m spark-py/Cargo.toml --compatibility "${SPARK_MANYLINUX:-manylinux_2_34}" \
    --interpreter "$PY" --out "$OUT"
  wheel="$(ls "$OUT"/spark_unity-"$VERSION"-*abi3*manylinux*.whl)"
  if "$PY" -m auditwheel --version >/dev/null 2>&1; then
    "$PY" -m auditwheel show "$wheel" | tee "$OUT/auditwheel.txt"
    tr -s ' \n' '  ' <"$OUT/auditwheel.txt" | grep 'is consistent with the following platform tag: "manylinux_2_[0-9]*_x86_64"' >/dev/null \
      || { echo "release: auditwheel does not place the wheel in a manylinux policy" >&2; exit 1; }
  else
    # Equivalent check: the extension links only libraries every manylinux system has.
    so="$(mktemp -d)"; (cd "$so" && "$PY" -m zipfile -e "$wheel" .)
    bad="$(ldd "$so"/spark/_spark*.so | awk '{print $1}' | grep -vE '^(linux-vdso|/lib64/ld-linux|libc\.so|libm\.so|libdl\.so|libpthread\.so|librt\.so|libgcc_s\.so|ld-linux)' || true)"
    rm -rf "$so"
    [ -z "$bad" ] || { echo "release: the extension links libraries outside manylinux: $bad" >&2; exit 1; }
  fi
fi

if want node; then
  step "npm package (napi, linux-x64)"
  [ -x spark-node/node_modules/.bin/napi ] || (cd spark-node && npm ci --no-audit --no-fund --loglevel=error)
  flags=(); [ "$PROFILE" = release ] && flags+=(--release)
  (cd spark-node && npx napi build --platform "${flags[@]}" --dts index.d.ts --js index.js)
  git diff --quiet -- spark-node/index.d.ts spark-node/index.js ||
    { echo "release: spark-node/index.d.ts or index.js changed; commit them first" >&2; exit 1; }
  rm -f "$OUT"/spark-node-*.tgz
  (cd spark-node && npm pack --silent --pack-destination "$OUT" >/dev/null)
  tar -tzf "$OUT/spark-node-$VERSION.tgz" | grep -x 'package/spark.linux-x64-gnu.node' >/dev/null ||
    { echo "release: the npm tarball lacks the linux-x64 addon" >&2; exit 1; }
fi

if want unity; then
  step "Unity package com.spark.unity (Plugins/Linux/x86_64)"
  stage="$(mktemp -d)"
  cp -r examples/unity/com.spark.unity "$stage/package"
  rm -rf "$stage/package/Plugins/Linux" "$stage/package/Plugins/Linux.meta"
  SPARK_PROFILE="$PROFILE" SPARK_UNITY_PKG="$stage/package" bash examples/unity/install-native.sh
  python3 examples/unity/check_package.py "$stage/package" --version "$VERSION"
  [ -f "$stage/package/Plugins/Linux/x86_64/libspark_ffi.so.meta" ]
  # Unity installs tarballs whose contents sit under package/; fixed owner and times keep the
  # archive's listing stable.
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -czf "$OUT/com.spark.unity-$VERSION.tgz" -C "$stage" package
  rm -rf "$stage"
fi

if want crates; then
  step "cargo publish --dry-run (spark-core, spark-server)"
  # Packaged together: spark-server's dependency on spark-core resolves to the packaged
  # spark-core, not to crates.io, where it is not published yet.
  flags=(); [ "$PROFILE" = debug ] && flags+=(--no-verify)
  cargo publish --dry-run -q "${flags[@]}" -p spark-core -p spark-server --allow-dirty
fi

step "checksums"
(cd "$OUT" && ls -1 | grep -vE '^(SHA256SUMS|auditwheel.txt)$' | xargs -r sha256sum >SHA256SUMS && cat SHA256SUMS)
