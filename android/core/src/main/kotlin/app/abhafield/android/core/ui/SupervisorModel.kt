/**
 * The supervisor's review: which tablets hold unsynced work, which ABHA requests need a person,
 * which members look like the same person.
 *
 * Device reports come from the hub and need a network; the review lists come from the local
 * store and do not. The two load independently, so at a camp without a network the supervisor
 * still sees the local lists and a hub error key instead of a blank screen. Devices are shown
 * only when they hold work (pending or wedged), the one whose oldest unsynced change is oldest
 * first: that is the tablet to chase.
 *
 * Intents are meant to be called from the thread of [scope]'s dispatcher (Main on Android).
 */
package app.abhafield.android.core.ui

import app.abhafield.android.core.repo.FieldRepository
import app.abhafield.android.core.repo.SyncRepository
import app.abhafield.core.DeviceReport
import app.abhafield.core.DuplicateGroupRecord
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch

/** The supervisor screen. */
data class SupervisorState(
    /** Hub devices holding work, oldest pending first. */
    val devices: List<DeviceReport> = emptyList(),
    /** ABHA requests sent back, refused or waiting to retry. */
    val quarantined: List<EnrollmentItem> = emptyList(),
    val duplicates: List<DuplicateGroupRecord> = emptyList(),
    val loadingDevices: Boolean = false,
    val loadingLocal: Boolean = false,
    /** Key of the hub failure (no network, not a supervisor device, ...); the local lists still show. */
    val hubError: String? = null,
    val localError: String? = null,
) {
    val loading: Boolean get() = loadingDevices || loadingLocal
}

/** The model of the supervisor screen. */
class SupervisorModel(
    private val scope: CoroutineScope,
    private val repo: FieldRepository,
    private val sync: SyncRepository,
    private val limit: Int = 100,
) {
    private val _state = MutableStateFlow(SupervisorState())
    val state: StateFlow<SupervisorState> = _state.asStateFlow()

    init {
        refresh()
    }

    /** Reloads the hub's device report and the local review lists. */
    fun refresh() {
        _state.update { it.copy(loadingDevices = true, loadingLocal = true) }
        scope.launch {
            keyed({ key -> _state.update { it.copy(hubError = key) } }, { _state.update { it.copy(loadingDevices = false) } }) {
                val devices = needingAttention(sync.hubDevices())
                _state.update { it.copy(devices = devices, hubError = null) }
            }
        }
        scope.launch {
            keyed({ key -> _state.update { it.copy(localError = key) } }, { _state.update { it.copy(loadingLocal = false) } }) {
                val quarantined = EnrollmentItem.of(repo.needsAttention(limit))
                val duplicates = repo.duplicates(limit)
                _state.update { it.copy(quarantined = quarantined, duplicates = duplicates, localError = null) }
            }
        }
    }

    companion object {
        /**
         * Devices holding unsynced or failing work, the oldest pending change first (devices that
         * did not say when come last, most pending first).
         */
        fun needingAttention(devices: List<DeviceReport>): List<DeviceReport> =
            devices.filter { it.pendingChanges > 0uL || it.wedged > 0uL }
                .sortedWith(
                    compareBy<DeviceReport, Long?>(nullsLast()) { it.oldestPendingAt }
                        .thenByDescending { it.pendingChanges + it.wedged }
                        .thenBy { it.deviceId },
                )
    }
}
