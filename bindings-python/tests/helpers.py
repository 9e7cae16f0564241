"""Shared fixtures' building blocks: fixed ids, a fixed clock, a firm with one matter."""

from __future__ import annotations

import datetime as dt
from typing import Tuple

import tenths

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 3, 10, 12, 0, 0, tzinfo=UTC)
CUSTOMER = "c00000000000000000000001"
OTHER_CUSTOMER = "c00000000000000000000002"
ALICE = "a00000000000000000000001"
BOB = "b00000000000000000000002"
MISSING = "f00000000000000000000009"


def entry_id(n: int) -> str:
    return f"e{n:023x}"


def firm(engine: tenths.Engine, customer: str = CUSTOMER) -> str:
    """Imports client CL-1 and matter M-1 (360 s units); returns the matter's id."""
    engine.upsert_client(customer, external_id="CL-1", name="Acme Holdings", call_sign="ACME")
    m = engine.upsert_initiative(customer, external_id="M-1", name="Matter M-1", client_external_id="CL-1", billing_type="billable", unit_increments=360)
    return m.id


def ready_entry(engine: tenths.Engine, matter: str, n: int = 1, user: str = ALICE, seconds: int = 420) -> tenths.Entry:
    """A validation-succeeded entry with a fixed id."""
    e, _ = engine.create_entry(CUSTOMER, user, id=entry_id(n), initiative_id=matter, summary="Drafted motion", duration_in_seconds=seconds)
    return e


def window() -> Tuple[dt.datetime, dt.datetime]:
    return NOW - dt.timedelta(days=30), NOW + dt.timedelta(days=30)
