#!/usr/bin/env bash
# A restore drill: back up the database, delete it, restore it, and check that the caller keys and
# the usage ledger came back unchanged. It DELETES the database it is given: run it on a staging
# copy or a drill instance, with every spark-server of that database stopped.
#
#   scripts/restore-drill.sh --config FILE sqlite PATH    # PATH: the SQLite file the config names
#   scripts/restore-drill.sh --config FILE postgres       # psql reaches the database through the
#                                                          # libpq variables PGHOST, PGPORT, PGUSER,
#                                                          # PGDATABASE and PGPASSWORD
# SPARK_SERVER names the binary (default: spark-server on PATH); PSQL the psql binary.
# Prints the restore time: the part of the recovery time objective that the data itself takes.
set -euo pipefail

config=""
if [ "${1:-}" = "--config" ]; then config="$2"; shift 2; fi
kind="${1:-}"
[ -n "$config" ] && [ -n "$kind" ] || { sed -n '2,12p' "$0" >&2; exit 2; }
bin="${SPARK_SERVER:-spark-server}"
psql="${PSQL:-psql}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
spark() { "$bin" --config "$config" "$@"; }

snapshot() { # what a restore must bring back: every key (never a secret) and every usage record
  spark keys list >"$work/$1.keys"
  spark usage >"$work/$1.usage"
}

snapshot before
keys=$(wc -l <"$work/before.keys")
records=$(grep -c '"request_id"' "$work/before.usage" || true)
[ "$keys" -gt 0 ] || { echo "restore drill: the database has no keys; nothing to check" >&2; exit 1; }

spark backup "$work/backup"

case "$kind" in
  sqlite)
    db="$2"
    rm -f "$db" "$db-wal" "$db-shm"
    ;;
  postgres)
    "$psql" -q -v ON_ERROR_STOP=1 -c 'DROP TABLE IF EXISTS spark_usage, spark_keys, spark_migrations'
    ;;
  *) echo "restore drill: the kind is sqlite or postgres, not '$kind'" >&2; exit 2 ;;
esac
# The deletion must show: an empty database has no keys.
[ "$(spark keys list | wc -l)" -eq 0 ] || { echo "restore drill: the database was not deleted" >&2; exit 1; }

start=$(date +%s%N)
spark restore "$work/backup"
took=$(( ($(date +%s%N) - start) / 1000000 ))

snapshot after
for part in keys usage; do
  if ! cmp -s "$work/before.$part" "$work/after.$part"; then
    echo "restore drill FAILED: the $part differ after the restore" >&2
    diff "$work/before.$part" "$work/after.$part" >&2 || true
    exit 1
  fi
done
echo "restore drill passed ($kind): $keys keys and $records usage records intact; restore took ${took} ms"
