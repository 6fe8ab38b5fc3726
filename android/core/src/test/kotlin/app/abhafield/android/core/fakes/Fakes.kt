/**
 * Hand-written fakes of the repositories and builders of the generated records, so the screen
 * models and the sync code are tested without the native library, a database or a hub.
 *
 * A fake call can be held at a [Gates] gate until the test opens it, which is how tests look at
 * the "saving", "running" and "only one at a time" states without sleeping.
 */
package app.abhafield.android.core.fakes

import app.abhafield.android.core.repo.DeviceRepository
import app.abhafield.android.core.repo.EnrolledDevice
import app.abhafield.android.core.repo.FieldRepository
import app.abhafield.android.core.repo.HouseholdDraft
import app.abhafield.android.core.repo.MemberDraft
import app.abhafield.android.core.repo.SyncRepository
import app.abhafield.android.core.sync.Clock
import app.abhafield.core.AbhaScanRecord
import app.abhafield.core.ConsentInput
import app.abhafield.core.DeviceReport
import app.abhafield.core.ReviewRecord
import app.abhafield.core.DeviceStatus
import app.abhafield.core.DuplicateGroupRecord
import app.abhafield.core.EnrollmentRecord
import app.abhafield.core.EnrollmentRoute
import app.abhafield.core.FieldIssue
import app.abhafield.core.FormCheck
import app.abhafield.core.HouseholdRecord
import app.abhafield.core.HouseholdSummaryRecord
import app.abhafield.core.MemberPatchInput
import app.abhafield.core.MemberRecord
import app.abhafield.core.NoHandle
import app.abhafield.core.PendingWork
import app.abhafield.core.SavedHousehold
import app.abhafield.core.SavedMember
import app.abhafield.core.SharedProfileRecord
import app.abhafield.core.SlipScanRecord
import app.abhafield.core.SyncCancel
import app.abhafield.core.SyncPhase
import app.abhafield.core.SyncProgressRecord
import app.abhafield.core.SyncStatus
import app.abhafield.core.SyncSummary
import app.abhafield.core.VillageInput
import app.abhafield.core.VillageRecord
import app.abhafield.core.WorkerInput
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.runBlocking
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.CopyOnWriteArrayList

/** Runs [block] with a scope on `Dispatchers.Unconfined` that is cancelled afterwards. */
fun withScope(block: suspend CoroutineScope.(scope: CoroutineScope) -> Unit) = runBlocking {
    val scope = CoroutineScope(SupervisorJob() + Dispatchers.Unconfined)
    try {
        block(scope)
    } finally {
        scope.cancel()
    }
}

/** Gates a fake call waits at until the test opens them. */
class Gates {
    private val gates = ConcurrentHashMap<String, CompletableDeferred<Unit>>()

    /** Makes calls named [name] wait until [open]. */
    fun close(name: String) {
        gates[name] = CompletableDeferred()
    }

    fun open(name: String) {
        gates.remove(name)?.complete(Unit)
    }

    suspend fun pass(name: String) {
        gates[name]?.await()
    }
}

fun issue(field: String, code: String, params: Map<String, String> = emptyMap()) = FieldIssue(field, code, params)

fun village(code: UInt, name: String = "V$code") = VillageRecord("village-$code", 1u, 2u, 3u, code, name)

fun summary(id: String, villageId: String? = "village-900101", head: String = "Sita", createdAt: Long = 0) =
    HouseholdSummaryRecord(id, "CODE-$id", villageId, "Lane", head, 3u, createdAt)

fun member(id: String, householdId: String = "h1", givenName: String = "Sita", relation: String = "head") = MemberRecord(
    id = id, householdId = householdId, givenName = givenName, middleName = null, familyName = "Bhat", nameLatin = null,
    gender = "F", birthDate = "1985-02-01", mobile = null, relation = relation, aadhaarMasked = null, aadhaarSealed = false,
    abhaNumber = null, abhaAddress = null, createdAt = 0,
)

fun household(id: String, villageId: String? = null, members: List<MemberRecord> = emptyList()) =
    HouseholdRecord(id, "CODE-$id", villageId, "Lane", null, null, null, members.firstOrNull()?.id, 0, members)

fun enrollment(id: String, state: String?, reason: String? = null, attemptOf: String? = null, abha: String? = null, memberId: String = "m1") =
    EnrollmentRecord(id, memberId, "demo_auth", state, reason, abha, attemptOf, 0)

