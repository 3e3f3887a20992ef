"""Last-writer-wins per field, by hybrid logical clock (docs/SYNC.md, "Merging").

A field is taken when its incoming clock is greater than the stored one; head office's
node sorts after every terminal's, so it wins ties by the comparison alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.sync.documents import check_fields
from headoffice.op_context import OpContext, OpRejectedError

HEAD_OFFICE_KEYS = frozenset({"notes", "merged_into_uuid", "stats", "clocks"})


def merge_fields(
    data: dict[str, Any], fields: Mapping[str, Any], stamps: Mapping[str, str]
) -> list[str]:
    """Take each field whose stamp beats the stored clock; the names taken."""
    clocks = data.setdefault("clocks", {})
    taken = []
    for name, value in fields.items():
        stamp = stamps[name]
        if stamp > clocks.get(name, ""):
            data[name] = value
            clocks[name] = stamp
            taken.append(name)
    return taken


def checked_edit(
    ctx: OpContext,
    entity: str,
    fields: Mapping[str, Any],
    clocks: Mapping[str, Any],
    *,
    whole: bool,
) -> dict[str, str]:
    """Check an edit's fields (all of them when ``whole``: a new record) and its clocks;
    each field's clock, clamped, by name. OpRejectedError with every problem otherwise."""
    reserved = sorted(HEAD_OFFICE_KEYS & set(fields))
    if reserved:
        raise OpRejectedError(
            f"{entity} edits may not set {', '.join(reserved)}: head office keeps them"
        )
    problems = check_fields(entity, fields, whole=whole)
    if problems:
        raise OpRejectedError("; ".join(problems))
    missing = sorted(set(fields) - set(clocks))
    if missing:
        raise OpRejectedError(f"no clock sent for {', '.join(missing)}")
    stray = sorted(set(clocks) - set(fields))
    if stray:
        raise OpRejectedError(f"clocks sent for fields the edit does not carry: {', '.join(stray)}")
    return {name: ctx.incoming_clock(name, clocks[name]) for name in fields}
