package dev.tenths

import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.io.File
import kotlin.test.assertContentEquals
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue

/** The typed Kotlin surface end to end: value types, enums, pages, the router, the clock, files. */
class EngineTest {
    @Test
    fun `an entry comes back as a typed value with the core's derived fields`() = memoryEngine().use { engine ->
        val matter = seedMatter(engine)
        val created = engine.createEntry(alice, NewEntry(id = Ids.entry(1), initiativeId = matter, summary = "Drafted motion", durationInSeconds = 420, notes = "first draft"))
        assertTrue(created.created)
        val e = created.entry
        assertEquals(Ids.entry(1), e.id)
        assertEquals(EntryStatus.VALIDATION_SUCCEEDED, e.status)
        assertEquals(2L, e.unitIncrementCount)
        assertEquals(720L, e.incrementDurationInSeconds)
        assertEquals(420L, e.rawSeconds)
        assertEquals(360L, e.unitIncrements)
        assertEquals(Ids.TODAY, e.workDate)
        assertEquals(Ids.NOW, e.createdAt)
        assertEquals("manual", e.creationMethod)
        assertEquals("M-1", e.initiative?.externalId)
        assertEquals("CL-1", e.initiative?.client?.externalId)
        assertEquals(BillingType.BILLABLE, e.initiative?.billingType)
        assertEquals("first draft", e.notes)
        assertFalse(e.isLocked)
        assertTrue(e.validationFailedErrors.isEmpty())

        // The same device-made id and body again: the stored entry, created = false.
        val again = engine.createEntry(alice, NewEntry(id = Ids.entry(1), initiativeId = matter, summary = "Drafted motion", durationInSeconds = 420, notes = "first draft"))
        assertFalse(again.created)
        assertEquals(e, again.entry)
        assertEquals(e, engine.getEntry(alice, Ids.entry(1)))
    }

    @Test
    fun `the release lifecycle through the typed API`() = memoryEngine().use { engine ->
        val matter = seedMatter(engine)
        readyEntry(engine, matter, 1)
        val released = engine.releaseEntry(alice, Ids.entry(1))
        assertEquals(EntryStatus.RELEASE_PENDING, released.status)
        assertTrue(released.isLocked)
        assertEquals(1L, released.releaseCount)
        assertEquals(Ids.ALICE, released.releasedBy)

        val export = engine.exportReleasedPage(Ids.CUSTOMER, Ids.WIDE_AFTER, Ids.WIDE_ON_OR_BEFORE)
        assertEquals(listOf(Ids.entry(1)), export.entries.map { it.id })
        assertNull(export.nextCursor)

        val done = engine.releaseSucceeded(Ids.CUSTOMER, Ids.entry(1), externalId = "PMS-1")
        assertEquals(EntryStatus.RELEASE_SUCCEEDED, done.status)
        assertEquals("PMS-1", done.externalId)
        assertFailsWith<TenthsException.Conflict> { engine.releaseFailed(Ids.CUSTOMER, Ids.entry(1), listOf("rejected")) }

        val back = engine.unrelease(alice, Ids.entry(1))
        assertEquals(EntryStatus.VALIDATION_SUCCEEDED, back.status)
        assertEquals("PMS-1", back.externalId)

        val day = engine.releaseDay(alice, Ids.TODAY, ReleaseDayMode.READY_SUBSET)
        assertEquals(listOf(Ids.entry(1)), day.released)
        val results = engine.releaseSucceededBatch(Ids.CUSTOMER, listOf(ReleaseSucceededItem(entryId = Ids.entry(1), externalId = "PMS-1"), ReleaseSucceededItem(entryId = "nope")))
        assertEquals(listOf("ok", "invalid_argument"), results.map { it.status })
        assertNotNull(results[1].error)

        val csv = engine.exportCsv(Ids.CUSTOMER, Ids.WIDE_AFTER, Ids.WIDE_ON_OR_BEFORE)
        assertEquals(2, csv.trim().lines().size, csv)
    }

