/**
 * The single-flight runner: one session at a time, joined by a second caller, progress
 * published, cancel reaching the native handle, every outcome classified and reported.
 */
package app.abhafield.android.core.sync

import app.abhafield.android.core.fakes.FakeCancel
import app.abhafield.android.core.fakes.FakeClock
import app.abhafield.android.core.fakes.FakeSyncRepository
import app.abhafield.android.core.fakes.progress
import app.abhafield.android.core.fakes.syncSummary
import app.abhafield.android.core.fakes.withScope
import app.abhafield.core.FieldException
import app.abhafield.core.SyncPhase
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitCancellation
import kotlinx.coroutines.cancel
import org.junit.jupiter.api.Test
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertIs
import kotlin.test.assertNull
import kotlin.test.assertTrue

class SyncRunnerTest {
    private val handles = mutableListOf<FakeCancel>()
    private fun newCancel() = FakeCancel().also { handles += it }

    @Test
    fun `a second start while one runs joins it`() = withScope { scope ->
        val repo = FakeSyncRepository()
        repo.gates.close("sync")
        val runner = SyncRunner(scope, repo, ::newCancel, FakeClock())
        assertTrue(runner.start())
        assertFalse(runner.start(), "already running")
        val joined = scope.async { runner.run() }
        assertTrue(runner.state.value.running)
        assertEquals(1, repo.syncCalls)
        repo.gates.open("sync")
        assertIs<SyncOutcome.Success>(joined.await())
        assertEquals(1, repo.syncCalls, "the joiner did not start another session")
        assertFalse(runner.state.value.running)
        assertTrue(handles.single().closed, "the native handle is freed")
        assertTrue(runner.start(), "a new one may start afterwards")
        assertEquals(2, repo.syncCalls)
    }

    @Test
    fun `progress is published while running`() = withScope { scope ->
        val repo = FakeSyncRepository()
        val seen = mutableListOf<SyncPhase>()
        repo.session = { onProgress, _ ->
            onProgress(progress(SyncPhase.HELLO))
            seen += SyncPhase.HELLO
            onProgress(progress(SyncPhase.PUSH, batch = 2u, sent = 40u))
            repo.gates.pass("mid")
            syncSummary(pushed = 40u)
        }
        repo.gates.close("mid")
        val runner = SyncRunner(scope, repo, ::newCancel, FakeClock())
        runner.start()
        val p = runner.state.value.progress!!
        assertEquals(SyncPhase.PUSH, p.phase)
        assertEquals(2u, p.batch)
        assertEquals(40uL, p.opsSent)
        repo.gates.open("mid")
        val outcome = assertIs<SyncOutcome.Success>(runner.state.value.lastOutcome)
        assertEquals(40uL, outcome.summary.pushedOps)
    }

    @Test
    fun `cancel reaches the handle and ends as cancelled`() = withScope { scope ->
        val repo = FakeSyncRepository()
        repo.session = { _, cancel ->
            repo.gates.pass("wait")
            if (cancel.isCancelled()) throw FieldException.Cancelled()
            syncSummary()
        }
        repo.gates.close("wait")
        val runner = SyncRunner(scope, repo, ::newCancel, FakeClock())
        val result = scope.async { runner.run() }
        runner.cancel()
        assertTrue(runner.state.value.cancelling)
        assertTrue(handles.single().cancelled)
        repo.gates.open("wait")
        assertIs<SyncOutcome.Cancelled>(result.await())
        assertFalse(runner.state.value.cancelling)
        runner.cancel() // nothing running: harmless
    }

    @Test
    fun `failures are classified and keyed`() = withScope { scope ->
        val repo = FakeSyncRepository()
        val runner = SyncRunner(scope, repo, ::newCancel, FakeClock(42))
        val outcomes = mutableListOf<SyncOutcome>()
        runner.addListener { outcomes += it }
        repo.session = { _, _ -> throw FieldException.Network("sync.network") }
        assertEquals(SyncOutcome.Failed(FailureKind.TRANSIENT, "error_sync_network", 42), runner.run())
        repo.session = { _, _ -> throw FieldException.Refused("auth.unauthenticated", 401u) }
        assertEquals(SyncOutcome.Failed(FailureKind.REFUSED, "error_auth_unauthenticated", 42), runner.run())
        repo.session = { _, _ -> throw FieldException.NotEnrolled() }
        assertEquals(FailureKind.NOT_ENROLLED, (runner.run() as SyncOutcome.Failed).kind)
        assertEquals(3, outcomes.size, "listeners hear every outcome")
        assertFalse(runner.isRunning)
    }

    @Test
    fun `cancelling the coroutine scope stops the session and cancels the handle`() = withScope { _ ->
        val own = kotlinx.coroutines.CoroutineScope(kotlinx.coroutines.SupervisorJob() + kotlinx.coroutines.Dispatchers.Unconfined)
        val repo = FakeSyncRepository()
        repo.session = { _, _ -> awaitCancellation() }
        val runner = SyncRunner(own, repo, ::newCancel, FakeClock())
        val outcomes = mutableListOf<SyncOutcome>()
        runner.addListener { outcomes += it }
        runner.start()
        assertTrue(runner.isRunning)
        own.cancel()
        assertFalse(runner.isRunning)
        assertTrue(handles.single().cancelled)
        assertIs<SyncOutcome.Cancelled>(outcomes.single())
        assertNull(runner.state.value.progress)
    }
}
