"""Each engine error kind arrives as its own exception class, with its data."""

from __future__ import annotations

import pathlib

import pytest

import tenths
from helpers import ALICE, BOB, CUSTOMER, MISSING, NOW, entry_id, firm, ready_entry

KINDS = [
    (tenths.InvalidArgument, "invalid_argument", (ValueError,)),
    (tenths.NotFound, "not_found", (LookupError,)),
    (tenths.Conflict, "conflict", ()),
    (tenths.Locked, "locked", ()),
    (tenths.ValidationFailed, "validation_failed", ()),
    (tenths.Unauthenticated, "unauthenticated", ()),
    (tenths.PermissionDenied, "permission_denied", ()),
    (tenths.TooLarge, "too_large", ()),
    (tenths.StorageError, "storage", ()),
    (tenths.Unavailable, "unavailable", (tenths.StorageError,)),
    (tenths.Corrupt, "corrupt", (tenths.StorageError,)),
    (tenths.IncompatibleDatabase, "incompatible_database", ()),
    (tenths.Closed, "closed", ()),
]


@pytest.mark.parametrize("cls,code,extra", KINDS, ids=[k[1] for k in KINDS])
def test_hierarchy(cls: type, code: str, extra: tuple[type, ...]) -> None:
    assert issubclass(cls, tenths.TenthsError)
    assert issubclass(cls, Exception)
    for base in extra:
        assert issubclass(cls, base)
    assert cls.code == code


@pytest.fixture
def engine() -> tenths.Engine:
    return tenths.Engine(":memory:", now=NOW)


def test_invalid_argument_names_the_field(engine: tenths.Engine) -> None:
    with pytest.raises(tenths.InvalidArgument) as info:
        engine.create_entry(CUSTOMER, ALICE, sources=[{"kind": "call", "startedAt": "2026-03-10T10:00:00Z", "endedAt": "2026-03-10T09:00:00Z"}])
    assert info.value.field == "sources[0].endedAt"
    with pytest.raises(ValueError):
        engine.get_entry(CUSTOMER, "ALICE", entry_id(1))
    with pytest.raises(tenths.InvalidArgument) as info:
        engine.get_entry(CUSTOMER, ALICE, "nope")
    assert info.value.field == "entryId"
    assert "entryId" in str(info.value)


def test_not_found_is_a_lookup_error(engine: tenths.Engine) -> None:
    with pytest.raises(LookupError):
        engine.get_entry(CUSTOMER, ALICE, MISSING)


def test_validation_failed_lists_the_rules(engine: tenths.Engine) -> None:
    m = firm(engine)
    engine.create_entry(CUSTOMER, ALICE, id=entry_id(1), initiative_id=m, summary="", duration_in_seconds=420)
    with pytest.raises(tenths.ValidationFailed) as info:
        engine.release_entry(CUSTOMER, ALICE, entry_id(1))
    assert [f.rule for f in info.value.errors] == ["summary"]
    assert isinstance(info.value.errors[0], tenths.RuleFailure)
    assert info.value.errors[0].title


def test_locked_and_conflict(engine: tenths.Engine) -> None:
    m = firm(engine)
    ready_entry(engine, m)
    engine.release_entry(CUSTOMER, ALICE, entry_id(1))
    with pytest.raises(tenths.Locked):
        engine.edit_entry(CUSTOMER, ALICE, entry_id(1), summary="changed")
    with pytest.raises(tenths.Conflict):
        engine.release_entry(CUSTOMER, ALICE, entry_id(1))


def test_too_large_batch(engine: tenths.Engine) -> None:
    with pytest.raises(tenths.TooLarge):
        engine.release_succeeded_batch(CUSTOMER, [{"entryId": entry_id(i)} for i in range(1001)])


def test_incompatible_database(tmp_path: object) -> None:
    import pathlib

    p = pathlib.Path(str(tmp_path)) / "not-a-db.sqlite"
    p.write_bytes(b"this is not a sqlite file at all" * 100)
    with pytest.raises((tenths.IncompatibleDatabase, tenths.StorageError)):
        tenths.Engine(p)


