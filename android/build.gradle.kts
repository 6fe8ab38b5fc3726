/*
 * Why this file exists: declares the Gradle plugins once (applied by the modules, not here) so
 * `:core` and `:app` use the same versions from gradle/libs.versions.toml.
 */
plugins {
    alias(libs.plugins.android.application) apply false
    alias(libs.plugins.kotlin.android) apply false
    alias(libs.plugins.kotlin.compose) apply false
    alias(libs.plugins.kotlin.jvm) apply false
}
