/**
 * The new-household form: a household and its members, validated as the worker types.
 *
 * The core validates the whole form at once (cross-member rules such as a single head included),
 * so each edit re-checks the form after a short pause and shows the messages of the fields the
 * worker touched; `validate()` and `save()` show every message. A save is atomic in the core;
 * here it locks the form, and on success clears every Aadhaar number from state (only the
 * masked last four stay) and makes the form read-only, so a second tap cannot save twice.
 *
 * Intents are meant to be called from the thread of [scope]'s dispatcher (Main on Android).
 */
package app.abhafield.android.core.ui

import app.abhafield.android.core.i18n.FieldMessage
import app.abhafield.android.core.i18n.MessageKeys
import app.abhafield.android.core.repo.FieldRepository
import app.abhafield.android.core.repo.HouseholdDraft
import app.abhafield.core.FieldException
import app.abhafield.core.FieldIssue
import app.abhafield.core.VillageRecord
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch

/** What a saved household is known by. */
data class SavedHouseholdInfo(
    val id: String,
    val code: String,
    val memberIds: List<String>,
    val warnings: List<FieldMessage>,
)

/** The household form. `errors`/`warnings` are keyed by the core's field names. */
data class HouseholdFormState(
    val villageCode: UInt? = null,
    val address: String = "",
    val pincode: String = "",
    val lat: Double? = null,
    val lon: Double? = null,
    val members: List<MemberFields> = emptyList(),
    val villages: List<VillageRecord> = emptyList(),
    val errors: Map<String, List<FieldMessage>> = emptyMap(),
    val warnings: Map<String, List<FieldMessage>> = emptyMap(),
    /** Errors of the whole form, shown or not yet (for "3 problems" on the save button). */
    val errorCount: Int = 0,
    val checking: Boolean = false,
    val saving: Boolean = false,
    val saved: SavedHouseholdInfo? = null,
    /** Message key of a failure that is not a field's (store unavailable, ...). */
    val error: String? = null,
) {
    /** Whether edits are accepted (not while saving, not after the save). */
    val editable: Boolean get() = !saving && saved == null

    override fun toString(): String =
        "HouseholdFormState(members=$members, errors=$errors, warnings=$warnings, errorCount=$errorCount, " +
            "checking=$checking, saving=$saving, saved=$saved, error=$error)"
}

