/**
 * [FieldRepository] and [SyncRepository] over the real native `FieldStore`.
 *
 * Each call moves to the injected [io] dispatcher (the store blocks on SQLite and fsync), so the
 * screen models can call it from the main thread. Drafts become generated inputs here; the
 * `AadhaarEntry` objects they need are destroyed in a `finally` as soon as the call returns, so
 * the digits do not wait in native memory for the garbage collector. Sync looks up the enrolled
 * hub on [io], adapts the library's listener object to a function, and makes sure a cancelled
 * coroutine also trips the session's cancel handle.
 */
package app.abhafield.android.core.repo

import app.abhafield.core.AadhaarEntry
import app.abhafield.core.AbhaScanRecord
import app.abhafield.core.ConsentInput
import app.abhafield.core.DeviceReport
import app.abhafield.core.ReviewRecord
import app.abhafield.core.DeviceStatus
import app.abhafield.core.DuplicateGroupRecord
import app.abhafield.core.EnrollmentRecord
import app.abhafield.core.EnrollmentRoute
import app.abhafield.core.FieldException
import app.abhafield.core.FieldStore
import app.abhafield.core.FormCheck
import app.abhafield.core.HouseholdInput
import app.abhafield.core.HouseholdRecord
import app.abhafield.core.HouseholdSummaryRecord
import app.abhafield.core.HubEndpoint
import app.abhafield.core.MemberInput
import app.abhafield.core.MemberPatchInput
import app.abhafield.core.MemberRecord
import app.abhafield.core.PendingWork
import app.abhafield.core.SavedHousehold
import app.abhafield.core.SavedMember
import app.abhafield.core.SharedProfileRecord
import app.abhafield.core.SlipScanRecord
import app.abhafield.core.SyncCancel
import app.abhafield.core.SyncListener
import app.abhafield.core.SyncProgressRecord
import app.abhafield.core.SyncStatus
import app.abhafield.core.SyncSummary
import app.abhafield.core.VillageRecord
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.withContext

