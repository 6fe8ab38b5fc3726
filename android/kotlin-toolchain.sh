# Sourced by android/jvm-test.sh and android/jvm-bench.sh: the pinned Kotlin compiler from npm
# (the whole kotlinc distribution, with kotlinx-coroutines 1.8) and Debian's JNA, fetched once
# into target/kotlin-toolchain. Needs ROOT set; sets KC, KLIB, CP_RUNTIME and KOTLINC.
KOTLIN_VERSION=2.4.20
TOOLS=${ABHA_KOTLIN_TOOLS:-$ROOT/target/kotlin-toolchain}
JNA_JAR=${JNA_JAR:-/usr/share/java/jna.jar}
mkdir -p "$TOOLS"
if [ ! -f "$JNA_JAR" ]; then
    echo "missing $JNA_JAR: install Debian's libjna-java (sudo apt-get install libjna-java)" >&2
    exit 2
fi
KC=$TOOLS/kotlin-compiler-$KOTLIN_VERSION
if [ ! -x "$KC/bin/kotlinc" ]; then
    printf '\n== fetch kotlin-compiler@%s from npm\n' "$KOTLIN_VERSION" >&2
    _tmp=$(mktemp -d)
    (cd "$_tmp" && npm pack --silent "kotlin-compiler@$KOTLIN_VERSION" >/dev/null && tar xzf "kotlin-compiler-$KOTLIN_VERSION.tgz")
    rm -rf "$KC" && mv "$_tmp/package" "$KC" && rm -rf "$_tmp"
    chmod +x "$KC"/bin/*
fi
KLIB=$KC/lib
CP_RUNTIME=$JNA_JAR:$KLIB/kotlinx-coroutines-core-jvm.jar:$KLIB/kotlin-stdlib.jar
KOTLINC=("$KC/bin/kotlinc" -nowarn -jvm-target 17)
