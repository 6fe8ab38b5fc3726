package app.abhafield.android.core.integration

import app.abhafield.core.FieldException
import app.abhafield.core.FieldStore
import app.abhafield.core.HubEndpoint
import app.abhafield.core.SyncCancel
import app.abhafield.core.SyncListener
import app.abhafield.core.SyncPhase
import app.abhafield.core.SyncProgressRecord
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.jupiter.api.Test
import java.util.concurrent.CopyOnWriteArrayList
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue

/**
 * Sync through Kotlin with the real hub the test script started on 127.0.0.1: enrolment,
 * progress callbacks, the final status, another tablet receiving the work, cancellation by
 * handle and by cancelling the coroutine, and a revoked token refused.
 */
class SyncIntegrationTest {
    private class Recorder(val onEach: (SyncProgressRecord) -> Unit = {}) : SyncListener {
        val seen = CopyOnWriteArrayList<SyncProgressRecord>()
        override fun onProgress(progress: SyncProgressRecord) {
            seen += progress
            onEach(progress)
        }
    }

    private fun enrolled(): Pair<FieldStore, HubEndpoint> = runBlocking {
        val (store, _) = Rig.newStore()
        Rig.prepare(store)
        val enrolment = store.enrolDevice(Rig.code(), Rig.hubUrl, null)
        assertEquals("worker", enrolment.role)
        assertEquals(1u, enrolment.villages)
        assertEquals(enrolment.hub, store.enrolledHub())
        assertTrue(store.deviceStatus().canSealAadhaar, "the hub's sealing key came with enrolment")
        store to enrolment.hub
    }

    @Test
    fun `a tablet's work reaches the hub with progress, and another tablet receives it`() = runBlocking<Unit> {
        val (a, hub) = enrolled()
        val ids = (1..40).map { a.createHousehold(Rig.household(n = 3, address = "House $it")).id }
        val progress = Recorder()
        val summary = withTimeout(120_000) { a.sync(hub, progress, SyncCancel()) }

        assertTrue(summary.pushedOps > 0uL, "pushed $summary")
        assertEquals(0uL, summary.pending.changes, "nothing left unsynced")
        assertEquals(0uL, a.pending().changes)
        val phases = progress.seen.map { it.phase }
        assertTrue(SyncPhase.PUSH in phases && phases.last() == SyncPhase.DONE, "phases $phases")
        val sent = progress.seen.map { it.opsSent }
        assertEquals(sent.sorted(), sent, "ops sent only grow")
        assertEquals(summary.pushedOps, progress.seen.last().opsSent)
        val last = assertNotNull(a.lastSync())
        assertEquals(hub.url, last.hubUrl)
        assertNotNull(last.lastSuccessAt)
        assertNull(last.lastError)

        val (b, hubB) = enrolled()
        val pulled = withTimeout(120_000) { b.sync(hubB, Recorder(), SyncCancel()) }
        assertTrue(pulled.pulledOps >= summary.pushedOps, "b received a's work: $pulled")
        val onB = b.households(Rig.VILLAGE, 1000u, 0u).map { it.id }.toSet()
        assertTrue(onB.containsAll(ids), "every household arrived")
        assertEquals(3, b.household(ids[0]).members.size)
        val again = a.sync(hub, Recorder(), SyncCancel())
        assertEquals(0uL, again.pushedOps, "a repeated sync sends nothing twice")
    }

