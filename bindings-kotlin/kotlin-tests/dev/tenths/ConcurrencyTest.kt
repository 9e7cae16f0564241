package dev.tenths

import org.junit.jupiter.api.Test
import org.junit.jupiter.api.Timeout
import org.junit.jupiter.api.io.TempDir
import java.io.File
import java.util.concurrent.Callable
import java.util.concurrent.CountDownLatch
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicInteger
import kotlin.test.assertEquals
import kotlin.test.assertTrue

/** One engine shared by several JVM threads: writers, readers, an observer, and a close in the middle. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ConcurrencyTest {
    private val threads = 8
    private val perThread = 40

    private fun hammer(engine: Engine, matter: String) {
        val notified = AtomicInteger()
        engine.setObserver(object : ChangeObserver {
            override fun onChange(change: Change) {
                notified.addAndGet(change.entryIds.size)
            }
        })
        val pool = Executors.newFixedThreadPool(threads + 2)
        val start = CountDownLatch(1)
        try {
            val writers = (0 until threads).map { t ->
                pool.submit(Callable {
                    start.await()
                    val scope = if (t % 2 == 0) alice else bob
                    for (i in 0 until perThread) {
                        val n = t * 1000 + i + 1
                        val e = engine.createEntry(scope, NewEntry(id = Ids.entry(n), initiativeId = matter, summary = "T$t #$i", durationInSeconds = 60L + i)).entry
                        if (i % 7 == 0) engine.editEntry(scope, e.id, EntryPatch(notes = "thread $t")).also { check(it.notes == "thread $t") }
                        if (i % 4 == 0) engine.releaseEntry(scope, e.id)
                    }
                })
            }
            val readers = (0 until 2).map {
                pool.submit(Callable {
                    start.await()
                    var pages = 0
                    repeat(30) {
                        var cursor: String? = null
                        do {
                            val page = engine.listUpdatedPage(Ids.CUSTOMER, Ids.WIDE_AFTER, Ids.WIDE_ON_OR_BEFORE, pageSize = 50, cursor = cursor)
                            check(page.entries.map { it.id } == page.entries.map { it.id }.sorted())
                            cursor = page.nextCursor
                            pages++
                        } while (cursor != null)
                        engine.totals(Ids.CUSTOMER, Ids.TODAY, Ids.TODAY)
                    }
                    pages
                })
            }
            start.countDown()
            writers.forEach { it.get(100, TimeUnit.SECONDS) }
            readers.forEach { assertTrue(it.get(100, TimeUnit.SECONDS) > 0) }
        } finally {
            pool.shutdownNow()
        }
        val all = engine.listUpdated(Ids.CUSTOMER, Ids.WIDE_AFTER, Ids.WIDE_ON_OR_BEFORE)
        assertEquals(threads * perThread, all.size)
        assertEquals(threads * perThread, all.map { it.id }.toSet().size)
        val releases = threads * ((perThread + 3) / 4)
        val edits = threads * ((perThread + 6) / 7)
        assertEquals(releases, all.count { it.status == EntryStatus.RELEASE_PENDING })
        assertEquals(threads * perThread + releases + edits, notified.get())
        assertEquals((threads * perThread).toLong(), engine.totals(Ids.CUSTOMER, Ids.TODAY, Ids.TODAY).sumOf { it.entries })
    }

    @Test
    fun `several threads share a file engine`(@TempDir dir: File) {
        Engine(File(dir, "shared.sqlite").path, EngineOptions(durability = Durability.NORMAL, fixedClock = Ids.NOW)).use { engine ->
            hammer(engine, seedMatter(engine))
        }
    }

    @Test
    fun `several threads share an in-memory engine`() = memoryEngine().use { engine ->
        hammer(engine, seedMatter(engine))
    }

    @Test
    fun `closing while other threads work gives Closed, never a crash`(@TempDir dir: File) {
        Engine(File(dir, "closing.sqlite").path, EngineOptions(fixedClock = Ids.NOW)).use { engine ->
            val matter = seedMatter(engine)
            val pool = Executors.newFixedThreadPool(4)
            val ok = AtomicInteger()
            val closed = AtomicInteger()
            try {
                val jobs = (0 until 4).map { t ->
                    pool.submit {
                        for (i in 0 until 200) {
                            try {
                                engine.createEntry(alice, NewEntry(id = Ids.entry(t * 1000 + i + 1), initiativeId = matter, summary = "x", durationInSeconds = 60))
                                engine.listUpdatedPage(Ids.CUSTOMER, Ids.WIDE_AFTER, Ids.WIDE_ON_OR_BEFORE, pageSize = 10)
                                ok.incrementAndGet()
                            } catch (e: TenthsException.Closed) {
                                closed.incrementAndGet()
                            }
                        }
                    }
                }
                Thread.sleep(20)
                engine.closeDatabase()
                jobs.forEach { it.get(60, TimeUnit.SECONDS) }
            } finally {
                pool.shutdownNow()
            }
            assertEquals(800, ok.get() + closed.get())
            assertTrue(closed.get() > 0, "some calls ran after the close")
            assertTrue(engine.isClosed())
        }
    }
}
