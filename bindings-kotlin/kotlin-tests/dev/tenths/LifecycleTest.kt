package dev.tenths

import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.io.File
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertTrue

/** Use after close: a closed database answers `Closed` to every call; a released handle throws, never crashes. */
class LifecycleTest {
    private fun everyOperation(engine: Engine, matter: String): Map<String, () -> Any?> = linkedMapOf(
        "customerSettings" to { engine.customerSettings(Ids.CUSTOMER) },
        "updateCustomerSettings" to { engine.updateCustomerSettings(Ids.CUSTOMER, CustomerSettingsPatch(rounding = Rounding.DOWN)) },
        "userSettings" to { engine.userSettings(Ids.CUSTOMER, Ids.ALICE) },
        "updateUserSettings" to { engine.updateUserSettings(Ids.CUSTOMER, Ids.ALICE, UserSettings("UTC")) },
        "upsertClient" to { engine.upsertClient(Ids.CUSTOMER, ClientInput("CL-2", "Beta")) },
        "upsertCodeType" to { engine.upsertCodeType(Ids.CUSTOMER, CodeTypeInput("task", "Task", "task")) },
        "upsertCode" to { engine.upsertCode(Ids.CUSTOMER, CodeInput("L110", "Facts", "task")) },
        "upsertInitiative" to { engine.upsertInitiative(Ids.CUSTOMER, InitiativeInput("M-2", "Two", BillingType.BILLABLE, 360)) },
        "setInitiativeCodes" to { engine.setInitiativeCodes(Ids.CUSTOMER, "M-1", emptyList()) },
        "setInitiativeAccess" to { engine.setInitiativeAccess(Ids.CUSTOMER, "M-1", AccessKind.ALLOW, emptyList()) },
        "setValidationRules" to { engine.setValidationRules(Ids.CUSTOMER, null, ValidationRulesInput()) },
        "listInitiatives" to { engine.listInitiatives(Ids.CUSTOMER) },
        "listCodes" to { engine.listCodes(Ids.CUSTOMER) },
        "listClients" to { engine.listClients(Ids.CUSTOMER) },
        "createEntry" to { engine.createEntry(alice, NewEntry(initiativeId = matter, summary = "x", durationInSeconds = 60)) },
        "importEntries" to { engine.importEntries(alice, listOf(NewEntry(summary = "x"))) },
        "getEntry" to { engine.getEntry(alice, Ids.entry(1)) },
        "listEntries" to { engine.listEntries(alice, Ids.TODAY, Ids.TODAY) },
        "editEntry" to { engine.editEntry(alice, Ids.entry(1), EntryPatch(summary = "y")) },
        "overrideEntry" to { engine.overrideEntry(alice, Ids.entry(1), OverrideInput(summary = "y")) },
        "releaseEntry" to { engine.releaseEntry(alice, Ids.entry(1)) },
        "releaseDay" to { engine.releaseDay(alice, Ids.TODAY) },
        "releaseSucceeded" to { engine.releaseSucceeded(Ids.CUSTOMER, Ids.entry(1)) },
        "releaseSucceededBatch" to { engine.releaseSucceededBatch(Ids.CUSTOMER, listOf(ReleaseSucceededItem(Ids.entry(1)))) },
        "releaseFailed" to { engine.releaseFailed(Ids.CUSTOMER, Ids.entry(1), listOf("no")) },
        "unrelease" to { engine.unrelease(alice, Ids.entry(1)) },
        "deleteEntry" to { engine.deleteEntry(alice, Ids.entry(1)) },
        "startTimer" to { engine.startTimer(alice, TimerStart()) },
        "stopTimer" to { engine.stopTimer(alice, Ids.entry(1)) },
        "resumeTimer" to { engine.resumeTimer(alice, Ids.entry(1)) },
        "listUpdated" to { engine.listUpdated(Ids.CUSTOMER, Ids.WIDE_AFTER, Ids.WIDE_ON_OR_BEFORE) },
        "listUpdatedPage" to { engine.listUpdatedPage(Ids.CUSTOMER, Ids.WIDE_AFTER, Ids.WIDE_ON_OR_BEFORE) },
        "exportReleased" to { engine.exportReleased(Ids.CUSTOMER, Ids.WIDE_AFTER, Ids.WIDE_ON_OR_BEFORE) },
        "exportReleasedPage" to { engine.exportReleasedPage(Ids.CUSTOMER, Ids.WIDE_AFTER, Ids.WIDE_ON_OR_BEFORE) },
        "exportCsv" to { engine.exportCsv(Ids.CUSTOMER, Ids.WIDE_AFTER, Ids.WIDE_ON_OR_BEFORE) },
        "totals" to { engine.totals(Ids.CUSTOMER, Ids.TODAY, Ids.TODAY) },
    )

    @Test
    fun `after closeDatabase every operation fails with Closed`(@TempDir dir: File) {
        for (path in listOf(":memory:", File(dir, "closed.sqlite").path)) {
            Engine(path, EngineOptions(fixedClock = Ids.NOW)).use { engine ->
                val matter = seedMatter(engine)
                readyEntry(engine, matter, 1)
                assertFalse(engine.isClosed())
                engine.closeDatabase()
                assertTrue(engine.isClosed())
                engine.closeDatabase() // closing twice is fine
                for ((name, op) in everyOperation(engine, matter)) {
                    assertFailsWith<TenthsException.Closed>("$name on a closed engine ($path)") { op() }
                }
                // Argument errors are still reported first: nothing reaches the closed store.
                assertFailsWith<TenthsException.InvalidArgument> { engine.getEntry(alice, "bad") }
                // The clock and the router still answer (the router says 503).
                assertEquals(Ids.NOW, engine.now())
                assertEquals(503.toUShort(), engine.request(HttpRequest("GET", "/api/v1/public/customers/${Ids.CUSTOMER}/users/${Ids.ALICE}/entries/${Ids.entry(1)}", principal = Principal(Ids.CUSTOMER, Ids.ALICE, Role.USER))).status)
            }
        }
    }

    @Test
    fun `a destroyed handle throws IllegalStateException, and the file is closed cleanly`(@TempDir dir: File) {
        val path = File(dir, "released.sqlite").path
        val engine = Engine(path, EngineOptions(fixedClock = Ids.NOW))
        readyEntry(engine, seedMatter(engine), 1)
        engine.close() // AutoCloseable: drops the Rust object, which closes the database
        engine.close() // twice is fine
        assertFailsWith<IllegalStateException> { engine.getEntry(alice, Ids.entry(1)) }
        assertFailsWith<IllegalStateException> { engine.closeDatabase() }
        assertFalse(File("$path-wal").let { it.exists() && it.length() > 0 }, "the WAL was folded back at close")
        Engine(path).use { assertEquals(1, it.listUpdated(Ids.CUSTOMER, Ids.WIDE_AFTER, Ids.WIDE_ON_OR_BEFORE).size) }
    }

    @Test
    fun `use closes at the end of the block, even when the block throws`(@TempDir dir: File) {
        val path = File(dir, "use.sqlite").path
        var kept: Engine? = null
        assertFailsWith<TenthsException.NotFound> {
            Engine(path).use { engine ->
                kept = engine
                engine.getEntry(alice, Ids.entry(1))
            }
        }
        assertFailsWith<IllegalStateException> { kept!!.isClosed() }
        Engine(path).use { assertFalse(it.isClosed()) }
    }
}
