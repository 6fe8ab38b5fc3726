/**
 * What every screen model shares: the latest-wins debounced job, the check result of a form and
 * which of its messages to show, and turning a failed call into a message key.
 *
 * Debounce waits go through an injected suspending [Delay] so tests run without sleeping (they
 * pass a delay that returns at once, or one they release by hand). Starting a new run cancels the
 * old one, so a slow answer to an old query or an old form can never overwrite a newer one.
 * Failures become keys through [MessageKeys] only, never the exception's text, so no input and
 * no English reaches state; coroutine cancellation is always rethrown.
 */
package app.abhafield.android.core.ui

import app.abhafield.android.core.i18n.FieldMessage
import app.abhafield.android.core.i18n.MessageKeys
import app.abhafield.core.FieldIssue
import app.abhafield.core.FieldException
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.launch

/** A suspending wait of the given milliseconds (`kotlinx.coroutines.delay` in the app). */
typealias Delay = suspend (Long) -> Unit

/** The default [Delay]. */
val CoroutineDelay: Delay = { ms -> kotlinx.coroutines.delay(ms) }

/** Runs the latest block after a pause; each run cancels the previous one. */
internal class Debouncer(
    private val scope: CoroutineScope,
    private val delay: Delay,
    private val millis: Long,
) {
    private var job: Job? = null

    /** Runs [block] after the pause (at once if [immediate]), cancelling the previous run. */
    fun run(immediate: Boolean = false, block: suspend () -> Unit) {
        job?.cancel()
        job = scope.launch {
            if (!immediate && millis > 0) delay(millis)
            block()
        }
    }

    /** Cancels the pending or running block. */
    fun cancel() {
        job?.cancel()
        job = null
    }
}

/**
 * The result of the last check of a form and which of its messages to show: those of fields the
 * worker has touched, or all of them once they asked (validate or save).
 */
internal data class FormIssues(
    val errors: List<FieldIssue> = emptyList(),
    val warnings: List<FieldIssue> = emptyList(),
) {
    fun visibleErrors(touched: Set<String>, showAll: Boolean): Map<String, List<FieldMessage>> =
        MessageKeys.byField(if (showAll) errors else errors.filter { it.field in touched })

    fun visibleWarnings(touched: Set<String>, showAll: Boolean): Map<String, List<FieldMessage>> =
        MessageKeys.byField(if (showAll) warnings else warnings.filter { it.field in touched })
}

/**
 * Runs [block]; on failure passes the failure's message key to [onError] and returns null.
 * With [onInvalid], a refused form goes there instead (its fields carry the messages).
 * Cancellation is rethrown. [always] runs in every case (clear a loading flag there).
 */
internal inline fun <T> keyed(
    onError: (String) -> Unit,
    always: () -> Unit = {},
    noinline onInvalid: ((FieldException.Validation) -> Unit)? = null,
    block: () -> T,
): T? = try {
    block()
} catch (e: CancellationException) {
    throw e
} catch (e: FieldException.Validation) {
    if (onInvalid != null) onInvalid(e) else onError(MessageKeys.forThrowable(e))
    null
} catch (e: Throwable) {
    onError(MessageKeys.forThrowable(e))
    null
} finally {
    always()
}
