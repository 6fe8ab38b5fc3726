/**
 * Setting up a tablet: the status the screen shows, enrolment with a typed code or a scanned QR
 * payload (and the one call the app needs afterwards to unblock sync), the operator form with
 * the core's field messages, and the busy and error states.
 */
package app.abhafield.android.core.ui

import app.abhafield.android.core.fakes.FakeDeviceRepository
import app.abhafield.android.core.fakes.issue
import app.abhafield.android.core.fakes.withScope
import app.abhafield.android.core.repo.EnrolledDevice
import app.abhafield.android.core.repo.EnrolmentInput
import app.abhafield.core.FieldException
import app.abhafield.core.WorkerInput
import org.junit.jupiter.api.Test
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNull
import kotlin.test.assertTrue

class SetupModelTest {
    private val qr = """{"hub":"https://192.168.4.1:8443","pin":"ab12","code":"K7Q2-M9XD"}"""

    @Test
    fun `a new tablet shows it is not set up and needs a code to enrol`() = withScope { scope ->
        val repo = FakeDeviceRepository()
        val model = SetupModel(scope, repo)
        val s = model.state.value
        assertFalse(s.enrolled)
        assertFalse(s.hasOperator)
        assertFalse(s.complete)
        assertFalse(s.canSealAadhaar)
        assertFalse(s.loading)
        assertFalse(s.canEnrol, "no code yet")
        model.enrol()
        assertTrue(repo.enrolments.isEmpty(), "a blank code is not sent")
        model.setCode("   ")
        assertFalse(model.state.value.canEnrol)
    }

    @Test
    fun `a scanned QR payload enrols, clears the form and tells the caller once`() = withScope { scope ->
        val repo = FakeDeviceRepository()
        val told = mutableListOf<EnrolledDevice>()
        val model = SetupModel(scope, repo, onEnrolled = { told += it })
        model.setCode(qr)
        model.setHubUrl("  ")
        assertTrue(model.state.value.canEnrol)
        model.enrol()
        assertEquals(Triple(qr, null, null), repo.enrolments.single(), "the payload goes to the core as is; blank URL and pin are absent")
        val s = model.state.value
        assertTrue(s.enrolled)
        assertEquals("worker", s.role)
        assertEquals("http://hub-from-qr", s.enrolledHubUrl)
        assertTrue(s.canSealAadhaar)
        assertEquals(EnrolledDevice("dev-1", "worker", 1), s.enrolment)
        assertEquals(listOf(EnrolledDevice("dev-1", "worker", 1)), told)
        assertEquals("", s.code)
        assertFalse(s.busy)
        assertNull(s.error)
        assertFalse("K7Q2" in s.toString(), "the code is not printed")
        assertEquals(listOf("deviceStatus", "enrolDevice", "deviceStatus"), repo.calls, "status reloaded after enrolling")
    }

    @Test
    fun `an enrolled tablet can enrol again with a new code, or change its mind`() = withScope { scope ->
        val repo = FakeDeviceRepository()
        val model = SetupModel(scope, repo)
        model.setCode(qr)
        model.enrol()
        assertTrue(model.state.value.enrolled)
        assertFalse(model.state.value.showEnrolForm, "an enrolled tablet hides the form")

        model.startReenrol()
        assertTrue(model.state.value.showEnrolForm)
        model.setCode("ABCD-EFGH")
        model.cancelReenrol()
        assertFalse(model.state.value.showEnrolForm)
        assertEquals("", model.state.value.code, "an abandoned code is dropped")
        assertEquals(1, repo.enrolments.size)

        model.startReenrol()
        model.setCode("ABCD-EFGH")
        model.enrol()
        assertEquals("ABCD-EFGH", repo.enrolments.last().first)
        assertFalse(model.state.value.reenrolling, "the form closes after the new enrolment")
        assertFalse(model.state.value.showEnrolForm)
    }

    @Test
    fun `a typed hub address and pin are passed along`() = withScope { scope ->
        val repo = FakeDeviceRepository()
        val model = SetupModel(scope, repo)
        model.setCode("K7Q2-M9XD")
        model.setHubUrl("https://10.0.0.2:8443")
        model.setPin("ab12cd")
        model.enrol()
        assertEquals(Triple("K7Q2-M9XD", "https://10.0.0.2:8443", "ab12cd"), repo.enrolments.single())
        assertEquals("https://10.0.0.2:8443", model.state.value.enrolledHubUrl)
        assertEquals("", model.state.value.hubUrl)
        assertEquals("", model.state.value.pin)
    }

