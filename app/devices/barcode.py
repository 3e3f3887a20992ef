"""Read what a barcode scanner sends for one scan: framing, AIM symbology identifier, GS1.

Pure and stdlib-only. A scan arrives as ``prefix + [AIM id] + data + suffix + terminator``
as the scanner is programmed (``BarcodeFormat``); the framing is checked and removed.

- Bytes are decoded as UTF-8 when they are valid UTF-8 (QR codes and most scanners in
  USB mode), otherwise as ISO/IEC 8859-1, the default character set of Code 128, Data
  Matrix and QR. A ``str`` from a keyboard wedge is taken as it is.
- The data may hold printable characters and GS (0x1D, FNC1 as scanners transmit it);
  any other control character is refused.
- GS1 element strings are read for the GS1 symbologies (``]C1``, ``]d2``, ``]Q3``,
  ``]e0``) and for any data that starts with GS (see `app.devices.gs1`).
- EAN-13, UPC-A and EAN-8 check digits are verified when the AIM identifier names them.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.devices.errors import DeviceParseError, masked_preview
from app.devices.gs1 import GS, Gs1Element, gs1_check_digit_ok, parse_element_string
from app.domain.errors import ValidationError
from app.domain.identifiers import IdentifierKind, normalise_identifier_value

CR, LF, CRLF, TAB = b"\r", b"\n", b"\r\n", b"\t"
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
        raise DeviceParseError(
            "The scan carries no data; scan the code again.", masked_preview(text)
        )
    if not payload.replace(GS, "").isprintable():
        bad = next(char for char in payload if char != GS and not char.isprintable())
        raise DeviceParseError(
            f"The scan holds a control character ({ord(bad):#04x}) a barcode does not carry; "
            "check the scanner's prefix, suffix and keyboard settings.",
            masked_preview(payload),
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
        raise DeviceParseError(str(error), masked_preview(raw)) from None


def _unframe(data: bytes, fmt: BarcodeFormat) -> bytes:
    if not data:
        raise DeviceParseError("The scanner sent nothing; scan the code again.")
    data = _strip_terminators(data, fmt.terminators)
    if fmt.suffix:
        if not data.endswith(fmt.suffix):
            raise DeviceParseError(
                "The scan does not end with the suffix the scanner is set to add; check the "
                "scanner's programming against the device settings.",
                masked_preview(data.decode("latin-1")),
            )
        data = _strip_terminators(data[: -len(fmt.suffix)], fmt.terminators)
    if fmt.prefix:
        if not data.startswith(fmt.prefix):
            raise DeviceParseError(
                "The scan does not start with the prefix the scanner is set to add; check the "
                "scanner's programming against the device settings.",
                masked_preview(data.decode("latin-1")),
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
            masked_preview(text),
        )
    return text[:3], _SYMBOLOGIES.get(code + modifier, _UNKNOWN), text[3:]


def _check_ean(symbology: _Symbology, payload: str) -> _Symbology:
    length = len(payload)
    if not (payload.isascii() and payload.isdigit() and length in symbology.ean_lengths):
        counts = " or ".join(str(count) for count in symbology.ean_lengths)
        raise DeviceParseError(
            f"An {symbology.name} barcode is {counts} digits; the scan has {length} "
            "characters. Scan again.",
            masked_preview(payload),
        )
    main = payload[:13] if length in (15, 18) else payload
    if not gs1_check_digit_ok(main):
        raise DeviceParseError(
            f"The {symbology.name} barcode's check digit is wrong; scan it again or type "
            "the number.",
            masked_preview(payload),
        )
    return _Symbology("UPC-A") if length == 12 else symbology