fun device(id: String, pending: ULong = 0u, wedged: ULong = 0u, oldest: Long? = null) =
    DeviceReport(id, null, "worker", null, pending, wedged, oldest, false)

fun pendingWork(changes: ULong = 0u) = PendingWork(changes, changes * 10u, 0u, null, 0u)

fun progress(phase: SyncPhase, batch: UInt = 0u, sent: ULong = 0u, received: ULong = 0u) =
    SyncProgressRecord(phase, batch, null, sent, received, sent * 100u, received * 100u)

fun syncSummary(pushed: ULong = 5u, pulled: ULong = 7u) = SyncSummary(pushed, pulled, 3u, 500u, 700u, pendingWork(0u))

/** A settable clock. */
class FakeClock(var now: Long = 1_700_000_000_000L) : Clock {
    override fun nowMillis(): Long = now
}

/** A cancel handle without the native library. */
class FakeCancel : SyncCancel(NoHandle) {
    @Volatile var cancelled = false
    @Volatile var closed = false
    override fun cancel() {
        cancelled = true
    }
    override fun isCancelled(): Boolean = cancelled
    override fun close() {
        closed = true
    }
    override fun destroy() {
        closed = true
    }
}

/** An in-memory [FieldRepository] whose answers tests set, recording every call by name. */
class FakeFieldRepository : FieldRepository {
    val gates = Gates()
    val calls = CopyOnWriteArrayList<String>()

    var villages = listOf(village(900101u), village(900102u))
    var villagesError: Throwable? = null
    var householdOf: (String) -> HouseholdRecord = { id -> app.abhafield.android.core.fakes.household(id) }
    var householdPages: (UInt?, Int, Int) -> List<HouseholdSummaryRecord> = { _, limit, offset ->
        (0 until 120).map { summary("h$it") }.drop(offset).take(limit)
    }
    var findByCode: (String) -> List<HouseholdSummaryRecord> = { emptyList() }
    var slip: (String) -> SlipScanRecord = { p -> SlipScanRecord(false, p, false, null, emptyList()) }
    var abhaScan: (String, MemberDraft) -> AbhaScanRecord = { _, m -> abhaScan(m) }
    val abhaScans = CopyOnWriteArrayList<MemberDraft>()
    var search: (String) -> List<MemberRecord> = { emptyList() }
    var check: (HouseholdDraft) -> FormCheck = { FormCheck(emptyList(), emptyList()) }
    var reviews: (String) -> List<ReviewRecord> = { emptyList() }
    var checkOne: (String, MemberDraft) -> FormCheck = { _, _ -> FormCheck(emptyList(), emptyList()) }
    var create: (HouseholdDraft) -> SavedHousehold = { d -> SavedHousehold("h-new", "K3M9-QXD7", d.members.indices.map { "m$it" }, emptyList()) }
    var add: (String, MemberDraft) -> SavedMember = { h, _ -> SavedMember("m-new", h, emptyList()) }
    var update: (String, MemberPatchInput) -> MemberRecord = { id, p -> member(id).copy(givenName = p.givenName ?: "Sita") }
    var consent: (ConsentInput) -> String = { "consent-1" }
    var enrollmentList = mutableListOf<EnrollmentRecord>()
    var enrollmentsError: Throwable? = null
    var request: (String, EnrollmentRoute, String) -> EnrollmentRecord = { m, _, _ ->
        enrollment("e${enrollmentList.size + 1}", "queued", memberId = m).also { enrollmentList += it }
    }
    var retry: (String, MemberPatchInput, String?) -> EnrollmentRecord = { old, _, _ ->
        enrollment("e${enrollmentList.size + 1}", "queued", attemptOf = old).also { enrollmentList += it }
    }
    var pendingWork = pendingWork(0u)
    var last: SyncStatus? = null
    var attention: () -> List<EnrollmentRecord> = { emptyList() }
    var dupes: () -> List<DuplicateGroupRecord> = { emptyList() }
    var status = DeviceStatus("replica", "http://hub", "dev-1", "worker", "worker-1", true)

    val checked = CopyOnWriteArrayList<HouseholdDraft>()
    val checkedMembers = CopyOnWriteArrayList<Pair<String, MemberDraft>>()
    val created = CopyOnWriteArrayList<HouseholdDraft>()
    val added = CopyOnWriteArrayList<MemberDraft>()
    val patches = CopyOnWriteArrayList<Pair<String, MemberPatchInput>>()
    val consents = CopyOnWriteArrayList<ConsentInput>()
    val retryAadhaar = CopyOnWriteArrayList<String?>()
    val deleted = CopyOnWriteArrayList<String>()

