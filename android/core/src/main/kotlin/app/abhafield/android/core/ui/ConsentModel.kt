/**
 * Consent to ABHA enrolment, taken before any request is queued for a member.
 *
 * The official NHA consent wording is not confirmed (abdm.md marks it UNCONFIRMED), so the text is
 * configuration: [ConsentTexts] supplies versions, languages and the points of each text. The worker
 * reads each point to the person, who agrees to each one; only when every point is ticked (and a
 * guardian is named when a guardian consents) can it be submitted, and what is recorded is
 * exactly the text shown in the language shown. Changing the language or version unticks
 * everything: agreement to one wording is not agreement to another.
 *
 * Intents are meant to be called from the thread of [scope]'s dispatcher (Main on Android).
 */
package app.abhafield.android.core.ui

import app.abhafield.android.core.i18n.FieldMessage
import app.abhafield.android.core.i18n.MessageKeys
import app.abhafield.android.core.repo.FieldRepository
import app.abhafield.core.ConsentGiver
import app.abhafield.core.ConsentInput
import app.abhafield.core.ConsentRecordedBy
import app.abhafield.core.FieldException
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch

/** One consent text: the points the person agrees to, in one language, of one version. */
data class ConsentText(val version: String, val language: String, val points: List<String>)

/** The configured consent texts (bundled with the app, or from the hub later). */
interface ConsentTexts {
    /** Known versions, the current one first. */
    fun versions(): List<String>

    /** Languages (BCP 47: `hi`, `ur`, `en`) a version is available in. */
    fun languages(version: String): List<String>

    /** The text, or null if there is none for this version and language. */
    fun text(version: String, language: String): ConsentText?
}

/** A [ConsentTexts] from a fixed list (tests, or texts parsed from an app asset). */
class ListConsentTexts(private val texts: List<ConsentText>) : ConsentTexts {
    override fun versions(): List<String> = texts.map { it.version }.distinct()
    override fun languages(version: String): List<String> = texts.filter { it.version == version }.map { it.language }.distinct()
    override fun text(version: String, language: String): ConsentText? = texts.firstOrNull { it.version == version && it.language == language }
}

/** One point of the text and whether it was agreed to. */
data class ConsentPoint(val text: String, val checked: Boolean = false)

/** The consent screen. */
data class ConsentState(
    val memberId: String,
    val versions: List<String> = emptyList(),
    val version: String = "",
    val languages: List<String> = emptyList(),
    val language: String = "",
    val points: List<ConsentPoint> = emptyList(),
    val givenBy: ConsentGiver = ConsentGiver.BENEFICIARY,
    val guardianName: String = "",
    val method: ConsentRecordedBy = ConsentRecordedBy.CHECKBOX,
    /** The person cannot consent alone (a child): a guardian must. */
    val guardianRequired: Boolean = false,
    /** No text for this version and language: nothing can be submitted. */
    val textMissing: Boolean = false,
    val submitting: Boolean = false,
    /** Set once recorded: the id `requestEnrollment` needs. */
    val consentId: String? = null,
    val errors: Map<String, List<FieldMessage>> = emptyMap(),
    val error: String? = null,
) {
    val allChecked: Boolean get() = points.isNotEmpty() && points.all { it.checked }

    val guardianOk: Boolean get() = givenBy != ConsentGiver.GUARDIAN || guardianName.isNotBlank()

    val canSubmit: Boolean
        get() = !textMissing && allChecked && guardianOk && !submitting && consentId == null &&
            (!guardianRequired || givenBy == ConsentGiver.GUARDIAN)
}

/** The model of the consent screen for one member. */
class ConsentModel(
    private val scope: CoroutineScope,
    private val repo: FieldRepository,
    private val texts: ConsentTexts,
    memberId: String,
    language: String,
    guardianRequired: Boolean = false,
) {
    private val _state = MutableStateFlow(
        ConsentState(
            memberId = memberId,
            guardianRequired = guardianRequired,
            givenBy = if (guardianRequired) ConsentGiver.GUARDIAN else ConsentGiver.BENEFICIARY,
        ),
    )
    val state: StateFlow<ConsentState> = _state.asStateFlow()

    init {
        val versions = texts.versions()
        _state.update { it.copy(versions = versions) }
        show(versions.firstOrNull().orEmpty(), language)
    }

    /** Shows another version (in the same language if it has one); every point is unticked. */
    fun selectVersion(version: String) {
        if (!open()) return
        show(version, _state.value.language)
    }

    /** Shows the text in another language; every point is unticked. */
    fun selectLanguage(language: String) {
        if (!open()) return
        show(_state.value.version, language)
    }

    fun setChecked(index: Int, checked: Boolean) {
        if (!open()) return
        _state.update { s ->
            if (index !in s.points.indices) s
            else s.copy(points = s.points.mapIndexed { i, p -> if (i == index) p.copy(checked = checked) else p })
        }
    }

    fun setGivenBy(givenBy: ConsentGiver) {
        if (!open()) return
        if (_state.value.guardianRequired && givenBy != ConsentGiver.GUARDIAN) return
        _state.update { it.copy(givenBy = givenBy, errors = emptyMap()) }
    }

    fun setGuardianName(name: String) {
        if (!open()) return
        _state.update { it.copy(guardianName = name, errors = emptyMap()) }
    }

    fun setMethod(method: ConsentRecordedBy) {
        if (!open()) return
        _state.update { it.copy(method = method) }
    }

    /** Records the consent with the exact text shown; [ConsentState.consentId] is set on success. */
    fun submit() {
        val s = _state.value
        if (!s.canSubmit) return
        val input = ConsentInput(
            memberId = s.memberId,
            version = s.version,
            language = s.language,
            givenBy = s.givenBy,
            guardianName = if (s.givenBy == ConsentGiver.GUARDIAN) s.guardianName.trim() else null,
            method = s.method,
            textShown = textShown(s),
        )
        _state.update { it.copy(submitting = true, error = null, errors = emptyMap()) }
        scope.launch {
            keyed(
                onError = { key -> _state.update { it.copy(error = key) } },
                always = { _state.update { it.copy(submitting = false) } },
                onInvalid = { e -> _state.update { it.copy(errors = MessageKeys.byField(e.errors), error = MessageKeys.VALIDATION) } },
            ) {
                val id = repo.recordConsent(input)
                _state.update { it.copy(consentId = id) }
            }
        }
    }

    private fun open(): Boolean = _state.value.let { !it.submitting && it.consentId == null }

    private fun show(version: String, language: String) {
        val languages = if (version.isEmpty()) emptyList() else texts.languages(version)
        val lang = language.takeIf { it in languages } ?: languages.firstOrNull() ?: language
        val text = if (version.isEmpty()) null else texts.text(version, lang)
        _state.update {
            it.copy(
                version = version,
                languages = languages,
                language = lang,
                points = text?.points.orEmpty().map { p -> ConsentPoint(p) },
                textMissing = text == null || text.points.isEmpty(),
                error = if (text == null || text.points.isEmpty()) MessageKeys.CONSENT_TEXT_MISSING else null,
                errors = emptyMap(),
            )
        }
    }

    companion object {
        /** What is recorded as shown: the points, one per line, in order. */
        fun textShown(state: ConsentState): String = state.points.joinToString("\n") { it.text }
    }
}
