/*
 * Why this file exists: the Gradle build of `:core`, the pure-Kotlin part of the app.
 *
 * Sources: `android/core/src/main/kotlin` (written and tested without Android) plus the Kotlin
 * bindings UniFFI generates from the Rust library (`generateUniffiBindings`, below). Tests:
 * `android/core/src/test/kotlin`, all of them, on JUnit 5 against the host build of the
 * library. The canonical test route is `bash android/jvm-test.sh` (no Gradle needed; it also
 * starts the hub the integration tests talk to); `./gradlew :core:test` is the same suite for
 * Android Studio users and needs the same system properties (pass them with -P, see below).
 *
 * The build script lives in `android/core-module/` and points at `../core`, so Gradle never
 * writes into `android/core/`.
 *
 * JNA is `compileOnly` here: the app must package the JNA *AAR* (Android natives) and must not
 * also get the desktop jar through `:core`. Tests add the jar back.
 */
import org.jetbrains.kotlin.gradle.dsl.JvmTarget

plugins {
    alias(libs.plugins.kotlin.jvm)
    `java-library`
}

/** The Cargo workspace: the repository root, above `android/`. */
val cargoRoot: File = rootDir.parentFile
val cargoTargetDir: File = System.getenv("CARGO_TARGET_DIR")?.let(::File) ?: cargoRoot.resolve("target")
/** The host library the bindings are generated from and the JVM tests load. */
val hostLibName: String = System.getProperty("os.name").lowercase().let { os ->
    when {
        os.contains("mac") -> "libabha_ffi.dylib"
        os.contains("win") -> "abha_ffi.dll"
        else -> "libabha_ffi.so"
    }
}
val hostLibDir: File = cargoTargetDir.resolve("debug")
val uniffiOut = layout.buildDirectory.dir("generated/uniffi")
/** `cargo`, or the path in -Pabha.cargo= / gradle.properties (Android Studio may not see ~/.cargo/bin). */
val cargo: String = providers.gradleProperty("abha.cargo").getOrElse("cargo")

/** Host build of the library and of the pinned `uniffi-bindgen` (same UniFFI as the library). */
val cargoBuildHost = tasks.register<Exec>("cargoBuildHost") {
    group = "rust"
    description = "cargo build of the host libabha_ffi and the pinned uniffi-bindgen"
    workingDir(cargoRoot)
    commandLine(cargo, "build", "--locked", "-p", "abha-ffi", "--features", "bindgen", "--lib", "--bin", "uniffi-bindgen")
    // Cargo decides what is stale; always ask it.
    outputs.upToDateWhen { false }
}

/**
 * Kotlin bindings in library mode from the host library. `bindings/uniffi.toml` keeps
 * `android = false`, so this one file compiles on the JVM and on Android alike.
 */
val generateUniffiBindings = tasks.register<Exec>("generateUniffiBindings") {
    group = "rust"
    description = "uniffi-bindgen generate --library (Kotlin) into build/generated/uniffi"
    dependsOn(cargoBuildHost)
    val out = uniffiOut.get().asFile
    val bindgen = hostLibDir.resolve(if (hostLibName.endsWith(".dll")) "uniffi-bindgen.exe" else "uniffi-bindgen")
    workingDir(cargoRoot)
    commandLine(
        bindgen.absolutePath, "generate",
        "--library", hostLibDir.resolve(hostLibName).absolutePath,
        "--language", "kotlin",
        "--out-dir", out.absolutePath,
        "--no-format",
    )
    doFirst { out.deleteRecursively(); out.mkdirs() }
    outputs.dir(out)
    outputs.upToDateWhen { false }
}

kotlin {
    compilerOptions { jvmTarget.set(JvmTarget.fromTarget(libs.versions.jvm.target.get())) }
    sourceSets {
        named("main") {
            kotlin.setSrcDirs(listOf(file("../core/src/main/kotlin")))
            // A task provider as a source dir: Gradle runs the task before compiling.
            kotlin.srcDir(generateUniffiBindings)
        }
        named("test") {
            kotlin.setSrcDirs(listOf(file("../core/src/test/kotlin")))
        }
    }
}

java {
    sourceCompatibility = JavaVersion.toVersion(libs.versions.jvm.target.get())
    targetCompatibility = JavaVersion.toVersion(libs.versions.jvm.target.get())
}

dependencies {
    api(libs.coroutines.core)
    compileOnly(libs.jna)

    testImplementation(libs.jna)
    testImplementation(libs.kotlin.test.junit5)
    testImplementation(platform(libs.junit.bom))
    testImplementation(libs.junit.jupiter)
    testRuntimeOnly(libs.junit.platform.launcher)
}

tasks.test {
    useJUnitPlatform()
    dependsOn(cargoBuildHost)
    systemProperty("jna.library.path", hostLibDir.absolutePath)
    systemProperty("abha.root", cargoRoot.absolutePath)
    systemProperty("abha.android.res", rootDir.resolve("app/src/main/res").absolutePath)
    // The integration tests need a running hub, like android/jvm-test.sh provides:
    // ./gradlew :core:test -Pabha.hub.url=http://127.0.0.1:PORT -Pabha.hub.bin=... -Pabha.hub.data=... -Pabha.work=...
    for (name in listOf("abha.hub.url", "abha.hub.bin", "abha.hub.data", "abha.work")) {
        providers.gradleProperty(name).orNull?.let { systemProperty(name, it) }
    }
}
