"""A print job's payload (a closed tab, or an open one for the guest check) as a receipt layout.

The payload is the ``TabView`` as JSON that checkout and the guest check store with the job,
so a receipt can be reprinted years later exactly as it was, whatever changed since.
A guest check is a pre-bill: it says so, shows what is due and no payments. A receipt adds
payments, change, points and the balances after the sale.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.domain.money import CURRENCIES, Currency, format_money, percent_text
from app.domain.receipts import (
    GUEST_CHECK,
    KINDS,
    QR,
    RECEIPT,
    Block,
    Columns,
    Feed,
    ReceiptLayout,
    Rule,
    Text,
    mask_identifier,
)

INDENT = "   "
METHODS = {"cash": "Cash", "card": "Card", "purse": "Purse", "points": "Points"}


class ReceiptPayloadError(ValueError):
    """A print job's payload is not a tab this code can print (a field missing or mistyped)."""


@dataclass(frozen=True, slots=True)
class VenueInfo:
    """What the venue prints on every receipt; ``timezone`` (IANA) shows times locally."""

    name: str
    address_lines: tuple[str, ...] = ()
    footer: str = ""
    tax_id: str = ""
    timezone: str | None = None
    tax_label: str = "VAT"


class _Payload:
    """Typed reads of a JSON payload, naming the field that is wrong."""

    def __init__(self, data: Mapping[str, object], where: str = "") -> None:
        self.data = data
        self.where = where

    def _get(self, key: str, types: tuple[type, ...], optional: bool) -> object:
        value = self.data.get(key)
        if value is None and optional:
            return None
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            raise ReceiptPayloadError(f"print job payload: {self.where}{key} is {value!r}")
        return value

    def number(self, key: str) -> int:
        value = self._get(key, (int,), False)
        assert isinstance(value, int)
        return value

    def opt_number(self, key: str) -> int | None:
        value = self._get(key, (int,), True)
        return value if isinstance(value, int) else None

    def text(self, key: str) -> str:
        return str(self._get(key, (str,), False))

    def opt_text(self, key: str) -> str | None:
        value = self._get(key, (str,), True)
        return value if isinstance(value, str) else None

    def items(self, key: str) -> list[_Payload]:
        value = self.data.get(key) or []
        if not isinstance(value, Sequence) or isinstance(value, str):
            raise ReceiptPayloadError(f"print job payload: {self.where}{key} is not a list")
        found: list[_Payload] = []
        for index, item in enumerate(value):
            if not isinstance(item, Mapping):
                raise ReceiptPayloadError(f"print job payload: {key}[{index}] is {item!r}")
            found.append(_Payload(item, f"{key}[{index}]."))
        return found

    def texts(self, key: str) -> list[str]:
        value = self.data.get(key) or []
        if not isinstance(value, Sequence) or isinstance(value, str):
            raise ReceiptPayloadError(f"print job payload: {self.where}{key} is not a list")
        return [str(v) for v in value]

    def mapping(self, key: str) -> _Payload | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, Mapping):
            raise ReceiptPayloadError(f"print job payload: {self.where}{key} is {value!r}")
        return _Payload(value, f"{key}.")


