package app.abhafield.android.ui

import androidx.activity.compose.BackHandler
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.BoxWithConstraints
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxHeight
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.width
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.filled.Home
import androidx.compose.material.icons.filled.Person
import androidx.compose.material.icons.filled.Refresh
import androidx.compose.material3.Icon
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.NavigationRail
import androidx.compose.material3.NavigationRailItem
import androidx.compose.material3.Text
import androidx.compose.material3.VerticalDivider
import androidx.compose.runtime.Composable
import androidx.compose.runtime.CompositionLocalProvider
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.key
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.vector.ImageVector
import androidx.compose.ui.res.dimensionResource
import androidx.compose.ui.res.stringResource
import androidx.lifecycle.ViewModel
import androidx.lifecycle.viewmodel.compose.LocalViewModelStoreOwner
import androidx.lifecycle.viewmodel.compose.viewModel
import androidx.lifecycle.viewmodel.initializer
import androidx.lifecycle.viewmodel.viewModelFactory
import app.abhafield.android.AppContainer
import app.abhafield.android.R
import app.abhafield.android.core.ui.DeviceRoles
import app.abhafield.android.ui.screens.ConsentScreen
import app.abhafield.android.ui.screens.EnrollmentScreen
import app.abhafield.android.ui.screens.HouseholdDetailScreen
import app.abhafield.android.ui.screens.HouseholdFormScreen
import app.abhafield.android.ui.screens.HouseholdListScreen
import app.abhafield.android.ui.screens.MemberFormScreen
import app.abhafield.android.ui.screens.SharedProfilesScreen
import app.abhafield.android.ui.screens.SlipScanScreen
import app.abhafield.android.ui.screens.SupervisorScreen
import app.abhafield.android.ui.screens.SyncScreen

/**
 * Why this exists: the frame around every screen and the layout decision for 8-10 inch tablets.
 *
 * - A navigation rail (Households, Sync, Supervisor on supervisor/organiser tablets), start-aligned
 *   so it sits on the right in Urdu.
 * - Wide windows (landscape tablets, >= 840dp): two panes, the household list at the start and the
 *   current detail or form at the end, so a worker going house to house never loses the list.
 * - Narrow windows (portrait): one pane showing the top of the back stack; system Back pops it.
 */
@Composable
fun AppScaffold() {
    val nav: NavViewModel = viewModel()
    val container = LocalAppContainer.current
    var supervisorTablet by remember { mutableStateOf(false) }
    LaunchedEffect(container) {
        suspend fun load() {
            supervisorTablet = runCatching { DeviceRoles.canSupervise(container.device.deviceStatus().role) }.getOrDefault(false)
        }
        load()
        container.changes.collect { load() } // e.g. just enrolled as a supervisor tablet
    }
    BackHandler(enabled = nav.stack.size > 1) { nav.pop() }

    Row(Modifier.fillMaxSize()) {
        NavigationRail {
            RailItem(nav, Destination.Households, Icons.Filled.Home, R.string.nav_households)
            RailItem(nav, Destination.Sync, Icons.Filled.Refresh, R.string.nav_sync)
            if (supervisorTablet) RailItem(nav, Destination.Supervisor, Icons.Filled.Person, R.string.nav_supervisor)
        }
        BoxWithConstraints(Modifier.weight(1f).fillMaxHeight()) {
            val twoPane = maxWidth >= dimensionResource(R.dimen.two_pane_min_width)
            if (twoPane && nav.section == Destination.Households) {
                Row(Modifier.fillMaxSize()) {
                    Box(Modifier.width(dimensionResource(R.dimen.list_pane_width)).fillMaxHeight()) {
                        EntryContent(nav.stack.first(), nav, twoPane = true)
                    }
                    VerticalDivider()
                    Box(Modifier.weight(1f).fillMaxHeight()) {
                        if (nav.stack.size > 1) {
                            EntryContent(nav.top, nav, twoPane = true)
                        } else {
                            Text(
                                stringResource(R.string.select_household_hint),
                                style = MaterialTheme.typography.bodyLarge,
                                modifier = Modifier.align(Alignment.Center).padding(dimensionResource(R.dimen.screen_padding)),
                            )
                        }
                    }
                }
            } else {
                EntryContent(nav.top, nav, twoPane = false)
            }
        }
    }
}

