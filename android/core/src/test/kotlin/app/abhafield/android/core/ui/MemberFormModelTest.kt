/**
 * The member form: a one-member check renamed to unprefixed fields, Aadhaar cleared after adding,
 * and corrections that send only what changed.
 */
package app.abhafield.android.core.ui

import app.abhafield.android.core.fakes.FakeFieldRepository
import app.abhafield.android.core.fakes.abhaScan
import app.abhafield.android.core.fakes.issue
import app.abhafield.android.core.fakes.member
import app.abhafield.android.core.fakes.withScope
import app.abhafield.core.FieldException
import app.abhafield.core.FormCheck
import app.abhafield.core.MemberPatchInput
import org.junit.jupiter.api.Test
import kotlin.test.assertEquals
import kotlin.test.assertTrue

class MemberFormModelTest {
    private val noDelay: Delay = { }

    @Test
    fun `a new member is checked against its household and warned of a likely duplicate`() = withScope { scope ->
        val repo = FakeFieldRepository()
        repo.checkOne = { _, _ ->
            FormCheck(
                listOf(issue("mobile", "mobile.length"), issue("given_name", "name.required")),
                listOf(issue("aadhaar", "aadhaar.duplicate"),
                    issue("given_name", "member.possible_duplicate", mapOf("member_id" to "m9", "reasons" to "similar_name"))),
            )
        }
        val model = MemberFormModel(scope, repo, householdId = "h1", delay = noDelay)
        model.edit { it.copy(mobile = "12345", aadhaar = "2341 2341 2346") }
        val s = model.state.value
        assertEquals(setOf("mobile"), s.errors.keys, "only touched fields")
        assertEquals("error_mobile_length", s.errors.getValue("mobile").single().key)
        assertEquals(setOf("aadhaar"), s.warnings.keys)
        assertEquals(2, s.errorCount)
        assertEquals("h1", repo.checkedMembers.last().first)
        assertTrue(repo.checked.isEmpty(), "no household-form check for a new member")
        model.validate()
        val v = model.state.value
        assertEquals(setOf("mobile", "given_name"), v.errors.keys)
        assertEquals("error_member_possible_duplicate", v.warnings.getValue("given_name").single().key)
    }

    @Test
    fun `a correction keeps this member's messages without the prefix`() = withScope { scope ->
        val repo = FakeFieldRepository()
        repo.check = {
            FormCheck(
                listOf(issue("household.village_id", "village.required"), issue("members[0].mobile", "mobile.length"),
                    issue("members[0].given_name", "name.required")),
                listOf(issue("members[1].mobile", "mobile.length")),
            )
        }
        val model = MemberFormModel(scope, repo, householdId = "h1", existing = member("m6"), delay = noDelay)
        model.edit { it.copy(mobile = "12345") }
        val s = model.state.value
        assertEquals(setOf("mobile"), s.errors.keys, "only touched fields, household errors dropped")
        assertTrue(s.warnings.isEmpty(), "another member's messages dropped")
        assertEquals(1, repo.checked.last().members.size)
        assertTrue(repo.checkedMembers.isEmpty())
    }

    @Test
    fun `adding a member clears the Aadhaar number after the save`() = withScope { scope ->
        val repo = FakeFieldRepository()
        val model = MemberFormModel(scope, repo, householdId = "h1", delay = noDelay)
        assertEquals(MemberFormMode.ADD, model.state.value.mode)
        model.edit { it.copy(givenName = "Aarav", gender = "M", birthDate = "2019", relation = "grandchild", aadhaar = "2341 2341 2346") }
        model.save()
        val s = model.state.value
        assertEquals("m-new", s.savedMemberId)
        assertEquals("2341 2341 2346", repo.added.single().aadhaar)
        assertEquals("", s.fields.aadhaar)
        assertEquals("XXXX XXXX 2346", s.fields.aadhaarMasked)
        model.save()
        assertEquals(1, repo.added.size)
    }

    @Test
    fun `a refused add shows unprefixed field errors`() = withScope { scope ->
        val repo = FakeFieldRepository()
        repo.add = { _, _ -> throw FieldException.Validation(listOf(issue("birth_date", "dob.future"), issue("aadhaar", "aadhaar.no_sealing_key")), emptyList()) }
        val model = MemberFormModel(scope, repo, householdId = "h1", delay = noDelay)
        model.save()
        assertEquals(setOf("birth_date", "aadhaar"), model.state.value.errors.keys)
        assertTrue(model.state.value.editable)
    }

