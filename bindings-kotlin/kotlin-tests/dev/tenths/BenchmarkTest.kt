package dev.tenths

import com.sun.jna.Native
import com.sun.jna.Structure
import org.junit.jupiter.api.Tag
import org.junit.jupiter.api.Test

/** The call-status struct, laid out as UniFFI's (a byte code and a RustBuffer), allocated per call as UniFFI does. */
@Structure.FieldOrder("code", "errorBuf")
open class BareStatus : Structure() {
    @JvmField var code: Byte = 0

    @JvmField var errorBuf: RustBuffer.ByValue = RustBuffer.ByValue()
}

/** A bare JNA direct-mapped call of the same native shape as UniFFI's `echo`: no UniFFI in between. */
object BareLib {
    init {
        Native.register(BareLib::class.java, "tenths_ffi")
    }

    external fun tenths_ffi_bench_echo(value: Long, status: BareStatus): Long
}

/**
 * A plain warmed-up JVM benchmark (not a test; excluded by default): a trivial call through the
 * binding beside a bare JNA call of the same shape, a method call on the engine, one page of 100
 * entries in one crossing beside 100 single reads. Run:
 * `mvn -B -ntp test -Dgroups=bench -DexcludedGroups=none -Dtest=BenchmarkTest` in bindings-kotlin/
 * (after scripts/test-kotlin has built and generated), or `scripts/test-kotlin --bench`.
 */
@Tag("bench")
class BenchmarkTest {
    /**
     * Nanoseconds per call: calibrated so a round takes about 100 ms, 5 untimed rounds to warm
     * up, then the median of 7 timed rounds.
     */
    private fun measure(block: (Int) -> Unit): Double {
        var calls = 1
        while (true) {
            val t = System.nanoTime()
            for (i in 0 until calls) block(i)
            if (System.nanoTime() - t > 20_000_000 || calls >= 1 shl 24) break
            calls *= 2
        }
        calls *= 5 // ≈100 ms
        fun round(): Double {
            val t = System.nanoTime()
            for (i in 0 until calls) block(i)
            return (System.nanoTime() - t).toDouble() / calls
        }
        repeat(5) { round() }
        return (0 until 7).map { round() }.sorted()[3]
    }

    private fun report(name: String, nanos: Double, floor: Double? = null) {
        val ratio = floor?.let { String.format("  (%.2f× the bare JNA floor)", nanos / it) } ?: ""
        println(String.format("bench %-44s %10.2f µs%s", name, nanos / 1000, ratio))
    }

    @Test
    fun `call overhead and pages`() {
        var sink = 0L
        // Interleaved, three times each, keeping the best median: the machine is shared.
        var floor = Double.MAX_VALUE
        var echo = Double.MAX_VALUE
        repeat(3) {
            floor = minOf(floor, measure { sink += BareLib.tenths_ffi_bench_echo(it.toLong(), BareStatus()) })
            echo = minOf(echo, measure { sink += echo(it.toLong()) })
        }
        memoryEngine().use { engine ->
            val matter = seedMatter(engine)
            engine.importEntries(alice, (1..100).map { NewEntry(id = Ids.entry(it), initiativeId = matter, summary = "Task $it", durationInSeconds = 60L * it) })
            val isClosed = measure { if (engine.isClosed()) sink++ }
            val get = measure { sink += engine.getEntry(alice, Ids.entry(it % 100 + 1)).rawSeconds }
            val page = measure { sink += engine.listUpdatedPage(Ids.CUSTOMER, Ids.WIDE_AFTER, Ids.WIDE_ON_OR_BEFORE, pageSize = 100).entries.size }
            val singles = measure { for (n in 1..100) sink += engine.getEntry(alice, Ids.entry(n)).rawSeconds }
            println("bench ${System.getProperty("java.vm.name")} ${System.getProperty("java.version")}, JNA ${Native.VERSION}, ${Runtime.getRuntime().availableProcessors()} cores")
            report("bare JNA call (i64, status) -> i64", floor)
            report("echo(i64): one UniFFI call", echo, floor)
            report("engine.isClosed(): handle clone + method", isClosed, floor)
            report("engine.getEntry(): one entry", get)
            report("listUpdatedPage(pageSize = 100): one crossing", page)
            report("100 × getEntry(): one crossing each", singles)
        }
        check(sink != 42L)
    }
}
