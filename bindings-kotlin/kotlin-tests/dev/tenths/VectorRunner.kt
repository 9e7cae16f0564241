package dev.tenths

import java.io.File
import java.math.BigDecimal

/**
 * The Kotlin runner of the language-neutral scenario vectors in the `.json` files of `tests/vectors/`.
 *
 * It mirrors the Rust runner (`tests/src/vectors.rs`; format in `tests/vectors/README.md`) and
 * the Python one, but drives the generated Kotlin API: each op builds the typed input records
 * from the step's wire-named `args` and calls one method of [Engine]. Ids, dates and date-times
 * are passed as the strings the vector holds, so the binding and the core's parsers refuse bad
 * ones exactly as the HTTP API does. What Kotlin's types refuse before any call can be made (an
 * unknown member, a string where a count goes, `2.5` or `1e300` for a `Long`, `"fax"` for a
 * [SourceKind]) the runner reports the way the vectors name it: `invalid_argument` with the
 * member's path, like the Python runner does for keyword arguments Python refuses.
 */
class Malformed(msg: String) : Exception(msg)

class OpError(val code: String, val field: String? = null, val rules: List<String> = emptyList(), msg: String = "") : Exception(msg) {
    override fun toString(): String {
        var out = code
        if (field != null) out += " (field $field)"
        if (rules.isNotEmpty()) out += " rules $rules"
        return "$out: $message"
    }

    companion object {
        fun of(e: TenthsException): OpError = OpError(
            e.code(),
            (e as? TenthsException.InvalidArgument)?.field,
            (e as? TenthsException.ValidationFailed)?.failures?.map { it.rule } ?: emptyList(),
            e.describe(),
        )

        fun invalid(field: String, msg: String) = OpError("invalid_argument", field, msg = msg)
    }
}

class VectorFailure(file: File, step: Int?, op: String, problems: List<String>) :
    AssertionError((listOf(if (step != null) "${file.name}: step $step ($op)" else file.name) + problems).joinToString("\n    "))

/** Typed access to a step's `args` (or one member object of them), refusing what Kotlin's types cannot hold. */
class Args(private val m: Map<String, Any?>, private val prefix: String = "") {
    private val used = HashSet<String>()

    private fun path(k: String) = if (prefix.isEmpty()) k else "$prefix.$k"

    private fun get(k: String): Any? {
        used.add(k)
        return m[k]
    }

    private fun wrongType(k: String, what: String, v: Any?) = OpError.invalid(path(k), "expected $what, got ${show(v)}")

    private var firstMissing: String? = null

    /** Notes a missing required member; reported by [done] after unknown members, as serde does. */
    fun <T> missing(k: String, placeholder: T): T {
        if (firstMissing == null) firstMissing = k
        return placeholder
    }

    fun has(k: String) = m.containsKey(k)

    fun str(k: String): String? = when (val v = get(k)) {
        null -> null
        is String -> v
        else -> throw wrongType(k, "a string", v)
    }

    fun reqStr(k: String): String = str(k) ?: missing(k, "")

    private fun exactLong(v: BigDecimal): Long? = try {
        v.stripTrailingZeros().let { if (it.scale() > 0) null else it.longValueExact() }
    } catch (e: ArithmeticException) {
        null
    }

    fun long(k: String): Long? = when (val v = get(k)) {
        null -> null
        is BigDecimal -> exactLong(v) ?: throw wrongType(k, "a whole number in range", v)
        else -> throw wrongType(k, "a whole number", v)
    }

    fun reqLong(k: String): Long = long(k) ?: missing(k, 0L)

    fun int(k: String): Int? = long(k)?.let { if (it in Int.MIN_VALUE..Int.MAX_VALUE) it.toInt() else throw wrongType(k, "an Int", it) }

    fun bool(k: String): Boolean? = when (val v = get(k)) {
        null -> null
        is Boolean -> v
        else -> throw wrongType(k, "a boolean", v)
    }

