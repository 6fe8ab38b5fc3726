/**
 * A member's ABHA requests: state and reason keys, requesting once, and the correction retry
 * that passes the re-read Aadhaar through without keeping it.
 */
package app.abhafield.android.core.ui

import app.abhafield.android.core.fakes.FakeFieldRepository
import app.abhafield.android.core.fakes.enrollment
import app.abhafield.android.core.fakes.issue
import app.abhafield.android.core.fakes.withScope
import app.abhafield.core.EnrollmentRoute
import app.abhafield.core.FieldException
import app.abhafield.core.MemberPatchInput
import app.abhafield.core.ReviewRecord
import org.junit.jupiter.api.Test
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNull
import kotlin.test.assertTrue

class EnrollmentModelTest {
    @Test
    fun `a request sent back shows the supervisor's latest note`() = withScope { scope ->
        val repo = FakeFieldRepository()
        repo.enrollmentList += enrollment("e1", "needs_correction", reason = "review.sent_back")
        repo.enrollmentList += enrollment("e2", "queued")
        fun review(id: String, subject: String, action: String, note: String?, at: Long) =
            ReviewRecord(id, "m1", subject, action, null, null, note, "supervisor", at)
        repo.reviews = { id ->
            assertEquals("m1", id)
            listOf(
                review("r1", "e1", "send_back", "Check the birth year on the card", 10),
                review("r2", "e1", "send_back", "Spelling of the name as on Aadhaar", 20),
                review("r3", "e2", "dismiss", null, 30),
            )
        }
        val s = EnrollmentModel(scope, repo, "m1").state.value
        assertEquals("Spelling of the name as on Aadhaar", s.requests[0].supervisorNote)
        assertNull(s.requests[1].supervisorNote, "no note on a request not sent back")
        assertTrue(s.requests[0].canRetry)
    }

    @Test
    fun `requests show state, reason and ABHA number keys`() = withScope { scope ->
        val repo = FakeFieldRepository()
        repo.enrollmentList += enrollment("e1", "needs_correction", reason = "abdm.demographic_mismatch")
        repo.enrollmentList += enrollment("e2", "created", attemptOf = "e1", abha = "91-5467-3456-7890")
        repo.enrollmentList += enrollment("e3", "queued", memberId = "someone-else")
        val model = EnrollmentModel(scope, repo, "m1")
        val s = model.state.value
        assertEquals(listOf("e1", "e2"), s.requests.map { it.id })
        val first = s.requests[0]
        assertEquals("enrollment_state_needs_correction", first.stateKey)
        assertEquals("error_abdm_demographic_mismatch", first.reasonKey)
        assertTrue(first.superseded)
        assertFalse(first.canRetry, "already retried")
        assertNull(s.requests[1].reasonKey)
        assertEquals("91-5467-3456-7890", s.abhaNumber)
        assertFalse(s.canRequest, "an ABHA exists")
    }

    @Test
    fun `a request is queued once and the list refreshes`() = withScope { scope ->
        val repo = FakeFieldRepository()
        val model = EnrollmentModel(scope, repo, "m1")
        assertTrue(model.state.value.canRequest)
        model.request(EnrollmentRoute.DEMO_AUTH, "consent-1")
        assertEquals(listOf("queued"), model.state.value.requests.map { it.state })
        assertFalse(model.state.value.canRequest, "one in flight")
        model.request(EnrollmentRoute.DEMO_AUTH, "consent-1")
        assertEquals(1, repo.calls.count { it == "requestEnrollment" })
    }

    @Test
    fun `a rejected request may be asked again`() = withScope { scope ->
        val repo = FakeFieldRepository()
        repo.enrollmentList += enrollment("e1", "rejected", reason = "abdm.aadhaar_locked")
        val model = EnrollmentModel(scope, repo, "m1")
        assertTrue(model.state.value.canRequest)
    }

    @Test
    fun `a correction retry passes the Aadhaar through and keeps none of it`() = withScope { scope ->
        val repo = FakeFieldRepository()
        repo.enrollmentList += enrollment("e1", "needs_correction", reason = "abdm.demographic_mismatch")
        val model = EnrollmentModel(scope, repo, "m1")
        assertTrue(model.state.value.requests.single().canRetry)
        assertFalse(model.state.value.canRequest, "a correction is a retry, not a new request")
        model.retry("e1", MemberPatchInput(birthDate = "1985-03-01"), "2341 2341 2346")
        assertEquals(listOf<String?>("2341 2341 2346"), repo.retryAadhaar)
        val s = model.state.value
        assertEquals(listOf("e1", "e2"), s.requests.map { it.id })
        assertEquals("e1", s.requests[1].attemptOf)
        assertTrue(s.requests[0].superseded)
        assertFalse("2341" in s.toString())
        model.retry("e1", MemberPatchInput(), null)
        assertEquals(1, repo.retryAadhaar.size, "a superseded request is not retried twice")
    }

    @Test
    fun `a refused retry shows its fields`() = withScope { scope ->
        val repo = FakeFieldRepository()
        repo.enrollmentList += enrollment("e1", "needs_correction")
        repo.retry = { _, _, _ -> throw FieldException.Validation(listOf(issue("aadhaar", "aadhaar.checksum")), emptyList()) }
        val model = EnrollmentModel(scope, repo, "m1")
        model.retry("e1", MemberPatchInput(), "2341 2341 2345")
        val s = model.state.value
        assertEquals("error_aadhaar_checksum", s.errors.getValue("aadhaar").single().key)
        assertEquals("error_validation", s.error)
        assertFalse(s.busy)
    }

    @Test
    fun `a correction needs the Aadhaar again unless it links an existing ABHA`() = withScope { scope ->
        val repo = FakeFieldRepository()
        repo.enrollmentList += enrollment("e1", "needs_correction")
        repo.enrollmentList += enrollment("e2", "needs_correction").copy(route = "link_existing")
        repo.enrollmentList += enrollment("e3", "needs_correction").copy(route = "aadhaar_otp")
        val model = EnrollmentModel(scope, repo, "m1")
        assertEquals(listOf(true, false, true), model.state.value.requests.map { it.retryNeedsAadhaar })
        assertTrue(FormFields.BIRTH_DATE in EnrollmentItem.CORRECTABLE_FIELDS)
        assertFalse(FormFields.AADHAAR in EnrollmentItem.CORRECTABLE_FIELDS, "offered only when the route needs it")
        assertFalse(FormFields.RELATION in EnrollmentItem.CORRECTABLE_FIELDS, "ABDM does not match on relation")
    }

    @Test
    fun `a load failure is a key`() = withScope { scope ->
        val repo = FakeFieldRepository()
        repo.gates.close("enrollments")
        val model = EnrollmentModel(scope, repo, "m1")
        assertTrue(model.state.value.loading)
        repo.enrollmentsError = FieldException.NotFound("member")
        repo.gates.open("enrollments")
        assertEquals("error_not_found", model.state.value.error)
        assertFalse(model.state.value.loading)
    }
}
