/**
 * One household as the detail pane shows it: its code, address and village name, and its
 * members with what the worker does next for each.
 *
 * Why this exists: the detail pane opens the consent and ABHA screens for a member, and two
 * rules decide what those open with: whether a guardian must consent (the member is under 18)
 * and which enrolment route to suggest. They are computed here for every member
 * ([HouseholdMemberItem]), with an injected clock and zone, so the screen renders and tests
 * check. The household can disappear between loads (deleted, or merged away by a sync): that is
 * a state of its own ([HouseholdDetailState.notFound]), not a generic error. A village list that
 * cannot be read only leaves the village name out.
 *
 * Loads latest-wins: a refresh cancels a load still running, so a slow old answer never
 * overwrites a newer one. Intents are meant to be called from the thread of [scope]'s
 * dispatcher (Main on Android).
 */
package app.abhafield.android.core.ui

import app.abhafield.android.core.i18n.MessageKeys
import app.abhafield.android.core.repo.FieldRepository
import app.abhafield.android.core.sync.Clock
import app.abhafield.core.EnrollmentRoute
import app.abhafield.core.FieldException
import app.abhafield.core.HouseholdRecord
import app.abhafield.core.MemberRecord
import app.abhafield.core.VillageRecord
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import java.time.ZoneId

/** One member of the household with the rules applied at load time. */
data class HouseholdMemberItem(
    val record: MemberRecord,
    /** Whole years, or null when the birth date cannot be read. */
    val ageYears: Int?,
    /** Consent must come from a parent or guardian (`MemberRules.guardianRequired`). */
    val guardianRequired: Boolean,
    /** The route the ABHA screens start with (`MemberRules.suggestedRoute`). */
    val suggestedRoute: EnrollmentRoute,
) {
    val id: String get() = record.id

    override fun toString(): String = "HouseholdMemberItem(id=${record.id}, <redacted>)"

    companion object {
        fun of(record: MemberRecord, nowMillis: Long, zone: ZoneId): HouseholdMemberItem = HouseholdMemberItem(
            record = record,
            ageYears = MemberRules.ageYears(record.birthDate, nowMillis, zone),
            guardianRequired = MemberRules.guardianRequired(record, nowMillis, zone),
            suggestedRoute = MemberRules.suggestedRoute(record),
        )
    }
}

/** The household detail pane. */
data class HouseholdDetailState(
    val householdId: String,
    /** The last loaded household (kept while a reload runs or after a failed reload). */
    val household: HouseholdRecord? = null,
    val members: List<HouseholdMemberItem> = emptyList(),
    /** The village's name, or null if the household has none or the villages could not be read. */
    val villageName: String? = null,
    val village: VillageRecord? = null,
    val loading: Boolean = false,
    /** The household is not (or no longer) in the store; [error] is `error_not_found`. */
    val notFound: Boolean = false,
    /** Message key of the last failure. */
    val error: String? = null,
) {
    /** Nothing to show yet: first load running. */
    val initialLoading: Boolean get() = loading && household == null && !notFound

    override fun toString(): String =
        "HouseholdDetailState(loaded=${household != null}, members=${members.size}, loading=$loading, notFound=$notFound, error=$error)"
}

/** The model of the household detail pane. */
class HouseholdDetailModel(
    private val scope: CoroutineScope,
    private val repo: FieldRepository,
    householdId: String,
    private val clock: Clock = Clock.System,
    private val zone: ZoneId = ZoneId.systemDefault(),
) {
    private val _state = MutableStateFlow(HouseholdDetailState(householdId = householdId))
    val state: StateFlow<HouseholdDetailState> = _state.asStateFlow()
    private var load: Job? = null

    init {
        refresh()
    }

    /** Reloads the household, its members and its village (cancelling a load still running). */
    fun refresh() {
        load?.cancel()
        _state.update { it.copy(loading = true, error = null) }
        val job = scope.launch {
            try {
                val household = repo.household(_state.value.householdId)
                val village = household.villageId?.let { id ->
                    try {
                        repo.villages().firstOrNull { it.id == id }
                    } catch (e: CancellationException) {
                        throw e
                    } catch (_: Throwable) {
                        null // the name is a nicety; the household itself loaded
                    }
                }
                val now = clock.nowMillis()
                _state.update {
                    it.copy(
                        household = household,
                        members = household.members.map { m -> HouseholdMemberItem.of(m, now, zone) },
                        village = village,
                        villageName = village?.name,
                        notFound = false,
                        error = null,
                    )
                }
            } catch (_: FieldException.NotFound) {
                _state.update {
                    it.copy(household = null, members = emptyList(), village = null, villageName = null,
                        notFound = true, error = MessageKeys.NOT_FOUND)
                }
            } catch (e: CancellationException) {
                throw e
            } catch (e: Throwable) {
                _state.update { it.copy(error = MessageKeys.forThrowable(e)) }
            }
        }
        load = job
        // Clear the flag only for the latest load: a cancelled older one must not clear it early.
        job.invokeOnCompletion { if (load === job) _state.update { it.copy(loading = false) } }
    }
}
