package dev.tenths.example

import dev.tenths.BillingType
import dev.tenths.ClientInput
import dev.tenths.Engine
import dev.tenths.InitiativeInput
import dev.tenths.NewEntry
import dev.tenths.Scope
import java.io.File
import kotlin.system.exitProcess

/**
 * A service's first use of tenths: open a database file, import a client and a matter, record
 * two entries, list them; then open the file again and list once more. Exits 1 on any mismatch.
 */
fun main(args: Array<String>) {
    val path = args.singleOrNull() ?: run { System.err.println("usage: MainKt DATABASE_FILE"); exitProcess(2) }
    // JNA must find the library inside the tenths jar, not on a path given to it.
    System.getProperty("jna.library.path")?.let { fail("jna.library.path is set: $it") }
    File(path).delete()
    val customer = "c00000000000000000000001"
    val alice = Scope(customer, "a00000000000000000000001")
    Engine(path).use { engine ->
        engine.upsertClient(customer, ClientInput(externalId = "CL-1", name = "Acme Holdings"))
        val matter = engine.upsertInitiative(
            customer,
            InitiativeInput(externalId = "M-1", name = "Acme v. Widget", billingType = BillingType.BILLABLE, unitIncrements = 360, clientExternalId = "CL-1"),
        ).id
        engine.createEntry(alice, NewEntry(initiativeId = matter, summary = "Drafted motion", durationInSeconds = 420, workDate = "2026-03-10"))
        engine.createEntry(alice, NewEntry(initiativeId = matter, summary = "Call with client", durationInSeconds = 1500, workDate = "2026-03-10"))
    }
    val listed = Engine(path).use { it.listEntries(alice, "2026-03-10", "2026-03-10") }
    val seen = listed.map { Triple(it.summary, it.unitIncrementCount, it.initiative?.client?.externalId) }.sortedBy { it.first }
    val expected = listOf(Triple("Call with client", 5L, "CL-1"), Triple("Drafted motion", 2L, "CL-1"))
    if (seen != expected) fail("listed $seen, expected $expected")
    println("consumer-example: created 2 entries and listed $seen from $path")
}

private fun fail(message: String): Nothing {
    System.err.println("consumer-example: FAILED: $message")
    exitProcess(1)
}
