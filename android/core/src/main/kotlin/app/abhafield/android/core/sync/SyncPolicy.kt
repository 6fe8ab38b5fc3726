/**
 * When to sync, as pure functions of time, history and conditions.
 *
 * Tablets are offline most of the day and meet a hub at camps, so the rules matter: sync soon
 * after work is captured when a network is there, pull the villages' updates now and then, back
 * off exponentially (capped, jittered so a camp's tablets do not retry in lockstep) after
 * failures that may pass, and never retry on its own what the hub refused or what a wrong store
 * key prevents — retrying those only drains batteries and fills hub logs. Time comes from an
 * injected [Clock] and randomness from an injected `Random`, so every rule is tested exactly.
 */
package app.abhafield.android.core.sync

import app.abhafield.core.FieldException
import kotlin.math.min
import kotlin.random.Random

/** The time source. Tests pass a fake; the app passes [System]. */
fun interface Clock {
    fun nowMillis(): Long

    companion object {
        val System: Clock = Clock { java.lang.System.currentTimeMillis() }
    }
}

/** How a failed sync is treated. */
enum class FailureKind {
    /** The network or the hub may recover: retry with backoff. */
    TRANSIENT,

    /** The hub refused (revoked device, bad pin) or the store key is wrong: no automatic retry. */
    REFUSED,

    /** No hub yet: nothing to do until the device is enrolled. */
    NOT_ENROLLED,

    /** Stopped by the user: no backoff, the next trigger syncs. */
    CANCELLED,
}

/** Tunables of [SyncPolicy]. */
data class SyncPolicyConfig(
    /** How often to pull other tablets' work when nothing is pending. */
    val pullIntervalMillis: Long = 30 * 60_000L,
    /** Least time between two automatic attempts, so every save does not start a session. */
    val minSpacingMillis: Long = 60_000L,
    /** First retry delay after a transient failure. */
    val baseBackoffMillis: Long = 30_000L,
    /** Longest retry delay. */
    val maxBackoffMillis: Long = 60 * 60_000L,
    /** Fraction (0..1) of a delay that is randomised: a delay d becomes a value in [d·(1-jitter), d]. */
    val jitter: Double = 0.2,
) {
    init {
        require(baseBackoffMillis > 0 && maxBackoffMillis >= baseBackoffMillis) { "backoff bounds" }
        require(jitter in 0.0..1.0) { "jitter must be within 0..1" }
    }
}

/** What happened so far (persisted by the app through [SyncHistoryStore]). */
data class SyncHistory(
    val lastAttemptAt: Long? = null,
    val lastSuccessAt: Long? = null,
    /** Transient failures since the last success. */
    val consecutiveFailures: Int = 0,
    /** Earliest time of the next automatic attempt after a transient failure. */
    val retryAt: Long? = null,
    /** Set after a refusal: no automatic sync until a sync succeeds or the device is re-enrolled. */
    val blocked: Boolean = false,
)

/** The device right now. */
data class SyncConditions(
    val pendingChanges: Long,
    val networkAvailable: Boolean,
    val running: Boolean,
    val enrolled: Boolean = true,
)

/** What to do. */
sealed interface SyncDecision {
    /** Sync now. */
    data object Now : SyncDecision

    /** Sync at [atMillis] (or as soon after as the network allows, when [requiresNetwork]). */
    data class At(val atMillis: Long, val requiresNetwork: Boolean = true) : SyncDecision

    /** Nothing to schedule; [reason] says why. */
    data class Idle(val reason: IdleReason) : SyncDecision
}

/** Why nothing is scheduled. */
enum class IdleReason { RUNNING, NOT_ENROLLED, BLOCKED }

/** The policy. Every function is pure. */
object SyncPolicy {
    /** Whether and when to sync at [now]. */
    fun decide(config: SyncPolicyConfig, history: SyncHistory, conditions: SyncConditions, now: Long): SyncDecision {
        if (conditions.running) return SyncDecision.Idle(IdleReason.RUNNING)
        if (!conditions.enrolled) return SyncDecision.Idle(IdleReason.NOT_ENROLLED)
        if (history.blocked) return SyncDecision.Idle(IdleReason.BLOCKED)
        val due = dueAt(config, history, conditions.pendingChanges)
        return when {
            !conditions.networkAvailable -> SyncDecision.At(maxOf(due, now), requiresNetwork = true)
            due <= now -> SyncDecision.Now
            else -> SyncDecision.At(due, requiresNetwork = true)
        }
    }

    /** The earliest time the next automatic sync is due, ignoring the network. */
    fun dueAt(config: SyncPolicyConfig, history: SyncHistory, pendingChanges: Long): Long {
        history.retryAt?.let { if (history.consecutiveFailures > 0) return it }
        val spaced = history.lastAttemptAt?.plus(config.minSpacingMillis) ?: Long.MIN_VALUE
        if (pendingChanges > 0) return spaced
        val pull = history.lastSuccessAt?.plus(config.pullIntervalMillis) ?: Long.MIN_VALUE
        return maxOf(pull, spaced)
    }

    /** The delay before retry number [failures] (1 = first failure): base·2^(n-1), capped, jittered down. */
    fun backoffMillis(failures: Int, config: SyncPolicyConfig, random: Random): Long {
        val n = failures.coerceAtLeast(1)
        val shift = min(n - 1, 62)
        val raw = if (config.baseBackoffMillis > (Long.MAX_VALUE shr shift)) Long.MAX_VALUE else config.baseBackoffMillis shl shift
        val capped = min(raw, config.maxBackoffMillis)
        if (config.jitter == 0.0) return capped
        val factor = 1.0 - config.jitter * random.nextDouble()
        return (capped * factor).toLong().coerceIn(1L, capped)
    }

    /** History after a successful sync at [now]: backoff and any block are reset. */
    fun afterSuccess(history: SyncHistory, now: Long): SyncHistory =
        history.copy(lastAttemptAt = now, lastSuccessAt = now, consecutiveFailures = 0, retryAt = null, blocked = false)

    /** History after a failed or cancelled sync at [now]. */
    fun afterFailure(history: SyncHistory, kind: FailureKind, now: Long, config: SyncPolicyConfig, random: Random): SyncHistory =
        when (kind) {
            FailureKind.TRANSIENT -> {
                val failures = history.consecutiveFailures + 1
                history.copy(lastAttemptAt = now, consecutiveFailures = failures, retryAt = now + backoffMillis(failures, config, random))
            }
            FailureKind.REFUSED -> history.copy(lastAttemptAt = now, blocked = true, retryAt = null)
            FailureKind.NOT_ENROLLED -> history.copy(lastAttemptAt = now, retryAt = null)
            FailureKind.CANCELLED -> history.copy(lastAttemptAt = now)
        }

    /** How a sync failure is treated. Unknown failures are transient: a sync is safe to repeat. */
    fun classify(error: Throwable): FailureKind = when (error) {
        is FieldException.Refused, is FieldException.WrongKey -> FailureKind.REFUSED
        is FieldException.NotEnrolled -> FailureKind.NOT_ENROLLED
        is FieldException.Cancelled -> FailureKind.CANCELLED
        is FieldException.StoreUnavailable ->
            if (error.code == "store.incompatible_version" || error.code == "store.bad_key") FailureKind.REFUSED else FailureKind.TRANSIENT
        else -> FailureKind.TRANSIENT
    }
}
