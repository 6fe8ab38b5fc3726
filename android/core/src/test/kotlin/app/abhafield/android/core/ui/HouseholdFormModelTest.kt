/**
 * The household form: core issues mapped to the exact field names, shown for touched fields and
 * then all, debounced checks, save errors, and the Aadhaar number gone from state after a save.
 */
package app.abhafield.android.core.ui

import app.abhafield.android.core.fakes.FakeFieldRepository
import app.abhafield.android.core.fakes.issue
import app.abhafield.android.core.fakes.withScope
import app.abhafield.android.core.i18n.FieldMessage
import app.abhafield.core.FieldException
import app.abhafield.core.FormCheck
import app.abhafield.core.SavedHousehold
import kotlinx.coroutines.CompletableDeferred
import org.junit.jupiter.api.Test
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue

class HouseholdFormModelTest {
    private val noDelay: Delay = { }
    private val formErrors = listOf(
        issue("household.address", "text.required"),
        issue("members[0].birth_date", "dob.future"),
        issue("members[1].relation", "relation.second_head"),
        issue("members[1].aadhaar", "aadhaar.checksum"),
    )

    private fun FakeFieldRepository.failing() = apply { check = { FormCheck(formErrors, emptyList()) } }

    @Test
    fun `inline validation shows touched fields first, then every field`() = withScope { scope ->
        val repo = FakeFieldRepository().failing()
        val model = HouseholdFormModel(scope, repo, delay = noDelay)
        model.addMember()
        model.setAddress("")
        model.setAddress(" ")
        val s = model.state.value
        assertEquals(mapOf("household.address" to listOf(FieldMessage("household.address", "error_text_required"))), s.errors)
        assertEquals(4, s.errorCount, "all errors counted, shown or not")

        model.editMember(0) { it.copy(birthDate = "2999-01-01") }
        assertEquals(setOf("household.address", "members[0].birth_date"), model.state.value.errors.keys)

        model.validate()
        val all = model.state.value.errors
        assertEquals(setOf("household.address", "members[0].birth_date", "members[1].relation", "members[1].aadhaar"), all.keys)
        assertEquals("error_aadhaar_checksum", all.getValue("members[1].aadhaar").single().key)
        assertEquals("error_relation_second_head", all.getValue("members[1].relation").single().key)
    }

    @Test
    fun `rapid edits run one check with the latest text after the pause`() = withScope { scope ->
        val repo = FakeFieldRepository()
        val waits = mutableListOf<Long>()
        var release = CompletableDeferred<Unit>()
        val manual: Delay = { ms -> waits += ms; release.await() }
        val model = HouseholdFormModel(scope, repo, validateDelayMillis = 400, delay = manual)
        model.setAddress("M")
        model.setAddress("Mo")
        model.setAddress("Mohalla 3")
        assertTrue(repo.checked.isEmpty(), "nothing checked during the pause")
        assertEquals(listOf(400L, 400L, 400L), waits)
        release.complete(Unit)
        assertEquals(1, repo.checked.size, "earlier checks were dropped")
        assertEquals("Mohalla 3", repo.checked.single().address)
        release = CompletableDeferred()
    }

    @Test
    fun `a refused save shows every error and keeps the form`() = withScope { scope ->
        val repo = FakeFieldRepository()
        repo.create = { throw FieldException.Validation(formErrors, listOf(issue("members[0].aadhaar", "aadhaar.duplicate", mapOf("member_id" to "m9")))) }
        val model = HouseholdFormModel(scope, repo, delay = noDelay)
        model.addMember()
        model.editMember(1) { it.copy(aadhaar = "2341 2341 2345") }
        model.save()
        val s = model.state.value
        assertEquals(4, s.errors.values.sumOf { it.size })
        assertEquals(mapOf("member_id" to "m9"), s.warnings.getValue("members[0].aadhaar").single().params)
        assertNull(s.saved)
        assertFalse(s.saving)
        assertTrue(s.editable)
        assertEquals("2341 2341 2345", s.members[1].aadhaar, "the worker corrects what they typed")
    }