/** The store's operations on [io] (normally `Dispatchers.IO`). The store stays owned by the caller. */
class BindingsFieldRepository(
    private val store: FieldStore,
    private val io: CoroutineDispatcher,
) : FieldRepository {
    private suspend fun <T> onIo(block: FieldStore.() -> T): T = withContext(io) { store.block() }

    override suspend fun households(villageCode: UInt?, limit: Int, offset: Int): List<HouseholdSummaryRecord> =
        onIo { households(villageCode, limit.toU(), offset.toU()) }

    override suspend fun findHousehold(code: String): List<HouseholdSummaryRecord> = onIo { findHousehold(code) }

    override suspend fun searchMembers(query: String, limit: Int): List<MemberRecord> =
        onIo { searchMembers(query, limit.toU()) }

    override suspend fun household(id: String): HouseholdRecord = onIo { household(id) }

    override suspend fun scanSlip(payload: String): SlipScanRecord = onIo { scanSlip(payload) }

    override suspend fun scanAbhaQr(payload: String, member: MemberDraft): AbhaScanRecord = onIo {
        val input = member.copy(aadhaar = null).toInput()
        try {
            scanAbhaQr(payload, input)
        } finally {
            input.destroy()
        }
    }

    override suspend fun checkHousehold(form: HouseholdDraft): FormCheck =
        onIo { withInput(form) { checkHousehold(it) } }

    override suspend fun createHousehold(form: HouseholdDraft): SavedHousehold =
        onIo { withInput(form) { createHousehold(it) } }

    override suspend fun reviewsOf(recordId: String): List<ReviewRecord> = onIo { reviewsOf(recordId) }

    override suspend fun checkMember(householdId: String, member: MemberDraft): FormCheck = onIo {
        val input = member.toInput()
        try {
            checkMember(householdId, input)
        } finally {
            input.destroy()
        }
    }

    override suspend fun addMember(householdId: String, member: MemberDraft): SavedMember = onIo {
        val input = member.toInput()
        try {
            addMember(householdId, input)
        } finally {
            input.destroy()
        }
    }

    override suspend fun updateMember(memberId: String, patch: MemberPatchInput): MemberRecord =
        onIo { updateMember(memberId, patch) }

    override suspend fun deleteMember(memberId: String) = onIo { deleteMember(memberId) }

    override suspend fun recordConsent(consent: ConsentInput): String = onIo { recordConsent(consent) }

    override suspend fun requestEnrollment(memberId: String, route: EnrollmentRoute, consentId: String): EnrollmentRecord =
        onIo { requestEnrollment(memberId, route, consentId) }

    override suspend fun retryEnrollment(enrollmentId: String, patch: MemberPatchInput, aadhaar: String?): EnrollmentRecord =
        onIo {
            val entry = aadhaar?.takeIf { it.isNotBlank() }?.let(::AadhaarEntry)
            try {
                retryEnrollment(enrollmentId, patch, entry)
            } finally {
                entry?.destroy()
            }
        }

    override suspend fun enrollments(memberId: String): List<EnrollmentRecord> = onIo { enrollments(memberId) }

    override suspend fun pending(): PendingWork = onIo { pending() }

    override suspend fun lastSync(): SyncStatus? = onIo { lastSync() }

    override suspend fun villages(): List<VillageRecord> = onIo { villages() }

    override suspend fun needsAttention(limit: Int): List<EnrollmentRecord> = onIo { needsAttention(limit.toU()) }

    override suspend fun duplicates(limit: Int): List<DuplicateGroupRecord> = onIo { duplicates(limit.toU()) }

    override suspend fun deviceStatus(): DeviceStatus = onIo { deviceStatus() }

    private companion object {
        fun Int.toU(): UInt = coerceAtLeast(0).toUInt()

        /** Builds the native input, runs [call], then frees every Aadhaar entry it made. */
        fun <T> withInput(form: HouseholdDraft, call: (HouseholdInput) -> T): T {
            val members = ArrayList<MemberInput>(form.members.size)
            try {
                form.members.mapTo(members) { it.toInput() }
                val input = HouseholdInput(
                    villageCode = form.villageCode,
                    address = form.address,
                    pincode = form.pincode?.takeIf { it.isNotBlank() },
                    lat = form.lat,
                    lon = form.lon,
                    members = members,
                )
                return call(input)
            } finally {
                members.forEach { it.destroy() }
            }
        }

        fun MemberDraft.toInput(): MemberInput = MemberInput(
            givenName = givenName,
            middleName = middleName.orNull(),
            familyName = familyName.orNull(),
            nameLatin = nameLatin.orNull(),
            gender = gender,
            birthDate = birthDate,
            relation = relation,
            mobile = mobile.orNull(),
            aadhaar = aadhaar?.takeIf { it.isNotBlank() }?.let(::AadhaarEntry),
            abhaNumber = abhaNumber.orNull(),
            abhaAddress = abhaAddress.orNull(),
        )

        fun String?.orNull(): String? = this?.takeIf { it.isNotBlank() }
    }
}

/** [SyncRepository] over the native store; the enrolled-hub lookup runs on [io]. */
class BindingsSyncRepository(
    private val store: FieldStore,
    private val io: CoroutineDispatcher,
) : SyncRepository {
    private suspend fun hub(): HubEndpoint =
        withContext(io) { store.enrolledHub() } ?: throw FieldException.NotEnrolled()

    override suspend fun sync(onProgress: (SyncProgressRecord) -> Unit, cancel: SyncCancel): SyncSummary {
        val hub = hub()
        val report = onProgress
        val listener = object : SyncListener {
            // A failing observer must not fail the session (the callback runs inside the library).
            override fun onProgress(progress: SyncProgressRecord) {
                runCatching { report(progress) }
            }
        }
        return try {
            withContext(io) { store.sync(hub, listener, cancel) }
        } catch (e: CancellationException) {
            // The coroutine was cancelled: make sure the session stops at its next boundary too.
            runCatching { cancel.cancel() }
            throw e
        }
    }

    override suspend fun hubDevices(): List<DeviceReport> {
        val hub = hub()
        return withContext(io) { store.hubDevices(hub) }
    }

    override suspend fun sharedProfiles(): List<SharedProfileRecord> {
        val hub = hub()
        return withContext(io) { store.sharedProfiles(hub) }
    }

    override suspend fun acceptSharedProfile(id: String, memberId: String?) {
        val hub = hub()
        withContext(io) { store.acceptSharedProfile(hub, id, memberId) }
    }

    override suspend fun dismissSharedProfile(id: String) {
        val hub = hub()
        withContext(io) { store.dismissSharedProfile(hub, id) }
    }
}
