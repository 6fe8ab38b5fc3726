package app.abhafield.android.ui.screens

import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.heightIn
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.Button
import androidx.compose.material3.LinearProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.dimensionResource
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.semantics.Role
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import app.abhafield.android.R
import app.abhafield.android.core.ui.SlipScanState
import app.abhafield.android.i18n.message
import app.abhafield.android.ui.appViewModel
import app.abhafield.android.ui.components.QrScanner
import app.abhafield.android.ui.components.ScreenHeader
import app.abhafield.android.ui.theme.CodeStyle
import app.abhafield.android.ui.viewmodels.SlipScanViewModel

/**
 * Why this exists: scanning a household slip (android/core `SlipScanModel`) to open the
 * household, or typing its code when the slip is torn or the camera is refused. A single match
 * opens at once; several (a typed code two households share) are listed; a genuine slip of a
 * household not synced here yet says so. Renders state and sends intents only.
 */
@Composable
fun SlipScanScreen(onBack: (() -> Unit)?, onOpenHousehold: (String) -> Unit) {
    val vm = appViewModel { SlipScanViewModel(it) }
    val state by vm.model.state.collectAsStateWithLifecycle()
    var typed by remember { mutableStateOf("") }
    val open = (state as? SlipScanState.Found)?.openId
    LaunchedEffect(open) { open?.let(onOpenHousehold) }

    Column(Modifier.fillMaxSize().padding(horizontal = dimensionResource(R.dimen.screen_padding)).verticalScroll(rememberScrollState())) {
        ScreenHeader(stringResource(R.string.scan_slip), onBack)
        QrScanner(onCode = vm.model::scanned, hint = R.string.scan_hint_slip)
        OutlinedTextField(
            value = typed,
            onValueChange = { typed = it },
            label = { Text(stringResource(R.string.scan_type_code)) },
            singleLine = true,
            textStyle = CodeStyle,
            modifier = Modifier.fillMaxWidth(),
        )
        Button(
            onClick = { vm.model.reset(); vm.model.scanned(typed) },
            enabled = typed.isNotBlank(),
            modifier = Modifier.padding(vertical = 8.dp).heightIn(min = dimensionResource(R.dimen.touch_target)),
        ) { Text(stringResource(R.string.action_open)) }
        when (val s = state) {
            SlipScanState.Waiting -> Unit
            SlipScanState.Checking -> LinearProgressIndicator(Modifier.fillMaxWidth())
            is SlipScanState.Found -> s.matches.forEach { h ->
                Text(
                    "${h.code}  ${h.headName.orEmpty()}",
                    style = MaterialTheme.typography.titleMedium,
                    modifier = Modifier.fillMaxWidth()
                        .heightIn(min = dimensionResource(R.dimen.list_row_min_height))
                        .clickable(role = Role.Button) { onOpenHousehold(h.id) }
                        .padding(vertical = 12.dp),
                )
            }
            is SlipScanState.NotKnownYet -> Text(stringResource(R.string.scan_not_known_yet, s.code), style = MaterialTheme.typography.bodyLarge)
            is SlipScanState.Refused -> Text(message(s.key), color = MaterialTheme.colorScheme.error, style = MaterialTheme.typography.bodyLarge)
        }
    }
}
