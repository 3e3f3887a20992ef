"""The sync protocol's messages, version 1 (docs/SYNC.md). Head office and the terminal
both use these models, so a message one side writes is one the other side reads."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

PROTOCOL = "v1"
MAX_PUSH_OPS = 1000
DEFAULT_PULL_LIMIT = 2000
MAX_PULL_LIMIT = 10000

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_CURSOR = re.compile(r"^v1:(\d{1,19}):(\d{1,19}|max)$")
CURSOR_MAX_SEQ = 2**62

OPERATION_KINDS = frozenset(
    {
        "customer.upsert",
        "customer.note",
        "customer.deleted",
        "customers.merged",
        "identifier.upsert",
        "ledger.entry",
        "tab.closed",
        "tab.reopened",
    }
)

ENTITY_KINDS = (  # in snapshot order: what a document refers to comes before it
    "promotion_category",
    "sales_rule",
    "menu_group",
    "menu_item",
    "division",
    "dining_table",
    "customer",
    "identifier",
    "ledger_entry",
)

Uuid = Annotated[str, Field(pattern=_UUID.pattern, min_length=36, max_length=36)]


class Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ErrorCode(StrEnum):
    UNAUTHORISED = "unauthorised"
    TERMINAL_REVOKED = "terminal_revoked"
    BAD_REQUEST = "bad_request"
    ENROLMENT_REFUSED = "enrolment_refused"
    SNAPSHOT_REQUIRED = "snapshot_required"
    CURSOR_EXPIRED = "cursor_expired"
    TOO_LARGE = "too_large"
    UNAVAILABLE = "unavailable"


class ErrorBody(Message):
    error: ErrorCode
    message: str


class EnrolRequest(Message):
    code: Annotated[str, Field(min_length=4, max_length=64)]
    terminal_name: Annotated[str, Field(min_length=1, max_length=80)]


class EnrolResponse(Message):
    terminal_uuid: Uuid
    token: str
    server_time: datetime
    hlc: str


class Operation(Message):
    id: Uuid
    kind: str
    entity_uuid: Uuid
    created_at: datetime
    hlc: str = ""
    payload: dict[str, Any]

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, kind: str) -> str:
        # Unknown kinds are let through here and rejected one by one by head office,
        # so a newer terminal's operation gets a reason instead of failing the batch.
        if not kind or len(kind) > 40:
            raise ValueError("an operation kind is 1 to 40 characters")
        return kind


class PushRequest(Message):
    ops: Annotated[list[Operation], Field(max_length=MAX_PUSH_OPS)]


class OpStatus(StrEnum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


class OpResult(Message):
    id: Uuid
    status: OpStatus
    reason: str = ""


class PushResponse(Message):
    results: list[OpResult]
    txid: int
    server_time: datetime
    hlc: str


class Change(Message):
    entity: str
    uuid: Uuid
    deleted: bool = False
    data: dict[str, Any]
    version: str = ""


class PullResponse(Message):
    changes: list[Change]
    cursor: str
    more: bool
    server_time: datetime
    hlc: str


class Opening(Message):
    customer_uuid: Uuid
    account: Literal["points", "purse"]
    amount: int
    lifetime_points: int = 0


class SnapshotPage(Message):
    changes: list[Change]
    openings: list[Opening]
    page: str
    done: bool
    cursor: str
    server_time: datetime
    hlc: str


def parse_cursor(cursor: str) -> tuple[int, int]:
    """``(txid, seq)`` from a cursor; ValueError with a readable reason otherwise."""
    match = _CURSOR.match(cursor)
    if match is None:
        shown = cursor if len(cursor) <= 40 else cursor[:37] + "..."
        raise ValueError(f"not a sync cursor: {shown!r}")
    seq = CURSOR_MAX_SEQ if match[2] == "max" else int(match[2])
    return int(match[1]), seq


def format_cursor(txid: int, seq: int) -> str:
    return f"v1:{txid}:{'max' if seq >= CURSOR_MAX_SEQ else seq}"
