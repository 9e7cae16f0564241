"""The two examples run against a demo database (`tenths demo`): the weekly report prints its
table, the connector reports every waiting entry and a re-run finds nothing new."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import tenths

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "bindings-python" / "examples"


def tenths_binary() -> Path | None:
    if os.environ.get("TENTHS_BIN"):
        return Path(os.environ["TENTHS_BIN"])
    for profile in ("release", "debug"):
        p = REPO / "target" / profile / "tenths"
        if p.exists():
            return p
    return None


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A demo database (3 users, 10 days) and its customer id, in a private folder."""
    folder = tmp_path_factory.mktemp("demo")
    given = os.environ.get("TENTHS_DEMO_DB")
    if given:
        db = folder / "demo.sqlite"
        shutil.copy(given, db)
        csv_path = Path(os.environ.get("TENTHS_DEMO_CSV", str(Path(given).parent / "tenths-demo-export.csv")))
    else:
        binary = tenths_binary()
        if binary is None:
            pytest.skip("no tenths binary (build it with `cargo build -p tenths-cli`) and no TENTHS_DEMO_DB")
        db = folder / "demo.sqlite"
        csv_path = folder / "export.csv"
        subprocess.run([str(binary), "demo", "--db", str(db), "--csv", str(csv_path), "--users", "3", "--days", "10"], check=True, capture_output=True)
    with open(csv_path, newline="") as f:
        customer = next(csv.DictReader(f))["customerId"]
    return db, customer


def run_example(name: str, *args: str) -> str:
    done = subprocess.run([sys.executable, str(EXAMPLES / name), *args], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_weekly_report(demo: tuple[Path, str]) -> None:
    db, customer = demo
    out = run_example("weekly_report.py", "--db", str(db), "--customer", customer, "--week", "2026-03-04")
    assert "week of 2026-03-02 to 2026-03-08" in out
    lines = out.splitlines()
    assert lines[-1].startswith("all timekeepers")
    # The grand total equals the engine's own totals for the week.
    with tenths.Engine(db) as engine:
        seconds = sum(t.increment_duration_in_seconds for t in engine.totals(customer, "2026-03-02", "2026-03-08"))
    assert lines[-1].split()[-1] == f"{seconds / 3600:.2f}"


def test_connector_reports_everything_and_reruns_safely(demo: tuple[Path, str], tmp_path: Path) -> None:
    db, customer = demo
    db2 = tmp_path / "connector.sqlite"
    shutil.copy(db, db2)
    with tenths.Engine(db2) as engine:
        pending = [e.id for e in engine.iter_export(customer, "1970-01-01T00:00:00Z", engine.now()) if e.status == "release-pending"]
    assert pending, "the demo leaves entries waiting for the PMS"

    first = run_example("connector.py", "--db", str(db2), "--customer", customer, "--reject-every", "3", "--batch-size", "7")
    assert "accepted by the PMS:" in first and "rejected by the PMS:" in first
    with tenths.Engine(db2) as engine:
        after = {eid: engine_entry_status(engine, customer, eid) for eid in pending}
    assert set(after.values()) <= {"release-succeeded", "release-failed"}, after
    assert "release-failed" in after.values() and "release-succeeded" in after.values()
    assert (tmp_path / "connector.sqlite.watermark").exists()

    second = run_example("connector.py", "--db", str(db2), "--customer", customer, "--reject-every", "3")
    assert "0 exported" in second and "accepted by the PMS: 0" in second

    # An interrupted run (watermark lost) repeats its window without double-reporting.
    (tmp_path / "connector.sqlite.watermark").unlink()
    third = run_example("connector.py", "--db", str(db2), "--customer", customer, "--reject-every", "3")
    assert "accepted by the PMS: 0" in third and "rejected by the PMS: 0" in third


def engine_entry_status(engine: tenths.Engine, customer: str, entry_id: str) -> str:
    for e in engine.list_updated(customer, "1970-01-01T00:00:00Z", "9999-12-31T23:59:59.999Z"):
        if e.id == entry_id:
            return e.status
    raise LookupError(entry_id)
