"""Barcode scans: framing, AIM symbology identifiers, GS1 element strings, check digits."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.devices.barcode import PLAIN, Barcode, BarcodeFormat, identifier_value, parse_barcode
from app.devices.errors import DeviceParseError
from app.devices.gs1 import GS, Gs1Element, gs1_check_digit_ok, parse_element_string
from app.domain.identifiers import PAYMENT_CARD_REFUSAL
from tests.support.fuzz import assert_only_raises

AIM = BarcodeFormat(aim_ids=True)
GTIN = "09501101530003"  # GS1's own example GTIN
GSRN = "095011015300000003"
SSCC = "376123450000010008"
GLN = "9501101530010"


def _error(raw: bytes | str, fmt: BarcodeFormat = AIM) -> DeviceParseError:
    with pytest.raises(DeviceParseError) as caught:
        parse_barcode(raw, fmt)
    return caught.value


def _with_check_digit(body: str) -> str:
    return next(body + d for d in "0123456789" if gs1_check_digit_ok(body + d))


# --- framing ---------------------------------------------------------------------------


@pytest.mark.parametrize("terminator", [b"", b"\r", b"\n", b"\r\n", b"\t"])
def test_terminators_are_stripped(terminator: bytes) -> None:
    assert parse_barcode(b"LOYAL-000123" + terminator).payload == "LOYAL-000123"


def test_plain_scan_has_no_symbology() -> None:
    assert parse_barcode(b"LOYAL-000123\r") == Barcode("Unknown symbology", None, "LOYAL-000123")


def test_prefix_and_suffix_are_removed() -> None:
    fmt = BarcodeFormat(prefix=b"\x02", suffix=b"\x03", terminators=(b"\r",))
    assert parse_barcode(b"\x02LOYAL-7\x03\r", fmt).payload == "LOYAL-7"


@pytest.mark.parametrize(
    ("raw", "words"),
    [(b"LOYAL-7\x03", "prefix"), (b"\x02LOYAL-7", "suffix"), (b"\x02\x03", "no data")],
)
def test_missing_framing_is_refused(raw: bytes, words: str) -> None:
    fmt = BarcodeFormat(prefix=b"\x02", suffix=b"\x03")
    assert words in _error(raw, fmt).reason


def test_only_listed_terminators_are_stripped() -> None:
    fmt = BarcodeFormat(terminators=(b"\r",))
    assert "control character (0x09)" in _error(b"LOYAL-7\t", fmt).reason


def test_format_refuses_unknown_terminators() -> None:
    with pytest.raises(ValueError, match="CR, LF, CRLF or TAB"):
        BarcodeFormat(terminators=(b"\x03",))


@pytest.mark.parametrize("raw", [b"", b"\r\n", b"\t", "", "\r"])
def test_empty_scans_are_refused(raw: bytes | str) -> None:
    assert _error(raw, PLAIN).reason.startswith("The scan")


def test_control_characters_other_than_gs_are_refused() -> None:
    error = _error(b"LOYAL\x00-7", PLAIN)
    assert "control character (0x00)" in error.reason
    assert error.data == "LOYAL\\x00-7"


def test_utf8_is_decoded_and_other_bytes_are_latin_1() -> None:
    assert parse_barcode("]Q1Café №7".encode(), AIM).payload == "Café №7"
    assert parse_barcode(b"]Q1Caf\xe9", AIM).payload == "Café"


def test_str_from_a_keyboard_wedge() -> None:
    assert parse_barcode("]C0LOYAL-7\r", AIM).payload == "LOYAL-7"
    assert "characters no scanner sends" in _error("\ud800", AIM).reason


# --- AIM symbology identifiers ---------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "symbology"),
    [
        (b"]C0LOYAL-7", "Code 128"),
        (b"]C10109501101530003", "GS1-128"),
        (b"]E04006381333931", "EAN-13"),
        (b"]E0036000291452", "UPC-A"),
        (b"]E496385074", "EAN-8"),
        (b"]d1LOYAL-7", "Data Matrix"),
        (b"]d20109501101530003", "GS1 DataMatrix"),
        (b"]Q1https://example.com/c/7", "QR Code"),
        (b"]Q30109501101530003", "GS1 QR Code"),
        (b"]A0LOYAL-7", "Code 39"),
        (b"]I01234567890", "ITF"),
        (b"]X5anything", "Other symbology"),
    ],
)
def test_aim_identifiers(raw: bytes, symbology: str) -> None:
    barcode = parse_barcode(raw + b"\r\n", AIM)
    assert barcode.symbology == symbology
    assert barcode.aim_id == raw[:3].decode()
    assert barcode.payload == raw[3:].decode()


@pytest.mark.parametrize("raw", [b"LOYAL-7", b"]", b"]C", b"]1C0", b"]C-x"])
def test_missing_aim_identifier_is_refused(raw: bytes) -> None:
    assert "AIM symbology identifier" in _error(raw).reason


def test_aim_identifier_without_data_is_refused() -> None:
    assert "no data" in _error(b"]C0\r").reason


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (b"]E04006381333932", "check digit is wrong"),
        (b"]E0036000291453", "check digit is wrong"),
        (b"]E496385075", "check digit is wrong"),
        (b"]E040063813339", "13 or 12 digits"),
        (b"]E4ABCDEFGH", "8 digits"),
    ],
)
def test_ean_upc_check_digits(raw: bytes, words: str) -> None:
    assert words in _error(raw).reason


def test_ean_with_add_on_checks_the_main_code() -> None:
    assert parse_barcode(b"]E3400638133393112", AIM).symbology == "EAN-13 with add-on"
    assert "check digit" in _error(b"]E3400638133393212").reason


def test_ean_check_is_not_applied_without_an_aim_identifier() -> None:
    assert parse_barcode(b"4006381333932").payload == "4006381333932"


# --- GS1 -------------------------------------------------------------------------------


def test_gs1_datamatrix_with_fixed_and_variable_elements() -> None:
    barcode = parse_barcode(f"]d201{GTIN}17291231" + f"10ABC123{GS}21XYZ42\r", AIM)
    assert barcode.gs1 == (
        Gs1Element("01", "GTIN", GTIN),
        Gs1Element("17", "USE BY or EXPIRY", "291231"),
        Gs1Element("10", "BATCH/LOT", "ABC123"),
        Gs1Element("21", "SERIAL", "XYZ42"),
    )
    assert barcode.element("21") == Gs1Element("21", "SERIAL", "XYZ42")
    assert barcode.element("00") is None


def test_gs1_128_logistics_label() -> None:
    raw = f"]C100{SSCC}{GS}410{GLN}3103000750"
    elements = parse_barcode(raw, AIM).gs1
    assert [(e.ai, e.value) for e in elements] == [
        ("00", SSCC),
        ("410", GLN),
        ("3103", "000750"),
    ]
    assert elements[2].title == "NET WEIGHT (kg)"


def test_leading_fnc1_as_gs_triggers_gs1_without_aim() -> None:
    barcode = parse_barcode(f"{GS}8018{GSRN}\r")
    assert barcode.gs1 == (Gs1Element("8018", "GSRN - RECIPIENT", GSRN),)


def test_gs_after_a_fixed_length_element_is_tolerated() -> None:
    elements = parse_element_string(f"01{GTIN}{GS}21A1{GS}")
    assert [e.ai for e in elements] == ["01", "21"]


def test_variable_length_values_and_mixed_formats() -> None:
    elements = parse_element_string(f"8004ASSET-1{GS}3922499{GS}42125012345{GS}253{GLN}X-1")
    assert [(e.ai, e.value) for e in elements] == [
        ("8004", "ASSET-1"),
        ("3922", "499"),
        ("421", "25012345"),
        ("253", GLN + "X-1"),
    ]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ("0509501101530003", "unknown GS1 Application Identifier (05)"),
        ("7777X", "unknown GS1 Application Identifier (7777)"),
        ("4399A", "unknown GS1 Application Identifier (4399)"),
        ("3106000750", "unknown GS1 Application Identifier (3106)"),
        ("0109501101530004", "GS1 (01) GTIN has a wrong check digit; scan it again."),
        ("00376123450000010009", "GS1 (00) SSCC has a wrong check digit; scan it again."),
        ("4149501101530011", "GS1 (414) LOC No. has a wrong check digit; scan it again."),
        ("8018095011015300000004", "GS1 (8018) GSRN - RECIPIENT has a wrong check digit"),
        ("01095011015300", "GS1 (01) GTIN needs 14 characters; the scan has 12."),
        ("0109501101530A03", "GS1 (01) GTIN must be digits."),
        ("17291331", "GS1 (17) USE BY or EXPIRY is not a date (YYMMDD)."),
        ("17290230", "is not a date"),
        ("10" + "A" * 21, "longer than 20 characters; a GS separator may be missing."),
        ("10ABC" + GS + GS + "21X", "no Application Identifier where one should start"),
        ("21A~B", "holds a character GS1 does not allow"),
        ("10", "needs at least 1 characters"),
        (GS, "carries no data"),
    ],
)
def test_gs1_errors(data: str, reason: str) -> None:
    with pytest.raises(DeviceParseError) as caught:
        parse_element_string(data)
    assert reason in caught.value.reason


def test_gs1_dates_allow_day_00_and_leap_days() -> None:
    assert parse_element_string("17291200")[0].value == "291200"
    assert parse_element_string("11280229")[0].value == "280229"


def test_gs1_error_preview_masks_long_numbers() -> None:
    with pytest.raises(DeviceParseError) as caught:
        parse_element_string("0109501101530004")
    assert GTIN[:-1] not in caught.value.data


def test_check_digit_function() -> None:
    assert gs1_check_digit_ok(GTIN) and gs1_check_digit_ok("4006381333931")
    assert not gs1_check_digit_ok("4006381333932")
    assert (
        not gs1_check_digit_ok("") and not gs1_check_digit_ok("7") and not gs1_check_digit_ok("1a")
    )


# --- identifier values -----------------------------------------------------------------


def test_identifier_of_a_plain_code_is_its_payload() -> None:
    assert identifier_value(parse_barcode(b"]C0loyal 000123", AIM)) == "LOYAL000123"


def test_identifier_of_a_gsrn_card_is_the_gsrn() -> None:
    barcode = parse_barcode(f"]C18018{GSRN}{GS}8020REF1".encode(), AIM)
    assert identifier_value(barcode) == GSRN


def test_identifier_of_a_serialised_gtin() -> None:
    barcode = parse_barcode(f"]d201{GTIN}17291231" + f"21xyz42{GS}10LOT", AIM)
    assert identifier_value(barcode) == f"(01){GTIN}(21)XYZ42"


def test_identifier_of_other_gs1_data_is_its_human_readable_form() -> None:
    barcode = parse_barcode(f"]C100{SSCC}{GS}400PO-77", AIM)
    assert identifier_value(barcode) == f"(00){SSCC}(400)PO-77"


def test_identifier_refuses_a_payment_card_number_without_showing_it() -> None:
    with pytest.raises(DeviceParseError) as caught:
        identifier_value(parse_barcode(b"]C04111111111111111", AIM))
    assert PAYMENT_CARD_REFUSAL in caught.value.reason
    assert "4111111111111111" not in caught.value.reason + caught.value.data


def test_identifier_of_a_plain_code_drops_a_gs_inside() -> None:
    # The domain's normalisation removes control characters before it checks the value.
    assert identifier_value(parse_barcode(f"]C0AB{GS}CD", AIM)) == "ABCD"


# --- properties ------------------------------------------------------------------------

printable = st.text(
    alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=60
)


@given(
    payload=printable,
    prefix=st.sampled_from([b"", b"\x02", b"SCN:"]),
    suffix=st.sampled_from([b"", b"\x03", b"#END"]),
    terminator=st.sampled_from([b"", b"\r", b"\n", b"\r\n", b"\t"]),
)
def test_framed_payload_round_trips(
    payload: str, prefix: bytes, suffix: bytes, terminator: bytes
) -> None:
    fmt = BarcodeFormat(prefix=prefix, suffix=suffix, aim_ids=True)
    raw = prefix + b"]C0" + payload.encode() + suffix + terminator
    barcode = parse_barcode(raw, fmt)
    assert (barcode.symbology, barcode.payload) == ("Code 128", payload)


@given(
    body=st.text(alphabet="0123456789", min_size=13, max_size=13),
    serial=st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ0123456789-", min_size=1, max_size=20),
    lot=st.one_of(st.none(), st.text(alphabet="ABC0123456789", min_size=1, max_size=20)),
)
def test_generated_gs1_strings_round_trip(body: str, serial: str, lot: str | None) -> None:
    gtin = _with_check_digit(body)
    data = f"01{gtin}21{serial}" + ("" if lot is None else f"{GS}10{lot}")
    elements = parse_barcode(f"]d2{data}\r", AIM).gs1
    expected = [("01", gtin), ("21", serial)] + ([] if lot is None else [("10", lot)])
    assert [(e.ai, e.value) for e in elements] == expected


@given(body=st.text(alphabet="0123456789", min_size=12, max_size=12), wrong=st.integers(1, 9))
def test_ean_13_accepts_exactly_the_right_check_digit(body: str, wrong: int) -> None:
    good = _with_check_digit(body)
    assert parse_barcode(f"]E0{good}", AIM).payload == good
    bad = good[:-1] + str((int(good[-1]) + wrong) % 10)
    assert "check digit" in _error(f"]E0{bad}").reason


# --- fuzz ------------------------------------------------------------------------------

SEEDS = [
    f"]d201{GTIN}1729123110ABC123{GS}21XYZ42\r".encode(),
    f"]C100{SSCC}{GS}410{GLN}3103000750\r\n".encode(),
    f"]C18018{GSRN}{GS}8020REF1".encode(),
    b"]E04006381333931\r",
    b"]E496385074\r",
    b"]Q1https://example.com/c/7\r",
    "]Q1Café №7\t".encode(),
    f"]Q3{GS}01{GTIN}3922499{GS}42125012345".encode(),
    b"]C0LOYAL-000123\r\n",
]


def _scan_and_identify(data: bytes) -> object:
    for fmt in (AIM, PLAIN):
        try:
            barcode = parse_barcode(data, fmt)
        except DeviceParseError:
            continue
        return identifier_value(barcode)
    raise DeviceParseError("neither format reads it")


@pytest.mark.fuzz
def test_fuzz_only_device_parse_error() -> None:
    accepted = assert_only_raises(_scan_and_identify, DeviceParseError, SEEDS)
    assert accepted > 0
