/**
 * What the screens need from the device's store, as suspend functions.
 *
 * The generated `FieldStore` blocks on SQLite; screen models must never call it on the main
 * thread, and their tests must run without the native library. This interface is the seam:
 * `BindingsFieldRepository` runs each call on an IO dispatcher, fakes in tests implement it in
 * memory. Records are the generated ones (plain data classes); the two inputs that would carry a
 * native Aadhaar object are plain-Kotlin drafts instead, so native memory holding an Aadhaar
 * number is created and freed inside one repository call. `SyncRepository` is the same seam for
 * sync: the app only syncs with the hub it enrolled with, so the hub is looked up behind it.
 */
package app.abhafield.android.core.repo

import app.abhafield.core.AbhaScanRecord
import app.abhafield.core.SharedProfileRecord
import app.abhafield.core.SlipScanRecord
import app.abhafield.core.ConsentInput
import app.abhafield.core.DeviceReport
import app.abhafield.core.ReviewRecord
import app.abhafield.core.DeviceStatus
import app.abhafield.core.DuplicateGroupRecord
import app.abhafield.core.EnrollmentRecord
import app.abhafield.core.EnrollmentRoute
import app.abhafield.core.FormCheck
import app.abhafield.core.HouseholdRecord
import app.abhafield.core.HouseholdSummaryRecord
import app.abhafield.core.MemberPatchInput
import app.abhafield.core.MemberRecord
import app.abhafield.core.PendingWork
import app.abhafield.core.SavedHousehold
import app.abhafield.core.SavedMember
import app.abhafield.core.SyncCancel
import app.abhafield.core.SyncProgressRecord
import app.abhafield.core.SyncStatus
import app.abhafield.core.SyncSummary
import app.abhafield.core.VillageRecord

/**
 * A household form as typed: every field raw text, validated by the core. [villageCode] is the
 * LGD village code. Its `toString` names no values (the form holds names and Aadhaar numbers).
 */
data class HouseholdDraft(
    val villageCode: UInt?,
    val address: String,
    val pincode: String? = null,
    val lat: Double? = null,
    val lon: Double? = null,
    val members: List<MemberDraft> = emptyList(),
) {
    override fun toString(): String = "HouseholdDraft(members=${members.size})"
}

/**
 * A member as typed. [aadhaar] is the number as typed (spaces allowed) or null; it becomes a
 * native `AadhaarEntry` only for the duration of one repository call. `toString` hides every value.
 */
data class MemberDraft(
    val givenName: String,
    val middleName: String? = null,
    val familyName: String? = null,
    val nameLatin: String? = null,
    val gender: String,
    val birthDate: String,
    val relation: String,
    val mobile: String? = null,
    val aadhaar: String? = null,
    val abhaNumber: String? = null,
    val abhaAddress: String? = null,
) {
    override fun toString(): String = "MemberDraft(<redacted>)"
}

/** The store operations of the field app. Every function may throw `FieldException`. */
interface FieldRepository {
    /** Households, newest first, optionally of one village (LGD code). */
    suspend fun households(villageCode: UInt?, limit: Int, offset: Int): List<HouseholdSummaryRecord>

    /** Households with a printed code (a typo is `FieldException.Validation` on field `code`). */
    suspend fun findHousehold(code: String): List<HouseholdSummaryRecord>

    /** Members whose names contain [query], any script. */
    suspend fun searchMembers(query: String, limit: Int): List<MemberRecord>

    /**
     * The household a scanned slip (`ABHF1:...`, verified offline with the hub's key) or a typed
     * printed code names; `known = false` when it is not on this tablet yet (sync, then scan
     * again). A refused slip is `FieldException.Validation` with one issue under `slip`.
     */
    suspend fun scanSlip(payload: String): SlipScanRecord

