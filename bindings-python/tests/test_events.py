"""The change-event log through the binding (issue 16): an entry's history and the customer's
events as typed records, paged by cursor."""

from __future__ import annotations

import datetime as dt

import pytest

import tenths
from helpers import ALICE, CUSTOMER, NOW, entry_id, firm, ready_entry


def test_history_and_events_are_typed_records() -> None:
    engine = tenths.Engine(":memory:", now=NOW)
    m = firm(engine)
    e = ready_entry(engine, m)
    engine.release_entry(CUSTOMER, ALICE, e.id)
    page = engine.entry_history(CUSTOMER, ALICE, e.id)
    assert [ev.kind for ev in page.events] == ["entry.created", "entry.released"]
    assert page.next_cursor is None
    released = page.events[1]
    assert isinstance(released, tenths.ChangeEvent)
    assert (released.role, released.operation, released.actor_id, released.entry_id) == ("user", "release", ALICE, entry_id(1))
    assert isinstance(released.at, dt.datetime) and released.device_at is None
    status = next(c for c in released.changes if c.field == "status")
    assert isinstance(status, tenths.FieldChange)
    assert (status.before, status.after) == ("validation-succeeded", "release-pending")
    first = engine.entry_history(CUSTOMER, ALICE, e.id, page_size=1)
    assert len(first.events) == 1 and first.next_cursor == page.events[0].event_id
    rest = engine.entry_history(CUSTOMER, ALICE, e.id, page_size=1, cursor=first.next_cursor)
    assert [ev.event_id for ev in rest.events] == [released.event_id]
    window = engine.events(CUSTOMER, NOW - dt.timedelta(days=1), NOW + dt.timedelta(days=1))
    assert [ev.event_id for ev in window.events] == [ev.event_id for ev in page.events]


def test_bad_paging_input_names_the_field() -> None:
    engine = tenths.Engine(":memory:", now=NOW)
    e = ready_entry(engine, firm(engine))
    with pytest.raises(tenths.InvalidArgument) as err:
        engine.entry_history(CUSTOMER, ALICE, e.id, cursor=entry_id(99))
    assert err.value.field == "cursor"
    with pytest.raises(tenths.InvalidArgument) as err:
        engine.events(CUSTOMER, NOW, NOW - dt.timedelta(days=1))
    assert err.value.field == "onOrBefore"
    with pytest.raises(tenths.NotFound):
        engine.entry_history(CUSTOMER, "b00000000000000000000002", e.id)
