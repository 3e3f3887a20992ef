"""Decode a smart card's Answer To Reset (ISO/IEC 7816-3), as PC/SC reports it.

Pure and stdlib-only. Besides the ISO structure (TS, T0, interface bytes, historical
bytes, TCK) it recognises the pseudo-ATR PC/SC part 3 readers build for contactless
cards, including the storage-card form whose historical bytes name the card
(``80 4F 0C A0 00 00 03 06 SS NN NN 00 00 00 00``).
"""

from __future__ import annotations

from dataclasses import dataclass

from app.devices.errors import DeviceParseError

MAX_ATR_LENGTH = 33  # TS plus at most 32 further characters (ISO/IEC 7816-3, 8.2.1)

DIRECT = "direct"
INVERSE = "inverse"
_CONVENTIONS = {0x3B: DIRECT, 0x3F: INVERSE}

# PC/SC part 3: the registered application provider id of the PC/SC workgroup.
PCSC_RID = bytes.fromhex("A000000306")
_STORAGE_PREFIX = bytes.fromhex("804F0C") + PCSC_RID

# PC/SC part 3 supplemental document: the "SS" byte, the standard the card follows.
STORAGE_STANDARDS: dict[int, str] = {
    0x00: "no information given",
    0x01: "ISO 14443 A, part 1",
    0x02: "ISO 14443 A, part 2",
    0x03: "ISO 14443 A, part 3",
    0x05: "ISO 14443 B, part 1",
    0x06: "ISO 14443 B, part 2",
    0x07: "ISO 14443 B, part 3",
    0x09: "ISO 15693, part 1",
    0x0A: "ISO 15693, part 2",
    0x0B: "ISO 15693, part 3",
    0x0C: "ISO 15693, part 4",
    0x0D: "contact (7816-10) I2C",
    0x0E: "contact (7816-10) extended I2C",
    0x0F: "contact (7816-10) 2WBP",
    0x10: "contact (7816-10) 3WBP",
    0x11: "FeliCa",
    0x40: "low frequency contactless cards",
}

# PC/SC part 3 supplemental document: the "NN NN" card name.
STORAGE_CARD_NAMES: dict[int, str] = {
    0x0001: "MIFARE Classic 1K",
    0x0002: "MIFARE Classic 4K",
    0x0003: "MIFARE Ultralight",
    0x0004: "SLE55R_XXXX",
    0x0006: "SR176",
    0x0007: "SRI X4K",
    0x0008: "AT88RF020",
    0x0009: "AT88SC0204CRF",
    0x000A: "AT88SC0808CRF",
    0x000B: "AT88SC1616CRF",
    0x000C: "AT88SC3216CRF",
    0x000D: "AT88SC6416CRF",
    0x000E: "SRF55V10P",
    0x000F: "SRF55V02P",
    0x0010: "SRF55V10S",
    0x0011: "SRF55V02S",
    0x0012: "Tag-it",
    0x0013: "LRI512",
    0x0014: "ICODE SLI",
    0x0015: "TempSens",
    0x0016: "I-CODE 1",
    0x0017: "PicoPass 2K",
    0x0018: "PicoPass 2KS",
    0x0019: "PicoPass 16K",
    0x001A: "PicoPass 16KS",
    0x001B: "PicoPass 16K (8x2)",
    0x001C: "PicoPass 16KS (8x2)",
    0x001D: "PicoPass 32KS (16+16)",
    0x001E: "PicoPass 32KS (16+8x2)",
    0x001F: "PicoPass 32KS (8x2+16)",
    0x0020: "PicoPass 32KS (8x2+8x2)",
    0x0021: "LRI64",
    0x0022: "I-CODE UID",
    0x0023: "I-CODE EPC",
    0x0024: "LRI12",
    0x0025: "LRI128",
    0x0026: "MIFARE Mini",
    0x0027: "my-d move (SLE 66R01P)",
    0x0028: "my-d NFC (SLE 66RxxP)",
    0x0029: "my-d proximity 2 (SLE 66RxxS)",
    0x002A: "my-d proximity enhanced (SLE 55RxxE)",
    0x002B: "my-d light (SRF 55V01P)",
    0x002C: "PJM Stack Tag (SRF 66V10ST)",
    0x002D: "PJM Item Tag (SRF 66V10IT)",
    0x002E: "PJM Light (SRF 66V01ST)",
    0x002F: "Jewel",
    0x0030: "Topaz NFC Tag",
    0x0031: "AT88SC0104CRF",
    0x0032: "AT88SC0404CRF",
    0x0033: "AT88RF01C",
    0x0034: "AT88RF04C",
    0x0035: "ICODE SL2",
    0x0036: "MIFARE Plus SL1 2K",
    0x0037: "MIFARE Plus SL1 4K",
    0x0038: "MIFARE Plus SL2 2K",
    0x0039: "MIFARE Plus SL2 4K",
    0x003A: "MIFARE Ultralight C",
    0x003B: "FeliCa",
    0x003C: "Melexis Sensor Tag (MLX90129)",
    0x003D: "MIFARE Ultralight EV1",
}