    private suspend fun <T> call(name: String, block: () -> T): T {
        calls += name
        gates.pass(name)
        return block()
    }

    override suspend fun households(villageCode: UInt?, limit: Int, offset: Int) = call("households") { householdPages(villageCode, limit, offset) }
    override suspend fun findHousehold(code: String) = call("findHousehold") { findByCode(code) }
    override suspend fun searchMembers(query: String, limit: Int) = call("searchMembers") { search(query).take(limit) }
    override suspend fun household(id: String): HouseholdRecord = call("household") { householdOf(id) }
    override suspend fun scanSlip(payload: String) = call("scanSlip") { slip(payload) }
    override suspend fun scanAbhaQr(payload: String, member: MemberDraft) =
        call("scanAbhaQr") { abhaScans += member; abhaScan(payload, member) }
    override suspend fun checkHousehold(form: HouseholdDraft) = call("checkHousehold") { checked += form; check(form) }
    override suspend fun reviewsOf(recordId: String) = call("reviewsOf") { reviews(recordId) }
    override suspend fun checkMember(householdId: String, member: MemberDraft) =
        call("checkMember") { checkedMembers += householdId to member; checkOne(householdId, member) }
    override suspend fun createHousehold(form: HouseholdDraft) = call("createHousehold") { created += form; create(form) }
    override suspend fun addMember(householdId: String, member: MemberDraft) = call("addMember") { added += member; add(householdId, member) }
    override suspend fun updateMember(memberId: String, patch: MemberPatchInput) = call("updateMember") { patches += memberId to patch; update(memberId, patch) }
    override suspend fun deleteMember(memberId: String) = call("deleteMember") { deleted += memberId; Unit }
    override suspend fun recordConsent(consent: ConsentInput) = call("recordConsent") { consents += consent; this.consent(consent) }
    override suspend fun requestEnrollment(memberId: String, route: EnrollmentRoute, consentId: String) =
        call("requestEnrollment") { request(memberId, route, consentId) }
    override suspend fun retryEnrollment(enrollmentId: String, patch: MemberPatchInput, aadhaar: String?) =
        call("retryEnrollment") { retryAadhaar += aadhaar; retry(enrollmentId, patch, aadhaar) }
    override suspend fun enrollments(memberId: String) = call("enrollments") {
        enrollmentsError?.let { throw it }
        enrollmentList.filter { it.memberId == memberId }
    }
    override suspend fun pending() = call("pending") { pendingWork }
    override suspend fun lastSync() = call("lastSync") { last }
    override suspend fun villages() = call("villages") { villagesError?.let { throw it }; villages }
    override suspend fun needsAttention(limit: Int) = call("needsAttention") { attention().take(limit) }
    override suspend fun duplicates(limit: Int) = call("duplicates") { dupes().take(limit) }
    override suspend fun deviceStatus() = call("deviceStatus") { status }
}

/** A scripted [SyncRepository]: [session] runs for each sync; [devices] answers hubDevices. */
class FakeSyncRepository : SyncRepository {
    val gates = Gates()
    @Volatile var syncCalls = 0
    var session: suspend (onProgress: (SyncProgressRecord) -> Unit, cancel: SyncCancel) -> SyncSummary = { onProgress, _ ->
        onProgress(progress(SyncPhase.HELLO))
        onProgress(progress(SyncPhase.PUSH, 1u, sent = 5u))
        onProgress(progress(SyncPhase.DONE, 1u, sent = 5u, received = 7u))
        syncSummary()
    }
    var devices: suspend () -> List<DeviceReport> = { emptyList() }

    override suspend fun sync(onProgress: (SyncProgressRecord) -> Unit, cancel: SyncCancel): SyncSummary {
        syncCalls++
        gates.pass("sync")
        return session(onProgress, cancel)
    }

    override suspend fun hubDevices(): List<DeviceReport> {
        gates.pass("hubDevices")
        return devices()
    }

    var profiles: suspend () -> List<SharedProfileRecord> = { emptyList() }
    val handled = CopyOnWriteArrayList<Pair<String, String?>>()
    var handle: suspend (String, String?) -> Unit = { _, _ -> }

