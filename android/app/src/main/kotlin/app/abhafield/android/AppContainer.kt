package app.abhafield.android

import android.content.Context
import app.abhafield.android.core.repo.BindingsDeviceRepository
import app.abhafield.android.core.repo.BindingsFieldRepository
import app.abhafield.android.core.repo.BindingsSyncRepository
import app.abhafield.android.core.repo.DeviceRepository
import app.abhafield.android.core.repo.FieldRepository
import app.abhafield.android.core.repo.SyncRepository
import app.abhafield.android.core.sync.Clock
import app.abhafield.android.core.sync.SyncCoordinator
import app.abhafield.android.core.sync.SyncOutcome
import app.abhafield.android.core.sync.SyncRunner
import app.abhafield.android.core.ui.ConsentTexts
import app.abhafield.android.i18n.ResourceConsentTexts
import app.abhafield.android.security.StoreKeyVault
import app.abhafield.android.sync.ConnectivityNetworkMonitor
import app.abhafield.android.sync.HubNetwork
import app.abhafield.android.sync.PrefsSyncHistoryStore
import app.abhafield.android.sync.WorkManagerScheduler
import app.abhafield.core.FieldStore
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.channels.BufferOverflow
import kotlinx.coroutines.flow.MutableSharedFlow
import kotlinx.coroutines.flow.SharedFlow
import kotlinx.coroutines.flow.asSharedFlow
import java.io.File

/**
 * Why this exists: the app's object graph in one place, built once the encrypted store is open.
 * Every screen model and the sync worker get their dependencies from here; nothing else in the
 * app constructs a repository, a runner or a coordinator (one [SyncRunner] per process is what
 * keeps two syncs from ever running at once).
 *
 * The store lives in `noBackupFilesDir`: it must never be restored onto another device (its key
 * is bound to this one's Keystore) and it holds health data. Every call that talks to the hub
 * (sync, the supervisor's device list, enrolment) goes through [HubNetwork], which routes it
 * over the camp Wi-Fi when mobile data would otherwise carry it.
 */
class AppContainer private constructor(
    val store: FieldStore,
    val field: FieldRepository,
    val device: DeviceRepository,
    val sync: SyncRepository,
    val runner: SyncRunner,
    val coordinator: SyncCoordinator,
    val consentTexts: ConsentTexts,
    val scheduler: WorkManagerScheduler,
    /** The process's scope, for work that must outlive the screen that started it. */
    val appScope: CoroutineScope,
) {
    private val _changes = MutableSharedFlow<Unit>(extraBufferCapacity = 1, onBufferOverflow = BufferOverflow.DROP_OLDEST)

    /** Ticks after this app wrote to the store or a sync brought news: lists reload on it. */
    val changes: SharedFlow<Unit> = _changes.asSharedFlow()

    /** Says the store changed (called by the ViewModels after a save, and after each good sync). */
    fun notifyChanged() {
        _changes.tryEmit(Unit)
    }

    companion object {
        /** The store file's name inside noBackupFilesDir. */
        private const val STORE_FILE = "field.db"
        private const val WRAPPED_KEY_FILE = "store-key.bin"

        /**
         * Opens the store (blocking: call on a background thread) and wires everything.
         * Throws [StoreKeyVault.KeyUnavailable] or `FieldException` (wrong key, corrupt, newer
         * schema); the caller shows the matching message and changes nothing on disk.
         */
        fun open(context: Context, appScope: CoroutineScope): AppContainer {
            val app = context.applicationContext
            val dir = app.noBackupFilesDir
            val dbFile = File(dir, STORE_FILE)
            val vault = StoreKeyVault(File(dir, WRAPPED_KEY_FILE))
            val key = vault.load(storeExists = dbFile.exists())
            val store = try {
                FieldStore.open(dbFile.absolutePath, key)
            } finally {
                key.fill(0) // the native side keeps its own copy; ours is wiped at once
            }
            val field = BindingsFieldRepository(store, Dispatchers.IO)
            val hubNetwork = HubNetwork(app)
            val localDevice = BindingsDeviceRepository(store, Dispatchers.IO)
            val device = HubNetwork.Device(localDevice, hubNetwork)
            val sync = HubNetwork.Sync(BindingsSyncRepository(store, Dispatchers.IO), localDevice, hubNetwork)
            val runner = SyncRunner(appScope, sync)
            val scheduler = WorkManagerScheduler(app)
            val coordinator = SyncCoordinator(
                scope = appScope,
                runner = runner,
                repo = field,
                scheduler = scheduler,
                clock = Clock.System,
                network = ConnectivityNetworkMonitor(app),
                history = PrefsSyncHistoryStore(app),
            )
            val container = AppContainer(store, field, device, sync, runner, coordinator, ResourceConsentTexts(app), scheduler, appScope)
            runner.addListener { outcome -> if (outcome is SyncOutcome.Success) container.notifyChanged() }
            return container
        }
    }
}
