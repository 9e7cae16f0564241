"""One Engine shared by 8 threads of mixed reads and writes; the GIL is released while the
engine works."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import List

import pytest

import tenths
from helpers import CUSTOMER, NOW, firm, window

THREADS = 8
PER_THREAD = 60


def user_of(t: int) -> str:
    return f"{t + 1:024x}"


def worker(engine: tenths.Engine, matter: str, t: int, barrier: threading.Barrier, errors: List[BaseException]) -> None:
    user = user_of(t)
    try:
        barrier.wait()
        mine: List[str] = []
        for i in range(PER_THREAD):
            e, created = engine.create_entry(CUSTOMER, user, initiative_id=matter, summary=f"t{t} e{i}", duration_in_seconds=60 * (i % 10 + 1))
            assert created
            mine.append(e.id)
            if i % 3 == 0:
                engine.edit_entry(CUSTOMER, user, e.id, summary=f"t{t} e{i} edited")
            if i % 5 == 0:
                assert engine.get_entry(CUSTOMER, user, mine[i // 2]).user_id == user
            if i % 7 == 0:
                page = engine.list_updated_page(CUSTOMER, *window(), page_size=50)
                assert len(page.entries) <= 50
            if i % 11 == 0:
                engine.release_entry(CUSTOMER, user, e.id)
            if i % 13 == 0:
                engine.totals(CUSTOMER, "2026-03-01", "2026-03-31")
        listed = engine.list_entries(CUSTOMER, user, "2026-03-01", "2026-03-31")
        assert sorted(x.id for x in listed) == sorted(mine)
    except BaseException as exc:  # noqa: BLE001 - reported by the main thread
        errors.append(exc)


@pytest.mark.parametrize("where", ["file", "memory"])
def test_eight_threads_of_mixed_reads_and_writes(tmp_path: Path, where: str) -> None:
    path = str(tmp_path / "threads.sqlite") if where == "file" else ":memory:"
    with tenths.Engine(path, now=NOW) as engine:
        matter = firm(engine)
        barrier = threading.Barrier(THREADS)
        errors: List[BaseException] = []
        threads = [threading.Thread(target=worker, args=(engine, matter, t, barrier, errors)) for t in range(THREADS)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(timeout=120)
        assert not errors, errors
        assert not any(th.is_alive() for th in threads)

        # Final state: every entry is there exactly once, with its edits and releases.
        everything = list(engine.iter_updated(CUSTOMER, *window()))
        assert len(everything) == THREADS * PER_THREAD
        assert len({e.id for e in everything}) == THREADS * PER_THREAD
        for t in range(THREADS):
            mine = sorted((e for e in everything if e.user_id == user_of(t)), key=lambda e: int(e.summary.split()[1][1:]))
            assert len(mine) == PER_THREAD
            for i, e in enumerate(mine):
                assert e.summary == (f"t{t} e{i} edited" if i % 3 == 0 else f"t{t} e{i}")
                assert e.status == ("release-pending" if i % 11 == 0 else "validation-succeeded")
                assert e.raw_seconds == 60 * (i % 10 + 1)
        totals = engine.totals(CUSTOMER, "2026-03-01", "2026-03-31")
        assert sum(x.entries for x in totals) == THREADS * PER_THREAD
        expected_units = THREADS * sum(-(-60 * (i % 10 + 1) // 360) for i in range(PER_THREAD))
        assert sum(x.unit_increment_count for x in totals) == expected_units


def test_the_gil_is_released_while_the_engine_works() -> None:
    """While one thread imports 20,000 entries (one long engine call), the main thread keeps
    running Python code."""
    engine = tenths.Engine(":memory:", now=NOW)
    batch = [{"summary": f"bulk {i}", "durationInSeconds": 60} for i in range(20_000)]
    done = threading.Event()
    timing: List[float] = []

    def bulk() -> None:
        t0 = time.perf_counter()
        engine.import_entries(CUSTOMER, user_of(0), batch)
        timing.append(time.perf_counter() - t0)
        done.set()

    th = threading.Thread(target=bulk)
    ticks = 0
    th.start()
    while not done.is_set():
        ticks += 1
        time.sleep(0.001)
    th.join()
    # With the GIL held for the whole call the main loop could not tick during it.
    assert timing[0] > 0.05, "the import was too fast to measure"
    assert ticks >= 10, f"the main thread ran only {ticks} times in {timing[0]:.3f} s"
