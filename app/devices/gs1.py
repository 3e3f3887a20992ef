"""GS1 element strings (GS1 General Specifications, section 3) and GS1 check digits.

Pure and stdlib-only. An element string is a run of Application Identifiers (AIs),
each followed by its value; a variable-length value ends at GS (0x1D, FNC1 as scanners
transmit it) or at the end of the data. `parse_element_string` reads the AIs in the
table below, checking lengths, characters, dates and check digits.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass

from app.devices.errors import DeviceParseError, masked_preview

GS = "\x1d"  # FNC1 as scanners transmit it: ends a variable-length GS1 element


@dataclass(frozen=True, slots=True)
class Gs1Element:
    """One GS1 element: its Application Identifier, the GS1 data title, and the value."""

    ai: str
    title: str
    value: str


def gs1_check_digit_ok(number: str) -> bool:
    """Whether the last digit of ``number`` is its GS1 mod-10 check digit (GTIN, SSCC,
    GLN, GSRN, EAN-13, EAN-8, UPC-A)."""
    if not (number.isascii() and number.isdigit() and len(number) >= 2):
        return False
    body = reversed(number[:-1])
    total = sum(int(digit) * (1 if index % 2 else 3) for index, digit in enumerate(body))
    return (10 - total % 10) % 10 == int(number[-1])


@dataclass(frozen=True, slots=True)
class _Ai:
    """An Application Identifier's value: its length and the characters it may hold."""

    title: str
    min_length: int
    max_length: int
    numeric: bool = True  # digits only; otherwise GS1 character set 82 after numeric_head
    numeric_head: int = 0  # leading characters that are digits although the rest is not
    check: int = 0  # leading digits closed by a GS1 mod-10 check digit
    date: bool = False  # YYMMDD, DD 00 meaning the month's last day


def _fixed(title: str, length: int, *, check: bool = False) -> _Ai:
    return _Ai(title, length, length, check=length if check else 0)


def _digits(title: str, max_length: int) -> _Ai:
    return _Ai(title, 1, max_length)


def _text(title: str, max_length: int) -> _Ai:
    return _Ai(title, 1, max_length, numeric=False)


def _date(title: str) -> _Ai:
    return _Ai(title, 6, 6, date=True)


_MEASURES = {"310": "NET WEIGHT (kg)", "311": "LENGTH (m)", "312": "WIDTH (m)"}
_MEASURES |= {"313": "HEIGHT (m)", "314": "AREA (m²)", "315": "NET VOLUME (l)"}
_MEASURES |= {"316": "NET VOLUME (m³)", "320": "NET WEIGHT (lb)", "330": "GROSS WEIGHT (kg)"}
_LOCATIONS = "SHIP TO LOC|BILL TO|PURCHASE FROM|SHIP FOR LOC|LOC No.|PAY TO|PROD/SERV LOC|PARTY"

# The Application Identifiers we read: the ones on trade items, logistic units, locations,
# assets, service relations (loyalty: 8018) and company-internal data. Fixed-length values
# are taken by length whether or not a GS follows; variable ones end at GS or at the end.
# 31nn-36nn (measures, last digit the decimal point position 0-5) are all six digits.
_AIS: dict[str, _Ai] = {
    "00": _fixed("SSCC", 18, check=True),
    "01": _fixed("GTIN", 14, check=True),
    "02": _fixed("CONTENT", 14, check=True),
    "10": _text("BATCH/LOT", 20),
    "11": _date("PROD DATE"),
    "12": _date("DUE DATE"),
    "13": _date("PACK DATE"),
    "15": _date("BEST BEFORE or BEST BY"),
    "16": _date("SELL BY"),
    "17": _date("USE BY or EXPIRY"),
    "20": _fixed("VARIANT", 2),
    "21": _text("SERIAL", 20),
    "22": _text("CPV", 20),
    "235": _text("TPX", 28),
    "240": _text("ADDITIONAL ID", 30),
    "241": _text("CUST. PART No.", 30),
    "242": _digits("MTO VARIANT", 6),
    "243": _text("PCN", 20),
    "250": _text("SECONDARY SERIAL", 30),
    "251": _text("REF. TO SOURCE", 30),
    "253": _Ai("GDTI", 13, 30, numeric=False, numeric_head=13, check=13),
    "254": _text("GLN EXTENSION COMPONENT", 20),
    "255": _Ai("GCN", 13, 25, check=13),
    "30": _digits("VAR. COUNT", 8),
    "37": _digits("COUNT", 8),
    **{
        f"39{kind}{point}": _Ai(title, 1 + 3 * (kind % 2), 15 + 3 * (kind % 2))
        for kind, title in enumerate(("AMOUNT", "AMOUNT", "PRICE", "PRICE"))
        for point in range(10)
    },
    "400": _text("ORDER NUMBER", 30),
    "401": _text("GINC", 30),
    "402": _fixed("GSIN", 17, check=True),
    "403": _text("ROUTE", 30),
    **{
        f"41{index}": _fixed(title, 13, check=True)
        for index, title in enumerate(_LOCATIONS.split("|"))
    },
    "420": _text("SHIP TO POST", 20),
    "421": _Ai("SHIP TO POST", 4, 12, numeric=False, numeric_head=3),
    "422": _fixed("ORIGIN", 3),
    "7003": _fixed("EXPIRY TIME", 10),
    "8003": _Ai("GRAI", 14, 30, numeric=False, numeric_head=14, check=14),
    "8004": _text("GIAI", 30),
    "8017": _fixed("GSRN - PROVIDER", 18, check=True),
    "8018": _fixed("GSRN - RECIPIENT", 18, check=True),
    "8020": _text("REF No.", 25),
    "8200": _text("PRODUCT URL", 70),
    "90": _text("INTERNAL", 30),
    **{str(ai): _text("INTERNAL", 90) for ai in range(91, 100)},
    **{
        f"{prefix}{point}": _fixed(_MEASURES.get(str(prefix), "MEASURE"), 6)
        for prefix in range(310, 370)
        for point in range(6)
    },
}
# The length of every AI by its first two digits (GS1 General Specifications 3.2), for
# naming an AI we do not read; two digits where the specifications assign none.
_AI_LENGTHS = {ai[:2]: len(ai) for ai in _AIS} | dict.fromkeys(
    ("43", "71", "72", "77", "81", "82"), 4
)
# GS1 character set 82 (GS1 General Specifications 7.11, figure 7.11-1).
_GS1_CHARACTERS = re.compile(r"[!\"%&'()*+,\-./0-9:;<=>?A-Z_a-z]*")


