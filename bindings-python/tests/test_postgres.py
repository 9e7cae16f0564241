"""`tenths.Engine("postgresql://…")`: the same engine on the server of record's PostgreSQL
database. Runs when `TENTHS_TEST_PG_URL` names one (`scripts/with-postgres`, as
`scripts/test-python` runs this file); skipped otherwise, unless `TENTHS_REQUIRE_PG=1`.
Each test writes under a customer id of its own, so runs share the database safely."""

from __future__ import annotations

import datetime as dt
import os
import secrets

import pytest

import tenths

URL = os.environ.get("TENTHS_TEST_PG_URL", "")
if not URL:
    if os.environ.get("TENTHS_REQUIRE_PG") == "1":
        raise RuntimeError("TENTHS_REQUIRE_PG=1 but TENTHS_TEST_PG_URL is not set")
    pytest.skip("TENTHS_TEST_PG_URL is not set", allow_module_level=True)

ALICE = "a00000000000000000000001"


def fresh_customer() -> str:
    return secrets.token_hex(12)


def test_the_engine_works_on_postgresql_as_on_sqlite() -> None:
    customer = fresh_customer()
    day = dt.date(2026, 3, 10)
    with tenths.Engine(URL) as engine:
        engine.upsert_client(customer, external_id="CL-1", name="Acme Holdings")
        matter = engine.upsert_initiative(customer, external_id="M-1", name="Acme v. Widget", client_external_id="CL-1", billing_type="billable", unit_increments=360)
        created, was_new = engine.create_entry(customer, ALICE, initiative_id=matter.id, summary="Drafted motion", work_date=day, duration_in_seconds=420)
        assert was_new and created.unit_increment_count == 2
    # A second engine (another process would do the same) reads what the first stored.
    with tenths.Engine(URL) as engine:
        listed = engine.list_entries(customer, ALICE, day, day)
        assert [e.id for e in listed] == [created.id]
        assert listed[0].client_external_id == "CL-1" and listed[0].summary == "Drafted motion"
        with pytest.raises(tenths.InvalidArgument) as refused:
            engine.create_entry(customer, ALICE, initiative_id=matter.id, summary="Too long a day", work_date=day, duration_in_seconds=-5)
        assert "duration" in str(refused.value).lower()
        assert len(engine.list_entries(customer, ALICE, day, day)) == 1, "a refused create stores nothing"


def test_the_path_shown_never_holds_the_password() -> None:
    with_password = URL.replace("postgres@", "postgres:not-shown@", 1) if "postgres@" in URL else URL
    with tenths.Engine(with_password) as engine:
        assert "not-shown" not in engine.path and engine.path.startswith("postgres")


def test_a_server_that_cannot_be_reached_is_unavailable() -> None:
    with pytest.raises(tenths.Unavailable):
        tenths.Engine("postgresql://postgres@127.0.0.1:9/tenths_none")