    fun strList(k: String): List<String>? = when (val v = get(k)) {
        null -> null
        is List<*> -> v.mapIndexed { n, x -> x as? String ?: throw OpError.invalid("${path(k)}[$n]", "expected a string, got ${show(x)}") }
        else -> throw wrongType(k, "an array", v)
    }

    inline fun <reified E : Enum<E>> enum(k: String): E? = str(k)?.let { s -> Wire.parse<E>(s) ?: throw OpError.invalid(pathOf(k), "unknown variant `$s`") }

    inline fun <reified E : Enum<E>> reqEnum(k: String): E = enum<E>(k) ?: missing(k, enumValues<E>().first())

    fun reqStrList(k: String): List<String> = strList(k) ?: missing(k, emptyList())

    fun pathOf(k: String) = path(k)

    fun objList(k: String): List<Args>? = when (val v = get(k)) {
        null -> null
        is List<*> -> v.mapIndexed { n, x -> objAt(x, "${path(k)}[$n]") }
        else -> throw wrongType(k, "an array", v)
    }

    /** Fails on the first member no conversion asked for (serde's `deny_unknown_fields`). */
    fun done() {
        m.keys.firstOrNull { it !in used }?.let { throw OpError.invalid(path(it), "unknown field `$it`") }
        firstMissing?.let { throw OpError.invalid(path(it), "missing field `$it`") }
    }

    companion object {
        fun objAt(x: Any?, path: String): Args {
            @Suppress("UNCHECKED_CAST")
            return Args(x as? Map<String, Any?> ?: throw OpError.invalid(path.ifEmpty { "body" }, "expected an object, got ${show(x)}"), path)
        }
    }
}

private val VECTOR_KEYS = setOf("name", "description", "covers", "now", "customerId", "userId", "vars", "steps")
private val REQUIRED_VECTOR_KEYS = listOf("name", "description", "now", "customerId", "steps")
private val STEP_KEYS = setOf("op", "note", "customerId", "userId", "actorId", "entryId", "args", "save", "expect")
private val CONTROL_KEYS = setOf("error", "field", "rules", "storeUnchanged")
private val REFERENCE = Regex("^\\$[A-Za-z0-9_]+$")
private val NO_ARG_OPS = setOf("getEntry", "deleteEntry", "release", "unrelease", "stopTimer", "resumeTimer", "entryHistory")
private const val WIDE_AFTER = "1970-01-01T00:00:00Z"
private const val WIDE_ON_OR_BEFORE = "9999-12-31T23:59:59.999Z"

object Vectors {
    val repo: File = File(System.getProperty("tenths.repo") ?: "..").canonicalFile
    val dir: File = File(System.getenv("TENTHS_VECTOR_DIR") ?: File(repo, "tests/vectors").path)

    fun discover(): List<File> = (dir.listFiles { f -> f.isFile && f.name.endsWith(".json") } ?: emptyArray()).sortedBy { it.name }

    @Suppress("UNCHECKED_CAST")
    fun load(file: File): Map<String, Any?> {
        val v = try {
            Json.parse(file.readText())
        } catch (e: Exception) {
            throw VectorFailure(file, null, "", listOf("not a valid vector: ${e.message}"))
        } as? Map<String, Any?> ?: throw VectorFailure(file, null, "", listOf("a vector is a JSON object"))
        val problems = ArrayList<String>()
        v.keys.filter { it !in VECTOR_KEYS }.forEach { problems.add("unknown key '$it'") }
        REQUIRED_VECTOR_KEYS.filter { it !in v }.forEach { problems.add("missing key '$it'") }
        if (problems.isEmpty() && v["name"] != file.nameWithoutExtension) problems.add("name ${v["name"]} differs from the file name ${file.nameWithoutExtension}")
        val steps = v["steps"] as? List<*>
        if (problems.isEmpty() && (steps == null || steps.isEmpty())) problems.add("a vector needs at least one step")
        steps?.forEachIndexed { n, s ->
            if (s !is Map<*, *> || "op" !in s) problems.add("step $n: a step is an object with an op")
            else s.keys.filter { it !in STEP_KEYS }.forEach { problems.add("step $n: unknown key '$it'") }
        }
        if (problems.isNotEmpty()) throw VectorFailure(file, null, "", problems)
        return v
    }