    @Test
    fun `a successful save clears every Aadhaar number and locks the form`() = withScope { scope ->
        val repo = FakeFieldRepository()
        repo.create = { d -> SavedHousehold("h7", "K3M9-QXD7", listOf("m1", "m2"), listOf(issue("members[0].aadhaar", "aadhaar.duplicate"))) }
        val model = HouseholdFormModel(scope, repo, delay = noDelay)
        model.setVillage(900101u)
        model.setAddress("Mohalla 3")
        model.editMember(0) { it.copy(givenName = "सीता", gender = "F", birthDate = "1985-02-01", aadhaar = "2341 2341 2346") }
        model.addMember()
        model.editMember(1) { it.copy(givenName = "Ravi", gender = "M", birthDate = "2010", relation = "son", aadhaar = "9999-8888-7776") }
        repo.gates.close("createHousehold")
        model.save()
        assertTrue(model.state.value.saving)
        model.save() // a second tap while saving
        repo.gates.open("createHousehold")

        val s = model.state.value
        assertEquals(1, repo.created.size, "saved once")
        assertEquals(listOf("2341 2341 2346", "9999-8888-7776"), repo.created.single().members.map { it.aadhaar })
        assertEquals(900101u, repo.created.single().villageCode)
        val saved = assertNotNull(s.saved)
        assertEquals("K3M9-QXD7", saved.code)
        assertEquals("h7", saved.id)
        assertEquals("error_aadhaar_duplicate", saved.warnings.single().key)
        assertTrue(s.members.all { it.aadhaar.isEmpty() }, "no Aadhaar digits left in state")
        assertEquals(listOf("XXXX XXXX 2346", "XXXX XXXX 7776"), s.members.map { it.aadhaarMasked })
        assertFalse(listOf("2341", "8888").any { it in s.toString() }, "state prints no digits")

        model.save()
        model.editMember(0) { it.copy(aadhaar = "1111 2222 3333") }
        assertEquals(1, repo.created.size, "a saved form does not save again")
        assertEquals("", model.state.value.members[0].aadhaar, "and takes no more edits")

        model.reset()
        assertNull(model.state.value.saved)
        assertEquals(1, model.state.value.members.size)
        assertEquals(900101u, model.state.value.villageCode, "the village stays selected")
    }

    @Test
    fun `removing a member moves the messages of later members up`() = withScope { scope ->
        val repo = FakeFieldRepository()
        repo.check = { d ->
            FormCheck(d.members.indices.filter { d.members[it].givenName.isBlank() }.map { issue("members[$it].given_name", "name.required") }, emptyList())
        }
        val model = HouseholdFormModel(scope, repo, delay = noDelay)
        model.addMember()
        model.addMember()
        val uids = model.state.value.members.map { it.uid }
        model.editMember(0) { it.copy(givenName = "Sita") }
        model.editMember(1) { it.copy(givenName = "Ravi") }
        model.editMember(2) { it.copy(givenName = "x") }
        model.editMember(2) { it.copy(givenName = "") }
        assertEquals(setOf("members[2].given_name"), model.state.value.errors.keys)
        model.removeMember(1)
        assertEquals(setOf("members[1].given_name"), model.state.value.errors.keys)
        assertEquals(listOf(uids[0], uids[2]), model.state.value.members.map { it.uid }, "row keys stay stable")
    }

    @Test
    fun `a store failure is a message key, not a field error`() = withScope { scope ->
        val repo = FakeFieldRepository()
        repo.create = { throw FieldException.StoreUnavailable("store.disk_full") }
        val model = HouseholdFormModel(scope, repo, delay = noDelay)
        model.save()
        assertEquals("error_store_disk_full", model.state.value.error)
        assertTrue(model.state.value.editable, "the worker can try again")
    }

    @Test
    fun `the only village is preselected and the first member is the head`() = withScope { scope ->
        val repo = FakeFieldRepository().apply { villages = listOf(app.abhafield.android.core.fakes.village(900777u)) }
        val model = HouseholdFormModel(scope, repo, delay = noDelay)
        assertEquals(900777u, model.state.value.villageCode)
        assertEquals("head", model.state.value.members.single().relation)
        model.addMember()
        assertEquals("", model.state.value.members[1].relation)
    }
}
