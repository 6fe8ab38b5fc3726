package app.abhafield.android.ui.screens

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
import androidx.compose.material.icons.filled.Refresh
import androidx.compose.material3.Card
import androidx.compose.material3.CardDefaults
import androidx.compose.material3.Icon
import androidx.compose.material3.IconButton
import androidx.compose.material3.LinearProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.dimensionResource
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import app.abhafield.android.R
import app.abhafield.android.core.i18n.FieldMessage
import app.abhafield.android.core.i18n.Formats
import app.abhafield.android.core.i18n.MessageKeys
import app.abhafield.android.core.ui.EnrollmentItem
import app.abhafield.android.core.ui.EnrollmentModel
import app.abhafield.android.core.ui.FormFields
import app.abhafield.android.core.ui.MemberFields
import app.abhafield.android.core.ui.MemberRules
import app.abhafield.android.i18n.message
import app.abhafield.android.i18n.rememberFormats
import app.abhafield.android.ui.appViewModel
import app.abhafield.android.ui.components.ChipChoice
import app.abhafield.android.ui.components.ErrorCard
import app.abhafield.android.ui.components.PrimaryButton
import app.abhafield.android.ui.components.ScreenHeader
import app.abhafield.android.ui.theme.CodeStyle
import app.abhafield.android.ui.viewmodels.EnrollmentViewModel
import app.abhafield.core.EnrollmentRoute
import app.abhafield.core.MemberRecord
import java.time.ZoneId

/**
 * Why this exists: a member's ABHA requests and where each stands (android/core
 * `EnrollmentModel`): request one (after consent), see the state and ABDM's reason in the
 * worker's words, and correct and resend one that ABDM sent back, reading the Aadhaar number
 * from the card again. The re-typed number is kept only in this composition (never in saved
 * state) and handed straight to the model.
 */
@Composable
fun EnrollmentScreen(
    memberId: String,
    consentId: String?,
    member: MemberRecord?,
    defaultRoute: EnrollmentRoute,
    onBack: (() -> Unit)?,
    onNeedConsent: (guardianRequired: Boolean) -> Unit,
) {
    val vm = appViewModel { EnrollmentViewModel(it, memberId) }
    val model = vm.model
    val state by model.state.collectAsStateWithLifecycle()
    val formats = rememberFormats()
    var route by remember { mutableStateOf(defaultRoute) }
    var correcting by remember { mutableStateOf<String?>(null) }
    val min = dimensionResource(R.dimen.touch_target)
    val guardianRequired = member?.let { MemberRules.guardianRequired(it, System.currentTimeMillis(), ZoneId.systemDefault()) } ?: false

    Column(Modifier.fillMaxSize().padding(horizontal = dimensionResource(R.dimen.screen_padding))) {
        ScreenHeader(
            title = member?.let(::memberName)?.takeIf { it.isNotBlank() } ?: stringResource(R.string.enrollment_title),
            onBack = onBack,
            actions = { IconButton(onClick = model::refresh) { Icon(Icons.Filled.Refresh, stringResource(R.string.action_refresh)) } },
        )
        if (state.loading || state.busy) LinearProgressIndicator(Modifier.fillMaxWidth())
        ErrorCard(state.error)
        state.abhaNumber?.let { Text(stringResource(R.string.enrollment_abha_number, it), style = CodeStyle) }

        LazyColumn(Modifier.weight(1f), verticalArrangement = Arrangement.spacedBy(12.dp)) {
            if (state.requests.isEmpty() && !state.loading) {
                item { Text(stringResource(R.string.enrollment_none), style = MaterialTheme.typography.bodyLarge) }
            }
            items(state.requests.asReversed(), key = { it.id }) { item ->
                RequestCard(item, formats) { correcting = item.id }
                if (correcting == item.id && item.canRetry) {
                    CorrectionForm(model, item, member, errors = state.errors, busy = state.busy, onDone = { correcting = null })
                }
            }
            if (state.canRequest) {
                item {
                    Column(verticalArrangement = Arrangement.spacedBy(8.dp)) {
                        if (consentId == null) {
                            Text(stringResource(R.string.enrollment_needs_consent), style = MaterialTheme.typography.bodyLarge)
                            OutlinedButton(onClick = { onNeedConsent(guardianRequired) }, modifier = Modifier.fillMaxWidth().heightIn(min = min)) {
                                Text(stringResource(R.string.action_get_abha))
                            }
                        } else {
                            Text(stringResource(R.string.enrollment_route), style = MaterialTheme.typography.labelMedium)
                            ChipChoice(EnrollmentRoute.entries, route, { routeLabel(it) }, { route = it }, enabled = !state.busy)
                            PrimaryButton(stringResource(R.string.action_request_abha), onClick = { model.request(route, consentId) },
                                busy = state.busy)
                        }
                    }
                }
            }
        }
    }
}

