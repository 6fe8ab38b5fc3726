package app.abhafield.android.i18n

import android.content.Context
import android.content.res.Configuration
import app.abhafield.android.R
import app.abhafield.android.core.ui.ConsentText
import app.abhafield.android.core.ui.ConsentTexts
import java.util.Locale

/**
 * Why this exists: android/core's [ConsentTexts] from app resources. The consent points of each
 * language are `consent_points_current` in res/values/consent.xml and its values-hi and values-ur twins; the text shown is read in the
 * *beneficiary's* chosen language, whatever language the worker's screen is in, by reading the
 * resources of a configuration with that locale.
 *
 * The bundled text is a PLACEHOLDER paraphrase (`consent_text_is_placeholder`): the official NHA
 * wording and its translations are UNCONFIRMED and must replace it before real use.
 */
class ResourceConsentTexts(context: Context) : ConsentTexts {
    private val app = context.applicationContext
    private val version: String = app.getString(R.string.consent_text_version)

    /** Whether the bundled text is still the placeholder (the consent screen shows a banner). */
    val isPlaceholder: Boolean = app.resources.getBoolean(R.bool.consent_text_is_placeholder)

    override fun versions(): List<String> = listOf(version)

    override fun languages(version: String): List<String> = if (version == this.version) LANGUAGES else emptyList()

    override fun text(version: String, language: String): ConsentText? {
        if (version != this.version || language !in LANGUAGES) return null
        val config = Configuration(app.resources.configuration).apply { setLocale(Locale.forLanguageTag(language)) }
        val points = app.createConfigurationContext(config).resources
            .getStringArray(R.array.consent_points_current)
            .map { it.trim() }
            .filter { it.isNotEmpty() }
        return if (points.isEmpty()) null else ConsentText(version, language, points)
    }

    companion object {
        /** The languages a consent text is bundled in (BCP 47), Urdu and Hindi first for J&K. */
        val LANGUAGES = listOf("ur", "hi", "en")

        /** The string resource with a language's own name. */
        fun nameRes(language: String): Int = when (language) {
            "hi" -> R.string.language_hi
            "ur" -> R.string.language_ur
            else -> R.string.language_en
        }
    }
}
