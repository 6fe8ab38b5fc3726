// The Kotlin side of the bindings overhead bench: the same FieldStore calls as
// bindings/benches/ffi.rs, through the generated Kotlin bindings, JNA and the C ABI, on the same
// data, so the difference to the Rust run is what the bindings cost the app.
//
// Run with `bash android/jvm-bench.sh` (docs/performance.md, "Kotlin bindings"). Argument: the
// sealing public key (fixtures/demo-sealing/public.pem). Reads BENCH_HOUSEHOLDS, BENCH_N and
// BENCH_WARMUP like the Rust bench; keep the two files in step. Prints one line per operation:
// `kotlin <op> median_us=.. p95_us=.. n=..`.
@file:JvmName("FfiBench")

package app.abhafield.bench

import app.abhafield.core.AadhaarEntry
import app.abhafield.core.FieldStore
import app.abhafield.core.HouseholdInput
import app.abhafield.core.MemberInput
import app.abhafield.core.VillageInput
import app.abhafield.core.WorkerInput
import java.io.File
import java.nio.file.Files
import java.util.Locale

private const val VILLAGE = 900101u

/** Households created before the timed ones (not measured). */
private const val CREATE_WARMUP = 100
private val GIVEN = listOf("सीता", "Ravi", "فاطمہ", "Zoya", "ललिता")
private val FAMILY = listOf("Bhat", "Dar", "Mir", "Lone", "Shah", "Wani", "Khan", "Malik")
private val RELATION = listOf("head", "spouse", "son", "daughter", "daughter")
private val GENDER = listOf("F", "M", "M", "F", "F")
private val BIRTH = listOf("1985-02-01", "1982", "2008-07-15", "2011", "2015-03-30")
private const val SEARCH = "Wani"
private const val SEARCH_LIMIT = 20u
private const val LIST_LIMIT = 50u

private fun env(name: String, default: Int): Int = System.getenv(name)?.toIntOrNull() ?: default

