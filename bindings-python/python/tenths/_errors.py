"""The exceptions of tenths: one class per kind of engine error, all deriving from TenthsError.

The native module raises these; `code` is the kind's wire code (`invalid_argument`, `not_found`, ...),
the same code the HTTP API answers in its error body.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional, Tuple

if TYPE_CHECKING:
    from tenths._native import RuleFailure

__all__ = [
    "TenthsError",
    "InvalidArgument",
    "NotFound",
    "Conflict",
    "Locked",
    "ValidationFailed",
    "Unauthenticated",
    "PermissionDenied",
    "TooLarge",
    "StorageError",
    "Unavailable",
    "Corrupt",
    "IncompatibleDatabase",
    "Closed",
]


class TenthsError(Exception):
    """Any error of the tenths engine."""

    code: str = "internal"

    def __init__(self, message: str = "", *, field: Optional[str] = None, errors: Tuple[RuleFailure, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.errors = tuple(errors)


class InvalidArgument(TenthsError, ValueError):
    """The input is malformed or out of range; `field` names it by its wire name (`summary`, `sources[0].endedAt`)."""

    code = "invalid_argument"


class NotFound(TenthsError, LookupError):
    """The record does not exist in the caller's scope (also for other tenants' and users' records)."""

    code = "not_found"


class Conflict(TenthsError):
    """The operation is not allowed from the record's current state."""

    code = "conflict"


class Locked(TenthsError):
    """The entry is locked (released) and the operation would change it."""

    code = "locked"


class ValidationFailed(TenthsError):
    """The entry fails its validation rules, so it cannot be released; `errors` lists the failing rules."""

    code = "validation_failed"


class Unauthenticated(TenthsError):
    """No or bad credentials."""

    code = "unauthenticated"


class PermissionDenied(TenthsError):
    """The credentials do not allow this."""

    code = "permission_denied"


class TooLarge(TenthsError):
    """A body or batch is over its limit."""

    code = "too_large"


class StorageError(TenthsError):
    """The store failed (I/O, corruption), or is busy (see `Unavailable`)."""

    code = "storage"
    #: Whether the same call may succeed later unchanged.
    retryable: bool = False


class Unavailable(StorageError):
    """The store cannot answer now but may soon: another writer held the lock past the busy
    timeout, or the disk is full. Nothing was written; retry the same call later."""

    code = "unavailable"
    retryable = True


class Corrupt(StorageError):
    """The database file is damaged (its integrity check failed at open, or a statement met a
    malformed page). The engine refuses every write from then on and leaves the file as it is;
    retrying does not help: restore the file from a backup."""

    code = "corrupt"
    retryable = False


class IncompatibleDatabase(TenthsError):
    """The file is not a tenths database, or was written by a newer tenths."""

    code = "incompatible_database"


class Closed(TenthsError):
    """The engine was closed."""

    code = "closed"
