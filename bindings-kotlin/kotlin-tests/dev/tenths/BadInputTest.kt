package dev.tenths

import org.junit.jupiter.api.Test
import java.nio.charset.CharacterCodingException
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertTrue

/**
 * The bad-input classes through the Kotlin API: every one is a typed error naming the field
 * (or, for strings the JVM cannot encode as UTF-8, a `CharacterCodingException` thrown by the
 * generated code before anything crosses), never a crash, and the store is unchanged after each.
 */
class BadInputTest {
    private fun snapshot(engine: Engine): List<String> =
        engine.listUpdated(Ids.CUSTOMER, Ids.WIDE_AFTER, Ids.WIDE_ON_OR_BEFORE).map { it.toJson(EntryShape.FULL) } +
            engine.listInitiatives(Ids.CUSTOMER).map { it.toString() } +
            engine.listClients(Ids.CUSTOMER).map { it.toString() } +
            engine.customerSettings(Ids.CUSTOMER).toString()

    /** Runs [block], which must fail with an `InvalidArgument` naming [field], leaving the store as it was. */
    private fun refused(engine: Engine, field: String, block: () -> Unit) {
        val before = snapshot(engine)
        val e = assertFailsWith<TenthsException.InvalidArgument>("expected InvalidArgument($field)") { block() }
        assertEquals(field, e.field, e.toString())
        assertEquals(before, snapshot(engine), "the store changed after a refused call ($field)")
    }

    @Test
    fun `lone surrogates never reach the engine`() = memoryEngine().use { engine ->
        val matter = seedMatter(engine)
        readyEntry(engine, matter, 1)
        val before = snapshot(engine)
        for (bad in listOf("\uD800", "ok\uDC00", "\uDFFF\uD800")) {
            assertFailsWith<CharacterCodingException> { engine.createEntry(alice, NewEntry(id = Ids.entry(2), summary = bad)) }
            assertFailsWith<CharacterCodingException> { engine.editEntry(alice, Ids.entry(1), EntryPatch(notes = bad)) }
            assertFailsWith<CharacterCodingException> { engine.getEntry(Scope(bad, Ids.ALICE), Ids.entry(1)) }
            assertFailsWith<CharacterCodingException> { engine.upsertClient(Ids.CUSTOMER, ClientInput(externalId = bad, name = "x")) }
        }
        assertEquals(before, snapshot(engine))
        // A valid pair of surrogates (an emoji) is ordinary text and round-trips.
        val emoji = engine.editEntry(alice, Ids.entry(1), EntryPatch(summary = "Call \uD83D\uDCDE with client"))
        assertEquals("Call \uD83D\uDCDE with client", emoji.summary)
    }

    @Test
    fun `empty, malformed and foreign ids`() = memoryEngine().use { engine ->
        val matter = seedMatter(engine)
        readyEntry(engine, matter, 1)
        refused(engine, "entryId") { engine.getEntry(alice, "") }
        refused(engine, "customerId") { engine.getEntry(Scope("", Ids.ALICE), Ids.entry(1)) }
        refused(engine, "userId") { engine.createEntry(Scope(Ids.CUSTOMER, ""), NewEntry()) }
        refused(engine, "_id") { engine.createEntry(alice, NewEntry(id = "")) }
        refused(engine, "_id") { engine.createEntry(alice, NewEntry(id = "e0000000000000000000000１")) } // a full-width digit
        refused(engine, "initiativeId") { engine.editEntry(alice, Ids.entry(1), EntryPatch(initiativeId = " ")) }
        refused(engine, "codeIds[0]") { engine.overrideEntry(alice, Ids.entry(1), OverrideInput(codeIds = listOf(""))) }
        refused(engine, "userIds[1]") { engine.setInitiativeAccess(Ids.CUSTOMER, "M-1", AccessKind.ALLOW, listOf(Ids.ALICE, "bob")) }
        refused(engine, "delegatorIds[0]") { engine.request(HttpRequest("GET", "/openapi.json", principal = Principal(Ids.CUSTOMER, Ids.ALICE, Role.USER, listOf("")))) }
        refused(engine, "externalId") { engine.upsertClient(Ids.CUSTOMER, ClientInput(externalId = "", name = "Nameless")) }
        refused(engine, "name") { engine.upsertClient(Ids.CUSTOMER, ClientInput(externalId = "CL-2", name = "   ")) }
    }

