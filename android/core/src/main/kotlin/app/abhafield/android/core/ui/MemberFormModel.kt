/**
 * The form for one member of an existing household: add a member, or correct one.
 *
 * Inline validation of a new member goes through `checkMember`, which also runs the core's duplicate
 * matcher against the household and the mobile number, so the worker sees
 * `member.possible_duplicate` before saving. A correction is checked as a one-member form through
 * `checkHousehold` (checked against its own household it would match itself), keeping only that
 * member's messages renamed to the unprefixed field names `addMember` and `updateMember` report
 * (`members[0].birth_date` → `birth_date`); messages of the whole form and of the live save use
 * one naming. A correction sends only the fields that
 * changed, so a correction made on another tablet to another field survives the merge.
 * Scanning the person's ABHA card ([applyAbhaScan]) fills the fields still empty and never
 * changes a typed one; the card's disagreements show as per-field messages.
 *
 * Intents are meant to be called from the thread of [scope]'s dispatcher (Main on Android).
 */
package app.abhafield.android.core.ui

import app.abhafield.android.core.i18n.FieldMessage
import app.abhafield.android.core.i18n.MessageKeys
import app.abhafield.android.core.repo.FieldRepository
import app.abhafield.android.core.repo.HouseholdDraft
import app.abhafield.core.AbhaScanRecord
import app.abhafield.core.FieldException
import app.abhafield.core.FieldIssue
import app.abhafield.core.MemberPatchInput
import app.abhafield.core.MemberRecord
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch

/** Adding a member or editing one. */
enum class MemberFormMode { ADD, EDIT }

/** The member form. Field keys are unprefixed core names (`given_name`, `aadhaar`). */
data class MemberFormState(
    val mode: MemberFormMode,
    val householdId: String,
    val memberId: String? = null,
    val fields: MemberFields = MemberFields(),
    val errors: Map<String, List<FieldMessage>> = emptyMap(),
    val warnings: Map<String, List<FieldMessage>> = emptyMap(),
    val errorCount: Int = 0,
    val checking: Boolean = false,
    val saving: Boolean = false,
    /** Set once saved (the new member's id, or the edited member's). */
    val savedMemberId: String? = null,
    val savedWarnings: List<FieldMessage> = emptyList(),
    val deleted: Boolean = false,
    val error: String? = null,
    /** An ABHA card QR code is being read. */
    val scanning: Boolean = false,
    /** What the last scanned ABHA card did to the form. */
    val scan: AbhaScanOutcome? = null,
) {
    val editable: Boolean get() = !saving && savedMemberId == null && !deleted
}

/**
 * The last ABHA card scan: [filled] fields (core names) now hold the card's values; [messages]
 * are per field (`qr.differs` where the worker typed something else, which was kept, and the
 * card's own warnings such as `qr.masked`); [existing] members already hold this ABHA on the
 * tablet (offer to open one instead of adding a duplicate). [errorKey] is set when the code
 * could not be used (`error_qr_not_abha`, `error_qr_aadhaar`, ...), and nothing changed.
 */
data class AbhaScanOutcome(
    val filled: List<String> = emptyList(),
    val messages: Map<String, List<FieldMessage>> = emptyMap(),
    val existing: List<ExistingMember> = emptyList(),
    val legacyAddress: Boolean = false,
    val errorKey: String? = null,
)

/** A member on this tablet who already holds a scanned ABHA, and their household. */
data class ExistingMember(val memberId: String, val householdId: String?)