    /** Loads and runs one vector on a fresh in-memory engine; throws [VectorFailure]. */
    @Suppress("UNCHECKED_CAST")
    fun run(file: File) {
        val v = load(file)
        Engine(":memory:", EngineOptions(fixedClock = v["now"] as String)).use { engine ->
            val runner = VectorRunner(engine, v)
            (v["steps"] as List<Map<String, Any?>>).forEachIndexed { n, step ->
                val problems = runner.step(step)
                if (problems.isNotEmpty()) throw VectorFailure(file, n, step["op"].toString(), problems)
            }
        }
    }
}

private fun substitute(v: Any?, vars: Map<String, Any?>): Any? = when (v) {
    is String -> if (REFERENCE.matches(v)) {
        val name = v.substring(1)
        if (name !in vars) throw Malformed("unknown reference $v")
        vars[name]
    } else v
    is List<*> -> v.map { substitute(it, vars) }
    is Map<*, *> -> v.entries.associate { (k, x) -> k.toString() to substitute(x, vars) }
    else -> v
}

class VectorRunner(private val engine: Engine, vector: Map<String, Any?>) {
    private val customer: Any? = vector["customerId"]
    private val user: Any? = vector["userId"]

    @Suppress("UNCHECKED_CAST")
    private val vars: MutableMap<String, Any?> = LinkedHashMap((vector["vars"] as? Map<String, Any?>) ?: emptyMap())
    private val customers = sortedSetOf<String>()
    private val users = sortedSetOf<String>() // "customer/user"

    init {
        customers.add(parseObjectId(customer as String))
    }

    @Suppress("UNCHECKED_CAST")
    fun step(step: Map<String, Any?>): List<String> {
        val s = try {
            step.filterKeys { it != "save" && it != "note" }.mapValues { (_, x) -> substitute(x, vars) }
        } catch (e: Malformed) {
            return listOf("malformed step: ${e.message}")
        }
        val expect = (s["expect"] as? Map<String, Any?>) ?: emptyMap()
        if ("storeUnchanged" in expect && expect["storeUnchanged"] !is Boolean) return listOf("expect.storeUnchanged must be a boolean")
        val user = if ("userId" in s) s["userId"] else this.user
        val customer = if ("customerId" in s) s["customerId"] else this.customer
        try {
            val c = parseObjectId(customer as String)
            customers.add(c)
            if (user != null) users.add("$c/${parseObjectId(user as String)}")
        } catch (e: TenthsException) {
        } catch (e: ClassCastException) {
        }

        val wantsError = "error" in expect
        val checkStore = wantsError || expect["storeUnchanged"] == true
        val before = if (checkStore) snapshot() else null
        val problems = ArrayList<String>()
        var result: Any? = null
        var err: OpError? = null
        try {
            result = exec(s["op"] as String, s["args"] ?: emptyMap<String, Any?>(), customer, user, s["entryId"], s["actorId"])
        } catch (e: Malformed) {
            return listOf("malformed step: ${e.message}")
        } catch (e: TenthsException) {
            err = OpError.of(e)
        } catch (e: OpError) {
            err = e
        }
        if (err != null) {
            if (!wantsError) problems.add("unexpected error $err")
            else if (expect["error"] != err.code) problems.add("error: expected ${expect["error"]}, got $err")
            if ("field" in expect && expect["field"] != err.field) problems.add("field: expected '${expect["field"]}', got '${err.field}' ($err)")
            if ("rules" in expect) problems.addAll(subsetDiff(expect["rules"], err.rules).map { "rules: $it" })
            val resultKeys = expect.keys.filter { it !in CONTROL_KEYS }
            if (resultKeys.isNotEmpty()) problems.add("expected result keys $resultKeys, but the operation failed")
            result = null
        } else {
            if (wantsError) problems.add("expected error ${expect["error"]}, but the operation succeeded with ${show(result)}")
            if ("field" in expect && !wantsError) problems.add("expect.field needs expect.error")
            if ("rules" in expect) {
                val errs = lookup(result, "entry.statusInfo.validationFailedErrors")
                val got = if (errs is List<*>) errs.map { (it as? Map<*, *>)?.get("rule") } else emptyList()
                problems.addAll(subsetDiff(expect["rules"], got).map { "rules: $it" })
            }
            problems.addAll(subsetDiff(expect.filterKeys { it !in CONTROL_KEYS }, result))
        }
        if (before != null) {
            val changes = exactDiff(before, snapshot())
            if (changes.isNotEmpty()) {
                problems.add("the store changed although it must not:")
                problems.addAll(changes.take(20).map { "  $it" })
            }
        }
        if (problems.isNotEmpty()) return problems
        for ((name, path) in (step["save"] as? Map<String, Any?>) ?: emptyMap()) {
            if (err != null) return listOf("`save` on a step that failed")
            if (path !is String) return listOf("save.$name must be a path string")
            val value = lookup(result, path)
            if (value === NoValue) return listOf("save.$name: no '$path' in the result ${show(result)}")
            vars[name] = value
        }
        return emptyList()
    }

