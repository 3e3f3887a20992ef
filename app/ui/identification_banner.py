"""The strip at the top of the till that says who was just swiped, tapped or rang.

It shows the customer's face (photo, or initials), name, status, category, last visit
and, so that nobody misses them, their allergies; and it offers what can be done next:
open the record, enrol an unknown card on a customer, or sign a new customer up. The
photo is read on the store's thread; a later swipe makes an earlier answer moot.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.devices.resolution import Resolved
from app.domain.staff import Permission
from app.services.photos import Photo
from app.ui.avatar import avatar_pixmap, photo_pixmap
from app.ui.formatting import DisplayFormats
from app.ui.identification_view import StripView, strip_view
from app.ui.record_context import RecordContext
from app.ui.tasks import TaskFailure

FACE_SIDE = 72
_STYLES = {
    "ok": "background:#e6f4ea; color:#0d5223;",
    "warn": "background:#fff4d6; color:#6b4a00;",
    "stop": "background:#fde2e1; color:#8a1c13;",
}
ALERT_STYLE = (
    "background:#b3261e; color:white; font-weight:bold; font-size:15px;"
    " padding:4px 8px; border-radius:4px;"
)
WARNING_STYLE = "color:#8a1c13; font-weight:bold;"


class DeviceBridge(QObject):
    """Carries resolved device events from device threads to the UI thread."""

    sig_resolved = Signal(object)

    def deliver(self, resolved: Resolved) -> None:
        """Safe from any thread: the signal is queued to the thread this bridge lives in."""
        self.sig_resolved.emit(resolved)


class IdentificationBanner(QFrame):
    """Shows the latest identification and its actions; hidden until the first one.

    Without a ``context`` (no store to read from) it shows initials, never photos, and
    offers no actions.
    """

    sig_view_customer = Signal(int)  # customer id: open their record
    sig_enrol = Signal(object)  # CardOffer: pick a customer to enrol the card on
    sig_signup = Signal(object)  # SignupOffer: open a new customer's form
    sig_search = Signal(str)  # a number several customers share: show them in the directory
    sig_face_shown = Signal(str)  # "photo" or "initials", once the face is final

    def __init__(self, context: RecordContext | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = context
        self._formats = context.formats if context is not None else DisplayFormats()
        self.view: StripView | None = None
        self._showing = 0  # which identification is on screen, so late photos are dropped

        self.face = QLabel()
        self.face.setFixedSize(FACE_SIDE, FACE_SIDE)
        self.face.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.label = QLabel()  # the headline
        self.label.setWordWrap(True)
        self.label.setStyleSheet("font-size:16px; font-weight:bold;")
        self.details = QLabel()
        self.details.setWordWrap(True)
        self.alert = QLabel()
        self.alert.setWordWrap(True)
        self.alert.setStyleSheet(ALERT_STYLE)
        self.warning = QLabel()
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet(WARNING_STYLE)

        self.view_button = QPushButton("View")
        self.view_button.setToolTip("Open the customer's record")
        self.enrol_button = QPushButton("Enrol to a customer…")
        self.signup_button = QPushButton("Create customer…")
        self.search_button = QPushButton("Show in directory")
        self.view_button.clicked.connect(self._view)
        self.enrol_button.clicked.connect(self._enrol)
        self.signup_button.clicked.connect(self._signup)
        self.search_button.clicked.connect(self._search)

        text = QVBoxLayout()
        text.setSpacing(2)
        for label in (self.label, self.details, self.alert, self.warning):
            text.addWidget(label)
        actions = QVBoxLayout()
        for button in self._buttons():
            actions.addWidget(button)
        actions.addStretch(1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.addWidget(self.face, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(text, 1)
        layout.addLayout(actions)
        self.setVisible(False)

    def _buttons(self) -> tuple[QPushButton, ...]:
        return (self.view_button, self.enrol_button, self.signup_button, self.search_button)

    # --- showing -----------------------------------------------------------------------

    def show_resolved(self, resolved: Resolved) -> None:
        """Show what a device reported (device statuses are for the devices screen)."""
        view = strip_view(resolved, self._formats)
        if view is not None:
            self.show_view(view)

    def show_view(self, view: StripView) -> None:
        self._showing += 1
        self.view = view
        self.label.setText(view.headline)
        for label, text in ((self.details, view.details), (self.alert, view.alert)):
            label.setText(text)
            label.setVisible(bool(text))
        self.warning.setText(f"⚠ {view.warning}" if view.warning else "")
        self.warning.setVisible(bool(view.warning))
        self._show_face(view)
        may = self._ctx.may if self._ctx is not None else (lambda _permission: False)
        self.view_button.setVisible(
            view.customer_id is not None and may(Permission.VIEW_CUSTOMER_RECORD)
        )
        self.enrol_button.setVisible(view.enrol is not None and may(Permission.MANAGE_IDENTIFIERS))
        self.signup_button.setVisible(view.signup is not None and may(Permission.CREATE_CUSTOMER))
        self.search_button.setVisible(bool(view.search) and self._ctx is not None)
        self.setStyleSheet(f"IdentificationBanner {{ {_STYLES[view.style]} border-radius: 4px; }}")
        self.setVisible(True)

    def say(self, headline: str, details: str = "") -> None:
        """Replace what is shown with a plain message, e.g. after a card was enrolled."""
        self.show_view(StripView(headline, "ok", details))

    def _show_face(self, view: StripView) -> None:
        self.face.setVisible(view.face is not None)
        if view.face is None:
            return
        self.face.setPixmap(avatar_pixmap(view.face, FACE_SIDE))
        ctx, customer_id = self._ctx, view.customer_id
        if not view.has_photo or ctx is None or customer_id is None:
            self.sig_face_shown.emit("initials")
            return
        if not ctx.may(Permission.VIEW_CUSTOMER_RECORD):
            self.sig_face_shown.emit("initials")
            return
        showing, photos, actor = self._showing, ctx.photos, ctx.actor

        def loaded(photo: Photo | None) -> None:
            if showing != self._showing:
                return  # another card was swiped meanwhile
            pixmap = photo_pixmap(photo.jpeg, FACE_SIDE) if photo is not None else None
            if pixmap is not None:
                self.face.setPixmap(pixmap)
            self.sig_face_shown.emit("photo" if pixmap is not None else "initials")

        def failed(_failure: TaskFailure) -> None:
            if showing == self._showing:
                self.sig_face_shown.emit("initials")

        ctx.run(self, lambda: photos.photo(actor, customer_id), loaded, failed)

    # --- actions -----------------------------------------------------------------------

    def _view(self) -> None:
        if self.view is not None and self.view.customer_id is not None:
            self.sig_view_customer.emit(self.view.customer_id)

    def _enrol(self) -> None:
        if self.view is not None and self.view.enrol is not None:
            self.sig_enrol.emit(self.view.enrol)

    def _signup(self) -> None:
        if self.view is not None and self.view.signup is not None:
            self.sig_signup.emit(self.view.signup)

    def _search(self) -> None:
        if self.view is not None and self.view.search:
            self.sig_search.emit(self.view.search)
