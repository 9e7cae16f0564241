"""Python create benchmark: `tenths.Engine.create_entry` vs a plain stdlib `sqlite3` script.

What it compares, per create, in CPU time of the calling thread (`time.thread_time_ns`, which
counts user and kernel time of this thread only, so other load on a shared machine and the
wait for the disk's flush do not count):

(a) `tenths.Engine(path).create_entry(customer, user, initiative_id=..., summary=...,
    duration_in_seconds=...)` on a file database with the engine's defaults (WAL,
    synchronous FULL), the matters imported first (`upsert_initiative`, 360-second units);
(b) `ScriptStore.create`, the ~60-line script a competent developer would write with the
    stdlib: WAL, `synchronous=FULL` like the engine's default, one `entries` table
    (customer, user, work_date, initiative, summary, duration, units, created_at) with an index
    on (customer, user, work_date), units rounded up to 6-minute units (at least one for
    positive time), one `BEGIN IMMEDIATE` ... `COMMIT` per create.

Both take the same inputs (10 users, 20 matters, summaries and random durations from a fixed
seed, work date = today) and each works on its own file: a tenths engine and Python's own
`sqlite3` must not open the same database in one process (two SQLite libraries in one process
do not see each other's locks). The two sides are interleaved in blocks (BLOCK engine creates,
then BLOCK script creates, ROUNDS times), so machine load falls on both; a warm-up block of each
comes first and is not counted. It prints p50 and mean CPU microseconds per create for each
side, and the ratio engine / script (goal of issue 11: <= 1.0).

    target/py-venv/bin/python benches/python/bench_create.py
    TENTHS_BENCH_ROUNDS=20 TENTHS_BENCH_BLOCK=200 python benches/python/bench_create.py

Stdlib plus the installed `tenths` package only.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import random
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path
from typing import Callable

import tenths

CUSTOMER = "c00000000000000000000001"
USERS = [f"a{i:023x}" for i in range(1, 11)]  # 10 users
MATTERS = 20
UNIT_SECONDS = 360  # 6-minute units, as the matters imported into the engine
SEED = 11
BLOCK = int(os.environ.get("TENTHS_BENCH_BLOCK", "200"))
ROUNDS = int(os.environ.get("TENTHS_BENCH_ROUNDS", "10"))
CLOCK = time.thread_time_ns


# ---------------------------------------------------------------------------------------------
# (b) The plain script: what a developer would write with the stdlib for the same create.

SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    id          INTEGER PRIMARY KEY,
    customer    TEXT    NOT NULL,
    user        TEXT    NOT NULL,
    work_date   TEXT    NOT NULL,
    initiative  TEXT    NOT NULL,
    summary     TEXT    NOT NULL,
    duration    INTEGER NOT NULL,
    units       INTEGER NOT NULL,
    created_at  TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS entries_by_user_day ON entries (customer, user, work_date);
"""

INSERT = """
INSERT INTO entries (customer, user, work_date, initiative, summary, duration, units, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
"""