@dataclass(frozen=True, slots=True)
class InterfaceBytes:
    """TAi, TBi, TCi and TDi of one level i (1-based); None when absent."""

    level: int
    ta: int | None
    tb: int | None
    tc: int | None
    td: int | None


@dataclass(frozen=True, slots=True)
class Atr:
    """A decoded ATR. ``protocols`` lists every T=n the TDi bytes indicate, in order,
    without repeats (T=0 alone when there is no TD1; T=15 marks global bytes)."""

    raw: bytes
    convention: str  # "direct" (TS 3B) or "inverse" (TS 3F)
    protocols: tuple[int, ...]
    interface: tuple[InterfaceBytes, ...]
    historical: bytes
    tck: int | None
    storage_card: str | None  # PC/SC part 3 card name, e.g. "MIFARE Classic 1K"
    storage_standard: str | None  # e.g. "ISO 14443 A, part 3"
    contactless: bool  # a PC/SC part 3 pseudo-ATR: the reader talks to a contactless card

    @property
    def hex(self) -> str:
        """The ATR as spaced upper-case hex, as people and ATR lists write it."""
        return self.raw.hex(" ").upper()


def _preview(data: bytes) -> str:
    # An ATR carries no personal data; 16 bytes is enough to recognise it in a log.
    return data[:16].hex(" ").upper() + (" …" if len(data) > 16 else "")


def parse_atr(data: bytes) -> Atr:
    """Decode ``data`` as an ATR or raise DeviceParseError saying what is wrong."""
    raw = bytes(data)
    preview = _preview(raw)
    if len(raw) < 2:
        raise DeviceParseError(
            "The card's answer to reset is too short (needs TS and T0).", preview
        )
    if len(raw) > MAX_ATR_LENGTH:
        raise DeviceParseError(
            f"The card's answer to reset is {len(raw)} bytes; at most {MAX_ATR_LENGTH}.", preview
        )
    convention = _CONVENTIONS.get(raw[0])
    if convention is None:
        raise DeviceParseError(
            f"The card's answer to reset starts with {raw[0]:02X}; expected 3B or 3F.", preview
        )

    t0 = raw[1]
    historical_count = t0 & 0x0F
    presence = t0 >> 4  # Y1: which of TA1..TD1 follow
    position = 2
    levels: list[InterfaceBytes] = []
    protocols: list[int] = []
    while True:
        level = len(levels) + 1
        values: list[int | None] = []
        for bit in range(4):
            if presence & (1 << bit):
                if position >= len(raw):
                    raise DeviceParseError(
                        f"The card's answer to reset ends inside its level {level} "
                        "interface bytes.",
                        preview,
                    )
                values.append(raw[position])
                position += 1
            else:
                values.append(None)
        ta, tb, tc, td = values
        levels.append(InterfaceBytes(level, ta, tb, tc, td))
        if td is None:
            break
        if td & 0x0F not in protocols:
            protocols.append(td & 0x0F)
        presence = td >> 4

    if not protocols:
        protocols.append(0)  # no TD1: T=0 is the only protocol offered
    tck_required = any(protocol != 0 for protocol in protocols)
    expected = position + historical_count + (1 if tck_required else 0)
    if len(raw) < expected:
        missing = "its check byte" if len(raw) == expected - 1 and tck_required else "bytes"
        raise DeviceParseError(
            f"The card's answer to reset is missing {missing}: {len(raw)} of {expected} bytes.",
            preview,
        )
    if len(raw) > expected:
        raise DeviceParseError(
            f"The card's answer to reset has {len(raw) - expected} byte(s) more than its "
            "header announces.",
            preview,
        )
    historical = raw[position : position + historical_count]
    tck: int | None = None
    if tck_required:
        tck = raw[-1]
        check = 0
        for value in raw[1:]:
            check ^= value
        if check:
            raise DeviceParseError(
                "The card's answer to reset fails its check byte (TCK); "
                "take the card out and present it again.",
                preview,
            )

    storage_card, storage_standard = _storage_card(historical)
    return Atr(
        raw=raw,
        convention=convention,
        protocols=tuple(protocols),
        interface=tuple(levels),
        historical=historical,
        tck=tck,
        storage_card=storage_card,
        storage_standard=storage_standard,
        contactless=storage_card is not None or _is_contactless_pseudo_atr(levels),
    )


