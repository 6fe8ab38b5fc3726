/**
 * The household detail pane: the household with its village name and members, what each member
 * needs next (guardian consent under 18, the suggested route), the not-found and error states,
 * and reloads where only the latest one counts.
 */
package app.abhafield.android.core.ui

import app.abhafield.android.core.fakes.FakeClock
import app.abhafield.android.core.fakes.FakeFieldRepository
import app.abhafield.android.core.fakes.household
import app.abhafield.android.core.fakes.member
import app.abhafield.android.core.fakes.withScope
import app.abhafield.core.EnrollmentRoute
import app.abhafield.core.FieldException
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.yield
import org.junit.jupiter.api.Test
import java.time.ZoneId
import java.time.ZonedDateTime
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNull
import kotlin.test.assertTrue

class HouseholdDetailModelTest {
    private val zone = ZoneId.of("Asia/Kolkata")

    /** 1 March 2026, noon in India. */
    private val clock = FakeClock(ZonedDateTime.of(2026, 3, 1, 12, 0, 0, 0, zone).toInstant().toEpochMilli())

    private fun family() = household(
        "h1",
        villageId = "village-900102",
        members = listOf(
            member("m1").copy(birthDate = "1985-02-01", aadhaarMasked = "XXXX XXXX 2346", aadhaarSealed = true),
            member("m2", givenName = "Ravi", relation = "son").copy(birthDate = "2008-03-02"),
            member("m3", givenName = "Asha", relation = "daughter").copy(birthDate = "2008-03-01", abhaNumber = "91-5467-3456-7890"),
            member("m4", givenName = "Dada", relation = "father").copy(birthDate = null),
        ),
    )

    @Test
    fun `the household loads with its village name and each member's next step`() = withScope { scope ->
        val repo = FakeFieldRepository()
        repo.householdOf = { family() }
        val model = HouseholdDetailModel(scope, repo, "h1", clock, zone)
        val s = model.state.value
        assertEquals("CODE-h1", s.household?.code)
        assertEquals("V900102", s.villageName)
        assertEquals("village-900102", s.village?.id)
        assertFalse(s.loading)
        assertFalse(s.notFound)
        assertNull(s.error)
        assertEquals(listOf("m1", "m2", "m3", "m4"), s.members.map { it.id })

        val (mother, son, daughter, grandfather) = s.members
        assertEquals(41, mother.ageYears)
        assertFalse(mother.guardianRequired)
        assertEquals(EnrollmentRoute.DEMO_AUTH, mother.suggestedRoute, "an Aadhaar number was captured")

        assertEquals(17, son.ageYears, "18 tomorrow")
        assertTrue(son.guardianRequired)
        assertEquals(EnrollmentRoute.AADHAAR_OTP, son.suggestedRoute)

        assertEquals(18, daughter.ageYears, "18 today")
        assertFalse(daughter.guardianRequired)
        assertEquals(EnrollmentRoute.LINK_EXISTING, daughter.suggestedRoute)

        assertNull(grandfather.ageYears)
        assertFalse(grandfather.guardianRequired, "an unknown age does not force a guardian")
        assertFalse("Ravi" in s.toString() || "Ravi" in son.toString(), "names are not printed")
    }

    @Test
    fun `a household without a village asks for no villages`() = withScope { scope ->
        val repo = FakeFieldRepository()
        val model = HouseholdDetailModel(scope, repo, "h1", clock, zone)
        assertEquals("h1", model.state.value.household?.id)
        assertNull(model.state.value.villageName)
        assertEquals(listOf("household"), repo.calls)
    }

    @Test
    fun `villages that cannot be read only leave the name out`() = withScope { scope ->
        val repo = FakeFieldRepository()
        repo.householdOf = { family() }
        repo.villagesError = FieldException.StoreUnavailable("store.busy")
        val model = HouseholdDetailModel(scope, repo, "h1", clock, zone)
        val s = model.state.value
        assertEquals(4, s.members.size)
        assertNull(s.villageName)
        assertNull(s.error)
    }

    @Test
    fun `a household that is gone is not found, and comes back on refresh`() = withScope { scope ->
        val repo = FakeFieldRepository()
        repo.householdOf = { family() }
        val model = HouseholdDetailModel(scope, repo, "h1", clock, zone)
        assertEquals(4, model.state.value.members.size)
        repo.householdOf = { throw FieldException.NotFound("household") }
        model.refresh()
        var s = model.state.value
        assertTrue(s.notFound)
        assertEquals("error_not_found", s.error)
        assertNull(s.household, "a deleted household is not shown")
        assertTrue(s.members.isEmpty())
        assertNull(s.villageName)
        assertFalse(s.loading)

        repo.householdOf = { family() }
        model.refresh()
        s = model.state.value
        assertFalse(s.notFound)
        assertNull(s.error)
        assertEquals(4, s.members.size)
    }

    @Test
    fun `a failed reload keeps what was shown, with the failure's key`() = withScope { scope ->
        val repo = FakeFieldRepository()
        repo.householdOf = { family() }
        val model = HouseholdDetailModel(scope, repo, "h1", clock, zone)
        repo.householdOf = { throw FieldException.StoreUnavailable("store.busy") }
        model.refresh()
        val s = model.state.value
        assertEquals("error_store_busy", s.error)
        assertFalse(s.notFound)
        assertEquals(4, s.members.size)
        assertEquals("V900102", s.villageName)
    }

    /**
     * Like Android's main thread, and unlike `withScope`'s unconfined scope, runBlocking's event
     * loop resumes a cancelled load later, after the new one started: the order a real reload has.
     */
    @Test
    fun `a reload cancels the one still running and loading lasts until the latest ends`() = runBlocking {
        val scope = CoroutineScope(coroutineContext + SupervisorJob(coroutineContext[Job]))
        try {
            val repo = FakeFieldRepository()
            repo.gates.close("household")
            val model = HouseholdDetailModel(scope, repo, "h1", clock, zone)
            yield()
            assertTrue(model.state.value.loading)
            assertTrue(model.state.value.initialLoading)
            model.refresh()
            yield() // the first load ends (cancelled) while the second waits at the gate
            assertTrue(model.state.value.loading, "the cancelled first load must not clear the flag")
            repo.householdOf = { family() }
            repo.gates.open("household")
            yield()
            val s = model.state.value
            assertFalse(s.loading)
            assertFalse(s.initialLoading)
            assertEquals(4, s.members.size)
            assertEquals(2, repo.calls.count { it == "household" })
            assertEquals(1, repo.calls.count { it == "villages" }, "only the latest load finished")
        } finally {
            scope.cancel()
        }
    }

    @Test
    fun `member ages follow the clock`() = withScope { scope ->
        val repo = FakeFieldRepository()
        repo.householdOf = { family() }
        val model = HouseholdDetailModel(scope, repo, "h1", clock, zone)
        assertTrue(model.state.value.members[1].guardianRequired)
        clock.now += 24L * 60 * 60 * 1000
        model.refresh()
        assertFalse(model.state.value.members[1].guardianRequired, "18 today")
    }
}