    override suspend fun sharedProfiles(): List<SharedProfileRecord> {
        gates.pass("sharedProfiles")
        return profiles()
    }

    override suspend fun acceptSharedProfile(id: String, memberId: String?) {
        gates.pass("handle")
        handle(id, memberId)
        handled += id to (memberId ?: "accepted")
    }

    override suspend fun dismissSharedProfile(id: String) {
        gates.pass("handle")
        handle(id, null)
        handled += id to null
    }
}

/** A profile "Asha Kumari" (F, 2000-06-06) shared at counter OPD1 with token [token]. */
fun sharedProfile(id: String, token: String = "1") = SharedProfileRecord(
    id = id, token = token, counter = "OPD1", receivedAt = 0, expiresAt = 1_800_000,
    givenName = "Asha Kumari", middleName = null, familyName = null, gender = "F", birthDate = "2000-06-06",
    mobile = "9876543210", abhaNumber = null, abhaAddress = "asha.k@sbx", address = "Ward 4", pincode = "192101",
    district = "Anantnag",
)

/**
 * An in-memory [DeviceRepository]: enrolment and adding a worker change [status] the way the
 * store does; [enrol] and [addWorker] can be replaced to fail. Records calls by name.
 */
class FakeDeviceRepository : DeviceRepository {
    val gates = Gates()
    val calls = CopyOnWriteArrayList<String>()

    var status = DeviceStatus("replica", null, null, null, null, false)
    var statusError: Throwable? = null
    var villages = mutableListOf(village(900101u))
    val enrolments = CopyOnWriteArrayList<Triple<String, String?, String?>>()
    val workers = CopyOnWriteArrayList<WorkerInput>()

    var enrol: (String, String?, String?) -> EnrolledDevice = { _, hub, _ ->
        status = status.copy(hubUrl = hub ?: "http://hub-from-qr", deviceId = "dev-1", role = "worker", canSealAadhaar = true)
        EnrolledDevice("dev-1", "worker", 1)
    }
    var worker: (WorkerInput) -> String = { _ ->
        "worker-${workers.size}".also { status = status.copy(workerId = it) }
    }

    private suspend fun <T> call(name: String, block: () -> T): T {
        calls += name
        gates.pass(name)
        return block()
    }

    override suspend fun deviceStatus() = call("deviceStatus") { statusError?.let { throw it }; status }
    override suspend fun enrolDevice(code: String, hubUrl: String?, pinHex: String?) =
        call("enrolDevice") { enrolments += Triple(code, hubUrl, pinHex); enrol(code, hubUrl, pinHex) }
    override suspend fun addWorker(worker: WorkerInput) = call("addWorker") { workers += worker; this.worker(worker) }
    override suspend fun villages() = call("villages") { villages.toList() }
    override suspend fun putVillage(village: VillageInput) = call("putVillage") {
        VillageRecord("village-${village.villageCode}", village.stateCode, village.districtCode, village.subdistrictCode,
            village.villageCode, village.name).also { v -> villages.removeAll { it.id == v.id }; villages += v }
    }
}

/**
 * What the core answers for an ABHA card of "Sita Devi" (F, 1988-03-14) offered to [typed]:
 * blank fields filled, typed ones kept, a typed gender other than F reported as differing.
 */
fun abhaScan(typed: MemberDraft, existing: List<MemberRecord> = emptyList()): AbhaScanRecord {
    val filled = mutableListOf<String>()
    val differs = mutableListOf<FieldIssue>()
    fun offer(field: String, now: String?, card: String): String =
        if (now.isNullOrBlank()) { filled += field; card } else { if (now != card) differs += FieldIssue(field, "qr.differs", emptyMap()); now }
    return AbhaScanRecord(
        variant = "card",
        givenName = offer("given_name", typed.givenName, "Sita Devi"),
        middleName = typed.middleName,
        familyName = typed.familyName,
        nameLatin = typed.nameLatin,
        gender = offer("gender", typed.gender, "F"),
        birthDate = offer("birth_date", typed.birthDate, "1988-03-14"),
        mobile = typed.mobile,
        abhaNumber = offer("abha_number", typed.abhaNumber, "91-6285-4575-5116"),
        abhaAddress = offer("abha_address", typed.abhaAddress, "sita.devi@abdm"),
        filled = filled,
        differs = differs,
        warnings = listOf(FieldIssue("mobile", "qr.masked", emptyMap())),
        legacyAddress = false,
        existing = existing,
    )
}
