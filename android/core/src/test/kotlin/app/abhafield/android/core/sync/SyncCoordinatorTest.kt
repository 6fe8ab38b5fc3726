/**
 * The coordinator between policy, runner and the app's scheduler: what it schedules after each
 * outcome, that it syncs only when due, and that manual syncs feed the same history.
 */
package app.abhafield.android.core.sync

import app.abhafield.android.core.fakes.FakeCancel
import app.abhafield.android.core.fakes.FakeClock
import app.abhafield.android.core.fakes.FakeFieldRepository
import app.abhafield.android.core.fakes.FakeSyncRepository
import app.abhafield.android.core.fakes.pendingWork
import app.abhafield.android.core.fakes.withScope
import app.abhafield.core.FieldException
import kotlinx.coroutines.CoroutineScope
import org.junit.jupiter.api.Test
import kotlin.random.Random
import kotlin.test.assertEquals
import kotlin.test.assertTrue

class SyncCoordinatorTest {
    private class RecordingScheduler : Scheduler {
        val scheduled = mutableListOf<Pair<Long, Boolean>>()
        var cancelled = 0
        override fun schedule(delayMillis: Long, requiresNetwork: Boolean) {
            scheduled += delayMillis to requiresNetwork
        }
        override fun cancel() {
            cancelled++
        }
    }

    private val config = SyncPolicyConfig(baseBackoffMillis = 1_000, maxBackoffMillis = 8_000, jitter = 0.0, minSpacingMillis = 100)

    private class Rig(scope: CoroutineScope, config: SyncPolicyConfig) {
        val clock = FakeClock()
        val field = FakeFieldRepository().apply { pendingWork = pendingWork(4u) }
        val sync = FakeSyncRepository()
        val scheduler = RecordingScheduler()
        var online = true
        val history = InMemorySyncHistoryStore()
        val runner = SyncRunner(scope, sync, { FakeCancel() }, clock)
        val coordinator = SyncCoordinator(scope, runner, field, scheduler, clock, { online }, history, config, Random(7))
    }

    @Test
    fun `a scheduled run syncs when due and schedules the next pull`() = withScope { scope ->
        val r = Rig(scope, config)
        assertEquals(SyncDecision.Now, r.coordinator.runScheduled())
        assertEquals(1, r.sync.syncCalls)
        assertEquals(r.clock.now, r.history.load().lastSuccessAt)
        r.field.pendingWork = pendingWork(0u)
        r.coordinator.reschedule()
        assertEquals(config.pullIntervalMillis to true, r.scheduler.scheduled.last(), "next pull after the interval")
    }

    @Test
    fun `transient failures reschedule with growing delays and a success resets them`() = withScope { scope ->
        val r = Rig(scope, config)
        r.sync.session = { _, _ -> throw FieldException.Network("sync.network") }
        val delays = mutableListOf<Long>()
        repeat(5) {
            r.coordinator.runScheduled()
            delays += r.scheduler.scheduled.last().first
            r.clock.now += r.scheduler.scheduled.last().first
        }
        assertEquals(listOf(1_000L, 2_000, 4_000, 8_000, 8_000), delays)
        assertEquals(5, r.history.load().consecutiveFailures)
        r.sync.session = { _, _ -> app.abhafield.android.core.fakes.syncSummary() }
        r.coordinator.runScheduled()
        assertEquals(0, r.history.load().consecutiveFailures)
        assertEquals(config.minSpacingMillis, r.scheduler.scheduled.last().first, "still pending: the next run only waits the spacing")
    }

    @Test
    fun `a refusal stops scheduling until unblocked`() = withScope { scope ->
        val r = Rig(scope, config)
        r.sync.session = { _, _ -> throw FieldException.Refused("auth.unauthenticated", 401u) }
        r.coordinator.runScheduled()
        assertTrue(r.history.load().blocked)
        assertTrue(r.scheduler.cancelled > 0, "the scheduled work is removed")
        r.clock.now += 10 * config.pullIntervalMillis
        assertEquals(SyncDecision.Idle(IdleReason.BLOCKED), r.coordinator.runScheduled())
        assertEquals(1, r.sync.syncCalls, "no automatic retry")
        r.coordinator.unblock()
        assertEquals(SyncDecision.Now, r.coordinator.runScheduled())
    }

    @Test
    fun `no network means a network-constrained schedule, not a sync`() = withScope { scope ->
        val r = Rig(scope, config)
        r.online = false
        val d = r.coordinator.runScheduled()
        assertEquals(SyncDecision.At(r.clock.now, requiresNetwork = true), d)
        assertEquals(0, r.sync.syncCalls)
        assertEquals(0L to true, r.scheduler.scheduled.last())
    }

    @Test
    fun `a manual sync through the runner updates the history too`() = withScope { scope ->
        val r = Rig(scope, config)
        r.sync.session = { _, _ -> throw FieldException.Network("sync.unavailable") }
        r.runner.run()
        assertEquals(1, r.history.load().consecutiveFailures, "recorded once, by the listener")
        assertEquals(1_000L to true, r.scheduler.scheduled.last())
    }

    @Test
    fun `an unenrolled device schedules nothing`() = withScope { scope ->
        val r = Rig(scope, config)
        r.field.status = r.field.status.copy(hubUrl = null)
        assertEquals(SyncDecision.Idle(IdleReason.NOT_ENROLLED), r.coordinator.runScheduled())
        assertEquals(0, r.sync.syncCalls)
        assertEquals(1, r.scheduler.cancelled)
    }
}
