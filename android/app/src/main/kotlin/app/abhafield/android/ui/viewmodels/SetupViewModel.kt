package app.abhafield.android.ui.viewmodels

import androidx.lifecycle.ViewModel
import androidx.lifecycle.viewModelScope
import app.abhafield.android.AppContainer
import app.abhafield.android.core.i18n.FieldMessage
import app.abhafield.android.core.i18n.MessageKeys
import app.abhafield.core.DeviceStatus
import app.abhafield.core.FieldException
import app.abhafield.core.WorkerInput
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext

/**
 * Why this exists: a tablet must be enrolled with a hub (one-time code from the supervisor) and
 * know its operator (the ASHA worker) before it can seal Aadhaar numbers, record consent or sync,
 * and android/core has no screen model for that yet. This calls the store directly (on IO), with
 * no rules of its own: the core validates the code and the ASHA ID and reports codes.
 * TODO(android/core): move into a `SetupModel` there, with JVM tests, and make this a wrapper.
 */
class SetupViewModel(private val container: AppContainer) : ViewModel() {
    data class State(
        val status: DeviceStatus? = null,
        val code: String = "",
        val hubUrl: String = "",
        val pin: String = "",
        val ashaId: String = "",
        val workerName: String = "",
        val busy: Boolean = false,
        val errors: Map<String, List<FieldMessage>> = emptyMap(),
        val error: String? = null,
    ) {
        val enrolled: Boolean get() = status?.hubUrl != null
        val hasOperator: Boolean get() = status?.workerId != null
        override fun toString(): String = "Setup.State(enrolled=$enrolled, operator=$hasOperator, busy=$busy, error=$error)"
    }

    private val _state = MutableStateFlow(State())
    val state: StateFlow<State> = _state.asStateFlow()

    init {
        refresh()
    }

    fun setCode(v: String) = _state.update { it.copy(code = v, error = null) }
    fun setHubUrl(v: String) = _state.update { it.copy(hubUrl = v, error = null) }
    fun setPin(v: String) = _state.update { it.copy(pin = v, error = null) }
    fun setAshaId(v: String) = _state.update { it.copy(ashaId = v, errors = emptyMap(), error = null) }
    fun setWorkerName(v: String) = _state.update { it.copy(workerName = v, errors = emptyMap(), error = null) }

    fun refresh() = launchBusy { /* status only */ }

    /** Enrols with the hub; the code may be the scanned QR payload (it carries URL and pin). */
    fun connect() {
        val s = _state.value
        if (s.code.isBlank()) return
        launchBusy {
            container.store.enrolDevice(s.code.trim(), s.hubUrl.trim().ifBlank { null }, s.pin.trim().ifBlank { null })
            _state.update { it.copy(code = "", hubUrl = "", pin = "") }
            container.coordinator.unblock() // a refusal of the old enrolment no longer applies
            container.notifyChanged()
        }
    }

    /** Adds the operator and makes them current. */
    fun saveOperator() {
        val s = _state.value
        launchBusy {
            container.store.addWorker(WorkerInput(ashaId = s.ashaId.trim(), name = s.workerName.trim()))
            _state.update { it.copy(ashaId = "", workerName = "") }
        }
    }

    private fun launchBusy(block: suspend () -> Unit) {
        _state.update { it.copy(busy = true, error = null, errors = emptyMap()) }
        viewModelScope.launch {
            try {
                withContext(Dispatchers.IO) { block() }
            } catch (e: FieldException.Validation) {
                _state.update { it.copy(errors = MessageKeys.byField(e.errors), error = MessageKeys.VALIDATION) }
            } catch (e: CancellationException) {
                throw e
            } catch (e: Throwable) {
                _state.update { it.copy(error = MessageKeys.forThrowable(e)) }
            }
            val status = runCatching { container.field.deviceStatus() }.getOrNull()
            _state.update { it.copy(status = status ?: it.status, busy = false) }
        }
    }
}
