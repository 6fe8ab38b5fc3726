package app.abhafield.android.ui.screens

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.heightIn
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.selection.toggleable
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.Card
import androidx.compose.material3.CardDefaults
import androidx.compose.material3.Checkbox
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalConfiguration
import androidx.compose.ui.res.dimensionResource
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.semantics.Role
import androidx.compose.ui.text.style.TextDirection
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import app.abhafield.android.R
import app.abhafield.android.i18n.ResourceConsentTexts
import app.abhafield.android.ui.LocalAppContainer
import app.abhafield.android.ui.appViewModel
import app.abhafield.android.ui.components.ChipChoice
import app.abhafield.android.ui.components.ErrorCard
import app.abhafield.android.ui.components.FieldMessages
import app.abhafield.android.ui.components.FormTextField
import app.abhafield.android.ui.components.PrimaryButton
import app.abhafield.android.ui.components.ScreenHeader
import app.abhafield.android.ui.viewmodels.ConsentViewModel
import app.abhafield.core.ConsentGiver
import app.abhafield.core.ConsentRecordedBy

/**
 * Why this exists: consent before any ABHA request (android/core `ConsentModel`, abdm.md 6.1).
 * The worker picks the language the *person* understands (independent of the screen language),
 * reads each point aloud and ticks it when the person agrees; a guardian consents for a child.
 * What is recorded is exactly the text shown. While the bundled text is the placeholder, a
 * banner says so on every consent taken.
 */
@Composable
fun ConsentScreen(memberId: String, guardianRequired: Boolean, onBack: (() -> Unit)?, onRecorded: (String) -> Unit) {
    val uiLanguage = LocalConfiguration.current.locales[0].language
    val startLanguage = uiLanguage.takeIf { it in ResourceConsentTexts.LANGUAGES } ?: ResourceConsentTexts.LANGUAGES.first()
    val vm = appViewModel { ConsentViewModel(it, memberId, startLanguage, guardianRequired) }
    val model = vm.model
    val state by model.state.collectAsStateWithLifecycle()
    val texts = LocalAppContainer.current.consentTexts
    val placeholder = (texts as? ResourceConsentTexts)?.isPlaceholder == true
    val min = dimensionResource(R.dimen.touch_target)

    LaunchedEffect(state.consentId) { state.consentId?.let(onRecorded) }

    Column(Modifier.fillMaxSize().padding(horizontal = dimensionResource(R.dimen.screen_padding))) {
        ScreenHeader(stringResource(R.string.consent_title), onBack)
        Column(Modifier.weight(1f).verticalScroll(rememberScrollState()), verticalArrangement = Arrangement.spacedBy(12.dp)) {
            if (placeholder) {
                Card(colors = CardDefaults.cardColors(containerColor = MaterialTheme.colorScheme.tertiaryContainer)) {
                    Text(stringResource(R.string.consent_placeholder_notice), modifier = Modifier.padding(16.dp),
                        color = MaterialTheme.colorScheme.onTertiaryContainer)
                }
            }
            Text(stringResource(R.string.consent_language), style = MaterialTheme.typography.labelMedium)
            ChipChoice(state.languages, state.language, { stringResource(ResourceConsentTexts.nameRes(it)) }, model::selectLanguage,
                enabled = state.consentId == null && !state.submitting)
            if (state.versions.size > 1) {
                Text(stringResource(R.string.consent_version), style = MaterialTheme.typography.labelMedium)
                ChipChoice(state.versions, state.version, { it }, model::selectVersion)
            }
            Text(stringResource(R.string.consent_instructions), style = MaterialTheme.typography.bodyLarge)

            // The points read in the chosen language, laid out in that language's direction.
            val direction = if (state.language == "ur") TextDirection.Rtl else TextDirection.Ltr
            state.points.forEachIndexed { index, point ->
                Row(
                    Modifier.fillMaxWidth().heightIn(min = min)
                        .toggleable(value = point.checked, role = Role.Checkbox, onValueChange = { model.setChecked(index, it) })
                        .padding(vertical = 8.dp),
                    verticalAlignment = Alignment.CenterVertically,
                ) {
                    Checkbox(checked = point.checked, onCheckedChange = null)
                    Text(point.text, style = MaterialTheme.typography.bodyLarge.copy(textDirection = direction),
                        modifier = Modifier.padding(start = 12.dp).weight(1f))
                }
            }
            if (state.points.isNotEmpty() && !state.allChecked) {
                Text(stringResource(R.string.consent_all_points), color = MaterialTheme.colorScheme.onSurfaceVariant)
            }

            Text(stringResource(R.string.consent_given_by), style = MaterialTheme.typography.labelMedium)
            val givers = if (state.guardianRequired) listOf(ConsentGiver.GUARDIAN) else ConsentGiver.entries
            ChipChoice(givers, state.givenBy, { giverLabel(it) }, model::setGivenBy)
            if (state.givenBy == ConsentGiver.GUARDIAN) {
                FormTextField(state.guardianName, model::setGuardianName, R.string.field_guardian_name,
                    state.errors[GUARDIAN_NAME], enabled = state.consentId == null)
            }
            Text(stringResource(R.string.consent_method), style = MaterialTheme.typography.labelMedium)
            ChipChoice(ConsentRecordedBy.entries, state.method, { methodLabel(it) }, model::setMethod)
            // Other refusals of the record (version, language, operator): shown together.
            FieldMessages(state.errors.filterKeys { it != GUARDIAN_NAME }.values.flatten(), null)
            ErrorCard(state.error)
        }
        PrimaryButton(
            stringResource(R.string.action_record_consent),
            onClick = model::submit,
            enabled = state.canSubmit,
            busy = state.submitting,
            modifier = Modifier.padding(vertical = 12.dp),
        )
    }
}

/** The core's field name of the guardian's name in a consent. */
private const val GUARDIAN_NAME = "guardian_name"

@Composable
private fun giverLabel(giver: ConsentGiver): String = stringResource(
    when (giver) {
        ConsentGiver.BENEFICIARY -> R.string.given_by_beneficiary
        ConsentGiver.GUARDIAN -> R.string.given_by_guardian
    },
)

@Composable
private fun methodLabel(method: ConsentRecordedBy): String = stringResource(
    when (method) {
        ConsentRecordedBy.CHECKBOX -> R.string.method_checkbox
        ConsentRecordedBy.THUMBPRINT -> R.string.method_thumbprint
        ConsentRecordedBy.SIGNATURE -> R.string.method_signature
        ConsentRecordedBy.VERBAL -> R.string.method_verbal
    },
)
