"""A layout laid out on paper of a given width: the printed lines, before any printer bytes.

Both outputs start here, so the preview and the printer show the same content: the ESC/POS
renderer turns each ``PaperLine`` into style commands and encoded text, ``render_text``
into a plain string. A line's alignment is applied the way the printer applies it: a
centred double-size line of n characters starts (columns - 2n) // 2 cells in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from app.devices.printing.codepages import clean
from app.domain.receipts import QR, Align, Barcode, Columns, Feed, ReceiptLayout, Rule, Text

MIN_LABEL = 8  # narrower than this, an amount goes on a line of its own


class PaperLine(NamedTuple):
    """One printed text line; ``text`` fits the paper and carries no alignment padding."""

    text: str
    align: Align = "left"
    bold: bool = False
    double: bool = False

    def cells(self) -> int:
        """Width on paper in normal character cells."""
        return len(self.text) * (2 if self.double else 1)


class CodeLine(NamedTuple):
    """A QR code or barcode, printed on lines of its own."""

    code: QR | Barcode


Printed = PaperLine | CodeLine


def placeholder(code: QR | Barcode) -> str:
    """How text outputs show a code: ``[QR data]`` or ``[CODE128 data]``."""
    name = "QR" if isinstance(code, QR) else code.symbology
    return f"[{name} {code.data}]"


def padding(line: PaperLine, columns: int) -> int:
    """Blank cells before the line, as the printer's alignment puts them."""
    free = max(0, columns - line.cells())
    if line.align == "center":
        return free // 2
    return free if line.align == "right" else 0


def _identity(text: str) -> str:
    return text


def _wrap(text: str, width: int, indent: int = 0, hanging: int = 0) -> list[str]:
    """Greedy word wrap to ``width``; a word longer than a line is cut. ``indent`` blanks
    start the first line, ``indent + hanging`` the others (none if that leaves no room)."""
    width = max(1, width)
    if indent + len(text) <= width and "  " not in text and text.strip() == text and text:
        return [" " * indent + text]  # the common case: it fits as it is
    words = text.split()
    if not words:
        return [""]
    lead = " " * indent if indent < width else ""
    follow = " " * (indent + hanging) if indent + hanging < width else ""
    lines: list[str] = []
    line, empty = lead, True
    for word in words:
        while word:
            room = width - len(line) - (0 if empty else 1)
            if len(word) <= room:
                line, empty, word = (line + word if empty else f"{line} {word}"), False, ""
            elif empty:  # longer than a whole line: cut it
                lines.append(line + word[:room])
                line, word = follow, word[room:]
            else:
                lines.append(line)
                line, empty = follow, True
    if not empty:
        lines.append(line)
    return lines


def _columns(block: Columns, columns: int, prepare: Callable[[str], str]) -> list[PaperLine]:
    right = prepare(clean(block.right)).strip() if block.right else ""
    raw = prepare(clean(block.left))
    body = raw.lstrip(" ")
    indent = len(raw) - len(body)
    room = columns - len(right) - 1 if right else columns
    bold = block.bold
    if room - indent < MIN_LABEL:  # an amount too long to share a line with its label
        lines = [PaperLine(t, "left", bold) for t in _wrap(body, columns, indent, 2)]
        return lines + [PaperLine(t, "right", bold) for t in _wrap(right, columns)]
    wrapped = _wrap(body, room, indent, 2)
    if right:
        wrapped[0] = wrapped[0].ljust(columns - len(right)) + right
    return [PaperLine(t.rstrip(), "left", bold) for t in wrapped]


def _text(block: Text, columns: int, prepare: Callable[[str], str]) -> list[PaperLine]:
    width = columns // 2 if block.double else columns
    lines: list[PaperLine] = []
    for paragraph in block.text.split("\n"):
        for text in _wrap(prepare(clean(paragraph)).strip(), width):
            lines.append(PaperLine(text, block.align, block.bold, block.double))
    return lines


def _mark(copy_mark: str) -> PaperLine:
    return PaperLine(f"*** {copy_mark} ***", "center", bold=True, double=True)


def lay_out(
    layout: ReceiptLayout, columns: int, prepare: Callable[[str], str] = _identity
) -> list[Printed]:
    """The layout's printed lines on paper ``columns`` wide, copy marks included.

    ``prepare`` turns text into what the printer can print (code page fallbacks) before
    it is measured, so wrapping and right alignment hold for the printed text.
    """
    printed: list[Printed] = []
    if layout.copy_mark:
        printed += [_mark(layout.copy_mark), PaperLine("")]
    for block in layout.blocks:
        if isinstance(block, Text):
            printed += _text(block, columns, prepare)
        elif isinstance(block, Columns):
            printed += _columns(block, columns, prepare)
        elif isinstance(block, Rule):
            printed.append(PaperLine((prepare(clean(block.char))[:1] or "-") * columns))
        elif isinstance(block, Feed):
            printed += [PaperLine("")] * max(0, block.lines)
        else:
            printed.append(CodeLine(block))
    if layout.copy_mark:
        printed += [PaperLine(""), _mark(layout.copy_mark)]
    return printed


def render_text(layout: ReceiptLayout, columns: int) -> list[str]:
    """The layout as plain lines, ``columns`` wide: what the preview shows and what the
    printed bytes decode to (codes as ``[QR data]``)."""
    lines: list[str] = []
    for item in lay_out(layout, columns):
        if isinstance(item, CodeLine):
            lines.append(placeholder(item.code))
        else:
            lines.append(" " * padding(item, columns) + item.text)
    return lines
