#!/usr/bin/env bash
# Installs what the test suite needs on a fresh Debian 12 machine. Idempotent and quick when done.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v mcs >/dev/null || need_apt+=(mono-mcs)
command -v mono >/dev/null || need_apt+=(mono-runtime)
command -v redis-server >/dev/null || need_apt+=(redis-server)
command -v valgrind >/dev/null || need_apt+=(valgrind)
command -v unzip >/dev/null || need_apt+=(unzip)
# A throwaway PostgreSQL cluster backs the ledger tests (tests/postgres.rs, spark-server's scale
# and restore-drill tests); pg_dump/pg_restore serve `spark-server backup`/`restore`.
compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null || need_apt+=(postgresql)
# promtool checks the metrics text and the alert rules (tests/metrics_promtool.rs).
command -v promtool >/dev/null || need_apt+=(prometheus)
# nginx fronts three spark-server instances in spark-server/tests/cluster.rs; curl is what
# scripts/rolling-restart.sh probes with.
[ -x /usr/sbin/nginx ] || need_apt+=(nginx-light)
command -v curl >/dev/null || need_apt+=(curl)
# doxygen renders the C header for scripts/api-docs.sh.
command -v doxygen >/dev/null || need_apt+=(doxygen)
# Chromium and its WebDriver run the web app's browser tests (spark-server/tests/web.rs).
command -v chromium >/dev/null || need_apt+=(chromium)
command -v chromedriver >/dev/null || need_apt+=(chromium-driver)
if [ ${#need_apt[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

# One Python venv for maturin builds and pytest.
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
if [ ! -f .venv/.spark-deps ] || [ scripts/requirements-dev.txt -nt .venv/.spark-deps ]; then
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -r scripts/requirements-dev.txt
  touch .venv/.spark-deps
fi

# Node dependencies of the napi binding.
if [ -f spark-node/package.json ] && [ ! -d spark-node/node_modules ]; then
  (cd spark-node && npm ci --no-audit --no-fund --loglevel=error 2>/dev/null || npm install --no-audit --no-fund --loglevel=error)
fi
