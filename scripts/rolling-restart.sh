#!/usr/bin/env bash
# Restarts spark-server instances behind nginx one at a time, with no failed request: restart
# one (SIGTERM drains it: in-flight requests and streams finish, new ones get 503 `draining`,
# which nginx passes to the next instance, see deploy/nginx/spark-proxy.conf), wait until it
# reports ready on /readyz, wait until nginx sends it requests again (--settle), go on. Stops at the first instance that does not come back ready,
# with the others still serving: roll back by running it again with the previous binary.
#
#   scripts/rolling-restart.sh --restart 'systemctl restart spark-server@{port}' \
#       127.0.0.1:8081 127.0.0.1:8082 127.0.0.1:8083
#
# `{addr}` and `{port}` in --restart are replaced by the instance's; --restart must return once
# the old process has exited and the new one is starting. --ready-timeout S (default 60) is how
# long a restarted instance has to report ready. --settle S (default 4) is how long to wait after
# that before the next instance: at least the fail_timeout of deploy/nginx/upstream.conf, for
# nginx skips a restarted instance that long after its last refused request, and restarting the
# next one meanwhile leaves one instance fewer. Tested by spark-server/tests/cluster.rs.
set -euo pipefail

restart="" ready_timeout=60 settle=4
addrs=()
while [ $# -gt 0 ]; do
  case "$1" in
    --restart) restart="$2"; shift 2 ;;
    --ready-timeout) ready_timeout="$2"; shift 2 ;;
    --settle) settle="$2"; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) addrs+=("$1"); shift ;;
  esac
done
if [ -z "$restart" ] || [ ${#addrs[@]} -eq 0 ]; then
  echo "usage: $0 --restart CMD ADDR..." >&2
  exit 2
fi

log() { echo "[rolling-restart $(date -u +%H:%M:%S)] $*" >&2; }

ready() {
  [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://$1/readyz")" = 200 ]
}

for i in "${!addrs[@]}"; do
  addr="${addrs[$i]}"
  port="${addr##*:}"
  log "$addr: restarting"
  cmd="${restart//\{addr\}/$addr}"
  sh -c "${cmd//\{port\}/$port}"
  deadline=$((SECONDS + ready_timeout))
  until ready "$addr"; do
    if [ $SECONDS -ge $deadline ]; then
      log "$addr: not ready after ${ready_timeout} s; stopping here"
      exit 1
    fi
    sleep 0.2
  done
  log "$addr: ready"
  if [ "$i" -lt $((${#addrs[@]} - 1)) ]; then
    sleep "$settle"
  fi
done
log "all ${#addrs[@]} instances restarted"
