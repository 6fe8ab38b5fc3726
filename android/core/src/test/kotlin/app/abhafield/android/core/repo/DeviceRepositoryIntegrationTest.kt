/**
 * [BindingsDeviceRepository] and `SetupModel` on the real library and the hub `jvm-test.sh`
 * started on 127.0.0.1: enrolment from a scanned QR payload, the core's field names for a bad
 * pin and a bad ASHA id (the fake-based tests assume them), a used code refused, the operator and
 * a village stored. A single thread stands in for Android's main thread.
 */
package app.abhafield.android.core.repo

import app.abhafield.android.core.integration.Rig
import app.abhafield.android.core.integration.until
import app.abhafield.android.core.integration.withMain
import app.abhafield.android.core.ui.SetupModel
import app.abhafield.core.FieldException
import app.abhafield.core.VillageInput
import app.abhafield.core.WorkerInput
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Test
import java.util.concurrent.CopyOnWriteArrayList
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertNull
import kotlin.test.assertTrue

class DeviceRepositoryIntegrationTest {
    private fun qr(code: String) = """{"hub":"${Rig.hubUrl}","code":"$code"}"""

    @Test
    fun `the set-up screen enrols from a QR payload and names the operator`() = withMain<Unit> { scope ->
        val (store, _) = Rig.newStore()
        val repo = BindingsDeviceRepository(store, Dispatchers.IO)
        val told = CopyOnWriteArrayList<EnrolledDevice>()
        val model = SetupModel(scope, repo, onEnrolled = { told += it })
        val fresh = model.state.until("the status") { it.status != null }
        assertFalse(fresh.enrolled)
        assertFalse(fresh.hasOperator)

        // A bad pin is refused on the core's field before any request.
        model.setCode(qr(Rig.code()))
        model.setPin("not-hex")
        model.enrol()
        val badPin = model.state.until("the pin refused") { !it.busy && it.error != null }
        assertEquals("error_sync_bad_pin", badPin.enrolErrors.getValue(SetupModel.PIN).single().key)

        model.setPin("")
        model.enrol()
        val enrolled = model.state.until("enrolled") { !it.busy && it.enrolled }
        assertNull(enrolled.error)
        assertEquals("worker", enrolled.role)
        assertEquals(Rig.hubUrl, enrolled.enrolledHubUrl)
        assertTrue(enrolled.canSealAadhaar, "the hub's sealing key came with enrolment")
        assertEquals(1, enrolled.enrolment?.villages)
        assertEquals(listOf("worker"), told.map { it.role })

        model.setAshaId("JK 42!")
        model.setWorkerName("Shazia")
        model.addOperator()
        val badId = model.state.until("the ASHA id refused") { !it.busy && it.operatorErrors.isNotEmpty() }
        assertEquals("error_asha_id_format", badId.operatorErrors.getValue(SetupModel.ASHA_ID).single().key)

        model.setAshaId("JK-0042")
        model.addOperator()
        val done = model.state.until("the operator") { !it.busy && it.hasOperator }
        assertTrue(done.complete)
        assertEquals(done.addedOperatorId, store.deviceStatus().workerId)
    }

    @Test
    fun `a used code is refused and villages are stored`() = runBlocking<Unit> {
        val code = Rig.code()
        val (first, _) = Rig.newStore()
        val repo = BindingsDeviceRepository(first, Dispatchers.IO)
        assertEquals("worker", repo.enrolDevice(code, " ${Rig.hubUrl} ", " ").role)
        val (second, _) = Rig.newStore()
        val refused = assertFailsWith<FieldException.Refused> {
            BindingsDeviceRepository(second, Dispatchers.IO).enrolDevice(code, Rig.hubUrl, null)
        }
        assertEquals("enrol.bad_code", refused.code)

        val village = repo.putVillage(VillageInput(stateCode = 1u, districtCode = 2u, subdistrictCode = 11u, villageCode = 900199u, name = "Dooru"))
        assertTrue(repo.villages().any { it.id == village.id && it.name == "Dooru" })
        val id = repo.addWorker(WorkerInput(ashaId = " JK-0043 ", name = "Rafiq", hprId = " "))
        assertEquals(id, repo.deviceStatus().workerId)
    }
}
