"""The engine beside the plain-Python script a user would write instead (issue 13, item 1).

`Peer` below is that script: the standard library's `sqlite3`, one file, WAL with
`synchronous=FULL` (the engine's default durability), a schema a competent developer would
choose (entries keyed by customer and id, an index on customer/user/work date, the matters in a
small table cached in a dict), one transaction per call or per batch as the engine does, 6-minute
units rounded up. It produces the same observable result as the engine for each operation, and
the benchmark checks that it does before timing anything:

1. batch import of N entries in batches of 1,000 (`import_entries`): the same units stored;
2. list a user's week (`list_entries` -> typed records; the peer builds the same fields as the
   engine's flat dicts, checked equal to `to_flat_dict()`);
3. units per matter for a week (`totals`: user x work date x matter, entries, units, seconds):
   the same rows;
4. the connector loop (`iter_updated`, pages of 100 -> `to_flat_dict()`): the same dicts;
5. one create per call (`create_entry`, one durable transaction each): the same units.

Beside the full peer, a light peer keeps only what a quick script would (id, work date, matter,
summary, units) for the listings. Times are this thread's CPU time (`time.thread_time`), as the
other Python benchmarks measure, so the wait for the disk's flush and other load on a shared
machine count far less; the engine releases the GIL and works on the calling thread, so its
time is counted whole. Engine and peer run interleaved in one process on the same data: the
import alternates batch by batch, the other operations call by call in ROUNDS rounds, each read
timed warm (after one untimed call of the same side). A ratio is engine time / peer time (lower is better for the engine; the connector loop is also shown as
peer / engine, "x faster").

    target/py-venv/bin/python benches/python/bench_peer.py                 # N = 100,000
    TENTHS_BENCH_N=2000 TENTHS_BENCH_ROUNDS=2 python benches/python/bench_peer.py   # the test command's tiny run

Stdlib plus the installed `tenths` package only. Each side works on its own file: two SQLite
libraries in one process must not open one database (they do not see each other's locks).
"""

from __future__ import annotations

import datetime as dt
import gc
import os
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import tenths

CUSTOMER = "c00000000000000000000001"
USERS = [f"a{i:023x}" for i in range(1, 11)]  # 10 timekeepers
MATTERS = 20
UNIT_SECONDS = 360
NOW = "2026-03-10T12:00:00Z"
FIRST_DAY = dt.date(2026, 1, 5)  # a Monday
DAYS = 70  # ten weeks of work dates
WEEK = (FIRST_DAY + dt.timedelta(days=21), FIRST_DAY + dt.timedelta(days=27))  # the fourth week
BATCH = 1000
PAGE = 100
AFTER, ON_OR_BEFORE = "2026-01-01T00:00:00Z", "2026-12-31T00:00:00Z"
CLOCK = time.thread_time