def units_of(duration_in_seconds: int) -> int:
    """Whole 6-minute units, rounded up; at least one for any positive time."""
    if duration_in_seconds <= 0:
        return 0
    return max(1, -(-duration_in_seconds // UNIT_SECONDS))


class ScriptStore:
    """Time entries in one SQLite file: WAL, durable commits, one transaction per create."""

    def __init__(self, path: str) -> None:
        # isolation_level=None: the module opens no transaction of its own; we say BEGIN/COMMIT.
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=FULL")
        self.conn.executescript(SCHEMA)

    def create(self, customer: str, user: str, initiative: str, summary: str, duration_in_seconds: int) -> int:
        now = dt.datetime.now(dt.timezone.utc)
        row = (customer, user, now.date().isoformat(), initiative, summary, duration_in_seconds,
               units_of(duration_in_seconds), now.isoformat(timespec="milliseconds"))
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            entry_id = self.conn.execute(INSERT, row).lastrowid
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        assert entry_id is not None
        return entry_id

    def close(self) -> None:
        self.conn.close()


# ---------------------------------------------------------------------------------------------
# The measurement.

Create = tuple[str, int, str, int]  # user, matter index, summary, duration in seconds


def inputs(n: int) -> list[Create]:
    """The same creates for both sides: a fixed seed, 10 users, 20 matters, 1 min to 4 h."""
    rnd = random.Random(SEED)
    verbs = ["Reviewed", "Drafted", "Revised", "Call with client about", "Research on"]
    things = ["the lease", "the share purchase agreement", "disclosure", "the board minutes", "the NDA"]
    return [(rnd.choice(USERS), rnd.randrange(MATTERS), f"{rnd.choice(verbs)} {rnd.choice(things)} ({i})",
             rnd.randint(60, 4 * 3600)) for i in range(n)]


def time_block(create: Callable[[Create], object], block: list[Create], out: list[int]) -> None:
    """Thread CPU nanoseconds of each call, appended to `out`."""
    for args in block:
        t0 = CLOCK()
        create(args)
        out.append(CLOCK() - t0)


def p50_us(ns: list[int]) -> float:
    return statistics.median(ns) / 1e3


def mean_us(ns: list[int]) -> float:
    return statistics.fmean(ns) / 1e3


def main() -> None:
    print("tenths create benchmark (benches/python/bench_create.py)")
    print(f"date: {dt.datetime.now(dt.timezone.utc).isoformat(timespec='seconds')}  nproc: {os.cpu_count()}  "
          f"load: {' '.join(f'{x:.2f}' for x in os.getloadavg())}  python: {platform.python_version()}  "
          f"sqlite3 (stdlib): {sqlite3.sqlite_version}  tenths: {tenths.__version__} ({Path(tenths.__file__).parent})")
    print(f"blocks of {BLOCK}, {ROUNDS} rounds (engine block, then script block), one warm-up block each")

    work = inputs(BLOCK * (ROUNDS + 1))
    with tempfile.TemporaryDirectory(prefix="tenths-bench-create-") as tmp:
        engine = tenths.Engine(str(Path(tmp) / "engine.sqlite"))
        script = ScriptStore(str(Path(tmp) / "script.sqlite"))
        matter_ids = [
            engine.upsert_initiative(CUSTOMER, external_id=f"M-{m + 1}", name=f"Matter {m + 1}",
                                     billing_type="billable", unit_increments=UNIT_SECONDS).id
            for m in range(MATTERS)
        ]

        def engine_create(c: Create) -> tuple[tenths.Entry, bool]:
            user, matter, summary, duration = c
            return engine.create_entry(CUSTOMER, user, initiative_id=matter_ids[matter], summary=summary,
                                       duration_in_seconds=duration)

        def script_create(c: Create) -> object:
            user, matter, summary, duration = c
            return script.create(CUSTOMER, user, matter_ids[matter], summary, duration)

        # Same units on both sides (checked once, outside the timing).
        entry, _ = engine_create(work[0])
        assert entry.unit_increment_count == units_of(work[0][3]), (entry.unit_increment_count, work[0][3])

        eng: list[int] = []
        scr: list[int] = []
        time_block(engine_create, work[:BLOCK], [])  # warm-up: statements prepared, caches filled
        time_block(script_create, work[:BLOCK], [])
        for r in range(1, ROUNDS + 1):
            block = work[r * BLOCK:(r + 1) * BLOCK]
            time_block(engine_create, block, eng)
            time_block(script_create, block, scr)
        engine.close()
        script.close()

    print(f"\n{'side':<48} {'creates':>8} {'p50 CPU us':>11} {'mean CPU us':>12}")
    print(f"{'tenths Engine.create_entry':<48} {len(eng):>8} {p50_us(eng):>11.1f} {mean_us(eng):>12.1f}")
    print(f"{'stdlib sqlite3 script (BEGIN IMMEDIATE..COMMIT)':<48} {len(scr):>8} {p50_us(scr):>11.1f} {mean_us(scr):>12.1f}")
    print(f"\nratio engine / script: p50 {p50_us(eng) / p50_us(scr):.2f}, mean {mean_us(eng) / mean_us(scr):.2f}"
          "  (goal: <= 1.00)")


if __name__ == "__main__":
    main()
