#!/usr/bin/env bash
# Builds every cargo-fuzz target in fuzz/ and runs each for SECONDS seconds (default 10), one after
# the other, from its committed seed corpus. A crash, a panic, a hang longer than the timeout, an
# out-of-memory or a stack overflow fails the run; the input is saved in fuzz/artifacts/<target>/.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# Environment: FUZZ_SANITIZER (address | none, default address), FUZZ_TIMEOUT (seconds one input
# may take, default 10), FUZZ_RSS_MB (default 2048), FUZZ_JOBS (cargo build jobs).
# Needs a nightly toolchain (rustup); installs cargo-fuzz when it is missing.
set -euo pipefail

SECONDS_PER_TARGET=${1:-10}
shift || true
cd "$(dirname "$0")/../fuzz"
# The fuzz crate has its own target dir; a shared one would rebuild everything with other flags.
unset CARGO_TARGET_DIR

SANITIZER=${FUZZ_SANITIZER:-address}
TIMEOUT=${FUZZ_TIMEOUT:-10}
RSS_MB=${FUZZ_RSS_MB:-2048}

if ! rustup run nightly rustc --version >/dev/null 2>&1; then
    echo "fuzz.sh: installing the nightly toolchain" >&2
    rustup toolchain install nightly --profile minimal
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    echo "fuzz.sh: installing cargo-fuzz" >&2
    cargo install cargo-fuzz --locked
fi

if [ "$#" -gt 0 ]; then
    TARGETS=("$@")
else
    mapfile -t TARGETS < <(cargo +nightly fuzz list)
fi

# One build for all targets: release with debug assertions (so an integer overflow is a crash too).
build_args=(build -a --sanitizer "$SANITIZER")
if [ -n "${FUZZ_JOBS:-}" ]; then build_args+=(--jobs "$FUZZ_JOBS"); fi
cargo +nightly fuzz "${build_args[@]}"

TRIPLE=$(rustc +nightly -vV | sed -n 's/^host: //p')
BIN_DIR=target/$TRIPLE/release
mkdir -p logs
failed=0
for t in "${TARGETS[@]}"; do
    mkdir -p "corpus/$t" "artifacts/$t"
    extra=()
    case "$t" in
        # Text targets: long enough inputs to reach deep nesting and super-linear paths.
        extract | validate | csharp_scan) extra+=(-max_len=32768) ;;
    esac
    log=logs/$t.log
    # Parsing below must not stop the loop (grep finds nothing when a seed crashes at start-up).
    set +e
    "$BIN_DIR/$t" "corpus/$t" \
        -max_total_time="$SECONDS_PER_TARGET" -timeout="$TIMEOUT" -rss_limit_mb="$RSS_MB" \
        -artifact_prefix="artifacts/$t/" -print_final_stats=1 "${extra[@]}" >"$log" 2>&1
    rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
    corpus=$(grep -o 'corp: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    if [ "$rc" -ne 0 ]; then
        failed=1
        crash="yes ($(grep -o "Test unit written to .*" "$log" | tail -1 | sed 's/Test unit written to //'))"
    else
        crash=no
    fi
    printf '%-20s runs=%-10s exec/s=%-7s secs=%-4s corpus=%-6s crash=%s\n' \
        "$t" "${runs:-?}" "${rate:-?}" "${secs:-?}" "${corpus:-?}" "$crash"
    if [ "$rc" -ne 0 ]; then
        grep -m1 -A1 -E "panicked at|==[0-9]+==ERROR" "$log" | sed 's/^/    /' || true
        echo "    full log: fuzz/$log; reproduce: cargo +nightly fuzz run $t <artifact>" >&2
    fi
    set -e
done
exit "$failed"
