/**
 * The slip scan screen: one household opens at once, a typed code shared by several lists them,
 * a slip of a household not synced here yet says so, refusals carry the slip's message key, and
 * a camera repeating the same code reads it once.
 */
package app.abhafield.android.core.ui

import app.abhafield.android.core.fakes.FakeFieldRepository
import app.abhafield.android.core.fakes.issue
import app.abhafield.android.core.fakes.summary
import app.abhafield.android.core.fakes.withScope
import app.abhafield.core.FieldException
import app.abhafield.core.SlipScanRecord
import org.junit.jupiter.api.Test
import kotlin.test.assertEquals
import kotlin.test.assertIs

class SlipScanModelTest {
    @Test
    fun `a known slip opens its household and the same code is read once`() = withScope { scope ->
        val repo = FakeFieldRepository()
        repo.slip = { SlipScanRecord(true, "K3M9-QXD7", true, "h1", listOf(summary("h1"))) }
        val model = SlipScanModel(scope, repo)
        model.scanned("ABHF1:K3M9-QXD7:AAAA")
        val found = assertIs<SlipScanState.Found>(model.state.value)
        assertEquals("h1", found.openId)
        assertEquals(true, found.verified)
        repeat(5) { model.scanned(" ABHF1:K3M9-QXD7:AAAA ") }
        assertEquals(1, repo.calls.count { it == "scanSlip" }, "camera frames of one code: one lookup")
        model.reset()
        model.scanned("ABHF1:K3M9-QXD7:AAAA")
        assertEquals(2, repo.calls.count { it == "scanSlip" }, "after reset the same code is read again")
    }

    @Test
    fun `a typed code shared by two households lists both and opens neither`() = withScope { scope ->
        val repo = FakeFieldRepository()
        repo.slip = { SlipScanRecord(true, "K3M9-QXD7", false, null, listOf(summary("h1"), summary("h2"))) }
        val model = SlipScanModel(scope, repo)
        model.scanned("k3m9-qxd7")
        val found = assertIs<SlipScanState.Found>(model.state.value)
        assertEquals(null, found.openId)
        assertEquals(listOf("h1", "h2"), found.matches.map { it.id })
    }

    @Test
    fun `a genuine slip not synced here yet is not an error`() = withScope { scope ->
        val repo = FakeFieldRepository()
        repo.slip = { SlipScanRecord(false, "K3M9-QXD7", true, "h9", emptyList()) }
        val model = SlipScanModel(scope, repo)
        model.scanned("ABHF1:K3M9-QXD7:BBBB")
        assertEquals(SlipScanState.NotKnownYet("K3M9-QXD7", verified = true), model.state.value)
    }

    @Test
    fun `a forged slip is refused with its own message and the next code is still read`() = withScope { scope ->
        val repo = FakeFieldRepository()
        repo.slip = { throw FieldException.Validation(listOf(issue("slip", "slip.bad_signature")), emptyList()) }
        val model = SlipScanModel(scope, repo)
        model.scanned("ABHF1:K3M9-QXD7:CCCC")
        assertEquals(SlipScanState.Refused("error_slip_bad_signature"), model.state.value)
        repo.slip = { throw FieldException.StoreUnavailable("store.busy") }
        model.scanned("ABHF1:K3M9-QXD7:DDDD")
        assertEquals(SlipScanState.Refused("error_store_busy"), model.state.value)
        model.scanned("   ")
        assertEquals(SlipScanState.Refused("error_store_busy"), model.state.value, "blank input ignored")
    }

    @Test
    fun `a different code replaces the answer being waited for`() = withScope { scope ->
        val repo = FakeFieldRepository()
        repo.slip = { p -> SlipScanRecord(true, p, true, p, listOf(summary(p))) }
        repo.gates.close("scanSlip")
        val model = SlipScanModel(scope, repo)
        model.scanned("first")
        assertEquals(SlipScanState.Checking, model.state.value)
        model.scanned("second")
        repo.gates.open("scanSlip")
        assertEquals("second", assertIs<SlipScanState.Found>(model.state.value).openId)
    }
}
