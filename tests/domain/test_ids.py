from __future__ import annotations

import time
import uuid

from app.domain.ids import new_uuid7, uuid7_time_ms


def test_uuid7_has_version_variant_and_time() -> None:
    before = time.time_ns() // 1_000_000
    value = uuid.UUID(new_uuid7())
    assert value.version == 7
    assert value.variant == uuid.RFC_4122
    assert before <= uuid7_time_ms(str(value)) <= time.time_ns() // 1_000_000 + 1


def test_uuid7_sorts_in_creation_order_even_within_a_millisecond() -> None:
    values = [new_uuid7() for _ in range(5_000)]
    assert values == sorted(values)
    assert len(set(values)) == len(values)
