"""Turns ESC/POS bytes back into the lines a printer would print, for tests to read.

``decode(data, columns)`` follows the commands a receipt uses: ESC @ (init), ESC a
(alignment), ESC E / ESC ! / GS ! (bold and size), ESC t (code page: text is decoded with
the active page), LF, ESC d (feed), GS V (cut), ESC p (drawer), GS ( k (QR), GS k
(barcode), GS v 0 (raster image), DLE EOT (status query) and the barcode settings. Given
``columns``, a line is aligned as the printer would (a centred line gets the blank cells
before it); QR codes, barcodes and images show as ``[QR data]``, ``[CODE128 data]`` and
``[image 576x24]`` lines. Anything else (an unknown command, a command cut short, a byte
the code page lacks) raises ``EscPosDecodeError``, and nothing else.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

ESC, GS, DLE, FS, LF, CR, HT = 0x1B, 0x1D, 0x10, 0x1C, 0x0A, 0x0D, 0x09

# ESC t numbers (Epson's table) and the codec that decodes each page.
CODE_PAGES = {
    0: "cp437", 2: "cp850", 3: "cp860", 4: "cp863", 5: "cp865", 14: "cp737", 15: "iso8859_7",
    16: "cp1252", 17: "cp866", 18: "cp852", 19: "cp858", 34: "cp855", 36: "cp862",
    39: "iso8859_2", 40: "iso8859_15", 45: "cp1250", 46: "cp1251", 47: "cp1253",
}  # fmt: skip

# Commands with fixed-size arguments that change nothing the decoder reports.
_ESC_SKIP = {
    ord(c): n for c, n in zip("-23GM{JUVcR ", (1, 0, 1, 1, 1, 1, 1, 1, 1, 2, 1, 1), strict=True)
}
_GS_SKIP = {ord(c): n for c, n in zip("hwHfBLWba", (1, 1, 1, 1, 1, 2, 2, 1, 1), strict=True)}
_BARCODE_A = {0: "UPC-A", 1: "UPC-E", 2: "EAN13", 3: "EAN8", 4: "CODE39", 5: "ITF", 6: "NW7"}
_BARCODE_B = {65 + i: n for i, n in _BARCODE_A.items()} | {
    72: "CODE93", 73: "CODE128", 74: "GS1-128", 75: "GS1 DATABAR", 76: "GS1 DATABAR",
    77: "GS1 DATABAR", 78: "GS1 DATABAR",
}  # fmt: skip


class EscPosDecodeError(ValueError):
    """The bytes are not ESC/POS this decoder understands; says what and at which offset."""


@dataclass(frozen=True, slots=True)
class PrinterEvent:
    """Something the printer did besides text: cut, drawer, qr, barcode, image, status,
    init or codepage. ``line`` is how many lines were printed before it."""

    kind: str
    detail: str
    line: int


@dataclass(frozen=True, slots=True)
class DecodedPrint:
    lines: tuple[str, ...]
    events: tuple[PrinterEvent, ...]

    def of_kind(self, kind: str) -> list[PrinterEvent]:
        return [e for e in self.events if e.kind == kind]

    @property
    def cuts(self) -> int:
        return len(self.of_kind("cut"))

    @property
    def drawer_kicks(self) -> int:
        return len(self.of_kind("drawer"))

    @property
    def qr_codes(self) -> list[str]:
        return [e.detail for e in self.of_kind("qr")]

    @property
    def barcodes(self) -> list[str]:
        return [e.detail for e in self.of_kind("barcode")]

    @property
    def code_pages(self) -> list[int]:
        """Every ESC t selection, in order."""
        return [int(e.detail) for e in self.of_kind("codepage")]

    def text(self) -> str:
        """The lines joined, trailing blank lines (the feed before a cut) dropped."""
        return "\n".join(self.lines).rstrip("\n")


@dataclass
class _State:
    columns: int | None
    align: int = 0
    bold: bool = False
    width: int = 1
    page: int = 0
    qr_data: str = ""
    chars: list[str] = field(default_factory=list)
    cells: int = 0  # width of the line so far, in normal character cells
    lines: list[str] = field(default_factory=list)
    events: list[PrinterEvent] = field(default_factory=list)

    def reset(self) -> None:
        self.align, self.bold, self.width, self.page = 0, False, 1, 0

    def event(self, kind: str, detail: str = "") -> None:
        self.events.append(PrinterEvent(kind, detail, len(self.lines)))

    def put(self, char: str) -> None:
        if self.columns and self.cells + self.width > self.columns:
            self.newline()  # the printer wraps a line that does not fit
        self.chars.append(char)
        self.cells += self.width

    def newline(self) -> None:
        text = "".join(self.chars)
        pad = 0
        if self.columns and text:
            free = max(0, self.columns - self.cells)
            pad = free // 2 if self.align == 1 else free if self.align == 2 else 0
        self.lines.append(" " * pad + text)
        self.chars, self.cells = [], 0

    def block(self, text: str) -> None:
        """A printed graphic: it starts on a line of its own."""
        if self.chars:
            self.newline()
        self.lines.append(text)


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.at = 0

    def take(self, count: int, what: str) -> bytes:
        end = self.at + count
        if count < 0 or end > len(self.data):
            raise EscPosDecodeError(f"{what} cut short at offset {self.at}")
        chunk = self.data[self.at : end]
        self.at = end
        return chunk

    def byte(self, what: str) -> int:
        return self.take(1, what)[0]

    def word(self, what: str) -> int:
        low, high = self.take(2, what)
        return low + 256 * high


def decode(data: bytes, columns: int | None = None) -> DecodedPrint:
    """The printed lines and events of ``data``; a final unterminated line counts too."""
    state = _State(columns)
    reader = _Reader(bytes(data))
    while reader.at < len(reader.data):
        start = reader.at
        byte = reader.byte("text")
        if byte == ESC:
            _esc(reader, state, start)
        elif byte == GS:
            _gs(reader, state, start)
        elif byte == DLE:
            if reader.byte("DLE EOT") != 0x04:
                raise EscPosDecodeError(f"unknown DLE command at offset {start}")
            state.event("status", str(reader.byte("DLE EOT n")))
        elif byte == LF:
            state.newline()
        elif byte == CR:
            continue
        elif byte == HT:
            state.put(" ")
        elif byte < 0x20 or byte == 0x7F:
            raise EscPosDecodeError(f"unexpected control byte 0x{byte:02x} at offset {start}")
        else:
            state.put(_char(byte, state.page, start))
    if state.chars:
        state.newline()
    return DecodedPrint(tuple(state.lines), tuple(state.events))


def _table(codec: str) -> tuple[str | None, ...]:
    chars: list[str | None] = []
    for byte in range(256):
        char = bytes((byte,)).decode(codec, errors="ignore")
        printable = char and (char.isprintable() or unicodedata.category(char) == "Zs")
        chars.append(char if printable else None)
    return tuple(chars)


_TABLES = {page: _table(codec) for page, codec in CODE_PAGES.items()}


def _char(byte: int, page: int, offset: int) -> str:
    char = _TABLES[page][byte]
    if char is None:
        raise EscPosDecodeError(
            f"byte 0x{byte:02x} at offset {offset} has no character in code page {page}"
        )
    return char


def _esc(reader: _Reader, state: _State, start: int) -> None:
    command = reader.byte("ESC command")
    if command == ord("@"):
        state.reset()
        state.event("init")
    elif command == ord("a"):
        n = reader.byte("ESC a")
        state.align = n - 48 if n >= 48 else n
        if state.align not in (0, 1, 2):
            raise EscPosDecodeError(f"ESC a {n} at offset {start} is not an alignment")
    elif command == ord("E"):
        state.bold = bool(reader.byte("ESC E") & 1)
    elif command == ord("!"):
        mode = reader.byte("ESC !")
        state.bold = bool(mode & 0x08)
        state.width = 2 if mode & 0x20 else 1
    elif command == ord("t"):
        page = reader.byte("ESC t")
        if page not in CODE_PAGES:
            raise EscPosDecodeError(f"ESC t {page} at offset {start}: code page not known")
        state.page = page
        state.event("codepage", str(page))
    elif command == ord("d"):
        if state.chars:
            state.newline()
        for _ in range(reader.byte("ESC d")):
            state.newline()
    elif command == ord("p"):
        pin, on, off = reader.take(3, "ESC p")
        state.event("drawer", f"pin {2 if pin in (0, 48) else 5} on {on} off {off}")
    elif command in _ESC_SKIP:
        reader.take(_ESC_SKIP[command], f"ESC {chr(command)}")
    else:
        raise EscPosDecodeError(f"unknown command ESC 0x{command:02x} at offset {start}")


def _gs(reader: _Reader, state: _State, start: int) -> None:
    command = reader.byte("GS command")
    if command == ord("!"):
        size = reader.byte("GS !")
        state.width = (size >> 4 & 0x07) + 1
    elif command == ord("V"):
        mode = reader.byte("GS V")
        if mode in (65, 66):
            reader.byte("GS V n")
        state.event("cut", "full" if mode in (0, 48, 65) else "partial")
    elif command == ord("("):
        function = reader.byte("GS ( function")
        body = reader.take(reader.word("GS ( length"), "GS ( data")
        if function == ord("k"):
            _two_d(body, state)
        elif function == ord("L") and body[1:2] == b"2":  # print the stored graphics
            state.block("[graphics]")
            state.event("image", "graphics")
    elif command == ord("k"):
        _barcode(reader, state, start)
    elif command == ord("v"):
        if reader.byte("GS v") != ord("0"):
            raise EscPosDecodeError(f"unknown command GS v at offset {start}")
        reader.byte("GS v 0 m")
        width, height = reader.word("GS v 0 width"), reader.word("GS v 0 height")
        reader.take(width * height, "GS v 0 image")
        state.block(f"[image {width * 8}x{height}]")
        state.event("image", f"{width * 8}x{height}")
    elif command in _GS_SKIP:
        reader.take(_GS_SKIP[command], f"GS {chr(command)}")
    else:
        raise EscPosDecodeError(f"unknown command GS 0x{command:02x} at offset {start}")


def _two_d(body: bytes, state: _State) -> None:
    if len(body) < 2:
        raise EscPosDecodeError("GS ( k without a symbol and function")
    symbol, function = body[0], body[1]
    if symbol != ord("1"):
        return  # PDF417 and others: settings this decoder ignores
    if function == 80:  # store the data: m '0' then the data
        state.qr_data = body[3:].decode("utf-8", errors="replace")
    elif function == 81:  # print the stored symbol
        state.block(f"[QR {state.qr_data}]")
        state.event("qr", state.qr_data)


def _barcode(reader: _Reader, state: _State, start: int) -> None:
    kind = reader.byte("GS k")
    if kind in _BARCODE_A:
        end = reader.data.find(b"\x00", reader.at)
        if end < 0:
            raise EscPosDecodeError(f"GS k at offset {start}: no NUL after the data")
        raw, name = reader.take(end - reader.at, "GS k data"), _BARCODE_A[kind]
        reader.take(1, "GS k NUL")
    elif kind in _BARCODE_B:
        raw, name = reader.take(reader.byte("GS k length"), "GS k data"), _BARCODE_B[kind]
    else:
        raise EscPosDecodeError(f"GS k {kind} at offset {start}: unknown barcode type")
    data = raw.decode("latin-1")
    if name == "CODE128" and data[:2] in ("{A", "{B", "{C"):
        data = data[2:]  # the code set prefix is for the printer, not part of the data
    state.block(f"[{name} {data}]")
    state.event("barcode", data)
