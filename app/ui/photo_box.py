"""The customer's photo: shown from the store, chosen from a file, resized here, or removed.

The store only takes small JPEGs, so the UI shrinks a chosen picture to fit 512×512 and
lowers the JPEG quality until it fits the byte limit.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from app.domain.staff import Permission
from app.services.dto import Changes
from app.services.photos import MAX_BYTES, MAX_SIDE, Photo
from app.services.records import CustomerRecord
from app.ui.record_context import ERROR_STYLE, HINT_STYLE, RecordContext
from app.ui.tasks import TaskFailure

SHOWN_SIDE = 112
_QUALITIES = (90, 80, 70, 60, 50, 40, 30, 20)


class PhotoTooLargeError(ValueError):
    """Even at the lowest quality the picture would not fit the store's byte limit."""


def _jpeg(image: QImage, quality: int) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "JPEG", quality)
    buffer.close()
    return bytes(data.data())


def photo_from_image(image: QImage, max_side: int = MAX_SIDE, max_bytes: int = MAX_BYTES) -> Photo:
    """``image`` as a JPEG within ``max_side``×``max_side`` pixels and ``max_bytes`` bytes."""
    if image.width() > max_side or image.height() > max_side:
        image = image.scaled(
            max_side,
            max_side,
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
    image = image.convertToFormat(QImage.Format.Format_RGB888)  # JPEG keeps no alpha
    for quality in _QUALITIES:
        jpeg = _jpeg(image, quality)
        if len(jpeg) <= max_bytes:
            return Photo(jpeg, image.width(), image.height())
    raise PhotoTooLargeError("This picture cannot be made small enough; choose another one.")


class PhotoBox(QWidget):
    """The photo with Choose photo… and Remove; disabled until the customer is saved."""

    sig_photo_shown = Signal(int)  # 1: a photo is shown, 0: the placeholder (int: see tasks.py)
    sig_changed = Signal(object)  # Changes, after a photo was stored or removed

    def __init__(
        self,
        context: RecordContext | None,
        record: CustomerRecord | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._ctx = context
        self.record = record
        self.photo: Photo | None = None
        self.picture = QLabel()
        self.picture.setFixedSize(SHOWN_SIDE, SHOWN_SIDE)
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setStyleSheet("border: 1px solid #c4c7c5; background: #f1f3f4;")
        self.choose_button = QPushButton("Choose photo…")
        self.remove_button = QPushButton("Remove")
        self.choose_button.clicked.connect(self.choose)
        self.remove_button.clicked.connect(self.remove)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setFixedWidth(SHOWN_SIDE + 20)
        self.message.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.picture, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.choose_button)
        layout.addWidget(self.remove_button)
        layout.addWidget(self.message)
        self._may_edit = (
            context is not None and record is not None and context.may(Permission.EDIT_CUSTOMER)
        )
        if record is None:
            self._say("Add a photo once the customer is saved.", HINT_STYLE)
        self._show(None)

    def load(self) -> None:
        """Fetch the stored photo, if any."""
        if self._ctx is None or self.record is None:
            return
        service, actor, customer_id = self._ctx.photos, self._ctx.actor, self.record.id
        self._ctx.run(self, lambda: service.photo(actor, customer_id), self._show, self._failed)

    def choose(self) -> None:
        if not self._may_edit or self._ctx is None:
            return
        path = self._ctx.prompts.choose_image("Choose a photo")
        if path is not None:
            self.set_from_file(path)

    def set_from_file(self, path: Path) -> None:
        """Shrink the picture at ``path`` and store it as the customer's photo."""
        image = QImage(str(path))
        if image.isNull():
            self._say(f"“{path.name}” is not a picture this terminal can read.", ERROR_STYLE)
            return
        try:
            photo = photo_from_image(image)
        except PhotoTooLargeError as error:
            self._say(str(error), ERROR_STYLE)
            return
        self._store(photo)

    def remove(self) -> None:
        if self._may_edit and self.photo is not None:
            self._store(None)

    def _store(self, photo: Photo | None) -> None:
        assert self._ctx is not None and self.record is not None
        service, actor, customer_id = self._ctx.photos, self._ctx.actor, self.record.id
        self.choose_button.setEnabled(False)
        self.remove_button.setEnabled(False)

        def stored(changes: Changes) -> None:
            self.message.hide()
            self._show(photo)
            self.sig_changed.emit(changes)

        def refused(failure: TaskFailure) -> None:
            self._show(self.photo)
            self._failed(failure)

        self._ctx.run(self, lambda: service.set_photo(actor, customer_id, photo), stored, refused)

    def _show(self, photo: Photo | None) -> None:
        self.photo = photo
        pixmap = QPixmap()
        if photo is not None and pixmap.loadFromData(photo.jpeg, "JPEG"):
            self.picture.setPixmap(
                pixmap.scaled(
                    SHOWN_SIDE,
                    SHOWN_SIDE,
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            )
            self.picture.setToolTip(f"{photo.width}×{photo.height}, {len(photo.jpeg) // 1000} kB")
        else:
            self.picture.setPixmap(QPixmap())
            self.picture.setText("No photo")
            self.picture.setToolTip("")
        self.choose_button.setEnabled(self._may_edit)
        self.remove_button.setEnabled(self._may_edit and photo is not None)
        self.sig_photo_shown.emit(int(photo is not None))

    def _say(self, text: str, style: str) -> None:
        self.message.setStyleSheet(style)
        self.message.setText(text)
        self.message.show()

    def _failed(self, failure: TaskFailure) -> None:
        self._say(failure.message, ERROR_STYLE)
