/**
 * What the set-up screen needs from the store: what the device is, enrolling it with a hub,
 * naming its operator, and the villages it holds.
 *
 * Why a separate interface: these calls configure the tablet rather than capture households,
 * and enrolment is a network call with a bearer token in its answer. Keeping them apart from
 * [FieldRepository] lets `SetupModel` be tested with a small fake, and lets the Bindings
 * implementation keep the token inside this file: [enrolDevice] returns an [EnrolledDevice]
 * (device id, role, village count) and never the generated `Enrolment`, whose `HubEndpoint`
 * holds the token and whose data-class `toString` would print it. The store keeps the token
 * itself; sync looks it up again (`BindingsSyncRepository`).
 *
 * Like the other Bindings repositories, every call moves to the injected IO dispatcher (the
 * store blocks on SQLite), so screen models may call it from the main thread.
 */
package app.abhafield.android.core.repo

import app.abhafield.core.DeviceStatus
import app.abhafield.core.Enrolment
import app.abhafield.core.FieldStore
import app.abhafield.core.VillageInput
import app.abhafield.core.VillageRecord
import app.abhafield.core.WorkerInput
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.withContext

/**
 * The outcome of a successful enrolment, without the hub's token. [villages] is how many
 * villages the hub gave this device (0 for a hub peer, which sees all).
 */
data class EnrolledDevice(
    val deviceId: String,
    val role: String,
    val villages: Int,
) {
    companion object {
        /** Drops the token-bearing `hub` of the generated record. */
        fun of(enrolment: Enrolment): EnrolledDevice =
            EnrolledDevice(enrolment.deviceId, enrolment.role, enrolment.villages.coerceAtMost(Int.MAX_VALUE.toUInt()).toInt())
    }
}

/**
 * Which hub an enrolment will contact, read the way the core reads it: a typed hub URL wins,
 * else the `hub` of a scanned QR payload (`{"hub":"https://…","pin":"…","code":"…"}`), else
 * none. The app uses it to pick the network to enrol over; the core still parses the input
 * itself, so a payload this cannot read only means no network is picked (never a wrong code).
 */
object EnrolmentInput {
    private val HUB = Regex(""""hub"\s*:\s*"((?:[^"\\]|\\.)*)"""")

    fun hubUrl(code: String, typedHubUrl: String?): String? {
        typedHubUrl?.trim()?.takeIf { it.isNotEmpty() }?.let { return it }
        val text = code.trim()
        if (!text.startsWith("{")) return null
        return HUB.find(text)?.groupValues?.get(1)?.replace("\\/", "/")?.trim()?.takeIf { it.isNotEmpty() }
    }
}

/** The device-configuration operations of the store. Every function may throw `FieldException`. */
interface DeviceRepository {
    /** Enrolled or not, role, hub URL, current operator, whether Aadhaar numbers can be sealed. */
    suspend fun deviceStatus(): DeviceStatus

    /**
     * Enrols the device with a hub using the supervisor's one-time [code], which may also be the
     * scanned enrolment QR payload (`{"hub","pin","code"}`, carrying the hub's URL and pin).
     * [hubUrl] and [pinHex] (null when not typed) take precedence over the QR's. Problems with
     * them are `FieldException.Validation` on `hub_url` (`sync.no_hub`) or `pin`
     * (`sync.bad_pin`); a used or unknown code is `FieldException.Refused` (`enrol.bad_code`).
     */
    suspend fun enrolDevice(code: String, hubUrl: String?, pinHex: String?): EnrolledDevice

    /**
     * Adds an operator (ASHA worker) and makes them the current one; returns their id. Invalid
     * fields are `FieldException.Validation` on `asha_id`, `name`, `hpr_id`.
     */
    suspend fun addWorker(worker: WorkerInput): String

    /** The device's villages. */
    suspend fun villages(): List<VillageRecord>

    /** Adds or updates a village (LGD master data; normally villages arrive with sync). */
    suspend fun putVillage(village: VillageInput): VillageRecord
}

/** [DeviceRepository] over the native store, each call on [io] (normally `Dispatchers.IO`). */
class BindingsDeviceRepository(
    private val store: FieldStore,
    private val io: CoroutineDispatcher,
) : DeviceRepository {
    private suspend fun <T> onIo(block: FieldStore.() -> T): T = withContext(io) { store.block() }

    override suspend fun deviceStatus(): DeviceStatus = onIo { deviceStatus() }

    override suspend fun enrolDevice(code: String, hubUrl: String?, pinHex: String?): EnrolledDevice {
        // The network part runs on the library's own runtime; starting it and storing the answer
        // touch the store, so the call is made from [io] like every other store call.
        val enrolment = withContext(io) {
            store.enrolDevice(code.trim(), hubUrl.orNull(), pinHex.orNull())
        }
        return EnrolledDevice.of(enrolment)
    }

    override suspend fun addWorker(worker: WorkerInput): String = onIo {
        addWorker(worker.copy(ashaId = worker.ashaId.trim(), name = worker.name.trim(), hprId = worker.hprId.orNull()))
    }

    override suspend fun villages(): List<VillageRecord> = onIo { villages() }

    override suspend fun putVillage(village: VillageInput): VillageRecord = onIo { putVillage(village) }

    private companion object {
        fun String?.orNull(): String? = this?.trim()?.takeIf { it.isNotEmpty() }
    }
}
