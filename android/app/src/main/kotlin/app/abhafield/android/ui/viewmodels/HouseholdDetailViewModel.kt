package app.abhafield.android.ui.viewmodels

import androidx.lifecycle.ViewModel
import androidx.lifecycle.viewModelScope
import app.abhafield.android.AppContainer
import app.abhafield.android.core.i18n.MessageKeys
import app.abhafield.core.HouseholdRecord
import app.abhafield.core.VillageRecord
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch

/**
 * Why this exists: the household detail pane needs one household with its members, and
 * android/core has no screen model for it (only `FieldRepository.household(id)`). This is the
 * thinnest possible one: load, reload, and an error key. If the detail grows any behaviour, it
 * belongs in android/core as a `HouseholdDetailModel`.
 */
class HouseholdDetailViewModel(private val container: AppContainer, private val householdId: String) : ViewModel() {
    data class State(
        val household: HouseholdRecord? = null,
        val village: VillageRecord? = null,
        val loading: Boolean = true,
        val error: String? = null,
    ) {
        override fun toString(): String = "HouseholdDetail.State(loaded=${household != null}, loading=$loading, error=$error)"
    }

    /** Loaded by the screen each time it is shown (see HouseholdDetailScreen). */
    private val _state = MutableStateFlow(State())
    val state: StateFlow<State> = _state.asStateFlow()

    fun refresh() {
        _state.update { it.copy(loading = true, error = null) }
        viewModelScope.launch {
            try {
                val household = container.field.household(householdId)
                val village = runCatching { container.field.villages() }.getOrDefault(emptyList())
                    .firstOrNull { it.id == household.villageId }
                _state.update { it.copy(household = household, village = village, loading = false) }
            } catch (e: CancellationException) {
                throw e
            } catch (e: Throwable) {
                _state.update { it.copy(loading = false, error = MessageKeys.forThrowable(e)) }
            }
        }
    }
}
