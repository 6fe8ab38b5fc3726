/**
 * The camp's Scan and Share queue on a worker's tablet: people who scanned a counter QR code
 * with their ABHA app, each with a queue token and the details they shared.
 *
 * A profile is not anyone's capture yet: the worker calls the token, checks the details with
 * the person, adds them to a household with the member form pre-filled from the profile
 * ([memberFields]), and the saved member syncs like any other. Only then is the profile marked
 * accepted at the hub ([accepted]), naming the member; a profile that is not someone to register
 * here is dismissed. Both are idempotent at the hub, so a retry after a dropped reply is safe;
 * a failure keeps the profile listed and shows the failure's key.
 *
 * Intents are meant to be called from the thread of [scope]'s dispatcher (Main on Android).
 */
package app.abhafield.android.core.ui

import app.abhafield.android.core.repo.SyncRepository
import app.abhafield.core.SharedProfileRecord
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch

/** The queue screen. */
data class SharedProfilesState(
    val profiles: List<SharedProfileRecord> = emptyList(),
    val loading: Boolean = false,
    /** Ids being accepted or dismissed. */
    val handling: Set<String> = emptySet(),
    /** Message key of the last failure (offline, refused, ...). */
    val error: String? = null,
) {
    override fun toString(): String = "SharedProfilesState(profiles=${profiles.size}, loading=$loading, error=$error)"
}

/** The model of the Scan and Share queue. */
class SharedProfilesModel(
    private val scope: CoroutineScope,
    private val repo: SyncRepository,
) {
    private val _state = MutableStateFlow(SharedProfilesState())
    val state: StateFlow<SharedProfilesState> = _state.asStateFlow()

    /** Fetches the waiting profiles from the hub (what was shown stays on failure). */
    fun refresh() {
        if (_state.value.loading) return
        _state.update { it.copy(loading = true, error = null) }
        scope.launch {
            keyed({ key -> _state.update { it.copy(error = key) } }, { _state.update { it.copy(loading = false) } }) {
                val list = repo.sharedProfiles()
                _state.update { it.copy(profiles = list) }
            }
        }
    }

    /** The member saved from profile [id] is [memberId]: mark the profile accepted. */
    fun accepted(id: String, memberId: String) = handle(id) { repo.acceptSharedProfile(id, memberId) }

    /** Profile [id] is not someone to register here. */
    fun dismiss(id: String) = handle(id) { repo.dismissSharedProfile(id) }

    private fun handle(id: String, call: suspend () -> Unit) {
        if (id in _state.value.handling) return
        _state.update { it.copy(handling = it.handling + id, error = null) }
        scope.launch {
            keyed({ key -> _state.update { it.copy(error = key) } }, { _state.update { it.copy(handling = it.handling - id) } }) {
                call()
                _state.update { s -> s.copy(profiles = s.profiles.filter { it.id != id }) }
            }
        }
    }

    companion object {
        /** The member form a profile pre-fills (the relation is the worker's to choose). */
        fun memberFields(p: SharedProfileRecord): MemberFields = MemberFields(
            givenName = p.givenName,
            middleName = p.middleName.orEmpty(),
            familyName = p.familyName.orEmpty(),
            gender = p.gender,
            birthDate = p.birthDate,
            mobile = p.mobile.orEmpty(),
            abhaNumber = p.abhaNumber.orEmpty(),
            abhaAddress = p.abhaAddress.orEmpty(),
        )
    }
}
