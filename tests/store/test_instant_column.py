"""Instants go into the store as UTC text and come back as aware UTC datetimes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.dialects import sqlite

from app.store.types import UTCDateTime

COLUMN = UTCDateTime()
DIALECT = sqlite.dialect()


def test_a_local_instant_is_stored_as_utc_text_and_read_back_equal() -> None:
    paris = datetime(2026, 7, 1, 19, 5, 3, 120, tzinfo=timezone(timedelta(hours=2)))
    text = COLUMN.process_bind_param(paris, DIALECT)
    assert text == "2026-07-01T17:05:03.000120Z"
    back = COLUMN.process_result_value(text, DIALECT)
    assert back == paris and back is not None and back.tzinfo is UTC


def test_naive_instants_are_refused_both_ways() -> None:
    with pytest.raises(ValueError, match="naive"):
        COLUMN.process_bind_param(datetime(2026, 7, 1, 19, 5), DIALECT)
    with pytest.raises(ValueError, match="no time zone"):
        COLUMN.process_result_value("2026-07-01T19:05:00", DIALECT)
