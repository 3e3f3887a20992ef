"""Staff, their roles and what each role may do."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from app.domain.ids import new_uuid7


class Role(StrEnum):
    CASHIER = "cashier"
    WAITER = "waiter"
    MANAGER = "manager"


class Permission(StrEnum):
    VIEW_DIRECTORY = "view_directory"  # search and see a customer's summary
    VIEW_CUSTOMER_RECORD = "view_customer_record"  # the full record, audited
    CREATE_CUSTOMER = "create_customer"  # a quick signup at the till
    EDIT_CUSTOMER = "edit_customer"
    MANAGE_STATUS = "manage_status"  # deactivate, reactivate, block
    DELETE_CUSTOMER = "delete_customer"
    MERGE_CUSTOMERS = "merge_customers"
    MANAGE_IDENTIFIERS = "manage_identifiers"
    VIEW_AUDIT_LOG = "view_audit_log"
    CONFIGURE_DEVICES = "configure_devices"
    # Guest tabs
    OPEN_TAB = "open_tab"
    EDIT_TAB = "edit_tab"  # add lines, send orders, attach categories
    VOID_LINE = "void_line"  # a line not yet sent to the kitchen
    VOID_SENT_LINE = "void_sent_line"  # the kitchen already has it
    MOVE_TAB = "move_tab"
    SPLIT_MERGE_TAB = "split_merge_tab"
    PRINT_GUEST_CHECK = "print_guest_check"
    TAKE_PAYMENT = "take_payment"
    CLOSE_TAB = "close_tab"
    REOPEN_TAB = "reopen_tab"  # audited
    OVERRIDE_TAB_LIMIT = "override_tab_limit"  # logged
    # Accounts
    ADJUST_LEDGER = "adjust_ledger"  # adjust or reverse points and purse entries
    TOP_UP_PURSE = "top_up_purse"
    ATTACH_CUSTOMER = "attach_customer"
    # Printing
    REPRINT_RECEIPT = "reprint_receipt"  # a copy of a past receipt, marked COPY; audited


_FRONT_OF_HOUSE = frozenset(
    {
        Permission.VIEW_DIRECTORY,
        Permission.VIEW_CUSTOMER_RECORD,
        Permission.CREATE_CUSTOMER,
    }
)

# Serving a table: everything short of money and of undoing what the kitchen has.
_WAITER = _FRONT_OF_HOUSE | {
    Permission.OPEN_TAB,
    Permission.EDIT_TAB,
    Permission.VOID_LINE,
    Permission.MOVE_TAB,
    Permission.SPLIT_MERGE_TAB,
    Permission.PRINT_GUEST_CHECK,
    Permission.ATTACH_CUSTOMER,
}

# The till: a waiter's work plus taking money and closing tabs.
_CASHIER = _WAITER | {
    Permission.TAKE_PAYMENT,
    Permission.CLOSE_TAB,
    Permission.TOP_UP_PURSE,
}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.CASHIER: _CASHIER,
    Role.WAITER: _WAITER,
    Role.MANAGER: frozenset(Permission),
}


@dataclass(eq=False)
class StaffMember:
    name: str
    role: Role
    pin_hash: str = ""  # argon2id; the PIN itself is never stored
    active: bool = True
    uuid: str = field(default_factory=new_uuid7)
    id: int | None = None

    def may(self, permission: Permission) -> bool:
        return self.active and permission in ROLE_PERMISSIONS[self.role]


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is doing something: the signed-in staff member, as services see them."""

    staff_uuid: str
    name: str
    role: Role

    def may(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS[self.role]