    /** Everything the vector can observe (README "The store is unchanged after every error"). */
    private fun snapshot(): Map<String, Any?> {
        val e = engine
        val out = LinkedHashMap<String, Any?>()
        for (c in customers) {
            out[c] = mapOf(
                "settings" to Wire.customerSettings(e.customerSettings(c)),
                "clients" to e.listClients(c).map(Wire::client),
                "codes" to e.listCodes(c).map(Wire::code),
                "initiatives" to e.listInitiatives(c).map(Wire::initiative),
                "users" to users.filter { it.startsWith("$c/") }.map { it.substringAfter('/') }.associateWith { Wire.userSettings(e.userSettings(c, it)) },
                "entries" to e.listUpdated(c, WIDE_AFTER, WIDE_ON_OR_BEFORE).associate { x ->
                    x.id to mapOf("full" to Wire.entry(x, EntryShape.FULL), "flat" to Wire.entry(x, EntryShape.FLAT), "export" to Wire.entry(x, EntryShape.EXPORT))
                },
            )
        }
        return out
    }

    private fun idsAnd(entries: List<Entry>, shape: EntryShape, page: EntryPage? = null): Map<String, Any?> {
        val out = linkedMapOf<String, Any?>("ids" to entries.map { it.id }, "entries" to entries.map { Wire.entry(it, shape) })
        page?.nextCursor?.let { out["nextCursor"] = it }
        return out
    }

