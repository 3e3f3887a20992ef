"""Every permission for every role, written out: the matrix is a decision, not a derivation."""

from __future__ import annotations

import pytest

from app.domain.staff import ROLE_PERMISSIONS, Actor, Permission, Role, StaffMember

Y, N = True, False

# permission                        waiter cashier manager
EXPECTED: dict[Permission, tuple[bool, bool, bool]] = {
    Permission.VIEW_DIRECTORY: (Y, Y, Y),
    Permission.VIEW_CUSTOMER_RECORD: (Y, Y, Y),
    Permission.CREATE_CUSTOMER: (Y, Y, Y),
    Permission.EDIT_CUSTOMER: (N, N, Y),
    Permission.MANAGE_STATUS: (N, N, Y),
    Permission.DELETE_CUSTOMER: (N, N, Y),
    Permission.MERGE_CUSTOMERS: (N, N, Y),
    Permission.MANAGE_IDENTIFIERS: (N, N, Y),
    Permission.VIEW_AUDIT_LOG: (N, N, Y),
    Permission.CONFIGURE_DEVICES: (N, N, Y),
    Permission.OPEN_TAB: (Y, Y, Y),
    Permission.EDIT_TAB: (Y, Y, Y),
    Permission.VOID_LINE: (Y, Y, Y),
    Permission.VOID_SENT_LINE: (N, N, Y),
    Permission.MOVE_TAB: (Y, Y, Y),
    Permission.SPLIT_MERGE_TAB: (Y, Y, Y),
    Permission.PRINT_GUEST_CHECK: (Y, Y, Y),
    Permission.TAKE_PAYMENT: (N, Y, Y),
    Permission.CLOSE_TAB: (N, Y, Y),
    Permission.REOPEN_TAB: (N, N, Y),
    Permission.OVERRIDE_TAB_LIMIT: (N, N, Y),
    Permission.ADJUST_LEDGER: (N, N, Y),
    Permission.TOP_UP_PURSE: (N, Y, Y),
    Permission.ATTACH_CUSTOMER: (Y, Y, Y),
    Permission.REPRINT_RECEIPT: (N, N, Y),
}

ROLES = (Role.WAITER, Role.CASHIER, Role.MANAGER)
CASES = [
    pytest.param(role, permission, row[column], id=f"{role.value}-{permission.value}")
    for permission, row in EXPECTED.items()
    for column, role in enumerate(ROLES)
]


def test_the_table_names_every_permission_and_every_role() -> None:
    assert set(EXPECTED) == set(Permission)
    assert set(ROLES) == set(Role) == set(ROLE_PERMISSIONS)


@pytest.mark.parametrize(("role", "permission", "allowed"), CASES)
def test_role_may_exactly_what_the_table_says(
    role: Role, permission: Permission, allowed: bool
) -> None:
    actor = Actor(staff_uuid="s-1", name="Sam", role=role)
    member = StaffMember(name="Sam", role=role)
    assert actor.may(permission) is allowed
    assert member.may(permission) is allowed


@pytest.mark.parametrize("role", ROLES)
def test_an_inactive_member_may_nothing(role: Role) -> None:
    member = StaffMember(name="Former", role=role, active=False)
    assert not any(member.may(permission) for permission in Permission)
