package app.abhafield.android.sync

import android.content.Context
import android.net.NetworkCapabilities
import android.net.NetworkRequest
import androidx.work.BackoffPolicy
import androidx.work.Constraints
import androidx.work.ExistingPeriodicWorkPolicy
import androidx.work.ExistingWorkPolicy
import androidx.work.NetworkType
import androidx.work.OneTimeWorkRequestBuilder
import androidx.work.PeriodicWorkRequestBuilder
import androidx.work.WorkManager
import app.abhafield.android.core.sync.Scheduler
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicInteger

/**
 * Why this exists: android/core's [Scheduler] (what `SyncCoordinator` calls after every
 * decision) on WorkManager, so a sync the policy wants later happens even if the app is closed or
 * the tablet restarts.
 *
 * - One unique one-time request, [ONE_TIME], carries the coordinator's next run (its delay and
 *   whether it needs a network). A new decision replaces the pending one (REPLACE): the policy
 *   always knows best, e.g. "sync in 60 s" after a save overrides "pull in 30 min".
 *   The coordinator also reschedules from *inside* the running worker; REPLACE there would
 *   cancel the very worker that asked, so while the one-time worker runs, the next request is
 *   appended after it (APPEND_OR_REPLACE) instead.
 * - One unique periodic request, [PERIODIC] (KEEP), hourly: a safety net that lets the
 *   coordinator re-decide if no one-time request is pending (e.g. the device was enrolled while
 *   no sync was scheduled). Its runs are cheap when nothing is due.
 * - Backoff of failed syncs is the coordinator's (jittered, capped, see SyncPolicy); WorkManager's
 *   exponential backoff only applies when the worker itself fails unexpectedly (Result.retry()).
 *
 * Network constraint: WorkManager's `NetworkType.CONNECTED` means *validated* Internet access on
 * API 26+, which a camp hub's offline Wi-Fi never has, so the work would wait forever at exactly
 * the place it matters. On API 28+ the work asks for any connected network (a NetworkRequest
 * without the Internet capability); on 26-27 it has no network constraint and the coordinator's
 * own network check plus backoff keep it from spinning.
 */
class WorkManagerScheduler(context: Context) : Scheduler {
    private val app = context.applicationContext
    private val workManager: WorkManager get() = WorkManager.getInstance(app)

    override fun schedule(delayMillis: Long, requiresNetwork: Boolean) {
        val request = OneTimeWorkRequestBuilder<SyncWorker>()
            .setInitialDelay(delayMillis.coerceAtLeast(0L), TimeUnit.MILLISECONDS)
            .setConstraints(constraints(requiresNetwork))
            .setBackoffCriteria(BackoffPolicy.EXPONENTIAL, BACKOFF_SECONDS, TimeUnit.SECONDS)
            .addTag(TAG_ONE_TIME)
            .build()
        val policy = if (oneTimeRunning.get() > 0) ExistingWorkPolicy.APPEND_OR_REPLACE else ExistingWorkPolicy.REPLACE
        workManager.enqueueUniqueWork(ONE_TIME, policy, request)
    }

    override fun cancel() {
        workManager.cancelUniqueWork(ONE_TIME)
    }

    /** Enqueues the hourly safety net once (KEEP: an existing one keeps its schedule). */
    fun ensurePeriodic() {
        val request = PeriodicWorkRequestBuilder<SyncWorker>(1, TimeUnit.HOURS)
            .setConstraints(constraints(requiresNetwork = true))
            .setBackoffCriteria(BackoffPolicy.EXPONENTIAL, BACKOFF_SECONDS, TimeUnit.SECONDS)
            .build()
        workManager.enqueueUniquePeriodicWork(PERIODIC, ExistingPeriodicWorkPolicy.KEEP, request)
    }

    private fun constraints(requiresNetwork: Boolean): Constraints {
        val builder = Constraints.Builder()
        if (requiresNetwork) {
            // Any connected network, validated or not (a camp LAN has no Internet). Ignored below
            // API 28, where NOT_REQUIRED applies (CONNECTED would demand validation there too).
            val anyNetwork = NetworkRequest.Builder()
                .removeCapability(NetworkCapabilities.NET_CAPABILITY_INTERNET)
                .removeCapability(NetworkCapabilities.NET_CAPABILITY_NOT_VPN)
                .build()
            builder.setRequiredNetworkRequest(anyNetwork, NetworkType.NOT_REQUIRED)
        }
        return builder.build()
    }

    companion object {
        const val ONE_TIME = "abha-sync"
        const val PERIODIC = "abha-sync-periodic"
        const val TAG_ONE_TIME = "abha-sync-one-time"
        private const val BACKOFF_SECONDS = 30L

        /** How many one-time sync workers are inside doWork() (see the class comment). */
        internal val oneTimeRunning = AtomicInteger(0)
    }
}
