"""Bad input through every method: each argument of each engine method, one at a time, gets each
class of bad value. The call may succeed (when the value is acceptable) or raise a tenths error
(or Python's TypeError for a value of a plainly wrong type where the signature says `int`), but
never a PanicException, never a StorageError, and never leaves a broken engine behind."""

from __future__ import annotations

import datetime as dt
import inspect
from pathlib import Path
from typing import Any, Callable, Dict

import pytest

import tenths
from helpers import ALICE, CUSTOMER, NOW, UTC, entry_id, firm, ready_entry


class Weird:
    def __str__(self) -> str:
        raise RuntimeError("no str")


BAD: list[Any] = [
    None,
    0,
    -1,
    2**63,
    -(2**63) - 1,
    2**200,
    1.5,
    float("nan"),
    float("inf"),
    True,
    "",
    " ",
    "x" * 20_000,
    "a\x00b",
    "\ud800",
    "Ｅ00000000000000000000001",
    "e" * 24,
    "2026-02-30",
    "9999-12-31T23:59:59.999Z",
    "1969-12-31T23:59:59Z",
    [],
    [None],
    [1.5, "x"],
    {},
    {"summary": 1},
    {"kind": "call"},
    b"bytes",
    Weird(),
    dt.datetime(2026, 3, 10, 12),  # naive
    dt.date(2026, 3, 10),
    dt.datetime(1, 1, 1, tzinfo=UTC),
    dt.datetime.max.replace(tzinfo=UTC),
    dt.timedelta(seconds=5),
    object(),
]

E1 = entry_id(1)
WIDE = ("2026-01-01T00:00:00Z", "2026-12-31T00:00:00Z")