    private fun exec(op: String, rawArgs: Any?, customer: Any?, user: Any?, entryId: Any?, actor: Any?): Any? {
        val e = engine
        fun text(v: Any?, field: String): String = v as? String ?: throw OpError.invalid(field, "expected a string, got ${show(v)}")
        val c: String = text(customer, "customerId")
        fun needUser(): String = text(user ?: throw Malformed("$op needs a userId (on the step or the vector)"), "userId")
        fun needEntry(): String = text(entryId ?: throw Malformed("$op needs an entryId"), "entryId")
        fun scope() = Scope(c, needUser(), actor?.let { text(it, "actorId") })

        if (op in NO_ARG_OPS && rawArgs != emptyMap<String, Any?>()) throw Malformed("$op takes no args, got ${show(rawArgs)}")

        // The runner's own ops.
        when (op) {
            "setClock" -> {
                val m = rawArgs as? Map<*, *> ?: throw Malformed("setClock args: ${show(rawArgs)}")
                if (m.keys != setOf("now") || m["now"] !is String) throw Malformed("setClock args: ${show(rawArgs)}")
                try {
                    e.setClock(m["now"] as String)
                } catch (x: TenthsException) {
                    throw Malformed("setClock args: ${x.describe()}")
                }
                return mapOf("now" to e.now())
            }
            "advanceClock" -> {
                val m = rawArgs as? Map<*, *> ?: throw Malformed("advanceClock args: ${show(rawArgs)}")
                if (m.size != 1 || !setOf("seconds", "millis").containsAll(m.keys)) throw Malformed("advanceClock needs exactly one of seconds, millis")
                val (unit, amount) = m.entries.first()
                val n = (amount as? BigDecimal)?.let { runCatching { it.longValueExact() }.getOrNull() } ?: throw Malformed("advanceClock: an integer is needed")
                e.advanceClock(if (unit == "seconds") Math.multiplyExact(n, 1000L) else n)
                return mapOf("now" to e.now())
            }
        }

        // A batch may be a bare array of items.
        if (op == "releaseSucceededBatch" && rawArgs is List<*>) {
            val items = rawArgs.mapIndexed { n, x -> batchItem(Args.objAt(x, "[$n]")) }
            return mapOf("results" to e.releaseSucceededBatch(c, items).map(Wire::batchItem))
        }
        val a = Args.objAt(rawArgs, "")
        return when (op) {
            "unitMath" -> {
                val raw = a.reqLong("rawSeconds")
                val inc = a.reqLong("unitIncrements")
                val rounding = a.enum<Rounding>("rounding")
                val min = a.bool("minimumOneUnit")
                a.done()
                mapOf("unitIncrementCount" to unitsFromRaw(raw, inc, rounding, min))
            }

            // Settings and reference data.
            "setCustomerSettings" -> {
                val patch = CustomerSettingsPatch(
                    defaultUnitIncrements = a.long("defaultUnitIncrements"),
                    rounding = a.enum<Rounding>("rounding"),
                    minimumOneUnit = a.bool("minimumOneUnit"),
                    timezone = a.str("timezone"),
                    allowPostReleaseEdit = a.bool("allowPostReleaseEdit"),
                )
                a.done()
                Wire.customerSettings(e.updateCustomerSettings(c, patch))
            }
            "setUserSettings" -> {
                val s = UserSettings(timezone = a.str("timezone"))
                a.done()
                Wire.userSettings(e.updateUserSettings(c, needUser(), s))
            }
            "importClient" -> {
                val input = ClientInput(externalId = a.reqStr("externalId"), name = a.reqStr("name"), callSign = a.str("callSign"), description = a.str("description"))
                a.done()
                Wire.client(e.upsertClient(c, input))
            }
            "importCodeType" -> {
                val input = CodeTypeInput(externalId = a.reqStr("externalId"), name = a.reqStr("name"), semanticType = a.reqStr("semanticType"))
                a.done()
                Wire.codeType(e.upsertCodeType(c, input))
            }
            "importCode" -> {
                val input = CodeInput(
                    externalId = a.reqStr("externalId"),
                    name = a.reqStr("name"),
                    codeTypeExternalId = a.reqStr("codeTypeExternalId"),
                    description = a.str("description"),
                    isDisabled = a.bool("isDisabled"),
                )
                a.done()
                Wire.code(e.upsertCode(c, input))
            }
            "importInitiative" -> {
                val input = InitiativeInput(
                    externalId = a.reqStr("externalId"),
                    name = a.reqStr("name"),
                    billingType = a.reqEnum<BillingType>("billingType"),
                    unitIncrements = a.reqLong("unitIncrements"),
                    description = a.str("description"),
                    callSign = a.str("callSign"),
                    clientExternalId = a.str("clientExternalId"),
                    status = a.enum<InitiativeStatus>("status"),
                    kind = a.enum<InitiativeType>("type"),
                )
                a.done()
                Wire.initiative(e.upsertInitiative(c, input))
            }
            "setInitiativeCodes" -> {
                val ext = a.reqStr("initiativeExternalId")
                val codes = a.reqStrList("codeExternalIds")
                a.done()
                Wire.initiative(e.setInitiativeCodes(c, ext, codes))
            }
            "setInitiativeAccess" -> {
                val ext = a.reqStr("initiativeExternalId")
                val kind = a.reqEnum<AccessKind>("type")
                val userIds = a.reqStrList("userIds")
                a.done()
                Wire.initiative(e.setInitiativeAccess(c, ext, kind, userIds))
            }
            "setRules" -> {
                val ext = a.str("initiativeExternalId")
                val input = ValidationRulesInput(
                    requiredCodeTypeExternalIds = a.strList("requiredCodeTypeExternalIds") ?: emptyList(),
                    isSummaryRequired = a.bool("isSummaryRequired"),
                    cannotReleaseFutureWork = a.bool("cannotReleaseFutureWork"),
                    cannotReleaseNegativeIncrement = a.bool("cannotReleaseNegativeIncrement"),
                    cannotReleaseZeroIncrement = a.bool("cannotReleaseZeroIncrement"),
                )
                a.done()
                Wire.rules(e.setValidationRules(c, ext, input))
            }

            // Entries.
            "createEntry" -> {
                val input = newEntry(a)
                val created = e.createEntry(scope(), input)
                Wire.entryResult(created.entry) + ("created" to created.created)
            }
            "getEntry" -> Wire.entryResult(e.getEntry(scope(), needEntry()))
            "listEntries" -> {
                val from = a.reqStr("workDateFrom")
                val to = a.reqStr("workDateTo")
                a.done()
                idsAnd(e.listEntries(scope(), from, to), EntryShape.FULL)
            }
            "editEntry" -> {
                val patch = EntryPatch(
                    summary = a.str("summary"),
                    notes = a.str("notes"),
                    workDate = a.str("workDate"),
                    initiativeId = a.str("initiativeId"),
                    codeIds = a.strList("codeIds"),
                    unitIncrementCountAdjustments = a.long("unitIncrementCountAdjustments"),
                    timerDurationAdjustmentInSeconds = a.long("timerDurationAdjustmentInSeconds"),
                )
                a.done()
                Wire.entryResult(e.editEntry(scope(), needEntry(), patch))
            }
            "override" -> {
                val input = OverrideInput(
                    summary = a.str("summary"),
                    unitIncrementCountAdjustments = a.long("unitIncrementCountAdjustments"),
                    initiativeId = a.str("initiativeId"),
                    codeIds = a.strList("codeIds"),
                    workDate = a.str("workDate"),
                )
                a.done()
                Wire.entryResult(e.overrideEntry(scope(), needEntry(), input))
            }
            "deleteEntry" -> Wire.entryResult(e.deleteEntry(scope(), needEntry()))
            "release" -> Wire.entryResult(e.releaseEntry(scope(), needEntry()))
            "releaseDay" -> {
                val day = a.reqStr("workDate")
                val mode = a.enum<ReleaseDayMode>("mode")
                a.done()
                Wire.releaseDay(e.releaseDay(scope(), day, mode))
            }
            "releaseSucceeded" -> {
                val ext = a.str("externalId")
                val messages = a.strList("reReleaseFailedMessages")
                a.done()
                Wire.entryResult(e.releaseSucceeded(c, needEntry(), user?.let { text(it, "userId") }, ext, messages))
            }
            "releaseSucceededBatch" -> {
                val items = (a.objList("entries") ?: a.missing("entries", emptyList())).map(::batchItem)
                a.done()
                mapOf("results" to e.releaseSucceededBatch(c, items).map(Wire::batchItem))
            }
            "releaseFailed" -> {
                val errors = a.reqStrList("errors")
                a.done()
                Wire.entryResult(e.releaseFailed(c, needEntry(), errors, user?.let { text(it, "userId") }))
            }
            "unrelease" -> Wire.entryResult(e.unrelease(scope(), needEntry()))

            // Timers.
            "startTimer" -> {
                val input = TimerStart(id = a.str("_id"), initiativeId = a.str("initiativeId"), summary = a.str("summary"))
                a.done()
                Wire.entryResult(e.startTimer(scope(), input))
            }
            "stopTimer" -> Wire.entryResult(e.stopTimer(scope(), needEntry()))
            "resumeTimer" -> Wire.entryResult(e.resumeTimer(scope(), needEntry()))

            // Listing, export, totals.
            "listUpdated" -> {
                val (after, onOrBefore) = a.reqStr("updatedAfter") to a.reqStr("updatedOnOrBefore")
                a.done()
                idsAnd(e.listUpdated(c, after, onOrBefore), EntryShape.FLAT)
            }
            "listUpdatedPage" -> {
                val (after, onOrBefore) = a.reqStr("updatedAfter") to a.reqStr("updatedOnOrBefore")
                val (size, cursor) = a.int("pageSize") to a.str("cursor")
                a.done()
                val page = e.listUpdatedPage(c, after, onOrBefore, size, cursor)
                idsAnd(page.entries, EntryShape.FLAT, page)
            }
            "exportReleased" -> {
                val (after, onOrBefore) = a.reqStr("releasedAfter") to a.reqStr("releasedOnOrBefore")
                a.done()
                idsAnd(e.exportReleased(c, after, onOrBefore), EntryShape.EXPORT)
            }
            "exportReleasedPage" -> {
                val (after, onOrBefore) = a.reqStr("releasedAfter") to a.reqStr("releasedOnOrBefore")
                val (size, cursor) = a.int("pageSize") to a.str("cursor")
                a.done()
                val page = e.exportReleasedPage(c, after, onOrBefore, size, cursor)
                idsAnd(page.entries, EntryShape.EXPORT, page)
            }
            "totals" -> {
                val (from, to) = a.reqStr("workDateFrom") to a.reqStr("workDateTo")
                val userId = a.str("userId")
                a.done()
                mapOf("totals" to e.totals(c, from, to, userId).map(Wire::total))
            }
            // The change-event log (issue 16): kind, role, operation, actor, changed fields.
            "entryHistory" -> {
                val page = e.entryHistory(scope(), needEntry(), seesDeleted = true)
                mapOf("events" to page.events.map { ev ->
                    mapOf("kind" to ev.kind, "role" to ev.role, "operation" to ev.operation, "actorId" to ev.actorId, "fields" to ev.changes.map { it.field })
                })
            }
            else -> throw Malformed("unknown op '$op'")
        }
    }

    private fun newEntry(a: Args): NewEntry {
        val input = NewEntry(
            id = a.str("_id"),
            initiativeId = a.str("initiativeId"),
            summary = a.str("summary"),
            notes = a.str("notes"),
            workDate = a.str("workDate"),
            codeIds = a.strList("codeIds") ?: emptyList(),
            durationInSeconds = a.long("durationInSeconds"),
            sources = (a.objList("sources") ?: emptyList()).map { s ->
                SourceInput(kind = s.reqEnum<SourceKind>("kind"), startedAt = s.reqStr("startedAt"), endedAt = s.reqStr("endedAt"), title = s.str("title")).also { s.done() }
            },
            creationMethod = a.str("creationMethod"),
            enrichmentCorrelationId = a.str("enrichmentCorrelationId"),
        )
        a.done()
        return input
    }

    private fun batchItem(a: Args): ReleaseSucceededItem {
        val item = ReleaseSucceededItem(
            entryId = a.reqStr("entryId"),
            userId = a.str("userId"),
            externalId = a.str("externalId"),
            reReleaseFailedMessages = a.strList("reReleaseFailedMessages"),
        )
        a.done()
        return item
    }
}
