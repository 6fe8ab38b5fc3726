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
import androidx.compose.material3.Button
import androidx.compose.material3.LinearProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.dimensionResource
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import app.abhafield.android.R
import app.abhafield.android.ui.appViewModel
import app.abhafield.android.ui.components.ErrorCard
import app.abhafield.android.ui.components.ScreenHeader
import app.abhafield.android.ui.viewmodels.SharedProfilesViewModel
import app.abhafield.core.SharedProfileRecord

/**
 * Why this exists: the camp's Scan and Share queue (android/core `SharedProfilesModel`): people
 * who scanned a counter code, by token number, each to add to the household this screen was
 * opened from ([onPick] opens the pre-filled member form) or to dismiss. Renders state only.
 */
@Composable
fun SharedProfilesScreen(onBack: (() -> Unit)?, onPick: (SharedProfileRecord) -> Unit) {
    val vm = appViewModel { SharedProfilesViewModel(it) }
    val state by vm.model.state.collectAsStateWithLifecycle()
    val min = dimensionResource(R.dimen.touch_target)
    Column(Modifier.fillMaxSize().padding(horizontal = dimensionResource(R.dimen.screen_padding))) {
        ScreenHeader(stringResource(R.string.share_queue_title), onBack)
        if (state.loading) LinearProgressIndicator(Modifier.fillMaxWidth())
        ErrorCard(state.error, onRetry = vm.model::refresh)
        if (!state.loading && state.profiles.isEmpty()) {
            Text(stringResource(R.string.share_queue_empty), style = MaterialTheme.typography.bodyLarge, modifier = Modifier.padding(vertical = 24.dp))
        }
        LazyColumn(Modifier.weight(1f), verticalArrangement = Arrangement.spacedBy(12.dp)) {
            items(state.profiles, key = { it.id }) { p ->
                Column(Modifier.fillMaxWidth().padding(vertical = 8.dp)) {
                    Text(stringResource(R.string.share_token, p.token, p.counter), style = MaterialTheme.typography.headlineSmall)
                    Text(p.givenName, style = MaterialTheme.typography.titleMedium)
                    Text(listOfNotNull(p.gender, p.birthDate, p.abhaAddress).joinToString("  "), style = MaterialTheme.typography.bodyMedium)
                    Row(horizontalArrangement = Arrangement.spacedBy(12.dp), verticalAlignment = Alignment.CenterVertically) {
                        Button(onClick = { onPick(p) }, enabled = p.id !in state.handling, modifier = Modifier.heightIn(min = min)) {
                            Text(stringResource(R.string.share_add_to_household))
                        }
                        OutlinedButton(onClick = { vm.model.dismiss(p.id) }, enabled = p.id !in state.handling, modifier = Modifier.heightIn(min = min)) {
                            Text(stringResource(R.string.share_dismiss))
                        }
                    }
                }
            }
        }
    }
}
