/**
 * Background sync: applies [SyncPolicy] to the device's real state and drives the app's scheduler.
 *
 * The Android shell implements [Scheduler] with WorkManager, [NetworkMonitor] with the
 * connectivity service and [SyncHistoryStore] with preferences; everything that decides lives
 * here and is tested on the JVM. The coordinator listens to every [SyncRunner] outcome — a sync the
 * worker ran and a sync the user started alike — records it in the history (backoff grows after a
 * transient failure, resets after a success, stops after a refusal) and schedules the next run.
 */
package app.abhafield.android.core.sync

import app.abhafield.android.core.repo.FieldRepository
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.launch
import kotlinx.coroutines.sync.Mutex
import kotlinx.coroutines.sync.withLock
import kotlin.random.Random

/** Runs the sync worker later. The app implements it with one unique WorkManager request. */
interface Scheduler {
    /** Replaces any scheduled run with one after [delayMillis], constrained to a network if [requiresNetwork]. */
    fun schedule(delayMillis: Long, requiresNetwork: Boolean)

    /** Removes the scheduled run. */
    fun cancel()
}

/** Whether a network is available now. */
fun interface NetworkMonitor {
    fun isAvailable(): Boolean
}

/** Where the sync history survives process death (preferences on Android). */
interface SyncHistoryStore {
    fun load(): SyncHistory
    fun save(history: SyncHistory)
}

/** A [SyncHistoryStore] in memory (tests, and before the app's store is wired). */
class InMemorySyncHistoryStore(initial: SyncHistory = SyncHistory()) : SyncHistoryStore {
    @Volatile private var value = initial
    override fun load(): SyncHistory = value
    override fun save(history: SyncHistory) {
        value = history
    }
}

/** Decides, runs and schedules background syncs. One per app, sharing the app's [SyncRunner]. */
class SyncCoordinator(
    private val scope: CoroutineScope,
    private val runner: SyncRunner,
    private val repo: FieldRepository,
    private val scheduler: Scheduler,
    private val clock: Clock,
    private val network: NetworkMonitor,
    private val history: SyncHistoryStore = InMemorySyncHistoryStore(),
    private val config: SyncPolicyConfig = SyncPolicyConfig(),
    private val random: Random = Random.Default,
) {
    private val historyLock = Mutex()

    init {
        runner.addListener { outcome -> scope.launch { record(outcome) } }
    }

    /** The current history (for a status line). */
    fun history(): SyncHistory = history.load()

    /**
     * Called by the scheduled worker: syncs if the policy says so now, then schedules the next
     * run. Returns the decision taken ([SyncDecision.Now] if it synced).
     */
    suspend fun runScheduled(): SyncDecision {
        val decision = decide()
        if (decision == SyncDecision.Now) {
            val outcome = runner.run()
            record(outcome)
        } else {
            apply(decision)
        }
        return decision
    }

    /** Re-evaluates and schedules (app start, after a save, when the network comes back). */
    suspend fun reschedule(): SyncDecision {
        val decision = decide()
        apply(decision)
        return decision
    }

    /** Forgets a refusal, e.g. after the device was enrolled again. */
    suspend fun unblock() {
        historyLock.withLock { history.save(history.load().copy(blocked = false, consecutiveFailures = 0, retryAt = null)) }
        reschedule()
    }

    private suspend fun decide(): SyncDecision {
        val now = clock.nowMillis()
        val pending = runCatching { repo.pending().changes.toLong() }.getOrDefault(0L)
        val enrolled = runCatching { repo.deviceStatus().hubUrl != null }.getOrDefault(true)
        val conditions = SyncConditions(
            pendingChanges = pending,
            networkAvailable = network.isAvailable(),
            running = runner.isRunning,
            enrolled = enrolled,
        )
        return SyncPolicy.decide(config, history.load(), conditions, now)
    }

    private fun apply(decision: SyncDecision) {
        when (decision) {
            SyncDecision.Now -> scheduler.schedule(0L, requiresNetwork = true)
            is SyncDecision.At -> scheduler.schedule((decision.atMillis - clock.nowMillis()).coerceAtLeast(0L), decision.requiresNetwork)
            is SyncDecision.Idle -> when (decision.reason) {
                // The running session reschedules when it ends.
                IdleReason.RUNNING -> Unit
                IdleReason.NOT_ENROLLED, IdleReason.BLOCKED -> scheduler.cancel()
            }
        }
    }

    /** Records [outcome] once (the listener and [runScheduled] may both see it) and reschedules. */
    private suspend fun record(outcome: SyncOutcome) {
        historyLock.withLock {
            val h = history.load()
            if (recorded.any { it === outcome }) return
            recorded.addLast(outcome)
            if (recorded.size > 8) recorded.removeFirst()
            val next = when (outcome) {
                is SyncOutcome.Success -> SyncPolicy.afterSuccess(h, outcome.atMillis)
                is SyncOutcome.Failed -> SyncPolicy.afterFailure(h, outcome.kind, outcome.atMillis, config, random)
                is SyncOutcome.Cancelled -> SyncPolicy.afterFailure(h, FailureKind.CANCELLED, outcome.atMillis, config, random)
            }
            history.save(next)
        }
        apply(decide())
    }

    /** The last outcomes recorded, compared by identity (sessions are serial: a few suffice). */
    private val recorded = ArrayDeque<SyncOutcome>()
}