def _is_contactless_pseudo_atr(levels: list[InterfaceBytes]) -> bool:
    """PC/SC part 3 builds ``3B 8n 80 01 <historical> TCK`` for every contactless card."""
    if len(levels) != 3:
        return False
    first, second, third = levels
    return (
        first == InterfaceBytes(1, None, None, None, 0x80)
        and second == InterfaceBytes(2, None, None, None, 0x01)
        and third == InterfaceBytes(3, None, None, None, None)
    )


def _storage_card(historical: bytes) -> tuple[str | None, str | None]:
    """The card name and standard from PC/SC part 3 storage-card historical bytes."""
    if len(historical) != 15 or not historical.startswith(_STORAGE_PREFIX):
        return None, None
    standard_byte = historical[8]
    name_code = int.from_bytes(historical[9:11], "big")
    standard = STORAGE_STANDARDS.get(standard_byte, f"standard {standard_byte:02X}")
    name = STORAGE_CARD_NAMES.get(name_code, f"storage card {name_code:04X}")
    return name, standard


def build_atr(
    *,
    convention: str = DIRECT,
    interface: tuple[tuple[int | None, int | None, int | None], ...] = (),
    protocols: tuple[int, ...] = (),
    historical: bytes = b"",
) -> bytes:
    """Assemble a well-formed ATR (for tests and simulators).

    ``interface`` gives (TA, TB, TC) per level; ``protocols`` the T of each TDi, so
    level i has a TD when i <= len(protocols). Extra levels are added as needed. The
    TCK is appended when any protocol other than T=0 is indicated.
    """
    if len(historical) > 15:
        raise ValueError("at most 15 historical bytes")
    if len(interface) > len(protocols) + 1:
        raise ValueError("level i+1 needs a TDi: give a protocol for every level but the last")
    level_count = max(len(interface), len(protocols) + 1)
    rows = list(interface) + [(None, None, None)] * (level_count - len(interface))
    body = bytearray()
    presence_bits: list[int] = []
    for index, (ta, tb, tc) in enumerate(rows):
        td = protocols[index] if index < len(protocols) else None
        bits = 0
        for bit, value in enumerate((ta, tb, tc, td)):
            if value is not None:
                bits |= 1 << bit
        presence_bits.append(bits)
    for index, (ta, tb, tc) in enumerate(rows):
        for value in (ta, tb, tc):
            if value is not None:
                body.append(value)
        if index < len(protocols):
            following = presence_bits[index + 1] if index + 1 < len(rows) else 0
            body.append((following << 4) | protocols[index])
    out = bytearray([0x3B if convention == DIRECT else 0x3F])
    out.append((presence_bits[0] << 4) | len(historical))
    out += body + historical
    if any(protocol != 0 for protocol in protocols):
        check = 0
        for value in out[1:]:
            check ^= value
        out.append(check)
    return bytes(out)
