package app.abhafield.android.core.integration

import app.abhafield.core.AadhaarEntry
import app.abhafield.core.ConsentGiver
import app.abhafield.core.ConsentInput
import app.abhafield.core.ConsentRecordedBy
import app.abhafield.core.EnrollmentRoute
import app.abhafield.core.FieldException
import app.abhafield.core.FieldStore
import app.abhafield.core.HouseholdInput
import app.abhafield.core.MemberInput
import app.abhafield.core.validationCodes
import org.junit.jupiter.api.Test
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertNotNull
import kotlin.test.assertTrue

/**
 * The real native library on real store files: capture through Kotlin, every validation error
 * at once, lists and search, consent and an ABHA request, duplicates, the wrong key.
 */
class StoreIntegrationTest {
    private fun ready(): FieldStore {
        val (store, _) = Rig.newStore()
        Rig.prepare(store)
        store.configureSealing(Rig.demoSealingKey, null)
        return store
    }

    @Test
    fun `a household with its members is saved, listed, shown and found by name`() {
        val store = ready()
        val saved = store.createHousehold(Rig.household(n = 3))
        assertEquals(3, saved.memberIds.size)
        assertTrue(Regex("[0-9A-Z]{4}-[0-9A-Z]{4}").matches(saved.code), saved.code)

        val list = store.households(null, 50u, 0u)
        assertEquals(listOf(saved.id), list.map { it.id })
        assertEquals(3u, list[0].memberCount)
        assertEquals("सीता", list[0].headName)

        val detail = store.household(saved.id)
        assertEquals(saved.code, detail.code)
        assertEquals(setOf("सीता", "فاطمہ", "Ravi"), detail.members.map { it.givenName }.toSet())
        val head = detail.members.single { it.relation == "head" }
        assertEquals("XXXX XXXX 2346", head.aadhaarMasked)
        assertTrue(head.aadhaarSealed)
        assertEquals(head.id, detail.headMemberId)

        assertEquals(listOf(head.id), store.searchMembers("सीता", 10u).map { it.id })
        assertEquals(1, store.searchMembers("فاطمہ", 10u).size)
        assertEquals(1, store.searchMembers("ravi", 10u).size, "Latin search ignores case")
        assertEquals(listOf(saved.id), store.findHousehold(saved.code.lowercase()).map { it.id })

        val added = store.addMember(saved.id, MemberInput(givenName = "Aarav", gender = "M", birthDate = "2019", relation = "grandchild"))
        assertEquals(4, store.household(saved.id).members.size)
        assertEquals(saved.id, added.householdId)
        assertTrue(store.pending().changes >= 2u, "both writes wait for sync")
    }

    @Test
    fun `bad input lists every invalid field and stores nothing`() {
        val store = ready()
        val bad = HouseholdInput(
            villageCode = 123456u,
            address = "",
            pincode = "12",
            members = listOf(
                MemberInput(givenName = "R2D2", gender = "X", birthDate = "2999-01-01", relation = "head",
                    aadhaar = AadhaarEntry("2341 2341 2345"), mobile = "12345"),
                MemberInput(givenName = "Sita", gender = "F", birthDate = "1990", relation = "head"),
            ),
        )
        val expected = setOf(
            "household.village_id" to "village.unknown",
            "household.address" to "text.required",
            "household.pincode" to "pincode.format",
            "members[0].given_name" to "name.chars",
            "members[0].gender" to "gender.invalid",
            "members[0].birth_date" to "dob.future",
            "members[0].aadhaar" to "aadhaar.checksum",
            "members[0].mobile" to "mobile.length",
            "members[1].relation" to "relation.second_head",
        )
        val before = store.pending().changes
        val checked = store.checkHousehold(bad)
        val e = assertFailsWith<FieldException.Validation> { store.createHousehold(bad) }
        for (got in listOf(checked.errors, e.errors)) {
            val pairs = got.map { it.field to it.code }.toSet()
            val missing = expected - pairs
            assertTrue(missing.isEmpty(), "missing $missing in $pairs")
        }
        assertEquals(checked.errors.map { it.field to it.code }.toSet(), e.errors.map { it.field to it.code }.toSet())
        for (code in e.errors.map { it.code }) assertTrue(code in validationCodes(), "$code has no entry in validationCodes()")
        val message = e.message
        for (secret in listOf("R2D2", "2341", "12345", "2999")) assertFalse(secret in message, "input leaked into the message")
        assertTrue(store.households(null, 10u, 0u).isEmpty())
        assertEquals(before, store.pending().changes, "nothing written")
    }

