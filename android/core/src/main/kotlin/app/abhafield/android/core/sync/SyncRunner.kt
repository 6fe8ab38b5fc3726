/**
 * Runs sync sessions one at a time for the whole app.
 *
 * A sync can start from the sync screen, from the background scheduler, or both at once; two
 * sessions over one store would only race each other. The runner is the single place a session
 * starts: a second request while one runs joins it instead of starting another. It owns the cancel
 * handle, publishes progress as a `StateFlow` (the library calls back on its own thread; a
 * `MutableStateFlow` is safe to update from there) and tells listeners every outcome, so the
 * coordinator can record history whether the user or the scheduler started the session.
 */
package app.abhafield.android.core.sync

import app.abhafield.android.core.i18n.MessageKeys
import app.abhafield.android.core.repo.SyncRepository
import app.abhafield.core.SyncCancel
import app.abhafield.core.SyncProgressRecord
import app.abhafield.core.SyncSummary
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.Deferred
import kotlinx.coroutines.async
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import java.util.concurrent.CopyOnWriteArrayList

/** How a session ended. [atMillis] is when. */
sealed interface SyncOutcome {
    val atMillis: Long

    data class Success(val summary: SyncSummary, override val atMillis: Long) : SyncOutcome

    /** [key] is the message key of the error; [kind] says whether retrying may help. */
    data class Failed(val kind: FailureKind, val key: String, override val atMillis: Long) : SyncOutcome

    data class Cancelled(override val atMillis: Long) : SyncOutcome
}

/** What the runner is doing. */
data class SyncRunState(
    val running: Boolean = false,
    val cancelling: Boolean = false,
    val startedAt: Long? = null,
    val progress: SyncProgressRecord? = null,
    val lastOutcome: SyncOutcome? = null,
)

/**
 * The single-flight sync runner. Sessions run in [scope] (an application-wide scope, so leaving a
 * screen does not stop a sync). [newCancel] makes the native cancel handle (tests pass fakes).
 */
class SyncRunner(
    private val scope: CoroutineScope,
    private val repo: SyncRepository,
    private val newCancel: () -> SyncCancel = { SyncCancel() },
    private val clock: Clock = Clock.System,
) {
    private val _state = MutableStateFlow(SyncRunState())
    val state: StateFlow<SyncRunState> = _state.asStateFlow()

    private val lock = Any()
    private var current: Deferred<SyncOutcome>? = null
    private var handle: SyncCancel? = null
    private var session = 0L
    private val listeners = CopyOnWriteArrayList<(SyncOutcome) -> Unit>()

    /** Calls [listener] after every session, in the session's coroutine. */
    fun addListener(listener: (SyncOutcome) -> Unit) {
        listeners += listener
    }

    /** Whether a session is running. */
    val isRunning: Boolean get() = synchronized(lock) { current != null }

    /** Starts a session unless one runs; returns whether this call started it. */
    fun start(): Boolean {
        val job = synchronized(lock) { if (current != null) null else prepareLocked() } ?: return false
        job.start()
        return true
    }

    /** Runs a session, or waits for the running one, and returns how it ended. */
    suspend fun run(): SyncOutcome {
        val job = synchronized(lock) { current ?: prepareLocked() }
        return job.await()
    }

    /** Asks the running session to stop at its next request boundary. */
    fun cancel() {
        val h = synchronized(lock) { handle } ?: return
        _state.update { if (it.running) it.copy(cancelling = true) else it }
        runCatching { h.cancel() }
    }

    /** Makes the session's job (started by the caller, outside the lock). */
    private fun prepareLocked(): Deferred<SyncOutcome> {
        val id = ++session
        val cancel = newCancel()
        handle = cancel
        _state.update { SyncRunState(running = true, startedAt = clock.nowMillis(), lastOutcome = it.lastOutcome) }
        val job = scope.async(start = CoroutineStart.LAZY) { execute(id, cancel) }
        // A job cancelled before it ran (its scope ended) never reaches finish(): clean up here.
        job.invokeOnCompletion { cause -> if (cause != null) abandon(id, cancel) }
        current = job
        return job
    }

    private suspend fun execute(id: Long, cancel: SyncCancel): SyncOutcome {
        val outcome = try {
            val summary = repo.sync({ p -> onProgress(id, p) }, cancel)
            SyncOutcome.Success(summary, clock.nowMillis())
        } catch (e: CancellationException) {
            runCatching { cancel.cancel() }
            finish(id, SyncOutcome.Cancelled(clock.nowMillis()), cancel)
            throw e
        } catch (e: Throwable) {
            when (val kind = SyncPolicy.classify(e)) {
                FailureKind.CANCELLED -> SyncOutcome.Cancelled(clock.nowMillis())
                else -> SyncOutcome.Failed(kind, MessageKeys.forThrowable(e), clock.nowMillis())
            }
        }
        finish(id, outcome, cancel)
        return outcome
    }

    private fun onProgress(id: Long, progress: SyncProgressRecord) {
        _state.update { s -> if (s.running && id == sessionId()) s.copy(progress = progress) else s }
    }

    private fun abandon(id: Long, cancel: SyncCancel) {
        val mine = synchronized(lock) {
            (id == session && current != null).also {
                if (it) {
                    handle = null
                    current = null
                    _state.update { s -> s.copy(running = false, cancelling = false) }
                }
            }
        }
        if (mine) runCatching { cancel.close() }
    }

    private fun sessionId(): Long = synchronized(lock) { session }

    private fun finish(id: Long, outcome: SyncOutcome, cancel: SyncCancel) {
        synchronized(lock) {
            if (id == session) {
                handle = null
                current = null
                _state.update { it.copy(running = false, cancelling = false, lastOutcome = outcome) }
            }
        }
        runCatching { cancel.close() }
        for (l in listeners) runCatching { l(outcome) }
    }
}
