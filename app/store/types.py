"""Column types that keep the store's promises: UTC instants and exact decimals."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Dialect, Enum, String, TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """An instant stored as ISO-8601 UTC text ("2026-11-23T08:52:40.123456Z").

    Text sorts in time order in SQLite, and naive datetimes are refused rather than
    guessed at, so local time never leaks into the store.
    """

    impl = String(32)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; pass an aware UTC instant")
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    def process_result_value(self, value: str | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        # fromisoformat reads the "Z" (Python 3.11+) and is far cheaper than strptime; a
        # value with no zone is refused, never guessed to be local time.
        instant = datetime.fromisoformat(value)
        if instant.tzinfo is None:
            raise ValueError(f"the store holds an instant with no time zone: {value!r}")
        return instant.astimezone(UTC)


class DecimalText(TypeDecorator[Decimal]):
    """A Decimal rate stored as its exact text ("0.20"), never through a float."""

    impl = String(24)
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> str | None:
        return None if value is None else str(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(value)


def enum_column(enum_type: type[StrEnum], length: int = 24) -> Enum:
    """A StrEnum stored by value as plain text, without a database enum type."""
    return Enum(
        enum_type,
        values_callable=lambda members: [m.value for m in members],
        native_enum=False,
        create_constraint=False,
        length=length,
        validate_strings=True,
    )
