/*
 * Why this file exists: the Android application module, the thin shell around `:core`.
 *
 * It adds what only Android has: Compose screens, AndroidX ViewModels, WorkManager, the Android
 * Keystore, resources in English, Hindi and Urdu, and the native library for each ABI.
 *
 * Native code: `cargoNdk` runs `cargo ndk` (cargo-ndk 4.1.2) for arm64-v8a (tablets) and x86_64
 * (emulator) and puts `lib/<abi>/libabha_ffi.so` under build/rustJniLibs, which is a jniLibs
 * source dir; every `merge*JniLibFolders` task depends on it, so `assembleDebug` builds Rust first.
 *
 * 16 KB pages (Android 15+ devices, required by Play for 64-bit libraries): NDK r28+ links
 * 64-bit libraries with 16 KB ELF alignment by default, and cargo-ndk 4.1.2 adds
 * `-Wl,-z,max-page-size=16384` itself for NDK r27 and older. AGP 8.13 stores the .so files
 * uncompressed and 16 KB-aligned in the APK (`useLegacyPackaging = false`, the default for
 * minSdk >= 23). android/README.md shows how to check the result.
 *
 * Bindings: the generated Kotlin (`app.abhafield.core`) is compiled once, in `:core`
 * (see core-module/build.gradle.kts, task `:core:generateUniffiBindings`); the app gets it
 * through `implementation(project(":core"))`, so the JVM tests and the APK use the same file.
 *
 * JNA: the AAR (Android `libjnidispatch.so` per ABI). `:core` only has the jar as compileOnly,
 * so the desktop jar never reaches the APK.
 */
import org.jetbrains.kotlin.gradle.dsl.JvmTarget

plugins {
    alias(libs.plugins.android.application)
    alias(libs.plugins.kotlin.android)
    alias(libs.plugins.kotlin.compose)
}

/** The Cargo workspace: the repository root, above `android/`. */
val cargoRoot: File = rootDir.parentFile
val rustJniLibs = layout.buildDirectory.dir("rustJniLibs")
val minSdkLevel = libs.versions.min.sdk.get().toInt()
/** `cargo`, or the path in -Pabha.cargo= / gradle.properties (Android Studio may not see ~/.cargo/bin). */
val cargo: String = providers.gradleProperty("abha.cargo").getOrElse("cargo")

android {
    namespace = "app.abhafield.android"
    compileSdk = libs.versions.compile.sdk.get().toInt()

    defaultConfig {
        applicationId = "app.abhafield.android"
        minSdk = minSdkLevel
        targetSdk = libs.versions.target.sdk.get().toInt()
        versionCode = 1
        versionName = "0.1.0"
        // Only the ABIs cargoNdk builds: 64-bit ARM tablets and the x86_64 emulator.
        ndk { abiFilters += listOf("arm64-v8a", "x86_64") }
    }

    buildTypes {
        release {
            isMinifyEnabled = true
            isShrinkResources = true
            proguardFiles(getDefaultProguardFile("proguard-android-optimize.txt"), "proguard-rules.pro")
            // Signing is the deployer's: add a signingConfig (keystore outside the repository).
        }
    }

    compileOptions {
        sourceCompatibility = JavaVersion.toVersion(libs.versions.jvm.target.get())
        targetCompatibility = JavaVersion.toVersion(libs.versions.jvm.target.get())
    }

    buildFeatures {
        compose = true
    }

    sourceSets["main"].java.srcDir("src/main/kotlin")
    sourceSets["main"].jniLibs.srcDir(rustJniLibs)

    packaging {
        jniLibs { useLegacyPackaging = false }
        resources { excludes += "/META-INF/{AL2.0,LGPL2.1}" }
    }
}

kotlin {
    compilerOptions { jvmTarget.set(JvmTarget.fromTarget(libs.versions.jvm.target.get())) }
}

/** Release builds of libabha_ffi.so for each ABI, laid out as jniLibs/<abi>/. */
val cargoNdk = tasks.register<Exec>("cargoNdk") {
    group = "rust"
    description = "cargo ndk build --release -p abha-ffi for arm64-v8a and x86_64"
    val out = rustJniLibs.get().asFile
    workingDir(cargoRoot)
    commandLine(
        cargo, "ndk",
        "-t", "arm64-v8a", "-t", "x86_64",
        "--platform", minSdkLevel.toString(),
        "-o", out.absolutePath,
        "build", "--release", "--locked", "-p", "abha-ffi",
    )
    outputs.dir(out)
    // Cargo decides what is stale; always ask it (a no-op build takes a second).
    outputs.upToDateWhen { false }
}

tasks.matching { it.name.startsWith("merge") && it.name.endsWith("JniLibFolders") }
    .configureEach { dependsOn(cargoNdk) }

/** The bindings are generated (and compiled) in :core; this name runs that task from the app too. */
tasks.register("generateUniffiBindings") {
    group = "rust"
    description = "Alias of :core:generateUniffiBindings (UniFFI Kotlin bindings of abha-ffi)"
    dependsOn(":core:generateUniffiBindings")
}

dependencies {
    implementation(project(":core")) {
        // :core declares JNA compileOnly; exclude it anyway so no path brings the desktop jar.
        exclude(group = "net.java.dev.jna", module = "jna")
    }
    implementation("net.java.dev.jna:jna:${libs.versions.jna.get()}@aar")

    implementation(libs.coroutines.android)
    implementation(platform(libs.compose.bom))
    implementation(libs.compose.ui)
    implementation(libs.compose.foundation)
    implementation(libs.compose.material3)
    implementation(libs.compose.material.icons.core)
    implementation(libs.compose.ui.tooling.preview)
    debugImplementation(libs.compose.ui.tooling)

    implementation(libs.activity.compose)
    implementation(libs.lifecycle.viewmodel.compose)
    implementation(libs.lifecycle.runtime.compose)
    implementation(libs.work.runtime.ktx)

    implementation(libs.camera.camera2)
    implementation(libs.camera.lifecycle)
    implementation(libs.camera.view)
    implementation(libs.mlkit.barcode.scanning)
}
