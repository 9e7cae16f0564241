"""The engine object: open, context manager, close, clock; records and their wire shapes;
iterators over pages; the in-process router."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Callable

import pytest

import tenths
from helpers import ALICE, BOB, CUSTOMER, NOW, UTC, entry_id, firm, ready_entry, window


def test_context_manager_closes(tmp_path: Path) -> None:
    path = tmp_path / "firm.sqlite"
    with tenths.Engine(path, now=NOW) as engine:
        m = firm(engine)
        ready_entry(engine, m)
        assert not engine.closed
    assert engine.closed
    with pytest.raises(tenths.Closed):
        engine.get_entry(CUSTOMER, ALICE, entry_id(1))
    # The file keeps what was written.
    with tenths.Engine(str(path)) as again:
        assert again.get_entry(CUSTOMER, ALICE, entry_id(1)).summary == "Drafted motion"
        assert again.path == str(path)


def test_close_twice_and_every_call_after_close_raises_closed() -> None:
    engine = tenths.Engine(":memory:", now=NOW)
    engine.close()
    engine.close()
    calls: list[Callable[[], object]] = [
        lambda: engine.customer_settings(CUSTOMER),
        lambda: engine.create_entry(CUSTOMER, ALICE, summary="x"),
        lambda: engine.list_updated(CUSTOMER, *window()),
        lambda: list(engine.iter_export(CUSTOMER, *window())),
        lambda: engine.totals(CUSTOMER, "2026-03-01", "2026-03-31"),
        lambda: engine.upsert_client(CUSTOMER, external_id="CL-1", name="Acme"),
    ]
    for call in calls:
        with pytest.raises(tenths.Closed):
            call()
    r = engine.request("GET", "/healthz")
    assert r.status == 503 and r.json()["error"]["code"] == "unavailable"


def test_health_check_of_a_closed_engine_fails() -> None:
    engine = tenths.Engine(":memory:", now=NOW)
    r = engine.request("GET", "/healthz")
    assert r.status == 200 and r.json() == {"status": "ok"}
    engine.close()
    r = engine.request("GET", "/healthz")
    # 503 like every other call of a closed engine, so a load balancer stops sending requests;
    # closing is no passing condition, so no Retry-After.
    assert r.status == 503 and r.json()["error"]["code"] == "unavailable"
    assert r.header("retry-after") is None


def test_exception_inside_with_block_still_closes() -> None:
    with pytest.raises(RuntimeError):
        with tenths.Engine(":memory:") as engine:
            raise RuntimeError("boom")
    assert engine.closed


def test_fixed_clock() -> None:
    engine = tenths.Engine(":memory:", now=NOW)
    assert engine.now() == NOW
    engine.advance_clock(seconds=90)
    assert engine.now() == NOW + dt.timedelta(seconds=90)
    engine.advance_clock(millis=5)
    assert engine.now() == NOW + dt.timedelta(seconds=90, milliseconds=5)
    engine.set_clock("2026-03-11T00:00:00+02:00")
    assert engine.now() == dt.datetime(2026, 3, 10, 22, tzinfo=UTC)
    system = tenths.Engine(":memory:")
    assert abs((system.now() - dt.datetime.now(UTC)).total_seconds()) < 60
    with pytest.raises(tenths.InvalidArgument):
        system.set_clock(NOW)


def test_entry_record_types_and_shapes() -> None:
    engine = tenths.Engine(":memory:", now=NOW)
    m = firm(engine)
    src = tenths.SourceInput("call", NOW - dt.timedelta(minutes=7), NOW, title="Call with counsel")
    e, created = engine.create_entry(CUSTOMER, ALICE, id=entry_id(1), initiative_id=m, summary="Call", sources=[src], notes="n")
    assert created is True
    assert e.id == entry_id(1) and e.customer_id == CUSTOMER and e.user_id == ALICE
    assert e.work_date == dt.date(2026, 3, 10)
    assert e.created_at == NOW and e.created_at.tzinfo is not None
    assert e.status == "validation-succeeded"
    assert e.unit_increment_count == 2 and e.increment_duration_in_seconds == 720 and e.raw_seconds == 420
    assert e.initiative is not None and e.initiative.external_id == "M-1" and e.initiative.client is not None
    assert e.initiative_external_id == "M-1" and e.client_external_id == "CL-1"
    assert len(e.sources) == 1 and e.sources[0].kind == "call" and e.sources[0].ended_at == NOW
    assert e.validation_failed_errors == () and e.codes == ()
    assert e.last_release_pending_at is None
    full = e.to_dict()
    assert full["_id"] == entry_id(1) and full["statusInfo"] == {"status": "validation-succeeded"}
    assert full["initiativeProps"]["initiative"]["externalId"] == "M-1"
    assert "lastReleasePendingAt" not in full  # absent optional fields are left out
    flat = e.to_flat_dict()
    assert flat["entryId"] == entry_id(1) and flat["unitIncrementCount"] == 2 and flat["initiativeExternalId"] == "M-1"
    assert set(e.to_export_dict()) >= {"_id", "customerId", "userId", "workDate", "unitIncrementCount"}
    # The same wire shape as the HTTP API answers.
    r = engine.request("GET", f"/api/v1/public/customers/{CUSTOMER}/users/{ALICE}/entries/{entry_id(1)}", principal=tenths.Principal(CUSTOMER, ALICE))
    assert r.status == 200 and r.json() == full
    # Frozen, slotted: no attribute can be set or added.
    with pytest.raises(AttributeError):
        e.summary = "changed"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        e.anything = 1  # type: ignore[attr-defined]
    assert not hasattr(e, "__dict__")
    # The same Python object on every access (kept, not copied).
    assert e.summary is e.summary and e.created_at is e.created_at
    assert e == engine.get_entry(CUSTOMER, ALICE, entry_id(1)) and hash(e) == hash(engine.get_entry(CUSTOMER, ALICE, entry_id(1)))
    assert "e00000000000000000000001" in repr(e)


def test_reference_records() -> None:
    engine = tenths.Engine(":memory:", now=NOW)
    firm(engine)
    engine.upsert_code_type(CUSTOMER, external_id="task", name="Task", semantic_type="task")
    code = engine.upsert_code(CUSTOMER, external_id="L110", name="Facts", code_type_external_id="task")
    assert code.to_dict() == {"_id": code.id, "externalId": "L110", "codeTypeExternalId": "task", "name": "Facts", "isDisabled": False}
    (m,) = engine.list_initiatives(CUSTOMER)
    assert m.kind == "pms" and m.billing_type == "billable" and m.unit_increments == 360 and m.allowed_user_ids == ()
    m2 = engine.set_initiative_codes(CUSTOMER, "M-1", ["L110"])
    assert m2.allowed_code_ids == (code.id,)
    m3 = engine.set_initiative_access(CUSTOMER, "M-1", "deny", [BOB])
    assert m3.denied_user_ids == (BOB,)
    rules = engine.set_validation_rules(CUSTOMER, initiative_external_id="M-1", required_code_type_external_ids=["task"])
    assert rules.required_code_type_external_ids == ("task",) and rules.is_summary_required is True
    s = engine.update_customer_settings(CUSTOMER, rounding="nearest", timezone="Europe/Paris")
    assert s.rounding == "nearest" and engine.customer_settings(CUSTOMER) == s
    u = engine.update_user_settings(CUSTOMER, ALICE, timezone="America/New_York")
    assert u.timezone == "America/New_York" and u.to_dict() == {"timezone": "America/New_York"}
    assert [c.external_id for c in engine.list_clients(CUSTOMER)] == ["CL-1"]


def test_lifecycle_release_and_connector_calls() -> None:
    engine = tenths.Engine(":memory:", now=NOW)
    m = firm(engine)
    for n in (1, 2, 3):
        ready_entry(engine, m, n)
    day = engine.release_day(CUSTOMER, ALICE, dt.date(2026, 3, 10), "ready-subset")
    assert day.released == (entry_id(1), entry_id(2), entry_id(3)) and day.not_ready == ()
    engine.advance_clock(seconds=60)
    exported = list(engine.iter_export(CUSTOMER, *window(), page_size=2))
    assert [e.id for e in exported] == [entry_id(1), entry_id(2), entry_id(3)]
    results = engine.release_succeeded_batch(
        CUSTOMER, [tenths.ReleaseSucceededItem(entry_id(1), external_id="PMS-1"), {"entryId": entry_id(9)}, {"entryId": entry_id(2), "externalId": "PMS-2"}]
    )
    assert [(r.entry_id, r.status) for r in results] == [(entry_id(1), "ok"), (entry_id(9), "not_found"), (entry_id(2), "ok")]
    failed = engine.release_failed(CUSTOMER, entry_id(3), ["PMS-4001: no rate"], user_id=ALICE)
    assert failed.status == "release-failed" and failed.release_failed_errors[0].original_message == "PMS-4001: no rate"
    ok = engine.get_entry(CUSTOMER, ALICE, entry_id(1))
    assert ok.status == "release-succeeded" and ok.external_id == "PMS-1" and ok.is_locked
    back = engine.unrelease(CUSTOMER, ALICE, entry_id(1))
    assert back.status == "validation-succeeded" and back.external_id == "PMS-1"
    totals = engine.totals(CUSTOMER, "2026-03-01", dt.date(2026, 3, 31))
    assert len(totals) == 1 and totals[0].entries == 3 and totals[0].work_date == dt.date(2026, 3, 10)
    csv = engine.export_csv(CUSTOMER, *window())
    assert csv.splitlines()[0].startswith("_id,") and len(csv.splitlines()) == 2  # entry 2 only


def test_pages_and_iterators() -> None:
    engine = tenths.Engine(":memory:", now=NOW)
    m = firm(engine)
    ids = engine.import_entries(CUSTOMER, ALICE, [{"initiativeId": m, "summary": f"e{i}", "durationInSeconds": 60 * (i + 1)} for i in range(250)])
    assert len(ids) == 250
    page = engine.list_updated_page(CUSTOMER, *window())
    assert len(page.entries) == 100 and page.next_cursor == page.entries[-1].id
    seen = [e.id for e in engine.iter_updated(CUSTOMER, *window(), page_size=7)]
    assert seen == sorted(ids)
    last = engine.list_updated_page(CUSTOMER, *window(), page_size=100, cursor=sorted(ids)[199])
    assert len(last.entries) == 50 and last.next_cursor is None
    assert list(engine.iter_export(CUSTOMER, *window())) == []
    it = engine.iter_updated(CUSTOMER, *window())
    assert iter(it) is it


def test_timers_and_delegates() -> None:
    engine = tenths.Engine(":memory:", now=NOW)
    m = firm(engine)
    t = engine.start_timer(CUSTOMER, ALICE, id=entry_id(1), initiative_id=m, summary="Call")
    assert t.timer_running and t.created_as_timer and t.status == "validation-pending"
    engine.advance_clock(seconds=600)
    t = engine.stop_timer(CUSTOMER, ALICE, entry_id(1))
    assert not t.timer_running and t.raw_seconds == 600 and t.unit_increment_count == 2
    engine.advance_clock(seconds=60)
    assert engine.resume_timer(CUSTOMER, ALICE, entry_id(1)).timer_running
    e, _ = engine.create_entry(CUSTOMER, ALICE, id=entry_id(2), initiative_id=m, summary="For Alice", duration_in_seconds=60, actor_id=BOB)
    assert e.created_by == BOB
    r = engine.release_entry(CUSTOMER, ALICE, entry_id(2), actor_id=BOB)
    assert r.released_by == BOB


def test_request_router() -> None:
    engine = tenths.Engine(":memory:", now=NOW)
    admin = tenths.Principal(CUSTOMER, ALICE, "admin")
    r = engine.request("POST", f"/api/v1/customers/{CUSTOMER}/clients/import", body={"externalId": "CL-1", "name": "Acme"}, principal=admin)
    assert r.status == 201 and r.json()["externalId"] == "CL-1" and r.header("content-type") == "application/json"
    r = engine.request("POST", f"/api/v1/customers/{CUSTOMER}/clients/import", headers={"Content-Type": "application/json"}, body=json.dumps({"externalId": "CL-2", "name": "B"}).encode(), principal=admin)
    assert r.status == 201 and isinstance(r.body, bytes) and json.loads(r.text)["name"] == "B"
    r = engine.request("POST", f"/api/v1/customers/{CUSTOMER}/clients/import", body="{not json", principal=admin)
    assert r.status == 400 and r.json()["error"]["code"] == "invalid_argument"
    r = engine.request("GET", "/healthz")
    assert r.status == 200
    assert engine.request("GET", "/openapi.json").json()["openapi"].startswith("3.1")
    # Bearer tokens, once the engine has a secret.
    engine.set_jwt_secret("s3cret")
    token = tenths.mint_token("s3cret", tenths.Principal(CUSTOMER, ALICE, "connector"), NOW + dt.timedelta(days=3650))
    r = engine.request("GET", f"/api/v2/customers/{CUSTOMER}/entries?updatedAfter=2026-01-01T00:00:00Z&updatedOnOrBefore=2026-12-31T00:00:00Z", headers=[("Authorization", f"Bearer {token}")])
    assert r.status == 200 and r.json() == {"entries": []}
    r = engine.request("GET", f"/api/v2/customers/{CUSTOMER}/entries?updatedAfter=2026-01-01T00:00:00Z&updatedOnOrBefore=2026-12-31T00:00:00Z", headers={"Authorization": "Bearer nope"})
    assert r.status == 401
    engine.set_jwt_secret(None)


def test_records_are_not_dataclasses_but_compare_by_value() -> None:
    engine = tenths.Engine(":memory:", now=NOW)
    firm(engine)
    a = engine.list_clients(CUSTOMER)[0]
    b = engine.list_clients(CUSTOMER)[0]
    assert a == b and a is not b and len({a, b}) == 1
    assert not dataclasses.is_dataclass(a)
    assert a != "CL-1"


def test_ids_are_normalised_and_generated() -> None:
    assert tenths.parse_object_id("E00000000000000000000ABC") == "e00000000000000000000abc"
    with pytest.raises(tenths.InvalidArgument):
        tenths.parse_object_id("xyz")
    a, b = tenths.new_object_id(), tenths.new_object_id()
    assert a != b and tenths.parse_object_id(a) == a


def test_dict_shapes_equal_what_the_router_answers_in_every_state() -> None:
    """`to_flat_dict()` and `to_export_dict()` are built in the binding for speed; the router's
    answers (the core's wire module) are the reference, for entries in every status, with and
    without a matter, with codes, a PMS id, PMS messages, a deletion."""
    engine = tenths.Engine(":memory:", now=NOW)
    m = firm(engine)
    engine.upsert_code_type(CUSTOMER, external_id="task", name="Task", semantic_type="task")
    code = engine.upsert_code(CUSTOMER, external_id="L110", name="Facts", code_type_external_id="task")
    ready = [ready_entry(engine, m, n) for n in range(1, 7)]
    engine.create_entry(CUSTOMER, ALICE, id=entry_id(7), summary="No matter yet", duration_in_seconds=60)
    engine.create_entry(CUSTOMER, BOB, id=entry_id(8), initiative_id=m, summary="", notes="n", code_ids=[code.id], duration_in_seconds=0)
    for e in ready[:4]:
        engine.release_entry(CUSTOMER, ALICE, e.id)
    engine.release_succeeded(CUSTOMER, ready[0].id, external_id="PMS-1", re_release_failed_messages=["earlier"])
    engine.release_failed(CUSTOMER, ready[1].id, ["Matter closed"])
    engine.unrelease(CUSTOMER, ALICE, ready[2].id)
    engine.delete_entry(CUSTOMER, ALICE, ready[4].id)
    connector = tenths.Principal(CUSTOMER, "0000000000000000000000cc", "connector")
    after, until = (t.isoformat().replace("+00:00", "Z") for t in window())
    flat = engine.request("GET", f"/api/v1/customers/{CUSTOMER}/entries?updatedAfter={after}&updatedOnOrBefore={until}", principal=connector)
    assert flat.status == 200
    by_id = {x["entryId"]: x for x in flat.json()}
    entries = engine.list_updated(CUSTOMER, *window())
    assert len(entries) == 8 and set(by_id) == {e.id for e in entries}
    assert {e.status for e in entries} >= {"validation-succeeded", "validation-failed", "release-pending", "release-succeeded", "release-failed"}
    for e in entries:
        assert e.to_flat_dict() == by_id[e.id], e.id
    export = engine.request(
        "GET", f"/api/v1/customers/{CUSTOMER}/entries/export?releasedAfter={after}&releasedOnOrBefore={until}", principal=connector
    )
    assert export.status == 200
    exported = {x["_id"]: x for x in export.json()}
    assert exported, "something was released"
    for e in entries:
        if e.id in exported:
            assert e.to_export_dict() == exported[e.id], e.id
