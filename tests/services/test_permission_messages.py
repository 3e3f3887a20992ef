"""Every permission a service can refuse has words for the refusal."""

from __future__ import annotations

import pytest

from app.domain.errors import PermissionDeniedError
from app.domain.staff import Actor, Permission, Role
from app.services.audit import require

NOBODY = Actor(staff_uuid="00000000-0000-7000-8000-0000000000ff", name="Nora", role=Role.WAITER)


@pytest.mark.parametrize("permission", list(Permission))
def test_a_refusal_names_what_is_missing_in_words(permission: Permission) -> None:
    if NOBODY.may(permission):
        require(NOBODY, permission)  # allowed: no error
        return
    with pytest.raises(PermissionDeniedError) as refused:
        require(NOBODY, permission)
    message = str(refused.value)
    assert message.startswith("Nora (waiter) may not ")
    assert message.endswith("; ask a manager.")
    assert "_" not in message  # words, not the permission's code
