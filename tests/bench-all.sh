#!/usr/bin/env bash
# Every performance figure, each against a baseline measured in the same run, then one summary
# (docs/performance.md keeps the latest, with the machine description).
#
#   bash tests/bench-all.sh            # about 25-40 min on 2 cores, most of it building and
#                                      # generating the 50 000-member device
#
# Runs: the enrolment commit (core enroll), wire bytes and apply (core sync), the device at scale
# (core device), hub ingest on SQLite and on PostgreSQL (hub load), the ABDM bridge (hub bridge),
# the load rig with the hub as its own process for its memory (BENCH_RIG_TABLETS, default 500),
# the 2G link (needs root for network namespaces; reported as skipped otherwise) and the
# stripped size of the bindings library. Every bench also prints its own detail; the JSON lines
# they print are gathered in target/bench-all/figures.jsonl and summarised by
# tests/bench_summary.py. Knobs of each bench (BENCH_*) pass through.
set -euo pipefail
cd "$(dirname "$0")/.."
out=target/bench-all
mkdir -p "$out"
: >"$out/figures.jsonl"
log="$out/log.txt"
: >"$log"

step() { echo "== $*" | tee -a "$log" >&2; }
# A bench that fails (an assertion after its figures) is reported, and the others still run.
collect() { tee -a "$log" | grep --line-buffered '^{"bench"' >>"$out/figures.jsonl" || true; }
run() { "$@" 2>&1 | collect || echo "== FAILED: $*" | tee -a "$log" >&2; }

step "machine"
{
  echo "{\"bench\":\"machine\",\"cpus\":$(nproc),\"cpu\":\"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//;s/"//g')\",\"mem_gib\":$(awk '/MemTotal/ {printf "%.0f", $2/1048576}' /proc/meminfo),\"rustc\":\"$(rustc --version)\",\"date\":\"$(date -u +%FT%TZ)\"}"
} | collect

# PostgreSQL for the hub figures: the tests' private cluster, one fresh database per run.
eval "$(bash tests/pg/start.sh)"
bench_db="abha_bench_$$"
psql -q "$ABHA_TEST_PG_URL" -c "DROP DATABASE IF EXISTS $bench_db" -c "CREATE DATABASE $bench_db"
pg_url="${ABHA_TEST_PG_URL%/*}/$bench_db"

step "building (release)"
cargo build --release --locked --bins 2>&1 | tail -1

step "enrolment commit vs raw SQLite"
run cargo bench --locked -p abha-core --bench enroll
step "wire bytes vs FHIR; apply vs raw inserts and automerge"
run cargo bench --locked -p abha-core --bench sync
step "a device holding 50 000 members"
run cargo bench --locked -p abha-core --bench device
step "hub ingest vs raw inserts: SQLite"
run cargo bench --locked -p abha-hub --bench load
step "hub ingest vs raw inserts: PostgreSQL"
run env BENCH_DATABASE="$pg_url" cargo bench --locked -p abha-hub --bench load
step "ABDM bridge"
run cargo bench --locked -p abha-hub --bench bridge
step "load rig: ${BENCH_RIG_TABLETS:-500} tablets, the hub as its own process"
run env LOAD_TABLETS="${BENCH_RIG_TABLETS:-500}" cargo test --release --locked -p abha-e2e \
  --test load -- --nocapture --test-threads 1
step "2G link"
run cargo test --release --locked -p abha-e2e --test link_2g -- --nocapture --test-threads 1 day
grep -q '"link_2g"' "$out/figures.jsonl" ||
  echo '{"bench":"link_2g","skipped":"network namespaces unavailable (needs root)"}' >>"$out/figures.jsonl"

step "bindings library size"
cargo build --release --locked -p abha-ffi --lib 2>&1 | tail -1
lib=target/release/libabha_ffi.so
strip -o "$out/libabha_ffi.stripped.so" "$lib"
echo "{\"bench\":\"bindings_size\",\"bytes\":$(stat -c %s "$lib"),\"stripped_bytes\":$(stat -c %s "$out/libabha_ffi.stripped.so")}" >>"$out/figures.jsonl"

psql -q "$ABHA_TEST_PG_URL" -c "DROP DATABASE IF EXISTS $bench_db" || true
step "summary"
python3 tests/bench_summary.py "$out/figures.jsonl" | tee "$out/summary.txt"
