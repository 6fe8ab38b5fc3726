/**
 * Consent gating: every point ticked, a guardian named when a guardian consents, a language
 * change unticks everything, and what is recorded is exactly the text shown.
 */
package app.abhafield.android.core.ui

import app.abhafield.android.core.fakes.FakeFieldRepository
import app.abhafield.android.core.fakes.issue
import app.abhafield.android.core.fakes.withScope
import app.abhafield.core.ConsentGiver
import app.abhafield.core.ConsentRecordedBy
import app.abhafield.core.FieldException
import org.junit.jupiter.api.Test
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNull
import kotlin.test.assertTrue

class ConsentModelTest {
    private val texts = ListConsentTexts(
        listOf(
            ConsentText("1.4", "hi", listOf("मैं अपनी इच्छा से आधार देती हूँ।", "मेरा ABHA बनाया जाए।", "जानकारी NHA को भेजी जाएगी।")),
            ConsentText("1.4", "ur", listOf("میں اپنی مرضی سے آدھار دیتی ہوں۔", "میرا ABHA بنایا جائے۔")),
            ConsentText("1.3", "hi", listOf("पुराना पाठ")),
        ),
    )

    @Test
    fun `submit only when every point is ticked`() = withScope { scope ->
        val repo = FakeFieldRepository()
        val model = ConsentModel(scope, repo, texts, memberId = "m1", language = "hi")
        val s = model.state.value
        assertEquals("1.4", s.version, "current version first")
        assertEquals(listOf("hi", "ur"), s.languages)
        assertEquals(3, s.points.size)
        assertFalse(s.canSubmit)
        model.setChecked(0, true)
        model.setChecked(1, true)
        model.submit()
        assertTrue(repo.consents.isEmpty(), "not every point ticked")
        model.setChecked(2, true)
        assertTrue(model.state.value.canSubmit)
        model.setChecked(2, false)
        assertFalse(model.state.value.canSubmit)
    }

    @Test
    fun `the recorded text is exactly what was shown`() = withScope { scope ->
        val repo = FakeFieldRepository()
        val model = ConsentModel(scope, repo, texts, memberId = "m1", language = "ur")
        model.state.value.points.indices.forEach { model.setChecked(it, true) }
        model.setMethod(ConsentRecordedBy.THUMBPRINT)
        model.submit()
        val c = repo.consents.single()
        assertEquals("میں اپنی مرضی سے آدھار دیتی ہوں۔\nمیرا ABHA بنایا جائے۔", c.textShown)
        assertEquals("ur", c.language)
        assertEquals("1.4", c.version)
        assertEquals("m1", c.memberId)
        assertEquals(ConsentGiver.BENEFICIARY, c.givenBy)
        assertNull(c.guardianName)
        assertEquals(ConsentRecordedBy.THUMBPRINT, c.method)
        assertEquals("consent-1", model.state.value.consentId)
        model.submit()
        model.setChecked(0, false)
        assertEquals(1, repo.consents.size, "recorded once")
        assertTrue(model.state.value.points[0].checked, "a recorded consent is not edited")
    }

    @Test
    fun `a guardian must be named`() = withScope { scope ->
        val repo = FakeFieldRepository()
        val model = ConsentModel(scope, repo, texts, memberId = "m1", language = "hi")
        model.state.value.points.indices.forEach { model.setChecked(it, true) }
        model.setGivenBy(ConsentGiver.GUARDIAN)
        assertFalse(model.state.value.canSubmit)
        model.setGuardianName("   ")
        assertFalse(model.state.value.canSubmit)
        model.setGuardianName(" Shabir Bhat ")
        assertTrue(model.state.value.canSubmit)
        model.submit()
        assertEquals("Shabir Bhat", repo.consents.single().guardianName)
        assertEquals(ConsentGiver.GUARDIAN, repo.consents.single().givenBy)
    }

    @Test
    fun `a child's consent is given by a guardian`() = withScope { scope ->
        val model = ConsentModel(scope, FakeFieldRepository(), texts, memberId = "m1", language = "hi", guardianRequired = true)
        assertEquals(ConsentGiver.GUARDIAN, model.state.value.givenBy)
        model.setGivenBy(ConsentGiver.BENEFICIARY)
        assertEquals(ConsentGiver.GUARDIAN, model.state.value.givenBy)
    }

    @Test
    fun `changing language or version unticks every point`() = withScope { scope ->
        val model = ConsentModel(scope, FakeFieldRepository(), texts, memberId = "m1", language = "hi")
        model.state.value.points.indices.forEach { model.setChecked(it, true) }
        model.selectLanguage("ur")
        val s = model.state.value
        assertEquals("ur", s.language)
        assertEquals(2, s.points.size)
        assertTrue(s.points.none { it.checked })
        model.selectVersion("1.3")
        assertEquals(listOf("hi"), model.state.value.languages)
        assertEquals("hi", model.state.value.language, "falls back to a language the version has")
        assertEquals(listOf("पुराना पाठ"), model.state.value.points.map { it.text })
    }

    @Test
    fun `no text for the language means no consent`() = withScope { scope ->
        val empty = object : ConsentTexts {
            override fun versions() = listOf("2.0")
            override fun languages(version: String) = listOf("hi")
            override fun text(version: String, language: String): ConsentText? = null
        }
        val model = ConsentModel(scope, FakeFieldRepository(), empty, memberId = "m1", language = "hi")
        assertTrue(model.state.value.textMissing)
        assertEquals("error_consent_text_missing", model.state.value.error)
        assertFalse(model.state.value.canSubmit)
    }

    @Test
    fun `the core's refusal is shown by field`() = withScope { scope ->
        val repo = FakeFieldRepository()
        repo.consent = { throw FieldException.Validation(listOf(issue("operator_id", "consent.operator_required")), emptyList()) }
        val model = ConsentModel(scope, repo, texts, memberId = "m1", language = "hi")
        model.state.value.points.indices.forEach { model.setChecked(it, true) }
        model.submit()
        val s = model.state.value
        assertEquals("error_consent_operator_required", s.errors.getValue("operator_id").single().key)
        assertNull(s.consentId)
        assertFalse(s.submitting)
        assertTrue(s.canSubmit, "can try again once fixed")
    }
}
