package app.abhafield.android

import android.app.Application
import android.net.ConnectivityManager
import android.net.Network
import app.abhafield.android.core.i18n.MessageKeys
import app.abhafield.android.security.StoreKeyVault
import app.abhafield.android.sync.WorkManagerScheduler
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.launch

/**
 * Why this exists: opens the encrypted store once per process, off the main thread, and hands
 * the resulting [AppContainer] to the activity and to the sync worker.
 *
 * Opening is not instant (SQLCipher derives its key, migrations may run) and can fail in ways the
 * worker must see explained rather than crash on: a lost Keystore key, a damaged file, a store
 * from a newer app version. [startup] says which; nothing on disk is changed by a failure.
 * Logs never carry the key, a path with personal data, or any record.
 */
class AbhaFieldApp : Application() {
    /** Where the app-wide work runs: syncs (so leaving a screen never stops one) and history. */
    val appScope: CoroutineScope = CoroutineScope(SupervisorJob() + Dispatchers.Default)

    /** The state of opening the store. */
    sealed interface Startup {
        data object Opening : Startup
        data class Ready(val container: AppContainer) : Startup
        /** [messageKey] names a string resource; [keyLost] means the Keystore key is gone. */
        data class Failed(val messageKey: String, val keyLost: Boolean) : Startup
    }

    private val _startup = MutableStateFlow<Startup>(Startup.Opening)
    val startup: StateFlow<Startup> = _startup.asStateFlow()

    override fun onCreate() {
        super.onCreate()
        appScope.launch(Dispatchers.IO) { open() }
    }

    /** The container once the store is open; throws if it could not be opened. */
    suspend fun container(): AppContainer {
        return when (val s = startup.first { it !is Startup.Opening }) {
            is Startup.Ready -> s.container
            is Startup.Failed -> throw IllegalStateException("store unavailable: ${s.messageKey}")
            Startup.Opening -> error("unreachable")
        }
    }

    private suspend fun open() {
        val result = try {
            Startup.Ready(AppContainer.open(this, appScope))
        } catch (e: CancellationException) {
            throw e
        } catch (_: StoreKeyVault.KeyUnavailable) {
            Startup.Failed(MessageKeys.WRONG_KEY, keyLost = true)
        } catch (e: Throwable) {
            Startup.Failed(MessageKeys.forThrowable(e), keyLost = false)
        }
        _startup.value = result
        if (result is Startup.Ready) {
            val coordinator = result.container.coordinator
            // The periodic safety net and the coordinator's own next run.
            WorkManagerScheduler(this).ensurePeriodic()
            runCatching { coordinator.reschedule() }
            // A network coming up (e.g. the camp's Wi-Fi) is a reason to re-decide at once.
            getSystemService(ConnectivityManager::class.java)?.registerDefaultNetworkCallback(
                object : ConnectivityManager.NetworkCallback() {
                    override fun onAvailable(network: Network) {
                        appScope.launch { runCatching { coordinator.reschedule() } }
                    }
                },
            )
        }
    }

    /** The container if the store is already open (for composables that only render). */
    fun readyContainer(): AppContainer? = (startup.value as? Startup.Ready)?.container
}
