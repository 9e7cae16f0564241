"""Offline-first sync from Python: two device engines syncing through a real ``tenths serve``
over HTTP with `tenths.HttpTransport` (offline edits on both, convergence, the conflict log),
and a Python transport over an in-process server engine (quarantine, transport failures).

The server binary is ``$TENTHS_BIN`` (scripts/test-python sets it), else the workspace's
``target/debug/tenths``, built with cargo when missing."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
from pathlib import Path
from typing import Any, Iterator, List, Optional, Sequence, Tuple

import pytest

import tenths
from helpers import ALICE, CUSTOMER, NOW, UTC, entry_id

SECRET = "python-sync-secret"
ROOT = Path(__file__).resolve().parents[2]
MATTER_BODY = {"externalId": "M-1", "name": "Acme v. Widget", "clientExternalId": "CL-1", "billingType": "billable", "unitIncrements": 360}


def tenths_bin() -> Path:
    env = os.environ.get("TENTHS_BIN")
    if env:
        return Path(env)
    path = ROOT / "target" / "debug" / "tenths"
    if not path.exists():
        subprocess.run(["cargo", "build", "--locked", "-p", "tenths-cli", "--bin", "tenths"], cwd=ROOT, check=True)
    return path


def token(user: str, role: tenths.Role = "user") -> str:
    return tenths.mint_token(SECRET, tenths.Principal(CUSTOMER, user, role), dt.datetime.now(UTC) + dt.timedelta(hours=1))


class Server:
    """A running ``tenths serve`` on a free loopback port."""

    def __init__(self, process: subprocess.Popen[str], base_url: str) -> None:
        self.process = process
        self.base_url = base_url

    def call(self, method: str, path: str, bearer: str, body: Optional[Any] = None) -> Tuple[int, Any]:
        """One request through the stdlib transport: the status and the JSON body."""
        data = b"" if body is None else json.dumps(body).encode()
        status, _, answer = tenths.HttpTransport(self.base_url, bearer).send(method, path, [("Content-Type", "application/json")], data)
        return status, (json.loads(answer) if answer.strip() else None)


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[Server]:
    env = dict(os.environ, TENTHS_JWT_SECRET=SECRET, RUST_LOG="warn")
    process = subprocess.Popen(
        [str(tenths_bin()), "serve", "--db", str(tmp_path / "server.sqlite"), "--addr", "127.0.0.1:0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        assert line.startswith("listening on "), line
        yield Server(process, line[len("listening on ") :])
    finally:
        process.terminate()
        process.wait(timeout=30)


def seed_matter(server: Server) -> str:
    """A client and a matter on the server (a connector's import); answers the matter's id."""
    connector = token("cc0000000000000000000001", "connector")
    status, _ = server.call("POST", f"/api/v1/customers/{CUSTOMER}/clients/import", connector, {"externalId": "CL-1", "name": "Acme"})
    assert status == 201
    status, matter = server.call("POST", f"/api/v1/customers/{CUSTOMER}/initiatives/import", connector, MATTER_BODY)
    assert status == 201, matter
    return str(matter["_id"])


def assert_clean(device: tenths.Engine) -> None:
    status = device.sync_status(CUSTOMER, ALICE)
    assert status.pending == 0
    assert status.last_error is None
    assert status.push_in_flight is False
    assert status.last_success_at is not None and status.last_success_at.tzinfo is not None


def test_two_devices_converge_through_tenths_serve_over_http(server: Server, tmp_path: Path) -> None:
    matter = seed_matter(server)
    http = tenths.HttpTransport(server.base_url, token(ALICE))
    e1 = entry_id(1)
    with tenths.Engine(tmp_path / "a.sqlite") as a, tenths.Engine(tmp_path / "b.sqlite") as b:
        # Both devices learn the reference data (so they validate offline).
        for device in (a, b):
            first = device.sync(http, CUSTOMER, ALICE)
            assert (first.pushed, first.pulled) == (0, 0)
            assert [m.id for m in device.list_initiatives(CUSTOMER)] == [matter]
            assert device.sync_status(CUSTOMER, ALICE).cursor.reference_seq > 0

        # Created offline on A, pushed; the server keeps A's id and applies the unit math.
        a.create_entry(CUSTOMER, ALICE, id=e1, initiative_id=matter, summary="Drafted motion", duration_in_seconds=420, work_date="2026-03-02")
        pending = a.sync_status(CUSTOMER, ALICE)
        assert pending.pending == 1 and pending.oldest_pending_at is not None
        pushed = a.sync(http, CUSTOMER, ALICE)
        assert (pushed.pushed, pushed.applied, pushed.quarantined) == (1, 1, 0)
        assert pushed.to_dict()["applied"] == 1
        assert_clean(a)
        status, on_server = server.call("GET", f"/api/v1/public/customers/{CUSTOMER}/users/{ALICE}/entries/{e1}", token(ALICE))
        assert status == 200, on_server
        assert (on_server["summary"], on_server["incrementDurationInSeconds"]) == ("Drafted motion", 720)

        # B pulls it.
        pulled = b.sync(http, CUSTOMER, ALICE)
        assert pulled.pulled == 1
        assert b.get_entry(CUSTOMER, ALICE, e1).summary == "Drafted motion"

        # Offline on both: the same field (summary) and one field each.
        a.edit_entry(CUSTOMER, ALICE, e1, summary="Drafted motion to dismiss", notes="Filed on ECF")
        b.edit_entry(CUSTOMER, ALICE, e1, summary="Drafted the motion (B)", unit_increment_count_adjustments=1)
        a.sync(http, CUSTOMER, ALICE)  # A first: its summary reaches the server
        b_report = b.sync(http, CUSTOMER, ALICE)  # B: summary conflicts (server wins), its adjustment goes up
        assert b_report.conflicts >= 1
        a.sync(http, CUSTOMER, ALICE)  # A picks up B's adjustment

        got_a, got_b = a.get_entry(CUSTOMER, ALICE, e1), b.get_entry(CUSTOMER, ALICE, e1)
        _, on_server = server.call("GET", f"/api/v1/public/customers/{CUSTOMER}/users/{ALICE}/entries/{e1}", token(ALICE))
        for copy in (got_a.to_dict(), got_b.to_dict(), on_server):
            assert copy["summary"] == "Drafted motion to dismiss"
            assert copy["notes"] == "Filed on ECF"
            assert copy["unitIncrementCountAdjustments"] == 1
            assert copy["incrementDurationInSeconds"] == 1080
        assert got_a.version == got_b.version
        assert got_a.to_dict() == got_b.to_dict()
        for device in (a, b):
            assert_clean(device)

        # The lost value is in B's conflict log, not in A's.
        assert a.sync_conflicts(CUSTOMER) == []
        conflicts = b.sync_conflicts(CUSTOMER)
        assert [(c.entry_id, c.field, c.local_value, c.server_value) for c in conflicts] == [(e1, "summary", "Drafted the motion (B)", "Drafted motion to dismiss")]
        assert isinstance(conflicts[0], tenths.SyncConflict) and conflicts[0].at.tzinfo is not None
        assert b.sync_status(CUSTOMER, ALICE).conflicts == 1

        # Nothing new: a no-op sync moves nothing.
        idle = b.sync(http, CUSTOMER, ALICE)
        assert (idle.pushed, idle.pulled, idle.conflicts) == (0, 0, 0)


def test_http_transport_errors(server: Server, tmp_path: Path) -> None:
    with tenths.Engine(tmp_path / "a.sqlite") as a:
        a.create_entry(CUSTOMER, ALICE, id=entry_id(2), summary="Offline call", duration_in_seconds=300, work_date="2026-03-02")
        # A refused token is the server's answer: Unauthenticated, kept as the last error.
        with pytest.raises(tenths.Unauthenticated):
            a.sync(tenths.HttpTransport(server.base_url, "not-a-token"), CUSTOMER, ALICE)
        status = a.sync_status(CUSTOMER, ALICE)
        assert status.pending == 1 and status.last_error is not None and "unauthenticated" in status.last_error
        # Nothing listens: the exchange fails, a StorageError naming the transport.
        with pytest.raises(tenths.StorageError, match="transport"):
            a.sync(tenths.HttpTransport("http://127.0.0.1:9", token(ALICE), timeout=5), CUSTOMER, ALICE)
        # The next good sync finishes the job.
        report = a.sync(tenths.HttpTransport(server.base_url + "/", token(ALICE)), CUSTOMER, ALICE)
        assert report.applied == 1
        assert_clean(a)
    with pytest.raises(ValueError):
        tenths.HttpTransport("127.0.0.1:8080", "t")


class InProcess:
    """A `tenths.Transport` over a server engine in the same process, as a trusted principal."""

    def __init__(self, server: tenths.Engine, user: str = ALICE) -> None:
        self.server = server
        self.principal = tenths.Principal(CUSTOMER, user)
        self.calls: List[str] = []
        self.fail: Optional[Exception] = None

    def send(self, method: str, path: str, headers: List[Tuple[str, str]], body: bytes) -> Tuple[int, Sequence[Tuple[str, str]], bytes]:
        self.calls.append(f"{method} {path.split('?')[0].rsplit('/', 1)[-1]}")
        if self.fail is not None:
            raise self.fail
        r = self.server.request(method, path, headers, body, principal=self.principal)
        return r.status, r.headers, r.body


@pytest.fixture()
def in_process() -> Iterator[Tuple[tenths.Engine, tenths.Engine, InProcess, str]]:
    with tenths.Engine(":memory:", now=NOW) as server, tenths.Engine(":memory:", now=NOW) as device:
        server.upsert_client(CUSTOMER, external_id="CL-1", name="Acme")
        matter = server.upsert_initiative(CUSTOMER, external_id="M-1", name="Acme v. Widget", client_external_id="CL-1", billing_type="billable", unit_increments=360).id
        transport = InProcess(server)
        device.sync(transport, CUSTOMER, ALICE)
        yield server, device, transport, matter


def test_in_process_transport_round_trip(in_process: Tuple[tenths.Engine, tenths.Engine, InProcess, str]) -> None:
    server, device, transport, matter = in_process
    assert transport.calls == ["GET changes"]
    device.create_entry(CUSTOMER, ALICE, id=entry_id(3), initiative_id=matter, summary="Research", duration_in_seconds=420)
    report = device.sync(transport, CUSTOMER, ALICE)
    assert isinstance(report, tenths.SyncReport)
    assert (report.pushed, report.applied) == (1, 1)
    assert transport.calls[1:] == ["POST push", "GET changes"]
    assert server.get_entry(CUSTOMER, ALICE, entry_id(3)).unit_increment_count == 2

    server.edit_entry(CUSTOMER, ALICE, entry_id(3), notes="From the web app")
    assert device.sync(transport, CUSTOMER, ALICE).pulled == 1
    assert device.get_entry(CUSTOMER, ALICE, entry_id(3)).notes == "From the web app"
    status = device.sync_status(CUSTOMER, ALICE)
    assert isinstance(status, tenths.SyncStatus) and isinstance(status.cursor, tenths.SyncCursor)
    assert status.cursor.entry_seq > 0 and status.pending == 0


def test_a_raising_or_malformed_transport_is_a_transport_error(in_process: Tuple[tenths.Engine, tenths.Engine, InProcess, str]) -> None:
    server, device, transport, _ = in_process
    device.create_entry(CUSTOMER, ALICE, id=entry_id(4), summary="Offline", duration_in_seconds=60)
    transport.fail = ConnectionError("no network")
    with pytest.raises(tenths.StorageError, match="ConnectionError: no network"):
        device.sync(transport, CUSTOMER, ALICE)
    status = device.sync_status(CUSTOMER, ALICE)
    assert status.pending == 1 and status.last_error is not None and "no network" in status.last_error

    class Garbage:
        def send(self, method: str, path: str, headers: List[Tuple[str, str]], body: bytes) -> Any:
            return "not a tuple"

    with pytest.raises(tenths.StorageError, match="tuple"):
        device.sync(Garbage(), CUSTOMER, ALICE)
    with pytest.raises(tenths.InvalidArgument):
        device.sync(object(), CUSTOMER, ALICE)  # type: ignore[arg-type]
    with pytest.raises(tenths.InvalidArgument):
        device.sync(transport, "nope", ALICE)

    transport.fail = None
    assert device.sync(transport, CUSTOMER, ALICE).applied == 1
    assert server.get_entry(CUSTOMER, ALICE, entry_id(4)).summary == "Offline"


def test_an_edit_of_an_entry_released_on_the_server_is_quarantined(in_process: Tuple[tenths.Engine, tenths.Engine, InProcess, str]) -> None:
    server, device, transport, matter = in_process
    e = entry_id(5)
    device.create_entry(CUSTOMER, ALICE, id=e, initiative_id=matter, summary="Hearing prep", duration_in_seconds=420)
    device.sync(transport, CUSTOMER, ALICE)
    server.release_entry(CUSTOMER, ALICE, e)
    device.edit_entry(CUSTOMER, ALICE, e, summary="Hearing prep, revised")
    report = device.sync(transport, CUSTOMER, ALICE)
    assert report.quarantined == 1

    quarantined = device.sync_quarantined(CUSTOMER)
    assert [(q.entry_id, q.code) for q in quarantined] == [(e, "locked")]
    assert isinstance(quarantined[0], tenths.QuarantinedChange)
    assert quarantined[0].local["summary"] == "Hearing prep, revised"
    assert isinstance(quarantined[0].failures, tuple)
    assert device.sync_status(CUSTOMER, ALICE).quarantined == 1
    shown = device.get_entry(CUSTOMER, ALICE, e)
    assert shown.summary == "Hearing prep" and shown.is_locked

    device.sync_discard_local_changes(CUSTOMER, e)
    assert device.sync_quarantined(CUSTOMER) == []
    assert device.sync_status(CUSTOMER, ALICE).quarantined == 0
    with pytest.raises(tenths.TenthsError):
        device.sync_retry(CUSTOMER, e)  # nothing left to retry
    assert server.get_entry(CUSTOMER, ALICE, e).summary == "Hearing prep"
