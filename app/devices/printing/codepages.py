"""Code pages: which bytes a printer needs for a text, and what to do with text it has no page for.

Receipt printers know no Unicode. Each has a few 8-bit code pages selected with ``ESC t n``;
a text is split into runs, each encoded in a page the printer has. Text no page can encode
is transliterated (accents stripped, Greek and Cyrillic spelt in Latin letters) or drawn as
an image (``text_image``); it is never sent as "?".
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")


@dataclass(frozen=True, slots=True)
class CodePage:
    """A printer code page: its name, its ``ESC t`` number and Python's codec for it."""

    name: str
    number: int
    codec: str


# Epson's ESC t table (TM-T20, TM-T88 and most clones); a profile can renumber a page.
CODE_PAGES: dict[str, CodePage] = {
    p.name: p
    for p in (
        CodePage("CP437", 0, "cp437"),
        CodePage("CP850", 2, "cp850"),
        CodePage("CP860", 3, "cp860"),
        CodePage("CP863", 4, "cp863"),
        CodePage("CP865", 5, "cp865"),
        CodePage("CP737", 14, "cp737"),
        CodePage("ISO_8859-7", 15, "iso8859_7"),
        CodePage("CP1252", 16, "cp1252"),
        CodePage("CP866", 17, "cp866"),
        CodePage("CP852", 18, "cp852"),
        CodePage("CP858", 19, "cp858"),
        CodePage("CP855", 34, "cp855"),
        CodePage("CP862", 36, "cp862"),
        CodePage("ISO_8859-2", 39, "iso8859_2"),
        CodePage("ISO_8859-15", 40, "iso8859_15"),
        CodePage("CP1250", 45, "cp1250"),
        CodePage("CP1251", 46, "cp1251"),
        CodePage("CP1253", 47, "cp1253"),
    )
}

# Typographic marks printers rarely have, replaced in every mode: their meaning survives.
_PUNCTUATION = {
    "\u2212": "-", "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-",
    "\u2015": "-", "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"',
    "\u00bb": '"', "\u2026": "...", "\u2022": "*", "\u00b7": ".", "\u00d7": "x", "\u2192": "->",
    "\u20ac": "EUR", "\u00a3": "GBP", "\u2122": "TM", "\u00a9": "(C)", "\u00ae": "(R)",
    "\u2116": "No", "\u00a0": " ", "\u2007": " ", "\u2009": " ", "\u202f": " ", "\u00b0": "o",
}  # fmt: skip

# Letters without a decomposition to Latin: Cyrillic after ICAO 9303 (passports), Greek
# after ELOT 743, and the Latin letters NFKD leaves alone. Accents are stripped first.
_LETTERS = {
    **dict(zip("абвгдезиклмнопрстуфыэ", "abvgdeziklmnoprstufye", strict=True)),
    "ж": "zh", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "ie", "ь": "",
    "ю": "iu", "я": "ia", "є": "ie", "і": "i", "ґ": "g", "ђ": "d", "ј": "j", "љ": "lj",
    "њ": "nj", "ћ": "c", "џ": "dz", "ў": "u", "ѓ": "g", "ќ": "k", "ѕ": "dz",
    **dict(zip("αβγδεζηικλμνξοπρστυφω", "avgdeziiklmnxoprstyfo", strict=True)),
    "θ": "th", "χ": "ch", "ψ": "ps", "ς": "s",
    "ß": "ss", "æ": "ae", "ø": "o", "œ": "oe", "ł": "l", "đ": "d", "þ": "th", "ð": "d",
    "ı": "i", "ŋ": "ng", "ħ": "h",
}  # fmt: skip


# Greek "ου" is one sound, spelt "ou" (ELOT 743), not "oy".
_DIGRAPHS = {"ου": "ou", "ού": "ou", "Ου": "Ou", "Ού": "Ou", "ΟΥ": "OU", "ΟΎ": "OU"}


class UnencodableTextError(ValueError):
    """No code page of the printer has every character of the text."""


def _clean(char: str) -> str:
    category = unicodedata.category(char)
    if category == "Cc":
        return " "  # a tab or an escape byte in a name must not reach the printer as a command
    return "" if category == "Cf" else char


def clean(text: str) -> str:
    """Composed (NFC) text with control characters as spaces and invisible ones removed."""
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    if text.isprintable():
        return text
    return "".join(_clean(c) for c in text)


def transliterate_char(char: str) -> str:
    """Latin spelling of one character: Фёдор → Fedor, Ζωή → Zoi, Łódź → Lodz."""
    if char in _PUNCTUATION:
        return _PUNCTUATION[char]
    lower = char.lower()
    if lower in _LETTERS:
        latin = _LETTERS[lower]
        return latin.capitalize() if char != lower else latin
    decomposed = unicodedata.normalize("NFKD", char)
    base = "".join(c for c in decomposed if not unicodedata.combining(c))
    if base == char or not base:
        return char
    return "".join(transliterate_char(c) for c in base)


def transliterate(text: str) -> str:
    """Latin spelling of a text (every character, whatever the printer has)."""
    for pair, latin in _DIGRAPHS.items():
        text = text.replace(pair, latin)
    return "".join(transliterate_char(c) for c in text)


