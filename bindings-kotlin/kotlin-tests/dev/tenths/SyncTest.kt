package dev.tenths

import org.junit.jupiter.api.Test
import org.junit.jupiter.api.Timeout
import java.util.Collections
import java.util.concurrent.TimeUnit
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue

/**
 * Offline-first sync from Kotlin: the app's transport ([SyncTransport], implemented here in
 * Kotlin) carries the device engine's requests to a server engine in the same process, signed
 * in as Alice (a trusted principal, as the app's own HTTP stack would add a token).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SyncTest {
    /** The server of record behind a Kotlin transport; records every request it carries. */
    private class InProcess(val server: Engine, val user: String = Ids.ALICE) : SyncTransport {
        val calls: MutableList<String> = Collections.synchronizedList(ArrayList())
        var offline = false

        override fun send(request: HttpRequest): HttpResponse {
            if (offline) throw java.io.IOException("no network")
            assertNull(request.principal, "the engine never sends a principal: the transport authenticates")
            calls.add("${request.method} ${request.path.substringBefore('?').substringAfterLast("/sync/")}")
            return server.request(request.copy(principal = Principal(Ids.CUSTOMER, user, Role.USER)))
        }
    }

    private fun synced(device: Engine, transport: SyncTransport): SyncReport {
        val report = device.sync(transport, Ids.CUSTOMER, Ids.ALICE)
        val status = device.syncStatus(Ids.CUSTOMER, Ids.ALICE)
        assertNull(status.lastError, "no error after a successful sync")
        assertNotNull(status.lastSuccessAt)
        assertEquals(false, status.pushInFlight)
        return report
    }

    @Test
    fun `an entry made on the device reaches the server and a server change comes back`() = memoryEngine().use { server ->
        memoryEngine().use { device ->
            val matter = seedMatter(server)
            val transport = InProcess(server)

            // First sync: nothing to push; the reference data comes down, so the device validates offline.
            val first = synced(device, transport)
            assertEquals(0UL, first.pushed)
            assertEquals(listOf(matter), device.listInitiatives(Ids.CUSTOMER).map { it.id })
            assertTrue(device.syncStatus(Ids.CUSTOMER, Ids.ALICE).cursor.referenceSeq > 0)
            assertEquals(listOf("GET changes"), transport.calls)

            // Offline: an entry made on the device (its id is kept by the server).
            val made = device.createEntry(alice, NewEntry(id = Ids.entry(1), initiativeId = matter, summary = "Drafted motion", durationInSeconds = 420)).entry
            assertEquals(EntryStatus.VALIDATION_SUCCEEDED, made.status)
            val pending = device.syncStatus(Ids.CUSTOMER, Ids.ALICE)
            assertEquals(1UL, pending.pending)
            assertNotNull(pending.oldestPendingAt)

            val push = synced(device, transport)
            assertEquals(1UL, push.pushed)
            assertEquals(1UL, push.applied)
            assertEquals(0UL, push.conflicts)
            assertEquals(0UL, device.syncStatus(Ids.CUSTOMER, Ids.ALICE).pending)
            val onServer = server.getEntry(alice, Ids.entry(1))
            assertEquals("Drafted motion", onServer.summary)
            assertEquals(2L, onServer.unitIncrementCount)

            // A change on the server (a web app, a connector) comes back on the next sync.
            server.editEntry(alice, Ids.entry(1), EntryPatch(notes = "Filed with the court"))
            val pull = synced(device, transport)
            assertEquals(0UL, pull.pushed)
            assertTrue(pull.pulled >= 1UL, "pulled ${pull.pulled}")
            val back = device.getEntry(alice, Ids.entry(1))
            assertEquals("Filed with the court", back.notes)
            assertEquals("Drafted motion", back.summary)
            assertEquals(0UL, device.syncStatus(Ids.CUSTOMER, Ids.ALICE).pending)

            // Nothing new: a no-op sync pushes nothing and pulls nothing.
            val idle = synced(device, transport)
            assertEquals(0UL, idle.pushed)
            assertEquals(0UL, idle.pulled)
        }
    }

    @Test
    fun `the same field edited on both sides keeps the server's value and logs the device's`() = memoryEngine().use { server ->
        memoryEngine().use { device ->
            val matter = seedMatter(server)
            val transport = InProcess(server)
            synced(device, transport)
            device.createEntry(alice, NewEntry(id = Ids.entry(2), initiativeId = matter, summary = "Research", durationInSeconds = 420))
            synced(device, transport)

            // Apart: the server changes the summary; the device changes the summary and the notes.
            server.editEntry(alice, Ids.entry(2), EntryPatch(summary = "Research (server)"))
            device.editEntry(alice, Ids.entry(2), EntryPatch(summary = "Research (device)", notes = "Cited three cases"))
            val report = synced(device, transport)
            assertTrue(report.conflicts >= 1UL, "one field lost: $report")

            val mine = device.getEntry(alice, Ids.entry(2))
            val theirs = server.getEntry(alice, Ids.entry(2))
            assertEquals("Research (server)", mine.summary)
            assertEquals("Cited three cases", mine.notes)
            assertEquals(mine.summary, theirs.summary)
            assertEquals(mine.notes, theirs.notes, "the device's other field reached the server")
            val conflicts = device.syncConflicts(Ids.CUSTOMER)
            assertEquals(listOf("summary"), conflicts.map { it.field })
            assertEquals(Ids.entry(2), conflicts[0].entryId)
            assertEquals("\"Research (device)\"", conflicts[0].localValueJson)
            assertEquals("\"Research (server)\"", conflicts[0].serverValueJson)
            assertEquals(1UL, device.syncStatus(Ids.CUSTOMER, Ids.ALICE).conflicts)
        }
    }

    @Test
    fun `a failing transport stops the sync, keeps the error, loses nothing`() = memoryEngine().use { server ->
        memoryEngine().use { device ->
            seedMatter(server)
            val transport = InProcess(server)
            device.createEntry(alice, NewEntry(id = Ids.entry(3), summary = "Offline call", durationInSeconds = 300))
            transport.offline = true
            val e = assertFailsWith<TenthsException> { device.sync(transport, Ids.CUSTOMER, Ids.ALICE) }
            assertTrue(e.describe().contains("no network"), e.describe())
            val status = device.syncStatus(Ids.CUSTOMER, Ids.ALICE)
            assertEquals(1UL, status.pending)
            assertTrue(status.lastError?.contains("no network") == true, "${status.lastError}")
            assertNull(status.lastSuccessAt)

            transport.offline = false
            val report = synced(device, transport)
            assertEquals(1UL, report.applied)
            assertEquals("Offline call", server.getEntry(alice, Ids.entry(3)).summary)
        }
    }

    @Test
    fun `an edit of an entry released on the server meanwhile is quarantined, then discarded`() = memoryEngine().use { server ->
        memoryEngine().use { device ->
            val matter = seedMatter(server)
            val transport = InProcess(server)
            synced(device, transport)
            device.createEntry(alice, NewEntry(id = Ids.entry(4), initiativeId = matter, summary = "Hearing prep", durationInSeconds = 420))
            synced(device, transport)

            server.releaseEntry(alice, Ids.entry(4))
            device.editEntry(alice, Ids.entry(4), EntryPatch(summary = "Hearing prep, revised"))
            val report = synced(device, transport)
            assertEquals(1UL, report.quarantined, "$report")
            val quarantined = device.syncQuarantined(Ids.CUSTOMER)
            assertEquals(listOf(Ids.entry(4)), quarantined.map { it.entryId })
            assertEquals("locked", quarantined[0].code)
            assertTrue(quarantined[0].localJson.contains("Hearing prep, revised"), quarantined[0].localJson)
            assertEquals(1UL, device.syncStatus(Ids.CUSTOMER, Ids.ALICE).quarantined)
            val shown = device.getEntry(alice, Ids.entry(4))
            assertEquals("Hearing prep", shown.summary, "the server's copy is restored")
            assertTrue(shown.isLocked)

            device.syncDiscardLocalChanges(Ids.CUSTOMER, Ids.entry(4))
            assertEquals(emptyList(), device.syncQuarantined(Ids.CUSTOMER))
            assertEquals(0UL, device.syncStatus(Ids.CUSTOMER, Ids.ALICE).quarantined)
            assertEquals("Hearing prep", server.getEntry(alice, Ids.entry(4)).summary)
        }
    }

    @Test
    fun `bad ids are refused before any request`() = memoryEngine().use { device ->
        val transport = InProcess(memoryEngine())
        val e = assertFailsWith<TenthsException.InvalidArgument> { device.sync(transport, "nope", Ids.ALICE) }
        assertEquals("customerId", e.field)
        assertFailsWith<TenthsException.InvalidArgument> { device.syncRetry(Ids.CUSTOMER, "") }
        assertFailsWith<TenthsException.InvalidArgument> { device.syncConflicts("x") }
        assertEquals(emptyList(), transport.calls)
        transport.server.close()
    }
}
