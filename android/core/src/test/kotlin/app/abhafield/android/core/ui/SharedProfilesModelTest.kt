/**
 * The Scan and Share queue: profiles listed from the hub, a profile pre-filling a member form,
 * accepting after the member is saved and dismissing, with failures kept visible and the profile
 * kept listed until the hub confirmed.
 */
package app.abhafield.android.core.ui

import app.abhafield.android.core.fakes.FakeFieldRepository
import app.abhafield.android.core.fakes.FakeSyncRepository
import app.abhafield.android.core.fakes.sharedProfile
import app.abhafield.android.core.fakes.withScope
import app.abhafield.core.FieldException
import org.junit.jupiter.api.Test
import kotlin.test.assertEquals
import kotlin.test.assertTrue

class SharedProfilesModelTest {
    @Test
    fun `profiles are listed, accepted with the member saved, and dismissed`() = withScope { scope ->
        val sync = FakeSyncRepository()
        sync.profiles = { listOf(sharedProfile("p1", "1"), sharedProfile("p2", "2")) }
        val model = SharedProfilesModel(scope, sync)
        model.refresh()
        assertEquals(listOf("1", "2"), model.state.value.profiles.map { it.token })
        model.accepted("p1", "m-new")
        model.dismiss("p2")
        assertEquals(listOf("p1" to "m-new", "p2" to null), sync.handled.toList())
        assertTrue(model.state.value.profiles.isEmpty())
    }

    @Test
    fun `a failed accept keeps the profile and shows why, and one handling at a time`() = withScope { scope ->
        val sync = FakeSyncRepository()
        sync.profiles = { listOf(sharedProfile("p1")) }
        val model = SharedProfilesModel(scope, sync)
        model.refresh()
        sync.handle = { _, _ -> throw FieldException.Network("sync.network") }
        model.accepted("p1", "m1")
        assertEquals("error_sync_network", model.state.value.error)
        assertEquals(listOf("p1"), model.state.value.profiles.map { it.id })
        sync.handle = { _, _ -> }
        sync.gates.close("handle")
        model.accepted("p1", "m1")
        model.accepted("p1", "m1")
        assertEquals(setOf("p1"), model.state.value.handling)
        sync.gates.open("handle")
        assertEquals(1, sync.handled.size, "the second tap waited for the first")
        assertTrue(model.state.value.handling.isEmpty())
    }

    @Test
    fun `offline refresh keeps what was shown`() = withScope { scope ->
        val sync = FakeSyncRepository()
        sync.profiles = { listOf(sharedProfile("p1")) }
        val model = SharedProfilesModel(scope, sync)
        model.refresh()
        sync.profiles = { throw FieldException.NotEnrolled() }
        model.refresh()
        assertEquals("error_not_enrolled", model.state.value.error)
        assertEquals(1, model.state.value.profiles.size)
    }

    @Test
    fun `a profile pre-fills a new member form, checked at once`() = withScope { scope ->
        val repo = FakeFieldRepository()
        val fields = SharedProfilesModel.memberFields(sharedProfile("p1"))
        val form = MemberFormModel(scope, repo, householdId = "h1", delay = { }, prefill = fields)
        val s = form.state.value
        assertEquals("Asha Kumari", s.fields.givenName)
        assertEquals("2000-06-06", s.fields.birthDate)
        assertEquals("asha.k@sbx", s.fields.abhaAddress)
        assertEquals("", s.fields.relation, "the relation is the worker's")
        assertEquals("Asha Kumari", repo.checkedMembers.single().second.givenName, "checked without a keystroke")
    }
}
