"""The audit trail: who did what to which record, and when."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from app.domain.identifiers import utcnow
from app.domain.ids import new_uuid7


class AuditAction(StrEnum):
    CUSTOMER_CREATED = "customer.created"
    CUSTOMER_EDITED = "customer.edited"
    CUSTOMER_VIEWED = "customer.viewed"  # the full record was opened
    CUSTOMER_STATUS_CHANGED = "customer.status_changed"
    CUSTOMER_DELETED = "customer.deleted"
    CUSTOMER_DELETE_REFUSED = "customer.delete_refused"
    CUSTOMERS_MERGED = "customers.merged"
    CUSTOMERS_UNMERGED = "customers.unmerged"
    IDENTIFIER_ADDED = "identifier.added"
    IDENTIFIER_STATUS_CHANGED = "identifier.status_changed"
    IDENTIFIER_REISSUED = "identifier.reissued"
    DIRECTORY_EXPORTED = "directory.exported"
    DEVICE_CONFIGURED = "device.configured"
    DEVICE_REMOVED = "device.removed"
    RECEIPT_REPRINTED = "receipt.reprinted"  # a manager's copy, marked COPY
    TAB_LINE_VOIDED = "tab.line_voided"  # after it was sent: a manager's decision
    TAB_LIMIT_OVERRIDDEN = "tab.limit_overridden"
    TAB_REOPENED = "tab.reopened"
    LEDGER_ADJUSTED = "ledger.adjusted"
    LEDGER_REVERSED = "ledger.reversed"
    PURSE_TOPPED_UP = "ledger.purse_topped_up"
    PURSE_WITHDRAWN = "ledger.purse_withdrawn"  # money paid back out of the purse
    POINTS_EXPIRED = "ledger.points_expired"
    CUSTOMER_LIMITS_CHANGED = "customer.limits_changed"  # credit or guest-tab limit


@dataclass(eq=False)
class AuditEntry:
    action: AuditAction
    actor_uuid: str
    actor_name: str
    entity_uuid: str
    summary: str  # one line a manager reads: "Phone +44… added; status active → blocked"
    detail: str = ""  # JSON with the fields that changed (never card track data)
    at: datetime = field(default_factory=utcnow)
    uuid: str = field(default_factory=new_uuid7)
    id: int | None = None
