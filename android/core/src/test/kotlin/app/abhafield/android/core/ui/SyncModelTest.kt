/**
 * The sync screen: progress while running, one sync at a time, cancel, errors as keys, and the
 * status reloaded from the store after each session.
 */
package app.abhafield.android.core.ui

import app.abhafield.android.core.fakes.FakeCancel
import app.abhafield.android.core.fakes.FakeClock
import app.abhafield.android.core.fakes.FakeFieldRepository
import app.abhafield.android.core.fakes.FakeSyncRepository
import app.abhafield.android.core.fakes.pendingWork
import app.abhafield.android.core.fakes.progress
import app.abhafield.android.core.fakes.syncSummary
import app.abhafield.android.core.fakes.withScope
import app.abhafield.android.core.sync.SyncRunner
import app.abhafield.core.FieldException
import app.abhafield.core.SyncPhase
import app.abhafield.core.SyncStatus
import kotlinx.coroutines.CoroutineScope
import org.junit.jupiter.api.Test
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNull
import kotlin.test.assertTrue

class SyncModelTest {
    private class Rig(scope: CoroutineScope) {
        val field = FakeFieldRepository().apply { pendingWork = pendingWork(12u) }
        val sync = FakeSyncRepository()
        val handles = mutableListOf<FakeCancel>()
        val runner = SyncRunner(scope, sync, { FakeCancel().also { handles += it } }, FakeClock())
        val model = SyncModel(scope, runner, field)
    }

    @Test
    fun `progress shows while running and the status reloads after`() = withScope { scope ->
        val r = Rig(scope)
        assertEquals(12L, r.model.state.value.pendingChanges)
        r.sync.session = { onProgress, _ ->
            onProgress(progress(SyncPhase.HELLO))
            onProgress(progress(SyncPhase.PUSH, batch = 3u, sent = 120u))
            r.sync.gates.pass("mid")
            onProgress(progress(SyncPhase.PULL, batch = 4u, sent = 120u, received = 30u))
            syncSummary(pushed = 120u, pulled = 30u)
        }
        r.sync.gates.close("mid")
        r.model.syncNow()
        val mid = r.model.state.value
        assertTrue(mid.running)
        assertEquals(SyncPhase.PUSH, mid.progress?.phase)
        assertEquals(3u, mid.progress?.batch)
        assertEquals(120uL, mid.progress?.opsSent)
        assertEquals(12_000uL, mid.progress?.bytesSent)

        r.field.pendingWork = pendingWork(0u)
        r.field.last = SyncStatus("http://hub", 1000L, 1000L, null)
        r.sync.gates.open("mid")
        val done = r.model.state.value
        assertFalse(done.running)
        assertEquals(120uL, done.lastSummary?.pushedOps)
        assertEquals(30uL, done.lastSummary?.pulledOps)
        assertEquals(0L, done.pendingChanges, "pending reloaded after the session")
        assertEquals(1000L, done.lastSuccessAt)
        assertNull(done.errorKey)
    }

    @Test
    fun `only one sync at a time`() = withScope { scope ->
        val r = Rig(scope)
        r.sync.gates.close("sync")
        r.model.syncNow()
        r.model.syncNow()
        r.runner.start()
        assertEquals(1, r.sync.syncCalls)
        r.sync.gates.open("sync")
        assertFalse(r.model.state.value.running)
        r.model.syncNow()
        assertEquals(2, r.sync.syncCalls)
    }

    @Test
    fun `cancel stops the session at the handle`() = withScope { scope ->
        val r = Rig(scope)
        r.sync.session = { _, cancel ->
            r.sync.gates.pass("mid")
            if (cancel.isCancelled()) throw FieldException.Cancelled()
            syncSummary()
        }
        r.sync.gates.close("mid")
        r.model.syncNow()
        r.model.cancel()
        assertTrue(r.model.state.value.cancelling)
        assertTrue(r.handles.single().cancelled)
        r.sync.gates.open("mid")
        val s = r.model.state.value
        assertFalse(s.running)
        assertFalse(s.cancelling)
        assertEquals("error_sync_cancelled", s.errorKey)
    }

    @Test
    fun `a failed sync shows its key and the stored last error`() = withScope { scope ->
        val r = Rig(scope)
        r.sync.session = { _, _ -> throw FieldException.Network("sync.network") }
        r.field.last = SyncStatus("http://hub", 2000L, 1000L, "sync.network")
        r.model.syncNow()
        val s = r.model.state.value
        assertEquals("error_sync_network", s.errorKey)
        assertEquals("error_sync_network", s.lastErrorKey)
        assertEquals(2000L, s.lastAttemptAt)
        r.sync.session = { _, _ -> syncSummary() }
        r.model.syncNow()
        assertNull(r.model.state.value.errorKey, "a new success clears it")
    }

    @Test
    fun `a sync started elsewhere shows here`() = withScope { scope ->
        val r = Rig(scope)
        r.sync.gates.close("sync")
        r.runner.start()
        assertTrue(r.model.state.value.running)
        r.sync.gates.open("sync")
        assertEquals(5uL, r.model.state.value.lastSummary?.pushedOps)
    }

    @Test
    fun `not enrolled is a key`() = withScope { scope ->
        val r = Rig(scope)
        r.sync.session = { _, _ -> throw FieldException.NotEnrolled() }
        r.model.syncNow()
        assertEquals("error_not_enrolled", r.model.state.value.errorKey)
    }
}