    @Test
    fun `a refused code is a key, keeps the form and does not tell the caller`() = withScope { scope ->
        val repo = FakeDeviceRepository()
        repo.enrol = { _, _, _ -> throw FieldException.Refused("enrol.bad_code", 400u) }
        var told = 0
        val model = SetupModel(scope, repo, onEnrolled = { told++ })
        model.setCode("USED-CODE")
        model.enrol()
        val s = model.state.value
        assertEquals("error_enrol_bad_code", s.error)
        assertEquals("USED-CODE", s.code, "kept to correct")
        assertFalse(s.enrolled)
        assertNull(s.enrolment)
        assertEquals(0, told)
        assertFalse(s.busy)
        model.setCode("NEW-CODE")
        assertNull(model.state.value.error, "editing clears the message")
    }

    @Test
    fun `an unreachable hub is a network key`() = withScope { scope ->
        val repo = FakeDeviceRepository()
        repo.enrol = { _, _, _ -> throw FieldException.Network("sync.network") }
        val model = SetupModel(scope, repo)
        model.setCode(qr)
        model.enrol()
        assertEquals("error_sync_network", model.state.value.error)
    }

    @Test
    fun `a bad pin or a missing hub show on their fields`() = withScope { scope ->
        val repo = FakeDeviceRepository()
        repo.enrol = { _, _, _ ->
            throw FieldException.Validation(listOf(issue("pin", "sync.bad_pin"), issue("hub_url", "sync.no_hub")), emptyList())
        }
        val model = SetupModel(scope, repo)
        model.setCode("K7Q2-M9XD")
        model.setPin("zz")
        model.enrol()
        val s = model.state.value
        assertEquals("error_validation", s.error)
        assertEquals("error_sync_bad_pin", s.enrolErrors.getValue(SetupModel.PIN).single().key)
        assertEquals("error_sync_no_hub", s.enrolErrors.getValue(SetupModel.HUB_URL).single().key)
        assertTrue(s.operatorErrors.isEmpty())
        model.setPin("ab12")
        assertEquals(setOf(SetupModel.HUB_URL), model.state.value.enrolErrors.keys, "only the edited field's messages go")
    }

    @Test
    fun `one enrolment at a time, and busy while it runs`() = withScope { scope ->
        val repo = FakeDeviceRepository()
        repo.gates.close("enrolDevice")
        val model = SetupModel(scope, repo)
        model.setCode(qr)
        model.enrol()
        assertTrue(model.state.value.busy)
        assertFalse(model.state.value.canEnrol)
        assertFalse(model.state.value.canAddOperator)
        model.enrol()
        assertEquals(1, repo.calls.count { it == "enrolDevice" })
        repo.gates.open("enrolDevice")
        assertFalse(model.state.value.busy)
        assertTrue(model.state.value.enrolled)
    }

    @Test
    fun `a failing follow-up does not turn the enrolment into an error`() = withScope { scope ->
        val repo = FakeDeviceRepository()
        val model = SetupModel(scope, repo, onEnrolled = { error("scheduler gone") })
        model.setCode(qr)
        model.enrol()
        assertTrue(model.state.value.enrolled)
        assertNull(model.state.value.error)
    }

    @Test
    fun `the operator is added with trimmed fields and becomes current`() = withScope { scope ->
        val repo = FakeDeviceRepository()
        val model = SetupModel(scope, repo)
        model.setAshaId(" JK-0042 ")
        assertFalse(model.state.value.canAddOperator, "a name is needed too")
        model.addOperator()
        assertTrue(repo.workers.isEmpty())
        model.setWorkerName("Shazia ")
        model.addOperator()
        assertEquals(WorkerInput(ashaId = "JK-0042", name = "Shazia", hprId = null), repo.workers.single())
        val s = model.state.value
        assertTrue(s.hasOperator)
        assertEquals("worker-1", s.operatorId)
        assertEquals("worker-1", s.addedOperatorId)
        assertEquals("", s.ashaId)
        assertEquals("", s.workerName)
        assertFalse(s.busy)
    }

