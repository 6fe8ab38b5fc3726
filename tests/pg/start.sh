#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster for the tests, on 127.0.0.1 only, and prints its URL.
#
# The cluster lives in $ABHA_PG_DIR (default /tmp/abha-pg-UID-PORT) and listens on $ABHA_PG_PORT (default
# 54329); nothing outside that directory is touched (not the system cluster). Running it again
# reuses a running cluster. Tests create one database each through this URL (hub/tests/common/pg.rs).
# The server also accepts TLS, with a certificate for localhost and 127.0.0.1 from a throwaway CA
# made here with the openssl command (hub/tests/pg_tls.rs connects through it); without openssl the
# cluster runs without TLS and ABHA_TEST_PG_CA is not set.
#   eval "$(bash tests/pg/start.sh)"   # exports ABHA_TEST_PG_URL (and ABHA_TEST_PG_CA)
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
# A CA and a server certificate signed by it (files owned by the server's user, key 0600).
tls=""
if command -v openssl >/dev/null; then
  if [ ! -f "$dir/server.crt" ]; then
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=critical,CA:FALSE\n' \
      >"$dir/server.ext"
    as_owner openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
      -subj "/CN=ABHA Field test CA" -addext "basicConstraints=critical,CA:TRUE" \
      -addext "keyUsage=critical,keyCertSign,cRLSign" \
      -keyout "$dir/ca.key" -out "$dir/ca.crt" >"$dir/openssl.log" 2>&1
    as_owner openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
      -subj "/CN=localhost" -keyout "$dir/server.key" -out "$dir/server.csr" >>"$dir/openssl.log" 2>&1
    as_owner openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
      -CAcreateserial -days 3650 -extfile "$dir/server.ext" -out "$dir/server.crt" >>"$dir/openssl.log" 2>&1
    as_owner chmod 600 "$dir/server.key" "$dir/ca.key"
  fi
  tls="-c ssl=on -c ssl_cert_file=$dir/server.crt -c ssl_key_file=$dir/server.key"
fi
if ! as_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
  # fsync stays on: the tests and the bench measure durable commits, as in production.
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
    -o "-h 127.0.0.1 -p $port -k $dir -c max_connections=300 -c shared_buffers=256MB $tls" >/dev/null
fi
for _ in $(seq 1 50); do
  "$bin/pg_isready" -h 127.0.0.1 -p "$port" -q && break
  sleep 0.2
done
"$bin/pg_isready" -h 127.0.0.1 -p "$port" -q || { cat "$dir/server.log" >&2; exit 1; }
echo "export ABHA_TEST_PG_URL=postgres://abha@127.0.0.1:$port/postgres"
# Only when the server serves it (a cluster started earlier without TLS is reused as it is).
if [ -n "$tls" ] && [ "$("$bin/psql" -h 127.0.0.1 -p "$port" -U abha -d postgres -Atc 'SHOW ssl' 2>/dev/null)" = on ]; then
  echo "export ABHA_TEST_PG_CA=$dir/ca.crt"
fi