def test_a_lock_held_by_another_process_is_unavailable_and_retryable(tmp_path: object) -> None:
    """Another process keeps the write lock past the busy timeout (5 s): the write raises the
    retryable subclass of StorageError, writes nothing, and succeeds once the lock is gone. (The
    lock must come from another process: two SQLite libraries in one process do not see each
    other's locks.)"""
    import pathlib
    import subprocess
    import sys

    p = pathlib.Path(str(tmp_path)) / "firm.sqlite"
    engine = tenths.Engine(p, now=NOW)
    engine.create_entry(CUSTOMER, ALICE, duration_in_seconds=60)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sqlite3, sys; c = sqlite3.connect(sys.argv[1], isolation_level=None); "
         "c.execute('BEGIN IMMEDIATE'); print('locked', flush=True); sys.stdin.readline(); c.execute('ROLLBACK')", str(p)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(tenths.Unavailable) as info:
            engine.create_entry(CUSTOMER, ALICE, duration_in_seconds=120)
        assert isinstance(info.value, tenths.StorageError)
        assert info.value.retryable and not tenths.StorageError.retryable
        assert info.value.code == "unavailable"
    finally:
        holder.communicate("\n", timeout=30)
    engine.create_entry(CUSTOMER, ALICE, duration_in_seconds=120)
    day = NOW.date()
    assert len(engine.list_entries(CUSTOMER, ALICE, day, day)) == 2, "the refused write wrote nothing"
    engine.close()


def test_unauthenticated_and_permission_denied_through_request(engine: tenths.Engine) -> None:
    r = engine.request("GET", f"/api/v1/public/customers/{CUSTOMER}/users/{ALICE}/entries/{entry_id(1)}")
    assert r.status == 401 and r.json()["error"]["code"] == "unauthenticated"
    p = tenths.Principal(CUSTOMER, BOB, "user")
    r = engine.request("GET", f"/api/v1/public/customers/{CUSTOMER}/users/{ALICE}/entries/{entry_id(1)}", principal=p)
    assert r.status == 403 and r.json()["error"]["code"] == "permission_denied"


def test_error_repr_and_message(engine: tenths.Engine) -> None:
    with pytest.raises(tenths.TenthsError) as info:
        engine.get_entry(CUSTOMER, ALICE, MISSING)
    assert MISSING in str(info.value)
    assert info.value.message == str(info.value)
    assert info.value.field is None and info.value.errors == ()


def _damaged_database(path: pathlib.Path) -> None:
    """A tenths database of 2,000 entries whose middle fifth of pages is overwritten with random
    bytes (page 1, the header, stays sound): SQLite opens it, `PRAGMA integrity_check` does not
    pass."""
    import random

    with tenths.Engine(path, now=NOW) as engine:
        for start in (0, 1000):
            engine.import_entries(CUSTOMER, ALICE, [
                {"summary": f"Reviewed exhibit {i} of the production and noted its relevance", "notes": "privileged; " * 8,
                 "workDate": f"2026-03-{1 + i % 28:02d}", "durationInSeconds": 360}
                for i in range(start, start + 1000)
            ])
    data = bytearray(path.read_bytes())
    pages = len(data) // 4096
    assert pages > 50
    noise = random.Random(7)
    for page in range(pages * 2 // 5, pages * 3 // 5):
        data[page * 4096:(page + 1) * 4096] = noise.randbytes(4096)
    path.write_bytes(bytes(data))


def test_a_damaged_database_is_refused_untouched(tmp_path: object) -> None:
    """Decision 51: the open runs `PRAGMA quick_check` and refuses a damaged file, leaving it
    byte for byte as it was. Decision 52: opened with the check skipped, the first call that meets
    the damage raises Corrupt and every later write is refused (the file stays as it was)."""
    p = pathlib.Path(str(tmp_path)) / "firm.sqlite"
    _damaged_database(p)
    before = p.read_bytes()
    with pytest.raises(tenths.Corrupt) as info:
        tenths.Engine(p, now=NOW)
    assert isinstance(info.value, tenths.StorageError) and not info.value.retryable
    assert info.value.code == "corrupt"
    assert "quick_check" in str(info.value) and "firm.sqlite" in str(info.value)
    assert p.read_bytes() == before, "a refused open changed the file"

    engine = tenths.Engine(p, now=NOW, check_integrity=False)
    with pytest.raises(tenths.Corrupt):
        engine.list_entries(CUSTOMER, ALICE, "2026-03-01", "2026-03-31")
    with pytest.raises(tenths.Corrupt):
        engine.create_entry(CUSTOMER, ALICE, summary="Called the client", duration_in_seconds=360)
    assert engine.request("GET", "/healthz").status == 503
    engine.close()
    assert p.read_bytes() == before, "the damaged file was written to"