    @Test
    fun `an optional HPR id is sent when given`() = withScope { scope ->
        val repo = FakeDeviceRepository()
        val model = SetupModel(scope, repo)
        model.setAshaId("JK-0042")
        model.setWorkerName("Shazia")
        model.setHprId("71234567890123")
        model.addOperator()
        assertEquals("71234567890123", repo.workers.single().hprId)
    }

    @Test
    fun `operator field errors are the core's, by field`() = withScope { scope ->
        val repo = FakeDeviceRepository()
        repo.worker = {
            throw FieldException.Validation(listOf(issue("asha_id", "asha_id.format"), issue("hpr_id", "hpr.format")), emptyList())
        }
        val model = SetupModel(scope, repo)
        model.setAshaId("JK 42!")
        model.setWorkerName("Shazia")
        model.setHprId("123")
        model.addOperator()
        val s = model.state.value
        assertEquals("error_asha_id_format", s.operatorErrors.getValue(SetupModel.ASHA_ID).single().key)
        assertEquals("error_hpr_format", s.operatorErrors.getValue(SetupModel.HPR_ID).single().key)
        assertEquals("error_validation", s.error)
        assertEquals("JK 42!", s.ashaId, "kept to correct")
        assertFalse(s.hasOperator)
        assertTrue(s.enrolErrors.isEmpty())
        model.setAshaId("JK-0042")
        assertEquals(setOf(SetupModel.HPR_ID), model.state.value.operatorErrors.keys)
        assertNull(model.state.value.error)
    }

    @Test
    fun `a status that cannot be read is a key, and refresh recovers`() = withScope { scope ->
        val repo = FakeDeviceRepository()
        repo.statusError = FieldException.StoreUnavailable("store.busy")
        val model = SetupModel(scope, repo)
        assertNull(model.state.value.status)
        assertEquals("error_store_busy", model.state.value.error)
        assertFalse(model.state.value.loading)
        repo.statusError = null
        repo.status = repo.status.copy(hubUrl = "https://hub", role = "supervisor", workerId = "w1")
        model.refresh()
        val s = model.state.value
        assertTrue(s.complete)
        assertEquals("supervisor", s.role)
        assertTrue(s.supervises)
        assertNull(s.error)
    }

    @Test
    fun `only supervisor and organiser tablets supervise`() {
        assertTrue(DeviceRoles.canSupervise("supervisor"))
        assertTrue(DeviceRoles.canSupervise("organiser"))
        for (role in listOf("worker", "hub", "", null)) assertFalse(DeviceRoles.canSupervise(role), "for $role")
        assertFalse(SetupState().supervises, "not enrolled")
    }

    @Test
    fun `the hub an enrolment contacts is the typed one, else the QR payload's`() {
        assertEquals("https://192.168.4.1:8443", EnrolmentInput.hubUrl(qr, null))
        assertEquals("https://192.168.4.1:8443", EnrolmentInput.hubUrl(" $qr ", "  "), "blank typed URL")
        assertEquals("https://10.0.0.2", EnrolmentInput.hubUrl(qr, " https://10.0.0.2 "), "typed wins, as in the core")
        assertEquals("http://10.1.1.1:8080/", EnrolmentInput.hubUrl("""{ "code" : "X", "hub" : "http:\/\/10.1.1.1:8080\/" }""", null))
        assertNull(EnrolmentInput.hubUrl("K7Q2-M9XD", null), "a plain code names no hub")
        assertNull(EnrolmentInput.hubUrl("""{"code":"X"}""", null))
        assertNull(EnrolmentInput.hubUrl("""{"hub":"","code":"X"}""", null))
        assertNull(EnrolmentInput.hubUrl("""not json "hub":"http://x"""", null))
    }

    @Test
    fun `loading shows until the status arrives`() = withScope { scope ->
        val repo = FakeDeviceRepository()
        repo.gates.close("deviceStatus")
        val model = SetupModel(scope, repo)
        assertTrue(model.state.value.loading)
        assertNull(model.state.value.status)
        repo.gates.open("deviceStatus")
        assertFalse(model.state.value.loading)
        assertEquals("replica", model.state.value.status?.replicaId)
    }
}
