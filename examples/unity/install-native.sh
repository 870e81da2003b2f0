#!/usr/bin/env bash
# Fills the sample package: copies the C# wrapper (spark-ffi/csharp/*.cs, its one source) into
# Runtime/ (whose .meta files, with fixed GUIDs, are committed), then builds the release spark_ffi
# library and copies it, with its PluginImporter .meta, into Plugins/ (Linux or macOS; see
# com.spark.unity/Plugins/README.md for Windows).
# Usage (any directory): bash examples/unity/install-native.sh [--sources-only]
set -euo pipefail
cd "$(dirname "$0")/../.."
TARGET="${CARGO_TARGET_DIR:-$PWD/target}"
case "$TARGET" in /*) ;; *) TARGET="$PWD/$TARGET" ;; esac
# SPARK_PROFILE=debug uses the debug build (scripts/release.sh --dev); SPARK_UNITY_PKG fills a
# copy of the package instead of the sample in place.
PROFILE="${SPARK_PROFILE:-release}"
PKG="${SPARK_UNITY_PKG:-examples/unity/com.spark.unity}"

cp spark-ffi/csharp/*.cs "$PKG/Runtime/"
[ "${1:-}" = "--sources-only" ] && exit 0

case "$(uname -s)/$(uname -m)" in
  Linux/x86_64) dirs="Plugins/Linux Plugins/Linux/x86_64" lib=libspark_ffi.so os=Linux cpu=x86_64 player=Linux64 ;;
  Linux/aarch64) dirs="Plugins/Linux Plugins/Linux/ARM64" lib=libspark_ffi.so os=Linux cpu=ARM64 player=Linux64 ;;
  Darwin/*) dirs="Plugins/macOS" lib=libspark_ffi.dylib os=OSX cpu=AnyCPU player=OSXUniversal ;;
  *) echo "install-native.sh: unsupported platform $(uname -s)/$(uname -m); see $PKG/Plugins/README.md" >&2; exit 1 ;;
esac

if [ "$PROFILE" = release ]; then cargo build -p spark-ffi --release; else cargo build -p spark-ffi; fi

# Fixed GUIDs, as for every other asset of the package: the MD5 of "com.spark.unity/<path>".
guid() {
  if command -v md5sum >/dev/null; then printf 'com.spark.unity/%s' "$1" | md5sum | cut -c1-32
  else md5 -q -s "com.spark.unity/$1"; fi
}

for d in $dirs; do
  mkdir -p "$PKG/$d"
  cat >"$PKG/$d.meta" <<META
fileFormatVersion: 2
guid: $(guid "$d")
folderAsset: yes
DefaultImporter:
  externalObjects: {}
  userData: 
  assetBundleName: 
  assetBundleVariant: 
META
done
dest="${dirs##* }/$lib"
cp "$TARGET/$PROFILE/$lib" "$PKG/$dest"
cat >"$PKG/$dest.meta" <<META
fileFormatVersion: 2
guid: $(guid "$dest")
PluginImporter:
  externalObjects: {}
  serializedVersion: 2
  iconMap: {}
  executionOrder: {}
  defineConstraints: []
  isPreloaded: 0
  isOverridable: 0
  isExplicitlyReferenced: 0
  validateReferences: 1
  platformData:
  - first:
      : Any
    second:
      enabled: 0
      settings:
        Exclude Editor: 0
        Exclude $player: 0
  - first:
      Any: 
    second:
      enabled: 0
      settings: {}
  - first:
      Editor: Editor
    second:
      enabled: 1
      settings:
        CPU: $cpu
        DefaultValueInitialized: true
        OS: $os
  - first:
      Standalone: $player
    second:
      enabled: 1
      settings:
        CPU: $cpu
  userData: 
  assetBundleName: 
  assetBundleVariant: 
META
echo "installed $PKG/$dest (restart the Unity editor if it had loaded an older build)"
