/**
 * The sync screen: sync now, watch it, stop it, see when the last one succeeded and what waits.
 *
 * The session itself belongs to the app-wide [SyncRunner], so a sync the scheduler started shows
 * here too, a second tap while one runs does nothing, and leaving the screen does not stop it.
 * Progress comes from the library's thread through the runner's `StateFlow`. After each session
 * the pending work and the stored last-sync status are reloaded from the store.
 */
package app.abhafield.android.core.ui

import app.abhafield.android.core.i18n.MessageKeys
import app.abhafield.android.core.repo.FieldRepository
import app.abhafield.android.core.repo.SyncRepository
import app.abhafield.android.core.sync.SyncOutcome
import app.abhafield.android.core.sync.SyncRunState
import app.abhafield.android.core.sync.SyncRunner
import app.abhafield.core.SyncProgressRecord
import app.abhafield.core.SyncSummary
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch

/** The sync screen. Times are Unix ms (format with `Formats.dateTime`). */
data class SyncState(
    val running: Boolean = false,
    val cancelling: Boolean = false,
    /** The running session's last progress (phase, batch, ops and bytes so far). */
    val progress: SyncProgressRecord? = null,
    /** The summary of the last session that succeeded while this screen was open. */
    val lastSummary: SyncSummary? = null,
    val lastAttemptAt: Long? = null,
    val lastSuccessAt: Long? = null,
    /** Key of the stored last failure (cleared by a success). */
    val lastErrorKey: String? = null,
    /** Key of this screen's last session failure, or `error_sync_cancelled`. */
    val errorKey: String? = null,
    val pendingChanges: Long = 0,
    val wedged: Long = 0,
    val conflicts: Long = 0,
    /** Message key of a failure to read the local status. */
    val statusError: String? = null,
)

/** The model of the sync screen. Share one [SyncRunner] per app. */
class SyncModel(
    private val scope: CoroutineScope,
    private val runner: SyncRunner,
    private val repo: FieldRepository,
) {
    /** A model with its own runner (only when nothing else syncs). */
    constructor(scope: CoroutineScope, sync: SyncRepository, repo: FieldRepository) : this(scope, SyncRunner(scope, sync), repo)

    private val _state = MutableStateFlow(SyncState())
    val state: StateFlow<SyncState> = _state.asStateFlow()
    private var seenOutcome: SyncOutcome? = runner.state.value.lastOutcome

    init {
        scope.launch { runner.state.collect(::onRun) }
        refresh()
    }

    /** Starts a sync unless one runs (then this screen just shows the running one). */
    fun syncNow() {
        _state.update { it.copy(errorKey = null) }
        runner.start()
    }

    /** Stops the running sync at its next request boundary. */
    fun cancel() = runner.cancel()

    /** Reloads pending work and the last sync status from the store. */
    fun refresh() {
        scope.launch {
            keyed({ key -> _state.update { it.copy(statusError = key) } }) {
                val pending = repo.pending()
                val last = repo.lastSync()
                _state.update {
                    it.copy(
                        pendingChanges = pending.changes.toLongClamped(),
                        wedged = pending.wedged.toLongClamped(),
                        conflicts = pending.conflicts.toLongClamped(),
                        lastAttemptAt = last?.lastAttemptAt,
                        lastSuccessAt = last?.lastSuccessAt,
                        lastErrorKey = last?.lastError?.let(MessageKeys::forSyncError),
                        statusError = null,
                    )
                }
            }
        }
    }

    private fun onRun(run: SyncRunState) {
        _state.update { it.copy(running = run.running, cancelling = run.cancelling, progress = if (run.running) run.progress else it.progress) }
        val outcome = run.lastOutcome
        if (outcome != null && outcome !== seenOutcome) {
            seenOutcome = outcome
            _state.update {
                when (outcome) {
                    // The summary carries the pending work after the session: show it at once,
                    // the refresh below then adds the stored last-sync time.
                    is SyncOutcome.Success -> it.copy(
                        lastSummary = outcome.summary,
                        errorKey = null,
                        pendingChanges = outcome.summary.pending.changes.toLongClamped(),
                        wedged = outcome.summary.pending.wedged.toLongClamped(),
                        conflicts = outcome.summary.pending.conflicts.toLongClamped(),
                    )
                    is SyncOutcome.Failed -> it.copy(errorKey = outcome.key)
                    is SyncOutcome.Cancelled -> it.copy(errorKey = MessageKeys.SYNC_CANCELLED)
                }
            }
            refresh()
        }
    }

    private companion object {
        fun ULong.toLongClamped(): Long = if (this > Long.MAX_VALUE.toULong()) Long.MAX_VALUE else toLong()
    }
}
