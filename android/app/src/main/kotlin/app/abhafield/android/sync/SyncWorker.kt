package app.abhafield.android.sync

import android.content.Context
import androidx.work.CoroutineWorker
import androidx.work.WorkerParameters
import app.abhafield.android.AbhaFieldApp
import app.abhafield.android.core.sync.FailureKind
import app.abhafield.android.core.sync.SyncDecision
import app.abhafield.android.core.sync.SyncOutcome
import app.abhafield.android.core.sync.SyncPolicy
import kotlinx.coroutines.CancellationException

/**
 * Why this exists: the background half of sync. WorkManager starts it (see
 * [WorkManagerScheduler]); it asks android/core's `SyncCoordinator` to run once, which decides
 * whether a sync is due, runs it through the app's single `SyncRunner` (joining a sync the user
 * started, never a second one), records the outcome and schedules the next run. For the
 * duration of the session the process is bound to the hub's Wi-Fi when mobile data would
 * otherwise carry it ([HubNetwork], wired around the sync repository in AppContainer, so a
 * manual sync gets the same).
 *
 * Results: success when the coordinator handled the run, including a transient failure (its
 * jittered backoff already scheduled the retry; a WorkManager retry on top would run twice);
 * failure when the hub refused or the device is not enrolled (no retry helps); Result.retry()
 * with WorkManager's exponential backoff only if something unexpected escaped and retrying
 * may help. Nothing about records, keys or the hub's answer is logged.
 */
class SyncWorker(context: Context, params: WorkerParameters) : CoroutineWorker(context, params) {
    override suspend fun doWork(): Result {
        val app = applicationContext as AbhaFieldApp
        val container = try {
            app.container()
        } catch (e: CancellationException) {
            throw e
        } catch (_: Throwable) {
            return Result.failure() // the store cannot be opened; the app explains why on screen
        }
        val oneTime = WorkManagerScheduler.TAG_ONE_TIME in tags
        if (oneTime) WorkManagerScheduler.oneTimeRunning.incrementAndGet()
        return try {
            val decision = container.coordinator.runScheduled()
            val outcome = container.runner.state.value.lastOutcome
            if (decision == SyncDecision.Now && outcome is SyncOutcome.Failed &&
                (outcome.kind == FailureKind.REFUSED || outcome.kind == FailureKind.NOT_ENROLLED)
            ) {
                Result.failure()
            } else {
                Result.success()
            }
        } catch (e: CancellationException) {
            throw e
        } catch (e: Throwable) {
            if (SyncPolicy.classify(e) == FailureKind.TRANSIENT) Result.retry() else Result.failure()
        } finally {
            if (oneTime) WorkManagerScheduler.oneTimeRunning.decrementAndGet()
        }
    }
}
