package app.abhafield.android.core.integration

import app.abhafield.core.AadhaarEntry
import app.abhafield.core.FieldStore
import app.abhafield.core.HouseholdInput
import app.abhafield.core.MemberInput
import app.abhafield.core.VillageInput
import app.abhafield.core.WorkerInput
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.asCoroutineDispatcher
import kotlinx.coroutines.cancel
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withContext
import kotlinx.coroutines.withTimeout
import java.io.File
import java.util.concurrent.Executors
import java.nio.file.Files
import java.security.SecureRandom
import java.util.concurrent.TimeUnit

/**
 * The real parts the integration tests run against: the host build of the native library
 * (found through `jna.library.path`), store files in a scratch directory, and the hub that
 * `android/jvm-test.sh` started on 127.0.0.1 (its URL, binary and data directory come as system
 * properties, so a test can mint its own one-time enrolment codes with `abha-hub code`).
 */
object Rig {
    const val VILLAGE = 900101u

    val hubUrl: String get() = prop("abha.hub.url")
    private val work: File get() = File(prop("abha.work"))
    val root: File get() = File(prop("abha.root"))

    private fun prop(name: String): String =
        System.getProperty(name) ?: error("system property $name is not set: run android/jvm-test.sh")

    /** A fresh store file with a random 32-byte key (what the Keystore holds on a tablet). */
    fun newStore(): Pair<FieldStore, Opened> {
        val dir = Files.createTempDirectory(work.toPath(), "tablet").toFile()
        val key = ByteArray(32).also { SecureRandom().nextBytes(it) }
        val path = File(dir, "field.db").path
        return FieldStore.open(path, key) to Opened(path, key)
    }

    /** Where a store lives and its key, to reopen it. */
    class Opened(val path: String, val key: ByteArray)

    /** A one-time enrolment code from the running hub. */
    fun code(role: String = "worker", villages: List<UInt> = listOf(VILLAGE)): String {
        val args = mutableListOf(prop("abha.hub.bin"), "--data", prop("abha.hub.data"), "code", "--role", role)
        villages.forEach { args += listOf("--village", it.toString()) }
        val p = ProcessBuilder(args).redirectErrorStream(false).start()
        val out = p.inputStream.bufferedReader().readText()
        check(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0) { "abha-hub code failed: ${p.errorStream.bufferedReader().readText()}" }
        return Regex("\"code\"\\s*:\\s*\"([^\"]+)\"").find(out)?.groupValues?.get(1)
            ?: error("no code in abha-hub output")
    }

    /** The demo sealing key (the hub started with --demo-keys holds its private half). */
    val demoSealingKey: String get() = File(root, "fixtures/demo-sealing/public.pem").readText()

    /** A device with its village and an operator, ready to capture. */
    fun prepare(store: FieldStore) {
        store.putVillage(VillageInput(stateCode = 1u, districtCode = 2u, subdistrictCode = 11u, villageCode = VILLAGE, name = "Khag"))
        store.addWorker(WorkerInput(ashaId = "JK-0042", name = "Shazia"))
    }

    /** A valid household of [n] members; member 0 is the head and carries an Aadhaar number if [aadhaar]. */
    fun household(n: Int = 3, aadhaar: String? = "2341 2341 2346", address: String = "Mohalla 3, Khag"): HouseholdInput =
        HouseholdInput(
            villageCode = VILLAGE,
            address = address,
            pincode = "193411",
            members = (0 until n).map { i ->
                MemberInput(
                    givenName = listOf("सीता", "فاطمہ", "Ravi", "Aarav")[i % 4],
                    familyName = "Bhat",
                    gender = if (i % 2 == 0) "F" else "M",
                    birthDate = if (i == 0) "1985-02-01" else "2010",
                    relation = if (i == 0) "head" else if (i % 2 == 0) "daughter" else "son",
                    aadhaar = if (i == 0 && aadhaar != null) AadhaarEntry(aadhaar) else null,
                )
            },
        )
}

/**
 * Runs [block] on one thread standing in for Android's main thread, with a scope for screen
 * models on it (the repositories move store work to `Dispatchers.IO`, as on a tablet).
 */
fun <T> withMain(block: suspend CoroutineScope.(CoroutineScope) -> T): T {
    val executor = Executors.newSingleThreadExecutor()
    val main = executor.asCoroutineDispatcher()
    val scope = CoroutineScope(SupervisorJob() + main)
    try {
        return runBlocking { withContext(main) { block(scope) } }
    } finally {
        scope.cancel()
        executor.shutdown()
    }
}

/** The first state satisfying [p], within a minute; a timeout names [what] and the last state. */
suspend fun <S> StateFlow<S>.until(what: String, p: (S) -> Boolean): S =
    try {
        withTimeout(60_000) { first(p) }
    } catch (e: Exception) {
        throw AssertionError("timed out waiting for $what; state: $value", e)
    }
