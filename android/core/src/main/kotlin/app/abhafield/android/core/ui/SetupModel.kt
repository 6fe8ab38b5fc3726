/**
 * Setting up a tablet: enrol it with a hub, and name the ASHA worker who uses it.
 *
 * Why this exists: until a tablet is enrolled it cannot sync or seal Aadhaar numbers (the hub's
 * sealing key comes with enrolment), and until it knows its operator it cannot record consent.
 * The screen shows what the device is (enrolled? role, hub, operator, can seal), an enrolment
 * form (the supervisor's one-time code, or the scanned QR payload, which carries the hub's URL
 * and pin; URL and pin can also be typed) and an operator form (ASHA id, name, optional HPR id).
 * The core validates everything and reports codes; this model only keeps the forms, turns
 * failures into message keys and field messages, and reloads the status after each change.
 *
 * A successful enrolment calls [onEnrolled] once, in [scope], after the status was reloaded:
 * the app forgets an old refusal there (`SyncCoordinator.unblock()`), which must happen after
 * every re-enrolment or the background sync stays stopped. `SetupState.enrolment` says the same
 * to a screen. A failure of the callback is not an enrolment failure (the device is enrolled).
 *
 * Intents are meant to be called from the thread of [scope]'s dispatcher (Main on Android).
 */
package app.abhafield.android.core.ui

import app.abhafield.android.core.i18n.FieldMessage
import app.abhafield.android.core.i18n.MessageKeys
import app.abhafield.android.core.repo.DeviceRepository
import app.abhafield.android.core.repo.EnrolledDevice
import app.abhafield.core.DeviceStatus
import app.abhafield.core.FieldException
import app.abhafield.core.WorkerInput
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch

/** The set-up screen. Field messages use the core's names (`hub_url`, `pin`, `asha_id`, `name`, `hpr_id`). */
data class SetupState(
    /** Null until first loaded (or when loading failed: see [error]). */
    val status: DeviceStatus? = null,
    val loading: Boolean = false,
    /** The one-time code as typed, or the scanned QR payload. */
    val code: String = "",
    val hubUrl: String = "",
    val pin: String = "",
    val ashaId: String = "",
    val workerName: String = "",
    val hprId: String = "",
    /** An enrolment or an operator is being saved. */
    val busy: Boolean = false,
    val enrolErrors: Map<String, List<FieldMessage>> = emptyMap(),
    val operatorErrors: Map<String, List<FieldMessage>> = emptyMap(),
    /** Message key of the last failure (`error_enrol_bad_code`, `error_sync_network`, ...). */
    val error: String? = null,
    /** Set by a successful enrolment made through this model. */
    val enrolment: EnrolledDevice? = null,
    /** The id of the operator last added through this model. */
    val addedOperatorId: String? = null,
    /** An enrolled tablet is being enrolled again (its token was revoked, or it moves hub). */
    val reenrolling: Boolean = false,
) {
    val enrolled: Boolean get() = status?.hubUrl != null
    val role: String? get() = status?.role
    val enrolledHubUrl: String? get() = status?.hubUrl
    val operatorId: String? get() = status?.workerId
    val hasOperator: Boolean get() = status?.workerId != null
    val canSealAadhaar: Boolean get() = status?.canSealAadhaar == true

    /** Enrolled and with an operator: the screen can shrink to one line. */
    val complete: Boolean get() = enrolled && hasOperator && !reenrolling

    /** Show the enrolment form: not enrolled yet, or enrolling again. */
    val showEnrolForm: Boolean get() = !enrolled || reenrolling

    /** The hub made this a supervisor's tablet: show the supervisor section. */
    val supervises: Boolean get() = DeviceRoles.canSupervise(status?.role)

    val canEnrol: Boolean get() = !busy && code.isNotBlank()
    val canAddOperator: Boolean get() = !busy && ashaId.isNotBlank() && workerName.isNotBlank()

    // The forms hold a one-time code and a person's name and ids: never print them.
    override fun toString(): String =
        "SetupState(enrolled=$enrolled, operator=$hasOperator, busy=$busy, loading=$loading, error=$error)"
}

/** What a device's hub role lets the app show. */
object DeviceRoles {
    /** Roles whose tablets get the supervisor section (the hub refuses the others' requests anyway). */
    val SUPERVISOR_ROLES: Set<String> = setOf("supervisor", "organiser")

    fun canSupervise(role: String?): Boolean = role in SUPERVISOR_ROLES
}

