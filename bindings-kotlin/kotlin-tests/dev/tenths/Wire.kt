package dev.tenths

/**
 * The Kotlin records in their wire shape (the JSON the HTTP API and the vectors use), built
 * from the typed fields: camelCase keys, `_id`, absent optional fields left out. Entries use
 * `Entry.toJson(shape)`, which hands the typed record back to the core's own wire views (so a
 * field lost on the way through Kotlin shows up as a difference).
 */
object Wire {
    /** `NON_BILLABLE` -> `non-billable`, `UP` -> `up`. */
    fun name(e: Enum<*>): String = e.name.lowercase().replace('_', '-')

    inline fun <reified E : Enum<E>> parse(s: String): E? = enumValues<E>().firstOrNull { name(it) == s }

    private fun obj(vararg pairs: Pair<String, Any?>): Map<String, Any?> {
        val m = LinkedHashMap<String, Any?>()
        for ((k, v) in pairs) if (v != null) m[k] = v
        return m
    }

    fun entry(e: Entry, shape: EntryShape): Any? = Json.parse(e.toJson(shape))

    fun entryResult(e: Entry): Map<String, Any?> = mapOf("entry" to entry(e, EntryShape.FULL), "flat" to entry(e, EntryShape.FLAT))

    fun customerSettings(s: CustomerSettings) = obj(
        "defaultUnitIncrements" to s.defaultUnitIncrements,
        "rounding" to name(s.rounding),
        "minimumOneUnit" to s.minimumOneUnit,
        "timezone" to s.timezone,
        "allowPostReleaseEdit" to s.allowPostReleaseEdit,
    )

    fun userSettings(s: UserSettings) = obj("timezone" to s.timezone)

    fun client(c: Client) = obj("_id" to c.id, "externalId" to c.externalId, "name" to c.name, "callSign" to c.callSign, "description" to c.description)

    fun codeType(c: CodeType) = obj("_id" to c.id, "externalId" to c.externalId, "name" to c.name, "semanticType" to c.semanticType)

    fun code(c: Code) = obj(
        "_id" to c.id,
        "externalId" to c.externalId,
        "codeTypeExternalId" to c.codeTypeExternalId,
        "name" to c.name,
        "description" to c.description,
        "isDisabled" to c.isDisabled,
    )

    fun initiative(i: Initiative) = obj(
        "_id" to i.id,
        "type" to name(i.kind),
        "externalId" to i.externalId,
        "name" to i.name,
        "description" to i.description,
        "callSign" to i.callSign,
        "clientExternalId" to i.clientExternalId,
        "billingType" to name(i.billingType),
        "unitIncrements" to i.unitIncrements,
        "status" to name(i.status),
        "allowedCodeIds" to i.allowedCodeIds,
        "allowedUserIds" to i.allowedUserIds,
        "deniedUserIds" to i.deniedUserIds,
    )

    fun rules(r: ValidationRules) = obj(
        "isSummaryRequired" to r.isSummaryRequired,
        "cannotReleaseFutureWork" to r.cannotReleaseFutureWork,
        "cannotReleaseNegativeIncrement" to r.cannotReleaseNegativeIncrement,
        "cannotReleaseZeroIncrement" to r.cannotReleaseZeroIncrement,
        "requiredCodeTypeExternalIds" to r.requiredCodeTypeExternalIds,
    )

    fun ruleFailure(f: RuleFailure) = obj("rule" to f.rule, "title" to f.title, "description" to f.description)

    fun releaseDay(r: ReleaseDayResult) = obj(
        "released" to r.released,
        "notReady" to r.notReady.map { obj("entryId" to it.entryId, "errors" to it.errors.map(::ruleFailure)) },
    )

    fun batchItem(r: BatchItemResult) = obj("entryId" to r.entryId, "status" to r.status, "error" to r.error)

    fun total(t: Total) = obj(
        "userId" to t.userId,
        "workDate" to t.workDate,
        "initiativeId" to t.initiativeId,
        "entries" to t.entries,
        "unitIncrementCount" to t.unitIncrementCount,
        "incrementDurationInSeconds" to t.incrementDurationInSeconds,
    )
}