# A valid call of every method; each argument is then replaced by each bad value in turn.
CALLS: Dict[str, Dict[str, Any]] = {
    "customer_settings": {"customer_id": CUSTOMER},
    "update_customer_settings": {"customer_id": CUSTOMER, "rounding": "up", "timezone": "UTC", "default_unit_increments": 360, "minimum_one_unit": True, "allow_post_release_edit": False},
    "user_settings": {"customer_id": CUSTOMER, "user_id": ALICE},
    "update_user_settings": {"customer_id": CUSTOMER, "user_id": ALICE, "timezone": "UTC"},
    "upsert_client": {"customer_id": CUSTOMER, "external_id": "CL-9", "name": "N", "call_sign": "C", "description": "D"},
    "upsert_code_type": {"customer_id": CUSTOMER, "external_id": "task", "name": "Task", "semantic_type": "task"},
    "upsert_code": {"customer_id": CUSTOMER, "external_id": "L1", "name": "N", "code_type_external_id": "task", "description": "D", "is_disabled": False},
    "upsert_initiative": {
        "customer_id": CUSTOMER, "external_id": "M-9", "name": "N", "billing_type": "billable", "unit_increments": 360,
        "description": "D", "call_sign": "C", "client_external_id": "CL-1", "status": "active", "kind": "pms",
    },
    "set_initiative_codes": {"customer_id": CUSTOMER, "initiative_external_id": "M-1", "code_external_ids": ["L1"]},
    "set_initiative_access": {"customer_id": CUSTOMER, "initiative_external_id": "M-1", "kind": "deny", "user_ids": [ALICE]},
    "set_validation_rules": {
        "customer_id": CUSTOMER, "initiative_external_id": "M-1", "required_code_type_external_ids": ["task"], "is_summary_required": True,
        "cannot_release_future_work": True, "cannot_release_negative_increment": True, "cannot_release_zero_increment": True,
    },
    "list_initiatives": {"customer_id": CUSTOMER},
    "list_codes": {"customer_id": CUSTOMER},
    "list_clients": {"customer_id": CUSTOMER},
    "create_entry": {
        "customer_id": CUSTOMER, "user_id": ALICE, "id": entry_id(7), "summary": "S", "notes": "N", "work_date": "2026-03-10", "code_ids": [],
        "sources": [{"kind": "call", "startedAt": "2026-03-10T10:00:00Z", "endedAt": "2026-03-10T10:05:00Z"}], "creation_method": "manual",
        "enrichment_correlation_id": "X", "actor_id": ALICE,
    },
    "import_entries": {"customer_id": CUSTOMER, "user_id": ALICE, "entries": [{"summary": "S", "durationInSeconds": 60}], "actor_id": ALICE},
    "get_entry": {"customer_id": CUSTOMER, "user_id": ALICE, "entry_id": E1, "actor_id": ALICE},
    "list_entries": {"customer_id": CUSTOMER, "user_id": ALICE, "work_date_from": "2026-03-01", "work_date_to": "2026-03-31", "actor_id": ALICE},
    "edit_entry": {
        "customer_id": CUSTOMER, "user_id": ALICE, "entry_id": E1, "summary": "S", "notes": "N", "work_date": dt.date(2026, 3, 9), "code_ids": [],
        "unit_increment_count_adjustments": 1, "timer_duration_adjustment_in_seconds": 0, "actor_id": ALICE,
    },
    "override_entry": {"customer_id": CUSTOMER, "user_id": ALICE, "entry_id": E1, "summary": "S", "unit_increment_count_adjustments": 1, "code_ids": [], "work_date": "2026-03-09", "actor_id": ALICE},
    "delete_entry": {"customer_id": CUSTOMER, "user_id": ALICE, "entry_id": E1, "actor_id": ALICE},
    "release_entry": {"customer_id": CUSTOMER, "user_id": ALICE, "entry_id": E1, "actor_id": ALICE},
    "release_day": {"customer_id": CUSTOMER, "user_id": ALICE, "work_date": "2026-03-10", "mode": "ready-subset", "actor_id": ALICE},
    "release_succeeded": {"customer_id": CUSTOMER, "entry_id": E1, "user_id": ALICE, "external_id": "PMS-1", "re_release_failed_messages": ["m"]},
    "release_succeeded_batch": {"customer_id": CUSTOMER, "entries": [{"entryId": E1, "externalId": "PMS-1"}]},
    "release_failed": {"customer_id": CUSTOMER, "entry_id": E1, "errors": ["m"], "user_id": ALICE},
    "unrelease": {"customer_id": CUSTOMER, "user_id": ALICE, "entry_id": E1, "actor_id": ALICE},
    "start_timer": {"customer_id": CUSTOMER, "user_id": ALICE, "id": entry_id(8), "summary": "S", "actor_id": ALICE},
    "stop_timer": {"customer_id": CUSTOMER, "user_id": ALICE, "entry_id": E1, "actor_id": ALICE},
    "resume_timer": {"customer_id": CUSTOMER, "user_id": ALICE, "entry_id": E1, "actor_id": ALICE},
    "list_updated": {"customer_id": CUSTOMER, "after": WIDE[0], "on_or_before": WIDE[1]},
    "list_updated_page": {"customer_id": CUSTOMER, "after": WIDE[0], "on_or_before": WIDE[1], "page_size": 10, "cursor": E1},
    "iter_updated": {"customer_id": CUSTOMER, "after": WIDE[0], "on_or_before": WIDE[1], "page_size": 10},
    "export_released": {"customer_id": CUSTOMER, "after": WIDE[0], "on_or_before": WIDE[1]},
    "export_released_page": {"customer_id": CUSTOMER, "after": WIDE[0], "on_or_before": WIDE[1], "page_size": 10, "cursor": E1},
    "iter_export": {"customer_id": CUSTOMER, "after": WIDE[0], "on_or_before": WIDE[1], "page_size": 10},
    "export_csv": {"customer_id": CUSTOMER, "after": WIDE[0], "on_or_before": WIDE[1]},
    "entries_frame": {"customer_id": CUSTOMER, "after": WIDE[0], "on_or_before": WIDE[1], "format": "pandas"},
    "export_frame": {"customer_id": CUSTOMER, "after": WIDE[0], "on_or_before": WIDE[1], "format": "arrow"},
    "totals": {"customer_id": CUSTOMER, "work_date_from": "2026-03-01", "work_date_to": "2026-03-31", "user_id": ALICE},
    "entry_history": {"customer_id": CUSTOMER, "user_id": ALICE, "entry_id": E1, "page_size": 10, "cursor": None, "sees_deleted": True},
    "events": {"customer_id": CUSTOMER, "after": WIDE[0], "on_or_before": WIDE[1], "page_size": 10, "cursor": None},
    "set_clock": {"now": NOW},
    "advance_clock": {"seconds": 1, "millis": 1},
    "set_jwt_secret": {"secret": "s"},
    "request": {"method": "GET", "path": "/healthz", "headers": {"X": "y"}, "body": b"", "principal": tenths.Principal(CUSTOMER, ALICE)},
}



