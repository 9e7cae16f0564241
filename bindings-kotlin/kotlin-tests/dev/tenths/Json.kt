package dev.tenths

import java.math.BigDecimal

/**
 * A small JSON reader and writer for the tests (no dependency): objects are ordered maps, arrays
 * lists, numbers [BigDecimal] (exact: `2`, `2.0`, `2.5` and `1e300` stay what the vector wrote),
 * strings, booleans and `null`.
 */
object Json {
    fun parse(text: String): Any? {
        val p = Parser(text)
        p.ws()
        val v = p.value()
        p.ws()
        require(p.i == text.length) { "trailing characters at ${p.i}" }
        return v
    }

    fun write(v: Any?): String = StringBuilder().also { write(v, it) }.toString()

    private fun write(v: Any?, out: StringBuilder) {
        when (v) {
            null -> out.append("null")
            is String -> {
                out.append('"')
                for (c in v) {
                    when {
                        c == '"' -> out.append("\\\"")
                        c == '\\' -> out.append("\\\\")
                        c == '\n' -> out.append("\\n")
                        c == '\r' -> out.append("\\r")
                        c == '\t' -> out.append("\\t")
                        c < ' ' -> out.append(String.format("\\u%04x", c.code))
                        else -> out.append(c)
                    }
                }
                out.append('"')
            }
            is Boolean -> out.append(v)
            is BigDecimal -> out.append(v.toString())
            is Number -> out.append(v.toString())
            is Map<*, *> -> {
                out.append('{')
                var first = true
                for ((k, x) in v) {
                    if (!first) out.append(',')
                    first = false
                    write(k.toString(), out)
                    out.append(':')
                    write(x, out)
                }
                out.append('}')
            }
            is List<*> -> {
                out.append('[')
                v.forEachIndexed { n, x ->
                    if (n > 0) out.append(',')
                    write(x, out)
                }
                out.append(']')
            }
            else -> write(v.toString(), out)
        }
    }

    private class Parser(val s: String) {
        var i = 0

        fun ws() {
            while (i < s.length && s[i].isWhitespace()) i++
        }

        fun value(): Any? {
            require(i < s.length) { "unexpected end of JSON" }
            return when (val c = s[i]) {
                '{' -> obj()
                '[' -> arr()
                '"' -> str()
                't' -> lit("true", true)
                'f' -> lit("false", false)
                'n' -> lit("null", null)
                else -> if (c == '-' || c.isDigit()) num() else throw IllegalArgumentException("unexpected '$c' at $i")
            }
        }

        fun lit(word: String, v: Any?): Any? {
            require(s.startsWith(word, i)) { "expected $word at $i" }
            i += word.length
            return v
        }

        fun num(): BigDecimal {
            val start = i
            while (i < s.length && (s[i].isDigit() || s[i] in "+-.eE")) i++
            return BigDecimal(s.substring(start, i))
        }

        fun str(): String {
            i++
            val out = StringBuilder()
            while (true) {
                require(i < s.length) { "unterminated string" }
                val c = s[i++]
                when (c) {
                    '"' -> return out.toString()
                    '\\' -> {
                        when (val e = s[i++]) {
                            '"' -> out.append('"')
                            '\\' -> out.append('\\')
                            '/' -> out.append('/')
                            'b' -> out.append('\b')
                            'f' -> out.append('\u000c')
                            'n' -> out.append('\n')
                            'r' -> out.append('\r')
                            't' -> out.append('\t')
                            'u' -> {
                                out.append(s.substring(i, i + 4).toInt(16).toChar())
                                i += 4
                            }
                            else -> throw IllegalArgumentException("bad escape \\$e")
                        }
                    }
                    else -> out.append(c)
                }
            }
        }

        fun obj(): Map<String, Any?> {
            i++
            val m = LinkedHashMap<String, Any?>()
            ws()
            if (s[i] == '}') {
                i++
                return m
            }
            while (true) {
                ws()
                val k = str()
                ws()
                require(s[i] == ':') { "expected ':' at $i" }
                i++
                ws()
                m[k] = value()
                ws()
                when (s[i++]) {
                    ',' -> continue
                    '}' -> return m
                    else -> throw IllegalArgumentException("expected ',' or '}' at ${i - 1}")
                }
            }
        }

