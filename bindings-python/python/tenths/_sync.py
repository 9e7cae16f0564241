"""Offline-first sync for Python hosts: the transport protocol, an HTTP transport over the
standard library, and the records the ``Engine.sync*`` methods return.

A transport moves one request of the router's shape to the server of record and back. Any
object with a matching ``send`` method is one (`Transport`); `HttpTransport` talks to
``tenths serve`` (or any server of the same API) over HTTP with a bearer token. In the same
process, a server `Engine`'s ``request`` makes one in a few lines::

    class InProcess:
        def __init__(self, server: tenths.Engine, principal: tenths.Principal) -> None:
            self.server, self.principal = server, principal

        def send(self, method, path, headers, body):
            r = self.server.request(method, path, headers, body, principal=self.principal)
            return r.status, r.headers, r.body
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import urllib.error
import urllib.request
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Protocol, Sequence, Tuple

if TYPE_CHECKING:
    from tenths._native import RuleFailure

__all__ = [
    "HttpTransport",
    "QuarantinedChange",
    "SyncConflict",
    "SyncCursor",
    "SyncReport",
    "SyncStatus",
    "Transport",
]


class Transport(Protocol):
    """Anything that performs one request of the router's shape and answers the response.

    ``send(method, path, headers, body)`` gets the HTTP method (``"GET"``, ``"POST"``), the
    path with its query string (``/api/v1/public/customers/…/sync/push``), the headers as
    ``(name, value)`` pairs and the body bytes. It returns ``(status, headers, body)``: the
    status code, the response headers as ``(name, value)`` pairs and the body bytes, for every
    exchange that completed, *including* 4xx and 5xx answers (the engine reads them). It
    raises only when the exchange failed (no connection, timeout): the sync then stops with a
    `StorageError` naming the transport and the exception, kept in
    ``sync_status().last_error``; the next sync takes up where it stopped.

    The transport owns authentication (add the ``Authorization`` header), retries and
    scheduling. It is called on the thread that called `Engine.sync`, with the GIL held.
    """

    def send(self, method: str, path: str, headers: List[Tuple[str, str]], body: bytes) -> Tuple[int, Sequence[Tuple[str, str]], bytes]: ...


class HttpTransport:
    """A `Transport` over HTTP with the standard library (`urllib.request`).

    ``base_url`` is the server's scheme, host and port (``http://127.0.0.1:8080``; a trailing
    ``/`` is ignored); every request carries ``Authorization: Bearer <token>``. ``timeout`` is
    in seconds, per request. HTTP error statuses are answers, not exceptions.
    """

    def __init__(self, base_url: str, token: str, *, timeout: float = 60.0) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must start with http:// or https://, not {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._authorization = f"Bearer {token}"

    def __repr__(self) -> str:
        return f"HttpTransport({self.base_url!r})"

    def send(self, method: str, path: str, headers: List[Tuple[str, str]], body: bytes) -> Tuple[int, Sequence[Tuple[str, str]], bytes]:
        """Performs one request; see `Transport`."""
        data = body if body or method.upper() not in ("GET", "HEAD", "DELETE") else None
        request = urllib.request.Request(self.base_url + path, data=data, method=method.upper())
        for name, value in headers:
            request.add_header(name, value)
        request.add_header("Authorization", self._authorization)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return int(response.status), list(response.headers.items()), bytes(response.read())
        except urllib.error.HTTPError as answer:
            try:
                return int(answer.code), list(answer.headers.items()), bytes(answer.read())
            finally:
                answer.close()


def _at(value: Any) -> _dt.datetime:
    """An RFC 3339 string of the wire as a UTC `datetime`."""
    text = str(value)
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    return _dt.datetime.fromisoformat(text).astimezone(_dt.timezone.utc)


def _instant(value: Any) -> Optional[_dt.datetime]:
    """An optional RFC 3339 string as a UTC `datetime` (``None`` stays ``None``)."""
    return None if value is None else _at(value)


@dataclasses.dataclass(frozen=True)
class SyncReport:
    """What one `Engine.sync` did, in total."""

    pushed: int
    """Operations sent (a resent batch counts again)."""
    applied: int
    """Operations the server applied."""
    conflicts: int
    """Fields where the server's value replaced a local change (see `Engine.sync_conflicts`)."""
    quarantined: int
    """Local changes the server refused (see `Engine.sync_quarantined`)."""
    pulled: int
    """Entries written from the server's feed."""

    @classmethod
    def _from_wire(cls, wire: Mapping[str, Any]) -> SyncReport:
        return cls(pushed=wire["pushed"], applied=wire["applied"], conflicts=wire["conflicts"], quarantined=wire["quarantined"], pulled=wire["pulled"])

    def to_dict(self) -> Dict[str, Any]:
        """The report in its wire shape (camelCase keys)."""
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class SyncCursor:
    """A device's pull position in the server's feed."""

    entry_seq: int
    reference_seq: int


