"""Splitting a guest tab by lines, and merging one tab into another.

Call these through :meth:`GuestTab.split` and :meth:`GuestTab.merge_from`. Lines move
as they are (sent lines stay sent); the categories staff attached follow them: a tab's
categories go to both tabs, an order's to wherever that order's lines go, a line's with
the line.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from app.domain.errors import ConflictError, ValidationError
from app.domain.promotions import AttachLevel
from app.domain.tab_parts import IdentifiedBy, TabAttachment, TabStatus, now_or

if TYPE_CHECKING:
    from app.domain.tabs import GuestTab


def _retarget(attachment: TabAttachment, orders: Mapping[int, int]) -> TabAttachment:
    """An order's attachment under its new number (a new record: the old one goes)."""
    if attachment.level is not AttachLevel.ORDER or attachment.target is None:
        return attachment
    old = int(attachment.target)
    if old not in orders or orders[old] == old:
        return attachment
    return replace(attachment, target=str(orders[old]), id=None)


def split_tab(
    source: GuestTab,
    line_uuids: Iterable[str],
    *,
    number: int,
    at: datetime | None = None,
    waiter_uuid: str | None = None,
    guests: int = 1,
) -> GuestTab:
    """Move the chosen lines to a new open tab numbered ``number`` at the same table."""
    source.require_open()
    if source.payments:
        raise ConflictError(f"Tab {source.number} has payments; it can no longer be split")
    wanted = list(dict.fromkeys(line_uuids))
    if not wanted:
        raise ValidationError.single("lines", "Choose the lines for the new tab")
    if number == source.number:
        raise ValidationError.single("number", f"The new tab needs a number other than {number}")
    moving = [source.line(line_uuid) for line_uuid in wanted]
    for line in moving:
        if line.voided:
            raise ConflictError(f"{line.name} is voided; it stays on tab {source.number}")
    if len(moving) == len(source.active_lines):
        raise ConflictError(
            f"Leave at least one line on tab {source.number}; "
            "to move the whole tab, move it to another table"
        )
    # type(source): this module sits below tabs.py, so it builds the tab through its class.
    new = type(source).open(
        number,
        terminal=source.terminal,
        waiter_uuid=waiter_uuid or source.waiter_uuid,
        division_id=source.division_id,
        table_id=source.table_id,
        guests=guests,
        at=now_or(at),
    )
    new.next_order_no = source.next_order_no  # so moved orders keep their numbers
    moved = {line.uuid for line in moving}
    orders = {line.order_no for line in moving if line.order_no is not None}
    if any(line.order_no is None for line in moving):
        orders.add(source.next_order_no)  # the order being built
    source.lines = [line for line in source.lines if line.uuid not in moved]
    new.lines = moving
    staying: list[TabAttachment] = []
    for attachment in source.attachments:
        target = attachment.target
        if attachment.level is AttachLevel.LINE and target in moved:
            new.attachments.append(attachment)
            continue
        staying.append(attachment)
        if attachment.level is AttachLevel.TAB or (
            attachment.level is AttachLevel.ORDER and target is not None and int(target) in orders
        ):
            new.attachments.append(replace(attachment, id=None))
    source.attachments = staying
    return new


def merge_tabs(into: GuestTab, other: GuestTab, at: datetime | None = None) -> None:
    """Move every line of ``other`` into ``into``; ``other`` becomes MERGED.

    ``other``'s sent orders are numbered after ``into``'s, so each number still means
    one kitchen order; ``into``'s order being built moves up behind them.
    """
    into.require_open()
    other.require_open()
    if other is into or other.uuid == into.uuid:
        raise ValidationError.single("tab", "A tab cannot be merged into itself")
    if other.payments:
        raise ConflictError(f"Tab {other.number} has payments; it can no longer be merged")
    if (
        into.customer_id is not None
        and other.customer_id is not None
        and into.customer_id != other.customer_id
    ):
        raise ConflictError(
            f"Tabs {into.number} and {other.number} are on different customers; detach one first"
        )
    if into.customer_id is None and other.customer_id is not None:
        into.customer_id, into.identified_by = other.customer_id, other.identified_by
        if other.identified_by is IdentifiedBy.CARD or into.card_identifier_id is None:
            into.card_identifier_id = other.card_identifier_id
    elif into.card_identifier_id is None:
        into.card_identifier_id = other.card_identifier_id

    current = into.next_order_no
    sent = sorted({line.order_no for line in other.lines if line.order_no is not None})
    orders = {old: current + i for i, old in enumerate(sent)}
    into.next_order_no = current + len(sent)
    orders[other.next_order_no] = into.next_order_no
    into.attachments = [_retarget(a, {current: into.next_order_no}) for a in into.attachments]
    for line in other.lines:
        if line.order_no is not None:
            line.order_no = orders[line.order_no]
    into.lines.extend(other.lines)
    for attachment in other.attachments:
        moved = _retarget(attachment, orders)
        if moved not in into.attachments:
            into.attachments.append(moved)
    into.guests += other.guests
    other.lines, other.attachments = [], []
    other.status, other.merged_into_uuid = TabStatus.MERGED, into.uuid
    other.closed_at = now_or(at)