    @Test
    fun `pages come back whole, one crossing each, and walk the window without gaps or repeats`() = memoryEngine().use { engine ->
        val matter = seedMatter(engine)
        val inputs = (1..250).map { n -> NewEntry(id = Ids.entry(n), initiativeId = matter, summary = "Task $n", durationInSeconds = 60L * n % 3600 + 60) }
        val ids = engine.importEntries(alice, inputs)
        assertEquals(250, ids.size)

        val seen = ArrayList<String>()
        var cursor: String? = null
        var pages = 0
        do {
            val page = engine.listUpdatedPage(Ids.CUSTOMER, Ids.WIDE_AFTER, Ids.WIDE_ON_OR_BEFORE, pageSize = 100, cursor = cursor)
            pages++
            seen.addAll(page.entries.map { it.id })
            cursor = page.nextCursor
        } while (cursor != null)
        assertEquals(3, pages)
        assertEquals(ids.sorted(), seen)
        assertEquals(250, engine.listUpdated(Ids.CUSTOMER, Ids.WIDE_AFTER, Ids.WIDE_ON_OR_BEFORE).size)
        assertEquals(250, engine.listEntries(alice, Ids.TODAY, Ids.TODAY).size)

        val totals = engine.totals(Ids.CUSTOMER, Ids.TODAY, Ids.TODAY)
        assertEquals(1, totals.size)
        assertEquals(250L, totals[0].entries)
        assertEquals(matter, totals[0].initiativeId)
    }

    @Test
    fun `toJson gives exactly what the HTTP API sends for the same entry`() = memoryEngine().use { engine ->
        val matter = seedMatter(engine)
        readyEntry(engine, matter, 1)
        val e = engine.overrideEntry(alice, Ids.entry(1), OverrideInput(unitIncrementCountAdjustments = 1, summary = "Revised"))
        val principal = Principal(Ids.CUSTOMER, Ids.ALICE, Role.USER)
        val resp = engine.request(HttpRequest(method = "GET", path = "/api/v1/public/customers/${Ids.CUSTOMER}/users/${Ids.ALICE}/entries/${Ids.entry(1)}", principal = principal))
        assertEquals(200.toUShort(), resp.status)
        assertEquals(Json.parse(resp.body.decodeToString()), Json.parse(e.toJson(EntryShape.FULL)))
        @Suppress("UNCHECKED_CAST")
        val flat = Json.parse(e.toJson(EntryShape.FLAT)) as Map<String, Any?>
        assertEquals(Ids.entry(1), flat["entryId"])
        assertEquals(3, (flat["unitIncrementCount"] as Number).toInt())
    }

    @Test
    fun `the router answers in-process with a trusted principal or a bearer token`() = memoryEngine().use { engine ->
        val secret = "s3cret".encodeToByteArray()
        engine.setJwtSecret(secret)
        val connector = Principal(Ids.CUSTOMER, "cc0000000000000000000001", Role.CONNECTOR)
        val token = mintToken(secret, connector, 4_102_444_800) // 2100-01-01
        val body = """{"externalId": "CL-9", "name": "Router Client"}""".encodeToByteArray()
        val resp = engine.request(
            HttpRequest(
                method = "POST",
                path = "/api/v1/customers/${Ids.CUSTOMER}/clients/import",
                headers = listOf(Header("Authorization", "Bearer $token"), Header("Content-Type", "application/json")),
                body = body,
            ),
        )
        assertTrue(resp.status.toInt() in 200..299, resp.body.decodeToString())
        assertEquals(listOf("CL-9"), engine.listClients(Ids.CUSTOMER).map { it.externalId })

        // No credentials: an HTTP answer (401 with the API's error body), not an exception.
        val anonymous = engine.request(HttpRequest(method = "GET", path = "/api/v1/public/customers/${Ids.CUSTOMER}/users/${Ids.ALICE}/entries/${Ids.entry(1)}"))
        assertEquals(401.toUShort(), anonymous.status)
        assertTrue(anonymous.body.decodeToString().contains("unauthenticated"))
        // A malformed trusted principal is the binding's error, naming the field.
        val bad = assertFailsWith<TenthsException.InvalidArgument> {
            engine.request(HttpRequest(method = "GET", path = "/openapi.json", principal = Principal("nope", Ids.ALICE, Role.USER)))
        }
        assertEquals("customerId", bad.field)
    }

    @Test
    fun `timers run on the engine's fixed clock`() = memoryEngine().use { engine ->
        val matter = seedMatter(engine)
        val started = engine.startTimer(alice, TimerStart(id = Ids.entry(7), initiativeId = matter, summary = "Call with client"))
        assertTrue(started.timerRunning)
        assertTrue(started.createdAsTimer)
        assertEquals(EntryStatus.VALIDATION_PENDING, started.status)
        engine.advanceClock(25 * 60 * 1000L)
        assertEquals("2026-03-10T12:25:00Z", engine.now())
        val stopped = engine.stopTimer(alice, Ids.entry(7))
        assertFalse(stopped.timerRunning)
        assertEquals(1500L, stopped.rawSeconds)
        assertEquals(5L, stopped.unitIncrementCount)
        assertEquals(SourceKind.TIMER, stopped.sources.single().kind)
        assertEquals("2026-03-10T12:25:00Z", stopped.sources.single().endedAt)
        engine.setClock("2026-03-10T15:00:00+02:00")
        assertEquals("2026-03-10T13:00:00Z", engine.now())
    }