    @Test
    fun `a correction sends only the changed fields and never an Aadhaar`() = withScope { scope ->
        val repo = FakeFieldRepository()
        repo.update = { id, p -> member(id).copy(givenName = p.givenName, mobile = p.mobile) }
        val existing = member("m5", givenName = "Sita").copy(mobile = "9876543210", aadhaarMasked = "XXXX XXXX 2346")
        val model = MemberFormModel(scope, repo, householdId = "ignored", existing = existing, delay = noDelay)
        assertEquals(MemberFormMode.EDIT, model.state.value.mode)
        assertEquals("h1", model.state.value.householdId)
        model.edit { it.copy(givenName = "Seeta", mobile = "", aadhaar = "1111 2222 3333") }
        assertEquals("", model.state.value.fields.aadhaar, "Aadhaar is not editable on a stored member")
        model.save()
        val (id, patch) = repo.patches.single()
        assertEquals("m5", id)
        assertEquals(MemberPatchInput(givenName = "Seeta", mobile = ""), patch, "only changed fields; empty clears the mobile")
        assertEquals("m5", model.state.value.savedMemberId)
    }

    @Test
    fun `an unchanged correction saves without a write, and delete tombstones`() = withScope { scope ->
        val repo = FakeFieldRepository()
        val model = MemberFormModel(scope, repo, householdId = "h1", existing = member("m5"), delay = noDelay)
        model.save()
        assertTrue(repo.patches.isEmpty())
        assertEquals("m5", model.state.value.savedMemberId)

        val other = MemberFormModel(scope, repo, householdId = "h1", existing = member("m6"), delay = noDelay)
        other.delete()
        assertEquals(listOf("m6"), repo.deleted)
        assertTrue(other.state.value.deleted)
    }

    @Test
    fun `a refused correction maps the core's field names`() = withScope { scope ->
        val repo = FakeFieldRepository()
        repo.update = { _, _ -> throw FieldException.Validation(listOf(issue("birth_date", "dob.invalid")), emptyList()) }
        val model = MemberFormModel(scope, repo, householdId = "h1", existing = member("m5"), delay = noDelay)
        model.edit { it.copy(birthDate = "1985-02-30") }
        model.save()
        assertEquals("error_dob_invalid", model.state.value.errors.getValue("birth_date").single().key)
    }

    @Test
    fun `an ABHA card fills the blank fields, keeps typed ones and says where it differs`() = withScope { scope ->
        val repo = FakeFieldRepository()
        val model = MemberFormModel(scope, repo, householdId = "h1", delay = noDelay)
        model.edit { it.copy(gender = "M", relation = "head", aadhaar = "2341 2341 2346") }
        model.applyAbhaScan("{\"hidn\":\"91-6285-4575-5116\"}")
        val s = model.state.value
        assertEquals("Sita Devi", s.fields.givenName)
        assertEquals("M", s.fields.gender, "typed gender kept")
        assertEquals("1988-03-14", s.fields.birthDate)
        assertEquals("91-6285-4575-5116", s.fields.abhaNumber)
        assertEquals("2341 2341 2346", s.fields.aadhaar, "the Aadhaar typed stays in the form")
        val outcome = s.scan!!
        assertEquals(listOf("given_name", "birth_date", "abha_number", "abha_address"), outcome.filled)
        assertEquals("error_qr_differs", outcome.messages.getValue("gender").single().key)
        assertEquals("error_qr_masked", outcome.messages.getValue("mobile").single().key)
        assertEquals(null, outcome.errorKey)
        assertEquals(false, s.scanning)
        assertEquals("M", repo.abhaScans.single().gender, "the form as typed was offered")
        assertTrue(repo.checkedMembers.isNotEmpty(), "the filled form is checked at once")
    }

    @Test
    fun `typing during a scan is never overwritten by it`() = withScope { scope ->
        val repo = FakeFieldRepository()
        repo.gates.close("scanAbhaQr")
        val model = MemberFormModel(scope, repo, householdId = "h1", delay = noDelay)
        model.applyAbhaScan("sita.devi@abdm")
        assertTrue(model.state.value.scanning)
        model.applyAbhaScan("again")
        model.edit { it.copy(givenName = "Seeta") }
        repo.gates.open("scanAbhaQr")
        val s = model.state.value
        assertEquals("Seeta", s.fields.givenName)
        assertEquals(false, "given_name" in s.scan!!.filled)
        assertEquals("sita.devi@abdm", s.fields.abhaAddress)
        assertEquals(1, repo.calls.count { it == "scanAbhaQr" }, "one scan at a time")
    }

    @Test
    fun `a card already held by a member here is offered, and other codes are refused`() = withScope { scope ->
        val repo = FakeFieldRepository()
        repo.abhaScan = { _, m -> abhaScan(m, existing = listOf(member("m7"), member("m6"))) }
        val model = MemberFormModel(scope, repo, householdId = "h1", existing = member("m6"), delay = noDelay)
        model.applyAbhaScan("card")
        assertEquals(listOf(ExistingMember("m7", "h1")), model.state.value.scan!!.existing, "not the member being edited")
        repo.abhaScan = { _, _ -> throw FieldException.Validation(listOf(issue("qr", "qr.aadhaar")), emptyList()) }
        val before = model.state.value.fields
        model.applyAbhaScan("aadhaar letter")
        assertEquals("error_qr_aadhaar", model.state.value.scan!!.errorKey)
        assertEquals(before, model.state.value.fields, "a refused code changes nothing")
    }
}