        fun arr(): List<Any?> {
            i++
            val l = ArrayList<Any?>()
            ws()
            if (s[i] == ']') {
                i++
                return l
            }
            while (true) {
                ws()
                l.add(value())
                ws()
                when (s[i++]) {
                    ',' -> continue
                    ']' -> return l
                    else -> throw IllegalArgumentException("expected ',' or ']' at ${i - 1}")
                }
            }
        }
    }
}

/** A value for messages, cut at 400 characters. */
fun show(v: Any?): String {
    val s = Json.write(v)
    return if (s.length <= 400) s else s.substring(0, 400) + "…"
}

private fun isNumber(x: Any?) = x is Number

private fun num(x: Any?): BigDecimal = when (x) {
    is BigDecimal -> x
    is Long -> BigDecimal.valueOf(x)
    is Int -> BigDecimal.valueOf(x.toLong())
    is Number -> BigDecimal(x.toString())
    else -> throw IllegalArgumentException("not a number")
}

/** Subset match (tests/vectors/README.md "Matching is a subset match"): one line per difference. */
fun subsetDiff(expected: Any?, actual: Any?, path: String = ""): List<String> {
    val out = ArrayList<String>()
    val here = path.ifEmpty { "(root)" }
    when {
        expected is Map<*, *> && actual is Map<*, *> -> for ((k, ev) in expected) {
            val p = if (path.isEmpty()) "$k" else "$path.$k"
            when {
                ev == null -> if (actual[k] != null) out.add("$p: expected absent, got ${show(actual[k])}")
                !actual.containsKey(k) -> out.add("$p: expected ${show(ev)}, but the key is absent")
                else -> out.addAll(subsetDiff(ev, actual[k], p))
            }
        }
        expected is List<*> && actual is List<*> ->
            if (expected.size != actual.size) {
                out.add("$here: expected ${expected.size} items, got ${actual.size}: expected ${show(expected)}, got ${show(actual)}")
            } else {
                expected.indices.forEach { n -> out.addAll(subsetDiff(expected[n], actual[n], "$path[$n]")) }
            }
        isNumber(expected) && isNumber(actual) -> if (num(expected).compareTo(num(actual)) != 0) out.add("$here: expected $expected, got $actual")
        else -> if (expected == null || actual == null || expected::class != actual::class || expected != actual) {
            out.add("$here: expected ${show(expected)}, got ${show(actual)}")
        }
    }
    return out
}

/** The full structural difference of two snapshots. */
fun exactDiff(before: Any?, after: Any?, path: String = ""): List<String> {
    val out = ArrayList<String>()
    val here = path.ifEmpty { "(root)" }
    when {
        before is Map<*, *> && after is Map<*, *> -> for (k in (before.keys + after.keys).map { it.toString() }.toSortedSet()) {
            val p = if (path.isEmpty()) k else "$path.$k"
            when {
                !after.containsKey(k) -> out.add("$p: was ${show(before[k])}, now absent")
                !before.containsKey(k) -> out.add("$p: was absent, now ${show(after[k])}")
                else -> out.addAll(exactDiff(before[k], after[k], p))
            }
        }
        before is List<*> && after is List<*> ->
            if (before.size != after.size) {
                out.add("$here: had ${before.size} items, now ${after.size}")
            } else {
                before.indices.forEach { n -> out.addAll(exactDiff(before[n], after[n], "$path[$n]")) }
            }
        isNumber(before) && isNumber(after) -> if (num(before).compareTo(num(after)) != 0) out.add("$here: was $before, now $after")
        before != after -> out.add("$here: was ${show(before)}, now ${show(after)}")
    }
    return out
}

/** The value at a dot-separated path (`entry._id`, `entries.0.entryId`), or [NoValue]. */
object NoValue

fun lookup(v: Any?, path: String): Any? {
    var cur: Any? = v
    for (part in path.split('.')) {
        cur = when (cur) {
            is Map<*, *> -> if (cur.containsKey(part)) cur[part] else return NoValue
            is List<*> -> part.toIntOrNull()?.let { cur.getOrNull(it) } ?: return NoValue
            else -> return NoValue
        }
    }
    return cur
}
