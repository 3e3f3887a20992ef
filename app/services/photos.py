"""Customer photos: kept small (the UI resizes before saving), checked, and audited."""

from __future__ import annotations

from dataclasses import dataclass

from app.domain.audit import AuditAction
from app.domain.errors import NotFoundError, ValidationError
from app.domain.staff import Actor, Permission
from app.services.audit import require, write_audit
from app.services.dto import Changes
from app.services.ports import UnitOfWorkFactory

MAX_SIDE = 512  # pixels: enough for a face at the till, small enough to sync
MAX_BYTES = 150_000
_JPEG_START, _JPEG_END = b"\xff\xd8\xff", b"\xff\xd9"


@dataclass(frozen=True, slots=True)
class Photo:
    jpeg: bytes
    width: int
    height: int


def check_photo(photo: Photo) -> None:
    """Refuse anything but a small, whole JPEG, with a message saying what to do."""
    if not (photo.jpeg.startswith(_JPEG_START) and photo.jpeg.rstrip(b"\x00").endswith(_JPEG_END)):
        raise ValidationError.single("photo", "The photo is not a whole JPEG image; take it again.")
    if len(photo.jpeg) > MAX_BYTES:
        raise ValidationError.single(
            "photo", f"The photo is {len(photo.jpeg) // 1000} kB; at most {MAX_BYTES // 1000} kB."
        )
    if not (0 < photo.width <= MAX_SIDE and 0 < photo.height <= MAX_SIDE):
        raise ValidationError.single(
            "photo",
            f"The photo is {photo.width}×{photo.height}; it must fit in {MAX_SIDE}×{MAX_SIDE}.",
        )


class PhotoService:
    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow = uow_factory

    def photo(self, actor: Actor, customer_id: int) -> Photo | None:
        require(actor, Permission.VIEW_CUSTOMER_RECORD)
        with self._uow() as uow:
            stored = uow.customers.photo(customer_id)
            return None if stored is None else Photo(*stored)

    def set_photo(self, actor: Actor, customer_id: int, photo: Photo | None) -> Changes:
        """Replace the customer's photo, or remove it with ``None``."""
        require(actor, Permission.EDIT_CUSTOMER)
        if photo is not None:
            check_photo(photo)
        with self._uow() as uow:
            customer = uow.customers.get(customer_id)
            if customer is None:
                raise NotFoundError("That customer no longer exists; refresh the list.")
            if photo is None:
                uow.customers.remove_photo(customer_id)
                summary = f"Removed the photo of {customer.full_name}"
            else:
                uow.customers.save_photo(customer_id, photo.jpeg, photo.width, photo.height)
                summary = f"New photo for {customer.full_name} ({photo.width}×{photo.height})"
            write_audit(uow, actor, AuditAction.CUSTOMER_EDITED, customer.uuid, summary)
            uow.commit()
            return Changes(customers=True, audit=True)
