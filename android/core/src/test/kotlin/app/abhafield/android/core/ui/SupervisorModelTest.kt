/**
 * The supervisor review: only devices holding work, oldest pending first; local review lists that
 * still show when the hub cannot be reached.
 */
package app.abhafield.android.core.ui

import app.abhafield.android.core.fakes.FakeFieldRepository
import app.abhafield.android.core.fakes.FakeSyncRepository
import app.abhafield.android.core.fakes.device
import app.abhafield.android.core.fakes.enrollment
import app.abhafield.android.core.fakes.member
import app.abhafield.android.core.fakes.withScope
import app.abhafield.core.DuplicateGroupRecord
import app.abhafield.core.FieldException
import org.junit.jupiter.api.Test
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNull
import kotlin.test.assertTrue

class SupervisorModelTest {
    @Test
    fun `devices with work, oldest pending first`() = withScope { scope ->
        val sync = FakeSyncRepository()
        sync.devices = {
            listOf(
                device("idle"),
                device("recent", pending = 3u, oldest = 5_000),
                device("old", pending = 1u, oldest = 1_000),
                device("stuck", wedged = 2u, oldest = null),
                device("busy-unknown", pending = 40u, oldest = null),
            )
        }
        val model = SupervisorModel(scope, FakeFieldRepository(), sync)
        assertEquals(listOf("old", "recent", "busy-unknown", "stuck"), model.state.value.devices.map { it.deviceId })
        assertNull(model.state.value.hubError)
    }

    @Test
    fun `hub errors are keys while the local lists still show`() = withScope { scope ->
        val sync = FakeSyncRepository()
        sync.devices = { throw FieldException.Network("sync.network") }
        val repo = FakeFieldRepository()
        repo.attention = { listOf(enrollment("e1", "needs_correction", reason = "abdm.demographic_mismatch"), enrollment("e2", "retry_later")) }
        repo.dupes = { listOf(DuplicateGroupRecord("aadhaar.duplicate", listOf(member("m1"), member("m2", householdId = "h2")))) }
        val model = SupervisorModel(scope, repo, sync)
        val s = model.state.value
        assertEquals("error_sync_network", s.hubError)
        assertTrue(s.devices.isEmpty())
        assertEquals(listOf("e1", "e2"), s.quarantined.map { it.id })
        assertEquals("error_abdm_demographic_mismatch", s.quarantined[0].reasonKey)
        assertEquals("enrollment_state_retry_later", s.quarantined[1].stateKey)
        assertEquals(2, s.duplicates.single().members.size)
        assertFalse(s.loading)
        assertNull(s.localError)
    }

    @Test
    fun `a device that is not a supervisor is told so, and refresh recovers`() = withScope { scope ->
        val sync = FakeSyncRepository()
        sync.devices = { throw FieldException.Refused("auth.forbidden", 403u) }
        val model = SupervisorModel(scope, FakeFieldRepository(), sync)
        assertEquals("error_auth_forbidden", model.state.value.hubError)
        sync.devices = { listOf(device("d1", pending = 1u, oldest = 1)) }
        model.refresh()
        assertNull(model.state.value.hubError)
        assertEquals(1, model.state.value.devices.size)
    }

    @Test
    fun `loading is shown until both halves answer`() = withScope { scope ->
        val sync = FakeSyncRepository()
        sync.gates.close("hubDevices")
        val model = SupervisorModel(scope, FakeFieldRepository(), sync)
        assertTrue(model.state.value.loadingDevices)
        assertFalse(model.state.value.loadingLocal)
        assertTrue(model.state.value.loading)
        sync.gates.open("hubDevices")
        assertFalse(model.state.value.loading)
    }
}
