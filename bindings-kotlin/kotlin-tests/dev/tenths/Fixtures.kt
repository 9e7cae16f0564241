package dev.tenths

/** Ids and a small firm shared by the API tests (the vectors' conventions). */
object Ids {
    const val CUSTOMER = "c00000000000000000000001"
    const val OTHER_CUSTOMER = "c00000000000000000000002"
    const val ALICE = "a00000000000000000000001"
    const val BOB = "b00000000000000000000002"
    const val DELEGATE = "d00000000000000000000003"
    const val MISSING = "f00000000000000000000009"
    const val NOW = "2026-03-10T12:00:00Z"
    const val TODAY = "2026-03-10"
    const val WIDE_AFTER = "1970-01-01T00:00:00Z"
    const val WIDE_ON_OR_BEFORE = "9999-12-31T23:59:59.999Z"

    fun entry(n: Int): String = "e" + n.toString(16).padStart(23, '0')
}

val alice = Scope(Ids.CUSTOMER, Ids.ALICE)
val bob = Scope(Ids.CUSTOMER, Ids.BOB)

/** An in-memory engine on a fixed clock at [Ids.NOW]. */
fun memoryEngine(): Engine = Engine(":memory:", EngineOptions(fixedClock = Ids.NOW))

/** Imports client CL-1 and matter M-1 (6-minute units); answers the matter's id. */
fun seedMatter(engine: Engine, customer: String = Ids.CUSTOMER): String {
    engine.upsertClient(customer, ClientInput(externalId = "CL-1", name = "Acme Holdings", callSign = "ACME"))
    return engine.upsertInitiative(
        customer,
        InitiativeInput(externalId = "M-1", name = "Acme v. Widget", billingType = BillingType.BILLABLE, unitIncrements = 360, clientExternalId = "CL-1"),
    ).id
}

/** A ready (validation-succeeded) manual entry of 420 s (2 units). */
fun readyEntry(engine: Engine, matter: String, n: Int, scope: Scope = alice): Entry =
    engine.createEntry(scope, NewEntry(id = Ids.entry(n), initiativeId = matter, summary = "Drafted motion $n", durationInSeconds = 420)).entry
