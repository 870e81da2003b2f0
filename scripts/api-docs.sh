#!/usr/bin/env bash
# Builds the API reference of every language into one folder, target/api-docs/ (open index.html):
#   rust/     rustdoc of the workspace, warnings denied (RUSTDOCFLAGS=-D warnings)
#   python/   pdoc of the `spark` module with its .pyi stubs (needs the module built into .venv:
#             scripts/test-python.sh or `maturin develop`)
#   node/     typedoc of spark-node/index.d.ts (typedoc and typescript pinned, installed once
#             into $CARGO_TARGET_DIR/api-docs-tools)
#   c/        doxygen of spark-ffi/include/spark.h (cbindgen writes `//` comments; a filter turns
#             them into doxygen's `///` for the run, the header itself is untouched)
#   csharp/   the C# wrapper's XML documentation (mcs -doc, warnings as errors) and a page of it
# After the test command has built everything it takes about 30 s on 2 cores (typedoc's first
# install aside). Needs doxygen, mcs, node/npm and the .venv (scripts/setup.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
case "$TARGET" in /*) ;; *) TARGET="$ROOT/$TARGET" ;; esac
OUT="$ROOT/target/api-docs"
TYPEDOC_VERSION=0.28.20
TYPESCRIPT_VERSION=5.9.3
rm -rf "$OUT"
mkdir -p "$OUT"
step() { printf '== api-docs: %s\n' "$*"; }

step "rustdoc (warnings denied)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps -q
cp -r "$TARGET/doc" "$OUT/rust"

step "python (pdoc, from the stubs)"
PY="$ROOT/.venv/bin/python"
"$PY" -c 'import spark, pdoc' 2>/dev/null ||
  { echo "api-docs: build the module first (scripts/test-python.sh) and pip install pdoc" >&2; exit 1; }
"$PY" -m pdoc -q -o "$OUT/python" spark 2>/dev/null || "$PY" -m pdoc -o "$OUT/python" spark
[ -s "$OUT/python/spark.html" ]

step "node (typedoc of index.d.ts)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
# typedoc, typescript and @types/node (the declarations use `Buffer`), pinned, installed once
# into the target folder.
TOOLS="$TARGET/api-docs-tools"
if [ ! -x "$TOOLS/node_modules/.bin/typedoc" ] || [ "$(cat "$TOOLS/.versions" 2>/dev/null)" != "$TYPEDOC_VERSION $TYPESCRIPT_VERSION" ]; then
  mkdir -p "$TOOLS"
  npm install --prefix "$TOOLS" --no-save --no-audit --no-fund --loglevel=error \
    "typedoc@$TYPEDOC_VERSION" "typescript@$TYPESCRIPT_VERSION" "@types/node@20"
  echo "$TYPEDOC_VERSION $TYPESCRIPT_VERSION" >"$TOOLS/.versions"
fi
cat >"$WORK/tsconfig.json" <<JSON
{ "compilerOptions": { "target": "ES2022", "module": "commonjs", "strict": true,
                       "typeRoots": ["$TOOLS/node_modules/@types"], "types": ["node"] },
  "files": ["$ROOT/spark-node/index.d.ts"] }
JSON
"$TOOLS/node_modules/.bin/typedoc" --logLevel Warn --tsconfig "$WORK/tsconfig.json" \
  --name "SPARK for Node (@spark/node)" --out "$OUT/node" "$ROOT/spark-node/index.d.ts"
[ -s "$OUT/node/index.html" ]

step "c (doxygen of spark.h)"
mkdir -p "$OUT/c"
cat >"$WORK/filter.sh" <<'SH'
#!/bin/sh
# cbindgen's `//` doc lines become doxygen's `///`; the header's `/* */` preamble stays as is.
sed -e 's#^\([[:space:]]*\)// #\1/// #' -e 's#^\([[:space:]]*\)//$#\1///#' "$1"
SH
chmod +x "$WORK/filter.sh"
cat >"$WORK/Doxyfile" <<DOX
PROJECT_NAME = "SPARK C ABI"
INPUT = $ROOT/spark-ffi/include/spark.h
INPUT_FILTER = $WORK/filter.sh
OUTPUT_DIRECTORY = $OUT/c
GENERATE_LATEX = NO
EXTRACT_ALL = YES
OPTIMIZE_OUTPUT_FOR_C = YES
JAVADOC_AUTOBRIEF = YES
QUIET = YES
WARN_IF_UNDOCUMENTED = NO
WARN_AS_ERROR = NO
HAVE_DOT = NO
CLASS_GRAPH = NO
DOX
doxygen "$WORK/Doxyfile"
[ -s "$OUT/c/html/index.html" ]

step "c# (mcs -doc)"
mkdir -p "$OUT/csharp"
mcs -nologo -warnaserror -target:library -doc:"$OUT/csharp/Spark.xml" -out:"$WORK/Spark.dll" spark-ffi/csharp/*.cs
python3 - "$OUT/csharp/Spark.xml" "$OUT/csharp/index.html" <<'PY'
import html, sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
rows = []
for m in root.iter("member"):
    name = m.get("name", "")
    summary = " ".join("".join(m.find("summary").itertext()).split()) if m.find("summary") is not None else ""
    kind, _, full = name.partition(":")
    rows.append(f"<tr><td>{ {'T':'type','M':'method','P':'property','F':'field','E':'event'}.get(kind, kind) }</td>"
                f"<td><code>{html.escape(full)}</code></td><td>{html.escape(summary)}</td></tr>")
if not rows:
    sys.exit("no documented members in Spark.xml")
open(sys.argv[2], "w").write(
    "<!doctype html><meta charset=utf-8><title>SPARK C# wrapper</title>"
    "<h1>SPARK C# wrapper (namespace Spark)</h1><p>From the XML documentation of spark-ffi/csharp "
    "(<a href=Spark.xml>Spark.xml</a>, which IDEs read next to Spark.dll).</p>"
    "<table border=1 cellpadding=4><tr><th>kind</th><th>member</th><th>summary</th></tr>"
    + "".join(rows) + "</table>")
PY

cat >"$OUT/index.html" <<'HTML'
<!doctype html><meta charset=utf-8><title>SPARK API reference</title>
<h1>SPARK API reference</h1>
<ul>
<li><a href="rust/spark_core/index.html">Rust: spark_core</a> (and <a href="rust/spark_server/index.html">spark_server</a>)</li>
<li><a href="python/spark.html">Python: spark</a></li>
<li><a href="node/index.html">Node: @spark/node</a></li>
<li><a href="c/html/spark_8h.html">C: spark.h</a></li>
<li><a href="csharp/index.html">C#: Spark</a></li>
</ul>
<p>Error codes shared by all: docs/errors.md. Configuration: docs/configuration.md.</p>
HTML
step "done: $OUT/index.html"
