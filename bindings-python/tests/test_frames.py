"""Data frames: `Engine.entries_frame` and `Engine.export_frame` as pandas DataFrames and pyarrow
Tables, every column compared with the records' values for entries in several statuses, with
nulls, codes, a deletion and users in different time zones; the column types; and the error that
names the extra to install when pandas or pyarrow is missing."""

from __future__ import annotations

import datetime as dt
import math
import re
import sys
from pathlib import Path
from typing import Any, Callable, Dict, List, Literal

import pandas as pd
import pyarrow as pa
import pytest

import tenths

from helpers import ALICE, BOB, CUSTOMER, NOW, entry_id, firm, ready_entry, window

UTC = dt.timezone.utc


def _matter_name(e: tenths.Entry) -> str | None:
    return e.initiative.name if e.initiative is not None else None


# Columns whose value is not the record's attribute of the same (snake_case) name.
SPECIAL: Dict[str, Callable[[tenths.Entry], Any]] = {
    "_id": lambda e: e.id,
    "initiativeName": _matter_name,
    "codes": lambda e: ";".join(f"{c.code_type_external_id}:{c.external_id}" for c in e.codes),
    # The entered duration: manual entries without sources keep it (their raw seconds).
    "enteredDurationInSeconds": lambda e: None if e.sources else e.raw_seconds,
}
DATES = {"workDate"}
TIMESTAMPS = {"createdAt", "updatedAt", "lastReleasePendingAt", "lastReleaseFailedAt", "releaseSuccessAt", "lastSyncedAt"}
NULLABLE_INTS = {"enteredDurationInSeconds"}


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def expected(e: tenths.Entry, column: str) -> Any:
    if column in SPECIAL:
        return SPECIAL[column](e)
    return getattr(e, _snake(column))


@pytest.fixture
def engine(tmp_path: Path) -> tenths.Engine:
    """A file database: users in Los Angeles and Tokyo, entries in every status, with and
    without a matter, notes, codes and sources, a PMS id, a deletion."""
    engine = tenths.Engine(str(tmp_path / "frames.sqlite"), now=NOW)
    m = firm(engine)
    engine.upsert_initiative(CUSTOMER, external_id="M-2", name="No client", billing_type="billable", unit_increments=360)
    engine.update_user_settings(CUSTOMER, ALICE, timezone="America/Los_Angeles")
    engine.update_user_settings(CUSTOMER, BOB, timezone="Asia/Tokyo")
    engine.upsert_code_type(CUSTOMER, external_id="task", name="Task", semantic_type="task")
    code = engine.upsert_code(CUSTOMER, external_id="L110", name="Facts", code_type_external_id="task")
    ready = [ready_entry(engine, m, n) for n in range(1, 6)]
    # 02:00-02:30 UTC: the 9th in Los Angeles, the 10th in Tokyo.
    early = [tenths.SourceInput("call", NOW - dt.timedelta(hours=10), NOW - dt.timedelta(hours=9, minutes=30))]
    engine.create_entry(CUSTOMER, ALICE, id=entry_id(6), initiative_id=m, summary="Call", sources=early)
    engine.create_entry(CUSTOMER, BOB, id=entry_id(7), initiative_id=m, summary="Call", notes="from Tokyo", sources=early, code_ids=[code.id])
    engine.create_entry(CUSTOMER, ALICE, id=entry_id(8), summary="No matter yet", duration_in_seconds=60)
    no_client = engine.list_initiatives(CUSTOMER)
    other = next(i.id for i in no_client if i.external_id == "M-2")
    engine.create_entry(CUSTOMER, BOB, id=entry_id(9), initiative_id=other, summary="Research", duration_in_seconds=3600)
    for e in ready[:4]:
        engine.release_entry(CUSTOMER, ALICE, e.id)
    engine.release_entry(CUSTOMER, BOB, entry_id(9))
    engine.release_succeeded(CUSTOMER, ready[0].id, external_id="PMS-1")
    engine.release_failed(CUSTOMER, ready[1].id, ["Matter closed"])
    engine.unrelease(CUSTOMER, ALICE, ready[2].id)
    engine.delete_entry(CUSTOMER, ALICE, ready[4].id)
    return engine


def _pandas_values(frame: Any, column: str) -> List[Any]:
    out: List[Any] = []
    for v in frame[column].tolist():
        if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v)):
            out.append(None)
        elif isinstance(v, pd.Timestamp):
            out.append(v.to_pydatetime())
        else:
            out.append(v)
    return out


