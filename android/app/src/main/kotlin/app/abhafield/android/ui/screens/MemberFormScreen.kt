package app.abhafield.android.ui.screens

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.heightIn
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.AlertDialog
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.dimensionResource
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import app.abhafield.android.R
import app.abhafield.android.core.ui.FormFields
import app.abhafield.android.core.ui.MemberFormMode
import app.abhafield.android.i18n.message
import app.abhafield.android.i18n.rememberFormats
import app.abhafield.android.ui.appViewModel
import app.abhafield.android.ui.components.ErrorCard
import app.abhafield.android.ui.components.FieldMessageLines
import app.abhafield.android.ui.components.PrimaryButton
import app.abhafield.android.ui.components.QrScanner
import app.abhafield.android.ui.components.ScreenHeader
import app.abhafield.android.ui.theme.CodeStyle
import app.abhafield.android.ui.viewmodels.MemberFormViewModel
import app.abhafield.core.MemberRecord
import app.abhafield.core.SharedProfileRecord

/**
 * Why this exists: add a member to a household, or correct one (android/core `MemberFormModel`).
 * Editing sends only the changed fields; the Aadhaar number can only be given when adding (a
 * correction of it goes through the ABHA request's "correct and send again"). Removing a member
 * asks first, because the removal also reaches the hub.
 */
@Composable
fun MemberFormScreen(
    householdId: String,
    existing: MemberRecord?,
    onBack: (() -> Unit)?,
    onDone: () -> Unit,
    onOpenHousehold: (String) -> Unit,
    sharedProfile: SharedProfileRecord? = null,
) {
    val vm = appViewModel { MemberFormViewModel(it, householdId, existing, sharedProfile) }
    val model = vm.model
    val state by model.state.collectAsStateWithLifecycle()
    val formats = rememberFormats()
    var confirmDelete by remember { mutableStateOf(false) }
    var scanning by remember { mutableStateOf(false) }
    val adding = state.mode == MemberFormMode.ADD

    // Saved without warnings, or deleted: back to the household. With warnings, stay to show them.
    LaunchedEffect(state.savedMemberId, state.deleted, state.savedWarnings) {
        if (state.deleted || (state.savedMemberId != null && state.savedWarnings.isEmpty())) onDone()
    }

    Column(Modifier.fillMaxSize().padding(horizontal = dimensionResource(R.dimen.screen_padding))) {
        ScreenHeader(stringResource(if (adding) R.string.member_form_add_title else R.string.member_form_edit_title), onBack)
        ErrorCard(state.error)
        Column(Modifier.weight(1f).verticalScroll(rememberScrollState()), verticalArrangement = Arrangement.spacedBy(8.dp)) {
            if (!adding) {
                state.fields.aadhaarMasked?.let { Text(stringResource(R.string.member_aadhaar, it), style = CodeStyle) }
            }
            if (state.editable) {
                OutlinedButton(onClick = { scanning = !scanning },
                    modifier = Modifier.heightIn(min = dimensionResource(R.dimen.touch_target))) {
                    Text(stringResource(if (scanning) R.string.action_cancel else R.string.scan_abha_card))
                }
            }
            if (scanning) {
                QrScanner(onCode = { code -> scanning = false; model.applyAbhaScan(code) }, hint = R.string.scan_hint_abha)
            }
            state.scan?.let { scan ->
                scan.errorKey?.let { Text(message(it), color = MaterialTheme.colorScheme.error) }
                if (scan.filled.isNotEmpty()) {
                    val labels = scan.filled.map { fieldLabel(it) }
                    Text(stringResource(R.string.scan_filled, labels.joinToString()))
                }
                scan.existing.firstOrNull()?.let { other ->
                    Text(stringResource(R.string.scan_already_recorded), style = MaterialTheme.typography.titleMedium)
                    other.householdId?.let { hid ->
                        OutlinedButton(onClick = { onOpenHousehold(hid) },
                            modifier = Modifier.heightIn(min = dimensionResource(R.dimen.touch_target))) {
                            Text(stringResource(R.string.scan_open_member))
                        }
                    }
                }
            }
            MemberFieldsEditor(
                fields = state.fields,
                edit = model::edit,
                messagesOf = { f -> state.errors[f] to ((state.warnings[f] ?: emptyList()) + (state.scan?.messages?.get(f) ?: emptyList())) },
                enabled = state.editable,
                showAadhaar = adding,
            )
            if (state.savedMemberId != null) {
                Text(stringResource(R.string.member_saved), style = MaterialTheme.typography.titleMedium)
                FieldMessageLines(emptyList(), state.savedWarnings)
            }
        }
        Row(Modifier.fillMaxWidth().padding(vertical = 12.dp), verticalAlignment = Alignment.CenterVertically,
            horizontalArrangement = Arrangement.spacedBy(12.dp)) {
            if (!adding && state.editable) {
                OutlinedButton(onClick = { confirmDelete = true },
                    modifier = Modifier.heightIn(min = dimensionResource(R.dimen.touch_target))) {
                    Text(stringResource(R.string.action_delete), color = MaterialTheme.colorScheme.error)
                }
            }
            val status = when {
                state.saving -> stringResource(R.string.form_saving)
                state.checking -> stringResource(R.string.form_checking)
                state.errorCount > 0 -> stringResource(R.string.form_problems, formats.count(state.errorCount.toLong()))
                else -> ""
            }
            Text(status, modifier = Modifier.weight(1f),
                color = if (state.errorCount > 0) MaterialTheme.colorScheme.error else MaterialTheme.colorScheme.onSurface)
            if (state.savedMemberId != null) {
                PrimaryButton(stringResource(R.string.action_done), onClick = onDone, modifier = Modifier.weight(1f))
            } else {
                PrimaryButton(stringResource(R.string.action_save), onClick = model::save, enabled = state.editable,
                    busy = state.saving, modifier = Modifier.weight(1f))
            }
        }
    }

    if (confirmDelete) {
        AlertDialog(
            onDismissRequest = { confirmDelete = false },
            text = { Text(stringResource(R.string.confirm_delete_member)) },
            confirmButton = {
                TextButton(onClick = { confirmDelete = false; model.delete() }) {
                    Text(stringResource(R.string.action_delete), color = MaterialTheme.colorScheme.error)
                }
            },
            dismissButton = { TextButton(onClick = { confirmDelete = false }) { Text(stringResource(R.string.action_cancel)) } },
        )
    }
}

/** The form's label of a core field name (for "filled from the card: ..."). */
@Composable
private fun fieldLabel(field: String): String = stringResource(
    when (field) {
        FormFields.GIVEN_NAME -> R.string.field_given_name
        FormFields.MIDDLE_NAME -> R.string.field_middle_name
        FormFields.FAMILY_NAME -> R.string.field_family_name
        FormFields.NAME_LATIN -> R.string.field_name_latin
        FormFields.GENDER -> R.string.field_gender
        FormFields.BIRTH_DATE -> R.string.field_birth_date
        FormFields.MOBILE -> R.string.field_mobile
        FormFields.ABHA_NUMBER -> R.string.field_abha_number
        else -> R.string.field_abha_address
    },
)
