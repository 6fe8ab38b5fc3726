package app.abhafield.android.ui.screens

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.ExperimentalLayoutApi
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.FlowRow
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.heightIn
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.filled.Add
import androidx.compose.material.icons.filled.Refresh
import androidx.compose.material3.Card
import androidx.compose.material3.FilledTonalButton
import androidx.compose.material3.Icon
import androidx.compose.material3.IconButton
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.dimensionResource
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import app.abhafield.android.R
import app.abhafield.android.core.i18n.Formats
import app.abhafield.android.core.ui.HouseholdMemberItem
import app.abhafield.android.i18n.rememberFormats
import app.abhafield.android.ui.Destination
import app.abhafield.android.ui.LocalAppContainer
import app.abhafield.android.ui.appViewModel
import app.abhafield.android.ui.components.ErrorCard
import app.abhafield.android.ui.components.Loading
import app.abhafield.android.ui.components.ScreenHeader
import app.abhafield.android.ui.theme.CodeStyle
import app.abhafield.android.ui.viewmodels.HouseholdDetailViewModel

/**
 * Why this exists: one household and its members, with the actions a worker takes at the door:
 * add or correct a member, take consent and request an ABHA, see a request's status. The
 * Aadhaar number is never shown, only its masked last four digits. Who must consent and which
 * route to suggest come with each member from android/core's `HouseholdDetailModel`.
 */
@Composable
fun HouseholdDetailScreen(householdId: String, onBack: (() -> Unit)?, open: (Destination) -> Unit) {
    val vm = appViewModel { HouseholdDetailViewModel(it, householdId) }
    val model = vm.model
    val state by model.state.collectAsStateWithLifecycle()
    val formats = rememberFormats()
    val pad = dimensionResource(R.dimen.screen_padding)
    val household = state.household
    val container = LocalAppContainer.current
    // Reload each time the pane is shown (back from a member form) and when the store changes; a
    // reload replaces one still running, so the first show costs no second answer.
    LaunchedEffect(Unit) {
        model.refresh()
        container.changes.collect { model.refresh() }
    }

    Column(Modifier.fillMaxSize().padding(horizontal = pad)) {
        ScreenHeader(
            title = household?.code ?: stringResource(if (state.notFound) R.string.household_code else R.string.loading),
            onBack = onBack,
            actions = {
                IconButton(onClick = model::refresh) { Icon(Icons.Filled.Refresh, stringResource(R.string.action_refresh)) }
            },
        )
        ErrorCard(state.error, onRetry = model::refresh)
        if (household == null) {
            if (state.initialLoading) Loading()
        } else LazyColumn(Modifier.weight(1f), verticalArrangement = Arrangement.spacedBy(12.dp)) {
            item {
                Column {
                    state.villageName?.let { Text(it, style = MaterialTheme.typography.titleMedium) }
                    household.address?.let { Text(it, style = MaterialTheme.typography.bodyLarge) }
                    household.pincode?.let { Text(it, style = CodeStyle) }
                    household.createdAt?.let {
                        Text(stringResource(R.string.household_added, formats.date(it)), style = MaterialTheme.typography.bodyMedium)
                    }
                }
            }
            item { Text(stringResource(R.string.members_title), style = MaterialTheme.typography.titleLarge) }
            items(state.members, key = { it.id }) { item -> MemberCard(item, formats, open) }
            item {
                FilledTonalButton(
                    onClick = { open(Destination.AddMember(household.id)) },
                    modifier = Modifier.fillMaxWidth().heightIn(min = dimensionResource(R.dimen.touch_target)),
                ) {
                    Icon(Icons.Filled.Add, contentDescription = null)
                    Text(stringResource(R.string.action_add_member), modifier = Modifier.padding(start = 8.dp))
                }
            }
            item {
                OutlinedButton(
                    onClick = { open(Destination.SharedProfiles(household.id)) },
                    modifier = Modifier.fillMaxWidth().heightIn(min = dimensionResource(R.dimen.touch_target)),
                ) { Text(stringResource(R.string.share_add_from_queue)) }
            }
        }
    }
}

@OptIn(ExperimentalLayoutApi::class)
@Composable
private fun MemberCard(item: HouseholdMemberItem, formats: Formats, open: (Destination) -> Unit) {
    val member = item.record
    Card(Modifier.fillMaxWidth()) {
        Column(Modifier.padding(16.dp)) {
            Text(memberName(member), style = MaterialTheme.typography.titleMedium)
            val details = listOfNotNull(
                member.relation?.let { relationLabel(it) },
                member.gender?.let { genderLabel(it) },
                member.birthDate?.let { formats.birthDate(it) },
                item.ageYears?.let { stringResource(R.string.member_age, formats.count(it.toLong())) },
            )
            if (details.isNotEmpty()) Text(details.joinToString(" · "), style = MaterialTheme.typography.bodyMedium)
            member.aadhaarMasked?.let { Text(stringResource(R.string.member_aadhaar, it), style = CodeStyle) }
            if (member.aadhaarSealed) Text(stringResource(R.string.member_aadhaar_sealed), style = MaterialTheme.typography.bodyMedium)
            member.abhaNumber?.takeIf { it.isNotBlank() }?.let { Text(stringResource(R.string.member_abha, it), style = CodeStyle) }
            FlowRow(horizontalArrangement = Arrangement.spacedBy(8.dp), modifier = Modifier.padding(top = 8.dp)) {
                val min = dimensionResource(R.dimen.touch_target)
                OutlinedButton(onClick = { open(Destination.EditMember(member)) }, modifier = Modifier.heightIn(min = min)) {
                    Text(stringResource(R.string.action_edit))
                }
                OutlinedButton(
                    onClick = { open(Destination.Consent(member.id, item.guardianRequired, member, item.suggestedRoute)) },
                    modifier = Modifier.heightIn(min = min),
                ) { Text(stringResource(R.string.action_get_abha)) }
                OutlinedButton(
                    onClick = { open(Destination.Enrollment(member.id, consentId = null, member, item.suggestedRoute)) },
                    modifier = Modifier.heightIn(min = min),
                ) { Text(stringResource(R.string.action_abha_status)) }
            }
        }
    }
}
