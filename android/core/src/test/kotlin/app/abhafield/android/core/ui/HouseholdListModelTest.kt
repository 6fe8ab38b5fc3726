/**
 * The household list: paging, village filter, debounced search where the latest query wins,
 * code lookup with typo messages, and the loading, empty and error states.
 */
package app.abhafield.android.core.ui

import app.abhafield.android.core.fakes.FakeFieldRepository
import app.abhafield.android.core.fakes.issue
import app.abhafield.android.core.fakes.member
import app.abhafield.android.core.fakes.summary
import app.abhafield.android.core.fakes.withScope
import app.abhafield.core.FieldException
import kotlinx.coroutines.CompletableDeferred
import org.junit.jupiter.api.Test
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNull
import kotlin.test.assertTrue

class HouseholdListModelTest {
    private val noDelay: Delay = { }

    @Test
    fun `pages load one after another until the end`() = withScope { scope ->
        val repo = FakeFieldRepository()
        val model = HouseholdListModel(scope, repo, pageSize = 50, delay = noDelay)
        assertEquals(50, model.state.value.households.size)
        assertFalse(model.state.value.endReached)
        model.loadMore()
        assertEquals(100, model.state.value.households.size)
        model.loadMore()
        val s = model.state.value
        assertEquals(120, s.households.size)
        assertTrue(s.endReached)
        assertEquals((0 until 120).map { "h$it" }, s.households.map { it.id }, "in order, none twice")
        model.loadMore()
        assertEquals(3, repo.calls.count { it == "households" }, "no request past the end")
        assertEquals(2, s.villages.size)
    }

    @Test
    fun `the village filter reloads from the first page`() = withScope { scope ->
        val repo = FakeFieldRepository()
        val asked = mutableListOf<Pair<UInt?, Int>>()
        repo.householdPages = { v, _, offset -> asked += v to offset; if (v == 900102u) listOf(summary("x1")) else (0 until 50).map { summary("h$it") } }
        val model = HouseholdListModel(scope, repo, pageSize = 50, delay = noDelay)
        model.loadMore()
        model.selectVillage(900102u)
        assertEquals(listOf("x1"), model.state.value.households.map { it.id })
        assertEquals(900102u, model.state.value.villageCode)
        assertEquals(900102u to 0, asked.last())
        assertTrue(model.state.value.endReached)
    }

    @Test
    fun `typing searches once, after the pause, with the latest query`() = withScope { scope ->
        val repo = FakeFieldRepository()
        repo.search = { q -> if (q == "सीता") listOf(member("m1", givenName = "सीता")) else emptyList() }
        var release = CompletableDeferred<Unit>()
        val model = HouseholdListModel(scope, repo, debounceMillis = 300, delay = { release.await() })
        model.search("स")
        model.search("सी")
        model.search("सीता")
        assertEquals("सीता", model.state.value.query)
        assertEquals(0, repo.calls.count { it == "searchMembers" })
        release.complete(Unit)
        assertEquals(1, repo.calls.count { it == "searchMembers" })
        val s = model.state.value
        assertTrue(s.searching)
        assertEquals(listOf("m1"), s.members.map { it.id })
        assertTrue(s.households.isEmpty())
        release = CompletableDeferred()
    }

    @Test
    fun `an older slow answer never replaces a newer one`() = withScope { scope ->
        val repo = FakeFieldRepository()
        repo.search = { q -> listOf(member("hit-$q")) }
        val model = HouseholdListModel(scope, repo, delay = noDelay)
        repo.gates.close("searchMembers")
        model.search("Ravi")
        assertTrue(model.state.value.loading)
        model.search("Sita")
        repo.gates.open("searchMembers")
        assertEquals(listOf("hit-Sita"), model.state.value.members.map { it.id })
        assertFalse(model.state.value.loading)
    }

    @Test
    fun `a household code goes to the code lookup and a typo is a query message`() = withScope { scope ->
        val repo = FakeFieldRepository()
        repo.findByCode = { c -> if (c == "K3M9-QXD7") listOf(summary("h9")) else throw FieldException.Validation(listOf(issue("code", "household_code.checksum")), emptyList()) }
        val model = HouseholdListModel(scope, repo, delay = noDelay)
        model.search("K3M9-QXD7")
        assertEquals(listOf("h9"), model.state.value.households.map { it.id })
        assertEquals(0, repo.calls.count { it == "searchMembers" })
        model.search("K3M9-QXD8")
        val s = model.state.value
        assertEquals(listOf("error_household_code_checksum"), s.queryErrors.map { it.key })
        assertTrue(s.households.isEmpty())
        assertNull(s.error)
    }

    @Test
    fun `code shapes are told apart from names`() {
        assertTrue(HouseholdListModel.looksLikeCode("K3M9-QXD7"))
        assertTrue(HouseholdListModel.looksLikeCode(" k3m9qxd7 "))
        assertFalse(HouseholdListModel.looksLikeCode("Priyanka"), "eight letters without a digit is a name")
        assertFalse(HouseholdListModel.looksLikeCode("सीता"))
        assertFalse(HouseholdListModel.looksLikeCode("K3M9"))
    }

    @Test
    fun `clearing the search goes back to the list`() = withScope { scope ->
        val repo = FakeFieldRepository()
        val model = HouseholdListModel(scope, repo, delay = noDelay)
        model.search("Ravi")
        assertTrue(model.state.value.households.isEmpty())
        model.clearSearch()
        assertFalse(model.state.value.searching)
        assertEquals(50, model.state.value.households.size)
    }

    @Test
    fun `loading, error and empty states`() = withScope { scope ->
        val repo = FakeFieldRepository()
        repo.gates.close("households")
        val model = HouseholdListModel(scope, repo, delay = noDelay)
        assertTrue(model.state.value.loading)
        assertFalse(model.state.value.isEmpty, "loading is not empty")
        repo.householdPages = { _, _, _ -> throw FieldException.StoreUnavailable("store.busy") }
        repo.gates.open("households")
        assertEquals("error_store_busy", model.state.value.error)
        assertFalse(model.state.value.isEmpty, "an error is not empty")
        assertFalse(model.state.value.loading)

        repo.householdPages = { _, _, _ -> emptyList() }
        model.refresh()
        assertNull(model.state.value.error)
        assertTrue(model.state.value.isEmpty)
    }
}
