#!/usr/bin/env bash
# What the Kotlin bindings cost on top of the Rust library, as one command (docs/performance.md,
# "Kotlin bindings"):
#  1. release build of the host cdylib (unstripped, so bindgen can read its metadata), the pinned
#     uniffi-bindgen and the Rust baseline bench (bindings/benches/ffi.rs), in one cargo run so
#     they share one library build;
#  2. generate the Kotlin bindings from target/release/libabha_ffi.so into a scratch dir;
#  3. compile them and android/bench/FfiBench.kt with kotlinc, as android/jvm-test.sh does (same
#     pinned npm `kotlin-compiler`, same toolchain dir, Debian's JNA);
#  4. run the Rust bench, then the Kotlin one on the same data (BENCH_HOUSEHOLDS, BENCH_N,
#     BENCH_WARMUP reach both);
#  5. print per operation the Rust and Kotlin medians, the ratio and the overhead, and the sizes
#     of the library (as built and stripped) and of the generated .kt file.
# Needs Java 17+, Node.js/npm and Debian's libjna-java.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

OUT=${ABHA_KOTLIN_BENCH_OUT:-$ROOT/target/kotlin-bench}
JNA_JAR=${JNA_JAR:-/usr/share/java/jna.jar}
mkdir -p "$OUT"

log() { printf '\n== %s\n' "$*" >&2; }

if [ ! -f "$JNA_JAR" ]; then
    echo "missing $JNA_JAR: install Debian's libjna-java (sudo apt-get install libjna-java)" >&2
    exit 2
fi

# 1. Library, bindgen and the Rust bench from one release build.
log "cargo build --release (host library, uniffi-bindgen, Rust bench)"
cargo build --release --locked -p abha-ffi --features bindgen --lib --bin uniffi-bindgen \
    --bench ffi --message-format=json-render-diagnostics >"$OUT/cargo.json"
RUST_BENCH=$(grep -o '"executable":"[^"]*/deps/ffi-[0-9a-f]*"' "$OUT/cargo.json" | tail -n1 | cut -d'"' -f4)
[ -x "$RUST_BENCH" ] || { echo "could not find the ffi bench executable in cargo's output" >&2; exit 1; }
LIB=$ROOT/target/release/libabha_ffi.so

# 2. Bindings.
log "generate Kotlin bindings"
rm -rf "$OUT/gen"
"$ROOT/target/release/uniffi-bindgen" generate --library "$LIB" --language kotlin \
    --out-dir "$OUT/gen" --no-format >/dev/null
KT=$(find "$OUT/gen" -name '*.kt')

# 3. The pinned Kotlin compiler from npm, shared with android/jvm-test.sh.
# shellcheck source=android/kotlin-toolchain.sh
source "$ROOT/android/kotlin-toolchain.sh"

log "kotlinc: bindings"
"${KOTLINC[@]}" -cp "$CP_RUNTIME" $KT -d "$OUT/bindings.jar"
log "kotlinc: android/bench"
"${KOTLINC[@]}" -cp "$CP_RUNTIME:$OUT/bindings.jar" android/bench/FfiBench.kt -d "$OUT/bench.jar"

# 4. Rust first, then Kotlin, each on a fresh store in its own temp dir.
log "Rust bench"
"$RUST_BENCH" | tee "$OUT/rust.out"
log "Kotlin bench"
java -Djna.library.path="$ROOT/target/release" \
    -cp "$OUT/bench.jar:$OUT/bindings.jar:$CP_RUNTIME" app.abhafield.bench.FfiBench \
    "$ROOT/fixtures/demo-sealing/public.pem" | tee "$OUT/kotlin.out"

# 5. The table.
log "Kotlin bindings vs Rust (medians)"
awk '
    { for (i = 3; i <= NF; i++) { split($i, kv, "="); v[$1, $2, kv[1]] = kv[2] }
      if ($1 == "rust") ops[++n] = $2 }
    END {
        printf "%-20s %12s %12s %8s %14s %6s\n", "operation", "rust_us", "kotlin_us", "ratio", "overhead_us", "n"
        for (i = 1; i <= n; i++) {
            op = ops[i]; r = v["rust", op, "median_us"]; k = v["kotlin", op, "median_us"]
            if (k == "") { printf "%-20s %12.1f %12s\n", op, r, "missing"; bad = 1; continue }
            printf "%-20s %12.1f %12.1f %8.2f %14.1f %6s\n", op, r, k, k / r, k - r, v["rust", op, "n"]
        }
        exit bad
    }' "$OUT/rust.out" "$OUT/kotlin.out"

strip -o "$OUT/libabha_ffi.stripped.so" "$LIB"
size() { stat -c %s "$1"; }
printf '%-36s %10s bytes\n' \
    "libabha_ffi.so (release)" "$(size "$LIB")" \
    "libabha_ffi.so (stripped)" "$(size "$OUT/libabha_ffi.stripped.so")" \
    "$(basename "$KT") (generated)" "$(size "$KT")"
