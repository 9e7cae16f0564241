"""Hours per timekeeper and matter for one week, as a table (live entries in every status).

    python examples/weekly_report.py --db tenths-demo.sqlite --customer 67c39f80ec76b2746889c619 --week 2026-03-02
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections import defaultdict
from typing import DefaultDict, Dict, List, Optional, Tuple

import tenths

DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def hours(seconds: int) -> str:
    return f"{seconds / 3600:.2f}" if seconds else "-"


def report(engine: tenths.Engine, customer: str, monday: dt.date) -> List[str]:
    sunday = monday + dt.timedelta(days=6)
    matters: Dict[Optional[str], str] = {m.id: f"{m.external_id} {m.name}" for m in engine.list_initiatives(customer)}
    matters[None] = "(no matter)"
    # (user, matter) -> seconds billed per weekday
    grid: DefaultDict[Tuple[str, Optional[str]], List[int]] = defaultdict(lambda: [0] * 7)
    for t in engine.totals(customer, monday, sunday):
        grid[(t.user_id, t.initiative_id)][t.work_date.weekday()] += t.increment_duration_in_seconds

    width = max([len(v) for v in matters.values()] + [24])
    width = min(width, 48)
    header = f"{'timekeeper / matter':<{width + 2}}" + "".join(f"{d:>7}" for d in DAYS) + f"{'total':>9}"
    lines = [f"Hours billed, week of {monday.isoformat()} to {sunday.isoformat()} (customer {customer})", header, "-" * len(header)]
    week_total = [0] * 7
    for user in sorted({u for u, _ in grid}):
        user_total = [0] * 7
        lines.append(f"user {user}")
        for (u, matter), days in sorted(grid.items(), key=lambda kv: (kv[0][0], matters.get(kv[0][1], ""))):
            if u != user:
                continue
            name = matters.get(matter, str(matter))
            name = name if len(name) <= width else name[: width - 1] + "…"
            lines.append(f"  {name:<{width}}" + "".join(f"{hours(s):>7}" for s in days) + f"{hours(sum(days)):>9}")
            user_total = [a + b for a, b in zip(user_total, days)]
        lines.append(f"  {'all matters':<{width}}" + "".join(f"{hours(s):>7}" for s in user_total) + f"{hours(sum(user_total)):>9}")
        week_total = [a + b for a, b in zip(week_total, user_total)]
    lines.append("-" * len(header))
    lines.append(f"{'all timekeepers':<{width + 2}}" + "".join(f"{hours(s):>7}" for s in week_total) + f"{hours(sum(week_total)):>9}")
    return lines


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description="Hours per timekeeper and matter for one week.")
    ap.add_argument("--db", required=True, help="the tenths database file")
    ap.add_argument("--customer", required=True, help="the customer (firm) id")
    ap.add_argument("--week", help="any day of the week to report (ISO date); default: this week")
    args = ap.parse_args(argv)
    with tenths.Engine(args.db) as engine:
        day = dt.date.fromisoformat(args.week) if args.week else engine.now().date()
        monday = day - dt.timedelta(days=day.weekday())
        for line in report(engine, args.customer, monday):
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