@Composable
private fun RailItem(nav: NavViewModel, section: Destination.Section, icon: ImageVector, label: Int) {
    NavigationRailItem(
        selected = nav.section == section,
        onClick = { nav.selectSection(section) },
        icon = { Icon(icon, contentDescription = null) },
        label = { Text(stringResource(label)) },
    )
}

/** One back-stack entry, with its own ViewModelStore. */
@Composable
private fun EntryContent(entry: Entry, nav: NavViewModel, twoPane: Boolean) {
    key(entry.id) {
        CompositionLocalProvider(LocalViewModelStoreOwner provides nav.owner(entry)) {
            // In two panes the list is never "behind" a detail, so a detail's back goes to the hint.
            val back: (() -> Unit)? = if (nav.stack.indexOf(entry) > 0) ({ nav.pop() }) else null
            val open: (Destination) -> Unit = { d -> if (twoPane && entry == nav.stack.first()) nav.openDetail(d) else nav.push(d) }
            when (val d = entry.destination) {
                Destination.Households -> HouseholdListScreen(
                    selectedId = (nav.stack.getOrNull(1)?.destination as? Destination.Household)?.id,
                    onOpenHousehold = { open(Destination.Household(it)) },
                    onNewHousehold = { open(Destination.NewHousehold) },
                    onScanSlip = { open(Destination.ScanSlip) },
                )
                Destination.Sync -> SyncScreen()
                Destination.Supervisor -> SupervisorScreen(
                    onOpenEnrollment = { memberId, route -> nav.push(Destination.Enrollment(memberId, null, null, route)) },
                    onOpenHousehold = { nav.push(Destination.Household(it)) },
                )
                is Destination.Household -> HouseholdDetailScreen(d.id, onBack = back, open = nav::push)
                Destination.NewHousehold -> HouseholdFormScreen(
                    onBack = back,
                    onOpenHousehold = { nav.replaceTop(Destination.Household(it)) },
                )
                Destination.ScanSlip -> SlipScanScreen(
                    onBack = back,
                    onOpenHousehold = { nav.replaceTop(Destination.Household(it)) },
                )
                is Destination.AddMember -> MemberFormScreen(d.householdId, existing = null, onBack = back, onDone = { nav.pop() },
                    onOpenHousehold = { nav.replaceTop(Destination.Household(it)) })
                is Destination.SharedProfiles -> SharedProfilesScreen(
                    onBack = back,
                    onPick = { p -> nav.replaceTop(Destination.AddSharedMember(d.householdId, p)) },
                )
                is Destination.AddSharedMember -> MemberFormScreen(d.householdId, existing = null, onBack = back, onDone = { nav.pop() },
                    onOpenHousehold = { nav.replaceTop(Destination.Household(it)) }, sharedProfile = d.profile)
                is Destination.EditMember -> MemberFormScreen(d.member.householdId.orEmpty(), existing = d.member, onBack = back,
                    onDone = { nav.pop() }, onOpenHousehold = { nav.replaceTop(Destination.Household(it)) })
                is Destination.Consent -> ConsentScreen(
                    memberId = d.memberId,
                    guardianRequired = d.guardianRequired,
                    onBack = back,
                    onRecorded = { consentId -> nav.replaceTop(Destination.Enrollment(d.memberId, consentId, d.member, d.route)) },
                )
                is Destination.Enrollment -> EnrollmentScreen(
                    memberId = d.memberId,
                    consentId = d.consentId,
                    member = d.member,
                    defaultRoute = d.route,
                    onBack = back,
                    onNeedConsent = { guardian -> nav.replaceTop(Destination.Consent(d.memberId, guardian, d.member, d.route)) },
                )
            }
        }
    }
}

/** A ViewModel of the current entry, built from the app's container on first use. */
@Composable
inline fun <reified VM : ViewModel> appViewModel(noinline create: (AppContainer) -> VM): VM {
    val container = LocalAppContainer.current
    return viewModel(factory = viewModelFactory { initializer { create(container) } })
}
