"""ESC/POS bytes for a receipt layout, written through python-escpos's ``Dummy`` printer.

The renderer knows nothing of the connection: it returns bytes a byte sink sends. Per line
it sets only the styles that change (alignment, bold, double size), selects the code page
each run of text needs with ``ESC t n``, and draws text no code page has as an image. A
copy (COPY or REPRINT) never opens the cash drawer.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import qrcode  # type: ignore[import-untyped]
from escpos.printer import Dummy
from PIL import Image

from app.devices.printing.codepages import (
    CodePage,
    TextEncoder,
    UnencodableTextError,
    pages_for,
    text_image,
)
from app.devices.printing.paper import (
    CodeLine,
    PaperLine,
    lay_out,
    padding,
    render_text,
)
from app.devices.printing.profiles import PrinterProfile
from app.domain.receipts import QR, Align, Barcode, ReceiptLayout, Text

__all__ = ["render_escpos", "render_text"]

ESC_T = b"\x1bt"
CUT_FEED_LINES = 6  # the cutter sits this far above the print head
TEAR_FEED_LINES = 4  # without a cutter, enough paper to tear above the last line
BARCODE_MODULE_DOTS = 2
BARCODE_HEIGHT_DOTS = 64
QR_MODULE_DOTS = 4


@lru_cache(maxsize=32)
def encoder_for(profile: PrinterProfile) -> TextEncoder:
    """The profile's text encoder (its code pages in order, its fallback)."""
    return TextEncoder(pages_for(profile.code_pages, profile.code_page_numbers), profile.fallback)


@dataclass(slots=True)
class _Style:
    align: Align = "left"
    bold: bool = False
    double: bool = False
    page: CodePage | None = None


class _Writer:
    """Sends a receipt's lines to a ``Dummy`` printer, tracking the printer's state."""

    def __init__(self, profile: PrinterProfile) -> None:
        self.profile = profile
        self.encoder = encoder_for(profile)
        self.printer = Dummy(profile=profile.escpos_profile)
        self.style = _Style()

    def text(self, line: PaperLine) -> None:
        try:
            runs = self.encoder.runs(line.text, self.style.page)
        except UnencodableTextError:
            self.image(line)
            return
        if line.text:
            self._set(line.align, line.bold, line.double)
        chunks: list[bytes] = []
        for page, data in runs:
            if page is not self.style.page:
                chunks.append(ESC_T + bytes((page.number,)))
                self.style.page = page
            chunks.append(data)
        chunks.append(b"\n")
        self.printer._raw(b"".join(chunks))

    def image(self, line: PaperLine) -> None:
        profile = self.profile
        indent = padding(line, profile.columns)
        picture = text_image(
            line.text, profile.columns, profile.width_dots, line.bold, line.double, indent
        )
        self._set("left", self.style.bold, self.style.double)
        self.printer.image(picture, impl="bitImageRaster")

    def code(self, code: QR | Barcode) -> None:
        if isinstance(code, QR):
            self.qr(code.data)
        else:
            self.barcode(code)

    def qr(self, data: str) -> None:
        if not data:
            return
        self._set("center", False, False)
        if self.profile.native_qr:
            self.printer.qr(data, size=6 if self.profile.paper_mm == 80 else 4, native=True)
            return
        self.printer.image(qr_image(data, self.profile), impl="bitImageRaster")

    def barcode(self, code: Barcode) -> None:
        modules = (len(code.data) + 3) * 11 + 2  # start, data, check and stop symbols, quiet
        fits = modules * BARCODE_MODULE_DOTS <= self.profile.width_dots
        printable = code.data.isascii() and code.data.isprintable() and code.data
        if code.symbology != "CODE128" or not fits or not printable:
            # a code the printer cannot print is printed as its text, still readable
            as_text = ReceiptLayout("fallback", (Text(code.data, "center"),))
            for line in lay_out(as_text, self.profile.columns, self.encoder.printable):
                if isinstance(line, PaperLine):
                    self.text(line)
            return
        self._set("center", False, False)
        self.printer._hw_barcode(
            "{B" + code.data,
            "CODE128",
            height=BARCODE_HEIGHT_DOTS,
            width=BARCODE_MODULE_DOTS,
            pos="BELOW",
            font="A",
            align_ct=False,
            function_type="B",
        )

    def _set(self, align: Align, bold: bool, double: bool) -> None:
        style = self.style
        if double != style.double:
            # ESC ! also clears bold on the printer, so bold is sent again with every size
            self.printer.set(double_width=double, double_height=double, normal_textsize=True)
            self.printer.set(bold=bold)
            style.double, style.bold = double, bold
        if bold != style.bold:
            self.printer.set(bold=bold)
            style.bold = bold
        if align != style.align:
            self.printer.set(align=align)
            style.align = align


def qr_image(data: str, profile: PrinterProfile) -> Image.Image:
    """A QR code drawn for printers without native QR, centred on the paper."""
    # A fixed mask skips qrcode's search for the best of eight, which costs most of the time;
    # any mask gives a valid symbol.
    symbol = qrcode.QRCode(border=2, mask_pattern=0, error_correction=qrcode.ERROR_CORRECT_M)
    symbol.add_data(data)
    symbol.make(fit=True)
    matrix: list[list[bool]] = symbol.get_matrix()
    size = len(matrix)
    scale = max(1, min(QR_MODULE_DOTS, profile.width_dots // size))
    modules = bytes(0 if dark else 255 for row in matrix for dark in row)
    picture = Image.frombytes("L", (size, size), modules)
    picture = picture.resize((size * scale, size * scale), Image.Resampling.NEAREST)
    centred = Image.new("1", (profile.width_dots, picture.height), 1)
    centred.paste(picture.convert("1"), ((profile.width_dots - picture.width) // 2, 0))
    return centred


def render_escpos(layout: ReceiptLayout, profile: PrinterProfile) -> bytes:
    """The bytes that print ``layout`` on a printer of ``profile``: init, drawer kick (an
    original with cash only), the lines, codes, a feed and a partial cut where there is a
    cutter."""
    writer = _Writer(profile)
    printer = writer.printer
    printer.hw("INIT")
    if layout.open_drawer and layout.copy_mark is None and profile.drawer_kick:
        printer.cashdraw(2)
    for item in lay_out(layout, profile.columns, writer.encoder.printable):
        if isinstance(item, CodeLine):
            writer.code(item.code)
        else:
            writer.text(item)
    writer._set("left", False, False)
    if profile.cut:
        printer.cut(mode="PART")
    else:
        printer.print_and_feed(TEAR_FEED_LINES)
    return bytes(printer.output)
