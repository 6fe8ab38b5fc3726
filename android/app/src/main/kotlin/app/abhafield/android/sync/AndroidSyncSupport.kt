package app.abhafield.android.sync

import android.content.Context
import android.content.SharedPreferences
import android.net.ConnectivityManager
import app.abhafield.android.core.sync.NetworkMonitor
import app.abhafield.android.core.sync.SyncHistory
import app.abhafield.android.core.sync.SyncHistoryStore

/**
 * Why this exists: the two small platform pieces android/core's `SyncCoordinator` needs.
 *
 * [ConnectivityNetworkMonitor] says whether any network is up. It deliberately does not ask for
 * NET_CAPABILITY_VALIDATED: a camp hub is reached over a local Wi-Fi without Internet access,
 * which Android never validates.
 */
class ConnectivityNetworkMonitor(context: Context) : NetworkMonitor {
    private val connectivity = context.applicationContext.getSystemService(ConnectivityManager::class.java)

    override fun isAvailable(): Boolean {
        val cm = connectivity ?: return true // unknown: let the sync try and back off
        val network = cm.activeNetwork ?: return false
        return cm.getNetworkCapabilities(network) != null
    }
}

/**
 * [SyncHistoryStore] in private SharedPreferences, so backoff and "the hub refused this device"
 * survive process death. It holds only times and counters, nothing about people.
 */
class PrefsSyncHistoryStore(context: Context) : SyncHistoryStore {
    private val prefs = context.applicationContext.getSharedPreferences("sync_history", Context.MODE_PRIVATE)

    override fun load(): SyncHistory = SyncHistory(
        lastAttemptAt = long(KEY_LAST_ATTEMPT),
        lastSuccessAt = long(KEY_LAST_SUCCESS),
        consecutiveFailures = prefs.getInt(KEY_FAILURES, 0),
        retryAt = long(KEY_RETRY_AT),
        blocked = prefs.getBoolean(KEY_BLOCKED, false),
    )

    override fun save(history: SyncHistory) {
        prefs.edit().apply {
            putOrRemove(KEY_LAST_ATTEMPT, history.lastAttemptAt)
            putOrRemove(KEY_LAST_SUCCESS, history.lastSuccessAt)
            putInt(KEY_FAILURES, history.consecutiveFailures)
            putOrRemove(KEY_RETRY_AT, history.retryAt)
            putBoolean(KEY_BLOCKED, history.blocked)
        }.apply()
    }

    private fun long(key: String): Long? = if (prefs.contains(key)) prefs.getLong(key, 0L) else null

    private fun SharedPreferences.Editor.putOrRemove(key: String, value: Long?) {
        if (value == null) remove(key) else putLong(key, value)
    }

    private companion object {
        const val KEY_LAST_ATTEMPT = "last_attempt_at"
        const val KEY_LAST_SUCCESS = "last_success_at"
        const val KEY_FAILURES = "consecutive_failures"
        const val KEY_RETRY_AT = "retry_at"
        const val KEY_BLOCKED = "blocked"
    }
}
