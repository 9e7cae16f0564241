"""Binding benchmark for the `tenths` Python package (issue 4, "Speed").

A plain timeit script: stdlib plus the installed `tenths` package, one process. Times are the
thread's CPU time (see CLOCK), so other load on a shared machine inflates them far less.

    target/py-venv/bin/python benches/python/bench_binding.py
    TENTHS_BENCH_N=100000 target/py-venv/bin/python benches/python/bench_binding.py

It prints three tables:

1. Binding overhead of `get_entry` and of one v2 page of 100 (`list_updated_page`).
   (a) the typed call as Python sees it (argument conversion, GIL release, core call, records);
   (r) the same core call timed in Rust by a private hook (`Engine._bench_get_entry_ns`,
       `Engine._bench_updated_page_ns`): no argument or result conversion;
   (c) a raw PyO3 call of the same signature (`Engine._raw_get_entry`, `Engine._raw_updated_page`)
       answering a trivially built object of the same shape (a 42-slot record; a Page of 100).
   overhead = a - r; goal: overhead <= 2 x c.
2. Attribute reads on a returned `Entry` vs a `@dataclass(frozen=True, slots=True)` with the same
   fields; ns per read, net of the loop's own cost (reading the local name); goal <= 3x.
3. The connector loop: list all N entries updated in a window in pages of 100, tenths
   `iter_updated` vs a pure-Python stdlib `sqlite3` peer (keyset pagination by id, builds the
   same flat dicts as the v2 API); rows/s and ratio; goal: tenths >= 10x.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
import timeit
from pathlib import Path
from typing import Any, Callable

import tenths

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 3, 10, 12, 0, 0, tzinfo=UTC)
CUSTOMER = "c00000000000000000000001"
USERS = ["a00000000000000000000001", "a00000000000000000000002", "a00000000000000000000003", "a00000000000000000000004"]
AFTER = "2026-01-01T00:00:00Z"
ON_OR_BEFORE = "2026-12-31T00:00:00Z"
PAGE = 100
REPEAT = 7
# Every figure is this thread's CPU time (CLOCK_THREAD_CPUTIME_ID), not wall time: the machines
# these run on are shared (2 cores, other builds), and preemption inflated wall-clock figures by
# up to 2-3x, even giving negative differences. The engine works on the calling thread (the GIL
# is released, no other thread runs), so CPU time counts all of its work.
CLOCK = time.thread_time


def best_per_call(fn: Callable[[], object], target_s: float = 0.2) -> float:
    """Seconds per call: the minimum over REPEAT runs (timeit's advice), autoranged loop count."""
    t = timeit.Timer(fn, timer=CLOCK)
    number, _ = t.autorange()
    number = max(1, int(number * target_s / 0.2))
    return min(t.repeat(repeat=REPEAT, number=number)) / number


def ns(s: float) -> str:
    return f"{s * 1e9:,.0f} ns"


def us(s: float) -> str:
    return f"{s * 1e6:,.1f} us"


def row(cols: list[str], widths: list[int]) -> str:
    return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cols, widths)))


