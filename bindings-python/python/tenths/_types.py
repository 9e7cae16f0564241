"""String enums of the wire, as unions of `typing.Literal` values (values are plain `str`)."""

from __future__ import annotations

from typing import Literal, Union

__all__ = [
    "Status",
    "Rounding",
    "BillingType",
    "InitiativeType",
    "InitiativeStatus",
    "AccessKind",
    "SourceKind",
    "ReleaseDayMode",
    "Role",
    "AssignedBy",
]

Status = Union[
    Literal["validation-pending"],
    Literal["validation-failed"],
    Literal["validation-succeeded"],
    Literal["release-pending"],
    Literal["release-succeeded"],
    Literal["release-failed"],
]
Rounding = Union[
    Literal["up"],
    Literal["nearest"],
    Literal["down"],
]
BillingType = Union[
    Literal["billable"],
    Literal["non-billable"],
]
InitiativeType = Union[
    Literal["pms"],
    Literal["temporary"],
]
InitiativeStatus = Union[
    Literal["active"],
    Literal["inactive"],
]
AccessKind = Union[
    Literal["allow"],
    Literal["deny"],
]
SourceKind = Union[
    Literal["email"],
    Literal["document"],
    Literal["call"],
    Literal["meeting"],
    Literal["research"],
    Literal["manual"],
    Literal["timer"],
]
ReleaseDayMode = Union[
    Literal["all-or-nothing"],
    Literal["ready-subset"],
]
Role = Union[
    Literal["user"],
    Literal["delegate"],
    Literal["admin"],
    Literal["connector"],
]
AssignedBy = Union[
    Literal["user"],
    Literal["system"],
]
