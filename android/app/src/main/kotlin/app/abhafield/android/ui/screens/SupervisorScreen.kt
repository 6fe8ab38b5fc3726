package app.abhafield.android.ui.screens

import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.heightIn
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.filled.Refresh
import androidx.compose.material3.Card
import androidx.compose.material3.HorizontalDivider
import androidx.compose.material3.Icon
import androidx.compose.material3.IconButton
import androidx.compose.material3.LinearProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.dimensionResource
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.semantics.Role
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import app.abhafield.android.R
import app.abhafield.android.core.i18n.Formats
import app.abhafield.android.core.i18n.MessageKeys
import app.abhafield.android.i18n.message
import app.abhafield.android.i18n.rememberFormats
import app.abhafield.android.ui.appViewModel
import app.abhafield.android.ui.components.ErrorCard
import app.abhafield.android.ui.components.ScreenHeader
import app.abhafield.android.ui.viewmodels.SupervisorViewModel
import app.abhafield.core.DeviceReport
import app.abhafield.core.EnrollmentRoute

/**
 * Why this exists: the supervisor's review (android/core `SupervisorModel`): which tablets hold
 * work not yet sent (from the hub, needs a network), which ABHA requests need a person, and which
 * members look like the same person twice (both local, shown even offline).
 */
@Composable
fun SupervisorScreen(onOpenEnrollment: (memberId: String, route: EnrollmentRoute) -> Unit, onOpenHousehold: (String) -> Unit) {
    val vm = appViewModel { SupervisorViewModel(it) }
    val model = vm.model
    val state by model.state.collectAsStateWithLifecycle()
    val formats = rememberFormats()
    val rowMin = dimensionResource(R.dimen.list_row_min_height)

    Column(Modifier.fillMaxSize().padding(horizontal = dimensionResource(R.dimen.screen_padding))) {
        ScreenHeader(stringResource(R.string.supervisor_title), onBack = null, actions = {
            IconButton(onClick = model::refresh) { Icon(Icons.Filled.Refresh, stringResource(R.string.action_refresh)) }
        })
        if (state.loading) LinearProgressIndicator(Modifier.fillMaxWidth())
        LazyColumn(Modifier.weight(1f), verticalArrangement = Arrangement.spacedBy(8.dp)) {
            item { Section(R.string.supervisor_devices) }
            state.hubError?.let { key -> item { Text(stringResource(R.string.supervisor_hub_problem, message(key)), color = MaterialTheme.colorScheme.error) } }
            if (state.hubError == null && !state.loadingDevices && state.devices.isEmpty()) item { Text(stringResource(R.string.supervisor_devices_none)) }
            items(state.devices, key = { "d:" + it.deviceId }) { DeviceCard(it, formats) }

            item { Section(R.string.supervisor_attention) }
            state.localError?.let { key -> item { ErrorCard(key, onRetry = model::refresh) } }
            if (state.localError == null && !state.loadingLocal && state.quarantined.isEmpty()) item { Text(stringResource(R.string.supervisor_attention_none)) }
            items(state.quarantined, key = { "q:" + it.id }) { request ->
                Column(
                    Modifier.fillMaxWidth().heightIn(min = rowMin)
                        .clickable(role = Role.Button, enabled = request.memberId != null) {
                            request.memberId?.let { onOpenEnrollment(it, routeOf(request.route)) }
                        }
                        .padding(vertical = 8.dp),
                ) {
                    Text(message(request.stateKey), style = MaterialTheme.typography.titleMedium)
                    request.reasonKey?.let { Text(message(it)) }
                    Text(message(MessageKeys.forRoute(request.route)), style = MaterialTheme.typography.bodyMedium)
                    request.createdAt?.let { Text(formats.dateTime(it), style = MaterialTheme.typography.bodyMedium) }
                }
                HorizontalDivider()
            }

            item { Section(R.string.supervisor_duplicates) }
            if (state.localError == null && !state.loadingLocal && state.duplicates.isEmpty()) item { Text(stringResource(R.string.supervisor_duplicates_none)) }
            items(state.duplicates) { group ->
                Card(Modifier.fillMaxWidth()) {
                    Column(Modifier.padding(16.dp)) {
                        Text(stringResource(R.string.duplicate_same_aadhaar), style = MaterialTheme.typography.titleMedium)
                        group.members.forEach { m ->
                            Text(
                                listOfNotNull(memberName(m), m.birthDate?.let { formats.birthDate(it) }).joinToString(" · "),
                                modifier = Modifier.fillMaxWidth().heightIn(min = dimensionResource(R.dimen.touch_target))
                                    .clickable(role = Role.Button, enabled = m.householdId != null) { m.householdId?.let(onOpenHousehold) }
                                    .padding(vertical = 12.dp),
                            )
                        }
                    }
                }
            }
        }
    }
}

@Composable
private fun Section(label: Int) {
    Text(stringResource(label), style = MaterialTheme.typography.titleLarge, modifier = Modifier.padding(top = 16.dp))
}

@Composable
private fun DeviceCard(device: DeviceReport, formats: Formats) {
    Card(Modifier.fillMaxWidth()) {
        Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(4.dp)) {
            Text(device.label?.takeIf { it.isNotBlank() } ?: stringResource(R.string.device_unnamed, device.deviceId.take(8)),
                style = MaterialTheme.typography.titleMedium)
            Text(stringResource(R.string.device_pending, formats.count(device.pendingChanges)))
            if (device.wedged > 0uL) Text(stringResource(R.string.sync_wedged, formats.count(device.wedged)), color = MaterialTheme.colorScheme.error)
            device.oldestPendingAt?.let { Text(stringResource(R.string.device_oldest, formats.dateTime(it))) }
            Text(device.lastSeenAt?.let { stringResource(R.string.device_last_seen, formats.dateTime(it)) } ?: stringResource(R.string.device_never_seen))
            if (device.revoked) Text(stringResource(R.string.device_revoked), color = MaterialTheme.colorScheme.error)
        }
    }
}

/** The route of a stored request (its code), for the enrolment screen's default. */
private fun routeOf(code: String?): EnrollmentRoute = when (code) {
    "aadhaar_otp" -> EnrollmentRoute.AADHAAR_OTP
    "link_existing" -> EnrollmentRoute.LINK_EXISTING
    else -> EnrollmentRoute.DEMO_AUTH
}
