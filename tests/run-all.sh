#!/usr/bin/env bash
# Every test: the Rust workspace (cargo test), then the Kotlin suite on a JVM (android/jvm-test.sh:
# the generated bindings, android/core's screen models, integration tests with a real hub), then
# the hub dashboard in headless Chromium (tests/web/run.sh). Ends with one line
# `N passed, N failed` over all three.
set -uo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
trap 'rm -f "$log"; bash tests/pg/start.sh --stop' EXIT

# A private PostgreSQL cluster for the hub's conformance suite (skipped with a printed reason if
# the server is not installed, unless ABHA_REQUIRE_PG=1).
if pg=$(bash tests/pg/start.sh); then
    eval "$pg"
    export ABHA_TEST_PG_URL
elif [ "${ABHA_REQUIRE_PG:-}" = 1 ]; then
    echo "PostgreSQL could not be started" >&2
    exit 1
fi

cargo test --workspace --locked 2>&1 | tee "$log"
rust=${PIPESTATUS[0]}
bash android/jvm-test.sh 2>&1 | tee -a "$log"
kotlin=${PIPESTATUS[0]}
bash tests/web/run.sh 2>&1 | tee -a "$log"
web=${PIPESTATUS[0]}

# cargo: "test result: ok. 12 passed; 0 failed; ..."; the Kotlin and web scripts: "N passed, N failed".
awk '
    /^test result:/ { for (i = 1; i <= NF; i++) { if ($(i) ~ /^passed/) p += $(i-1); if ($(i) ~ /^failed/) f += $(i-1) } }
    /^[0-9]+ passed, [0-9]+ failed$/ { p += $1; f += $3 }
    END { print p+0 " passed, " f+0 " failed" }' "$log"
[ "$rust" = 0 ] && [ "$kotlin" = 0 ] && [ "$web" = 0 ]
