package app.abhafield.android.i18n

import android.annotation.SuppressLint
import android.content.Context
import androidx.compose.runtime.Composable
import androidx.compose.runtime.remember
import androidx.compose.ui.platform.LocalConfiguration
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.res.stringResource
import app.abhafield.android.R
import app.abhafield.android.core.i18n.Formats
import java.time.ZoneId
import java.util.concurrent.ConcurrentHashMap

/**
 * Why this exists: screen state from android/core carries message *keys* (`error_aadhaar_checksum`,
 * `enrollment_state_queued`), never text; this turns a key into the string of the current language.
 *
 * The lookup is by resource name, so a code the core adds later works as soon as its strings are
 * added, without touching Kotlin. An unknown key falls back to a generic message of its family
 * (`enrollment_state_unknown`, `enrollment_route_unknown`) or `error_unknown`, never to the raw key.
 * `res/raw/keep.xml` keeps these strings through release resource shrinking.
 */
object Messages {
    private val ids = ConcurrentHashMap<String, Int>()

    /** The string resource id for [key], or the fallback of its family. */
    @SuppressLint("DiscouragedApi") // by-name lookup is the point: keys come from the core at run time
    fun resId(context: Context, key: String): Int {
        ids[key]?.let { return it }
        val found = context.resources.getIdentifier(key, "string", context.packageName)
        val id = if (found != 0) found else fallback(key)
        ids[key] = id
        return id
    }

    /** The string resource id for [key], or null if the app has no such string. */
    @SuppressLint("DiscouragedApi")
    fun resIdOrNull(context: Context, key: String): Int? =
        context.resources.getIdentifier(key, "string", context.packageName).takeIf { it != 0 }

    /** The text for [key] in the context's language. */
    fun text(context: Context, key: String): String = context.getString(resId(context, key))

    private fun fallback(key: String): Int = when {
        key.startsWith("enrollment_state_") -> R.string.enrollment_state_unknown
        key.startsWith("enrollment_route_") -> R.string.enrollment_route_unknown
        else -> R.string.error_unknown
    }
}

/** The text of a message key (or of `error_unknown` if the key is unknown). */
@Composable
fun message(key: String): String = stringResource(Messages.resId(LocalContext.current, key))

/** The text of [key], or [fallback] when the app has no string of that name (e.g. a new relation code). */
@Composable
fun messageOr(key: String, fallback: String): String =
    Messages.resIdOrNull(LocalContext.current, key)?.let { stringResource(it) } ?: fallback

/** [message], or null for a null key. */
@Composable
fun messageOrNull(key: String?): String? = key?.let { message(it) }

/**
 * android/core's [Formats] for the current locale and the tablet's time zone (dates and counts
 * in the worker's digits and order: Hindi, Urdu or English).
 */
@Composable
fun rememberFormats(): Formats {
    val locale = LocalConfiguration.current.locales[0]
    return remember(locale) { Formats(locale, ZoneId.systemDefault()) }
}
