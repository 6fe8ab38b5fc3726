#!/usr/bin/env bash
# End-to-end test of the hub's supervisors' dashboard in headless Chromium (tests/web/dashboard.mjs).
#
# Why: the dashboard is what supervisors use at a camp; this drives it in a real browser (forms,
# cookies, CSRF tokens, redirects, print CSS, inline SVG) against a real demo hub, and checks
# every effect through the JSON API.
#
# What it does:
#   1. finds Chromium ($CHROMIUM, `chromium` or `chromium-browser`); as root with apt-get it
#      installs Debian's `chromium` if none is found;
#   2. installs playwright-core (pinned in package-lock.json) with `npm ci`;
#   3. builds the hub (`cargo build -p abha-hub --locked`);
#   4. in a fresh data directory: points ABDM at a closed loopback port (abdm.json) so the demo's
#      ABHA requests fail with network errors and wait in `retry_later:abdm.network`, makes a
#      worker token (for the 403 check), and starts `abha-hub serve --demo --plain-http` on a
#      free 127.0.0.1 port (hub logs: target/web/hub.{out,err});
#   5. runs `node dashboard.mjs`, stops the hub, and prints one last line `N passed, N failed`.
# Exit status is non-zero on any failure. Missing Chromium, Node.js or a failed build count as a
# failure (`0 passed, 1 failed`), never as a skip.
#
# Usage: bash tests/web/run.sh   (from anywhere; environment: CHROMIUM=/path/to/chromium)
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
artifacts="$root/target/web"
mkdir -p "$artifacts"

data=""
hub_pid=""
cleanup() {
    if [ -n "$hub_pid" ] && kill -0 "$hub_pid" 2>/dev/null; then
        kill -TERM "$hub_pid" 2>/dev/null
        for _ in $(seq 1 50); do
            kill -0 "$hub_pid" 2>/dev/null || break
            sleep 0.2
        done
        kill -KILL "$hub_pid" 2>/dev/null
        wait "$hub_pid" 2>/dev/null
    fi
    [ -n "$data" ] && rm -rf "$data"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Prints a reason and the one-failure summary, then exits.
fail_setup() {
    echo "not ok - setup: $*"
    echo "0 passed, 1 failed"
    exit 1
}

# 1. Chromium.
find_chromium() {
    if [ -n "${CHROMIUM:-}" ]; then
        [ -x "$CHROMIUM" ] && { echo "$CHROMIUM"; return 0; }
        command -v "$CHROMIUM" 2>/dev/null && return 0
        return 1
    fi
    command -v chromium 2>/dev/null || command -v chromium-browser 2>/dev/null
}
chromium_bin=$(find_chromium)
if [ -z "$chromium_bin" ] && [ -z "${CHROMIUM:-}" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "# Chromium not found: installing Debian's chromium" >&2
    if DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; then
        chromium_bin=$(find_chromium)
    fi
fi
if [ -z "$chromium_bin" ]; then
    if [ -n "${CHROMIUM:-}" ]; then
        fail_setup "CHROMIUM=$CHROMIUM is not an executable"
    fi
    fail_setup "Chromium not found (chromium, chromium-browser or \$CHROMIUM) and could not be installed (needs root and apt-get: apt-get install chromium)"
fi
echo "# Chromium: $chromium_bin ($("$chromium_bin" --version 2>/dev/null | head -n1))" >&2

# 2. Node.js and playwright-core.
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 ||
    fail_setup "Node.js and npm are needed (Debian: apt-get install nodejs npm)"
if [ -f "$here/package-lock.json" ]; then
    (cd "$here" && npm ci --silent --no-audit --no-fund >&2) || fail_setup "npm ci failed in tests/web"
else
    (cd "$here" && npm install --silent --no-audit --no-fund >&2) || fail_setup "npm install failed in tests/web"
fi

# 3. The hub.
(cd "$root" && cargo build -p abha-hub --locked >&2) || fail_setup "cargo build -p abha-hub failed"
hub="$root/target/debug/abha-hub"
[ -x "$hub" ] || fail_setup "$hub missing after the build"

# 4. A demo hub in a fresh data directory.
data=$(mktemp -d "${TMPDIR:-/tmp}/abha-web-e2e.XXXXXX") || fail_setup "mktemp failed"
# A loopback port that nobody listens on: bound by the OS, then closed again.
closed_port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{const p=s.address().port;s.close(()=>console.log(p))})') ||
    fail_setup "could not pick a closed port"
cat >"$data/abdm.json" <<EOF
{
  "gateway_base": "http://127.0.0.1:$closed_port/gateway",
  "abha_base": "http://127.0.0.1:$closed_port/abha",
  "client_id": "e2e-client",
  "client_secret": "e2e-secret",
  "benefit_name": "E2E",
  "timeout": 2,
  "rate_limit_per_sec": 0,
  "max_attempts": 1,
  "retry_base": 0.1
}
EOF
chmod 600 "$data/abdm.json"
: >"$artifacts/hub.err"
# Made before `serve` opens the store. --demo-keys: the keys `serve --demo` uses (otherwise the
# command would generate a sealing key pair the demo hub never reads).
worker_json=$("$hub" --data "$data" --demo-keys token --role worker --label e2e-worker 2>>"$artifacts/hub.err") ||
    fail_setup "abha-hub token --role worker failed (see target/web/hub.err)"
worker_token=$(printf '%s' "$worker_json" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).token))') ||
    fail_setup "no token in: $worker_json"

: >"$artifacts/hub.out"
"$hub" --data "$data" serve --demo --plain-http --listen 127.0.0.1:0 >"$artifacts/hub.out" 2>>"$artifacts/hub.err" &
hub_pid=$!
# The hub seeds the demo camp (a few seconds), then prints `serving http://127.0.0.1:PORT`.
url=""
for _ in $(seq 1 600); do
    url=$(sed -n 's#^serving \(http://127\.0\.0\.1:[0-9]*\).*#\1#p' "$artifacts/hub.out" | head -n1)
    [ -n "$url" ] && break
    kill -0 "$hub_pid" 2>/dev/null || fail_setup "the hub exited while starting: $(tail -n 3 "$artifacts/hub.err")"
    sleep 0.5
done
[ -n "$url" ] || fail_setup "the hub did not start serving within 300 s (see target/web/hub.err)"
echo "# hub: $url (data $data, ABDM at closed port $closed_port)" >&2

# 5. The browser test.
log=$(mktemp)
(cd "$here" && HUB_URL="$url" WORKER_TOKEN="$worker_token" CHROMIUM="$chromium_bin" ARTIFACTS="$artifacts" \
    timeout 600 node dashboard.mjs) 2>&1 | tee "$log"
node_rc=${PIPESTATUS[0]}
passed=$(grep -c '^ok - ' "$log")
failed=$(grep -c '^not ok - ' "$log")
rm -f "$log"
if [ "$node_rc" != 0 ] && [ "$failed" = 0 ]; then
    echo "not ok - dashboard.mjs exited with status $node_rc"
    failed=1
fi
if [ "$passed" = 0 ] && [ "$failed" = 0 ]; then
    echo "not ok - dashboard.mjs ran no checks"
    failed=1
fi
if [ "$failed" != 0 ]; then
    echo "# hub log (last 20 lines of target/web/hub.err but the bridge's retries):" >&2
    sed 's/\x1b\[[0-9;]*m//g' "$artifacts/hub.err" | grep -v 'will be retried' | tail -n 20 | sed 's/^/#   /' >&2
fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
