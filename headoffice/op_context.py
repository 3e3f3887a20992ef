"""What applying one operation needs, and the two ways it can end other than "applied"."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert

from app.domain.errors import ValidationError
from app.domain.hlc import HEAD_OFFICE_NODE, HybridClock, parse_stamp
from app.sync.documents import Field, check_value, is_uuid
from headoffice.schema import clamped_clocks


class OpRejectedError(Exception):
    """The operation can never apply; ``str()`` is the reason the terminal shows.
    ``resend``: documents ``(entity, uuid)`` to send to terminals again although nothing
    else changed (a refused deletion brings the customer back to the terminal)."""

    def __init__(self, reason: str, *, resend: Sequence[tuple[str, str]] = ()) -> None:
        super().__init__(reason)
        self.resend = tuple(resend)


class AlreadyAppliedError(Exception):
    """What the operation does was done before under another operation id (a ledger
    entry's uuid seen already): the operation is answered ``duplicate``."""


@dataclass
class OpContext:
    """One operation being applied: the connection (inside its savepoint), who sent it
    and head office's clock."""

    conn: Connection
    terminal_uuid: str
    op_id: str
    clock: HybridClock
    now: datetime

    def stamp(self) -> str:
        """A new head-office clock stamp, for a field head office itself changes."""
        return str(self.clock.now())

    def incoming_clock(self, name: str, text: object) -> str:
        """A terminal's stamp for ``name``, checked, cut back to head office's time + the
        skew bound when it runs further ahead (recorded), and observed."""
        try:
            stamp = parse_stamp(text)
        except ValidationError as error:
            raise OpRejectedError(f"the clock of {name} is wrong: {error}") from None
        if stamp.node == HEAD_OFFICE_NODE:
            raise OpRejectedError(
                f"the clock of {name} claims head office's node; a terminal may not"
            )
        clamped = self.clock.clamp(stamp)
        if clamped != stamp:
            self.conn.execute(
                insert(clamped_clocks).values(
                    op_id=self.op_id,
                    terminal_uuid=self.terminal_uuid,
                    field=printable(name)[:64],
                    sent=str(stamp),
                    clamped_to=str(clamped),
                    recorded_at=self.now,
                )
            )
        self.clock.observe(clamped)
        return str(clamped)


def require_keys(payload: Mapping[str, Any], allowed: Mapping[str, Field], what: str) -> None:
    """Reject a payload with a key it should not have, or a value that does not fit."""
    for key in payload:
        if key not in allowed:
            raise OpRejectedError(f"{what} has no field {key!r}")
    for key, spec in allowed.items():
        if key not in payload:
            if spec.required:
                raise OpRejectedError(f"{what} needs {key}")
            continue
        problem = check_value(key, spec, payload[key])
        if problem is not None:
            raise OpRejectedError(f"{what}: {problem}")


def require_uuid(value: object, name: str) -> str:
    if not is_uuid(value):
        raise OpRejectedError(f"{name} must be a lower-case uuid")
    assert isinstance(value, str)
    return value


UUID_FIELD = Field("uuid", required=True, nullable=False)
OBJECT_FIELD = Field("object", required=True, nullable=False)
CLOCK_FIELD = Field("text", required=True, nullable=False, max_length=64)


def printable(text: str) -> str:
    """``text`` with the NUL character (which PostgreSQL's text refuses) made visible."""
    return text.replace("\x00", "\\x00")
