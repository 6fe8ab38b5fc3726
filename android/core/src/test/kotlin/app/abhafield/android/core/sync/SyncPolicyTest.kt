/**
 * The sync policy: when a sync is due, how backoff grows, caps and resets, and which failures are
 * never retried automatically.
 */
package app.abhafield.android.core.sync

import app.abhafield.core.FieldException
import org.junit.jupiter.api.Test
import kotlin.random.Random
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertNotEquals
import kotlin.test.assertTrue

class SyncPolicyTest {
    private val noJitter = SyncPolicyConfig(baseBackoffMillis = 1_000, maxBackoffMillis = 60_000, jitter = 0.0)
    private val now = 10_000_000L
    private val online = SyncConditions(pendingChanges = 3, networkAvailable = true, running = false)

    @Test
    fun `pending work with a network syncs now`() {
        assertEquals(SyncDecision.Now, SyncPolicy.decide(noJitter, SyncHistory(), online, now))
    }

    @Test
    fun `pending work without a network waits for one`() {
        val d = SyncPolicy.decide(noJitter, SyncHistory(), online.copy(networkAvailable = false), now)
        assertEquals(SyncDecision.At(now, requiresNetwork = true), d)
    }

    @Test
    fun `never while one is running, never unenrolled`() {
        assertEquals(SyncDecision.Idle(IdleReason.RUNNING), SyncPolicy.decide(noJitter, SyncHistory(), online.copy(running = true), now))
        assertEquals(SyncDecision.Idle(IdleReason.NOT_ENROLLED), SyncPolicy.decide(noJitter, SyncHistory(), online.copy(enrolled = false), now))
    }

    @Test
    fun `attempts are spaced even with pending work`() {
        val h = SyncHistory(lastAttemptAt = now - 10_000, lastSuccessAt = now - 10_000)
        assertEquals(SyncDecision.At(now - 10_000 + noJitter.minSpacingMillis), SyncPolicy.decide(noJitter, h, online, now))
    }

    @Test
    fun `nothing pending pulls on the interval`() {
        val idle = online.copy(pendingChanges = 0)
        val recent = SyncHistory(lastAttemptAt = now - 60_000 * 5, lastSuccessAt = now - 60_000 * 5)
        assertEquals(SyncDecision.At(recent.lastSuccessAt!! + noJitter.pullIntervalMillis), SyncPolicy.decide(noJitter, recent, idle, now))
        val old = SyncHistory(lastAttemptAt = now - noJitter.pullIntervalMillis - 1, lastSuccessAt = now - noJitter.pullIntervalMillis - 1)
        assertEquals(SyncDecision.Now, SyncPolicy.decide(noJitter, old, idle, now))
        assertEquals(SyncDecision.Now, SyncPolicy.decide(noJitter, SyncHistory(), idle, now), "never synced: pull now")
    }

    @Test
    fun `backoff doubles and stops at the cap`() {
        val r = Random(1)
        val delays = (1..10).map { SyncPolicy.backoffMillis(it, noJitter, r) }
        assertEquals(listOf(1_000L, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000, 60_000), delays)
        assertEquals(60_000L, SyncPolicy.backoffMillis(500, noJitter, r), "no overflow for huge counts")
    }

    @Test
    fun `jitter stays within its band and depends on the seed`() {
        val cfg = noJitter.copy(jitter = 0.5)
        val a = (1..6).map { SyncPolicy.backoffMillis(it, cfg, Random(42)) }
        val b = (1..6).map { SyncPolicy.backoffMillis(it, cfg, Random(42)) }
        assertEquals(a, b, "same seed, same delays")
        for ((i, d) in a.withIndex()) {
            val full = minOf(1_000L shl i, 60_000L)
            assertTrue(d in (full / 2)..full, "delay $d for failure ${i + 1} within [${full / 2}, $full]")
        }
        val spread = (1..20).map { SyncPolicy.backoffMillis(7, cfg, Random(it)) }.toSet()
        assertTrue(spread.size > 10, "different seeds spread the retries: $spread")
        assertTrue(spread.all { it <= 60_000 }, "jitter never exceeds the cap")
    }