class ServerTransport:
    """A `tenths.Transport` over a server engine in this process (for the sync methods)."""

    def __init__(self) -> None:
        self.server = tenths.Engine(":memory:", now=NOW)

    def send(self, method: str, path: str, headers: list[tuple[str, str]], body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        r = self.server.request(method, path, headers, body, principal=tenths.Principal(CUSTOMER, ALICE))
        return r.status, r.headers, r.body


CALLS.update(
    {
        "sync": {"transport": ServerTransport(), "customer_id": CUSTOMER, "user_id": ALICE},
        "sync_status": {"customer_id": CUSTOMER, "user_id": ALICE},
        "sync_quarantined": {"customer_id": CUSTOMER},
        "sync_retry": {"customer_id": CUSTOMER, "entry_id": E1},
        "sync_discard_local_changes": {"customer_id": CUSTOMER, "entry_id": E1},
        "sync_conflicts": {"customer_id": CUSTOMER},
    }
)

NOT_ENGINE_OPERATIONS = {"close", "now", "path", "closed"}


def test_every_public_method_is_covered() -> None:
    methods = {n for n in dir(tenths.Engine) if not n.startswith("_")}
    assert methods - NOT_ENGINE_OPERATIONS == set(CALLS)


def fresh() -> tenths.Engine:
    engine = tenths.Engine(":memory:", now=NOW)
    m = firm(engine)
    engine.upsert_code_type(CUSTOMER, external_id="task", name="Task", semantic_type="task")
    engine.upsert_code(CUSTOMER, external_id="L1", name="N", code_type_external_id="task")
    ready_entry(engine, m)
    return engine


def outcome(call: Callable[[], Any]) -> str:
    try:
        r = call()
        if isinstance(r, tenths.EntryIterator):
            list(r)
        return "ok"
    except BaseException as e:  # noqa: BLE001 - a PanicException derives from BaseException
        if type(e).__name__ == "PanicException":
            return f"PANIC {e!r}"
        if isinstance(e, tenths.StorageError):
            return f"STORAGE {e!r}"
        if isinstance(e, (tenths.TenthsError, TypeError)):
            return "error"
        return f"UNEXPECTED {type(e).__name__}: {e!r}"


@pytest.mark.parametrize("method", sorted(CALLS))
def test_bad_values_never_panic(method: str) -> None:
    engine = fresh()
    base = CALLS[method]
    assert outcome(lambda: getattr(engine, method)(**base)) in ("ok", "error")
    problems = []
    for name in base:
        for bad in BAD:
            engine = fresh()
            args = dict(base)
            args[name] = bad
            got = outcome(lambda: getattr(engine, method)(**args))
            if got not in ("ok", "error"):
                problems.append(f"{method}({name}={bad!r:.60}): {got}")
            # The engine is still usable afterwards.
            if not engine.closed:
                assert engine.customer_settings(CUSTOMER).rounding in ("up", "nearest", "down")
    assert not problems, "\n".join(problems)


def test_module_functions_with_bad_values(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # `Engine(bad)` may create a file named after the value
    problems = []
    for bad in BAD:
        for call in (
            lambda: tenths.units_from_raw(bad, 360),
            lambda: tenths.units_from_raw(60, bad),
            lambda: tenths.units_from_raw(60, 360, bad),
            lambda: tenths.units_from_raw(60, 360, "up", bad),
            lambda: tenths.parse_object_id(bad),
            lambda: tenths.mint_token(bad, tenths.Principal(CUSTOMER, ALICE), NOW),
            lambda: tenths.mint_token("s", bad, NOW),
            lambda: tenths.mint_token("s", tenths.Principal(CUSTOMER, ALICE), bad),
            lambda: tenths.mint_token("s", tenths.Principal(bad, ALICE, bad, bad), NOW),
            lambda: tenths.Engine(bad),
            lambda: tenths.Engine(":memory:", now=bad),
            lambda: fresh().request("GET", "/healthz", principal=tenths.Principal(CUSTOMER, ALICE, bad, [bad])),
            lambda: fresh().create_entry(CUSTOMER, ALICE, sources=[tenths.SourceInput(bad, NOW, NOW)]),
            lambda: fresh().create_entry(CUSTOMER, ALICE, sources=[tenths.SourceInput("call", bad, NOW, bad)]),
            lambda: fresh().release_succeeded_batch(CUSTOMER, [tenths.ReleaseSucceededItem(bad, bad, bad, bad)]),
        ):
            got = outcome(call)
            if got not in ("ok", "error"):
                problems.append(f"{inspect.getsource(call).strip()[:80]} with {bad!r:.40}: {got}")
    assert not problems, "\n".join(problems)