@dataclasses.dataclass(frozen=True)
class SyncStatus:
    """A device's sync state, for the app to show."""

    pending: int
    """Entries with local changes not yet acknowledged by the server."""
    oldest_pending_at: Optional[_dt.datetime]
    """When the oldest of them last changed here (UTC), if any."""
    quarantined: int
    """Local changes the server refused."""
    conflicts: int
    """Entries in the conflict log."""
    push_in_flight: bool
    """Whether a pushed batch waits for its answer (the next sync resends it first)."""
    last_error: Optional[str]
    """The last sync's error, cleared by a successful sync."""
    last_success_at: Optional[_dt.datetime]
    """When a sync last finished without error (UTC)."""
    cursor: SyncCursor
    """The pull position."""

    @classmethod
    def _from_wire(cls, wire: Mapping[str, Any]) -> SyncStatus:
        cursor = wire["cursor"]
        return cls(
            pending=wire["pending"],
            oldest_pending_at=_instant(wire.get("oldestPendingAt")),
            quarantined=wire["quarantined"],
            conflicts=wire["conflicts"],
            push_in_flight=wire["pushInFlight"],
            last_error=wire.get("lastError"),
            last_success_at=_instant(wire.get("lastSuccessAt")),
            cursor=SyncCursor(entry_seq=cursor["entrySeq"], reference_seq=cursor["referenceSeq"]),
        )


@dataclasses.dataclass(frozen=True)
class QuarantinedChange:
    """A local change the server refused. It waits for the user: edit the entry then
    `Engine.sync_retry`, or `Engine.sync_discard_local_changes`."""

    entry_id: str
    code: str
    """``locked``, ``validation_failed``, ``not_found``, ``invalid_argument``, …"""
    reason: str
    failures: Tuple[RuleFailure, ...]
    """The failing rules, for ``validation_failed``."""
    local: Dict[str, Any] = dataclasses.field(hash=False)
    """The refused copy of the entry as sync moves it (wire shape, camelCase keys)."""
    at: _dt.datetime
    """When it was refused (UTC)."""

    @classmethod
    def _from_wire(cls, wire: Mapping[str, Any]) -> QuarantinedChange:
        return cls(
            entry_id=wire["entryId"],
            code=wire["code"],
            reason=wire["reason"],
            failures=tuple(wire["failures"]),
            local=dict(wire["local"]),
            at=_at(wire["at"]),
        )


@dataclasses.dataclass(frozen=True)
class SyncConflict:
    """One local value that lost to the server's (both sides changed the same field)."""

    seq: int
    """The log's order."""
    entry_id: str
    field: str
    """The wire name of the field: ``summary``, ``notes``, ``workDate``, ``codeIds``, …"""
    local_value: Any = dataclasses.field(hash=False)
    """The lost local value (JSON: ``str``, ``None``, ``list``, …)."""
    server_value: Any = dataclasses.field(hash=False)
    """The server's value that was kept."""
    at: _dt.datetime
    """When the conflict was resolved (UTC)."""

    @classmethod
    def _from_wire(cls, wire: Mapping[str, Any]) -> SyncConflict:
        return cls(
            seq=wire["seq"],
            entry_id=wire["entryId"],
            field=wire["field"],
            local_value=wire["localValue"],
            server_value=wire["serverValue"],
            at=_at(wire["at"]),
        )
