package app.abhafield.android.ui.screens

import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.heightIn
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.filled.Add
import androidx.compose.material.icons.filled.Clear
import androidx.compose.material.icons.filled.Search
import androidx.compose.material3.ExtendedFloatingActionButton
import androidx.compose.material3.HorizontalDivider
import androidx.compose.material3.Icon
import androidx.compose.material3.IconButton
import androidx.compose.material3.LinearProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.dimensionResource
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.semantics.Role
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import app.abhafield.android.R
import app.abhafield.android.core.i18n.Formats
import app.abhafield.android.i18n.messageOr
import app.abhafield.android.i18n.rememberFormats
import app.abhafield.android.ui.LocalAppContainer
import app.abhafield.android.ui.appViewModel
import app.abhafield.android.ui.components.ErrorCard
import app.abhafield.android.ui.components.FieldMessageLines
import app.abhafield.android.ui.components.SelectField
import app.abhafield.android.ui.theme.CodeStyle
import app.abhafield.android.ui.viewmodels.HouseholdListViewModel
import app.abhafield.core.HouseholdSummaryRecord
import app.abhafield.core.MemberRecord
import app.abhafield.core.VillageRecord

/**
 * Why this exists: the household list and search (android/core `HouseholdListModel`): browse by
 * village page by page, or type a name (any script) or the code printed on a household card.
 * Renders state and sends intents only. Rows are at least 72dp tall for gloved or hurried taps.
 */
@Composable
fun HouseholdListScreen(
    selectedId: String?,
    onOpenHousehold: (String) -> Unit,
    onNewHousehold: () -> Unit,
    onScanSlip: () -> Unit,
) {
    val vm = appViewModel { HouseholdListViewModel(it) }
    val state by vm.model.state.collectAsStateWithLifecycle()
    val formats = rememberFormats()
    val pad = dimensionResource(R.dimen.screen_padding)
    val container = LocalAppContainer.current
    LaunchedEffect(Unit) { container.changes.collect { vm.model.refresh() } }

    Column(Modifier.fillMaxSize().padding(horizontal = pad)) {
        OutlinedTextField(
            value = state.query,
            onValueChange = vm.model::search,
            label = { Text(stringResource(R.string.search_hint)) },
            leadingIcon = { Icon(Icons.Filled.Search, contentDescription = null) },
            trailingIcon = {
                if (state.query.isNotEmpty()) {
                    IconButton(onClick = vm.model::clearSearch) { Icon(Icons.Filled.Clear, stringResource(R.string.action_clear)) }
                }
            },
            isError = state.queryErrors.isNotEmpty(),
            supportingText = if (state.queryErrors.isEmpty()) null else ({ FieldMessageLines(state.queryErrors, emptyList()) }),
            singleLine = true,
            modifier = Modifier.fillMaxWidth().padding(top = 12.dp),
        )
        if (state.villages.size > 1) {
            val options: List<VillageRecord?> = listOf(null) + state.villages
            SelectField(
                label = R.string.field_village,
                options = options,
                selected = state.villages.firstOrNull { it.villageCode == state.villageCode },
                optionLabel = { it?.name ?: stringResource(R.string.village_all) },
                onSelect = { vm.model.selectVillage(it?.villageCode) },
            )
        }
        if (state.loading) LinearProgressIndicator(Modifier.fillMaxWidth().padding(vertical = 4.dp))
        ErrorCard(state.error, onRetry = vm.model::refresh)

        LazyColumn(Modifier.weight(1f)) {
            if (state.isEmpty) {
                item {
                    Text(
                        stringResource(if (state.searching) R.string.search_empty else R.string.households_empty),
                        style = MaterialTheme.typography.bodyLarge,
                        modifier = Modifier.padding(vertical = 24.dp),
                    )
                }
            }
            if (state.searching && state.members.isNotEmpty()) {
                item { SectionTitle(R.string.search_people) }
                items(state.members, key = { "m:" + it.id }) { member ->
                    MemberRow(member, formats) { member.householdId?.let(onOpenHousehold) }
                }
            }
            if (state.searching && state.households.isNotEmpty()) item { SectionTitle(R.string.search_households) }
            items(state.households, key = { "h:" + it.id }) { household ->
                HouseholdRow(household, formats, selected = household.id == selectedId) { onOpenHousehold(household.id) }
            }
            if (!state.searching && !state.endReached && state.households.isNotEmpty()) {
                item {
                    OutlinedButton(
                        onClick = vm.model::loadMore,
                        enabled = !state.loadingMore,
                        modifier = Modifier.fillMaxWidth().heightIn(min = dimensionResource(R.dimen.touch_target)).padding(vertical = 8.dp),
                    ) { Text(stringResource(if (state.loadingMore) R.string.loading else R.string.action_load_more)) }
                }
            }
        }
        OutlinedButton(
            onClick = onScanSlip,
            modifier = Modifier.align(Alignment.End).padding(top = 8.dp).heightIn(min = dimensionResource(R.dimen.touch_target)),
        ) { Text(stringResource(R.string.scan_slip)) }
        ExtendedFloatingActionButton(
            onClick = onNewHousehold,
            icon = { Icon(Icons.Filled.Add, contentDescription = null) },
            text = { Text(stringResource(R.string.action_new_household)) },
            modifier = Modifier.align(Alignment.End).padding(vertical = 16.dp).heightIn(min = dimensionResource(R.dimen.touch_target)),
        )
    }
}

