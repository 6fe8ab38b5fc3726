/**
 * The form's building blocks: field names exactly as the core writes them, drafts and fields
 * that print no personal data, patches with only the changed fields, and the Aadhaar mask.
 */
package app.abhafield.android.core.ui

import app.abhafield.android.core.fakes.member
import app.abhafield.android.core.repo.HouseholdDraft
import app.abhafield.android.core.repo.MemberDraft
import app.abhafield.core.MemberPatchInput
import org.junit.jupiter.api.Test
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNull

class FormFieldsTest {
    private val sita = MemberFields(
        uid = 3, givenName = "सीता", familyName = "Bhat", gender = "F", birthDate = "1985-02-01",
        relation = "head", mobile = "9876543210", aadhaar = "2341 2341 2346",
    )

    @Test
    fun `field names are the core's`() {
        assertEquals("members[2].birth_date", FormFields.member(2, FormFields.BIRTH_DATE))
        assertEquals(12 to "abha_address", FormFields.parseMember("members[12].abha_address"))
        assertNull(FormFields.parseMember("household.address"))
        assertNull(FormFields.parseMember("members[x].mobile"))
        assertEquals("household.village_id", FormFields.VILLAGE)
    }

    @Test
    fun `nothing personal is printed`() {
        val printed = listOf(
            sita.toString(),
            sita.toDraft().toString(),
            HouseholdDraft(900101u, "Mohalla 3, Khag", members = listOf(sita.toDraft())).toString(),
            HouseholdFormState(address = "Mohalla 3, Khag", members = listOf(sita)).toString(),
        )
        for (p in printed) {
            for (secret in listOf("सीता", "2341", "9876", "1985", "Mohalla")) assertFalse(secret in p, "$secret in $p")
        }
    }

    @Test
    fun `a draft leaves blank optional fields out`() {
        val d = sita.copy(middleName = " ", nameLatin = "").toDraft()
        assertEquals(
            MemberDraft(givenName = "सीता", familyName = "Bhat", gender = "F", birthDate = "1985-02-01", relation = "head",
                mobile = "9876543210", aadhaar = "2341 2341 2346"),
            d,
        )
        assertNull(sita.copy(aadhaar = "  ").toDraft().aadhaar)
    }

    @Test
    fun `changes and patches name only what changed`() {
        val after = sita.copy(givenName = "Seeta", mobile = "", aadhaar = "")
        assertEquals(setOf("given_name", "mobile", "aadhaar"), after.changedFrom(sita))
        assertEquals(MemberPatchInput(givenName = "Seeta", mobile = ""), after.patchFrom(sita))
        assertEquals(MemberPatchInput(), sita.patchFrom(sita))
    }

    @Test
    fun `the Aadhaar number is dropped and only the last four kept`() {
        val cleared = sita.withoutAadhaar()
        assertEquals("", cleared.aadhaar)
        assertEquals("XXXX XXXX 2346", cleared.aadhaarMasked)
        assertEquals(sita.copy(aadhaar = "", aadhaarMasked = "XXXX XXXX 2346"), cleared)
        assertNull(MemberFields(aadhaar = "12").withoutAadhaar().aadhaarMasked, "too short to mask: nothing kept")
    }

    @Test
    fun `a stored member becomes editable fields`() {
        val f = MemberFields.of(member("m1").copy(mobile = null, aadhaarMasked = "XXXX XXXX 1234"), uid = 9)
        assertEquals(9, f.uid)
        assertEquals("Sita", f.givenName)
        assertEquals("", f.mobile)
        assertEquals("", f.aadhaar)
        assertEquals("XXXX XXXX 1234", f.aadhaarMasked)
    }
}