    @Test
    fun `a second capture of the same Aadhaar warns and shows up as a duplicate`() {
        val store = ready()
        val first = store.createHousehold(Rig.household(n = 1))
        val second = store.createHousehold(Rig.household(n = 1, address = "Ward 2"))
        val warning = second.warnings.single { it.code == "aadhaar.duplicate" }
        assertEquals("members[0].aadhaar", warning.field)
        // The same person again in her own household, typed in Latin script: warned before saving.
        val again = MemberInput(givenName = "Sita", familyName = "Bhat", gender = "F", birthDate = "1985-02-01", relation = "sister")
        val alike = store.checkMember(first.id, again).warnings.single()
        assertEquals("given_name" to "member.possible_duplicate", alike.field to alike.code)
        assertEquals(first.memberIds[0], alike.params["member_id"])
        assertEquals(1, store.household(first.id).members.size, "a check saves nothing")
        assertEquals(first.memberIds[0], warning.params["member_id"])
        val groups = store.duplicates(10u)
        assertEquals(1, groups.size)
        assertEquals(setOf(first.memberIds[0], second.memberIds[0]), groups[0].members.map { it.id }.toSet())
    }

    @Test
    fun `consent then an ABHA request is queued for the member`() {
        val store = ready()
        val member = store.createHousehold(Rig.household(n = 1)).memberIds[0]
        val missing = assertFailsWith<FieldException.Validation> {
            store.recordConsent(ConsentInput(memberId = member, version = "", language = "hi",
                givenBy = ConsentGiver.GUARDIAN, method = ConsentRecordedBy.CHECKBOX, textShown = "..."))
        }
        assertEquals(setOf("consent.version", "consent.guardian_required"), missing.errors.map { it.code }.toSet())
        val consent = store.recordConsent(ConsentInput(memberId = member, version = "1.4", language = "hi",
            givenBy = ConsentGiver.BENEFICIARY, method = ConsentRecordedBy.CHECKBOX, textShown = "मैं सहमति देती हूँ"))
        val request = store.requestEnrollment(member, EnrollmentRoute.DEMO_AUTH, consent)
        assertEquals("queued", request.state)
        assertEquals("demo_auth", request.route)
        assertEquals(listOf(request.id), store.enrollments(member).map { it.id })
        assertTrue(store.needsAttention(10u).isEmpty(), "nothing sent back yet")
        assertFailsWith<FieldException.Validation> { store.requestEnrollment("not-an-id", EnrollmentRoute.DEMO_AUTH, consent) }
        val other = store.createHousehold(Rig.household(n = 1, aadhaar = null, address = "Ward 9")).memberIds[0]
        val notTheirs = assertFailsWith<FieldException.Validation> { store.requestEnrollment(other, EnrollmentRoute.DEMO_AUTH, consent) }
        assertEquals(listOf("consent_id" to "consent.missing"), notTheirs.errors.map { it.field to it.code })
        assertEquals(1, store.enrollments(member).size + store.enrollments(other).size, "the refused request was not stored")
    }

    @Test
    fun `an Aadhaar number needs a sealing key, and its entry never prints the digits`() {
        val (store, _) = Rig.newStore()
        Rig.prepare(store)
        val e = assertFailsWith<FieldException.Validation> { store.createHousehold(Rig.household(n = 1)) }
        assertEquals(listOf("members[0].aadhaar" to "aadhaar.no_sealing_key"), e.errors.map { it.field to it.code })
        assertTrue(store.createHousehold(Rig.household(n = 1, aadhaar = null)).memberIds.isNotEmpty())
        val entry = AadhaarEntry("2341 2341 2346")
        assertFalse("2341" in entry.toString())
        assertFalse("2341" in Rig.household(n = 1).toString())
        assertEquals("XXXX XXXX 2346", entry.masked())
    }

    @Test
    fun `the wrong key is refused and the right key still opens everything`() {
        val (store, opened) = Rig.newStore()
        Rig.prepare(store)
        store.createHousehold(Rig.household(n = 2, aadhaar = null))
        store.close()
        assertFailsWith<FieldException.WrongKey> { FieldStore.open(opened.path, ByteArray(32) { 7 }) }
        assertFailsWith<FieldException.StoreUnavailable> { FieldStore.open(opened.path, ByteArray(5)) }
        FieldStore.open(opened.path, opened.key).use { again ->
            assertEquals(1, again.households(null, 10u, 0u).size)
            assertNotNull(again.deviceStatus().workerId)
        }
    }
}
