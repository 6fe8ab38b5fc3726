package app.abhafield.android.ui.components

import androidx.annotation.StringRes
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.ExperimentalLayoutApi
import androidx.compose.foundation.layout.FlowRow
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.heightIn
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.size
import androidx.compose.foundation.text.KeyboardOptions
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.automirrored.filled.ArrowBack
import androidx.compose.material.icons.filled.ArrowDropDown
import androidx.compose.material.icons.filled.Warning
import androidx.compose.material3.Button
import androidx.compose.material3.Card
import androidx.compose.material3.CardDefaults
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.DropdownMenu
import androidx.compose.material3.DropdownMenuItem
import androidx.compose.material3.FilterChip
import androidx.compose.material3.Icon
import androidx.compose.material3.IconButton
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.dimensionResource
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.unit.dp
import app.abhafield.android.R
import app.abhafield.android.core.i18n.FieldMessage
import app.abhafield.android.core.ui.DigitInput
import app.abhafield.android.i18n.message

/*
 * Why this file exists: the few building blocks every screen shares, so all of them get the same
 * large touch targets (56dp), the same inline error and warning rendering (messages from keys,
 * errors in the error colour *and* with text, warnings with an icon) and RTL-correct layout
 * (start/end paddings only, auto-mirrored back arrow).
 */

/** A screen title row with an optional back button (the arrow mirrors in Urdu). */
@Composable
fun ScreenHeader(title: String, onBack: (() -> Unit)?, actions: @Composable () -> Unit = {}) {
    Row(
        Modifier.fillMaxWidth().heightIn(min = dimensionResource(R.dimen.touch_target)).padding(vertical = 4.dp),
        verticalAlignment = Alignment.CenterVertically,
    ) {
        if (onBack != null) {
            IconButton(onClick = onBack, modifier = Modifier.size(dimensionResource(R.dimen.touch_target))) {
                Icon(Icons.AutoMirrored.Filled.ArrowBack, contentDescription = stringResource(R.string.action_back))
            }
        }
        Text(title, style = MaterialTheme.typography.titleLarge, modifier = Modifier.weight(1f).padding(horizontal = 8.dp))
        actions()
    }
}

/** A text field whose supporting text lists the field's errors and warnings (from message keys). */
@Composable
fun FormTextField(
    value: String,
    onValueChange: (String) -> Unit,
    @StringRes label: Int,
    errors: List<FieldMessage>?,
    warnings: List<FieldMessage>? = null,
    modifier: Modifier = Modifier,
    enabled: Boolean = true,
    keyboardType: KeyboardType = KeyboardType.Text,
    @StringRes help: Int? = null,
    normalizeDigits: Boolean = false,
) {
    val hasError = !errors.isNullOrEmpty()
    OutlinedTextField(
        value = value,
        // Number fields: digits typed on a Hindi or Urdu keyboard become the ASCII digits the core reads.
        onValueChange = { onValueChange(if (normalizeDigits) DigitInput.toAscii(it) else it) },
        label = { Text(stringResource(label)) },
        isError = hasError,
        enabled = enabled,
        singleLine = true,
        keyboardOptions = KeyboardOptions(keyboardType = keyboardType, autoCorrectEnabled = keyboardType == KeyboardType.Text),
        supportingText = if (hasError || !warnings.isNullOrEmpty() || help != null) {
            { FieldMessageLines(errors.orEmpty(), warnings.orEmpty(), help) }
        } else {
            null
        },
        modifier = modifier.fillMaxWidth().heightIn(min = dimensionResource(R.dimen.touch_target)),
    )
}

/** Errors (error colour), then warnings (with a warning icon), then an optional help line. */
@Composable
fun FieldMessageLines(errors: List<FieldMessage>, warnings: List<FieldMessage>, @StringRes help: Int? = null) {
    Column {
        errors.forEach { Text(message(it.key), color = MaterialTheme.colorScheme.error) }
        warnings.forEach { WarningLine(message(it.key)) }
        if (help != null && errors.isEmpty()) Text(stringResource(help))
    }
}

@Composable
fun WarningLine(text: String) {
    Row(verticalAlignment = Alignment.CenterVertically) {
        Icon(Icons.Filled.Warning, contentDescription = stringResource(R.string.warning_title), modifier = Modifier.size(18.dp))
        Text(text, modifier = Modifier.padding(start = 4.dp))
    }
}

