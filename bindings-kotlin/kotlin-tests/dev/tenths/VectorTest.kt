package dev.tenths

import org.junit.jupiter.api.DynamicTest
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestFactory
import kotlin.test.assertTrue

/** Every scenario vector of `tests/vectors/` (read in place), through the Kotlin API: one test each. */
class VectorTest {
    @Test
    fun `the vector directory holds the shared vectors`() {
        val files = Vectors.discover()
        assertTrue(files.size >= 40, "expected at least 40 vectors in ${Vectors.dir}, found ${files.size}")
    }

    @TestFactory
    fun vectors(): List<DynamicTest> {
        val filter = System.getenv("TENTHS_VECTOR")
        return Vectors.discover().filter { filter == null || it.nameWithoutExtension.contains(filter) }.map { file ->
            DynamicTest.dynamicTest(file.nameWithoutExtension) { Vectors.run(file) }
        }
    }
}
