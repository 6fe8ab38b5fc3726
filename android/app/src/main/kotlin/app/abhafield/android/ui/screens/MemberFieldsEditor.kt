@file:OptIn(ExperimentalLayoutApi::class)

package app.abhafield.android.ui.screens

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.BoxWithConstraints
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.ExperimentalLayoutApi
import androidx.compose.foundation.layout.FlowRow
import androidx.compose.foundation.layout.FlowRowScope
import androidx.compose.foundation.layout.RowScope
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.unit.dp
import app.abhafield.android.R
import app.abhafield.android.core.i18n.FieldMessage
import app.abhafield.android.core.ui.FormFields
import app.abhafield.android.core.ui.MemberFields
import app.abhafield.android.ui.components.ChipChoice
import app.abhafield.android.ui.components.FieldMessages
import app.abhafield.android.ui.components.FormTextField
import app.abhafield.android.ui.components.SelectField
import app.abhafield.android.ui.theme.CodeStyle

/** Relation codes in the order a worker asks them (the core's `Relation` codes). */
val RELATIONS = listOf(
    "head", "spouse", "son", "daughter", "father", "mother", "brother", "sister",
    "son_in_law", "daughter_in_law", "grandchild", "grandparent", "other_relative", "unrelated",
)

/** Gender codes the core accepts. */
val GENDERS = listOf("F", "M", "O")

/**
 * Why this exists: the member fields, shared by the household form (one per member, field names
 * `members[i].x`), the member form and the correction of an ABHA request (unprefixed names), so
 * each field, keyboard and inline message looks the same everywhere.
 *
 * [messagesOf] returns the errors and warnings of a field by its *unprefixed* core name; the
 * caller adds any prefix. [edit] takes a change (`{ it.copy(givenName = v) }`), exactly what the
 * android/core models' intents take. Aadhaar digits are typed with a password-type number
 * keyboard (no suggestions, nothing learnt by the keyboard) and disappear after saving; only
 * the masked last four remain.
 */
@Composable
fun MemberFieldsEditor(
    fields: MemberFields,
    edit: ((MemberFields) -> MemberFields) -> Unit,
    messagesOf: (String) -> Pair<List<FieldMessage>?, List<FieldMessage>?>,
    enabled: Boolean,
    showAadhaar: Boolean,
    only: Set<String>? = null,
) {
    fun shown(field: String) = only == null || field in only

    BoxWithConstraints(Modifier.fillMaxWidth()) {
        val twoColumns = maxWidth >= 560.dp
        Column(verticalArrangement = Arrangement.spacedBy(8.dp)) {
            FieldPair(twoColumns) {
                if (shown(FormFields.GIVEN_NAME)) MemberTextField(FormFields.GIVEN_NAME, fields.givenName, R.string.field_given_name, messagesOf, enabled) { v -> edit { it.copy(givenName = v) } }
                if (shown(FormFields.MIDDLE_NAME)) MemberTextField(FormFields.MIDDLE_NAME, fields.middleName, R.string.field_middle_name, messagesOf, enabled) { v -> edit { it.copy(middleName = v) } }
            }
            FieldPair(twoColumns) {
                if (shown(FormFields.FAMILY_NAME)) MemberTextField(FormFields.FAMILY_NAME, fields.familyName, R.string.field_family_name, messagesOf, enabled) { v -> edit { it.copy(familyName = v) } }
                if (shown(FormFields.NAME_LATIN)) MemberTextField(FormFields.NAME_LATIN, fields.nameLatin, R.string.field_name_latin, messagesOf, enabled) { v -> edit { it.copy(nameLatin = v) } }
            }
            if (shown(FormFields.GENDER)) {
                Text(stringResource(R.string.field_gender), style = MaterialTheme.typography.labelMedium)
                ChipChoice(GENDERS, fields.gender.uppercase().ifBlank { null }, { genderLabel(it) }, { g -> edit { it.copy(gender = g) } }, enabled)
                val (e, w) = messagesOf(FormFields.GENDER)
                FieldMessages(e, w)
            }
            FieldPair(twoColumns) {
                if (shown(FormFields.BIRTH_DATE)) {
                    MemberTextField(FormFields.BIRTH_DATE, fields.birthDate, R.string.field_birth_date, messagesOf, enabled, digits = true) { v ->
                        edit { it.copy(birthDate = v) }
                    }
                }
                if (shown(FormFields.RELATION)) {
                    Column(Modifier.weight(1f)) {
                        val (e, w) = messagesOf(FormFields.RELATION)
                        SelectField(R.string.field_relation, RELATIONS, fields.relation.ifBlank { null }, { relationLabel(it) },
                            { r -> edit { it.copy(relation = r) } }, enabled, isError = !e.isNullOrEmpty())
                        FieldMessages(e, w)
                    }
                }
            }
            FieldPair(twoColumns) {
                if (shown(FormFields.MOBILE)) MemberTextField(FormFields.MOBILE, fields.mobile, R.string.field_mobile, messagesOf, enabled, KeyboardType.Phone, digits = true) { v -> edit { it.copy(mobile = v) } }
                if (showAadhaar && shown(FormFields.AADHAAR)) {
                    if (fields.aadhaar.isEmpty() && fields.aadhaarMasked != null && !enabled) {
                        Column(Modifier.weight(1f)) {
                            Text(stringResource(R.string.member_aadhaar, fields.aadhaarMasked.orEmpty()), style = CodeStyle)
                        }
                    } else {
                        MemberTextField(FormFields.AADHAAR, fields.aadhaar, R.string.field_aadhaar, messagesOf, enabled, KeyboardType.NumberPassword,
                            digits = true, help = R.string.aadhaar_help) { v -> edit { it.copy(aadhaar = v) } }
                    }
                }
            }
            FieldPair(twoColumns) {
                if (shown(FormFields.ABHA_NUMBER)) MemberTextField(FormFields.ABHA_NUMBER, fields.abhaNumber, R.string.field_abha_number, messagesOf, enabled, KeyboardType.Number, digits = true) { v -> edit { it.copy(abhaNumber = v) } }
                if (shown(FormFields.ABHA_ADDRESS)) MemberTextField(FormFields.ABHA_ADDRESS, fields.abhaAddress, R.string.field_abha_address, messagesOf, enabled, KeyboardType.Email) { v -> edit { it.copy(abhaAddress = v) } }
            }
        }
    }
}

/** Two fields side by side on a wide pane, one per line on a narrow one (weight fills the line). */
@Composable
private fun FieldPair(twoColumns: Boolean, content: @Composable FlowRowScope.() -> Unit) {
    FlowRow(
        modifier = Modifier.fillMaxWidth(),
        horizontalArrangement = Arrangement.spacedBy(16.dp),
        verticalArrangement = Arrangement.spacedBy(8.dp),
        maxItemsInEachRow = if (twoColumns) 2 else 1,
        content = content,
    )
}

@Composable
private fun RowScope.MemberTextField(
    field: String,
    value: String,
    label: Int,
    messagesOf: (String) -> Pair<List<FieldMessage>?, List<FieldMessage>?>,
    enabled: Boolean,
    keyboardType: KeyboardType = KeyboardType.Text,
    digits: Boolean = false,
    help: Int? = null,
    onChange: (String) -> Unit,
) {
    val (errors, warnings) = messagesOf(field)
    FormTextField(
        value = value,
        onValueChange = onChange,
        label = label,
        errors = errors,
        warnings = warnings,
        enabled = enabled,
        keyboardType = keyboardType,
        help = help,
        normalizeDigits = digits,
        modifier = Modifier.weight(1f),
    )
}
