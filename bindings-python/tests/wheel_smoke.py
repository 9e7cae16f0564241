"""Smoke test of an installed wheel (scripts/test-python runs it in a fresh virtualenv with no
Rust toolchain on PATH): open an engine on a temporary file, import a client and a matter,
create an entry, list it back, and open the file again. Exits non-zero on any mismatch."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sys
import tempfile

import tenths

CUSTOMER = "c00000000000000000000001"
ALICE = "a00000000000000000000001"


def main() -> None:
    assert shutil.which("cargo") is None and shutil.which("rustc") is None, "a Rust toolchain is on PATH"
    assert "site-packages" in (tenths.__file__ or ""), f"tenths imported from {tenths.__file__}, not the installed wheel"
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "smoke.sqlite")
        day = dt.date(2026, 3, 10)
        with tenths.Engine(path) as engine:
            engine.upsert_client(CUSTOMER, external_id="CL-1", name="Acme Holdings")
            matter = engine.upsert_initiative(CUSTOMER, external_id="M-1", name="Acme v. Widget", client_external_id="CL-1", billing_type="billable", unit_increments=360)
            created, _ = engine.create_entry(CUSTOMER, ALICE, initiative_id=matter.id, summary="Drafted motion", work_date=day, duration_in_seconds=420)
        with tenths.Engine(path) as engine:
            listed = engine.list_entries(CUSTOMER, ALICE, day, day)
        assert [e.id for e in listed] == [created.id], listed
        assert listed[0].unit_increment_count == 2 and listed[0].client_external_id == "CL-1", listed[0].to_dict()
    print(f"   wheel smoke test passed: tenths {tenths.__version__} from {os.path.dirname(tenths.__file__ or '')}, created and listed 1 entry")


if __name__ == "__main__":
    main()
    sys.exit(0)