def table(title: str, header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    print(f"\n{title}")
    print(row(header, widths))
    print(row(["-" * w for w in widths], widths))
    for r in rows:
        print(row(r, widths))


def populate(engine: tenths.Engine, n: int) -> str:
    engine.upsert_client(CUSTOMER, external_id="CL-1", name="Acme Holdings", call_sign="ACME")
    m = engine.upsert_initiative(
        CUSTOMER, external_id="M-1", name="Matter M-1", client_external_id="CL-1", billing_type="billable", unit_increments=360
    )
    chunk = 1000
    for start in range(0, n, chunk):
        user = USERS[(start // chunk) % len(USERS)]
        batch = [
            {
                "initiativeId": m.id,
                "summary": f"Reviewed the lease, draft {i}",
                "durationInSeconds": 60 * (1 + i % 240),
                "workDate": f"2026-03-{1 + i % 9:02d}",
            }
            for i in range(start, min(n, start + chunk))
        ]
        engine.import_entries(CUSTOMER, user, batch)
        engine.advance_clock(millis=7)  # distinct updatedAt values, some with milliseconds
    return m.id


# ---------------------------------------------------------------------------------------------
# The pure-Python peer: stdlib sqlite3, keyset pagination by id, flat v2 dicts.

PEER_SQL = """
SELECT e.pk, e.id, e.customer_id, e.user_id, e.created_by, e.released_by, e.external_id,
       e.enrichment_correlation_id, e.summary, e.notes, e.work_date, e.creation_method,
       e.unit_increments, e.units_from_sources, e.units_adjustments, e.is_deleted, e.release_count,
       e.created_at, e.updated_at, i.external_id, i.client_external_id
FROM entries e
LEFT JOIN initiatives i ON i.customer_id = e.customer_id AND i.id = e.initiative_id
WHERE e.customer_id = ? AND e.updated_at > ? AND e.updated_at <= ? AND e.id > ?
ORDER BY e.id
LIMIT ?
"""

CODES_SQL = """
SELECT ec.entry_pk, c.id, c.external_id, c.code_type_external_id, c.name, ec.assigned_by
FROM entry_codes ec JOIN codes c ON c.customer_id = ? AND c.id = ec.code_id
WHERE ec.entry_pk IN ({}) ORDER BY ec.entry_pk, ec.position
"""


def rfc3339_millis(ms: int) -> str:
    s, milli = divmod(ms, 1000)
    base = dt.datetime.fromtimestamp(s, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{base}.{milli:03d}Z" if milli else f"{base}Z"


def millis_of(rfc3339: str) -> int:
    return int(dt.datetime.fromisoformat(rfc3339.replace("Z", "+00:00")).timestamp() * 1000)


def peer_page(conn: sqlite3.Connection, after_ms: int, before_ms: int, cursor: str, limit: int) -> list[dict[str, Any]]:
    rows = conn.execute(PEER_SQL, (CUSTOMER, after_ms, before_ms, cursor, limit)).fetchall()
    codes: dict[int, list[dict[str, Any]]] = {}
    if rows:
        pks = [r[0] for r in rows]
        for pk, cid, ext, ctype, name, by in conn.execute(CODES_SQL.format(",".join("?" * len(pks))), (CUSTOMER, *pks)):
            codes.setdefault(pk, []).append({"_id": cid, "externalId": ext, "codeTypeExternalId": ctype, "name": name, "assignedBy": by})
    out = []
    for (pk, eid, cust, user, created_by, released_by, external_id, corr, summary, notes, work_date, method,
         unit_incr, from_sources, adjustments, is_deleted, release_count, created_at, updated_at, init_ext, client_ext) in rows:
        count = from_sources + adjustments
        d: dict[str, Any] = {
            "codes": codes.get(pk, []),
            "createdAt": rfc3339_millis(created_at),
            "creationMethod": method,
            "customerId": cust,
            "entryId": eid,
            "incrementDurationInSeconds": count * unit_incr,
            "isDeleted": bool(is_deleted),
            "releaseCount": release_count,
            "summary": summary,
            "unitIncrementCount": count,
            "updatedAt": rfc3339_millis(updated_at),
            "userId": user,
            "workDate": work_date,
        }
        # The flat shape omits absent values.
        for key, value in (("createdBy", created_by), ("releasedBy", released_by), ("externalId", external_id),
                           ("enrichmentCorrelationId", corr), ("notes", notes), ("initiativeExternalId", init_ext),
                           ("clientExternalId", client_ext)):
            if value is not None:
                d[key] = value
        out.append(d)
    return out


def peer_list_all(path: str) -> int:
    conn = sqlite3.connect(path)
    try:
        after_ms, before_ms = millis_of(AFTER), millis_of(ON_OR_BEFORE)
        cursor, n = "", 0
        while True:
            page = peer_page(conn, after_ms, before_ms, cursor, PAGE)
            n += len(page)
            if len(page) < PAGE:
                return n
            cursor = page[-1]["entryId"]
    finally:
        conn.close()


# ---------------------------------------------------------------------------------------------


def main() -> None:
    n = int(os.environ.get("TENTHS_BENCH_N", "20000"))
    print("tenths binding benchmark (benches/python/bench_binding.py)")
    print(f"date: {dt.datetime.now(UTC).isoformat(timespec='seconds')}  nproc: {os.cpu_count()}  "
          f"python: {platform.python_version()}  tenths: {tenths.__version__}  machine: {platform.machine()}  N: {n}")
    try:
        print(f"loadavg (1/5/15 min): {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    except OSError:
        pass

    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "bench.sqlite")
        engine = tenths.Engine(path, now=NOW)
        t0 = timeit.default_timer()
        populate(engine, n)
        print(f"setup: imported {n} entries in {timeit.default_timer() - t0:.2f} s")

        user = tenths.Principal(CUSTOMER, USERS[0])
        connector = tenths.Principal(CUSTOMER, USERS[0], "connector")
        first_page = engine.list_updated_page(CUSTOMER, AFTER, ON_OR_BEFORE, PAGE)
        probe = next(e for e in first_page.entries if e.user_id == USERS[0]) if any(
            e.user_id == USERS[0] for e in first_page.entries) else engine.list_entries(CUSTOMER, USERS[0], "2026-03-01", "2026-03-31")[0]
        eid, uid = probe.id, probe.user_id

        # --- 1. binding overhead -------------------------------------------------------------
        get_path = f"/api/v1/public/customers/{CUSTOMER}/users/{uid}/entries/{eid}"
        page_path = f"/api/v2/customers/{CUSTOMER}/entries?updatedAfter={AFTER}&updatedOnOrBefore={ON_OR_BEFORE}&pageSize={PAGE}"
        r = engine.request("GET", get_path, principal=user)
        assert r.status == 200 and r.json()["_id"] == eid, r.status
        r = engine.request("GET", page_path, principal=connector)
        assert r.status == 200 and len(r.json()["entries"]) == PAGE, r.status
        assert len(first_page.entries) == PAGE

        # Rust time: the same core call timed in Rust by a private hook (GIL released, no
        # conversion); raw: a PyO3 method of the same signature answering a trivially built object
        # of the same shape (a 42-slot record; a Page of 100 of them), no engine.
        def rust_per_call(hook: Callable[[int], int], target_s: float = 0.2) -> float:
            # Timed from Python in thread CPU time around k iterations in Rust (the hook's own
            # wall-clock answer is ignored; one crossing per k calls is negligible).
            def cpu(k: int) -> float:
                t0 = CLOCK()
                hook(k)
                return CLOCK() - t0

            k = max(1, int(target_s / max(cpu(1), 1e-7)))
            return min(cpu(k) / k for _ in range(REPEAT))

        unit_raw = best_per_call(lambda: tenths.units_from_raw(420, 360))
        get_raw = best_per_call(lambda: engine._raw_get_entry(CUSTOMER, uid, eid))
        page_raw = best_per_call(lambda: engine._raw_updated_page(CUSTOMER, AFTER, ON_OR_BEFORE, PAGE))
        get_a = best_per_call(lambda: engine.get_entry(CUSTOMER, uid, eid))
        get_rust = rust_per_call(lambda k: engine._bench_get_entry_ns(CUSTOMER, uid, eid, k))
        page_a = best_per_call(lambda: engine.list_updated_page(CUSTOMER, AFTER, ON_OR_BEFORE, PAGE))
        page_rust = rust_per_call(lambda k: engine._bench_updated_page_ns(CUSTOMER, AFTER, ON_OR_BEFORE, PAGE, k))
        split = hasattr(engine, "_bench_get_entry_discard")  # absent from builds before these hooks
        if split:
            get_d = best_per_call(lambda: engine._bench_get_entry_discard(CUSTOMER, uid, eid))
            page_d = best_per_call(lambda: engine._bench_updated_page_discard(CUSTOMER, AFTER, ON_OR_BEFORE, PAGE))
        get_b = best_per_call(lambda: engine.request("GET", get_path, principal=user).body)
        page_b = best_per_call(lambda: engine.request("GET", page_path, principal=connector).body)
        noop = best_per_call(lambda: None)

        rows1 = []
        for name, a, r, c in (("get_entry", get_a, get_rust, get_raw), ("v2 page of 100 (list_updated_page)", page_a, page_rust, page_raw)):
            over = a - r
            rows1.append([name, us(a), us(r), us(over), us(c), f"{over / c:.1f}x", "met" if over <= 2 * c else "NOT met"])
        table(
            "1. Binding overhead = (a) Python-observed typed call - (r) the same core call timed in Rust; "
            "(c) raw PyO3 call of the same signature answering a same-shape object; goal overhead <= 2 x c",
            ["operation", "(a) python", "(r) rust", "a - r", "(c) raw call", "(a-r)/c", "goal <=2x"],
            rows1,
        )
        print(f"   (lambda-call floor included in a and c: {ns(noop)}; best of {REPEAT} repeats; "
              f"trivial call units_from_raw(420, 360): {ns(unit_raw)})")
        print(f"   per record in the page: (a) {ns(page_a / PAGE)}, (r) {ns(page_rust / PAGE)}, a - r {ns((page_a - page_rust) / PAGE)}, "
              f"raw {ns(page_raw / PAGE)}")
        if split:
            print(f"   split of a - r: the call with its result dropped in Rust (d) - r = arguments, GIL release, cache-cold "
                  f"core: get {us(get_d - get_rust)}, page {us(page_d - page_rust)}; a - d = building the records: "
                  f"get {us(get_a - get_d)}, page {us(page_a - page_d)}")
        print(f"   for reference, engine.request(...) -> JSON bytes: get {us(get_b)}, page {us(page_b)}")

        # --- 2. field access -----------------------------------------------------------------
        fields = ["summary", "id", "unit_increment_count", "work_date", "updated_at"]
        DC = dataclasses.make_dataclass("DC", [(f, object) for f in fields], frozen=True, slots=True)
        rec = engine.get_entry(CUSTOMER, uid, eid)
        dc = DC(**{f: getattr(rec, f) for f in fields})
        loops = 2_000_000

        unroll = 20  # reads per timed statement, so the loop's own cost is spread thin

        def per_read(stmt: str, obj: object) -> float:
            t = timeit.Timer(";".join([stmt] * unroll), globals={"x": obj}, timer=CLOCK)
            return min(t.repeat(repeat=REPEAT, number=loops // unroll)) / loops

        base_e, base_d = per_read("x", rec), per_read("x", dc)
        rows2 = []
        for f in fields:
            te, td = per_read(f"x.{f}", rec) - base_e, per_read(f"x.{f}", dc) - base_d
            ratio = te / td if td > 0 else float("inf")
            gross = (te + base_e) / (td + base_d)
            rows2.append([f"entry.{f}", f"{te * 1e9:.1f} ns", f"{td * 1e9:.1f} ns", f"{ratio:.1f}x", f"{gross:.1f}x",
                          "met" if ratio <= 3 else "NOT met"])
        table(
            "2. Attribute read, ns per read net of reading the bare name (20 reads per timed statement): tenths Entry vs "
            "dataclass(frozen=True, slots=True) with the same values; goal ratio <= 3x",
            ["field", "Entry (net)", "dataclass (net)", "ratio net", "ratio gross", "goal <=3x (net)"],
            rows2,
        )
        print(f"   (loop floor: {base_e * 1e9:.1f} ns; gross = including the floor; {loops:,} reads x best of {REPEAT})")

        # --- 3. connector loop ---------------------------------------------------------------
        def tenths_records() -> int:
            k = 0
            for e in engine.iter_updated(CUSTOMER, AFTER, ON_OR_BEFORE, page_size=PAGE):
                e.id
                k += 1
            return k

        def tenths_dicts() -> int:
            # Like the peer, a dict is built for each entry and handed on, not all kept at once
            # (keeping 100,000 dicts alive would time the cyclic GC, not the binding).
            k = 0
            for e in engine.iter_updated(CUSTOMER, AFTER, ON_OR_BEFORE, page_size=PAGE):
                d = e.to_flat_dict()
                k += 1
            return k

        def router_pages() -> int:
            k, cursor = 0, None
            while True:
                r = engine.request("GET", page_path + (f"&cursor={cursor}" if cursor else ""), principal=connector)
                body = json.loads(r.body)
                k += len(body["entries"])
                cursor = body.get("nextCursor")
                if not cursor:
                    return k

        # Equivalence check: the peer's dicts equal tenths' flat dicts on the first page.
        conn = sqlite3.connect(path)
        peer_first = peer_page(conn, millis_of(AFTER), millis_of(ON_OR_BEFORE), "", PAGE)
        conn.close()
        same = peer_first == [e.to_flat_dict() for e in first_page.entries]
        print(f"\n   peer check: first page of the sqlite3 peer == tenths to_flat_dict(): {same}")

        runs = 3
        results = []
        for name, fn in (("tenths iter_updated -> Entry records", tenths_records),
                         ("tenths iter_updated + to_flat_dict()", tenths_dicts),
                         ("tenths engine.request v2 pages + json.loads", router_pages),
                         ("pure Python sqlite3 peer -> flat dicts", lambda: peer_list_all(path))):
            times = []
            for _ in range(runs):
                t0 = CLOCK()
                count = fn()
                times.append(CLOCK() - t0)
            assert count == n, (name, count, n)
            results.append((name, min(times), statistics.median(times)))
        peer_best = results[-1][1]
        rows3 = []
        for name, best, med in results:
            ratio = peer_best / best
            goal = "" if name.startswith("pure") else ("met" if ratio >= 10 else "NOT met")
            rows3.append([name, f"{best:.3f} s", f"{n / best:,.0f}", f"{n / med:,.0f}", f"{ratio:.1f}x", goal])
        table(
            f"3. Connector loop: list all {n:,} entries updated in the window, pages of {PAGE}, same database file "
            f"(best and median of {runs}); ratio = peer time / this time; goal tenths >= 10x",
            ["implementation", "best time", "rows/s (best)", "rows/s (median)", "vs peer", "goal >=10x"],
            rows3,
        )
        def core_once() -> float:
            t0 = CLOCK()
            engine._bench_list_all_ns(CUSTOMER, AFTER, ON_OR_BEFORE, False)
            return CLOCK() - t0

        core = min(core_once() for _ in range(runs))
        rec, dicts, peer = results[0][1], results[1][1], results[-1][1]
        print(f"   where the time goes, per entry: core pages timed in Rust (no conversion) {ns(core / n)}; "
              f"+ Entry records {ns((rec - core) / n)}; + to_flat_dict() {ns((dicts - rec) / n)}; "
              f"peer total {ns(peer / n)}")
        print(f"   ceiling with this core: peer / core-only = {peer / core:.1f}x (the 10x goal needs the core page <= "
              f"{ns(peer / n / 10)} per entry including conversion)")
        engine.close()


if __name__ == "__main__":
    sys.exit(main())
