"""Writing the audit trail and checking permissions: every service goes through here."""

from __future__ import annotations

import json
from collections.abc import Mapping

from app.domain.audit import AuditAction, AuditEntry
from app.domain.errors import PermissionDeniedError
from app.domain.staff import Actor, Permission
from app.services.ports import UnitOfWork

_DENIED = {
    Permission.VIEW_DIRECTORY: "search the directory",
    Permission.VIEW_CUSTOMER_RECORD: "open a customer's record",
    Permission.CREATE_CUSTOMER: "add customers",
    Permission.EDIT_CUSTOMER: "edit customers",
    Permission.MANAGE_STATUS: "deactivate, reactivate or block customers",
    Permission.DELETE_CUSTOMER: "delete customers",
    Permission.MERGE_CUSTOMERS: "merge customers",
    Permission.MANAGE_IDENTIFIERS: "issue, block or re-issue cards",
    Permission.VIEW_AUDIT_LOG: "read the audit log",
    Permission.CONFIGURE_DEVICES: "set up card readers, scanners or caller ID",
    Permission.OPEN_TAB: "open guest tabs",
    Permission.EDIT_TAB: "change guest tabs",
    Permission.VOID_LINE: "void lines",
    Permission.VOID_SENT_LINE: "void a line the kitchen already has",
    Permission.MOVE_TAB: "move tabs between tables",
    Permission.SPLIT_MERGE_TAB: "split or merge tabs",
    Permission.PRINT_GUEST_CHECK: "print guest checks",
    Permission.TAKE_PAYMENT: "take payments",
    Permission.CLOSE_TAB: "close tabs",
    Permission.REOPEN_TAB: "reopen a closed tab",
    Permission.OVERRIDE_TAB_LIMIT: "let a tab go over its limit",
    Permission.ADJUST_LEDGER: "adjust or reverse points and purse entries",
    Permission.TOP_UP_PURSE: "top up a customer's purse",
    Permission.ATTACH_CUSTOMER: "attach customers to tabs",
    Permission.REPRINT_RECEIPT: "reprint past receipts",
}


def require(actor: Actor, permission: Permission) -> None:
    """Refuse, with a message naming what is missing, unless ``actor`` may do this."""
    if not actor.may(permission):
        raise PermissionDeniedError(
            f"{actor.name} ({actor.role.value}) may not {_DENIED[permission]}; ask a manager."
        )


def write_audit(
    uow: UnitOfWork,
    actor: Actor,
    action: AuditAction,
    entity_uuid: str,
    summary: str,
    detail: Mapping[str, object] | None = None,
) -> None:
    """Add an audit entry to the unit of work; it commits, or rolls back, with the change."""
    uow.audit.record(
        AuditEntry(
            action=action,
            actor_uuid=actor.staff_uuid,
            actor_name=actor.name,
            entity_uuid=entity_uuid,
            summary=summary[:500],
            detail=json.dumps(detail, default=str, ensure_ascii=False) if detail else "",
        )
    )
