/**
 * The small rules the screens call: ages and guardian consent around the 18th birthday and across
 * time zones, the suggested enrolment route, and Hindi/Urdu keyboard digits turned into the ASCII
 * digits the core reads (and nothing else changed).
 */
package app.abhafield.android.core.ui

import app.abhafield.android.core.fakes.member
import app.abhafield.core.EnrollmentRoute
import org.junit.jupiter.api.Test
import java.time.ZoneId
import java.time.ZonedDateTime
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNull
import kotlin.test.assertSame
import kotlin.test.assertTrue

class FieldRulesTest {
    private val india = ZoneId.of("Asia/Kolkata")
    private val utc = ZoneId.of("UTC")

    private fun at(y: Int, m: Int, d: Int, h: Int = 12, zone: ZoneId = india) =
        ZonedDateTime.of(y, m, d, h, 0, 0, 0, zone).toInstant().toEpochMilli()

    @Test
    fun `ages count whole years, a year alone from 1 July`() {
        val now = at(2026, 3, 1)
        assertEquals(41, MemberRules.ageYears("1985-02-01", now, india))
        assertEquals(17, MemberRules.ageYears("2008-03-02", now, india))
        assertEquals(18, MemberRules.ageYears("2008-03-01", now, india))
        assertEquals(17, MemberRules.ageYears(" 2008 ", now, india), "born mid-2008: 17 in March 2026")
        assertEquals(18, MemberRules.ageYears("2008", at(2026, 7, 1), india))
        assertEquals(0, MemberRules.ageYears("2026-03-01", now, india))
    }

    @Test
    fun `an unreadable or future birth date has no age`() {
        val now = at(2026, 3, 1)
        for (bad in listOf(null, "", "01-02-1985", "1985-02-30", "85", "२००८", "2026-03-02", "2027")) {
            assertNull(MemberRules.ageYears(bad, now, india), "for $bad")
        }
    }

    @Test
    fun `the day is the tablet's day`() {
        // 1 March 2026 at 00:30 in India is still 28 February in UTC.
        val now = at(2026, 3, 1, h = 0).plus(30L * 60 * 1000)
        assertEquals(18, MemberRules.ageYears("2008-03-01", now, india))
        assertEquals(17, MemberRules.ageYears("2008-03-01", now, utc))
    }

    @Test
    fun `a guardian consents below 18`() {
        val now = at(2026, 3, 1)
        assertTrue(MemberRules.guardianRequired("2008-03-02", now, india))
        assertTrue(MemberRules.guardianRequired("2020", now, india))
        assertFalse(MemberRules.guardianRequired("2008-03-01", now, india), "18 today")
        assertFalse(MemberRules.guardianRequired("1985-02-01", now, india))
        assertFalse(MemberRules.guardianRequired(null, now, india), "unknown age")
        assertFalse(MemberRules.guardianRequired("garbage", now, india))
        assertTrue(MemberRules.guardianRequired(member("m1").copy(birthDate = "2015-06-01"), now, india))
        assertEquals(18, MemberRules.ADULT_AGE)
    }

    @Test
    fun `the suggested route links an ABHA first, then uses a captured Aadhaar, else OTP`() {
        val plain = member("m1")
        assertEquals(EnrollmentRoute.AADHAAR_OTP, MemberRules.suggestedRoute(plain))
        assertEquals(EnrollmentRoute.DEMO_AUTH, MemberRules.suggestedRoute(plain.copy(aadhaarSealed = true)))
        assertEquals(EnrollmentRoute.DEMO_AUTH, MemberRules.suggestedRoute(plain.copy(aadhaarMasked = "XXXX XXXX 2346")))
        assertEquals(EnrollmentRoute.LINK_EXISTING, MemberRules.suggestedRoute(plain.copy(abhaNumber = "91-5467-3456-7890", aadhaarSealed = true)))
        assertEquals(EnrollmentRoute.LINK_EXISTING, MemberRules.suggestedRoute(plain.copy(abhaAddress = "sita@abdm")))
        assertEquals(EnrollmentRoute.AADHAAR_OTP, MemberRules.suggestedRoute(plain.copy(abhaNumber = " ", abhaAddress = "")), "blank is none")
    }

    @Test
    fun `Hindi keyboard digits become ASCII`() {
        assertEquals("9876543210", DigitInput.toAscii("९८७६५४३२१०"))
        assertEquals("2341 2341-2346", DigitInput.toAscii("२३४१ २३४१-२३४६"), "separators are kept for the core")
        assertEquals("1985-02-01", DigitInput.toAscii("१९८५-०२-०१"))
    }

    @Test
    fun `Urdu keyboard digits, both Arabic-Indic forms, become ASCII`() {
        assertEquals("193411", DigitInput.toAscii("۱۹۳۴۱۱"), "Extended Arabic-Indic (Urdu)")
        assertEquals("0123456789", DigitInput.toAscii("٠١٢٣٤٥٦٧٨٩"), "Arabic-Indic")
        assertEquals("0123456789", DigitInput.toAscii("۰۱۲۳۴۵۶۷۸۹"))
        assertEquals("98 7654", DigitInput.toAscii("9८ ۷٦۵4"), "mixed scripts in one field")
    }

    @Test
    fun `everything else is left for the core`() {
        val ascii = "2341 2341 2346"
        assertSame(ascii, DigitInput.toAscii(ascii), "nothing to change: the same string")
        assertEquals("", DigitInput.toAscii(""))
        // Letters, signs next to the digit blocks, and digits of other scripts stay as typed.
        val others = "सीता\u0965\u0970\u065F\u066A\u06FA১২৩௧"
        assertEquals(others, DigitInput.toAscii(others))
        assertNull(DigitInput.asciiDigit('\u096A' + 6))
        assertEquals('9', DigitInput.asciiDigit('\u096F'))
        assertEquals('0', DigitInput.asciiDigit('\u06F0'))
        assertEquals('9', DigitInput.asciiDigit('\u0669'))
        assertNull(DigitInput.asciiDigit('a'))
        assertEquals("JK-0042", DigitInput.toAscii("JK-००४२"))
    }
}
