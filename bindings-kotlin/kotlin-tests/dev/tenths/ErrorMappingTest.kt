package dev.tenths

import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.io.File
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertIs
import kotlin.test.assertTrue

/** Each error kind of the core arrives as its own `TenthsException` subclass, with its data. */
class ErrorMappingTest {
    @Test
    fun `invalid arguments name the wire field`() = memoryEngine().use { engine ->
        val matter = seedMatter(engine)
        fun field(block: () -> Unit): String = assertFailsWith<TenthsException.InvalidArgument> { block() }.field
        assertEquals("_id", field { engine.createEntry(alice, NewEntry(id = "xyz")) })
        assertEquals("initiativeId", field { engine.createEntry(alice, NewEntry(initiativeId = "123")) })
        assertEquals("codeIds[1]", field { engine.createEntry(alice, NewEntry(codeIds = listOf(Ids.MISSING, "nope"))) })
        assertEquals("sources[0].endedAt", field { engine.createEntry(alice, NewEntry(sources = listOf(SourceInput(SourceKind.CALL, "2026-03-10T10:00:00Z", "2026-03-10T09:00:00Z")))) })
        assertEquals("sources[0].startedAt", field { engine.createEntry(alice, NewEntry(sources = listOf(SourceInput(SourceKind.CALL, "2026-03-10 10:00", "2026-03-10T11:00:00Z")))) })
        assertEquals("workDate", field { engine.createEntry(alice, NewEntry(workDate = "2026-02-30")) })
        assertEquals("customerId", field { engine.getEntry(Scope("C1", Ids.ALICE), Ids.entry(1)) })
        assertEquals("userId", field { engine.getEntry(Scope(Ids.CUSTOMER, "ALICE"), Ids.entry(1)) })
        assertEquals("actorId", field { engine.getEntry(Scope(Ids.CUSTOMER, Ids.ALICE, actorId = "x"), Ids.entry(1)) })
        assertEquals("entryId", field { engine.getEntry(alice, "not-an-id") })
        assertEquals("unitIncrements", field { engine.upsertInitiative(Ids.CUSTOMER, InitiativeInput("M-2", "Zero", BillingType.BILLABLE, 0)) })
        assertEquals("timezone", field { engine.updateCustomerSettings(Ids.CUSTOMER, CustomerSettingsPatch(timezone = "Mars/Olympus_Mons")) })
        assertEquals("updatedAfter", field { engine.listUpdated(Ids.CUSTOMER, "yesterday", Ids.NOW) })
        assertEquals("pageSize", field { engine.listUpdatedPage(Ids.CUSTOMER, Ids.WIDE_AFTER, Ids.NOW, pageSize = 0) })
        assertEquals("cursor", field { engine.exportReleasedPage(Ids.CUSTOMER, Ids.WIDE_AFTER, Ids.NOW, cursor = "zz") })
        assertEquals("errors[0]", field { readyEntry(engine, matter, 3); engine.releaseEntry(alice, Ids.entry(3)); engine.releaseFailed(Ids.CUSTOMER, Ids.entry(3), listOf("  ")) })
        assertEquals("path", field { Engine("") })
        assertEquals("fixedClock", field { Engine(":memory:", EngineOptions(fixedClock = "noon")) })
        assertEquals("now", field { Engine(":memory:").use { it.advanceClock(1) } })
        assertEquals("id", field { parseObjectId("0") })
        val e = assertFailsWith<TenthsException.InvalidArgument> { engine.createEntry(alice, NewEntry(id = "xyz")) }
        assertEquals("invalid_argument", e.code())
        assertTrue(e.reason.isNotEmpty())
        assertTrue(e.message!!.contains("field=_id"), e.message)
        assertTrue(e.describe().startsWith("invalid _id:"), e.describe())
    }

