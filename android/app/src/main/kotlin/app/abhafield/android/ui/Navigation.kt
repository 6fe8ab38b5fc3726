package app.abhafield.android.ui

import androidx.compose.runtime.mutableStateListOf
import androidx.lifecycle.ViewModel
import androidx.lifecycle.ViewModelStore
import androidx.lifecycle.ViewModelStoreOwner
import app.abhafield.core.EnrollmentRoute
import app.abhafield.core.MemberRecord
import app.abhafield.core.SharedProfileRecord

/**
 * Why this exists: the app's navigation, small enough not to need navigation-compose.
 *
 * A back stack of [Destination]s lives in [NavViewModel] (it survives rotation). Each entry gets
 * its own ViewModelStore, so a screen's ViewModel (and the android/core model it holds, with any
 * half-typed form) lives exactly as long as the entry: popping a form discards it, including any
 * Aadhaar digits typed. Destinations carry ids, not names; the one that carries a member record
 * hides it from `toString`.
 */
sealed interface Destination {
    /** The three top-level sections (the navigation rail). */
    sealed interface Section : Destination

    data object Households : Section
    data object Sync : Section
    data object Supervisor : Section

    data class Household(val id: String) : Destination
    data object NewHousehold : Destination
    data object ScanSlip : Destination
    data class AddMember(val householdId: String) : Destination

    /** The camp's Scan and Share queue, to add one of its people to [householdId]. */
    data class SharedProfiles(val householdId: String) : Destination

    /** A new member of [householdId] pre-filled from a shared profile, accepted once saved. */
    data class AddSharedMember(val householdId: String, val profile: SharedProfileRecord) : Destination {
        override fun toString(): String = "AddSharedMember(<profile>)"
    }

    data class EditMember(val member: MemberRecord) : Destination {
        override fun toString(): String = "EditMember(<member>)"
    }

    data class Consent(val memberId: String, val guardianRequired: Boolean, val member: MemberRecord?, val route: EnrollmentRoute) : Destination {
        override fun toString(): String = "Consent(<member>)"
    }

    /** [consentId] is set when arriving straight from a recorded consent. */
    data class Enrollment(val memberId: String, val consentId: String?, val member: MemberRecord?, val route: EnrollmentRoute) : Destination {
        override fun toString(): String = "Enrollment(<member>)"
    }
}

/** One back-stack entry: a destination and the id its ViewModelStore is kept under. */
data class Entry(val id: Long, val destination: Destination)

/** The back stack and the per-entry ViewModel stores. */
class NavViewModel : ViewModel() {
    private var nextId = 1L
    private val owners = HashMap<Long, ViewModelStoreOwner>()

    /** Bottom first; the first entry is always a [Destination.Section]. */
    val stack = mutableStateListOf(Entry(0, Destination.Households))

    val top: Entry get() = stack.last()
    val section: Destination.Section get() = stack.first().destination as Destination.Section

    fun push(destination: Destination) {
        stack.add(Entry(nextId++, destination))
    }

    /** Replaces the top entry (consent recorded → its enrolment screen, not back to consent). */
    fun replaceTop(destination: Destination) {
        if (stack.size > 1) drop(stack.removeAt(stack.lastIndex))
        push(destination)
    }

    /** Goes back one step; returns false at a section root. */
    fun pop(): Boolean {
        if (stack.size <= 1) return false
        drop(stack.removeAt(stack.lastIndex))
        return true
    }

    /** Pops back to the section root (e.g. to show the list beside a new detail in two panes). */
    fun popToRoot() {
        while (stack.size > 1) drop(stack.removeAt(stack.lastIndex))
    }

    /** Switches section: the other section's stack is dropped. */
    fun selectSection(section: Destination.Section) {
        if (section == this.section && stack.size == 1) return
        while (stack.isNotEmpty()) drop(stack.removeAt(stack.lastIndex))
        stack.add(Entry(nextId++, section))
    }

    /** Opens a detail next to the list: in two panes the detail replaces the current one. */
    fun openDetail(destination: Destination) {
        popToRoot()
        push(destination)
    }

    fun owner(entry: Entry): ViewModelStoreOwner = owners.getOrPut(entry.id) {
        val store = ViewModelStore()
        object : ViewModelStoreOwner {
            override val viewModelStore: ViewModelStore = store
        }
    }

    private fun drop(entry: Entry) {
        owners.remove(entry.id)?.viewModelStore?.clear()
    }

    override fun onCleared() {
        owners.values.forEach { it.viewModelStore.clear() }
        owners.clear()
    }
}
