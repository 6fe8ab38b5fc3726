#!/usr/bin/env bash
# The Kotlin suite on a plain JVM (docs/android.md, ../shared/reference/kotlin-jvm.md "Recipe A"):
#  1. build the host cdylib (libabha_ffi.so), the pinned uniffi-bindgen and the hub;
#  2. generate the Kotlin bindings from the library (the same file Android compiles);
#  3. check android/core has no android./androidx. imports;
#  4. compile bindings, android/core and its tests with kotlinc (npm `kotlin-compiler`, pinned);
#  5. run them with the JUnit 5 console launcher; integration tests use the real library and a
#     real hub this script starts on 127.0.0.1;
#  6. print `N passed, N failed`.
# Needs Java 17+, Node.js/npm, and Debian's libjna-java and junit5 (.ci/run installs them).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

OUT=${ABHA_KOTLIN_OUT:-$ROOT/target/kotlin}
JUNIT_DIR=${JUNIT_DIR:-/usr/share/java}
JNA_JAR=${JNA_JAR:-/usr/share/java/jna.jar}
mkdir -p "$OUT"

log() { printf '\n== %s\n' "$*" >&2; }

for jar in "$JNA_JAR" "$JUNIT_DIR/junit-jupiter-api.jar" "$JUNIT_DIR/junit-platform-console-standalone.jar"; do
    if [ ! -f "$jar" ]; then
        echo "missing $jar: install Debian's libjna-java and junit5 (sudo apt-get install libjna-java junit5)" >&2
        exit 2
    fi
done

# 1. Host library, bindgen and hub. `--features bindgen` also applies to the library build, so
# the library the bindings come from is the one the tests load.
log "cargo build (host library, uniffi-bindgen, hub)"
cargo build --locked -p abha-ffi --features bindgen --lib --bin uniffi-bindgen
cargo build --locked -p abha-hub --bin abha-hub
LIB=$ROOT/target/debug/libabha_ffi.so

# 2. Bindings.
log "generate Kotlin bindings"
rm -rf "$OUT/gen"
"$ROOT/target/debug/uniffi-bindgen" generate --library "$LIB" --language kotlin \
    --out-dir "$OUT/gen" --no-format >/dev/null

# 3. The pure-Kotlin core must stay free of Android types.
log "android/core has no android./androidx. imports"
if grep -rnE '^\s*import\s+(android|androidx)\.' android/core/src; then
    echo "android/core must not import android.* or androidx.* (keep it JVM-testable)" >&2
    exit 1
fi
if grep -rnE '^\s*import\s+(android|androidx)\.' "$OUT/gen"; then
    echo "the generated bindings import Android types: keep uniffi.toml at android = false" >&2
    exit 1
fi

# 4. The pinned Kotlin compiler from npm (the whole kotlinc distribution).
# shellcheck source=android/kotlin-toolchain.sh
source "$ROOT/android/kotlin-toolchain.sh"
CP_TEST=$JUNIT_DIR/junit-jupiter-api.jar:$KLIB/kotlin-test.jar:$KLIB/kotlin-test-junit5.jar

log "kotlinc: bindings"
"${KOTLINC[@]}" -cp "$CP_RUNTIME" $(find "$OUT/gen" -name '*.kt') -d "$OUT/bindings.jar"
log "kotlinc: android/core"
"${KOTLINC[@]}" -cp "$CP_RUNTIME:$OUT/bindings.jar" $(find android/core/src/main -name '*.kt') -d "$OUT/core.jar"
log "kotlinc: android/core tests"
"${KOTLINC[@]}" -cp "$CP_RUNTIME:$OUT/bindings.jar:$OUT/core.jar:$CP_TEST" \
    $(find android/core/src/test -name '*.kt') -d "$OUT/tests.jar"

# 5. A real hub on loopback for the integration tests.
WORK=$(mktemp -d)
HUB_PID=""
cleanup() {
    if [ -n "$HUB_PID" ]; then kill "$HUB_PID" 2>/dev/null || true; wait "$HUB_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT
HUB_BIN=$ROOT/target/debug/abha-hub
HUB_DATA=$WORK/hub
log "start a hub on 127.0.0.1"
ABHA_LOG=warn "$HUB_BIN" --data "$HUB_DATA" --demo-keys serve --plain-http --listen 127.0.0.1:0 \
    >"$WORK/hub.out" 2>"$WORK/hub.err" &
HUB_PID=$!
HUB_URL=""
for _ in $(seq 1 600); do
    HUB_URL=$(sed -n 's/^serving \([^ ]*\).*/\1/p' "$WORK/hub.out" | head -n1)
    [ -n "$HUB_URL" ] && break
    if ! kill -0 "$HUB_PID" 2>/dev/null; then cat "$WORK/hub.err" >&2; echo "hub did not start" >&2; exit 1; fi
    sleep 0.1
done
[ -n "$HUB_URL" ] || { echo "hub did not report its address" >&2; exit 1; }
echo "hub at $HUB_URL" >&2

log "JUnit"
set +e
java -Djna.library.path="$ROOT/target/debug" \
    -Dabha.hub.url="$HUB_URL" -Dabha.hub.bin="$HUB_BIN" -Dabha.hub.data="$HUB_DATA" \
    -Dabha.work="$WORK" -Dabha.root="$ROOT" -Dabha.android.res="$ROOT/android/app/src/main/res" \
    -jar "$JUNIT_DIR/junit-platform-console-standalone.jar" \
    -cp "$OUT/tests.jar:$OUT/core.jar:$OUT/bindings.jar:$CP_RUNTIME:$CP_TEST" \
    --scan-classpath "$OUT/tests.jar" --details=tree --disable-banner "$@" | tee "$WORK/junit.out"
status=${PIPESTATUS[0]}
set -e

# 6. The summary line CI reads.
awk '/tests successful/{p=$2} /tests failed/{f=$2} END{print p+0" passed, "f+0" failed"}' "$WORK/junit.out"
exit "$status"