    @Test
    fun `a lock held by another process is unavailable and retryable`(@TempDir dir: File) {
        val path = File(dir, "firm.sqlite").path
        Engine(path, EngineOptions(fixedClock = Ids.NOW)).use { engine ->
            engine.createEntry(alice, NewEntry(durationInSeconds = 60))
            // Another process keeps the write lock past the busy timeout (5 s).
            val holder = ProcessBuilder(
                "python3", "-c",
                "import sqlite3, sys; c = sqlite3.connect(sys.argv[1], isolation_level=None); c.execute('BEGIN IMMEDIATE'); " +
                    "print('locked', flush=True); sys.stdin.readline(); c.execute('ROLLBACK')",
                path,
            ).start()
            try {
                assertEquals("locked", holder.inputStream.bufferedReader().readLine())
                val e = assertFailsWith<TenthsException.Unavailable> { engine.createEntry(alice, NewEntry(durationInSeconds = 120)) }
                assertTrue(e.isRetryable())
                assertEquals("unavailable", e.code())
            } finally {
                holder.outputStream.write("\n".toByteArray())
                holder.outputStream.flush()
                holder.waitFor()
            }
            // The refused write wrote nothing; once the lock is gone the same call succeeds.
            assertEquals(1, engine.listEntries(alice, "2026-03-10", "2026-03-10").size)
            engine.createEntry(alice, NewEntry(durationInSeconds = 120))
            assertEquals(2, engine.listEntries(alice, "2026-03-10", "2026-03-10").size)
        }
    }

    @Test
    fun `not found, conflict, locked and validation failed`() = memoryEngine().use { engine ->
        val matter = seedMatter(engine)
        val nf = assertFailsWith<TenthsException.NotFound> { engine.getEntry(alice, Ids.entry(1)) }
        assertEquals("not_found", nf.code())
        assertEquals(Ids.entry(1), nf.id)
        assertEquals("entry", nf.what)
        // Another tenant's entry is not found either.
        readyEntry(engine, matter, 1)
        assertFailsWith<TenthsException.NotFound> { engine.getEntry(Scope(Ids.OTHER_CUSTOMER, Ids.ALICE), Ids.entry(1)) }

        val conflict = assertFailsWith<TenthsException.Conflict> { engine.createEntry(alice, NewEntry(id = Ids.entry(1), summary = "another body")) }
        assertEquals("conflict", conflict.code())

        engine.releaseEntry(alice, Ids.entry(1))
        val locked = assertFailsWith<TenthsException.Locked> { engine.editEntry(alice, Ids.entry(1), EntryPatch(summary = "late edit")) }
        assertEquals("locked", locked.code())
        assertTrue(locked.reason.isNotEmpty())

        engine.createEntry(alice, NewEntry(id = Ids.entry(2), initiativeId = matter, summary = "", durationInSeconds = 0))
        val vf = assertFailsWith<TenthsException.ValidationFailed> { engine.releaseEntry(alice, Ids.entry(2)) }
        assertEquals("validation_failed", vf.code())
        assertEquals(listOf("summary", "zero-increment"), vf.failures.map { it.rule })
        assertTrue(vf.failures.all { it.title.isNotEmpty() && it.description.isNotEmpty() })
    }

    @Test
    fun `too large, closed, callback, and an incompatible file`(@TempDir dir: File) {
        memoryEngine().use { engine ->
            val tooLarge = assertFailsWith<TenthsException.TooLarge> {
                engine.releaseSucceededBatch(Ids.CUSTOMER, (1..1001).map { ReleaseSucceededItem(entryId = Ids.entry(it)) })
            }
            assertEquals("too_large", tooLarge.code())
            engine.closeDatabase()
            val closed = assertFailsWith<TenthsException.Closed> { engine.customerSettings(Ids.CUSTOMER) }
            assertEquals("closed", closed.code())
        }
        // The Callback kind is the binding's own (a host callback failed); its code maps too.
        assertEquals("callback", TenthsException.Callback("boom").code())

        val notADatabase = File(dir, "notes.txt").apply { writeText("this is not a database, ".repeat(100)) }
        val incompatible = assertFailsWith<TenthsException> { Engine(notADatabase.path) }
        assertIs<TenthsException.IncompatibleDatabase>(incompatible, incompatible.toString())
        assertEquals("incompatible_database", incompatible.code())
        assertTrue(notADatabase.readText().startsWith("this is not a database"), "the file must be left untouched")
    }

