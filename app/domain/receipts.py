"""A receipt's layout: printer-neutral blocks that both the ESC/POS renderer and the preview read.

A layout says *what* is printed (a centred bold title, a name with its amount on the right,
a rule, a QR code); the renderer decides *how* for a given paper width and printer: wrapping,
code pages, transliteration, image fallback. The same layout therefore prints on 58 mm and
80 mm paper and previews on screen with the same content.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

Align = Literal["left", "center", "right"]
CopyMark = Literal["COPY", "REPRINT"]

RECEIPT = "receipt"
GUEST_CHECK = "guest_check"
KINDS = (RECEIPT, GUEST_CHECK)
COPY_MARKS: tuple[str, ...] = ("COPY", "REPRINT")


@dataclass(frozen=True, slots=True)
class Text:
    """A paragraph, wrapped to the paper; ``double`` prints it twice as wide and high."""

    text: str
    align: Align = "left"
    bold: bool = False
    double: bool = False


@dataclass(frozen=True, slots=True)
class Columns:
    """A label on the left and an amount kept right-aligned; a long label wraps under itself.

    Leading spaces of ``left`` are an indent that its wrapped lines keep.
    """

    left: str
    right: str
    bold: bool = False


@dataclass(frozen=True, slots=True)
class Rule:
    """A line across the paper made of ``char``."""

    char: str = "-"


@dataclass(frozen=True, slots=True)
class Feed:
    """Blank lines."""

    lines: int = 1


@dataclass(frozen=True, slots=True)
class QR:
    """A QR code (natively where the printer can, else as an image)."""

    data: str


@dataclass(frozen=True, slots=True)
class Barcode:
    """A one-dimensional barcode; only CODE128 is supported."""

    data: str
    symbology: str = "CODE128"


Block = Text | Columns | Rule | Feed | QR | Barcode


@dataclass(frozen=True, slots=True)
class ReceiptLayout:
    """What one print job prints.

    ``copy_mark`` is None for the original, "COPY" for a manager's reprint, "REPRINT" for a
    job that may have printed partially; the renderers print it at the top and the bottom,
    so a mark is never part of ``blocks``. ``open_drawer`` asks for the cash drawer kick;
    renderers send it only for an original (no copy mark) on a printer with a drawer.
    """

    kind: str
    blocks: tuple[Block, ...]
    copy_mark: str | None = None
    open_drawer: bool = False

    def __post_init__(self) -> None:
        if self.copy_mark is not None and self.copy_mark not in COPY_MARKS:
            raise ValueError(f"copy mark must be COPY or REPRINT, not {self.copy_mark!r}")

    def marked(self, copy_mark: str | None) -> ReceiptLayout:
        """The same layout with another copy mark (a reprint of a stored job)."""
        return replace(self, copy_mark=copy_mark)


def mask_identifier(value: str) -> str:
    """A card or key number as a receipt may show it: at most the first 6 and the last 4.

    The first six show only on numbers of 16 characters or more (as card slips do); shorter
    numbers keep at most their last 4 and never more than a third of their characters.
    """
    compact = "".join(value.split())
    length = len(compact)
    tail = min(4, length // 3)
    head = 6 if length >= 16 else 0
    return compact[:head] + "*" * (length - head - tail) + (compact[-tail:] if tail else "")
