package app.abhafield.android.ui.viewmodels

import androidx.lifecycle.ViewModel
import androidx.lifecycle.viewModelScope
import app.abhafield.android.AppContainer
import app.abhafield.android.core.ui.ConsentModel
import app.abhafield.android.core.ui.EnrollmentModel
import app.abhafield.android.core.ui.HouseholdDetailModel
import app.abhafield.android.core.ui.HouseholdFormModel
import app.abhafield.android.core.ui.HouseholdListModel
import app.abhafield.android.core.ui.MemberFormModel
import app.abhafield.android.core.ui.SetupModel
import app.abhafield.android.core.ui.SharedProfilesModel
import app.abhafield.android.core.ui.SlipScanModel
import app.abhafield.android.core.ui.SupervisorModel
import app.abhafield.android.core.ui.SyncModel
import app.abhafield.core.MemberRecord
import app.abhafield.core.SharedProfileRecord
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.distinctUntilChanged
import kotlinx.coroutines.flow.filter
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.flow.map
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext

/*
 * Why this file exists: the AndroidX ViewModels. Each only holds an android/core screen model
 * built with viewModelScope (so it survives rotation and is cancelled with its screen) and, where
 * the screen writes to the store, tells the sync coordinator afterwards so the new work is sent
 * soon (the policy decides when). No logic of its own: the one other piece of glue is the set-up
 * screen's, which after an enrolment makes the coordinator forget an old refusal.
 */

/** Calls the coordinator's reschedule each time [changed] turns true. */
private fun ViewModel.rescheduleOn(container: AppContainer, changed: Flow<Boolean>) {
    viewModelScope.launch {
        changed.distinctUntilChanged().filter { it }.collect {
            container.notifyChanged()
            runCatching { container.coordinator.reschedule() }
        }
    }
}

class HouseholdListViewModel(container: AppContainer) : ViewModel() {
    val model = HouseholdListModel(viewModelScope, container.field)
}

/** The household slip scanner (reads only). */
class SlipScanViewModel(container: AppContainer) : ViewModel() {
    val model = SlipScanModel(viewModelScope, container.field)
}

/** The household detail pane (members with the consent and route rules applied in android/core). */
class HouseholdDetailViewModel(container: AppContainer, householdId: String) : ViewModel() {
    val model = HouseholdDetailModel(viewModelScope, container.field, householdId)
}

class HouseholdFormViewModel(container: AppContainer) : ViewModel() {
    val model = HouseholdFormModel(viewModelScope, container.field)

    init {
        rescheduleOn(container, model.state.map { it.saved != null })
    }
}

/**
 * The member form; from a Scan and Share profile, pre-filled by it, and once the member is saved
 * the profile is marked accepted at the hub (a failure leaves it in the queue, to dismiss there).
 */
class MemberFormViewModel(
    container: AppContainer,
    householdId: String,
    existing: MemberRecord?,
    profile: SharedProfileRecord? = null,
) : ViewModel() {
    val model = MemberFormModel(viewModelScope, container.field, householdId, existing,
        prefill = profile?.let { SharedProfilesModel.memberFields(it) })
    // The accept runs on the app's scope: the form's screen closes as soon as the member is saved.
    private val queue = SharedProfilesModel(container.appScope, container.sync)

    init {
        rescheduleOn(container, model.state.map { it.savedMemberId != null || it.deleted })
        if (profile != null) {
            viewModelScope.launch {
                val saved = model.state.map { it.savedMemberId }.filter { it != null }.first()
                queue.accepted(profile.id, requireNotNull(saved))
            }
        }
    }
}

/** The camp's Scan and Share queue (fetched from the hub when the screen opens). */
class SharedProfilesViewModel(container: AppContainer) : ViewModel() {
    val model = SharedProfilesModel(viewModelScope, container.sync).also { it.refresh() }
}

class ConsentViewModel(container: AppContainer, memberId: String, language: String, guardianRequired: Boolean) : ViewModel() {
    val model = ConsentModel(viewModelScope, container.field, container.consentTexts, memberId, language, guardianRequired)

    init {
        rescheduleOn(container, model.state.map { it.consentId != null })
    }
}

class EnrollmentViewModel(container: AppContainer, memberId: String) : ViewModel() {
    val model = EnrollmentModel(viewModelScope, container.field, memberId)

    init {
        // A new request (or retry) appears in the list once stored.
        rescheduleOn(container, model.state.map { s -> !s.busy && s.error == null && s.requests.isNotEmpty() })
    }
}

class SyncViewModel(container: AppContainer) : ViewModel() {
    val model = SyncModel(viewModelScope, container.runner, container.field)
}

class SupervisorViewModel(container: AppContainer) : ViewModel() {
    val model = SupervisorModel(viewModelScope, container.field, container.sync)
}

/**
 * Enrolling the tablet and naming its operator. After a successful enrolment the coordinator
 * forgets an old refusal (`unblock()` also reschedules) and the screens reload (a supervisor
 * tablet gains the supervisor section).
 */
class SetupViewModel(container: AppContainer) : ViewModel() {
    val model = SetupModel(viewModelScope, container.device, onEnrolled = {
        withContext(Dispatchers.IO) { container.coordinator.unblock() }
        container.notifyChanged()
    })
}
