"""Printer profiles: paper, columns, code pages and what the printer can do.

A profile is data. ``code_pages`` lists the pages the printer has, in the order text should
try them; their ``ESC t`` numbers come from ``codepages.CODE_PAGES`` (Epson's table, which
most ESC/POS clones follow) unless ``code_page_numbers`` says otherwise for this printer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Fallback = Literal["transliterate", "image"]

DOTS_PER_COLUMN = 12  # font A is 12 dots wide on 203 dpi printers


@dataclass(frozen=True, slots=True)
class PrinterProfile:
    """One printer model as the renderer needs it.

    ``fallback`` says what happens to text no listed code page can encode: "transliterate"
    (Фёдор → Fedor; a line that still cannot be encoded prints as an image) or "image" (the
    line prints as a picture of the text). ``escpos_profile`` names python-escpos's
    capability profile (cutter, image width); its media must be at least ``dots`` wide.
    """

    name: str
    paper_mm: Literal[58, 80]
    columns: int
    code_pages: tuple[str, ...]
    cut: bool
    drawer_kick: bool
    status_query: bool
    native_qr: bool = True
    fallback: Fallback = "transliterate"
    dots: int = 0  # printable width in dots; 0 means columns × 12
    escpos_profile: str = "TM-T20II"  # "default" knows no paper width: images would fail
    code_page_numbers: tuple[tuple[str, int], ...] = field(default=())

    def __post_init__(self) -> None:
        if self.paper_mm not in (58, 80):
            raise ValueError(f"{self.name}: paper must be 58 or 80 mm, not {self.paper_mm}")
        if not 16 <= self.columns <= 64:
            raise ValueError(f"{self.name}: {self.columns} columns is not a receipt printer")
        if not self.code_pages:
            raise ValueError(f"{self.name}: a printer needs at least one code page")
        if self.fallback not in ("transliterate", "image"):
            raise ValueError(f"{self.name}: fallback must be transliterate or image")

    @property
    def width_dots(self) -> int:
        """Printable width in dots, for images."""
        return self.dots or self.columns * DOTS_PER_COLUMN


EPSON_TM_T20 = PrinterProfile(
    name="Epson TM-T20",
    paper_mm=80,
    columns=48,
    code_pages=("CP437", "CP858", "CP1252", "CP866", "CP737", "CP852"),
    cut=True,
    drawer_kick=True,
    status_query=True,
    dots=576,
    escpos_profile="TM-T20II",
)

# Current TM-T88 models print 576 dots (48 columns) on 80 mm paper; in their "TM-T88
# compatible" mode, and on the TM-T88III to V, 512 dots at 12 dots a character: 42 columns.
EPSON_TM_T88 = PrinterProfile(
    name="Epson TM-T88",
    paper_mm=80,
    columns=48,
    code_pages=("CP437", "CP858", "CP1252", "CP866", "CP737", "CP852"),
    cut=True,
    drawer_kick=True,
    status_query=True,
    dots=576,
    escpos_profile="TM-T20II",  # python-escpos's TM-T88 profiles know only 512 dots
)

EPSON_TM_T88_42 = PrinterProfile(
    name="Epson TM-T88 (42 columns)",
    paper_mm=80,
    columns=42,
    code_pages=("CP437", "CP858", "CP1252", "CP866", "CP737", "CP852"),
    cut=True,
    drawer_kick=True,
    status_query=True,
    dots=512,
    escpos_profile="TM-T88V",
)

GENERIC_58 = PrinterProfile(
    name="Generic 58 mm",
    paper_mm=58,
    columns=32,
    code_pages=("CP437", "CP858", "CP866"),
    cut=False,
    drawer_kick=False,
    status_query=False,
    native_qr=False,
    dots=384,
    escpos_profile="POS-5890",
)

GENERIC_80 = PrinterProfile(
    name="Generic 80 mm",
    paper_mm=80,
    columns=48,
    code_pages=("CP437", "CP858"),
    cut=True,
    drawer_kick=True,
    status_query=False,
    native_qr=True,
    dots=576,
    escpos_profile="TM-T20II",
)

PROFILES: dict[str, PrinterProfile] = {
    p.name: p for p in (EPSON_TM_T20, EPSON_TM_T88, EPSON_TM_T88_42, GENERIC_58, GENERIC_80)
}


def profile(name: str) -> PrinterProfile:
    """A ready profile by name; an unknown name is refused with the known ones."""
    found = PROFILES.get(name)
    if found is None:
        raise ValueError(f"No printer profile “{name}” (known: {', '.join(sorted(PROFILES))})")
    return found
