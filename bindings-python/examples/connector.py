"""A PMS connector over a tenths database (domain.md §6).

It polls the export window `(watermark, now]` (the watermark is persisted in a file), pushes each
entry waiting for the PMS (`release-pending`) to a fake PMS that rejects some entries, reports the
accepted ones in batches of `release-succeeded` (with the PMS id) and each rejected one with
`release-failed` (with the PMS messages), and only then moves the watermark. A re-run is safe: an
interrupted run repeats its window; entries already reported are no longer `release-pending` and
are skipped; the fake PMS keeps its records by entry id (a re-release updates the same record).

    python examples/connector.py --db tenths-demo.sqlite --customer 67c39f80ec76b2746889c619
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import tenths

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


@dataclass
class FakePms:
    """A practice management system that keeps its records in a JSON file, keyed by entry id.
    It rejects entries whose narrative is short or whose id the `reject_every` rule picks."""

    path: Path
    reject_every: int
    records: Dict[str, Dict[str, object]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path, reject_every: int) -> "FakePms":
        records = json.loads(path.read_text()) if path.exists() else {}
        return cls(path, reject_every, records)

    def save(self) -> None:
        write_atomically(self.path, json.dumps(self.records, indent=1, sort_keys=True))

    def push(self, e: tenths.Entry) -> Tuple[Optional[str], List[str]]:
        """Creates or updates the PMS record of an entry: (PMS id, []) or (None, messages)."""
        problems: List[str] = []
        if len(e.summary.strip()) < 12:
            problems.append(f"PMS-4002: narrative too short for {e.initiative_external_id or 'the matter'}")
        if self.reject_every > 0 and int(e.id[-6:], 16) % self.reject_every == 0:
            problems.append(f"PMS-5003: no rate for the timekeeper on {e.initiative_external_id or 'the matter'}; resend later")
        if problems:
            return None, problems
        existing = self.records.get(e.id)
        pms_id = e.external_id or (str(existing["pmsId"]) if existing else f"PMS-{len(self.records) + 1:06d}")
        self.records[e.id] = {
            "pmsId": pms_id,
            "matter": e.initiative_external_id,
            "workDate": e.work_date.isoformat(),
            "hours": e.increment_duration_in_seconds / 3600,
            "narrative": e.summary,
            "updates": int(str(existing["updates"])) + 1 if existing else 0,
        }
        return pms_id, []


def write_atomically(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=str(path.parent), prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def read_watermark(path: Path) -> dt.datetime:
    if not path.exists():
        return EPOCH
    return dt.datetime.fromisoformat(path.read_text().strip().replace("Z", "+00:00"))


@dataclass
class Report:
    exported: int = 0
    skipped: int = 0
    accepted: int = 0
    batches: int = 0
    rejected: List[Tuple[str, List[str]]] = field(default_factory=list)
    refused: List[Tuple[str, str]] = field(default_factory=list)


def run(engine: tenths.Engine, customer: str, watermark_file: Path, pms: FakePms, batch_size: int) -> Report:
    after = read_watermark(watermark_file)
    on_or_before = engine.now()
    report = Report()
    accepted: List[tenths.ReleaseSucceededItem] = []
    rejected: List[Tuple[tenths.Entry, List[str]]] = []
    for e in engine.iter_export(customer, after, on_or_before, page_size=100):
        report.exported += 1
        if e.status != "release-pending":
            report.skipped += 1  # already acknowledged (a re-run, or another connector)
            continue
        pms_id, problems = pms.push(e)
        if pms_id is not None:
            accepted.append(tenths.ReleaseSucceededItem(e.id, user_id=e.user_id, external_id=pms_id))
        else:
            rejected.append((e, problems))
    pms.save()  # the PMS has the records before tenths is told

    for start in range(0, len(accepted), batch_size):
        chunk = accepted[start : start + batch_size]
        report.batches += 1
        for r in engine.release_succeeded_batch(customer, chunk):
            if r.status == "ok":
                report.accepted += 1
            else:
                report.refused.append((r.entry_id, f"{r.status}: {r.error}"))
    for e, problems in rejected:
        try:
            engine.release_failed(customer, e.id, problems, user_id=e.user_id)
            report.rejected.append((e.id, problems))
        except (tenths.Conflict, tenths.NotFound) as err:  # changed meanwhile (unreleased, deleted)
            report.refused.append((e.id, str(err)))
    write_atomically(watermark_file, on_or_before.isoformat())
    print(f"window ({after.isoformat()}, {on_or_before.isoformat()}]: {report.exported} exported, {report.skipped} already synced")
    print(f"  accepted by the PMS: {report.accepted} in {report.batches} batch(es) of at most {batch_size}")
    print(f"  rejected by the PMS: {len(report.rejected)}")
    for entry_id, problems in report.rejected:
        print(f"    {entry_id}: {'; '.join(problems)}")
    for entry_id, reason in report.refused:
        print(f"  not reported for {entry_id}: {reason}")
    return report


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--db", required=True, help="the tenths database file")
    ap.add_argument("--customer", required=True, help="the customer (firm) id")
    ap.add_argument("--state", help="folder of the watermark and fake-PMS files (default: next to the database)")
    ap.add_argument("--reject-every", type=int, default=5, help="the fake PMS rejects ids whose last 6 hex digits are a multiple of N (0: none)")
    ap.add_argument("--batch-size", type=int, default=100, help="items per release-succeeded batch (at most 1000)")
    args = ap.parse_args(argv)
    db = Path(args.db)
    state = Path(args.state) if args.state else db.parent
    stem = db.name
    with tenths.Engine(db) as engine:
        pms = FakePms.load(state / f"{stem}.fake-pms.json", args.reject_every)
        run(engine, args.customer, state / f"{stem}.watermark", pms, args.batch_size)
    return 0


if __name__ == "__main__":
    sys.exit(main())