@lru_cache(maxsize=64)
def charset(page: CodePage) -> frozenset[str]:
    """Every printable character the page encodes."""
    decoded = bytes(range(0x20, 0x100)).decode(page.codec, errors="ignore")
    return frozenset(c for c in decoded if c.isprintable() or c == " ")


class TextEncoder:
    """Encodes text for one printer's code pages, in the profile's order of preference."""

    def __init__(self, pages: Sequence[CodePage], fallback: str = "transliterate") -> None:
        if not pages:
            raise ValueError("a printer needs at least one code page")
        self.pages = tuple(pages)
        self.fallback = fallback
        self._known = frozenset().union(*(charset(p) for p in self.pages))
        self._charsets = {p.number: charset(p) for p in self.pages}

    def covers(self, text: str) -> bool:
        """Whether some listed page has each character of ``text``."""
        return text.isascii() or self._known.issuperset(text)

    def printable(self, text: str) -> str:
        """The text as the printer will get it: punctuation it lacks replaced, and (in
        "transliterate" mode) each word with a letter it lacks spelt in Latin, whole, so
        a name never mixes scripts. Characters left over need an image."""
        if self.covers(text):
            return text
        missing = set(text).difference(self._known)
        if missing.issubset(_PUNCTUATION):  # the usual case: a "−" or a "—"
            return text.translate({ord(c): _PUNCTUATION[c] for c in missing})
        return " ".join(self._printable_word(word) for word in text.split(" "))

    def _printable_word(self, word: str) -> str:
        if self.covers(word):
            return word
        word = "".join(c if c in self._known else _PUNCTUATION.get(c, c) for c in word)
        if self.fallback != "transliterate" or self.covers(word):
            return word
        latin = transliterate(word)
        if self.covers(latin):
            return latin
        return "".join(c if c in self._known else _latin_or_same(c, self) for c in word)

    def runs(self, text: str, active: CodePage | None) -> list[tuple[CodePage, bytes]]:
        """``text`` as (page, bytes) runs: the active page while it encodes the text, else
        the first listed page that encodes the longest run from there."""
        known = None if active is None else self._charsets.get(active.number)
        if active is not None and known is not None and (text.isascii() or known.issuperset(text)):
            return [(active, text.encode(active.codec))]  # the common case: no switch
        for page in self.pages:
            try:
                return [(page, text.encode(page.codec))]
            except UnicodeEncodeError:
                continue
        if not self.covers(text):
            missing = "".join(sorted({c for c in text if c not in self._known}))
            raise UnencodableTextError(f"no code page of the printer has {missing!r}")
        runs: list[tuple[CodePage, bytes]] = []
        start = 0
        while start < len(text):
            page, end = max(
                ((p, self._run_end(text, start, p)) for p in self._candidates(active)),
                key=lambda found: found[1],
            )  # max keeps the first of equals: the active page, then profile order
            runs.append((page, text[start:end].encode(page.codec)))
            active, start = page, end
        return runs

    def _candidates(self, active: CodePage | None) -> Iterable[CodePage]:
        if active is not None:
            yield active
        yield from (p for p in self.pages if p != active)

    @staticmethod
    def _run_end(text: str, start: int, page: CodePage) -> int:
        known = charset(page)
        end = start
        while end < len(text) and (text[end] in known):
            end += 1
        return end


def _latin_or_same(char: str, encoder: TextEncoder) -> str:
    latin = transliterate_char(char)
    return latin if encoder.covers(latin) else char


def pages_for(names: Sequence[str], numbers: Iterable[tuple[str, int]] = ()) -> list[CodePage]:
    """The profile's pages, with a printer's own ``ESC t`` numbers where it has them."""
    renumbered = dict(numbers)
    pages: list[CodePage] = []
    for name in names:
        page = CODE_PAGES.get(name)
        if page is None:
            raise ValueError(f"Unknown code page {name} (known: {', '.join(CODE_PAGES)})")
        if name in renumbered:
            page = CodePage(page.name, renumbered[name], page.codec)
        pages.append(page)
    return pages


@lru_cache(maxsize=8)
def _font(size: int, bold: bool) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    name = "DejaVuSansMono-Bold.ttf" if bold else "DejaVuSansMono.ttf"
    try:
        return ImageFont.truetype(str(FONT_DIR / name), size)
    except OSError:  # no DejaVu on this machine: Pillow's own font still draws the letters
        return ImageFont.load_default(size)


def text_image(
    text: str,
    columns: int,
    width_dots: int,
    bold: bool = False,
    double: bool = False,
    indent: int = 0,
) -> Image.Image:
    """One printed line drawn as a 1-bit image, a character per cell so columns still line
    up; ``indent`` blank normal-size cells come first."""
    scale = 2 if double else 1
    cell = width_dots // columns
    image = Image.new("1", (width_dots, 24 * scale), 1)
    draw = ImageDraw.Draw(image)
    font = _font(20 * scale, bold)
    for index, char in enumerate(text):
        if char != " ":
            draw.text(((indent + index * scale) * cell, 1), char, font=font, fill=0)
    return image
