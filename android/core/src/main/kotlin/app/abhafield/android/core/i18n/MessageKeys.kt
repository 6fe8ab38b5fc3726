/**
 * Message keys: how machine codes from the core become Android string resource names.
 *
 * The Rust core never produces user-facing text; it reports stable codes (`aadhaar.checksum`,
 * `sync.network`). Screen state carries only the keys built here, and the app resolves them
 * with `getIdentifier`/`R.string`, so every language is translated in one place (strings.xml)
 * and no English, and no personal data, ever reaches a screen or a log from this layer.
 */
package app.abhafield.android.core.i18n

import app.abhafield.core.FieldException
import app.abhafield.core.FieldIssue

/** One message the UI shows for one form field. [field] is the core's field name, [key] a string resource name. */
data class FieldMessage(
    val field: String,
    val key: String,
    val params: Map<String, String> = emptyMap(),
)

/** Builds message keys from codes and exceptions. */
object MessageKeys {
    const val VALIDATION = "error_validation"
    const val WRONG_KEY = "error_store_wrong_key"
    const val STORE_UNAVAILABLE = "error_store_unavailable"
    const val NOT_FOUND = "error_not_found"
    const val NOT_ENROLLED = "error_not_enrolled"
    const val SYNC_NETWORK = "error_sync_network"
    const val SYNC_REFUSED = "error_sync_refused"
    const val SYNC_CANCELLED = "error_sync_cancelled"
    const val SYNC_FAILED = "error_sync_failed"
    const val UNKNOWN = "error_unknown"
    const val CONSENT_TEXT_MISSING = "error_consent_text_missing"

    /** Store codes that have their own message; any other store code shows [STORE_UNAVAILABLE]. */
    private val STORE_CODES = setOf(
        "store.corrupt", "store.incompatible_version", "store.disk_full", "store.busy", "store.bad_key", "store.io",
    )

    /** Transport codes with their own message; another network code shows [SYNC_NETWORK]. */
    private val NETWORK_CODES = setOf("sync.network", "sync.unavailable", "sync.bad_reply", "sync.insecure")

    /** Hub refusals with their own message; another refusal shows [SYNC_REFUSED]. */
    private val REFUSED_CODES = setOf(
        "auth.unauthenticated", "auth.forbidden", "enrol.bad_code", "enrol.bad_role", "enrol.replica_taken", "sync.bad_pin",
    )

    /** Every key [forException], [forThrowable] and [forSyncError] can return: the app defines all of them. */
    val EXCEPTION_KEYS: Set<String> = buildSet {
        addAll(listOf(VALIDATION, WRONG_KEY, STORE_UNAVAILABLE, NOT_FOUND, NOT_ENROLLED, SYNC_NETWORK, SYNC_REFUSED))
        addAll(listOf(SYNC_CANCELLED, SYNC_FAILED, UNKNOWN, CONSENT_TEXT_MISSING))
        (STORE_CODES + NETWORK_CODES + REFUSED_CODES).forEach { add(forCode(it)) }
    }

    /** `aadhaar.checksum` → `error_aadhaar_checksum`: the resource name of a validation or reason code. */
    fun forCode(code: String): String = "error_" + code.replace('.', '_')

    /** The message for one issue the core reported. */
    fun forIssue(issue: FieldIssue): FieldMessage = FieldMessage(issue.field, forCode(issue.code), issue.params)

    /** The key of a failed call, from the exception's case and machine code (never its message). */
    fun forException(e: FieldException): String = when (e) {
        is FieldException.Validation -> VALIDATION
        is FieldException.WrongKey -> WRONG_KEY
        is FieldException.StoreUnavailable -> if (e.code in STORE_CODES) forCode(e.code) else STORE_UNAVAILABLE
        is FieldException.NotFound -> NOT_FOUND
        is FieldException.NotEnrolled -> NOT_ENROLLED
        is FieldException.Network -> if (e.code in NETWORK_CODES) forCode(e.code) else SYNC_NETWORK
        is FieldException.Refused -> if (e.code in REFUSED_CODES) forCode(e.code) else SYNC_REFUSED
        is FieldException.Cancelled -> SYNC_CANCELLED
        is FieldException.Failed -> UNKNOWN
    }

    /** Like [forException] for anything a call can throw; an unexpected exception is [UNKNOWN]. */
    fun forThrowable(t: Throwable): String = if (t is FieldException) forException(t) else UNKNOWN

    /** The key for `SyncStatus.lastError`, a machine code stored by the core after a failed sync. */
    fun forSyncError(code: String): String = when (code) {
        in NETWORK_CODES, in REFUSED_CODES, in STORE_CODES -> forCode(code)
        "store.wrong_key" -> WRONG_KEY
        "sync.cancelled" -> SYNC_CANCELLED
        "sync.no_hub" -> NOT_ENROLLED
        else -> SYNC_FAILED
    }

    /** `needs_correction` → `enrollment_state_needs_correction`. */
    fun forEnrollmentState(state: String?): String = "enrollment_state_" + (state?.takeIf { it.isNotBlank() } ?: "unknown")

    /** `demo_auth` → `enrollment_route_demo_auth`. */
    fun forRoute(route: String?): String = "enrollment_route_" + (route?.takeIf { it.isNotBlank() } ?: "unknown")

    /** Groups issues by field, keeping the core's order within each field. */
    fun byField(issues: List<FieldIssue>): Map<String, List<FieldMessage>> =
        issues.map(::forIssue).groupBy { it.field }
}
