/**
 * The household list: browse the device's households page by page, filter by village, and find
 * someone by name or by the household code printed on their card.
 *
 * A worker at a door types a name or reads a code off a card; the query is debounced and the
 * latest query always wins (an older, slower answer is dropped). A query shaped like a code
 * (`K3M9-QXD7`) goes to the code lookup, whose typo check answers with a field message instead of
 * an empty list; anything else is a name search in every script the core indexes.
 *
 * Intents are meant to be called from the thread of [scope]'s dispatcher (Main on Android).
 */
package app.abhafield.android.core.ui

import app.abhafield.android.core.i18n.FieldMessage
import app.abhafield.android.core.i18n.MessageKeys
import app.abhafield.android.core.repo.FieldRepository
import app.abhafield.core.FieldException
import app.abhafield.core.HouseholdSummaryRecord
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

/** The list screen. In browse mode [households] is paged; while [searching], it holds code hits and [members] name hits. */
data class HouseholdListState(
    val villages: List<VillageRecord> = emptyList(),
    val villageCode: UInt? = null,
    val query: String = "",
    val households: List<HouseholdSummaryRecord> = emptyList(),
    val members: List<MemberRecord> = emptyList(),
    val loading: Boolean = false,
    val loadingMore: Boolean = false,
    val endReached: Boolean = false,
    /** Message key of a failed load. */
    val error: String? = null,
    /** Problems with the query itself (a household code with a typo). */
    val queryErrors: List<FieldMessage> = emptyList(),
) {
    val searching: Boolean get() = query.isNotBlank()

    /** Nothing to show, and nothing loading or failed: show the "no households" / "no match" hint. */
    val isEmpty: Boolean get() = !loading && error == null && households.isEmpty() && members.isEmpty()

    override fun toString(): String =
        "HouseholdListState(households=${households.size}, members=${members.size}, searching=$searching, " +
            "loading=$loading, endReached=$endReached, error=$error, queryErrors=$queryErrors)"
}

/** The model of the household list screen. */
class HouseholdListModel(
    private val scope: CoroutineScope,
    private val repo: FieldRepository,
    private val pageSize: Int = 50,
    debounceMillis: Long = 300,
    delay: Delay = CoroutineDelay,
    private val searchLimit: Int = 50,
) {
    private val _state = MutableStateFlow(HouseholdListState())
    val state: StateFlow<HouseholdListState> = _state.asStateFlow()

    private val searches = Debouncer(scope, delay, debounceMillis)
    private var pageJob: Job? = null

    init {
        require(pageSize > 0) { "pageSize must be positive" }
        scope.launch {
            // The list works without the village filter; a store error shows with the first page.
            keyed({ }) { _state.update { it.copy(villages = repo.villages()) } }
        }
        refresh()
    }

    /** Reloads the first page, or re-runs the current search. */
    fun refresh() {
        if (_state.value.searching) {
            searches.run(immediate = true) { runSearch(_state.value.query) }
        } else {
            loadFirstPage()
        }
    }

    /** Loads the next page (browse mode). */
    fun loadMore() {
        val s = _state.value
        if (s.searching || s.loading || s.loadingMore || s.endReached || s.error != null) return
        _state.update { it.copy(loadingMore = true) }
        val village = s.villageCode
        val offset = s.households.size
        pageJob = scope.launch {
            keyed({ key -> _state.update { it.copy(error = key) } }, { _state.update { it.copy(loadingMore = false) } }) {
                val page = repo.households(village, pageSize, offset)
                _state.update { it.copy(households = it.households + page, endReached = page.size < pageSize) }
            }
        }
    }

    /** Sets the query; the search runs after the debounce pause. A blank query goes back to browsing. */
    fun search(query: String) {
        _state.update { it.copy(query = query) }
        if (query.isBlank()) {
            searches.cancel()
            loadFirstPage()
            return
        }
        searches.run { runSearch(query) }
    }

    /** Back to browsing. */
    fun clearSearch() = search("")

    /** Filters by village (LGD code), or shows all with null. */
    fun selectVillage(code: UInt?) {
        if (code == _state.value.villageCode) return
        _state.update { it.copy(villageCode = code) }
        refresh()
    }

    private fun loadFirstPage() {
        pageJob?.cancel()
        val village = _state.value.villageCode
        _state.update { it.copy(loading = true, loadingMore = false, error = null, queryErrors = emptyList(), members = emptyList()) }
        pageJob = scope.launch {
            keyed({ key -> _state.update { it.copy(households = emptyList(), error = key, loading = false) } }) {
                val page = repo.households(village, pageSize, 0)
                _state.update { it.copy(households = page, endReached = page.size < pageSize, loading = false) }
            }
        }
    }

    private suspend fun runSearch(query: String) {
        pageJob?.cancel()
        _state.update { it.copy(loading = true, error = null, queryErrors = emptyList()) }
        try {
            if (looksLikeCode(query)) {
                val villageId = _state.value.villageCode?.let { code -> _state.value.villages.firstOrNull { it.villageCode == code }?.id }
                val found = repo.findHousehold(query.trim())
                val shown = if (villageId == null) found else found.filter { it.villageId == villageId }
                _state.update { it.copy(households = shown, members = emptyList(), loading = false, endReached = true) }
            } else {
                val found = repo.searchMembers(query.trim(), searchLimit)
                _state.update { it.copy(households = emptyList(), members = found, loading = false, endReached = true) }
            }
        } catch (e: FieldException.Validation) {
            _state.update {
                it.copy(households = emptyList(), members = emptyList(), loading = false,
                    queryErrors = e.errors.map(MessageKeys::forIssue))
            }
        } catch (e: CancellationException) {
            throw e
        } catch (e: Throwable) {
            _state.update { it.copy(households = emptyList(), members = emptyList(), loading = false, error = MessageKeys.forThrowable(e)) }
        }
    }

    companion object {
        private val CODE_DASHED = Regex("""^[0-9A-Za-z]{4}-[0-9A-Za-z]{4}$""")
        private val CODE_PLAIN = Regex("""^[0-9A-Za-z]{8}$""")

        /** Whether [query] is a household code as printed (`K3M9-QXD7`) or typed without the dash with a digit in it. */
        fun looksLikeCode(query: String): Boolean {
            val q = query.trim()
            return CODE_DASHED.matches(q) || (CODE_PLAIN.matches(q) && q.any { it.isDigit() })
        }
    }
}
