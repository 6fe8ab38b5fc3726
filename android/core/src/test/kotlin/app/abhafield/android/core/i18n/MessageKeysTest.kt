/**
 * The message-key convention: codes become Android resource names, exceptions map to a closed set
 * of keys the app defines, and nothing a user typed can reach a key.
 */
package app.abhafield.android.core.i18n

import app.abhafield.core.FieldException
import org.junit.jupiter.api.Test
import kotlin.test.assertEquals
import kotlin.test.assertTrue

class MessageKeysTest {
    @Test
    fun `validation codes become resource names`() {
        assertEquals("error_aadhaar_checksum", MessageKeys.forCode("aadhaar.checksum"))
        assertEquals("error_relation_second_head", MessageKeys.forCode("relation.second_head"))
        assertEquals("error_abha_address_special_position", MessageKeys.forCode("abha_address.special_position"))
    }

    @Test
    fun `an issue keeps its field and params`() {
        val m = MessageKeys.forIssue(app.abhafield.core.FieldIssue("members[1].given_name", "name.too_long", mapOf("max" to "99")))
        assertEquals(FieldMessage("members[1].given_name", "error_name_too_long", mapOf("max" to "99")), m)
    }

    @Test
    fun `exceptions map to their keys by case and code`() {
        assertEquals("error_sync_network", MessageKeys.forException(FieldException.Network("sync.network")))
        assertEquals("error_sync_unavailable", MessageKeys.forException(FieldException.Network("sync.unavailable")))
        assertEquals("error_sync_network", MessageKeys.forException(FieldException.Network("sync.something_new")))
        assertEquals("error_store_wrong_key", MessageKeys.forException(FieldException.WrongKey()))
        assertEquals("error_sync_cancelled", MessageKeys.forException(FieldException.Cancelled()))
        assertEquals("error_store_disk_full", MessageKeys.forException(FieldException.StoreUnavailable("store.disk_full")))
        assertEquals("error_store_unavailable", MessageKeys.forException(FieldException.StoreUnavailable("store.weird")))
        assertEquals("error_auth_forbidden", MessageKeys.forException(FieldException.Refused("auth.forbidden", 403u)))
        assertEquals("error_sync_refused", MessageKeys.forException(FieldException.Refused("http.418", 418u)))
        assertEquals("error_not_enrolled", MessageKeys.forException(FieldException.NotEnrolled()))
        assertEquals("error_not_found", MessageKeys.forException(FieldException.NotFound("member")))
        assertEquals("error_validation", MessageKeys.forException(FieldException.Validation(emptyList(), emptyList())))
        assertEquals("error_unknown", MessageKeys.forException(FieldException.Failed("seal.failed")))
        assertEquals("error_unknown", MessageKeys.forThrowable(IllegalStateException("boom")))
    }

    @Test
    fun `every key an exception can produce is in the published set`() {
        val samples = listOf(
            FieldException.Network("sync.bad_reply"), FieldException.Network("x"), FieldException.Refused("enrol.bad_code", 400u),
            FieldException.Refused("y", 409u), FieldException.StoreUnavailable("store.busy"), FieldException.StoreUnavailable("z"),
            FieldException.WrongKey(), FieldException.Cancelled(), FieldException.Failed("f"), FieldException.NotEnrolled(),
            FieldException.NotFound("household"), FieldException.Validation(emptyList(), emptyList()),
        )
        for (e in samples) assertTrue(MessageKeys.forException(e) in MessageKeys.EXCEPTION_KEYS, "${MessageKeys.forException(e)}")
        for (code in listOf("sync.network", "auth.unauthenticated", "store.wrong_key", "sync.cancelled", "sync.no_hub", "http.500")) {
            assertTrue(MessageKeys.forSyncError(code) in MessageKeys.EXCEPTION_KEYS, code)
        }
        assertEquals("error_sync_failed", MessageKeys.forSyncError("http.500"))
        for (key in MessageKeys.EXCEPTION_KEYS) assertTrue(Regex("[a-z0-9_]+").matches(key), "$key is a valid resource name")
    }

    @Test
    fun `enrolment states and routes have their own keys`() {
        assertEquals("enrollment_state_needs_correction", MessageKeys.forEnrollmentState("needs_correction"))
        assertEquals("enrollment_state_unknown", MessageKeys.forEnrollmentState(null))
        assertEquals("enrollment_route_demo_auth", MessageKeys.forRoute("demo_auth"))
    }
}
