package app.abhafield.android.ui.screens

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.Card
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import app.abhafield.android.R
import app.abhafield.android.core.ui.SetupModel
import app.abhafield.android.ui.appViewModel
import app.abhafield.android.ui.components.ErrorCard
import app.abhafield.android.ui.components.FormTextField
import app.abhafield.android.ui.components.PrimaryButton
import app.abhafield.android.ui.viewmodels.SetupViewModel

/**
 * Why this exists: shown on the sync screen until the tablet is set up (android/core
 * `SetupModel`): connect it to the hub with the supervisor's one-time code (or the scanned QR
 * payload), and name the ASHA worker who uses it. Once both are done it shrinks to one line
 * saying which hub the tablet syncs with. Ids typed on a Hindi or Urdu keyboard get ASCII digits.
 */
@Composable
fun SetupSection() {
    val vm = appViewModel { SetupViewModel(it) }
    val model = vm.model
    val state by model.state.collectAsStateWithLifecycle()
    if (state.status == null) {
        ErrorCard(state.error, onRetry = model::refresh)
        return
    }

    if (state.complete) {
        Text(stringResource(R.string.setup_connected, state.enrolledHubUrl.orEmpty()), style = MaterialTheme.typography.bodyMedium)
        // A revoked token or a move to another hub needs a new one-time code.
        TextButton(onClick = model::startReenrol) { Text(stringResource(R.string.action_reconnect)) }
        return
    }
    Card(Modifier.fillMaxWidth()) {
        Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
            Text(stringResource(R.string.setup_title), style = MaterialTheme.typography.titleMedium)
            if (state.showEnrolForm) {
                val errors = state.enrolErrors
                Text(stringResource(R.string.setup_connect), style = MaterialTheme.typography.bodyLarge)
                FormTextField(state.code, model::setCode, R.string.field_enrol_code, errors[SetupModel.CODE], enabled = !state.busy)
                FormTextField(state.hubUrl, model::setHubUrl, R.string.field_hub_url, errors[SetupModel.HUB_URL], enabled = !state.busy,
                    keyboardType = KeyboardType.Uri)
                FormTextField(state.pin, model::setPin, R.string.field_hub_pin, errors[SetupModel.PIN], enabled = !state.busy,
                    normalizeDigits = true)
                PrimaryButton(stringResource(R.string.action_connect), onClick = model::enrol, enabled = state.canEnrol, busy = state.busy)
                if (state.reenrolling) {
                    TextButton(onClick = model::cancelReenrol, enabled = !state.busy) { Text(stringResource(R.string.action_cancel)) }
                }
            } else {
                Text(stringResource(R.string.setup_connected, state.enrolledHubUrl.orEmpty()), style = MaterialTheme.typography.bodyMedium)
            }
            if (!state.hasOperator) {
                val errors = state.operatorErrors
                Text(stringResource(R.string.setup_operator), style = MaterialTheme.typography.bodyLarge)
                FormTextField(state.ashaId, model::setAshaId, R.string.field_asha_id, errors[SetupModel.ASHA_ID], enabled = !state.busy,
                    normalizeDigits = true)
                FormTextField(state.workerName, model::setWorkerName, R.string.field_worker_name, errors[SetupModel.NAME], enabled = !state.busy)
                FormTextField(state.hprId, model::setHprId, R.string.field_hpr_id, errors[SetupModel.HPR_ID], enabled = !state.busy,
                    keyboardType = KeyboardType.Number, normalizeDigits = true)
                PrimaryButton(stringResource(R.string.action_save), onClick = model::addOperator, enabled = state.canAddOperator, busy = state.busy)
            }
            ErrorCard(state.error)
        }
    }
}
