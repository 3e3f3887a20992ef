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


_FRONT_OF_HOUSE = frozenset(
    {
        Permission.VIEW_DIRECTORY,
        Permission.VIEW_CUSTOMER_RECORD,
        Permission.CREATE_CUSTOMER,
    }
)

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.CASHIER: _FRONT_OF_HOUSE,
    Role.WAITER: _FRONT_OF_HOUSE,
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
