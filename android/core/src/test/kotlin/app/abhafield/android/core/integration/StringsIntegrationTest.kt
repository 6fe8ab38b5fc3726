package app.abhafield.android.core.integration

import app.abhafield.android.core.i18n.MessageKeys
import app.abhafield.core.validationCodes
import org.junit.jupiter.api.Test
import org.w3c.dom.Element
import java.io.File
import javax.xml.parsers.DocumentBuilderFactory
import kotlin.test.assertEquals
import kotlin.test.assertTrue

/**
 * The app's translations cover what the core can say: every validation code the native library
 * reports has a message in English, Hindi and Urdu, and the three files name the same strings
 * (a string missing from one language would show the English fallback, or crash a lookup).
 */
class StringsIntegrationTest {
    private val res = File(System.getProperty("abha.android.res") ?: error("run android/jvm-test.sh"))

    private fun names(dir: String): Map<String, String> {
        val file = File(res, "$dir/strings.xml")
        assertTrue(file.isFile, "missing $file")
        val doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(file)
        val nodes = doc.getElementsByTagName("string")
        return (0 until nodes.length).map { nodes.item(it) as Element }
            .associate { it.getAttribute("name") to it.textContent.trim() }
    }

    @Test
    fun `every validation code has a message in en, hi and ur`() {
        val langs = listOf("values", "values-hi", "values-ur").associateWith { names(it) }
        for (code in validationCodes()) {
            val key = MessageKeys.forCode(code)
            for ((dir, strings) in langs) {
                val text = strings[key]
                assertTrue(!text.isNullOrBlank(), "$dir/strings.xml lacks $key (for $code)")
            }
        }
        assertEquals(langs.getValue("values").keys, langs.getValue("values-hi").keys, "hi names the same strings as en")
        assertEquals(langs.getValue("values").keys, langs.getValue("values-ur").keys, "ur names the same strings as en")
        val en = langs.getValue("values")
        val hi = langs.getValue("values-hi")
        val translated = validationCodes().count { en[MessageKeys.forCode(it)] != hi[MessageKeys.forCode(it)] }
        assertTrue(translated == validationCodes().size, "Hindi messages are translations, not English copies")
    }
}
