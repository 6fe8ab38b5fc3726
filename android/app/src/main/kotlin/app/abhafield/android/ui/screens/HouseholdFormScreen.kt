package app.abhafield.android.ui.screens

import android.Manifest
import androidx.activity.compose.rememberLauncherForActivityResult
import androidx.activity.result.contract.ActivityResultContracts
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.heightIn
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.itemsIndexed
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.filled.Add
import androidx.compose.material.icons.filled.Delete
import androidx.compose.material.icons.filled.LocationOn
import androidx.compose.material3.Card
import androidx.compose.material3.CardDefaults
import androidx.compose.material3.FilledTonalButton
import androidx.compose.material3.Icon
import androidx.compose.material3.IconButton
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalConfiguration
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.res.dimensionResource
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import app.abhafield.android.R
import app.abhafield.android.core.ui.FormFields
import app.abhafield.android.core.ui.HouseholdFormState
import app.abhafield.android.i18n.rememberFormats
import app.abhafield.android.ui.appViewModel
import app.abhafield.android.ui.components.ErrorCard
import app.abhafield.android.ui.components.FieldMessageLines
import app.abhafield.android.ui.components.FieldMessages
import app.abhafield.android.ui.components.FormTextField
import app.abhafield.android.ui.components.LocationFetcher
import app.abhafield.android.ui.components.PrimaryButton
import app.abhafield.android.ui.components.ScreenHeader
import app.abhafield.android.ui.components.SelectField
import app.abhafield.android.ui.theme.CodeStyle
import app.abhafield.android.ui.viewmodels.HouseholdFormViewModel

/**
 * Why this exists: the new-household form (android/core `HouseholdFormModel`): the household
 * and all its members in one screen, each field with its inline messages as the core reports
 * them, the number of problems left beside Save, and the printed household code after saving.
 */
@Composable
fun HouseholdFormScreen(onBack: (() -> Unit)?, onOpenHousehold: (String) -> Unit) {
    val vm = appViewModel { HouseholdFormViewModel(it) }
    val model = vm.model
    val state by model.state.collectAsStateWithLifecycle()
    val pad = dimensionResource(R.dimen.screen_padding)
    val formats = rememberFormats()

    Column(Modifier.fillMaxSize().padding(horizontal = pad)) {
        ScreenHeader(stringResource(R.string.household_form_title), onBack)
        ErrorCard(state.error)
        LazyColumn(Modifier.weight(1f), verticalArrangement = Arrangement.spacedBy(12.dp)) {
            state.saved?.let { saved ->
                item {
                    Card(colors = CardDefaults.cardColors(containerColor = MaterialTheme.colorScheme.primaryContainer)) {
                        Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
                            Text(stringResource(R.string.household_saved, saved.code), style = MaterialTheme.typography.titleMedium)
                            FieldMessageLines(emptyList(), saved.warnings)
                            Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                                val min = dimensionResource(R.dimen.touch_target)
                                FilledTonalButton(onClick = { onOpenHousehold(saved.id) }, modifier = Modifier.heightIn(min = min)) {
                                    Text(stringResource(R.string.action_open_household))
                                }
                                OutlinedButton(onClick = model::reset, modifier = Modifier.heightIn(min = min)) {
                                    Text(stringResource(R.string.action_another_household))
                                }
                            }
                        }
                    }
                }
            }
            item { HouseholdFields(state, vm) }
            itemsIndexed(state.members, key = { _, m -> m.uid }) { index, member ->
                Card(Modifier.fillMaxWidth()) {
                    Column(Modifier.padding(16.dp)) {
                        Row(verticalAlignment = Alignment.CenterVertically) {
                            Text(stringResource(R.string.member_number, formats.count(index + 1L)),
                                style = MaterialTheme.typography.titleMedium, modifier = Modifier.weight(1f))
                            if (state.members.size > 1 && state.editable) {
                                IconButton(onClick = { model.removeMember(index) }, modifier = Modifier.heightIn(min = dimensionResource(R.dimen.touch_target))) {
                                    Icon(Icons.Filled.Delete, contentDescription = stringResource(R.string.action_remove_member))
                                }
                            }
                        }
                        MemberFieldsEditor(
                            fields = member,
                            edit = { change -> model.editMember(index, change) },
                            messagesOf = { f -> state.errors[FormFields.member(index, f)] to state.warnings[FormFields.member(index, f)] },
                            enabled = state.editable,
                            showAadhaar = true,
                        )
                    }
                }
            }
            if (state.editable) {
                item {
                    OutlinedButton(onClick = { model.addMember() }, modifier = Modifier.fillMaxWidth().heightIn(min = dimensionResource(R.dimen.touch_target))) {
                        Icon(Icons.Filled.Add, contentDescription = null)
                        Text(stringResource(R.string.action_add_member), modifier = Modifier.padding(start = 8.dp))
                    }
                }
            }
        }
        if (state.saved == null) {
            Row(Modifier.fillMaxWidth().padding(vertical = 12.dp), verticalAlignment = Alignment.CenterVertically) {
                val status = when {
                    state.saving -> stringResource(R.string.form_saving)
                    state.checking -> stringResource(R.string.form_checking)
                    state.errorCount > 0 -> stringResource(R.string.form_problems, formats.count(state.errorCount.toLong()))
                    else -> ""
                }
                Text(status, modifier = Modifier.weight(1f),
                    color = if (state.errorCount > 0) MaterialTheme.colorScheme.error else MaterialTheme.colorScheme.onSurface)
                PrimaryButton(stringResource(R.string.action_save), onClick = model::save, busy = state.saving,
                    modifier = Modifier.weight(1f))
            }
        }
    }
}

