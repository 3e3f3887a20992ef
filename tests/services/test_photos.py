from __future__ import annotations

import pytest

from app.domain.errors import PermissionDeniedError, ValidationError
from app.services.customer_form import CustomerForm
from app.services.photos import Photo, PhotoService
from tests.support.directory import CASHIER, MANAGER, Directory

# The smallest whole JPEG: start-of-image ... end-of-image markers around a stub body.
TINY_JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64 + b"\xff\xd9"


def test_photo_is_saved_replaced_and_removed(store: Directory) -> None:
    photos = PhotoService(store.uow)
    emily = store.directory.create(MANAGER, CustomerForm(first_name="Emily")).record.id
    photos.set_photo(MANAGER, emily, Photo(TINY_JPEG, 240, 320))
    assert photos.photo(CASHIER, emily) == Photo(TINY_JPEG, 240, 320)
    photos.set_photo(MANAGER, emily, Photo(TINY_JPEG + b"\x00", 100, 100))
    assert store.count("customer_photos") == 1
    photos.set_photo(MANAGER, emily, None)
    assert photos.photo(CASHIER, emily) is None
    assert store.audit_actions().count("customer.edited") == 3


@pytest.mark.parametrize(
    ("photo", "message"),
    [
        (Photo(b"\x89PNG\r\n\x1a\n" + b"\x00" * 10, 10, 10), "not a whole JPEG"),
        (Photo(TINY_JPEG[:-2], 10, 10), "not a whole JPEG"),
        (Photo(TINY_JPEG, 2000, 1000), "must fit in 512×512"),
        (Photo(b"\xff\xd8\xff" + b"\x00" * 200_000 + b"\xff\xd9", 100, 100), "at most 150 kB"),
    ],
)
def test_bad_photos_are_refused_and_nothing_is_stored(
    store: Directory, photo: Photo, message: str
) -> None:
    photos = PhotoService(store.uow)
    emily = store.directory.create(MANAGER, CustomerForm(first_name="Emily")).record.id
    with pytest.raises(ValidationError, match=message):
        photos.set_photo(MANAGER, emily, photo)
    assert store.count("customer_photos") == 0


def test_cashier_cannot_change_a_photo(store: Directory) -> None:
    emily = store.directory.create(MANAGER, CustomerForm(first_name="Emily")).record.id
    with pytest.raises(PermissionDeniedError):
        PhotoService(store.uow).set_photo(CASHIER, emily, Photo(TINY_JPEG, 10, 10))