@Composable
private fun SectionTitle(label: Int) {
    Text(stringResource(label), style = MaterialTheme.typography.titleMedium, modifier = Modifier.padding(top = 16.dp, bottom = 4.dp))
}

@Composable
private fun HouseholdRow(h: HouseholdSummaryRecord, formats: Formats, selected: Boolean, onClick: () -> Unit) {
    Column(
        Modifier.fillMaxWidth()
            .heightIn(min = dimensionResource(R.dimen.list_row_min_height))
            .clickable(role = Role.Button, onClick = onClick)
            .padding(vertical = 12.dp),
        verticalArrangement = Arrangement.Center,
    ) {
        Row(verticalAlignment = Alignment.CenterVertically) {
            Text(
                h.headName ?: stringResource(R.string.household_head_unknown),
                style = MaterialTheme.typography.titleMedium,
                color = if (selected) MaterialTheme.colorScheme.primary else MaterialTheme.colorScheme.onSurface,
                modifier = Modifier.weight(1f),
            )
            Text(h.code, style = CodeStyle)
        }
        h.address?.let { Text(it, style = MaterialTheme.typography.bodyMedium) }
        Text(stringResource(R.string.household_members, formats.count(h.memberCount)), style = MaterialTheme.typography.bodyMedium)
    }
    HorizontalDivider()
}

@Composable
private fun MemberRow(m: MemberRecord, formats: Formats, onClick: () -> Unit) {
    Column(
        Modifier.fillMaxWidth()
            .heightIn(min = dimensionResource(R.dimen.list_row_min_height))
            .clickable(role = Role.Button, onClick = onClick)
            .padding(vertical = 12.dp),
        verticalArrangement = Arrangement.Center,
    ) {
        Text(memberName(m), style = MaterialTheme.typography.titleMedium)
        val details = listOfNotNull(
            m.relation?.let { relationLabel(it) },
            m.birthDate?.let { formats.birthDate(it) },
            m.gender?.let { genderLabel(it) },
        )
        if (details.isNotEmpty()) Text(details.joinToString(" · "), style = MaterialTheme.typography.bodyMedium)
    }
    HorizontalDivider()
}

/** A member's name as written (given, middle, family). */
fun memberName(m: MemberRecord): String =
    listOfNotNull(m.givenName, m.middleName, m.familyName).filter { it.isNotBlank() }.joinToString(" ")

/** The label of a relation code (`son_in_law`), or the code's fallback. */
@Composable
fun relationLabel(code: String): String = messageOr("relation_$code", code)

/** The label of a gender code. */
@Composable
fun genderLabel(code: String): String = when (code.uppercase()) {
    "F" -> stringResource(R.string.gender_f)
    "M" -> stringResource(R.string.gender_m)
    else -> stringResource(R.string.gender_o)
}