/** The model of the set-up screen. */
class SetupModel(
    private val scope: CoroutineScope,
    private val repo: DeviceRepository,
    private val onEnrolled: suspend (EnrolledDevice) -> Unit = {},
) {
    private val _state = MutableStateFlow(SetupState())
    val state: StateFlow<SetupState> = _state.asStateFlow()

    init {
        refresh()
    }

    fun setCode(v: String) = _state.update { it.copy(code = v, enrolErrors = it.enrolErrors - CODE, error = null) }
    fun setHubUrl(v: String) = _state.update { it.copy(hubUrl = v, enrolErrors = it.enrolErrors - HUB_URL, error = null) }
    fun setPin(v: String) = _state.update { it.copy(pin = v, enrolErrors = it.enrolErrors - PIN, error = null) }
    fun setAshaId(v: String) = _state.update { it.copy(ashaId = v, operatorErrors = it.operatorErrors - ASHA_ID, error = null) }
    fun setWorkerName(v: String) = _state.update { it.copy(workerName = v, operatorErrors = it.operatorErrors - NAME, error = null) }
    fun setHprId(v: String) = _state.update { it.copy(hprId = v, operatorErrors = it.operatorErrors - HPR_ID, error = null) }

    /** Reloads the device status. */
    fun refresh() {
        _state.update { it.copy(loading = true, error = null) }
        scope.launch {
            keyed({ key -> _state.update { it.copy(error = key) } }, { _state.update { it.copy(loading = false) } }) {
                reloadStatus()
            }
        }
    }

    /**
     * Opens the enrolment form on an enrolled tablet: a revoked token (the hub refuses every
     * sync) or a move to another hub needs a new one-time code. Unsynced work stays in the store
     * and goes to the hub the new enrolment names.
     */
    fun startReenrol() = _state.update { it.copy(reenrolling = true, error = null, enrolErrors = emptyMap()) }

    /** Closes the form opened by [startReenrol] without changing anything. */
    fun cancelReenrol() = _state.update { it.copy(reenrolling = false, code = "", hubUrl = "", pin = "", enrolErrors = emptyMap()) }

    /** Enrols with the hub using the form; on success the form is cleared and [onEnrolled] runs. */
    fun enrol() {
        val s = _state.value
        if (!s.canEnrol) return
        _state.update { it.copy(busy = true, error = null, enrolErrors = emptyMap(), enrolment = null) }
        scope.launch {
            val done = attempt({ errors -> _state.update { it.copy(enrolErrors = errors) } }) {
                val enrolled = repo.enrolDevice(s.code, s.hubUrl.ifBlank { null }, s.pin.ifBlank { null })
                _state.update { it.copy(code = "", hubUrl = "", pin = "", enrolment = enrolled, reenrolling = false) }
                enrolled
            }
            reloadStatusQuietly()
            _state.update { it.copy(busy = false) }
            if (done != null) {
                try {
                    onEnrolled(done)
                } catch (e: CancellationException) {
                    throw e
                } catch (_: Throwable) {
                    // The enrolment is stored; the app's follow-up failing must not undo or hide it.
                }
            }
        }
    }

    /** Adds the operator of the form and makes them current; on success the form is cleared. */
    fun addOperator() {
        val s = _state.value
        if (!s.canAddOperator) return
        _state.update { it.copy(busy = true, error = null, operatorErrors = emptyMap()) }
        scope.launch {
            attempt({ errors -> _state.update { it.copy(operatorErrors = errors) } }) {
                val id = repo.addWorker(WorkerInput(ashaId = s.ashaId.trim(), name = s.workerName.trim(), hprId = s.hprId.trim().ifEmpty { null }))
                _state.update { it.copy(ashaId = "", workerName = "", hprId = "", addedOperatorId = id) }
            }
            reloadStatusQuietly()
            _state.update { it.copy(busy = false) }
        }
    }

    /**
     * Runs [block]; a validation failure goes to [onFields] by field (and `error_validation`),
     * any other failure becomes [SetupState.error]. Returns null on failure.
     */
    private suspend fun <T> attempt(onFields: (Map<String, List<FieldMessage>>) -> Unit, block: suspend () -> T): T? = try {
        block()
    } catch (e: FieldException.Validation) {
        onFields(MessageKeys.byField(e.errors))
        _state.update { it.copy(error = MessageKeys.forException(e)) }
        null
    } catch (e: CancellationException) {
        throw e
    } catch (e: Throwable) {
        _state.update { it.copy(error = MessageKeys.forThrowable(e)) }
        null
    }

    private suspend fun reloadStatus() {
        val status = repo.deviceStatus()
        _state.update { it.copy(status = status) }
    }

    /** After a change: a failure to reload keeps the previous status and the change's own error. */
    private suspend fun reloadStatusQuietly() {
        try {
            reloadStatus()
        } catch (e: CancellationException) {
            throw e
        } catch (e: Throwable) {
            _state.update { it.copy(error = it.error ?: MessageKeys.forThrowable(e)) }
        }
    }

    companion object {
        /** The core's field names of the two forms. */
        const val CODE = "code"
        const val HUB_URL = "hub_url"
        const val PIN = "pin"
        const val ASHA_ID = "asha_id"
        const val NAME = "name"
        const val HPR_ID = "hpr_id"
    }
}
