/**
 * A member's ABHA requests: what was asked, where each stands, and the correction loop.
 *
 * Requests move through states the hub's ABDM bridge reports back at sync (`queued` → `received` →
 * `created`/`linked`, or `needs_correction`/`rejected` with a reason code). The screen shows each
 * with a state key and a reason key, lets the worker request an ABHA when nothing is in flight,
 * and retry a request ABDM sent back, with corrected fields and the Aadhaar number read again from
 * the card. That number is handed straight to the repository and never kept in state.
 *
 * Intents are meant to be called from the thread of [scope]'s dispatcher (Main on Android).
 */
package app.abhafield.android.core.ui

import app.abhafield.android.core.i18n.FieldMessage
import app.abhafield.android.core.i18n.MessageKeys
import app.abhafield.android.core.repo.FieldRepository
import app.abhafield.core.ReviewRecord
import app.abhafield.core.EnrollmentRecord
import app.abhafield.core.EnrollmentRoute
import app.abhafield.core.FieldException
import app.abhafield.core.MemberPatchInput
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch

/** One ABHA request as a screen shows it. */
data class EnrollmentItem(
    val id: String,
    val memberId: String?,
    /** `demo_auth`, `aadhaar_otp`, `link_existing`. */
    val route: String?,
    /** State code (`queued`, `needs_correction`, ...). */
    val state: String?,
    /** `enrollment_state_<state>`. */
    val stateKey: String,
    /** `error_<reason>` when ABDM gave a reason. */
    val reasonKey: String?,
    val abhaNumber: String?,
    val attemptOf: String?,
    val createdAt: Long?,
    /** Sent back for correction and not yet retried. */
    val canRetry: Boolean,
    /** A later attempt retried this one. */
    val superseded: Boolean,
    /** The supervisor's note when the request was sent back for correction (from the hub by sync). */
    val supervisorNote: String? = null,
) {
    /**
     * A retry must carry the Aadhaar number read again from the card (the first seal was
     * discarded once ABDM answered); only linking an existing ABHA needs none.
     */
    val retryNeedsAadhaar: Boolean get() = route != "link_existing"

    companion object {
        /** What a worker may correct when ABDM reports a demographic mismatch (unprefixed core names). */
        val CORRECTABLE_FIELDS: Set<String> = setOf(
            FormFields.GIVEN_NAME, FormFields.MIDDLE_NAME, FormFields.FAMILY_NAME, FormFields.NAME_LATIN,
            FormFields.BIRTH_DATE, FormFields.GENDER,
        )

        /** States in which a request is still moving or has succeeded: no new request then. */
        val ACTIVE_STATES = setOf("captured", "queued", "received", "submitting", "retry_later", "created", "linked")

        /**
         * The items for [records], marking those a later attempt replaced, each with the latest
         * send-back note among [reviews] (the member's decisions, newest first).
         */
        fun of(records: List<EnrollmentRecord>, reviews: List<ReviewRecord> = emptyList()): List<EnrollmentItem> {
            val retried = records.mapNotNullTo(mutableSetOf()) { it.attemptOf }
            val notes = reviews.filter { it.action == "send_back" && !it.note.isNullOrBlank() }
                .groupBy { it.subjectId }
                .mapValues { (_, rs) -> rs.maxByOrNull { it.decidedAt ?: 0L }?.note }
            return records.map { r ->
                val superseded = r.id in retried
                EnrollmentItem(
                    id = r.id,
                    memberId = r.memberId,
                    route = r.route,
                    state = r.state,
                    stateKey = MessageKeys.forEnrollmentState(r.state),
                    reasonKey = r.reasonCode?.takeIf { it.isNotBlank() }?.let(MessageKeys::forCode),
                    abhaNumber = r.abhaNumber,
                    attemptOf = r.attemptOf,
                    createdAt = r.createdAt,
                    canRetry = r.state == "needs_correction" && !superseded,
                    superseded = superseded,
                    supervisorNote = notes[r.id],
                )
            }
        }
    }
}

/** The enrolment screen of one member. */
data class EnrollmentState(
    val memberId: String,
    val requests: List<EnrollmentItem> = emptyList(),
    val loading: Boolean = false,
    /** A request or retry is being stored. */
    val busy: Boolean = false,
    val errors: Map<String, List<FieldMessage>> = emptyMap(),
    val error: String? = null,
) {
    /** The member's ABHA, once created or linked. */
    val abhaNumber: String? get() = requests.lastOrNull { !it.abhaNumber.isNullOrBlank() }?.abhaNumber

    /** No request in flight or succeeded (a rejected one may be asked again). */
    val canRequest: Boolean
        get() = !loading && !busy && requests.none { !it.superseded && it.state in EnrollmentItem.ACTIVE_STATES } &&
            requests.none { it.canRetry }
}

/** The model of a member's enrolment screen. */
class EnrollmentModel(
    private val scope: CoroutineScope,
    private val repo: FieldRepository,
    memberId: String,
) {
    private val _state = MutableStateFlow(EnrollmentState(memberId = memberId))
    val state: StateFlow<EnrollmentState> = _state.asStateFlow()

    init {
        refresh()
    }

    /** Reloads the member's requests. */
    fun refresh() {
        _state.update { it.copy(loading = true, error = null) }
        scope.launch {
            keyed({ key -> _state.update { it.copy(error = key) } }, { _state.update { it.copy(loading = false) } }) {
                val memberId = _state.value.memberId
                val items = EnrollmentItem.of(repo.enrollments(memberId), repo.reviewsOf(memberId))
                _state.update { it.copy(requests = items) }
            }
        }
    }

    /** Queues a request by [route] resting on the consent [consentId] (from the consent screen). */
    fun request(route: EnrollmentRoute, consentId: String) {
        if (!_state.value.canRequest) return
        mutate { repo.requestEnrollment(_state.value.memberId, route, consentId) }
    }

    /**
     * Retries a `needs_correction` request with the corrected fields in [patch] and the Aadhaar
     * number read again ([aadhaar], or null if the route does not need it). Field messages use
     * the core's unprefixed names (`birth_date`, `aadhaar`).
     */
    fun retry(enrollmentId: String, patch: MemberPatchInput, aadhaar: String?) {
        val s = _state.value
        if (s.busy || s.requests.none { it.id == enrollmentId && it.canRetry }) return
        mutate { repo.retryEnrollment(enrollmentId, patch, aadhaar) }
    }

    private fun mutate(call: suspend () -> EnrollmentRecord) {
        _state.update { it.copy(busy = true, error = null, errors = emptyMap()) }
        scope.launch {
            keyed(
                onError = { key -> _state.update { it.copy(error = key) } },
                always = { _state.update { it.copy(busy = false) } },
                onInvalid = { e -> _state.update { it.copy(errors = MessageKeys.byField(e.errors), error = MessageKeys.VALIDATION) } },
            ) {
                call()
                val memberId = _state.value.memberId
                val items = EnrollmentItem.of(repo.enrollments(memberId), repo.reviewsOf(memberId))
                _state.update { it.copy(requests = items) }
            }
        }
    }
}
