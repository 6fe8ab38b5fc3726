package app.abhafield.android.ui

import android.os.Bundle
import android.view.WindowManager
import androidx.activity.ComponentActivity
import androidx.activity.compose.setContent
import androidx.activity.enableEdgeToEdge
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.safeDrawingPadding
import androidx.compose.foundation.layout.widthIn
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Surface
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.CompositionLocalProvider
import androidx.compose.runtime.getValue
import androidx.compose.runtime.staticCompositionLocalOf
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.dimensionResource
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import app.abhafield.android.AbhaFieldApp
import app.abhafield.android.AppContainer
import app.abhafield.android.R
import app.abhafield.android.i18n.message
import app.abhafield.android.ui.theme.AbhaFieldTheme

/** The app's object graph for composables (provided once the store is open). */
val LocalAppContainer = staticCompositionLocalOf<AppContainer> { error("no AppContainer: the store is not open") }

/**
 * Why this exists: the single activity. It waits for the encrypted store to open (a spinner),
 * explains a failure to open it in the worker's language (never crashing, never touching the
 * data), and otherwise shows [AppScaffold].
 *
 * FLAG_SECURE keeps Aadhaar numbers and health data out of screenshots and the recent-apps
 * thumbnail.
 */
class MainActivity : ComponentActivity() {
    override fun onCreate(savedInstanceState: Bundle?) {
        enableEdgeToEdge()
        super.onCreate(savedInstanceState)
        window.setFlags(WindowManager.LayoutParams.FLAG_SECURE, WindowManager.LayoutParams.FLAG_SECURE)
        val app = application as AbhaFieldApp
        setContent {
            AbhaFieldTheme {
                Surface(Modifier.fillMaxSize(), color = MaterialTheme.colorScheme.background) {
                    val startup by app.startup.collectAsStateWithLifecycle()
                    Box(Modifier.fillMaxSize().safeDrawingPadding()) {
                        when (val s = startup) {
                            AbhaFieldApp.Startup.Opening -> Opening()
                            is AbhaFieldApp.Startup.Failed -> StartupFailed(s)
                            is AbhaFieldApp.Startup.Ready ->
                                CompositionLocalProvider(LocalAppContainer provides s.container) { AppScaffold() }
                        }
                    }
                }
            }
        }
    }
}

@Composable
private fun Opening() {
    Column(Modifier.fillMaxSize(), horizontalAlignment = Alignment.CenterHorizontally) {
        Box(Modifier.weight(1f), contentAlignment = Alignment.Center) {
            Column(horizontalAlignment = Alignment.CenterHorizontally) {
                CircularProgressIndicator()
                Text(stringResource(R.string.starting), modifier = Modifier.padding(top = 16.dp))
            }
        }
    }
}

@Composable
private fun StartupFailed(failed: AbhaFieldApp.Startup.Failed) {
    Box(Modifier.fillMaxSize().padding(dimensionResource(R.dimen.screen_padding)), contentAlignment = Alignment.Center) {
        Column(Modifier.widthIn(max = 640.dp)) {
            Text(stringResource(R.string.startup_failed_title), style = MaterialTheme.typography.headlineSmall)
            Text(message(failed.messageKey), style = MaterialTheme.typography.bodyLarge, modifier = Modifier.padding(top = 16.dp))
            if (failed.keyLost) {
                Text(stringResource(R.string.startup_key_lost), style = MaterialTheme.typography.bodyLarge,
                    modifier = Modifier.padding(top = 16.dp))
            }
        }
    }
}