    @Test
    fun `settings, reference data and sources map both ways`() = memoryEngine().use { engine ->
        val matter = seedMatter(engine)
        val s = engine.updateCustomerSettings(Ids.CUSTOMER, CustomerSettingsPatch(rounding = Rounding.NEAREST, timezone = "Europe/Paris"))
        assertEquals(Rounding.NEAREST, s.rounding)
        assertEquals("Europe/Paris", s.timezone)
        assertEquals(360L, s.defaultUnitIncrements)
        assertEquals("America/New_York", engine.updateUserSettings(Ids.CUSTOMER, Ids.BOB, UserSettings("America/New_York")).timezone)
        assertNull(engine.userSettings(Ids.CUSTOMER, Ids.ALICE).timezone)

        engine.upsertCodeType(Ids.CUSTOMER, CodeTypeInput(externalId = "task", name = "Task", semanticType = "task"))
        val code = engine.upsertCode(Ids.CUSTOMER, CodeInput(externalId = "L110", name = "Fact investigation", codeTypeExternalId = "task"))
        val restricted = engine.setInitiativeCodes(Ids.CUSTOMER, "M-1", listOf("L110"))
        assertEquals(listOf(code.id), restricted.allowedCodeIds)
        val denied = engine.setInitiativeAccess(Ids.CUSTOMER, "M-1", AccessKind.DENY, listOf(Ids.BOB))
        assertEquals(listOf(Ids.BOB), denied.deniedUserIds)
        val rules = engine.setValidationRules(Ids.CUSTOMER, "M-1", ValidationRulesInput(requiredCodeTypeExternalIds = listOf("task")))
        assertEquals(listOf("task"), rules.requiredCodeTypeExternalIds)

        val e = engine.createEntry(
            alice,
            NewEntry(
                id = Ids.entry(2),
                initiativeId = matter,
                summary = "Calls",
                codeIds = listOf(code.id),
                sources = listOf(
                    SourceInput(SourceKind.CALL, "2026-03-10T09:00:00Z", "2026-03-10T09:00:55Z", title = "Call 1"),
                    SourceInput(SourceKind.EMAIL, "2026-03-10T10:00:00+01:00", "2026-03-10T09:03:00Z"),
                ),
            ),
        ).entry
        assertEquals(235L, e.rawSeconds)
        assertEquals(1L, e.unitIncrementCount) // nearest at 360 s, at least one unit
        assertEquals(listOf("L110"), e.codes.map { it.externalId })
        assertEquals(AssignedBy.USER, e.codes.single().assignedBy)
        assertEquals("grouped", e.creationMethod)
        assertEquals(listOf("2026-03-10T09:00:00Z", "2026-03-10T09:00:00Z"), e.sources.map { it.startedAt })
        assertEquals(EntryStatus.VALIDATION_SUCCEEDED, e.status)
        assertEquals(listOf("M-1"), engine.listInitiatives(Ids.CUSTOMER).map { it.externalId })
        assertEquals(InitiativeType.PMS, engine.listInitiatives(Ids.CUSTOMER).single().kind)
    }

    @Test
    fun `a file database keeps its entries across close and reopen`(@TempDir dir: File) {
        val path = File(dir, "phone.sqlite").path
        Engine(path, EngineOptions(durability = Durability.NORMAL, fixedClock = Ids.NOW)).use { engine ->
            readyEntry(engine, seedMatter(engine), 1)
            engine.closeDatabase()
        }
        Engine(path).use { engine ->
            assertEquals("Drafted motion 1", engine.getEntry(alice, Ids.entry(1)).summary)
        }
    }

    @Test
    fun `free functions`() {
        assertEquals(2L, unitsFromRaw(420, 360))
        assertEquals(1L, unitsFromRaw(420, 360, Rounding.NEAREST))
        assertEquals(0L, unitsFromRaw(120, 360, Rounding.NEAREST, minimumOneUnit = false))
        val id = newObjectId()
        assertEquals(24, id.length)
        assertEquals(id, parseObjectId(id.uppercase()))
        assertTrue(engineVersion().isNotEmpty())
        assertContentEquals(byteArrayOf(1, 2), HttpResponse(200u, emptyList(), byteArrayOf(1, 2)).body)
    }
}
