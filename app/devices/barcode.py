"""Read what a barcode scanner sends for one scan: framing, AIM symbology identifier, GS1.

Pure and stdlib-only. A scan arrives as ``prefix + [AIM id] + data + suffix + terminator``
as the scanner is programmed (``BarcodeFormat``); the framing is checked and removed.

- Bytes are decoded as UTF-8 when they are valid UTF-8 (QR codes and most scanners in
  USB mode), otherwise as ISO/IEC 8859-1, the default character set of Code 128, Data
  Matrix and QR. A ``str`` from a keyboard wedge is taken as it is.
- The data may hold printable characters and GS (0x1D, FNC1 as scanners transmit it);
  any other control character is refused.
- GS1 element strings are read for the GS1 symbologies (``]C1``, ``]d2``, ``]Q3``,
  ``]e0``) and for any data that starts with GS (see ``parse_element_string``).
- EAN-13, UPC-A and EAN-8 check digits are verified when the AIM identifier names them.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass

from app.devices.errors import DeviceParseError
from app.domain.errors import ValidationError
from app.domain.identifiers import IdentifierKind, normalise_identifier_value

CR, LF, CRLF, TAB = b"\r", b"\n", b"\r\n", b"\t"
GS = "\x1d"  # FNC1 as scanners transmit it: ends a variable-length GS1 element
_TERMINATORS = frozenset({CR, LF, CRLF, TAB})


@dataclass(frozen=True, slots=True)
class BarcodeFormat:
    """How a scanner is programmed to frame each scan."""

    prefix: bytes = b""
    suffix: bytes = b""
    aim_ids: bool = False  # whether an AIM symbology identifier (]C1, ]E0...) leads the data
    terminators: tuple[bytes, ...] = (CRLF, CR, LF, TAB)  # stripped from the end

    def __post_init__(self) -> None:
        unknown = [t for t in self.terminators if t not in _TERMINATORS]
        if unknown:
            raise ValueError(f"terminators are CR, LF, CRLF or TAB, not {unknown!r}")


PLAIN = BarcodeFormat()


@dataclass(frozen=True, slots=True)
class Gs1Element:
    """One GS1 element: its Application Identifier, the GS1 data title, and the value."""

    ai: str
    title: str
    value: str


@dataclass(frozen=True, slots=True)
class Barcode:
    """One scan: the symbology (a name from the trade), its AIM identifier when the
    scanner sent one, the data, and its GS1 elements when it is a GS1 element string."""

    symbology: str
    aim_id: str | None
    payload: str
    gs1: tuple[Gs1Element, ...] = ()

    def element(self, ai: str) -> Gs1Element | None:
        """The first GS1 element with Application Identifier ``ai``, if any."""
        return next((element for element in self.gs1 if element.ai == ai), None)


@dataclass(frozen=True, slots=True)
class _Symbology:
    name: str
    gs1: bool = False
    ean_lengths: tuple[int, ...] = ()  # digit counts whose check digit the scan must carry


# AIM ISO/IEC 15424 identifiers (code character and modifier) we name; others are accepted.
_SYMBOLOGIES = {
    "A0": _Symbology("Code 39"),
    "C0": _Symbology("Code 128"),
    "C1": _Symbology("GS1-128", gs1=True),
    "C2": _Symbology("Code 128 (FNC1 in second position)"),
    "E0": _Symbology("EAN-13", ean_lengths=(13, 12)),  # 12 digits: UPC-A sent as is
    "E3": _Symbology("EAN-13 with add-on", ean_lengths=(15, 18)),
    "E4": _Symbology("EAN-8", ean_lengths=(8,)),
    "F0": _Symbology("Codabar"),
    "I0": _Symbology("ITF"),
    "I1": _Symbology("ITF"),
    "L2": _Symbology("PDF417"),
    "Q1": _Symbology("QR Code"),
    "Q3": _Symbology("GS1 QR Code", gs1=True),
    "d1": _Symbology("Data Matrix"),
    "d2": _Symbology("GS1 DataMatrix", gs1=True),
    "e0": _Symbology("GS1 DataBar", gs1=True),
    "z0": _Symbology("Aztec"),
}
_UNKNOWN = _Symbology("Other symbology")
_NO_AIM = _Symbology("Unknown symbology")
_AIM_FLAG = "]"
_LONG_DIGITS = re.compile(r"\d{12,}")


def parse_barcode(raw: bytes | str, fmt: BarcodeFormat = PLAIN) -> Barcode:
    """Parse one scan as the scanner sent it; raise DeviceParseError if it cannot be read."""
    if isinstance(raw, str):
        try:
            raw = raw.encode("utf-8")
        except UnicodeEncodeError:
            raise DeviceParseError(
                "The scan holds characters no scanner sends; scan again.", "(not text)"
            ) from None
    text = _decode(_unframe(bytes(raw), fmt))
    aim_id, symbology, payload = _symbology(text, fmt)
    if not payload:
        raise DeviceParseError("The scan carries no data; scan the code again.", _preview(text))
    if not payload.replace(GS, "").isprintable():
        bad = next(char for char in payload if char != GS and not char.isprintable())
        raise DeviceParseError(
            f"The scan holds a control character ({ord(bad):#04x}) a barcode does not carry; "
            "check the scanner's prefix, suffix and keyboard settings.",
            _preview(payload),
        )
    if symbology.ean_lengths:
        symbology = _check_ean(symbology, payload)
    elements: tuple[Gs1Element, ...] = ()
    if symbology.gs1 or payload.startswith(GS):
        elements = parse_element_string(payload)
    return Barcode(symbology=symbology.name, aim_id=aim_id, payload=payload, gs1=elements)


def identifier_value(barcode: Barcode) -> str:
    """The value to look up as a barcode card, normalised.

    - GS1 with a GSRN of a service recipient (AI 8018, GS1's key for a loyalty member):
      the 18 digits, as printed under the code;
    - GS1 with a GTIN and a serial number (01 + 21, a serialised gift or member card): the
      two in human-readable form, ``(01)09501101530003(21)A1B2``;
    - other GS1 data: the whole element string in human-readable form;
    - anything else: the payload as scanned.
    """
    if barcode.gs1:
        gsrn, gtin, serial = (barcode.element(ai) for ai in ("8018", "01", "21"))
        if gsrn is not None:
            raw = gsrn.value
        elif gtin is not None and serial is not None:
            raw = f"(01){gtin.value}(21){serial.value}"
        else:
            raw = "".join(f"({element.ai}){element.value}" for element in barcode.gs1)
    else:
        raw = barcode.payload
    try:
        return normalise_identifier_value(IdentifierKind.BARCODE_CARD, raw)
    except ValidationError as error:
        raise DeviceParseError(str(error), _preview(raw)) from None


def _unframe(data: bytes, fmt: BarcodeFormat) -> bytes:
    if not data:
        raise DeviceParseError("The scanner sent nothing; scan the code again.")
    data = _strip_terminators(data, fmt.terminators)
    if fmt.suffix:
        if not data.endswith(fmt.suffix):
            raise DeviceParseError(
                "The scan does not end with the suffix the scanner is set to add; check the "
                "scanner's programming against the device settings.",
                _preview(data.decode("latin-1")),
            )
        data = _strip_terminators(data[: -len(fmt.suffix)], fmt.terminators)
    if fmt.prefix:
        if not data.startswith(fmt.prefix):
            raise DeviceParseError(
                "The scan does not start with the prefix the scanner is set to add; check the "
                "scanner's programming against the device settings.",
                _preview(data.decode("latin-1")),
            )
        data = data[len(fmt.prefix) :]
    if not data:
        raise DeviceParseError("The scan carries no data; scan the code again.")
    return data


def _strip_terminators(data: bytes, terminators: tuple[bytes, ...]) -> bytes:
    stripped = True
    while stripped and data:
        stripped = False
        for terminator in terminators:
            if data.endswith(terminator):
                data, stripped = data[: -len(terminator)], True
    return data


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _symbology(text: str, fmt: BarcodeFormat) -> tuple[str | None, _Symbology, str]:
    if not fmt.aim_ids:
        return None, _NO_AIM, text
    code, modifier = text[1:2], text[2:3]
    if not (
        text.startswith(_AIM_FLAG)
        and code.isascii()
        and code.isalpha()
        and modifier.isascii()
        and modifier.isalnum()
    ):
        raise DeviceParseError(
            "The scan does not start with an AIM symbology identifier (such as ]C1) although "
            "the scanner is set to send one; check the scanner's programming.",
            _preview(text),
        )
    return text[:3], _SYMBOLOGIES.get(code + modifier, _UNKNOWN), text[3:]


def _check_ean(symbology: _Symbology, payload: str) -> _Symbology:
    length = len(payload)
    if not (payload.isascii() and payload.isdigit() and length in symbology.ean_lengths):
        counts = " or ".join(str(count) for count in symbology.ean_lengths)
        raise DeviceParseError(
            f"An {symbology.name} barcode is {counts} digits; the scan has {length} "
            "characters. Scan again.",
            _preview(payload),
        )
    main = payload[:13] if length in (15, 18) else payload
    if not gs1_check_digit_ok(main):
        raise DeviceParseError(
            f"The {symbology.name} barcode's check digit is wrong; scan it again or type "
            "the number.",
            _preview(payload),
        )
    return _Symbology("UPC-A") if length == 12 else symbology


def _preview(text: str, limit: int = 40) -> str:
    """A printable preview for the device log; long digit runs (card numbers) masked."""
    shown = _LONG_DIGITS.sub(lambda match: "9" * len(match.group()), text[:limit])
    escaped = shown if shown.isprintable() else repr(shown)[1:-1]
    return escaped + ("…" if len(text) > limit else "")


def gs1_check_digit_ok(number: str) -> bool:
    """Whether the last digit of ``number`` is its GS1 mod-10 check digit (GTIN, SSCC,
    GLN, GSRN, EAN-13, EAN-8, UPC-A)."""
    if not (number.isascii() and number.isdigit() and len(number) >= 2):
        return False
    body = reversed(number[:-1])
    total = sum(int(digit) * (1 if index % 2 else 3) for index, digit in enumerate(body))
    return (10 - total % 10) % 10 == int(number[-1])


# --- GS1 element strings (GS1 General Specifications, section 3) ---------------------------


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
            _preview(text),
        )
    ai = text[position : position + _AI_LENGTHS.get(head, 2)]
    raise DeviceParseError(f"unknown GS1 Application Identifier ({ai})", _preview(text))


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
        raise DeviceParseError(problem, _preview(text))


def _valid_date(yymmdd: str) -> bool:
    year, month, day = 2000 + int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:])
    return 1 <= month <= 12 and day <= calendar.monthrange(year, month)[1]
