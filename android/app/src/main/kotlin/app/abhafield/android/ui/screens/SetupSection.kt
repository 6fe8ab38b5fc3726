package app.abhafield.android.ui.screens

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.Card
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import app.abhafield.android.R
import app.abhafield.android.ui.appViewModel
import app.abhafield.android.ui.components.ErrorCard
import app.abhafield.android.ui.components.FormTextField
import app.abhafield.android.ui.components.PrimaryButton
import app.abhafield.android.ui.viewmodels.SetupViewModel

/**
 * Why this exists: shown on the sync screen until the tablet is set up: connect it to the hub
 * with the supervisor's one-time code, and name the ASHA worker who uses it. Once both are done
 * it shrinks to one line saying which hub the tablet syncs with.
 */
@Composable
fun SetupSection() {
    val vm = appViewModel { SetupViewModel(it) }
    val state by vm.state.collectAsStateWithLifecycle()
    val status = state.status ?: return

    if (state.enrolled && state.hasOperator) {
        Text(stringResource(R.string.setup_connected, status.hubUrl.orEmpty()), style = MaterialTheme.typography.bodyMedium)
        return
    }
    Card(Modifier.fillMaxWidth()) {
        Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
            Text(stringResource(R.string.setup_title), style = MaterialTheme.typography.titleMedium)
            if (!state.enrolled) {
                Text(stringResource(R.string.setup_connect), style = MaterialTheme.typography.bodyLarge)
                FormTextField(state.code, vm::setCode, R.string.field_enrol_code, state.errors["code"], enabled = !state.busy)
                FormTextField(state.hubUrl, vm::setHubUrl, R.string.field_hub_url, state.errors["hub_url"], enabled = !state.busy,
                    keyboardType = KeyboardType.Uri)
                FormTextField(state.pin, vm::setPin, R.string.field_hub_pin, state.errors["pin"], enabled = !state.busy)
                PrimaryButton(stringResource(R.string.action_connect), onClick = vm::connect, enabled = state.code.isNotBlank(), busy = state.busy)
            } else {
                Text(stringResource(R.string.setup_connected, status.hubUrl.orEmpty()), style = MaterialTheme.typography.bodyMedium)
            }
            if (!state.hasOperator) {
                Text(stringResource(R.string.setup_operator), style = MaterialTheme.typography.bodyLarge)
                FormTextField(state.ashaId, vm::setAshaId, R.string.field_asha_id, state.errors["asha_id"], enabled = !state.busy)
                FormTextField(state.workerName, vm::setWorkerName, R.string.field_worker_name, state.errors["name"], enabled = !state.busy)
                PrimaryButton(stringResource(R.string.action_save), onClick = vm::saveOperator,
                    enabled = state.ashaId.isNotBlank() && state.workerName.isNotBlank(), busy = state.busy)
            }
            ErrorCard(state.error)
        }
    }
}
