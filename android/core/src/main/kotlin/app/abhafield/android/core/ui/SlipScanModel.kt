/**
 * The "scan household slip" screen: a worker at a door (or a camp desk) scans the slip the hub
 * printed for a household, or types its code, and the household opens.
 *
 * The slip is checked offline against the hub's key this tablet received at enrolment, so a
 * forged or altered slip is refused (`slip.bad_signature`) without any network. A genuine slip
 * of a household captured on another tablet that has not synced here yet is not an error: it
 * says so (sync, then scan again). A camera delivers the same code many times a second; the
 * model reads one code once until the worker scans again ([reset]) or a different code appears.
 *
 * Intents are meant to be called from the thread of [scope]'s dispatcher (Main on Android).
 */
package app.abhafield.android.core.ui

import app.abhafield.android.core.i18n.MessageKeys
import app.abhafield.android.core.repo.FieldRepository
import app.abhafield.core.HouseholdSummaryRecord
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.launch

/** What the scan screen shows. */
sealed interface SlipScanState {
    /** Waiting for a code. */
    data object Waiting : SlipScanState

    /** Checking a code. */
    data object Checking : SlipScanState

    /**
     * The household is here. [openId] is set when exactly one household matches (open it at
     * once); a typed code shared by several households lists them in [matches].
     */
    data class Found(
        val code: String,
        val verified: Boolean,
        val matches: List<HouseholdSummaryRecord>,
    ) : SlipScanState {
        val openId: String? get() = matches.singleOrNull()?.id
        override fun toString(): String = "Found(matches=${matches.size}, verified=$verified)"
    }

    /** A genuine slip (or a well-formed code) of a household this tablet does not hold yet. */
    data class NotKnownYet(val code: String, val verified: Boolean) : SlipScanState

    /** The code could not be used: [key] is the message (`error_slip_bad_signature`, ...). */
    data class Refused(val key: String) : SlipScanState
}

/** The model of the slip scan screen. */
class SlipScanModel(
    private val scope: CoroutineScope,
    private val repo: FieldRepository,
) {
    private val _state = MutableStateFlow<SlipScanState>(SlipScanState.Waiting)
    val state: StateFlow<SlipScanState> = _state.asStateFlow()

    private var last: String? = null
    private var job: Job? = null

    /**
     * A code from the camera, or typed. The same code again is ignored until [reset]; a
     * different one replaces the answer being waited for.
     */
    fun scanned(payload: String) {
        val code = payload.trim()
        if (code.isEmpty() || code == last) return
        last = code
        job?.cancel()
        _state.value = SlipScanState.Checking
        job = scope.launch {
            keyed(
                onError = { key -> _state.value = SlipScanState.Refused(key) },
                onInvalid = { e ->
                    val key = e.errors.firstOrNull()?.let { MessageKeys.forCode(it.code) } ?: MessageKeys.VALIDATION
                    _state.value = SlipScanState.Refused(key)
                },
            ) {
                val r = repo.scanSlip(code)
                _state.value = if (r.known) {
                    SlipScanState.Found(r.code, r.verified, r.households)
                } else {
                    SlipScanState.NotKnownYet(r.code, r.verified)
                }
            }
        }
    }

    /** Back to waiting: the next code is read even if it is the same as the last. */
    fun reset() {
        job?.cancel()
        last = null
        _state.value = SlipScanState.Waiting
    }
}
