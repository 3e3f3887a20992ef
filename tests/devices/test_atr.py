"""ATR decoding: real cards' answers to reset, malformed ones, round trips and fuzzing."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.devices.atr import DIRECT, INVERSE, STORAGE_CARD_NAMES, build_atr, parse_atr
from app.devices.errors import DeviceParseError
from tests.support.fuzz import assert_only_raises

MIFARE_1K = "3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 00 01 00 00 00 00 6A"
MIFARE_4K = "3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 00 02 00 00 00 00 69"
ULTRALIGHT = "3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 00 03 00 00 00 00 68"
FELICA = "3B 8F 80 01 80 4F 0C A0 00 00 03 06 11 00 3B 00 00 00 00 42"
DESFIRE = "3B 81 80 01 80 80"  # ISO 14443-4 card through a PC/SC reader (ATS historical: 80)
JCOP41 = "3B FA 18 00 00 81 31 FE 45 4A 43 4F 50 34 31 56 32 32 31 9D"
JCOP_V241 = "3B F8 18 00 FF 81 31 FE 45 4A 43 4F 50 76 32 34 31 43"
MULTIFLEX = "3B 02 14 50"  # Schlumberger Multiflex 3k: T=0, no TCK
T0_CONTACT = "3B 6E 00 00 80 31 80 66 B0 84 0C 01 6E 01 83 00 90 00"
INVERSE_T0 = "3F 65 25 00 2C 09 69 90 00"


def atr(text: str) -> bytes:
    return bytes.fromhex(text)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        (MIFARE_1K, "MIFARE Classic 1K"),
        (MIFARE_4K, "MIFARE Classic 4K"),
        (ULTRALIGHT, "MIFARE Ultralight"),
        (FELICA, "FeliCa"),
    ],
)
def test_pcsc_storage_cards_are_named(text: str, name: str) -> None:
    decoded = parse_atr(atr(text))

    assert decoded.storage_card == name
    assert decoded.contactless
    assert decoded.convention == DIRECT
    assert decoded.protocols == (0, 1)
    assert decoded.tck == atr(text)[-1]
    assert len(decoded.historical) == 15


def test_mifare_1k_in_detail() -> None:
    decoded = parse_atr(atr(MIFARE_1K))

    assert decoded.storage_standard == "ISO 14443 A, part 3"
    assert decoded.historical == atr("80 4F 0C A0 00 00 03 06 03 00 01 00 00 00 00")
    assert [level.td for level in decoded.interface] == [0x80, 0x01, None]
    assert decoded.hex == MIFARE_1K


def test_the_card_name_table_has_the_common_cards() -> None:
    assert STORAGE_CARD_NAMES[0x0026] == "MIFARE Mini"
    assert STORAGE_CARD_NAMES[0x003A] == "MIFARE Ultralight C"
    assert STORAGE_CARD_NAMES[0x0036] == "MIFARE Plus SL1 2K"
    assert STORAGE_CARD_NAMES[0x003B] == "FeliCa"


def test_an_unknown_storage_card_name_is_still_a_storage_card() -> None:
    raw = build_atr(
        protocols=(0, 1), historical=atr("80 4F 0C A0 00 00 03 06 03 12 34 00 00 00 00")
    )

    assert parse_atr(raw).storage_card == "storage card 1234"


def test_an_iso_14443_4_card_is_contactless_but_no_storage_card() -> None:
    decoded = parse_atr(atr(DESFIRE))

    assert decoded.contactless
    assert decoded.storage_card is None
    assert decoded.historical == b"\x80"


def test_jcop_card_offers_t1_with_global_and_specific_bytes() -> None:
    decoded = parse_atr(atr(JCOP41))

    assert decoded.protocols == (1,)
    assert decoded.historical == b"JCOP41V221"
    first, second, third = decoded.interface
    assert (first.ta, first.tb, first.tc, first.td) == (0x18, 0x00, 0x00, 0x81)
    assert (second.ta, second.td) == (None, 0x31)
    assert (third.ta, third.tb) == (0xFE, 0x45)
    assert not decoded.contactless
    assert parse_atr(atr(JCOP_V241)).historical == b"JCOPv241"


@pytest.mark.parametrize("text", [MULTIFLEX, T0_CONTACT])
def test_t0_contact_cards_have_no_check_byte(text: str) -> None:
    decoded = parse_atr(atr(text))

    assert decoded.protocols == (0,)
    assert decoded.tck is None
    assert not decoded.contactless


def test_inverse_convention() -> None:
    decoded = parse_atr(atr(INVERSE_T0))

    assert decoded.convention == INVERSE
    assert decoded.historical == atr("2C 09 69 90 00")


def test_t15_global_bytes_require_a_check_byte() -> None:
    raw = build_atr(
        interface=((0x96, None, None), (None, None, None), (0x03, None, None)),
        protocols=(0, 15),
        historical=b"\x80",
    )

    decoded = parse_atr(raw)
    assert decoded.protocols == (0, 15)
    assert decoded.tck is not None
    with pytest.raises(DeviceParseError, match="missing"):
        parse_atr(raw[:-1])


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "too short"),
        (b"\x3b", "too short"),
        (bytes([0x3B, 0x0F]) + bytes(32), "at most 33"),
        (atr("3A 00"), "expected 3B or 3F"),
        (atr("3B F0 11"), "interface bytes"),  # TA1 there, TB1..TD1 missing
        (atr(MIFARE_1K)[:-1], "missing its check byte"),
        (atr(MIFARE_1K)[:-5], "missing bytes"),
        (atr(MIFARE_1K) + b"\x00", "more than its header announces"),
        (atr(MIFARE_1K)[:-1] + b"\x6b", "check byte"),
        (atr(JCOP41)[:-1] + b"\x00", "check byte"),
        (atr(MULTIFLEX) + b"\x00", "more than"),
    ],
    ids=[
        "empty",
        "ts-only",
        "34-bytes",
        "bad-ts",
        "truncated-interface",
        "no-tck",
        "truncated-historical",
        "trailing-byte",
        "bad-tck",
        "bad-tck-jcop",
        "t0-trailing-byte",
    ],
)
def test_malformed_atrs_are_refused_with_a_reason(data: bytes, reason: str) -> None:
    with pytest.raises(DeviceParseError, match=reason) as refused:
        parse_atr(data)
    assert len(refused.value.data) <= 16 * 3 + 2


_byte = st.integers(0, 255)
_level = st.tuples(st.none() | _byte, st.none() | _byte, st.none() | _byte)


@st.composite
def atr_parts(draw: st.DrawFn) -> tuple[tuple[tuple[int | None, ...], ...], tuple[int, ...], bytes]:
    protocols = tuple(draw(st.lists(st.integers(0, 15), max_size=3)))
    levels = tuple(draw(st.lists(_level, min_size=0, max_size=len(protocols) + 1)))
    historical = draw(st.binary(max_size=15))
    return levels, protocols, historical


@given(atr_parts(), st.sampled_from([DIRECT, INVERSE]))
def test_built_atrs_round_trip(
    parts: tuple[tuple[tuple[int | None, int | None, int | None], ...], tuple[int, ...], bytes],
    convention: str,
) -> None:
    levels, protocols, historical = parts
    raw = build_atr(
        convention=convention, interface=levels, protocols=protocols, historical=historical
    )
    if len(raw) > 33:
        with pytest.raises(DeviceParseError):
            parse_atr(raw)
        return

    decoded = parse_atr(raw)

    assert decoded.raw == raw
    assert decoded.convention == convention
    assert decoded.historical == historical
    unique = tuple(dict.fromkeys(protocols)) or (0,)
    assert decoded.protocols == unique
    assert (decoded.tck is not None) == any(protocol != 0 for protocol in protocols)
    for index, (ta, tb, tc) in enumerate(levels):
        level = decoded.interface[index]
        assert (level.ta, level.tb, level.tc) == (ta, tb, tc)


SEEDS = [
    atr(text)
    for text in (MIFARE_1K, ULTRALIGHT, FELICA, DESFIRE, JCOP41, MULTIFLEX, T0_CONTACT, INVERSE_T0)
]


@pytest.mark.fuzz
def test_fuzzed_atrs_only_ever_raise_device_parse_error() -> None:
    accepted = assert_only_raises(parse_atr, DeviceParseError, SEEDS)
    assert accepted > 0, "the fuzzer should produce some well-formed ATRs too"