@Composable
private fun RequestCard(item: EnrollmentItem, formats: Formats, onCorrect: () -> Unit) {
    val attention = item.state == "needs_correction" || item.state == "rejected"
    Card(
        Modifier.fillMaxWidth(),
        colors = if (attention && !item.superseded) CardDefaults.cardColors(containerColor = MaterialTheme.colorScheme.errorContainer)
        else CardDefaults.cardColors(),
    ) {
        Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(4.dp)) {
            Text(message(item.stateKey), style = MaterialTheme.typography.titleMedium)
            Text(message(MessageKeys.forRoute(item.route)), style = MaterialTheme.typography.bodyMedium)
            item.createdAt?.let { Text(stringResource(R.string.enrollment_created_at, formats.dateTime(it)), style = MaterialTheme.typography.bodyMedium) }
            item.reasonKey?.let { Text(stringResource(R.string.enrollment_reason, message(it)), style = MaterialTheme.typography.bodyLarge) }
            item.supervisorNote?.let { Text(stringResource(R.string.enrollment_supervisor_note, it), style = MaterialTheme.typography.bodyLarge) }
            item.abhaNumber?.takeIf { it.isNotBlank() }?.let { Text(stringResource(R.string.enrollment_abha_number, it), style = CodeStyle) }
            if (item.superseded) Text(stringResource(R.string.enrollment_superseded), style = MaterialTheme.typography.bodyMedium)
            if (item.canRetry) {
                OutlinedButton(onClick = onCorrect, modifier = Modifier.heightIn(min = dimensionResource(R.dimen.touch_target))) {
                    Text(stringResource(R.string.action_fix_and_retry))
                }
            }
        }
    }
}

/** Corrected name, birth date and gender, and the Aadhaar number read again (demographic routes). */
@Composable
private fun CorrectionForm(
    model: EnrollmentModel,
    item: EnrollmentItem,
    member: MemberRecord?,
    errors: Map<String, List<FieldMessage>>,
    busy: Boolean,
    onDone: () -> Unit,
) {
    val original = remember(member) { member?.let { MemberFields.of(it) } ?: MemberFields() }
    // Plain remember, not rememberSaveable: the Aadhaar digits must never reach the saved-state Bundle.
    var fields by remember(item.id) { mutableStateOf(original) }
    val needsAadhaar = item.retryNeedsAadhaar
    Card(Modifier.fillMaxWidth()) {
        Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
            if (needsAadhaar) Text(stringResource(R.string.retry_reenter_aadhaar), style = MaterialTheme.typography.titleMedium)
            MemberFieldsEditor(
                fields = fields,
                edit = { change -> fields = change(fields) },
                messagesOf = { f -> errors[f] to null },
                enabled = !busy,
                showAadhaar = needsAadhaar,
                only = EnrollmentItem.CORRECTABLE_FIELDS + if (needsAadhaar) setOf(FormFields.AADHAAR) else emptySet(),
            )
            Row(horizontalArrangement = Arrangement.spacedBy(12.dp)) {
                OutlinedButton(onClick = onDone, modifier = Modifier.heightIn(min = dimensionResource(R.dimen.touch_target))) {
                    Text(stringResource(R.string.action_cancel))
                }
                PrimaryButton(
                    stringResource(R.string.action_send),
                    // On success the request is superseded and this form leaves the screen (and with
                    // it the typed number); on a refusal it stays, with the messages.
                    onClick = { model.retry(item.id, fields.patchFrom(original), fields.aadhaar.ifBlank { null }) },
                    enabled = !needsAadhaar || fields.aadhaar.isNotBlank(),
                    busy = busy,
                )
            }
        }
    }
}

@Composable
private fun routeLabel(route: EnrollmentRoute): String = message(
    MessageKeys.forRoute(
        when (route) {
            EnrollmentRoute.DEMO_AUTH -> "demo_auth"
            EnrollmentRoute.AADHAAR_OTP -> "aadhaar_otp"
            EnrollmentRoute.LINK_EXISTING -> "link_existing"
        },
    ),
)
