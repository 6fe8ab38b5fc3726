package app.abhafield.android.core.integration

import app.abhafield.android.core.repo.BindingsFieldRepository
import app.abhafield.android.core.repo.BindingsSyncRepository
import app.abhafield.android.core.ui.HouseholdFormModel
import app.abhafield.android.core.ui.HouseholdListModel
import app.abhafield.android.core.ui.SyncModel
import app.abhafield.core.SyncPhase
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.launch
import org.junit.jupiter.api.Test
import kotlin.test.assertEquals
import kotlin.test.assertNotNull
import kotlin.test.assertTrue

/**
 * The screen models on the real repositories: the form shows the core's errors on the right
 * fields and saves, the list shows what was saved, and the sync screen follows a real session
 * with the hub on 127.0.0.1 to its final status. A single thread stands in for Android's main
 * thread; the repositories move store work to `Dispatchers.IO` as on a tablet.
 */
class ModelsIntegrationTest {
    @Test
    fun `the form shows the core's errors per field, then saves and the list shows it`() = withMain<Unit> { scope ->
        val (store, _) = Rig.newStore()
        Rig.prepare(store)
        store.configureSealing(Rig.demoSealingKey, null)
        val repo = BindingsFieldRepository(store, Dispatchers.IO)
        val form = HouseholdFormModel(scope, repo, delay = { })
        form.setVillage(Rig.VILLAGE)
        form.setAddress("")
        form.editMember(0) { it.copy(givenName = "सीता", gender = "F", birthDate = "2999-01-01", relation = "head", aadhaar = "2341 2341 2345") }
        form.validate()
        val invalid = form.state.until("every error") { !it.checking && "members[0].aadhaar" in it.errors && "household.address" in it.errors }
        assertEquals("error_text_required", invalid.errors.getValue("household.address").single().key)
        assertEquals("error_dob_future", invalid.errors.getValue("members[0].birth_date").single().key)
        assertEquals("error_aadhaar_checksum", invalid.errors.getValue("members[0].aadhaar").single().key)

        form.setAddress("Mohalla 3, Khag")
        form.editMember(0) { it.copy(birthDate = "1985-02-01", aadhaar = "2341 2341 2346") }
        form.save()
        val saved = form.state.until("saved") { it.saved != null }
        val info = assertNotNull(saved.saved)
        assertTrue(saved.members.all { it.aadhaar.isEmpty() }, "the number is gone from state")
        assertEquals("XXXX XXXX 2346", saved.members[0].aadhaarMasked)
        assertEquals(info.code, store.household(info.id).code)

        val list = HouseholdListModel(scope, repo, delay = { })
        list.refresh()
        val listed = list.state.until("the list") { !it.loading && it.households.isNotEmpty() }
        assertEquals(listOf(info.id), listed.households.map { it.id })
        list.search("सीता")
        val found = list.state.until("search results") { it.members.isNotEmpty() }
        assertEquals(info.memberIds, found.members.map { it.id })
    }

    @Test
    fun `the sync screen follows a real session to its final status`() = withMain<Unit> { scope ->
        val (store, _) = Rig.newStore()
        Rig.prepare(store)
        store.enrolDevice(Rig.code(), Rig.hubUrl, null)
        repeat(30) { store.createHousehold(Rig.household(n = 3, address = "Gali $it")) }
        val field = BindingsFieldRepository(store, Dispatchers.IO)
        val model = SyncModel(scope, BindingsSyncRepository(store, Dispatchers.IO), field)
        model.refresh()
        val before = model.state.until("pending count") { it.pendingChanges > 0L }
        assertEquals(null, before.lastSuccessAt)
        val phases = mutableListOf<SyncPhase>()
        val watcher = scope.launch { model.state.collect { s -> s.progress?.phase?.let { if (phases.lastOrNull() != it) phases += it } } }
        model.syncNow()
        val done = model.state.until("the sync to finish") { !it.running && it.lastSummary != null && it.lastSuccessAt != null }
        watcher.cancel()
        assertEquals(0L, done.pendingChanges)
        assertNotNull(done.lastSuccessAt)
        assertEquals(null, done.errorKey)
        assertTrue(SyncPhase.PUSH in phases, "progress seen: $phases")
        assertTrue(assertNotNull(done.lastSummary).pushedOps > 0uL)
    }
}
