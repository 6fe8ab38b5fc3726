#!/usr/bin/env bash
# Fuzz smoke test for CI: builds every cargo-fuzz target of fuzz/ and runs each one for a short
# time on a copy of its committed seed corpus. Exits non-zero if any target crashes (a panic is a
# broken property: see fuzz/README.md), and ends with the line "N passed, N failed".
#
# Environment:
#   FUZZ_SECONDS    seconds per target (default 20)
#   FUZZ_SANITIZER  address (default) or none (coverage-guided libFuzzer without ASan)
#   FUZZ_TARGETS    space-separated subset of targets (default: all, from `cargo fuzz list`)
#
# Works on a fresh Debian machine with rustup's stable toolchain: cargo-fuzz is installed
# (pinned, --locked) if missing, and the nightly-only flags it passes are allowed on stable with
# RUSTC_BOOTSTRAP=1 (stable ships the ASan runtime for x86_64 Linux). The committed corpus is
# never written to: libFuzzer grows a copy in a temporary directory.
set -euo pipefail
cd "$(dirname "$0")"

CARGO_FUZZ_VERSION=0.13.2
FUZZ_SECONDS=${FUZZ_SECONDS:-20}
SANITIZER=${FUZZ_SANITIZER:-address}
export RUSTC_BOOTSTRAP=1
export CARGO_TERM_COLOR=never
# detect_odr_violation=0: the SQLCipher amalgamation defines two file-static arrays named
#   `aiOff`; ASan reports them as an ODR violation at start-up (`cargo fuzz run` sets this too).
# quarantine_size_mb=32: every sync body is decoded into a buffer of protocol::MAX_DECODED_BYTES
#   (64 MiB) capacity; with the default 256 MB quarantine, recycling those freed buffers makes
#   each decode take ~9 ms. Buffers larger than the quarantine skip it; the rest are still
#   quarantined, so use-after-free is still caught.
export ASAN_OPTIONS="detect_odr_violation=0:quarantine_size_mb=32${ASAN_OPTIONS:+:$ASAN_OPTIONS}"

log() { printf '\n== %s\n' "$*"; }

if ! [[ "$FUZZ_SECONDS" =~ ^[1-9][0-9]*$ ]]; then
    echo "FUZZ_SECONDS must be a positive number of seconds, not '$FUZZ_SECONDS'"
    exit 2
fi

# A C and C++ compiler (libFuzzer is C++; SQLCipher and OpenSSL are built from source), make
# and perl (OpenSSL's build).
missing=()
for tool in cc c++ make perl; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if ((${#missing[@]})); then
    log "installing a C/C++ toolchain (missing: ${missing[*]})"
    SUDO=""
    if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1; then SUDO=sudo; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq build-essential perl >/dev/null
fi

if ! cargo fuzz --version 2>/dev/null | grep -qF "$CARGO_FUZZ_VERSION"; then
    log "installing cargo-fuzz $CARGO_FUZZ_VERSION"
    cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi

host=$(rustc -vV | sed -n 's/^host: //p')
read -r -a targets <<<"${FUZZ_TARGETS:-$(cargo fuzz list | tr '\n' ' ')}"

log "building ${#targets[@]} fuzz targets (sanitizer: $SANITIZER)"
start=$(date +%s)
if ! cargo fuzz build -s "$SANITIZER"; then
    echo "the fuzz targets did not build"
    echo "0 passed, ${#targets[@]} failed"
    exit 1
fi
echo "built in $(($(date +%s) - start)) s"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
for t in "${targets[@]}"; do
    log "$t: ${FUZZ_SECONDS} s on a copy of corpus/$t"
    mkdir -p "$work/$t/corpus" "$work/$t/artifacts"
    cp corpus/"$t"/* "$work/$t/corpus/"
    args=(-max_total_time="$FUZZ_SECONDS" -timeout=10 -print_final_stats=1
        -artifact_prefix="$work/$t/artifacts/")
    [ -f "dicts/$t.dict" ] && args+=(-dict="dicts/$t.dict")
    rc=0
    # A hang past the time budget is a failure too, not a stuck CI job.
    timeout --signal=KILL $((FUZZ_SECONDS + 120)) \
        "target/$host/release/$t" "${args[@]}" "$work/$t/corpus" >"$work/$t/log" 2>&1 || rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$t/log")
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/$t/log")
    crashes=$(find "$work/$t/artifacts" -type f | wc -l)
    if [ "$rc" = 0 ] && [ "$crashes" = 0 ]; then
        passed=$((passed + 1))
        echo "$t ok: ${runs:-?} runs, ${rate:-?} exec/s, corpus $(find corpus/"$t" -type f | wc -l) -> $(find "$work/$t/corpus" -type f | wc -l) inputs"
    else
        failed=$((failed + 1))
        echo "$t FAILED (exit $rc, $crashes crash inputs)"
        # The panic message first (ASan's stack trace that follows it is long), then the end.
        grep -m1 -A6 -e 'panicked at' -e 'ERROR: AddressSanitizer' -e 'ERROR: libFuzzer' "$work/$t/log" || true
        echo "... end of the log:"
        tail -n 25 "$work/$t/log"
        if [ "$crashes" != 0 ]; then
            mkdir -p "artifacts/$t"
            cp "$work/$t/artifacts"/* "artifacts/$t/"
            echo "crash inputs kept in fuzz/artifacts/$t/; reproduce with:"
            for a in "artifacts/$t"/*; do
                echo "  (cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run -s $SANITIZER $t $a)"
            done
        fi
    fi
done

log "fuzz smoke: ${FUZZ_SECONDS} s per target, sanitizer $SANITIZER"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