    @Test
    fun `transient failures back off, a success resets`() {
        var h = SyncHistory()
        var t = now
        val retries = mutableListOf<Long>()
        repeat(4) {
            h = SyncPolicy.afterFailure(h, FailureKind.TRANSIENT, t, noJitter, Random(0))
            retries += h.retryAt!! - t
            assertEquals(SyncDecision.At(h.retryAt!!), SyncPolicy.decide(noJitter, h, online, t + 1))
            t = h.retryAt!!
            assertEquals(SyncDecision.Now, SyncPolicy.decide(noJitter, h, online, t))
        }
        assertEquals(listOf(1_000L, 2_000, 4_000, 8_000), retries)
        assertEquals(4, h.consecutiveFailures)
        h = SyncPolicy.afterSuccess(h, t)
        assertEquals(SyncHistory(lastAttemptAt = t, lastSuccessAt = t), h)
        h = SyncPolicy.afterFailure(h, FailureKind.TRANSIENT, t + 5, noJitter, Random(0))
        assertEquals(t + 5 + 1_000, h.retryAt, "after a success the backoff starts again from the base")
    }

    @Test
    fun `a refusal is not retried automatically until a success`() {
        val h = SyncPolicy.afterFailure(SyncHistory(), FailureKind.REFUSED, now, noJitter, Random(0))
        assertEquals(SyncDecision.Idle(IdleReason.BLOCKED), SyncPolicy.decide(noJitter, h, online, now + 1_000_000_000))
        val ok = SyncPolicy.afterSuccess(h, now + 5)
        assertNotEquals(SyncDecision.Idle(IdleReason.BLOCKED), SyncPolicy.decide(noJitter, ok, online, now + 10_000_000))
    }

    @Test
    fun `a cancel neither backs off nor blocks`() {
        val h = SyncPolicy.afterFailure(SyncHistory(consecutiveFailures = 0), FailureKind.CANCELLED, now, noJitter, Random(0))
        assertEquals(0, h.consecutiveFailures)
        assertEquals(false, h.blocked)
        assertEquals(SyncDecision.At(now + noJitter.minSpacingMillis), SyncPolicy.decide(noJitter, h, online, now))
    }

    @Test
    fun `errors are classified by what retrying can change`() {
        assertEquals(FailureKind.TRANSIENT, SyncPolicy.classify(FieldException.Network("sync.network")))
        assertEquals(FailureKind.TRANSIENT, SyncPolicy.classify(FieldException.Network("sync.unavailable")))
        assertEquals(FailureKind.REFUSED, SyncPolicy.classify(FieldException.Refused("auth.unauthenticated", 401u)))
        assertEquals(FailureKind.REFUSED, SyncPolicy.classify(FieldException.WrongKey()))
        assertEquals(FailureKind.NOT_ENROLLED, SyncPolicy.classify(FieldException.NotEnrolled()))
        assertEquals(FailureKind.CANCELLED, SyncPolicy.classify(FieldException.Cancelled()))
        assertEquals(FailureKind.TRANSIENT, SyncPolicy.classify(FieldException.StoreUnavailable("store.busy")))
        assertEquals(FailureKind.REFUSED, SyncPolicy.classify(FieldException.StoreUnavailable("store.incompatible_version")))
        assertEquals(FailureKind.TRANSIENT, SyncPolicy.classify(IllegalStateException()))
    }

    @Test
    fun `bad configurations are refused`() {
        assertFailsWith<IllegalArgumentException> { SyncPolicyConfig(jitter = 1.5) }
        assertFailsWith<IllegalArgumentException> { SyncPolicyConfig(baseBackoffMillis = 10, maxBackoffMillis = 5) }
    }
}
