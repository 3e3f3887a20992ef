"""Head office's answers as the wire protocol spells them, for canned servers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from app.domain.ids import new_uuid7

HO_HLC = "1795435200000-0000-~headoffice"  # 2026-11-23 12:00 UTC
SERVER_TIME = datetime(2026, 11, 23, 12, 0, tzinfo=UTC).isoformat()
CURSOR = "v1:7:3"
TERMINAL = "01900000-0000-7000-8000-00000000000a"


def enrolled(terminal_uuid: str = TERMINAL) -> dict[str, Any]:
    return {
        "terminal_uuid": terminal_uuid,
        "token": f"{terminal_uuid}.s3cret",
        "server_time": SERVER_TIME,
        "hlc": HO_HLC,
    }


def pushed(ops: Sequence[dict[str, Any]], status: str = "applied", txid: int = 9) -> dict[str, Any]:
    return {
        "results": [{"id": op["id"], "status": status, "reason": ""} for op in ops],
        "txid": txid,
        "server_time": SERVER_TIME,
        "hlc": HO_HLC,
    }


def pulled(
    changes: Sequence[dict[str, Any]] = (), cursor: str = CURSOR, more: bool = False
) -> dict[str, Any]:
    return {
        "changes": list(changes),
        "cursor": cursor,
        "more": more,
        "server_time": SERVER_TIME,
        "hlc": HO_HLC,
    }


def snapshot_page(
    changes: Sequence[dict[str, Any]] = (),
    *,
    page: str = "",
    done: bool = True,
    cursor: str = "v1:6:max",
    openings: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    return {
        "changes": list(changes),
        "openings": list(openings),
        "page": page,
        "done": done,
        "cursor": cursor,
        "server_time": SERVER_TIME,
        "hlc": HO_HLC,
    }


def error(code: str, message: str) -> dict[str, str]:
    return {"error": code, "message": message}


def category(name: str = "Regulars") -> dict[str, Any]:
    return {
        "entity": "promotion_category",
        "uuid": new_uuid7(),
        "deleted": False,
        "data": {"name": name},
        "version": "",
    }