    /**
     * Offers a scanned ABHA card (or ABHA app) QR code to a member form: empty fields are
     * filled, typed ones are kept and listed in `differs` (`qr.differs`); `existing` lists the
     * members here who already hold this ABHA. The draft's Aadhaar is never sent. A code that
     * is not an ABHA code is `FieldException.Validation` with one issue under `qr`.
     */
    suspend fun scanAbhaQr(payload: String, member: MemberDraft): AbhaScanRecord

    /** A household with its members (`FieldException.NotFound` if gone). */
    suspend fun household(id: String): HouseholdRecord

    /** Every error and warning of a form without saving. */
    suspend fun checkHousehold(form: HouseholdDraft): FormCheck

    /**
     * Every error and warning of a member about to join [householdId], without saving (fields
     * unprefixed, as [addMember] reports them), including `member.possible_duplicate`.
     */
    suspend fun checkMember(householdId: String, member: MemberDraft): FormCheck

    /** A supervisor's decisions about a record (a member or an ABHA request), newest first. */
    suspend fun reviewsOf(recordId: String): List<ReviewRecord>

    /** Saves a household with its members in one transaction. */
    suspend fun createHousehold(form: HouseholdDraft): SavedHousehold

    /** Adds a member to a household (issue fields are unprefixed: `given_name`). */
    suspend fun addMember(householdId: String, member: MemberDraft): SavedMember

    /** Changes only the fields given in [patch] (`""` clears an optional field). */
    suspend fun updateMember(memberId: String, patch: MemberPatchInput): MemberRecord

    /** Deletes a member (a tombstone that syncs). */
    suspend fun deleteMember(memberId: String)

    /** Records consent; returns the consent id. */
    suspend fun recordConsent(consent: ConsentInput): String

    /** Queues an ABHA request resting on a consent. */
    suspend fun requestEnrollment(memberId: String, route: EnrollmentRoute, consentId: String): EnrollmentRecord

    /** Retries a `needs_correction` request with corrected fields and the Aadhaar read again. */
    suspend fun retryEnrollment(enrollmentId: String, patch: MemberPatchInput, aadhaar: String?): EnrollmentRecord

    /** A member's ABHA requests, oldest first. */
    suspend fun enrollments(memberId: String): List<EnrollmentRecord>

    /** Unsynced work and open conflicts. */
    suspend fun pending(): PendingWork

    /** The last sync with the enrolled hub, if any. */
    suspend fun lastSync(): SyncStatus?

    /** The device's villages. */
    suspend fun villages(): List<VillageRecord>

    /** ABHA requests someone must look at (sent back, refused, waiting to retry). */
    suspend fun needsAttention(limit: Int): List<EnrollmentRecord>

    /** Members that look like the same person. */
    suspend fun duplicates(limit: Int): List<DuplicateGroupRecord>

    /** Enrolment, role, operator, sealing key. */
    suspend fun deviceStatus(): DeviceStatus
}

/** One sync session with the enrolled hub, and the hub's device report. */
interface SyncRepository {
    /**
     * Runs one session. [onProgress] is called after every request, on a library thread.
     * [cancel] stops it at the next request boundary (`FieldException.Cancelled`).
     * Throws `FieldException.NotEnrolled` if the device has no hub.
     */
    suspend fun sync(onProgress: (SyncProgressRecord) -> Unit, cancel: SyncCancel): SyncSummary

    /** Devices the hub knows with their unsynced work (supervisor devices; others get `Refused`). */
    suspend fun hubDevices(): List<DeviceReport>

    /**
     * Profiles people shared at the camp's Scan and Share counters, newest first, waiting for
     * a worker; empty when the hub does not run Scan and Share. Needs the hub.
     */
    suspend fun sharedProfiles(): List<SharedProfileRecord>

    /** Marks a shared profile accepted as the member saved from it. Idempotent. */
    suspend fun acceptSharedProfile(id: String, memberId: String?)

    /** Marks a shared profile dismissed (not someone to register here). Idempotent. */
    suspend fun dismissSharedProfile(id: String)
}
