/**
 * Small rules the capture screens apply: who consents for a member, which ABHA route to suggest,
 * and digits typed on Hindi or Urdu keyboards.
 *
 * Why this exists: these decisions were first written inside Compose screens, where no test
 * runs. They decide what is recorded (a child's consent must come from a guardian) or whether a
 * number is accepted at all (the core's validators read ASCII digits only, and a Hindi keyboard
 * types `९८७६५४३२१०`), so they live here, as pure functions with JVM tests, and the screens only
 * call them. The clock and time zone are parameters, so a test can stand on a birthday.
 */
package app.abhafield.android.core.ui

import app.abhafield.core.EnrollmentRoute
import app.abhafield.core.MemberRecord
import java.time.Instant
import java.time.LocalDate
import java.time.Period
import java.time.ZoneId

/** Age and consent rules, and the suggested enrolment route, for one member. */
object MemberRules {
    /** From this age on a person consents for themselves; below it a parent or guardian does. */
    const val ADULT_AGE = 18

    private val FULL_DATE = Regex("""\d{4}-\d{2}-\d{2}""")
    private val YEAR = Regex("""\d{4}""")

    /**
     * Age in whole years at [nowMillis] in [zone] of a birth date as the core stores it:
     * `YYYY-MM-DD`, or `YYYY` when only the year is known (counted from 1 July, the midpoint).
     * Null if it is missing, cannot be read or lies in the future.
     */
    fun ageYears(birthDate: String?, nowMillis: Long, zone: ZoneId): Int? {
        val v = birthDate?.trim().orEmpty()
        val born = when {
            FULL_DATE.matches(v) -> runCatching { LocalDate.parse(v) }.getOrNull() ?: return null
            YEAR.matches(v) -> LocalDate.of(v.toInt(), 7, 1)
            else -> return null
        }
        val today = Instant.ofEpochMilli(nowMillis).atZone(zone).toLocalDate()
        if (born.isAfter(today)) return null
        return Period.between(born, today).years
    }

    /**
     * Whether consent must come from a parent or guardian: the member is under [ADULT_AGE].
     * An unknown age does not force it (the worker can still choose a guardian).
     */
    fun guardianRequired(birthDate: String?, nowMillis: Long, zone: ZoneId): Boolean =
        ageYears(birthDate, nowMillis, zone)?.let { it < ADULT_AGE } ?: false

    /** [guardianRequired] for a stored member. */
    fun guardianRequired(member: MemberRecord, nowMillis: Long, zone: ZoneId): Boolean =
        guardianRequired(member.birthDate, nowMillis, zone)

    /**
     * The route to suggest for a member's ABHA request: link the ABHA they already have (a
     * number or an address was captured), else demographic authentication when an Aadhaar
     * number was captured, else Aadhaar OTP at a camp. Only a suggestion: the worker can change it.
     */
    fun suggestedRoute(member: MemberRecord): EnrollmentRoute = when {
        !member.abhaNumber.isNullOrBlank() || !member.abhaAddress.isNullOrBlank() -> EnrollmentRoute.LINK_EXISTING
        member.aadhaarSealed || member.aadhaarMasked != null -> EnrollmentRoute.DEMO_AUTH
        else -> EnrollmentRoute.AADHAAR_OTP
    }
}

/**
 * Digits in number fields (mobile, PIN code, Aadhaar, ABHA number, birth date, ASHA and HPR ids).
 *
 * Hindi keyboards type Devanagari digits (`०`-`९`, U+0966-U+096F); Urdu keyboards type Extended
 * Arabic-Indic digits (`۰`-`۹`, U+06F0-U+06F9) and some type Arabic-Indic ones (`٠`-`٩`,
 * U+0660-U+0669). The core reads ASCII digits only and would refuse them as bad characters, so a
 * number field passes what is typed through [toAscii]. Every other character, including digits of
 * other scripts, is left alone for the core to accept or report.
 */
object DigitInput {
    /** The first digit (zero) of each script converted, in the order of the doc above. */
    private val ZEROS = charArrayOf('\u0966', '\u06F0', '\u0660')

    /** The ASCII digit for a Devanagari, Extended Arabic-Indic or Arabic-Indic digit, else null. */
    fun asciiDigit(c: Char): Char? {
        for (zero in ZEROS) {
            if (c in zero..zero + 9) return '0' + (c - zero)
        }
        return null
    }

    /** [s] with every digit of those three scripts as its ASCII digit (the same string if none). */
    fun toAscii(s: String): String {
        if (s.none { asciiDigit(it) != null }) return s
        return buildString(s.length) {
            for (c in s) append(asciiDigit(c) ?: c)
        }
    }
}
