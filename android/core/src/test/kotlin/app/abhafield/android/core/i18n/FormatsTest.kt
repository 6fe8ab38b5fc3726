/**
 * Dates, birth dates and counts as Hindi, Urdu and English readers in India and Pakistan expect
 * them: their month names, their digits, their grouping.
 */
package app.abhafield.android.core.i18n

import org.junit.jupiter.api.Test
import java.time.LocalDate
import java.time.ZoneId
import java.time.ZonedDateTime
import java.util.Locale
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNull
import kotlin.test.assertTrue

class FormatsTest {
    private val ist = ZoneId.of("Asia/Kolkata")
    private fun fmt(tag: String) = Formats(Locale.forLanguageTag(tag), ist)

    /** 5 March 2024, 14:07 in India. */
    private val march5 = ZonedDateTime.of(2024, 3, 5, 14, 7, 0, 0, ist).toInstant().toEpochMilli()

    @Test
    fun `a date reads in Hindi, Urdu and English`() {
        val hi = fmt("hi-IN").date(march5)
        assertTrue("मार्च" in hi && "2024" in hi, hi)
        val ur = fmt("ur-PK").date(march5)
        assertTrue("مارچ" in ur && "2024" in ur, ur)
        val en = fmt("en-IN").date(march5)
        assertTrue("Mar" in en && "2024" in en, en)
        assertFalse("March" in hi || "Mar" in ur, "no English month in hi/ur")
    }

    @Test
    fun `the date follows the zone, not UTC`() {
        // 23:30 in India on 5 March is 18:00 UTC: still the 5th in India, but the 6th in Tokyo.
        val late = ZonedDateTime.of(2024, 3, 5, 23, 30, 0, 0, ist).toInstant().toEpochMilli()
        assertTrue("05" in fmt("en-IN").date(late))
        assertTrue("06" in Formats(Locale.forLanguageTag("en-IN"), ZoneId.of("Asia/Tokyo")).date(late))
    }

    @Test
    fun `Urdu in India uses Extended Arabic-Indic digits in dates and counts`() {
        val f = fmt("ur-IN")
        val d = f.date(march5)
        assertTrue("۲۰۲۴" in d, d)
        assertFalse(d.any { it in '0'..'9' }, "no Latin digits in $d")
        assertEquals("۱۲٬۳۴٬۵۶۷", f.count(1_234_567))
        val t = f.dateTime(march5)
        assertTrue("۲:۰۷" in t || "۱۴:۰۷" in t, t)
    }

    @Test
    fun `Devanagari digits when the locale asks for them`() {
        val f = fmt("hi-IN-u-nu-deva")
        assertEquals("१२,३४,५६७", f.count(1_234_567))
        assertTrue("२०२४" in f.date(march5))
    }

    @Test
    fun `counts use lakh grouping in India and thousands in Pakistan`() {
        assertEquals("12,34,567", fmt("en-IN").count(1_234_567))
        assertEquals("12,34,567", fmt("hi-IN").count(1_234_567))
        assertEquals("1,00,00,000", fmt("hi-IN").count(10_000_000))
        assertEquals("999", fmt("hi-IN").count(999))
        assertEquals("1,000", fmt("hi-IN").count(1000))
        assertEquals("1,234,567", fmt("ur-PK").count(1_234_567))
        assertEquals("1,234,567", fmt("en-US").count(1_234_567))
        assertEquals("0", fmt("en-IN").count(0uL))
        assertEquals("40", fmt("hi-IN").count(40u))
    }

    @Test
    fun `birth dates given as a date or a year`() {
        val hi = fmt("hi-IN")
        assertEquals(hi.date(LocalDate.of(1985, 2, 1)), hi.birthDate("1985-02-01"))
        assertTrue("1985" in hi.birthDate("1985-02-01"))
        assertEquals("1985", hi.birthDate("1985"))
        assertEquals("۱۹۸۵", fmt("ur-IN").birthDate("1985"))
        assertEquals("1985-13-45", hi.birthDate("1985-13-45"), "an impossible date is shown as stored")
        assertEquals("", hi.birthDate(""))
    }

    @Test
    fun `age from a birth date or a year`() {
        val f = fmt("en-IN")
        assertEquals(39, f.ageYears("1985-02-01", march5))
        assertEquals(38, f.ageYears("1985-04-01", march5))
        assertEquals(38, f.ageYears("1985", march5), "a year alone counts from 1 July")
        assertNull(f.ageYears("2030", march5))
        assertNull(f.ageYears("soon", march5))
    }

    @Test
    fun `bytes come with a unit key`() {
        assertEquals(Quantity("512", "unit_bytes"), fmt("en-IN").bytes(512))
        assertEquals(Quantity("1.5", "unit_kb"), fmt("en-IN").bytes(1536))
        assertEquals("unit_mb", fmt("hi-IN").bytes(3L * 1024 * 1024).unitKey)
        assertEquals("۲", fmt("ur-IN").bytes(2L * 1024 * 1024).number)
    }
}
