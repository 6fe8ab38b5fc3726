package app.abhafield.android.ui.screens

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.widthIn
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.Card
import androidx.compose.material3.LinearProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.dimensionResource
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import androidx.compose.foundation.layout.heightIn
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import app.abhafield.android.R
import app.abhafield.android.core.i18n.Formats
import app.abhafield.android.i18n.message
import app.abhafield.android.i18n.rememberFormats
import app.abhafield.android.ui.appViewModel
import app.abhafield.android.ui.components.ErrorCard
import app.abhafield.android.ui.components.PrimaryButton
import app.abhafield.android.ui.components.ScreenHeader
import app.abhafield.android.ui.viewmodels.SyncViewModel
import app.abhafield.core.SyncPhase
import app.abhafield.core.SyncProgressRecord

/**
 * Why this exists: the sync screen (android/core `SyncModel`): sync now, watch the phases and
 * batches, stop it, and see in the worker's own date format and digits when the tablet last
 * synced, what is still waiting to be sent and what went wrong last time. A sync the background
 * worker started shows here too; leaving the screen never stops it.
 */
@Composable
fun SyncScreen() {
    val vm = appViewModel { SyncViewModel(it) }
    val model = vm.model
    val state by model.state.collectAsStateWithLifecycle()
    val formats = rememberFormats()

    Column(
        Modifier.fillMaxSize().padding(horizontal = dimensionResource(R.dimen.screen_padding))
            .widthIn(max = dimensionResource(R.dimen.form_max_width))
            .verticalScroll(rememberScrollState()),
        verticalArrangement = Arrangement.spacedBy(12.dp),
    ) {
        ScreenHeader(stringResource(R.string.sync_title), onBack = null)
        SetupSection()
        Card(Modifier.fillMaxWidth()) {
            Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(6.dp)) {
                val success = state.lastSuccessAt
                Text(
                    if (success != null) stringResource(R.string.sync_last_success, formats.dateTime(success)) else stringResource(R.string.sync_never),
                    style = MaterialTheme.typography.titleMedium,
                )
                state.lastAttemptAt?.takeIf { it != success }?.let {
                    Text(stringResource(R.string.sync_last_attempt, formats.dateTime(it)))
                }
                state.lastErrorKey?.let { Text(stringResource(R.string.sync_last_problem, message(it)), color = MaterialTheme.colorScheme.error) }
                Text(
                    if (state.pendingChanges > 0) stringResource(R.string.sync_pending, formats.count(state.pendingChanges))
                    else stringResource(R.string.sync_all_sent),
                )
                if (state.wedged > 0) Text(stringResource(R.string.sync_wedged, formats.count(state.wedged)), color = MaterialTheme.colorScheme.error)
                if (state.conflicts > 0) Text(stringResource(R.string.sync_conflicts, formats.count(state.conflicts)))
            }
        }
        ErrorCard(state.statusError, onRetry = model::refresh)

        if (state.running) {
            Progress(state.progress, formats)
            OutlinedButton(
                onClick = model::cancel,
                enabled = !state.cancelling,
                modifier = Modifier.fillMaxWidth().heightIn(min = dimensionResource(R.dimen.touch_target)),
            ) { Text(stringResource(if (state.cancelling) R.string.sync_stopping else R.string.action_stop_sync)) }
        } else {
            ErrorCard(state.errorKey)
            state.lastSummary?.let { summary ->
                if (state.errorKey == null) {
                    Text(stringResource(R.string.sync_done, formats.count(summary.pushedOps), formats.count(summary.pulledOps)),
                        style = MaterialTheme.typography.bodyLarge)
                }
            }
            PrimaryButton(stringResource(R.string.action_sync_now), onClick = model::syncNow)
        }
    }
}

@Composable
private fun Progress(progress: SyncProgressRecord?, formats: Formats) {
    Column(verticalArrangement = Arrangement.spacedBy(6.dp)) {
        Text(stringResource(phaseLabel(progress?.phase)), style = MaterialTheme.typography.titleMedium)
        val total = progress?.batchesTotal
        if (progress != null && total != null && total > 0u) {
            LinearProgressIndicator(
                progress = { (progress.batch.toFloat() / total.toFloat()).coerceIn(0f, 1f) },
                modifier = Modifier.fillMaxWidth(),
            )
            Text(stringResource(R.string.sync_batch, formats.count(progress.batch), formats.count(total)))
        } else {
            LinearProgressIndicator(Modifier.fillMaxWidth())
            if (progress != null && progress.batch > 0u) Text(stringResource(R.string.sync_batch_open, formats.count(progress.batch)))
        }
        if (progress != null) {
            val sent = formats.bytes(progress.bytesSent.clamped())
            val received = formats.bytes(progress.bytesReceived.clamped())
            Text(stringResource(R.string.sync_bytes, sent.number, message(sent.unitKey), received.number, message(received.unitKey)))
        }
    }
}

private fun ULong.clamped(): Long = if (this > Long.MAX_VALUE.toULong()) Long.MAX_VALUE else toLong()

private fun phaseLabel(phase: SyncPhase?): Int = when (phase) {
    null, SyncPhase.HELLO -> R.string.sync_phase_hello
    SyncPhase.PUSH -> R.string.sync_phase_push
    SyncPhase.PULL -> R.string.sync_phase_pull
    SyncPhase.DONE -> R.string.sync_phase_done
}