def parse_element_string(data: str) -> tuple[Gs1Element, ...]:
    """Split a GS1 element string (FNC1 transmitted as GS) into its elements.

    Raises DeviceParseError for an unknown Application Identifier, a value of the wrong
    length or characters, an impossible date, or a GTIN, SSCC, GLN or GSRN whose check
    digit does not match.
    """
    text = data.removeprefix(GS)  # scanners that send the leading FNC1 send it as GS too
    if not text:
        raise DeviceParseError("The GS1 barcode carries no data; scan it again.")
    elements: list[Gs1Element] = []
    position = 0
    while position < len(text):
        ai, spec = _application_identifier(text, position)
        start = position + len(ai)
        if spec.min_length == spec.max_length:
            end = start + spec.max_length
        else:
            separator = text.find(GS, start)
            end = len(text) if separator < 0 else separator
        value = text[start:end]
        _check_value(ai, spec, value, text)
        elements.append(Gs1Element(ai=ai, title=spec.title, value=value))
        position = end + 1 if text[end : end + 1] == GS else end
    return tuple(elements)


def _application_identifier(text: str, position: int) -> tuple[str, _Ai]:
    for length in (2, 3, 4):
        candidate = text[position : position + length]
        spec = _AIS.get(candidate)
        if spec is not None:
            return candidate, spec
    head = text[position : position + 2]
    if not (head.isascii() and head.isdigit()):
        raise DeviceParseError(
            "The GS1 data has no Application Identifier where one should start; "
            "scan the code again.",
            masked_preview(text),
        )
    ai = text[position : position + _AI_LENGTHS.get(head, 2)]
    raise DeviceParseError(f"unknown GS1 Application Identifier ({ai})", masked_preview(text))


def _check_value(ai: str, spec: _Ai, value: str, text: str) -> None:
    label = f"GS1 ({ai}) {spec.title}"
    problem = ""
    head = value if spec.numeric else value[: spec.numeric_head]
    if len(value) < spec.min_length:
        needs = "" if spec.min_length == spec.max_length else "at least "
        problem = f"{label} needs {needs}{spec.min_length} characters; the scan has {len(value)}."
    elif len(value) > spec.max_length:
        problem = (
            f"{label} is longer than {spec.max_length} characters; a GS separator may be missing."
        )
    elif head and not (head.isascii() and head.isdigit()):
        problem = f"{label} must be digits."
    elif not spec.numeric and not _GS1_CHARACTERS.fullmatch(value, spec.numeric_head):
        problem = f"{label} holds a character GS1 does not allow."
    elif spec.check and not gs1_check_digit_ok(value[: spec.check]):
        problem = f"{label} has a wrong check digit; scan it again."
    elif spec.date and not _valid_date(value):
        problem = f"{label} is not a date (YYMMDD)."
    if problem:
        raise DeviceParseError(problem, masked_preview(text))


def _valid_date(yymmdd: str) -> bool:
    year, month, day = 2000 + int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:])
    return 1 <= month <= 12 and day <= calendar.monthrange(year, month)[1]
