#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster for the tests, on 127.0.0.1 only, and prints its URL.
#
# The cluster lives in $ABHA_PG_DIR (default /tmp/abha-pg-UID-PORT) and listens on $ABHA_PG_PORT (default
# 54329); nothing outside that directory is touched (not the system cluster). Running it again
# reuses a running cluster. Tests create one database each through this URL (hub/tests/common/pg.rs).
#   eval "$(bash tests/pg/start.sh)"   # exports ABHA_TEST_PG_URL
#   bash tests/pg/start.sh --stop
set -euo pipefail
cd "$(dirname "$0")/../.."
# Outside the checkout: the postgres user must reach it even when the checkout is private.
dir="${ABHA_PG_DIR:-${TMPDIR:-/tmp}/abha-pg-$(id -u)-${ABHA_PG_PORT:-54329}}"
port="${ABHA_PG_PORT:-54329}"

bin=""
for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
  [ -x "$d/pg_ctl" ] && { bin="$d"; break; }
done
if [ -z "$bin" ] && command -v pg_ctl >/dev/null; then bin="$(dirname "$(command -v pg_ctl)")"; fi
if [ -z "$bin" ]; then
  echo "tests/pg/start.sh: PostgreSQL server binaries not found (apt-get install postgresql)" >&2
  exit 1
fi

# initdb and postgres refuse to run as root: run them as the postgres user then.
as_owner() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

if [ "${1:-}" = "--stop" ]; then
  [ -f "$dir/data/PG_VERSION" ] && as_owner "$bin/pg_ctl" -D "$dir/data" -m fast stop >/dev/null || true
  exit 0
fi

mkdir -p "$dir"
if [ "$(id -u)" = 0 ]; then chown postgres: "$dir"; fi
if [ ! -f "$dir/data/PG_VERSION" ]; then
  as_owner "$bin/initdb" -D "$dir/data" -U abha --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
    as_owner "$bin/initdb" -D "$dir/data" -U abha --auth=trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1
fi
if ! as_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
  # fsync stays on: the tests and the bench measure durable commits, as in production.
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
    -o "-h 127.0.0.1 -p $port -k $dir -c max_connections=300 -c shared_buffers=256MB" >/dev/null
fi
for _ in $(seq 1 50); do
  "$bin/pg_isready" -h 127.0.0.1 -p "$port" -q && break
  sleep 0.2
done
"$bin/pg_isready" -h 127.0.0.1 -p "$port" -q || { cat "$dir/server.log" >&2; exit 1; }
echo "export ABHA_TEST_PG_URL=postgres://abha@127.0.0.1:$port/postgres"
