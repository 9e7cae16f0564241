"""tenths: billable legal time entries over SQLite, for Python.

One `Engine` per database file (or ``":memory:"``) decides every rule of the tenths core: unit
math, the status machine, validation, timers, overlap, release and export. Records are frozen
classes with ``to_dict()`` giving their exact wire shape; errors are subclasses of `TenthsError`.

    >>> import tenths
    >>> with tenths.Engine(":memory:") as engine:
    ...     entry, _ = engine.create_entry("64b7f0c2a1b2c3d4e5f60001", "64b7f0c2a1b2c3d4e5f60002",
    ...                                    summary="Reviewed the lease", duration_in_seconds=420)
    ...     entry.unit_increment_count
    2
"""

from tenths._errors import (
    Closed,
    Conflict,
    IncompatibleDatabase,
    InvalidArgument,
    Locked,
    NotFound,
    PermissionDenied,
    StorageError,
    TenthsError,
    TooLarge,
    Unauthenticated,
    ValidationFailed,
)
from tenths._native import (
    BatchItemResult,
    Client,
    ClientRef,
    Code,
    CodeType,
    CustomerSettings,
    Engine,
    Entry,
    EntryIterator,
    Initiative,
    InitiativeRef,
    NotReady,
    Page,
    Principal,
    ReleaseDayResult,
    ReleaseFailure,
    ReleaseSucceededItem,
    Response,
    RuleFailure,
    Source,
    SourceInput,
    Total,
    UserSettings,
    ValidationRules,
    WorkCode,
    __version__,
    mint_token,
    new_object_id,
    parse_object_id,
    units_from_raw,
)
from tenths._types import (
    AccessKind,
    AssignedBy,
    BillingType,
    InitiativeStatus,
    InitiativeType,
    ReleaseDayMode,
    Role,
    Rounding,
    SourceKind,
    Status,
)

__all__ = [
    "AccessKind",
    "AssignedBy",
    "BatchItemResult",
    "BillingType",
    "Client",
    "ClientRef",
    "Closed",
    "Code",
    "CodeType",
    "Conflict",
    "CustomerSettings",
    "Engine",
    "Entry",
    "EntryIterator",
    "IncompatibleDatabase",
    "Initiative",
    "InitiativeRef",
    "InitiativeStatus",
    "InitiativeType",
    "InvalidArgument",
    "Locked",
    "NotFound",
    "NotReady",
    "Page",
    "PermissionDenied",
    "Principal",
    "ReleaseDayMode",
    "ReleaseDayResult",
    "ReleaseFailure",
    "ReleaseSucceededItem",
    "Response",
    "Role",
    "Rounding",
    "RuleFailure",
    "Source",
    "SourceInput",
    "SourceKind",
    "Status",
    "StorageError",
    "TenthsError",
    "TooLarge",
    "Total",
    "Unauthenticated",
    "UserSettings",
    "ValidationFailed",
    "ValidationRules",
    "WorkCode",
    "__version__",
    "mint_token",
    "new_object_id",
    "parse_object_id",
    "units_from_raw",
]

# Offline-first sync: the transport protocol, the stdlib HTTP transport, the records.
from tenths._sync import (  # noqa: E402
    HttpTransport,
    QuarantinedChange,
    SyncConflict,
    SyncCursor,
    SyncReport,
    SyncStatus,
    Transport,
)

__all__ += [
    "HttpTransport",
    "QuarantinedChange",
    "SyncConflict",
    "SyncCursor",
    "SyncReport",
    "SyncStatus",
    "Transport",
]