    @Test
    fun `a cancelled sync stops, keeps the work, and the next sync finishes it exactly once`() = runBlocking<Unit> {
        val (a, hub) = enrolled()
        val ids = (1..200).map { a.createHousehold(Rig.household(n = 4, aadhaar = null, address = "Lane $it")).id }
        val before = a.pending().changes

        val cancelled = SyncCancel().also { it.cancel() }
        assertFailsWith<FieldException.Cancelled> { a.sync(hub, Recorder(), cancelled) }
        assertEquals(before, a.pending().changes, "cancelled before the first request: nothing moved")

        val handle = SyncCancel()
        val midway = Recorder { if (it.phase == SyncPhase.PUSH) handle.cancel() }
        assertFailsWith<FieldException.Cancelled> { a.sync(hub, midway, handle) }
        assertTrue(midway.seen.any { it.phase == SyncPhase.PUSH }, "it got as far as pushing")
        assertTrue(midway.seen.none { it.phase == SyncPhase.DONE }, "and no further")
        val left = a.pending().changes
        assertTrue(left in 1uL until before, "part was acknowledged, the rest is kept: $left of $before")

        val done = a.sync(hub, Recorder(), SyncCancel())
        assertEquals(0uL, done.pending.changes)
        val (b, hubB) = enrolled()
        b.sync(hubB, Recorder(), SyncCancel())
        val received = b.households(Rig.VILLAGE, 10_000u, 0u).map { it.id }
        assertTrue(received.containsAll(ids), "all arrived")
        assertEquals(received.size, received.toSet().size, "none twice")
    }

    @Test
    fun `cancelling the coroutine stops the sync and a later one completes`() = runBlocking<Unit> {
        val (a, hub) = enrolled()
        repeat(80) { a.createHousehold(Rig.household(n = 4, aadhaar = null, address = "Row $it")) }
        val started = CompletableDeferred<Unit>()
        val job = async(Dispatchers.Default) {
            a.sync(hub, Recorder { if (it.phase == SyncPhase.PUSH) started.complete(Unit) }, SyncCancel())
        }
        withTimeout(60_000) { started.await() }
        job.cancel()
        assertFailsWith<CancellationException> { job.await() }
        val finished = withTimeout(120_000) { a.sync(hub, Recorder(), SyncCancel()) }
        assertEquals(0uL, finished.pending.changes)
    }

    @Test
    fun `a bad token is refused, and a supervisor sees devices with pending work`() = runBlocking<Unit> {
        val (a, hub) = enrolled()
        val bad = hub.copy(token = "not-a-token")
        val refused = assertFailsWith<FieldException.Refused> { a.sync(bad, Recorder(), SyncCancel()) }
        assertEquals(401.toUShort(), refused.status)
        assertFailsWith<FieldException.Refused> { a.hubDevices(hub) }

        a.createHousehold(Rig.household(n = 2, aadhaar = null))
        val pushOnlyHello = SyncCancel()
        // One hello reports the pending work to the hub; cancel before pushing it.
        assertFailsWith<FieldException.Cancelled> {
            a.sync(hub, Recorder { pushOnlyHello.cancel() }, pushOnlyHello)
        }
        val (sup, _) = Rig.newStore()
        val supHub = sup.enrolDevice(Rig.code(role = "supervisor"), Rig.hubUrl, null).hub
        val devices = sup.hubDevices(supHub)
        val mine = devices.single { it.deviceId == a.deviceStatus().deviceId }
        assertTrue(mine.pendingChanges >= 1uL, "the hub knows what a still holds: $mine")
        assertFailsWith<FieldException.Validation> { a.enrolDevice("ZZZZ", null, null) }
        assertFailsWith<FieldException.Refused> { sup.enrolDevice("ZKKHD-6X0W8", Rig.hubUrl, null) }
    }

    @Test
    fun `a hub without Scan and Share has no profiles, and profile ids are checked`() = runBlocking<Unit> {
        val (a, hub) = enrolled()
        assertTrue(a.sharedProfiles(hub).isEmpty())
        val bad = assertFailsWith<FieldException.Refused> { a.dismissSharedProfile(hub, "../admin/devices") }
        assertEquals("share.bad_id", bad.code)
        val unknown = assertFailsWith<FieldException.Refused> {
            a.acceptSharedProfile(hub, "7d444840-9dc0-11d1-b245-5ffdce74fad2", null)
        }
        assertEquals(404.toUShort(), unknown.status)
        assertFailsWith<FieldException.Validation> { a.acceptSharedProfile(hub, "7d444840-9dc0-11d1-b245-5ffdce74fad2", "not-a-member") }
    }
}
