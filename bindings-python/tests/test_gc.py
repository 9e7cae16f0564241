"""No leak: 100,000 records created and dropped keep Python's allocated blocks and the process
size (RSS) bounded; tracemalloc confirms it over a shorter run (it slows every allocation)."""

from __future__ import annotations

import datetime as dt
import gc
import sys
import tracemalloc

import tenths
from helpers import ALICE, CUSTOMER, NOW, firm, window

ROUNDS = 100  # 100 rounds × 1,000 records = 100,000 records


def rss_bytes() -> int:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * 4096
    except OSError:  # pragma: no cover - not Linux
        import resource

        return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * (1 if sys.platform == "darwin" else 1024)


def churn(engine: tenths.Engine, matter: str) -> int:
    """Creates and drops 1,000 records: 10 pages of 100 entries with their nested records."""
    n = 0
    for e in engine.iter_updated(CUSTOMER, *window(), page_size=100):
        _ = (e.summary, e.created_at, e.work_date, e.initiative, e.sources, e.codes)
        if n % 10 == 0:
            _ = (e.to_dict(), e.to_flat_dict())
        n += 1
    return n


def test_no_leak_over_100k_records() -> None:
    engine = tenths.Engine(":memory:", now=NOW)
    matter = firm(engine)
    start = NOW - dt.timedelta(days=5)  # one 5-minute call every 6 minutes: no overlaps
    engine.import_entries(
        CUSTOMER,
        ALICE,
        [
            {"initiativeId": matter, "summary": f"entry {i}", "sources": [{"kind": "call", "startedAt": start + dt.timedelta(minutes=6 * i), "endedAt": start + dt.timedelta(minutes=6 * i + 5)}]}
            for i in range(1000)
        ],
    )
    for _ in range(5):  # warm up caches and allocator pools
        churn(engine, matter)
    gc.collect()
    rss0, blocks0 = rss_bytes(), sys.getallocatedblocks()
    total = 0
    for _ in range(ROUNDS):
        total += churn(engine, matter)
    gc.collect()
    rss1, blocks1 = rss_bytes(), sys.getallocatedblocks()
    assert total == 100_000
    assert blocks1 - blocks0 < 5_000, f"{blocks1 - blocks0} more Python blocks after {total} records"
    assert rss1 - rss0 < 32 * 1024 * 1024, f"RSS grew by {(rss1 - rss0) / 1e6:.1f} MB over {total} records"

    tracemalloc.start()
    py0, _ = tracemalloc.get_traced_memory()
    for _ in range(5):
        churn(engine, matter)
    gc.collect()
    py1, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert py1 - py0 < 200_000, f"Python memory grew by {py1 - py0} bytes over 5,000 records"


def test_records_are_freed_with_their_engine_closed() -> None:
    import weakref

    engine = tenths.Engine(":memory:", now=NOW)
    firm(engine)
    e, _ = engine.create_entry(CUSTOMER, ALICE, summary="x", duration_in_seconds=60)
    engine.close()
    # A record outlives its engine: it holds values, not the database.
    assert e.summary == "x" and e.to_dict()["summary"] == "x"
    try:
        weakref.ref(e)
    except TypeError:
        pass  # slotted records without __weakref__ are fine too
    del engine
    gc.collect()
