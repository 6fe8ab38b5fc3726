/**
 * Dates, birth dates and counts in the user's locale.
 *
 * ASHA workers read Hindi, Urdu or English; a date must read as it does in their language and
 * numbers must use their digits (`ur-IN` shows `۱۲`, `hi-IN-u-nu-deva` shows `१२`). java.time and
 * java.text do the work; two gaps of the plain JVM are closed here so tablets and JVM tests agree:
 * dates use the locale's digits (`DecimalStyle.of`), and India-region locales get lakh grouping
 * (`12,34,567`), which ICU on Android applies and `java.text.DecimalFormat` cannot express.
 * Nothing here throws on bad input: a value that cannot be parsed is shown as stored.
 */
package app.abhafield.android.core.i18n

import app.abhafield.android.core.ui.MemberRules
import java.text.DecimalFormatSymbols
import java.text.NumberFormat
import java.time.Instant
import java.time.LocalDate
import java.time.ZoneId
import java.time.format.DateTimeFormatter
import java.time.format.DecimalStyle
import java.time.format.FormatStyle
import java.util.Locale

/** A number with its unit as a string resource name (`unit_kb`), e.g. for bytes sent. */
data class Quantity(val number: String, val unitKey: String)

/** Formatting for one [locale] and time [zone] (the tablet's, normally `Asia/Kolkata`). */
class Formats(val locale: Locale, val zone: ZoneId) {
    private val decimalStyle = DecimalStyle.of(locale)
    private val dateFormat = DateTimeFormatter.ofLocalizedDate(FormatStyle.MEDIUM)
        .withLocale(locale).withDecimalStyle(decimalStyle)
    private val dateTimeFormat = DateTimeFormatter.ofLocalizedDateTime(FormatStyle.MEDIUM, FormatStyle.SHORT)
        .withLocale(locale).withDecimalStyle(decimalStyle)
    private val symbols = DecimalFormatSymbols.getInstance(locale)

    /** Whether this locale groups digits 3-2-2 (lakh, crore), as CLDR says for India-region locales. */
    val lakhGrouping: Boolean = locale.country == "IN" || (locale.country.isEmpty() && locale.language in INDIC)

    /** A Unix time in ms as a medium date (`5 मार्च 2024`). */
    fun date(epochMillis: Long): String = dateFormat.format(Instant.ofEpochMilli(epochMillis).atZone(zone))

    /** A Unix time in ms as a medium date and short time. */
    fun dateTime(epochMillis: Long): String = dateTimeFormat.format(Instant.ofEpochMilli(epochMillis).atZone(zone))

    /** A calendar date as a medium date. */
    fun date(date: LocalDate): String = dateFormat.format(date)

    /** A year (no grouping, locale digits): `1985`, `۱۹۸۵`. */
    fun year(year: Int): String = NumberFormat.getIntegerInstance(locale).apply { isGroupingUsed = false }.format(year.toLong())

    /**
     * A birth date as the core stores it: `YYYY-MM-DD` as a medium date, `YYYY` (year only, when
     * the exact date is not known) as the year. Anything else is returned unchanged.
     */
    fun birthDate(value: String): String {
        val v = value.trim()
        parseBirthDate(v)?.let { return date(it) }
        if (YEAR.matches(v)) return year(v.toInt())
        return value
    }

    /**
     * Age in whole years at [nowEpochMillis] of a `YYYY-MM-DD` or `YYYY` birth date (a year alone
     * counts from 1 July, the midpoint), or null if it cannot be read or lies in the future.
     */
    fun ageYears(birthDate: String, nowEpochMillis: Long): Int? = MemberRules.ageYears(birthDate, nowEpochMillis, zone)

    /** A count with the locale's digits and grouping (`12,34,567` in en-IN, `1,234,567` in ur-PK). */
    fun count(n: Long): String {
        val plain = NumberFormat.getIntegerInstance(locale)
        if (!lakhGrouping) return plain.format(n)
        plain.isGroupingUsed = false
        val digits = plain.format(kotlin.math.abs(n))
        val grouped = groupLakh(digits, symbols.groupingSeparator)
        return if (n < 0) symbols.minusSign + grouped else grouped
    }

    /** [count] for the unsigned counts the core reports. */
    fun count(n: ULong): String = count(n.coerceAtMost(Long.MAX_VALUE.toULong()).toLong())

    /** [count] for the unsigned counts the core reports. */
    fun count(n: UInt): String = count(n.toLong())

    /** A byte count in B, KB or MB (one decimal above 1 KB), number in the locale's digits. */
    fun bytes(n: Long): Quantity {
        val nf = NumberFormat.getNumberInstance(locale).apply { maximumFractionDigits = 1; minimumFractionDigits = 0 }
        return when {
            n < 1024 -> Quantity(count(n), "unit_bytes")
            n < 1024L * 1024 -> Quantity(nf.format(n / 1024.0), "unit_kb")
            else -> Quantity(nf.format(n / (1024.0 * 1024.0)), "unit_mb")
        }
    }

    private fun parseBirthDate(v: String): LocalDate? =
        if (FULL_DATE.matches(v)) runCatching { LocalDate.parse(v) }.getOrNull() else null

    private companion object {
        val FULL_DATE = Regex("""\d{4}-\d{2}-\d{2}""")
        val YEAR = Regex("""\d{4}""")
        /** Languages whose CLDR decimal pattern is `#,##,##0.###` without a region. */
        val INDIC = setOf("hi", "bn", "gu", "kn", "ml", "mr", "or", "pa", "ta", "te", "as", "ks", "kok", "mai", "sa", "sd")

        /** Inserts [sep] into a run of digits: last three, then every two (`1234567` → `12,34,567`). */
        fun groupLakh(digits: String, sep: Char): String {
            if (digits.length <= 3) return digits
            val head = digits.dropLast(3)
            val out = StringBuilder()
            val firstLen = head.length % 2
            if (firstLen == 1) out.append(head[0])
            var i = firstLen
            while (i < head.length) {
                if (out.isNotEmpty()) out.append(sep)
                out.append(head, i, i + 2)
                i += 2
            }
            return out.append(sep).append(digits.takeLast(3)).toString()
        }
    }
}