class Peer:
    """The plain-Python script: what a developer writes over `sqlite3` instead of the engine."""

    SCHEMA = """
    CREATE TABLE IF NOT EXISTS matters (
        customer_id TEXT NOT NULL, id TEXT NOT NULL, external_id TEXT NOT NULL,
        client_external_id TEXT, unit_seconds INTEGER NOT NULL,
        PRIMARY KEY (customer_id, id)) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS entries (
        pk INTEGER PRIMARY KEY, customer_id TEXT NOT NULL, id TEXT NOT NULL, user_id TEXT NOT NULL,
        created_by TEXT, work_date TEXT NOT NULL, initiative_id TEXT, summary TEXT NOT NULL, notes TEXT,
        creation_method TEXT NOT NULL, seconds INTEGER NOT NULL, unit_seconds INTEGER NOT NULL,
        units INTEGER NOT NULL, is_deleted INTEGER NOT NULL DEFAULT 0, release_count INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL, updated_at TEXT NOT NULL, UNIQUE (customer_id, id));
    CREATE INDEX IF NOT EXISTS entries_by_user_date ON entries (customer_id, user_id, work_date);
    """
    INSERT = ("INSERT INTO entries (customer_id, id, user_id, created_by, work_date, initiative_id, summary,"
              " creation_method, seconds, unit_seconds, units, created_at, updated_at)"
              " VALUES (?, ?, ?, ?, ?, ?, ?, 'manual', ?, ?, ?, ?, ?)")
    FLAT = ("SELECT e.id, e.user_id, e.created_by, e.work_date, e.summary, e.notes, e.creation_method, e.units,"
            " e.unit_seconds, e.is_deleted, e.release_count, e.created_at, e.updated_at, m.external_id,"
            " m.client_external_id FROM entries e LEFT JOIN matters m"
            " ON m.customer_id = e.customer_id AND m.id = e.initiative_id")

    def __init__(self, path: str) -> None:
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript(self.SCHEMA)
        self.unit_seconds: dict[str, int] = {}
        self.next_id = 0

    def add_matter(self, matter_id: str, external_id: str, client_external_id: str) -> None:
        self.db.execute("INSERT INTO matters VALUES (?, ?, ?, ?, ?)", (CUSTOMER, matter_id, external_id, client_external_id, UNIT_SECONDS))
        self.unit_seconds[matter_id] = UNIT_SECONDS

    def units(self, matter_id: str, seconds: int) -> tuple[int, int]:
        unit = self.unit_seconds[matter_id]
        return unit, max(1, -(-seconds // unit)) if seconds > 0 else 0

    def new_id(self) -> str:
        self.next_id += 1
        return f"{int(time.time()):08x}{self.next_id:016x}"

    def create(self, user: str, matter_id: str, summary: str, seconds: int, work_date: str) -> tuple[str, int]:
        unit, units = self.units(matter_id, seconds)
        entry_id = self.new_id()
        self.db.execute("BEGIN IMMEDIATE")
        self.db.execute(self.INSERT, (CUSTOMER, entry_id, user, user, work_date, matter_id, summary, seconds, unit, units, NOW, NOW))
        self.db.execute("COMMIT")
        return entry_id, units

    def import_batch(self, user: str, rows: list[dict[str, Any]], ids: list[str]) -> None:
        values = []
        for row, entry_id in zip(rows, ids):
            unit, units = self.units(row["initiativeId"], row["durationInSeconds"])
            values.append((CUSTOMER, entry_id, user, user, row["workDate"], row["initiativeId"], row["summary"],
                           row["durationInSeconds"], unit, units, NOW, NOW))
        self.db.execute("BEGIN IMMEDIATE")
        self.db.executemany(self.INSERT, values)
        self.db.execute("COMMIT")

    @staticmethod
    def flat(r: tuple[Any, ...]) -> dict[str, Any]:
        (eid, user, created_by, work_date, summary, notes, method, units, unit, is_deleted, release_count,
         created_at, updated_at, matter_ext, client_ext) = r
        d: dict[str, Any] = {"entryId": eid, "customerId": CUSTOMER, "userId": user, "creationMethod": method,
                             "workDate": work_date, "createdAt": created_at, "updatedAt": updated_at,
                             "summary": summary, "unitIncrementCount": units, "incrementDurationInSeconds": units * unit,
                             "isDeleted": bool(is_deleted), "releaseCount": release_count, "codes": []}
        for key, value in (("createdBy", created_by), ("notes", notes), ("initiativeExternalId", matter_ext),
                           ("clientExternalId", client_ext)):
            if value is not None:
                d[key] = value
        return d

    def week(self, user: str, first: str, last: str) -> list[dict[str, Any]]:
        rows = self.db.execute(self.FLAT + " WHERE e.customer_id = ? AND e.user_id = ? AND e.work_date BETWEEN ? AND ?"
                               " AND e.is_deleted = 0 ORDER BY e.work_date, e.id", (CUSTOMER, user, first, last))
        return [self.flat(r) for r in rows]

    def week_light(self, user: str, first: str, last: str) -> list[dict[str, Any]]:
        rows = self.db.execute("SELECT e.id, e.work_date, m.external_id, e.summary, e.units FROM entries e"
                               " LEFT JOIN matters m ON m.customer_id = e.customer_id AND m.id = e.initiative_id"
                               " WHERE e.customer_id = ? AND e.user_id = ? AND e.work_date BETWEEN ? AND ?"
                               " AND e.is_deleted = 0 ORDER BY e.work_date, e.id", (CUSTOMER, user, first, last))
        return [{"entryId": i, "workDate": w, "matter": m, "summary": s, "units": u} for i, w, m, s, u in rows]

    def totals(self, first: str, last: str) -> list[tuple[str, str, str, int, int, int]]:
        return self.db.execute(
            "SELECT user_id, work_date, initiative_id, COUNT(*), SUM(units), SUM(units * unit_seconds) FROM entries"
            " WHERE customer_id = ? AND work_date BETWEEN ? AND ? AND is_deleted = 0"
            " GROUP BY user_id, work_date, initiative_id ORDER BY user_id, work_date, initiative_id",
            (CUSTOMER, first, last)).fetchall()

    def updated(self, light: bool = False) -> Iterator[dict[str, Any]]:
        cursor = ""
        while True:
            if light:
                rows = self.db.execute("SELECT id, work_date, initiative_id, summary, units FROM entries"
                                       " WHERE customer_id = ? AND updated_at > ? AND updated_at <= ? AND id > ?"
                                       " ORDER BY id LIMIT ?", (CUSTOMER, AFTER, ON_OR_BEFORE, cursor, PAGE)).fetchall()
                page = [{"entryId": i, "workDate": w, "matter": m, "summary": s, "units": u} for i, w, m, s, u in rows]
            else:
                rows = self.db.execute(self.FLAT + " WHERE e.customer_id = ? AND e.updated_at > ? AND e.updated_at <= ?"
                                       " AND e.id > ? ORDER BY e.id LIMIT ?",
                                       (CUSTOMER, AFTER, ON_OR_BEFORE, cursor, PAGE)).fetchall()
                page = [self.flat(r) for r in rows]
            yield from page
            if len(page) < PAGE:
                return
            cursor = page[-1]["entryId"]


def engine_totals(engine: tenths.Engine, first: str, last: str) -> list[tuple[str, str, str, int, int, int]]:
    return sorted((t.user_id, t.work_date.isoformat(), t.initiative_id, t.entries, t.unit_increment_count,
                   t.increment_duration_in_seconds) for t in engine.totals(CUSTOMER, first, last))


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    t0 = CLOCK()
    out = fn()
    return CLOCK() - t0, out


def table(title: str, header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    print(f"\n{title}")
    for r in [header, ["-" * w for w in widths], *rows]:
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))


def fmt(s: float) -> str:
    return f"{s * 1e3:,.2f} ms" if s >= 1e-3 else f"{s * 1e6:,.1f} us"


def wal_bytes_per_create(tmp: str, creates: int = 20) -> tuple[float, float]:
    """Bytes each durable create appends to the write-ahead log, engine and peer, on fresh files
    (a measured cause of the create row: every B-tree a transaction touches is at least one
    page written at its commit). Few enough creates that no checkpoint restarts the log."""
    engine = tenths.Engine(str(Path(tmp) / "wal-engine.sqlite"), now=NOW)
    peer = Peer(str(Path(tmp) / "wal-peer.sqlite"))
    m = engine.upsert_initiative(CUSTOMER, external_id="M-0", name="Matter 0", billing_type="billable", unit_increments=UNIT_SECONDS)
    peer.add_matter(m.id, "M-0", "CL-1")
    wal = {side: Path(tmp) / f"wal-{side}.sqlite-wal" for side in ("engine", "peer")}
    day = FIRST_DAY.isoformat()
    engine.create_entry(CUSTOMER, USERS[0], initiative_id=m.id, summary="warm-up", duration_in_seconds=600, work_date=day)
    peer.create(USERS[0], m.id, "warm-up", 600, day)
    before = {side: path.stat().st_size for side, path in wal.items()}
    for i in range(creates):
        engine.create_entry(CUSTOMER, USERS[0], initiative_id=m.id, summary=f"Call {i}", duration_in_seconds=600, work_date=day)
        peer.create(USERS[0], m.id, f"Call {i}", 600, day)
    grown = {side: (path.stat().st_size - before[side]) / creates for side, path in wal.items()}
    engine.close()
    peer.db.close()
    return grown["engine"], grown["peer"]


def main() -> int:
    n = int(os.environ.get("TENTHS_BENCH_N", "100000"))
    rounds = int(os.environ.get("TENTHS_BENCH_ROUNDS", "7"))
    creates = int(os.environ.get("TENTHS_BENCH_CREATES", "200"))
    print("tenths vs the plain-Python peer (benches/python/bench_peer.py)")
    print(f"date: {dt.datetime.now(dt.timezone.utc).isoformat(timespec='seconds')}  nproc: {os.cpu_count()}  "
          f"python: {platform.python_version()}  tenths: {tenths.__version__}  N: {n}  rounds: {rounds}  "
          f"loadavg: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    rng = random.Random(13)
    with tempfile.TemporaryDirectory(dir=os.environ.get("TENTHS_BENCH_DIR")) as tmp:
        engine = tenths.Engine(str(Path(tmp) / "engine.sqlite"), now=NOW)
        peer = Peer(str(Path(tmp) / "peer.sqlite"))
        engine.upsert_client(CUSTOMER, external_id="CL-1", name="Acme Holdings", call_sign="ACME")
        matters = []
        for k in range(MATTERS):
            m = engine.upsert_initiative(CUSTOMER, external_id=f"M-{k}", name=f"Matter {k}", client_external_id="CL-1",
                                         billing_type="billable", unit_increments=UNIT_SECONDS)
            peer.add_matter(m.id, f"M-{k}", "CL-1")
            matters.append(m.id)

        # 1. Batch import, alternating batch by batch.
        import_e = import_p = 0.0
        per_batch: list[float] = []
        for start in range(0, n, BATCH):
            user = USERS[(start // BATCH) % len(USERS)]
            rows = [{"initiativeId": rng.choice(matters), "summary": f"Drafted clause {i} of the lease",
                     "durationInSeconds": rng.randint(60, 4 * 3600),
                     "workDate": (FIRST_DAY + dt.timedelta(days=rng.randrange(DAYS))).isoformat()}
                    for i in range(start, min(n, start + BATCH))]
            te, ids = timed(lambda: engine.import_entries(CUSTOMER, user, rows))
            tp, _ = timed(lambda: peer.import_batch(user, rows, ids))  # the engine's ids, so results compare
            import_e += te
            import_p += tp
            per_batch.append(te / tp)

        first, last = WEEK[0].isoformat(), WEEK[1].isoformat()
        user = USERS[0]
        # Same observable results before any timing of the reads.
        engine_week = [e.to_flat_dict() for e in engine.list_entries(CUSTOMER, user, first, last)]
        assert engine_week == peer.week(user, first, last), "the peer's week differs from the engine's"
        assert engine_week, "the week is empty: nothing to compare"
        totals_rows = peer.totals(first, last)
        assert engine_totals(engine, first, last) == totals_rows, "the peer's totals differ"
        head = [e.to_flat_dict() for _, e in zip(range(3 * PAGE), engine.iter_updated(CUSTOMER, AFTER, ON_OR_BEFORE, page_size=PAGE))]
        assert head == [d for _, d in zip(range(3 * PAGE), peer.updated())], "the peer's connector pages differ"

        def engine_loop_records() -> int:
            return sum(1 for e in engine.iter_updated(CUSTOMER, AFTER, ON_OR_BEFORE, page_size=PAGE))

        def engine_loop_dicts() -> int:
            return sum(1 for e in engine.iter_updated(CUSTOMER, AFTER, ON_OR_BEFORE, page_size=PAGE) if e.to_flat_dict())

        def peer_loop(light: bool) -> Callable[[], int]:
            return lambda: sum(1 for _ in peer.updated(light))

        reads: dict[str, list[float]] = {}
        sides = {
            "week: engine list_entries -> records": lambda: engine.list_entries(CUSTOMER, user, first, last),
            "week: engine list_entries + to_flat_dict()": lambda: [e.to_flat_dict() for e in engine.list_entries(CUSTOMER, user, first, last)],
            "week: peer, same flat dicts": lambda: peer.week(user, first, last),
            "week: light peer (5 fields)": lambda: peer.week_light(user, first, last),
            "totals: engine totals -> records": lambda: engine.totals(CUSTOMER, first, last),
            "totals: peer GROUP BY, same rows": lambda: peer.totals(first, last),
            "loop: engine iter_updated -> records": engine_loop_records,
            "loop: engine iter_updated + to_flat_dict()": engine_loop_dicts,
            "loop: peer, same flat dicts": peer_loop(False),
            "loop: light peer (5 fields)": peer_loop(True),
        }
        for _ in range(rounds):
            for name, fn in sides.items():
                # Each side is timed warm: one untimed call first, so the database pages a
                # connector loop of the other sides evicted from this side's page cache, and the
                # garbage they left (100,000 records), are not charged to whichever side comes
                # next (measured: a user's week took 10.9 ms right after the loops, 5.2 ms on the
                # call after it).
                _out = fn()
                _out = None
                gc.collect()
                t, _out = timed(fn)
                reads.setdefault(name, []).append(t)
        med = {k: statistics.median(v) for k, v in reads.items()}
        loop_count = engine_loop_records()
        assert loop_count == peer_loop(False)() == n, "the connector loops saw different entries"

        # 5. One create per call, alternating call by call, on the imported files.
        create_e: list[float] = []
        create_p: list[float] = []
        for i in range(creates):
            u, m, secs = rng.choice(USERS), rng.choice(matters), rng.randint(60, 4 * 3600)
            day = (FIRST_DAY + dt.timedelta(days=rng.randrange(DAYS))).isoformat()
            te, made = timed(lambda: engine.create_entry(CUSTOMER, u, initiative_id=m, summary=f"Call {i}", duration_in_seconds=secs, work_date=day))
            tp, (_, units) = timed(lambda: peer.create(u, m, f"Call {i}", secs, day))
            assert made[0].unit_increment_count == units, (made[0].unit_increment_count, units)  # type: ignore[index]
            create_e.append(te)
            create_p.append(tp)
        engine.close()
        wal_engine, wal_peer = wal_bytes_per_create(tmp)

    ce, cp = statistics.median(create_e), statistics.median(create_p)
    rows = [
        ["one create per call (durable)", fmt(ce), fmt(cp), f"{ce / cp:.2f}x", "<= 0.5x"],
        [f"batch import of {n:,} (batches of {BATCH:,})", f"{import_e:.2f} s", f"{import_p:.2f} s",
         f"{import_e / import_p:.2f}x (batch median {statistics.median(per_batch):.2f}x)", "<= 0.5x"],
        ["list a user's week -> records vs same flat dicts", fmt(med["week: engine list_entries -> records"]),
         fmt(med["week: peer, same flat dicts"]), f"{med['week: engine list_entries -> records'] / med['week: peer, same flat dicts']:.2f}x", "<= 0.8x"],
        ["list a user's week, both as flat dicts", fmt(med["week: engine list_entries + to_flat_dict()"]),
         fmt(med["week: peer, same flat dicts"]), f"{med['week: engine list_entries + to_flat_dict()'] / med['week: peer, same flat dicts']:.2f}x", ""],
        ["list a user's week vs the light peer", fmt(med["week: engine list_entries -> records"]),
         fmt(med["week: light peer (5 fields)"]), f"{med['week: engine list_entries -> records'] / med['week: light peer (5 fields)']:.2f}x", ""],
        ["units per matter for a week (same rows)", fmt(med["totals: engine totals -> records"]),
         fmt(med["totals: peer GROUP BY, same rows"]), f"{med['totals: engine totals -> records'] / med['totals: peer GROUP BY, same rows']:.2f}x", "<= 1.0x"],
        [f"connector loop over {n:,}: records vs flat dicts", fmt(med["loop: engine iter_updated -> records"]),
         fmt(med["loop: peer, same flat dicts"]), f"{med['loop: engine iter_updated -> records'] / med['loop: peer, same flat dicts']:.2f}x "
         f"({med['loop: peer, same flat dicts'] / med['loop: engine iter_updated -> records']:.1f}x faster)", ">= 5x faster"],
        [f"connector loop over {n:,}: both flat dicts", fmt(med["loop: engine iter_updated + to_flat_dict()"]),
         fmt(med["loop: peer, same flat dicts"]), f"{med['loop: engine iter_updated + to_flat_dict()'] / med['loop: peer, same flat dicts']:.2f}x "
         f"({med['loop: peer, same flat dicts'] / med['loop: engine iter_updated + to_flat_dict()']:.1f}x faster)", ""],
        [f"connector loop over {n:,} vs the light peer", fmt(med["loop: engine iter_updated -> records"]),
         fmt(med["loop: light peer (5 fields)"]), f"{med['loop: engine iter_updated -> records'] / med['loop: light peer (5 fields)']:.2f}x", ""],
    ]
    table(f"CPU time of this thread, medians of {rounds} interleaved rounds ({creates} alternating creates); "
          "ratio = engine / peer (lower is better for the engine)",
          ["operation", "engine", "peer", "ratio", "goal"], rows)
    print(f"   write-ahead log written per durable create (fresh files): engine {wal_engine:,.0f} B, peer {wal_peer:,.0f} B "
          f"({wal_engine / max(wal_peer, 1.0):.1f}x)")
    print(f"   the week: {len(engine_week)} entries of one user; the totals: {len(totals_rows)} rows; every result was "
          "checked equal to the engine's before timing")
    return 0


if __name__ == "__main__":
    sys.exit(main())
