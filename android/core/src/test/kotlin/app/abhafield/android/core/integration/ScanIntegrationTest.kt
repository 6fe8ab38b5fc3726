package app.abhafield.android.core.integration

import app.abhafield.android.core.repo.BindingsFieldRepository
import app.abhafield.android.core.repo.MemberDraft
import app.abhafield.android.core.ui.MemberFormModel
import app.abhafield.android.core.ui.SlipScanModel
import app.abhafield.android.core.ui.SlipScanState
import app.abhafield.core.FieldException
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.jupiter.api.Test
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertIs
import kotlin.test.assertTrue

/**
 * Scanning through the real native library: an ABHA card's QR pre-fills a member form without
 * touching typed fields and finds the member who already holds that ABHA; a household's typed
 * code opens it through the slip scan model; an Aadhaar letter's code is refused as such.
 */
class ScanIntegrationTest {
    private val card = """{"hidn":"91-6285-4575-5116","hid":"sita.devi@abdm","name":"Sita Devi","gender":"F","dob":"14/3/1988"}"""

    @Test
    fun `an ABHA card pre-fills a form and finds the member who holds it`() = runBlocking {
        val (store, _) = Rig.newStore()
        Rig.prepare(store)
        store.configureSealing(Rig.demoSealingKey, null)
        val repo = BindingsFieldRepository(store, Dispatchers.IO)

        val typed = MemberDraft(givenName = "", gender = "M", birthDate = "", relation = "head", aadhaar = "2341 2341 2346")
        val first = repo.scanAbhaQr(card, typed)
        assertEquals("Sita Devi", first.givenName)
        assertEquals("M", first.gender, "typed gender kept")
        assertEquals(listOf("gender"), first.differs.map { it.field })
        assertTrue(first.existing.isEmpty())

        val saved = store.createHousehold(Rig.household(n = 1))
        val member = store.household(saved.id).members.single()
        store.updateMember(member.id, app.abhafield.core.MemberPatchInput(abhaNumber = "91-6285-4575-5116"))
        val again = repo.scanAbhaQr(card, typed)
        assertEquals(listOf(member.id), again.existing.map { it.id }, "the ABHA is already recorded here")

        val e = assertFailsWith<FieldException.Validation> {
            repo.scanAbhaQr("2374971804270526603140227848519627961538920130215".repeat(5), typed)
        }
        assertEquals("qr" to "qr.aadhaar", e.errors.first().field to e.errors.first().code)

        val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
        try {
            val form = MemberFormModel(scope, repo, householdId = saved.id, validateDelayMillis = 0)
            form.applyAbhaScan(card)
            val s = withTimeout(10_000) { form.state.first { it.scan != null && !it.scanning } }
            assertEquals("91-6285-4575-5116", s.fields.abhaNumber)
            assertEquals(listOf(member.id), s.scan!!.existing.map { it.memberId })

            val slips = SlipScanModel(scope, repo)
            slips.scanned(saved.code.lowercase())
            val found = withTimeout(10_000) { slips.state.first { it is SlipScanState.Found } }
            assertEquals(saved.id, assertIs<SlipScanState.Found>(found).openId)
        } finally {
            scope.cancel()
        }
        store.close()
    }
}