/** The model of the add/edit member screen. */
class MemberFormModel(
    private val scope: CoroutineScope,
    private val repo: FieldRepository,
    householdId: String,
    existing: MemberRecord? = null,
    validateDelayMillis: Long = 400,
    delay: Delay = CoroutineDelay,
    /** A new member's fields to start from (a Scan and Share profile); ignored when editing. */
    prefill: MemberFields? = null,
) {
    private var original: MemberFields = existing?.let { MemberFields.of(it, uid = 1) } ?: MemberFields(uid = 1)
    private val _state = MutableStateFlow(
        MemberFormState(
            mode = if (existing == null) MemberFormMode.ADD else MemberFormMode.EDIT,
            householdId = existing?.householdId ?: householdId,
            memberId = existing?.id,
            fields = if (existing == null && prefill != null) prefill.copy(uid = 1) else original,
        ),
    )
    val state: StateFlow<MemberFormState> = _state.asStateFlow()

    private val checks = Debouncer(scope, delay, validateDelayMillis)
    private var issues = FormIssues()
    private var touched: Set<String> = emptySet()
    private var showAll = false

    init {
        // Pre-filled fields count as typed: their messages show, and they are checked at once.
        if (existing == null && prefill != null) {
            touched = _state.value.fields.changedFrom(original)
            checks.run(immediate = true) { check() }
        }
    }

    /** Edits the fields: `edit { it.copy(mobile = "98…") }`. The Aadhaar field is ignored when editing. */
    fun edit(change: (MemberFields) -> MemberFields) {
        val s = _state.value
        if (!s.editable) return
        var after = change(s.fields).copy(uid = s.fields.uid)
        if (s.mode == MemberFormMode.EDIT) after = after.copy(aadhaar = "")
        touched = touched + after.changedFrom(s.fields)
        _state.update { it.copy(fields = after, error = null) }
        publish()
        checks.run { check() }
    }

    /**
     * Offers a scanned ABHA card (or ABHA app) QR code to the form: empty fields take the card's
     * values, typed ones never change. Only fields still empty when the answer arrives are
     * filled, so typing during the scan is never overwritten.
     */
    fun applyAbhaScan(payload: String) {
        val s = _state.value
        if (!s.editable || s.scanning) return
        _state.update { it.copy(scanning = true, scan = null) }
        scope.launch {
            keyed(
                onError = { key -> _state.update { it.copy(scan = AbhaScanOutcome(errorKey = key)) } },
                always = { _state.update { it.copy(scanning = false) } },
                onInvalid = { e ->
                    val key = e.errors.firstOrNull()?.let { MessageKeys.forCode(it.code) } ?: MessageKeys.VALIDATION
                    _state.update { it.copy(scan = AbhaScanOutcome(errorKey = key)) }
                },
            ) {
                val r = repo.scanAbhaQr(payload, _state.value.fields.toDraft())
                val before = _state.value.fields
                val after = before.filledFrom(r)
                touched = touched + after.changedFrom(before)
                val outcome = AbhaScanOutcome(
                    filled = r.filled.filter { it in after.changedFrom(before) },
                    messages = MessageKeys.byField(r.differs + r.warnings),
                    existing = r.existing.filter { it.id != s.memberId }.map { ExistingMember(it.id, it.householdId) },
                    legacyAddress = r.legacyAddress,
                )
                _state.update { it.copy(fields = after, scan = outcome) }
                publish()
                checks.run(immediate = true) { check() }
            }
        }
    }

    /** Checks now and shows every message. */
    fun validate() {
        if (!_state.value.editable) return
        showAll = true
        publish()
        checks.run(immediate = true) { check() }
    }

    /** Adds the member, or saves the changed fields of the edited one. */
    fun save() {
        val s = _state.value
        if (!s.editable) return
        checks.cancel()
        showAll = true
        _state.update { it.copy(saving = true, checking = false, error = null) }
        scope.launch {
            keyed(
                onError = { key -> _state.update { it.copy(error = key) } },
                always = { _state.update { it.copy(saving = false) }; publish() },
                onInvalid = { e -> issues = FormIssues(e.errors, e.warnings) },
            ) {
                when (s.mode) {
                    MemberFormMode.ADD -> {
                        val saved = repo.addMember(s.householdId, s.fields.toDraft())
                        issues = FormIssues(warnings = saved.warnings)
                        _state.update {
                            it.copy(fields = it.fields.withoutAadhaar(), savedMemberId = saved.id, memberId = saved.id,
                                savedWarnings = saved.warnings.map(MessageKeys::forIssue))
                        }
                    }
                    MemberFormMode.EDIT -> {
                        val id = requireNotNull(s.memberId)
                        val patch = s.fields.patchFrom(original)
                        if (patch != MemberPatchInput()) {
                            val record = repo.updateMember(id, patch)
                            original = MemberFields.of(record, uid = s.fields.uid)
                        }
                        issues = FormIssues()
                        _state.update { it.copy(fields = original, savedMemberId = id) }
                    }
                }
            }
        }
    }

    /** Deletes the edited member (a tombstone that syncs). */
    fun delete() {
        val s = _state.value
        val id = s.memberId ?: return
        if (s.mode != MemberFormMode.EDIT || s.saving || s.deleted) return
        checks.cancel()
        _state.update { it.copy(saving = true, error = null) }
        scope.launch {
            keyed({ key -> _state.update { it.copy(error = key) } }, { _state.update { it.copy(saving = false) } }) {
                repo.deleteMember(id)
                _state.update { it.copy(deleted = true) }
            }
        }
    }

    private suspend fun check() {
        val draft = _state.value.fields.toDraft()
        _state.update { it.copy(checking = true) }
        keyed({ key -> _state.update { it.copy(error = key) } }, { _state.update { it.copy(checking = false) }; publish() }) {
            val s = _state.value
            issues = if (s.mode == MemberFormMode.ADD) {
                val result = repo.checkMember(s.householdId, draft)
                FormIssues(result.errors, result.warnings)
            } else {
                // A one-member form: only this member's messages are kept, without the prefix.
                val result = repo.checkHousehold(HouseholdDraft(villageCode = null, address = "", members = listOf(draft)))
                FormIssues(result.errors.ofMember(), result.warnings.ofMember())
            }
        }
    }

    private fun publish() {
        _state.update {
            it.copy(
                errors = issues.visibleErrors(touched, showAll),
                warnings = issues.visibleWarnings(touched, showAll),
                errorCount = issues.errors.size,
            )
        }
    }

    private companion object {
        /** The scan's value of each field it filled, where this form's field is still blank. */
        fun MemberFields.filledFrom(r: AbhaScanRecord): MemberFields {
            fun take(field: String, now: String, scanned: String?): String =
                if (field in r.filled && now.isBlank() && scanned != null) scanned else now
            return copy(
                givenName = take(FormFields.GIVEN_NAME, givenName, r.givenName),
                middleName = take(FormFields.MIDDLE_NAME, middleName, r.middleName),
                familyName = take(FormFields.FAMILY_NAME, familyName, r.familyName),
                nameLatin = take(FormFields.NAME_LATIN, nameLatin, r.nameLatin),
                gender = take(FormFields.GENDER, gender, r.gender),
                birthDate = take(FormFields.BIRTH_DATE, birthDate, r.birthDate),
                mobile = take(FormFields.MOBILE, mobile, r.mobile),
                abhaNumber = take(FormFields.ABHA_NUMBER, abhaNumber, r.abhaNumber),
                abhaAddress = take(FormFields.ABHA_ADDRESS, abhaAddress, r.abhaAddress),
            )
        }

        fun List<FieldIssue>.ofMember(): List<FieldIssue> = mapNotNull { issue ->
            val (i, name) = FormFields.parseMember(issue.field) ?: return@mapNotNull null
            if (i == 0) issue.copy(field = name) else null
        }
    }
}