class _Builder:
    def __init__(self, kind: str, payload: _Payload, venue: VenueInfo) -> None:
        self.kind = kind
        self.p = payload
        self.venue = venue
        code = payload.text("currency")
        found = CURRENCIES.get(code)
        if found is None:
            raise ReceiptPayloadError(f"print job payload: currency {code!r} is not known")
        self.currency: Currency = found
        self.blocks: list[Block] = []

    def add(self, *blocks: Block) -> None:
        self.blocks.extend(blocks)

    def amount(self, minor: int) -> str:
        """An amount without the currency code, for the columns of a bill."""
        return format_money(minor, self.currency).rsplit(" ", 1)[0]

    def money(self, minor: int) -> str:
        return format_money(minor, self.currency)

    def when(self, key: str) -> str | None:
        raw = self.p.opt_text(key)
        if raw is None:
            return None
        try:
            instant = datetime.fromisoformat(raw)
        except ValueError:
            raise ReceiptPayloadError(f"print job payload: {key} is {raw!r}") from None
        if self.venue.timezone:
            try:
                instant = instant.astimezone(ZoneInfo(self.venue.timezone))
            except ZoneInfoNotFoundError:
                raise ValueError(f"Unknown time zone {self.venue.timezone!r}") from None
        else:
            instant = instant.astimezone()
        return instant.strftime("%Y-%m-%d %H:%M")

    # The parts of a bill, top to bottom ---------------------------------------------------

    def header(self) -> None:
        venue = self.venue
        self.add(Text(venue.name, "center", bold=True, double=True))
        self.add(*(Text(line, "center") for line in venue.address_lines))
        if venue.tax_id:
            self.add(Text(f"{venue.tax_label} no. {venue.tax_id}", "center"))
        self.add(Feed())
        if self.kind == GUEST_CHECK:
            self.add(Text("GUEST CHECK — not a receipt", "center", bold=True))
        else:
            self.add(Text("RECEIPT", "center", bold=True))
        self.add(Feed())
        place = self.p.opt_text("division_name")
        table = self.p.opt_text("table_number")
        where = ", ".join(
            part for part in (place, f"table {table}" if table else None) if part is not None
        )
        self.add(Columns(f"Tab {self.p.number('number')}", where))
        self.add(Columns("Terminal", self.p.text("terminal")))
        waiter = self.p.opt_text("waiter_name")
        if waiter:
            self.add(Columns("Served by", waiter))
        self.add(Columns("Guests", str(self.p.number("guests"))))
        opened = self.when("opened_at")
        if opened:
            self.add(Columns("Opened", opened))
        closed = self.when("closed_at")
        if closed and self.kind == RECEIPT:
            self.add(Columns("Closed", closed))
        elif self.kind == GUEST_CHECK:
            printed = self.when("printed_at")
            if printed:
                self.add(Columns("Printed", printed))

    def customer(self) -> None:
        name = self.p.opt_text("customer_name")
        if not name:
            return
        self.add(Rule(), Columns("Customer", name))
        tier = self.p.opt_text("tier_name")
        if tier:
            self.add(Columns("Tier", tier))
        identifier = self.p.opt_text("customer_identifier")
        if identifier:
            self.add(Columns("Card", mask_identifier(identifier)))

    def lines(self) -> None:
        self.add(Rule())
        for line in self.p.items("lines"):
            if line.data.get("voided"):
                continue
            quantity = line.number("quantity")
            self.add(
                Columns(
                    f"{quantity} × {line.text('name')}", self.amount(line.number("gross_minor"))
                )
            )
            if quantity != 1:
                unit = self.amount(line.number("unit_price_minor"))
                self.add(Columns(f"{INDENT}@ {unit}", ""))
            for why in line.texts("why"):
                self.add(Columns(INDENT + why, ""))
            discount = line.number("discount_minor")
            if discount:
                self.add(Columns(f"{INDENT}Discount", self.amount(-discount)))

    def totals(self) -> None:
        p = self.p
        gross, discount, tax = (
            p.number("gross_minor"),
            p.number("discount_minor"),
            p.number("tax_minor"),
        )
        total = p.number("total_minor")
        added = tax != 0 and total == gross - discount + tax  # sales tax on top of the prices
        self.add(Rule(), Columns("Subtotal", self.amount(gross)))
        if discount:
            self.add(Columns("Discounts", self.amount(-discount)))
        for entry in p.items("taxes"):
            label = self._tax_label(entry, added)
            self.add(Columns(label, self.amount(entry.number("tax_minor"))))
        self.add(Columns("TOTAL", self.money(total), bold=True))

    def _tax_label(self, entry: _Payload, added: bool) -> str:
        try:
            rate = percent_text(Decimal(entry.text("rate")) * 100)
        except InvalidOperation:
            raise ReceiptPayloadError(f"print job payload: tax rate {entry.data!r}") from None
        base = self.amount(entry.number("base_minor"))
        kind = self.venue.tax_label
        return f"{kind} {rate} on {base}" if added else f"incl. {kind} {rate} on {base}"

    def due(self) -> None:
        paid = self.p.number("paid_minor")
        if paid:
            self.add(Columns("Paid so far", self.amount(paid)))
        self.add(Feed(), Columns("AMOUNT DUE", self.money(self.p.number("due_minor")), bold=True))

    def payments(self) -> None:
        self.add(Rule())
        for payment in self.p.items("payments"):
            method = payment.text("method")
            label = METHODS.get(method, method.capitalize())
            points = payment.number("points")
            if points:
                label += f" ({points:,} points)"
            tendered = payment.number("tendered_minor")
            self.add(Columns(label, self.amount(tendered)))
        change = self.p.number("change_minor")
        if change:
            self.add(Columns("Change", self.money(change), bold=True))

    def loyalty(self) -> None:
        if not self.p.opt_text("customer_name"):
            return
        earned = self.p.number("points_to_earn")
        redeemed = sum(pay.number("points") for pay in self.p.items("payments"))
        after = self.p.mapping("balances_after")
        bonuses = self.p.texts("bonus_why")
        if not (earned or redeemed or after or bonuses):
            return
        self.add(Rule())
        if self.kind == GUEST_CHECK:
            self.add(Columns("Points to earn", f"{earned:,}"))
        else:
            self.add(Columns("Points earned", f"{earned:,}"))
            if redeemed:
                self.add(Columns("Points redeemed", f"{redeemed:,}"))
        self.add(*(Columns(INDENT + why, "") for why in bonuses))
        if after is not None and self.kind == RECEIPT:
            self.add(Columns("Points balance", f"{after.number('points'):,}"))
            self.add(Columns("Purse balance", self.money(after.number("purse_minor"))))

    def limit(self) -> None:
        limit = self.p.opt_number("limit_minor")
        headroom = self.p.opt_number("headroom_minor")
        if limit is None or headroom is None:
            return
        self.add(Rule(), Columns("Tab limit", self.money(limit)))
        if headroom >= 0:
            self.add(Columns("Left on the limit", self.money(headroom)))
        else:
            self.add(Columns("Over the limit by", self.money(-headroom), bold=True))

    def footer(self) -> None:
        self.add(Rule())
        if self.venue.footer:
            self.add(Text(self.venue.footer, "center"))
        self.add(Feed(), QR(self.p.text("uuid")))


def build_layout(
    kind: str, payload: Mapping[str, object], venue: VenueInfo, copy_mark: str | None = None
) -> ReceiptLayout:
    """The layout of a guest check or a receipt from its print job's payload.

    Raises ``ReceiptPayloadError`` naming the field when the payload is not a printable tab.
    """
    if kind not in KINDS:
        raise ReceiptPayloadError(f"print job kind must be one of {', '.join(KINDS)}: {kind!r}")
    builder = _Builder(kind, _Payload(payload), venue)
    builder.header()
    builder.customer()
    builder.lines()
    builder.totals()
    if kind == GUEST_CHECK:
        builder.due()
    else:
        builder.payments()
    builder.loyalty()
    builder.limit()
    builder.footer()
    drawer = kind == RECEIPT and any(
        pay.text("method") == "cash" for pay in builder.p.items("payments")
    )
    return ReceiptLayout(kind, tuple(builder.blocks), copy_mark, open_drawer=drawer)
