#!/usr/bin/env bash
# Runs every test: formatting, lints, Rust tests, then each binding's tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export CARGO_TERM_COLOR=never
export PYO3_PYTHON="$PWD/.venv/bin/python"
# Each stage's start is stamped with the seconds since the start, so a slow CI run shows where
# its time went.
step() { echo "== [$SECONDS s] $*"; }

step "cargo fmt --check"; cargo fmt --all -- --check
step "cargo clippy"; cargo clippy --workspace --all-targets -q -- -D warnings
step "cargo doc (warnings denied)"; RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps -q
step "cargo test"; cargo test --workspace
# The optional features, in one build: telemetry (OTLP export, Sentry reports) against loopback
# receivers, and Redis-shared state on a throwaway redis-server (four clients as four instances,
# Redis stopped mid-run), and the ledger on a throwaway PostgreSQL (restarted mid-run). One
# thread: the telemetry tests install process-wide hooks.
step "cargo test (otel, sentry, redis, postgres)"
cargo test -p spark-core --features otel,sentry,redis,postgres --test telemetry --test redis --test postgres -- --test-threads=1
# spark-server on PostgreSQL and Redis: the restore drill on PostgreSQL, four instances as one.
step "cargo test (spark-server: redis, postgres)"
cargo test -p spark-server --features redis,postgres --test server scale -- --test-threads=1
# docs runs the documentation's runnable blocks and install the packages (release.sh --dev), both
# on the builds the binding scripts just made.
# Under valgrind, hostile skips the scenarios that are only bigger versions of others (up to half
# a minute each there); `scripts/test-hostile.sh valgrind` alone runs them all.
export HOSTILE_VALGRIND_SKIP="${HOSTILE_VALGRIND_SKIP-dup_names_2000,tiny_blocks_5000,big_50mb}"
for part in python node ffi hostile docs install; do
  if [ -f "scripts/test-$part.sh" ]; then
    step "$part"; bash "scripts/test-$part.sh"
  fi
done
step "api docs (scripts/api-docs.sh)"; bash scripts/api-docs.sh
# A short pass of every fuzz target from its committed seeds (the long runs are done by hand:
# scripts/fuzz.sh 600). Needs the nightly toolchain; FUZZ_SECONDS=0 skips it.
if [ "${FUZZ_SECONDS:-10}" != 0 ]; then
  step "fuzz (${FUZZ_SECONDS:-10} s per target)"; bash scripts/fuzz.sh "${FUZZ_SECONDS:-10}"
fi
step "all tests passed"