/** The model of the new-household screen. */
class HouseholdFormModel(
    private val scope: CoroutineScope,
    private val repo: FieldRepository,
    validateDelayMillis: Long = 400,
    delay: Delay = CoroutineDelay,
) {
    private var nextUid = 1L
    private val _state = MutableStateFlow(HouseholdFormState(members = listOf(newMember(head = true))))
    val state: StateFlow<HouseholdFormState> = _state.asStateFlow()

    private val checks = Debouncer(scope, delay, validateDelayMillis)
    private var issues = FormIssues()
    private var touched: Set<String> = emptySet()
    private var showAll = false

    init {
        scope.launch {
            keyed({ key -> _state.update { it.copy(error = key) } }) {
                val villages = repo.villages()
                _state.update { s -> s.copy(villages = villages, villageCode = s.villageCode ?: villages.singleOrNull()?.villageCode) }
            }
        }
    }

    fun setVillage(code: UInt?) = edit(setOf(FormFields.VILLAGE)) { it.copy(villageCode = code) }

    fun setAddress(value: String) = edit(setOf(FormFields.ADDRESS)) { it.copy(address = value) }

    fun setPincode(value: String) = edit(setOf(FormFields.PINCODE)) { it.copy(pincode = value) }

    fun setLocation(lat: Double?, lon: Double?) = edit(setOf(FormFields.GPS)) { it.copy(lat = lat, lon = lon) }

    /** Adds an empty member row; returns its index (or -1 if the form is not editable). */
    fun addMember(): Int {
        if (!_state.value.editable) return -1
        val head = _state.value.members.none { it.relation == "head" }
        edit(emptySet()) { it.copy(members = it.members + newMember(head)) }
        return _state.value.members.lastIndex
    }

    /** Removes the member row at [index]; messages of later rows move with them. */
    fun removeMember(index: Int) {
        val s = _state.value
        if (!s.editable || index !in s.members.indices) return
        touched = touched.mapNotNullTo(mutableSetOf()) { shifted(it, index) }
        issues = FormIssues(issues.errors.shiftOut(index), issues.warnings.shiftOut(index))
        edit(emptySet()) { it.copy(members = it.members.filterIndexed { i, _ -> i != index }) }
    }

    /** Edits the member row at [index]: `editMember(0) { it.copy(givenName = "Sita") }`. */
    fun editMember(index: Int, change: (MemberFields) -> MemberFields) {
        val s = _state.value
        if (!s.editable || index !in s.members.indices) return
        val before = s.members[index]
        val after = change(before).copy(uid = before.uid)
        val fields = after.changedFrom(before).mapTo(mutableSetOf()) { FormFields.member(index, it) }
        edit(fields) { st -> st.copy(members = st.members.mapIndexed { i, m -> if (i == index) after else m }) }
    }

    /** Checks the whole form now and shows every message. */
    fun validate() {
        if (!_state.value.editable) return
        showAll = true
        publish()
        checks.run(immediate = true) { check() }
    }

    /** Saves the household; every error is shown if the core refuses the form. */
    fun save() {
        val s = _state.value
        if (!s.editable) return
        checks.cancel()
        showAll = true
        val draft = s.toDraft()
        _state.update { it.copy(saving = true, checking = false, error = null) }
        scope.launch {
            keyed(
                onError = { key -> _state.update { it.copy(error = key) } },
                always = { _state.update { it.copy(saving = false) }; publish() },
                onInvalid = { e -> issues = FormIssues(e.errors, e.warnings) },
            ) {
                val saved = repo.createHousehold(draft)
                issues = FormIssues(warnings = saved.warnings)
                _state.update { st ->
                    st.copy(
                        members = st.members.map { it.withoutAadhaar() },
                        saved = SavedHouseholdInfo(saved.id, saved.code, saved.memberIds, saved.warnings.map(MessageKeys::forIssue)),
                    )
                }
            }
        }
    }

    /** Starts a new, empty household (villages and the selected village are kept). */
    fun reset() {
        checks.cancel()
        issues = FormIssues()
        touched = emptySet()
        showAll = false
        _state.update { HouseholdFormState(villages = it.villages, villageCode = it.villageCode, members = listOf(newMember(head = true))) }
    }

    private fun newMember(head: Boolean) = MemberFields(uid = nextUid++, relation = if (head) "head" else "")

    private fun edit(fields: Set<String>, change: (HouseholdFormState) -> HouseholdFormState) {
        if (!_state.value.editable) return
        touched = touched + fields
        _state.update { change(it).copy(error = null) }
        publish()
        checks.run { check() }
    }

    private suspend fun check() {
        val draft = _state.value.toDraft()
        _state.update { it.copy(checking = true) }
        keyed({ key -> _state.update { it.copy(error = key) } }, { _state.update { it.copy(checking = false) }; publish() }) {
            val result = repo.checkHousehold(draft)
            issues = FormIssues(result.errors, result.warnings)
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
        fun HouseholdFormState.toDraft() = HouseholdDraft(
            villageCode = villageCode,
            address = address,
            pincode = pincode.ifBlank { null },
            lat = lat,
            lon = lon,
            members = members.map { it.toDraft() },
        )

        /** A field name after removing member [removed]: later members move up, the removed one's go. */
        fun shifted(field: String, removed: Int): String? {
            val (i, name) = FormFields.parseMember(field) ?: return field
            return when {
                i < removed -> field
                i == removed -> null
                else -> FormFields.member(i - 1, name)
            }
        }

        fun List<FieldIssue>.shiftOut(removed: Int): List<FieldIssue> =
            mapNotNull { issue -> shifted(issue.field, removed)?.let { issue.copy(field = it) } }
    }
}