/** Village, address, PIN code and GPS fix. */
@Composable
private fun HouseholdFields(state: HouseholdFormState, vm: HouseholdFormViewModel) {
    val model = vm.model
    val context = LocalContext.current
    val locale = LocalConfiguration.current.locales[0]
    var locationFailed by remember { mutableStateOf(false) }
    val take = {
        locationFailed = false
        LocationFetcher.current(context) { loc ->
            if (loc == null) {
                locationFailed = true
            } else {
                model.setLocation(loc.latitude, loc.longitude)
            }
        }
    }
    val permission = rememberLauncherForActivityResult(ActivityResultContracts.RequestMultiplePermissions()) { grants ->
        if (grants.values.any { it }) {
            take()
        } else {
            locationFailed = true
        }
    }

    Column(verticalArrangement = Arrangement.spacedBy(8.dp)) {
        SelectField(
            label = R.string.field_village,
            options = state.villages,
            selected = state.villages.firstOrNull { it.villageCode == state.villageCode },
            optionLabel = { it.name },
            onSelect = { model.setVillage(it.villageCode) },
            enabled = state.editable,
            isError = !state.errors[FormFields.VILLAGE].isNullOrEmpty(),
        )
        FieldMessages(state.errors[FormFields.VILLAGE], state.warnings[FormFields.VILLAGE])
        FormTextField(state.address, model::setAddress, R.string.field_address,
            state.errors[FormFields.ADDRESS], state.warnings[FormFields.ADDRESS], enabled = state.editable)
        FormTextField(state.pincode, model::setPincode, R.string.field_pincode,
            state.errors[FormFields.PINCODE], state.warnings[FormFields.PINCODE], enabled = state.editable,
            keyboardType = KeyboardType.Number, normalizeDigits = true)
        Row(verticalAlignment = Alignment.CenterVertically) {
            Column(Modifier.weight(1f)) {
                Text(stringResource(R.string.field_location), style = MaterialTheme.typography.labelMedium)
                val lat = state.lat
                val lon = state.lon
                Text(
                    if (lat != null && lon != null) String.format(locale, "%.5f, %.5f", lat, lon) else stringResource(R.string.location_none),
                    style = CodeStyle,
                )
            }
            OutlinedButton(
                onClick = {
                    if (LocationFetcher.hasPermission(context)) take()
                    else permission.launch(arrayOf(Manifest.permission.ACCESS_FINE_LOCATION, Manifest.permission.ACCESS_COARSE_LOCATION))
                },
                enabled = state.editable,
                modifier = Modifier.heightIn(min = dimensionResource(R.dimen.touch_target)),
            ) {
                Icon(Icons.Filled.LocationOn, contentDescription = null)
                Text(stringResource(R.string.action_take_location), modifier = Modifier.padding(start = 8.dp))
            }
        }
        if (locationFailed) Text(stringResource(R.string.location_unavailable), color = MaterialTheme.colorScheme.error)
        FieldMessages(state.errors[FormFields.GPS], state.warnings[FormFields.GPS])
    }
}