def _check_pandas(frame: Any, records: List[tenths.Entry]) -> None:
    assert isinstance(frame, pd.DataFrame) and len(frame) == len(records)
    for column in frame.columns:
        dtype = frame[column].dtype
        values = _pandas_values(frame, column)
        want = [expected(e, column) for e in records]
        assert values == want, column
        if column in TIMESTAMPS:
            assert isinstance(dtype, pd.DatetimeTZDtype) and str(dtype.tz) == "UTC", (column, dtype)
            assert all(v is None or v.tzinfo is not None for v in values)
        elif column in DATES:
            assert dtype == object and all(type(v) is dt.date for v in values), column
        elif column in NULLABLE_INTS:
            assert str(dtype) == "Int64", (column, dtype)
        elif isinstance(want[0], bool):
            assert str(dtype) == "bool", (column, dtype)
        elif isinstance(want[0], int):
            assert str(dtype) == "int64", (column, dtype)
        else:
            assert isinstance(dtype, pd.StringDtype), (column, dtype)


def _check_arrow(table: Any, records: List[tenths.Entry]) -> None:
    assert isinstance(table, pa.Table) and table.num_rows == len(records)
    for column in table.column_names:
        kind = table.schema.field(column).type
        want = [expected(e, column) for e in records]
        assert table.column(column).to_pylist() == want, column
        if column in TIMESTAMPS:
            assert kind == pa.timestamp("ms", tz="UTC"), (column, kind)
        elif column in DATES:
            assert kind == pa.date32(), (column, kind)
        elif column in NULLABLE_INTS or isinstance(want[0], int) and not isinstance(want[0], bool):
            assert kind == pa.int64(), (column, kind)
        elif isinstance(want[0], bool):
            assert kind == pa.bool_(), (column, kind)
        else:
            assert kind == pa.string(), (column, kind)


def test_entries_frame_holds_every_records_value(engine: tenths.Engine) -> None:
    records = engine.list_updated(CUSTOMER, *window())
    assert len(records) == 9
    assert {e.status for e in records} >= {"validation-succeeded", "validation-failed", "release-pending", "release-succeeded", "release-failed"}
    # The time zones made different work dates of the same instant.
    assert {e.user_id: e.work_date for e in records if e.id in (entry_id(6), entry_id(7))} == {ALICE: dt.date(2026, 3, 9), BOB: dt.date(2026, 3, 10)}
    frame = engine.entries_frame(CUSTOMER, *window())
    assert list(frame.columns)[:5] == ["_id", "customerId", "userId", "status", "workDate"]
    _check_pandas(frame, records)
    # Nulls, and values present, in the frame: a column of each kind holds both.
    for column in ("notes", "initiativeId", "clientExternalId", "externalId", "enteredDurationInSeconds", "releaseSuccessAt", "lastReleaseFailedAt"):
        assert frame[column].isna().any() and frame[column].notna().any(), column
    assert frame["isDeleted"].sum() == 1 and (frame["codes"] == "task:L110").sum() == 1
    _check_arrow(engine.entries_frame(CUSTOMER, *window(), format="arrow"), records)


def test_export_frame_holds_the_export_window(engine: tenths.Engine) -> None:
    records = engine.export_released(CUSTOMER, *window())
    assert {e.status for e in records} == {"release-pending", "release-succeeded"} and len(records) == 3
    frame = engine.export_frame(CUSTOMER, *window())
    _check_pandas(frame, records)
    assert (frame["externalId"] == "PMS-1").sum() == 1
    _check_arrow(engine.export_frame(CUSTOMER, *window(), format="arrow"), records)


def test_an_empty_window_keeps_the_column_types(engine: tenths.Engine) -> None:
    after = NOW + dt.timedelta(days=400)
    frame = engine.entries_frame(CUSTOMER, after, after + dt.timedelta(days=1))
    assert len(frame) == 0 and str(frame["releaseCount"].dtype) == "int64" and isinstance(frame["createdAt"].dtype, pd.DatetimeTZDtype)
    table = engine.export_frame(CUSTOMER, after, after + dt.timedelta(days=1), format="arrow")
    assert table.num_rows == 0 and table.schema.field("workDate").type == pa.date32()


@pytest.mark.parametrize(("module", "fmt", "extra"), [("pandas", "pandas", "tenths[pandas]"), ("pyarrow", "arrow", "tenths[arrow]")])
def test_a_missing_library_names_the_extra(engine: tenths.Engine, monkeypatch: pytest.MonkeyPatch, module: str, fmt: Literal["pandas", "arrow"], extra: str) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # `import module` now raises ImportError
    for method in (engine.entries_frame, engine.export_frame):
        with pytest.raises(ImportError, match=re.escape(extra)) as caught:
            method(CUSTOMER, *window(), format=fmt)
        assert module in str(caught.value) and method.__name__ in str(caught.value)


def test_bad_format_and_window_name_the_field(engine: tenths.Engine) -> None:
    with pytest.raises(tenths.InvalidArgument) as bad:
        engine.entries_frame(CUSTOMER, *window(), format="polars")  # type: ignore[arg-type]
    assert bad.value.field == "format"
    after, until = window()
    with pytest.raises(tenths.InvalidArgument) as reversed_window:
        engine.export_frame(CUSTOMER, until, after)
    assert reversed_window.value.field is not None
