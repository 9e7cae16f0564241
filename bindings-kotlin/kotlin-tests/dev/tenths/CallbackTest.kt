package dev.tenths

import org.junit.jupiter.api.Test
import org.junit.jupiter.api.Timeout
import java.util.Collections
import java.util.concurrent.TimeUnit
import kotlin.test.assertEquals
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue

/** The host callback (the change observer), implemented in Kotlin and called from Rust. */
@Timeout(value = 60, unit = TimeUnit.SECONDS) // a deadlock fails the test instead of hanging the build
class CallbackTest {
    private class Recorder(val onEach: (Change) -> Unit = {}) : ChangeObserver {
        val changes: MutableList<Change> = Collections.synchronizedList(ArrayList())
        val threads: MutableList<Thread> = Collections.synchronizedList(ArrayList())

        override fun onChange(change: Change) {
            changes.add(change)
            threads.add(Thread.currentThread())
            onEach(change)
        }
    }

    @Test
    fun `the observer hears every committed write, on the calling thread`() = memoryEngine().use { engine ->
        val recorder = Recorder()
        engine.setObserver(recorder)
        val matter = seedMatter(engine)
        readyEntry(engine, matter, 1)
        engine.releaseEntry(alice, Ids.entry(1))
        engine.releaseSucceeded(Ids.CUSTOMER, Ids.entry(1), externalId = "PMS-1")
        engine.getEntry(alice, Ids.entry(1)) // a read: no change
        engine.createEntry(alice, NewEntry(id = Ids.entry(1), initiativeId = matter, summary = "Drafted motion 1", durationInSeconds = 420)).let { assertTrue(!it.created) } // a replay: nothing new
        runCatching { engine.editEntry(alice, Ids.entry(1), EntryPatch(summary = "locked")) } // refused: no change

        assertEquals(
            listOf("upsertClient", "upsertInitiative", "createEntry", "releaseEntry", "releaseSucceeded"),
            recorder.changes.map { it.operation },
        )
        val create = recorder.changes[2]
        assertEquals(ChangeKind.ENTRIES, create.kind)
        assertEquals(Ids.CUSTOMER, create.customerId)
        assertEquals(Ids.ALICE, create.userId)
        assertEquals(listOf(Ids.entry(1)), create.entryIds)
        assertEquals(ChangeKind.REFERENCE_DATA, recorder.changes[0].kind)
        assertTrue(recorder.threads.all { it === Thread.currentThread() })

        // Writes through the router are reported too.
        engine.request(
            HttpRequest(
                "POST",
                "/api/v1/customers/${Ids.CUSTOMER}/clients/import",
                body = """{"externalId": "CL-2", "name": "Beta"}""".encodeToByteArray(),
                principal = Principal(Ids.CUSTOMER, Ids.ALICE, Role.ADMIN),
            ),
        )
        assertEquals(ChangeKind.REQUEST, recorder.changes.last().kind)
        assertTrue(recorder.changes.last().operation.startsWith("POST /api/v1/customers/"))

        engine.setObserver(null)
        readyEntry(engine, matter, 2)
        assertEquals(6, recorder.changes.size)
        assertNull(engine.takeObserverFailure())
    }

    @Test
    fun `an observer may call back into the engine, reads and writes alike`() = memoryEngine().use { engine ->
        val matter = seedMatter(engine)
        val seen = Collections.synchronizedList(ArrayList<String>())
        var depth = 0
        engine.setObserver(
            Recorder { change ->
                for (id in change.entryIds) {
                    // Re-entrant read: the writer's lock was released before the callback.
                    val e = engine.getEntry(alice, id)
                    seen.add("${e.id}:${e.status}")
                    engine.listUpdatedPage(Ids.CUSTOMER, Ids.WIDE_AFTER, Ids.WIDE_ON_OR_BEFORE)
                    // Re-entrant write, which notifies again (one level deep).
                    if (depth == 0 && change.operation == "createEntry") {
                        depth++
                        engine.editEntry(alice, id, EntryPatch(notes = "noted by the observer"))
                        depth--
                    }
                }
            },
        )
        readyEntry(engine, matter, 1)
        assertEquals(listOf("${Ids.entry(1)}:VALIDATION_SUCCEEDED", "${Ids.entry(1)}:VALIDATION_SUCCEEDED"), seen)
        assertEquals("noted by the observer", engine.getEntry(alice, Ids.entry(1)).notes)
        assertNull(engine.takeObserverFailure())
    }

    @Test
    fun `a throwing observer never fails nor undoes the write`() = memoryEngine().use { engine ->
        val matter = seedMatter(engine)
        engine.setObserver(Recorder { throw IllegalStateException("the UI is gone") })
        val e = readyEntry(engine, matter, 1) // succeeds although the observer threw
        assertEquals(e, engine.getEntry(alice, Ids.entry(1)))
        val failure = engine.takeObserverFailure()
        assertNotNull(failure)
        assertTrue(failure.contains("the UI is gone"), failure)
        assertTrue(failure.startsWith("host callback failed"), failure)
        assertNull(engine.takeObserverFailure(), "taking the failure clears it")

        // A typed error thrown by the observer is kept with its kind's text.
        engine.setObserver(Recorder { throw TenthsException.Conflict("refused by the host") })
        engine.editEntry(alice, Ids.entry(1), EntryPatch(summary = "Revised"))
        assertEquals("conflict: refused by the host", engine.takeObserverFailure())
        assertEquals("Revised", engine.getEntry(alice, Ids.entry(1)).summary)

        // The engine goes on working, and a well-behaved observer is heard again.
        val recorder = Recorder()
        engine.setObserver(recorder)
        engine.deleteEntry(alice, Ids.entry(1))
        assertEquals(listOf("deleteEntry"), recorder.changes.map { it.operation })
    }
}