    @Test
    fun `huge and out-of-range values`() = memoryEngine().use { engine ->
        val matter = seedMatter(engine)
        readyEntry(engine, matter, 1)
        refused(engine, "durationInSeconds") { engine.createEntry(alice, NewEntry(id = Ids.entry(2), durationInSeconds = Long.MAX_VALUE)) }
        refused(engine, "durationInSeconds") { engine.createEntry(alice, NewEntry(id = Ids.entry(2), durationInSeconds = Long.MIN_VALUE)) }
        refused(engine, "unitIncrementCountAdjustments") { engine.overrideEntry(alice, Ids.entry(1), OverrideInput(unitIncrementCountAdjustments = Long.MIN_VALUE)) }
        refused(engine, "timerDurationAdjustmentInSeconds") { engine.editEntry(alice, Ids.entry(1), EntryPatch(timerDurationAdjustmentInSeconds = Long.MAX_VALUE)) }
        refused(engine, "unitIncrements") { engine.upsertInitiative(Ids.CUSTOMER, InitiativeInput("M-2", "Huge", BillingType.BILLABLE, Long.MAX_VALUE)) }
        refused(engine, "defaultUnitIncrements") { engine.updateCustomerSettings(Ids.CUSTOMER, CustomerSettingsPatch(defaultUnitIncrements = -1)) }
        refused(engine, "pageSize") { engine.listUpdatedPage(Ids.CUSTOMER, Ids.WIDE_AFTER, Ids.NOW, pageSize = Int.MIN_VALUE) }
        refused(engine, "pageSize") { engine.listUpdatedPage(Ids.CUSTOMER, Ids.WIDE_AFTER, Ids.NOW, pageSize = Int.MAX_VALUE) }
        refused(engine, "readers") { Engine(":memory:", EngineOptions(readers = -1)) }
        refused(engine, "busyTimeoutMs") { Engine(":memory:", EngineOptions(busyTimeoutMs = Long.MIN_VALUE)) }
        refused(engine, "summary") { engine.editEntry(alice, Ids.entry(1), EntryPatch(summary = "x".repeat(10_001))) }
        refused(engine, "summary") { engine.editEntry(alice, Ids.entry(1), EntryPatch(summary = "é".repeat(2_000_000))) }
        refused(engine, "notes") { engine.editEntry(alice, Ids.entry(1), EntryPatch(notes = "a\u0000b")) }
        refused(engine, "workDate") { engine.editEntry(alice, Ids.entry(1), EntryPatch(workDate = "99999-01-01")) }
        refused(engine, "releasedOnOrBefore") { engine.exportReleased(Ids.CUSTOMER, Ids.WIDE_AFTER, "10000-01-01T00:00:00Z") }
        refused(engine, "sources[0].endedAt") {
            engine.createEntry(alice, NewEntry(id = Ids.entry(3), sources = listOf(SourceInput(SourceKind.MEETING, "2026-03-01T00:00:00Z", "2026-03-09T00:00:00Z"))))
        }
        // Extreme clock moves saturate at the supported range instead of overflowing.
        engine.advanceClock(Long.MAX_VALUE)
        assertEquals("9999-12-31T23:59:59.999Z", engine.now())
        engine.advanceClock(Long.MIN_VALUE)
        assertEquals("1970-01-01T00:00:00Z", engine.now())
    }

    @Test
    fun `unit math refuses what it cannot compute`() {
        assertFailsWith<TenthsException.InvalidArgument> { unitsFromRaw(420, 0) }
        assertFailsWith<TenthsException.InvalidArgument> { unitsFromRaw(420, -360) }
        for ((raw, inc) in listOf(Long.MAX_VALUE to 1L, Long.MIN_VALUE to 1L, Long.MAX_VALUE to 86_400L, 0L to Long.MAX_VALUE)) {
            val r = runCatching { unitsFromRaw(raw, inc) }
            assertTrue(r.isSuccess || r.exceptionOrNull() is TenthsException.InvalidArgument, "unitsFromRaw($raw, $inc): ${r.exceptionOrNull()}")
        }
    }
}