// Verhoeff (dihedral group D5), as abha_core::validate::checksum::verhoeff_digit. The store
// validates every number, and a body has one valid check digit, so a save that succeeds means
// both benches stored the same numbers.
private val D = arrayOf(
    intArrayOf(0, 1, 2, 3, 4, 5, 6, 7, 8, 9), intArrayOf(1, 2, 3, 4, 0, 6, 7, 8, 9, 5),
    intArrayOf(2, 3, 4, 0, 1, 7, 8, 9, 5, 6), intArrayOf(3, 4, 0, 1, 2, 8, 9, 5, 6, 7),
    intArrayOf(4, 0, 1, 2, 3, 9, 5, 6, 7, 8), intArrayOf(5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    intArrayOf(6, 5, 9, 8, 7, 1, 0, 4, 3, 2), intArrayOf(7, 6, 5, 9, 8, 2, 1, 0, 4, 3),
    intArrayOf(8, 7, 6, 5, 9, 3, 2, 1, 0, 4), intArrayOf(9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)
private val P = arrayOf(
    intArrayOf(0, 1, 2, 3, 4, 5, 6, 7, 8, 9), intArrayOf(1, 5, 7, 6, 2, 8, 3, 0, 9, 4),
    intArrayOf(5, 8, 0, 3, 7, 9, 6, 1, 4, 2), intArrayOf(8, 9, 1, 6, 0, 4, 3, 5, 2, 7),
    intArrayOf(9, 4, 5, 3, 1, 2, 6, 8, 7, 0), intArrayOf(4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
    intArrayOf(2, 7, 9, 3, 8, 0, 6, 4, 1, 5), intArrayOf(7, 0, 4, 6, 9, 1, 3, 2, 5, 8),
)
private val INV = intArrayOf(0, 4, 3, 2, 1, 5, 6, 7, 8, 9)

private fun verhoeffDigit(body: String): Int {
    var c = 0
    body.reversed().forEachIndexed { i, ch -> c = D[c][P[(i + 1) % 8][ch - '0']] }
    return INV[c]
}

/** Member [m] of household [h]: first digit 2..6, then `h * 5 + m`, then the check digit. */
private fun aadhaar(h: Int, m: Int): String {
    val first11 = "${2 + m}" + "%010d".format(Locale.ROOT, h * 5 + m)
    return first11 + verhoeffDigit(first11)
}

private fun household(h: Int): HouseholdInput =
    HouseholdInput(
        villageCode = VILLAGE,
        address = "House $h, Mohalla 3, Khag",
        pincode = "193411",
        lat = 34.05,
        lon = 74.4,
        members = (0 until 5).map { m ->
            MemberInput(
                givenName = GIVEN[m],
                familyName = FAMILY[h % FAMILY.size],
                gender = GENDER[m],
                birthDate = BIRTH[m],
                relation = RELATION[m],
                mobile = if (m == 0) "9419012345" else null,
                aadhaar = AadhaarEntry(aadhaar(h, m)),
            )
        },
    )

private fun report(op: String, us: DoubleArray) {
    us.sort()
    val n = us.size
    val p95 = us[minOf(n * 95 / 100, n - 1)]
    println(String.format(Locale.ROOT, "kotlin %s median_us=%.1f p95_us=%.1f n=%d", op, us[n / 2], p95, n))
}

private inline fun timeUs(f: () -> Unit): Double {
    val t = System.nanoTime()
    f()
    return (System.nanoTime() - t) / 1e3
}

fun main(args: Array<String>) {
    val households = maxOf(env("BENCH_HOUSEHOLDS", 1000), CREATE_WARMUP + 1)
    val n = maxOf(env("BENCH_N", 500), 1)
    val warmup = env("BENCH_WARMUP", 200)
    val pem = File(args.getOrNull(0) ?: error("usage: FfiBench <public.pem>")).readText()

    val dir = Files.createTempDirectory("ffi-bench").toFile()
    try {
        FieldStore.open(File(dir, "field.db").path, ByteArray(32) { 7 }).use { store ->
            store.putVillage(VillageInput(stateCode = 1u, districtCode = 2u, subdistrictCode = 11u, villageCode = VILLAGE, name = "Khag"))
            store.addWorker(WorkerInput(ashaId = "JK-0042", name = "Shazia"))
            store.configureSealing(pem, "09".repeat(32))

            // Create: the first households warm up, the rest are timed; all of them stay stored.
            val ids = ArrayList<String>(households)
            val create = DoubleArray(households - CREATE_WARMUP)
            for (h in 0 until households) {
                val form = household(h)
                lateinit var saved: app.abhafield.core.SavedHousehold
                val us = timeUs { saved = store.createHousehold(form) }
                form.members.forEach { it.aadhaar?.close() }
                check(saved.memberIds.size == 5 && saved.warnings.isEmpty()) { "household $h: ${saved.warnings}" }
                ids += saved.id
                if (h >= CREATE_WARMUP) create[h - CREATE_WARMUP] = us
            }
            report("create_household_5", create)

            val list = { _: Int -> store.households(null, LIST_LIMIT, 0u).size }
            val search = { _: Int -> store.searchMembers(SEARCH, SEARCH_LIMIT).size }
            val detail = { i: Int -> store.household(ids[i % ids.size]).members.size }
            check(list(0) == LIST_LIMIT.toInt() && search(0) == SEARCH_LIMIT.toInt() && detail(0) == 5)

            var sink = 0
            fun sample(f: (Int) -> Int): DoubleArray {
                for (i in 0 until warmup) sink += f(i)
                return DoubleArray(n) { i -> timeUs { sink += f(i) } }
            }
            report("list_households_50", sample(list))
            report("search_members_20", sample(search))
            report("household_detail", sample(detail))
            if (sink == 42) println() // keeps the results observable
        }
    } finally {
        dir.deleteRecursively()
    }
}