/** A field's messages shown under a non-text control (chips, dropdowns). */
@Composable
fun FieldMessages(errors: List<FieldMessage>?, warnings: List<FieldMessage>? = null) {
    if (errors.isNullOrEmpty() && warnings.isNullOrEmpty()) return
    Box(Modifier.padding(start = 16.dp, top = 2.dp)) { FieldMessageLines(errors.orEmpty(), warnings.orEmpty()) }
}

/** A choice of a few options as chips (gender, who consents...). */
@Composable
@OptIn(ExperimentalLayoutApi::class)
fun <T> ChipChoice(options: List<T>, selected: T?, label: @Composable (T) -> String, onSelect: (T) -> Unit, enabled: Boolean = true) {
    // Wraps onto a second line on a narrow pane instead of running off screen.
    FlowRow(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
        options.forEach { option ->
            FilterChip(
                selected = option == selected,
                onClick = { onSelect(option) },
                label = { Text(label(option), modifier = Modifier.padding(vertical = 8.dp)) },
                enabled = enabled,
                modifier = Modifier.heightIn(min = dimensionResource(R.dimen.touch_target)),
            )
        }
    }
}

/** A dropdown choice shown as a large button with the current value. */
@Composable
fun <T> SelectField(
    @StringRes label: Int,
    options: List<T>,
    selected: T?,
    optionLabel: @Composable (T) -> String,
    onSelect: (T) -> Unit,
    enabled: Boolean = true,
    isError: Boolean = false,
) {
    var open by remember { mutableStateOf(false) }
    Column(Modifier.fillMaxWidth()) {
        Text(stringResource(label), style = MaterialTheme.typography.labelMedium,
            color = if (isError) MaterialTheme.colorScheme.error else MaterialTheme.colorScheme.onSurfaceVariant)
        Box {
            OutlinedButton(
                onClick = { open = true },
                enabled = enabled,
                modifier = Modifier.fillMaxWidth().heightIn(min = dimensionResource(R.dimen.touch_target)),
            ) {
                // A null option (e.g. "All villages") is a real choice and has its own label.
                @Suppress("UNCHECKED_CAST")
                val shown = if (selected != null || options.any { it == null }) optionLabel(selected as T) else "—"
                Text(shown, modifier = Modifier.weight(1f))
                Icon(Icons.Filled.ArrowDropDown, contentDescription = null)
            }
            DropdownMenu(expanded = open, onDismissRequest = { open = false }) {
                options.forEach { option ->
                    DropdownMenuItem(
                        text = { Text(optionLabel(option)) },
                        onClick = { open = false; onSelect(option) },
                        modifier = Modifier.heightIn(min = dimensionResource(R.dimen.touch_target)),
                    )
                }
            }
        }
    }
}

/** The main action of a screen: full width, 56dp, with a spinner while [busy]. */
@Composable
fun PrimaryButton(text: String, onClick: () -> Unit, enabled: Boolean = true, busy: Boolean = false, modifier: Modifier = Modifier) {
    Button(
        onClick = onClick,
        enabled = enabled && !busy,
        modifier = modifier.fillMaxWidth().heightIn(min = dimensionResource(R.dimen.touch_target)),
    ) {
        if (busy) CircularProgressIndicator(modifier = Modifier.size(24.dp), strokeWidth = 3.dp)
        else Text(text)
    }
}

/** A message key shown as a card in the error colours (null: nothing). */
@Composable
fun ErrorCard(key: String?, onRetry: (() -> Unit)? = null) {
    if (key == null) return
    Card(
        colors = CardDefaults.cardColors(containerColor = MaterialTheme.colorScheme.errorContainer),
        modifier = Modifier.fillMaxWidth().padding(vertical = 8.dp),
    ) {
        Row(Modifier.padding(16.dp), verticalAlignment = Alignment.CenterVertically) {
            Text(message(key), color = MaterialTheme.colorScheme.onErrorContainer, modifier = Modifier.weight(1f))
            if (onRetry != null) {
                OutlinedButton(onClick = onRetry, modifier = Modifier.heightIn(min = dimensionResource(R.dimen.touch_target))) {
                    Text(stringResource(R.string.action_retry))
                }
            }
        }
    }
}

/** A centred spinner for a pane that is loading. */
@Composable
fun Loading(modifier: Modifier = Modifier) {
    Box(modifier.fillMaxWidth().padding(32.dp), contentAlignment = Alignment.Center) { CircularProgressIndicator() }
}
