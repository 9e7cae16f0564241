"""The in-process router's cost for one small read (issue 13, the HTTP overhead row).

`Engine.request` serves GET one entry with an admin's bearer token through the same router
`tenths serve` runs, without HTTP; the thread's CPU time per call is the "in-process" figure the
HTTP row subtracts from `scripts/bench-http`'s per-request cost. Stdlib plus `tenths` only.

    target/py-venv/bin/python benches/python/bench_request.py [RUNS]   # 5,000 calls a run
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import tenths

CUSTOMER = "64b7f0c2a1b2c3d4e5f60001"
USER = "64b7f0c2a1b2c3d4e5f60002"
ADMIN = "64b7f0c2a1b2c3d4e5f600ad"
CALLS = 5000


def main() -> int:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    with tempfile.TemporaryDirectory() as tmp:
        engine = tenths.Engine(str(Path(tmp) / "engine.sqlite"))
        engine.set_jwt_secret("bench-secret")
        matter = engine.upsert_initiative(CUSTOMER, external_id="M-1", name="Acme v. Widget", billing_type="billable", unit_increments=360)
        entry = engine.create_entry(CUSTOMER, USER, initiative_id=matter.id, summary="Task 1", duration_in_seconds=301)[0]
        token = tenths.mint_token("bench-secret", tenths.Principal(CUSTOMER, ADMIN, "admin"), "2100-01-01T00:00:00Z")
        path = f"/api/v1/public/customers/{CUSTOMER}/users/{USER}/entries/{entry.id}"
        headers = {"Authorization": f"Bearer {token}"}
        assert engine.request("GET", path, headers).status == 200
        per_call = []
        for _ in range(runs):
            t0 = time.thread_time()
            for _ in range(CALLS):
                engine.request("GET", path, headers)
            per_call.append((time.thread_time() - t0) / CALLS * 1e6)
        engine.close()
    print(f"in-process GET one entry with a bearer token: {statistics.median(per_call):.1f} us a call (thread CPU), "
          f"runs: {' '.join(f'{r:.1f}' for r in per_call)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
