/*
 * Why this file exists: the Android Studio / Gradle entry point of the ABHA Field tablet app.
 *
 * Two modules:
 *  - `:core`: the pure-Kotlin app logic in `android/core/src/main/kotlin` (screen models,
 *    repositories, sync policy) plus the UniFFI bindings generated from the Rust library. It is
 *    a plain `kotlin("jvm")` library: the same sources `android/jvm-test.sh` compiles and tests
 *    on machines without an Android SDK. Its build script lives in `core-module/`, not inside
 *    `android/core/`, so Gradle's outputs (`build/`) never land in the source tree that the JVM
 *    suite owns.
 *  - `:app`: the thin Android shell (Compose screens, AndroidX ViewModels, WorkManager,
 *    Keystore, resources) and the native libraries built with cargo-ndk.
 *
 * AndroidX, AGP and Compose come from Google's Maven repository; everything else from Maven
 * Central. See android/README.md for the build steps.
 */
pluginManagement {
    repositories {
        google {
            content {
                includeGroupByRegex("com\\.android.*")
                includeGroupByRegex("com\\.google.*")
                includeGroupByRegex("androidx.*")
            }
        }
        mavenCentral()
        gradlePluginPortal()
    }
}

dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google()
        mavenCentral()
    }
}

rootProject.name = "abha-field"

include(":core")
project(":core").projectDir = file("core-module")

include(":app")