    @Test
    fun `a damaged database is refused untouched, and read-only when the check is skipped`(@TempDir dir: File) {
        // 2,000 entries, then the middle fifth of the pages overwritten with random bytes (page 1,
        // the header, stays sound): SQLite opens the file, its integrity check does not pass.
        val file = File(dir, "firm.sqlite")
        Engine(file.path, EngineOptions(fixedClock = Ids.NOW)).use { engine ->
            for (start in listOf(0, 1000)) {
                engine.importEntries(alice, (start until start + 1000).map {
                    NewEntry(summary = "Reviewed exhibit $it of the production", notes = "privileged; ".repeat(8), workDate = "2026-03-%02d".format(1 + it % 28), durationInSeconds = 360)
                })
            }
        }
        val bytes = file.readBytes()
        val pages = bytes.size / 4096
        assertTrue(pages > 50, "pages: $pages")
        val noise = java.util.Random(7)
        for (page in pages * 2 / 5 until pages * 3 / 5) {
            val junk = ByteArray(4096).also { noise.nextBytes(it) }
            junk.copyInto(bytes, page * 4096)
        }
        file.writeBytes(bytes)

        val refused = assertFailsWith<TenthsException.Corrupt> { Engine(file.path, EngineOptions(fixedClock = Ids.NOW)) }
        assertEquals("corrupt", refused.code())
        assertTrue(!refused.isRetryable())
        assertTrue(refused.reason.contains("quick_check") && refused.reason.contains("firm.sqlite"), refused.reason)
        assertTrue(file.readBytes().contentEquals(bytes), "a refused open changed the file")

        Engine(file.path, EngineOptions(fixedClock = Ids.NOW, checkIntegrity = false)).use { engine ->
            assertFailsWith<TenthsException.Corrupt> { engine.listEntries(alice, "2026-03-01", "2026-03-31") }
            assertFailsWith<TenthsException.Corrupt> { engine.createEntry(alice, NewEntry(summary = "Called the client", durationInSeconds = 360)) }
            assertEquals(503.toUShort(), engine.request(HttpRequest(method = "GET", path = "/healthz")).status)
        }
        assertTrue(file.readBytes().contentEquals(bytes), "the damaged file was written to")
    }

    @Test
    fun `router errors are HTTP answers with the API's error body`() = memoryEngine().use { engine ->
        val user = Principal(Ids.CUSTOMER, Ids.ALICE, Role.USER)
        val forbidden = engine.request(HttpRequest(method = "GET", path = "/api/v1/public/customers/${Ids.CUSTOMER}/users/${Ids.BOB}/entries/${Ids.entry(1)}", principal = user))
        assertEquals(403.toUShort(), forbidden.status)
        assertTrue(forbidden.body.decodeToString().contains("\"permission_denied\""), forbidden.body.decodeToString())
        val bad = engine.request(
            HttpRequest(method = "POST", path = "/api/v1/public/customers/${Ids.CUSTOMER}/users/${Ids.ALICE}/entries", body = """{"summry": "typo"}""".encodeToByteArray(), principal = user),
        )
        assertEquals(400.toUShort(), bad.status)
        @Suppress("UNCHECKED_CAST")
        val error = (Json.parse(bad.body.decodeToString()) as Map<String, Any?>)["error"] as Map<String, Any?>
        assertEquals("invalid_argument", error["code"])
        assertEquals("summry", error["field"])
        engine.closeDatabase()
        assertEquals(503.toUShort(), engine.request(HttpRequest(method = "GET", path = "/api/v1/public/customers/${Ids.CUSTOMER}/users/${Ids.ALICE}/entries/${Ids.entry(1)}", principal = user)).status)
    }
}
