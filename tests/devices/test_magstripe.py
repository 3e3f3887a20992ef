"""Magnetic-stripe swipes: tracks, error tracks, framing, payment cards and loyalty values."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.devices.errors import DeviceParseError
from app.devices.magstripe import (
    UNREADABLE_CARD,
    CardExpiry,
    Track,
    card_brand,
    mask_pan,
    parse_swipe,
    payment_card_hmac,
)
from app.domain.identifiers import _PAYMENT_IIN_RANGES, PAYMENT_CARD_REFUSAL, luhn_valid
from tests.support.fuzz import assert_only_raises

VISA_PAN = "4111111111111111"
VISA_SWIPE = (
    b"%B4111111111111111^ROBERTS/EMILY^2912101000000000000000?"
    b";4111111111111111=29121010000000000000?"
)
LOYALTY_TRACK_2 = b";6391000012345678=49121010000?"
LOYALTY_THREE_TRACKS = (
    b"%B6391000012345678^GUEST/REGULAR^4912101?\r\n"
    b";6391000012345678=49121010000?\r\n"
    b"+6391000012345678=0000?\r\n"
)


def _reason(raw: bytes | str) -> DeviceParseError:
    with pytest.raises(DeviceParseError) as caught:
        parse_swipe(raw)
    return caught.value


def _with_luhn(body: str) -> str:
    return next(body + d for d in "0123456789" if luhn_valid(body + d))


# --- tracks and framing ----------------------------------------------------------------


def test_loyalty_track_2() -> None:
    swipe = parse_swipe(LOYALTY_TRACK_2)
    assert swipe.tracks == (Track(2, "6391000012345678=49121010000", readable=True),)
    assert swipe.payment_card is None
    assert swipe.loyalty_value == "6391000012345678"


def test_three_tracks_with_line_breaks_and_track_3_plus_sentinel() -> None:
    swipe = parse_swipe(LOYALTY_THREE_TRACKS)
    assert [track.number for track in swipe.tracks] == [1, 2, 3]
    assert swipe.track(1) == Track(1, "B6391000012345678^GUEST/REGULAR^4912101", True)
    assert swipe.track(3) == Track(3, "6391000012345678=0000", True)
    assert swipe.loyalty_value == "6391000012345678"


def test_tracks_back_to_back_without_line_breaks() -> None:
    swipe = parse_swipe(LOYALTY_THREE_TRACKS.replace(b"\r\n", b""))
    assert [track.number for track in swipe.tracks] == [1, 2, 3]


def test_second_semicolon_track_is_track_3() -> None:
    swipe = parse_swipe(b";1234=5678?;99887766?")
    assert [(track.number, track.data) for track in swipe.tracks] == [
        (2, "1234=5678"),
        (3, "99887766"),
    ]


@pytest.mark.parametrize("terminator", [b"\r", b"\n", b"\r\n", b"\r\n\r\n"])
def test_keyboard_wedge_terminator(terminator: bytes) -> None:
    assert parse_swipe(LOYALTY_TRACK_2 + terminator).loyalty_value == "6391000012345678"


def test_str_input_from_a_keyboard_wedge() -> None:
    assert parse_swipe(LOYALTY_TRACK_2.decode() + "\r").loyalty_value == "6391000012345678"


@pytest.mark.parametrize(
    "raw",
    [
        b";6391000012345678=49121010000?5",  # LRC after the only track
        b";6391000012345678=49121010000?5\r",
        b"%B6391000012345678^GUEST/R^4912?A;6391000012345678=4912?5",
        b"%B6391000012345678^GUEST/R^4912?;;6391000012345678=4912?",  # LRC is ';'
        b"%B6391000012345678^GUEST/R^4912?%\r;6391000012345678=4912?",  # LRC is '%'
        b";6391000012345678=4912??",  # LRC is '?'
    ],
)
def test_lrc_after_end_sentinel_is_ignored(raw: bytes) -> None:
    swipe = parse_swipe(raw)
    assert swipe.loyalty_value == "6391000012345678"
    assert swipe.track(2) is not None


def test_track_1_only_loyalty_card_gives_the_same_value_as_track_2() -> None:
    swipe = parse_swipe(b"%B6391000012345678^GUEST/REGULAR^4912101?")
    assert swipe.loyalty_value == parse_swipe(LOYALTY_TRACK_2).loyalty_value


def test_proprietary_track_1_keeps_its_format_code() -> None:
    assert parse_swipe(b"%M12345^CLUB?").loyalty_value == "M12345"


def test_track_3_only() -> None:
    assert parse_swipe(b"+0123456789?").loyalty_value == "0123456789"


def test_empty_account_field_falls_back_to_the_whole_track() -> None:
    assert parse_swipe(b";=12345?").loyalty_value == "=12345"


# --- error tracks ----------------------------------------------------------------------


def test_error_tracks_are_marked_unreadable() -> None:
    swipe = parse_swipe(b"%E?" + LOYALTY_TRACK_2 + b"+E?\r")
    assert swipe.tracks == (
        Track(1, "", readable=False),
        Track(2, "6391000012345678=49121010000", readable=True),
        Track(3, "", readable=False),
    )
    assert swipe.loyalty_value == "6391000012345678"


@pytest.mark.parametrize("raw", [b"%E?;E?+E?", b"%E?;E?+E?\r", b";E?", b"%?;?", b"%E?\r\n;E?"])
def test_all_tracks_unreadable(raw: bytes) -> None:
    assert _reason(raw).reason == UNREADABLE_CARD


# --- refused input ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (b"", "sent nothing"),
        (b"\r\n", "sent nothing"),
        (b";6391000012345678=4912", "no end sentinel"),
        (b";6391000012345678\r;1?", "no end sentinel"),
        (b";63910000A2345678=4912?", "'A'"),
        (b"%B6391^guest^4912?", "'g'"),
        (b"%B6391\xe9^GUEST^4912?", "0xe9"),
        (b";12;34?", "';'"),
        (b"%16391000012345678^GUEST?", "format code"),
        (b"x;1234?", "where a track should start"),
        (b";1234?x?", "where a track should start"),
        (b";1234?;5678?;9999?", "appears twice"),
        (b"%A1?%A2?", "appears twice"),
        (b";" + b"1" * 38 + b"?", "longer than the 37"),
        (b"%A" + b"1" * 76 + b"?", "longer than the 76"),
        (b"+" + b"1" * 105 + b"?", "longer than the 104"),
        (b";" + b"1" * 50, "longer than the 37"),
    ],
)
def test_refused_with_a_readable_reason(raw: bytes, words: str) -> None:
    error = _reason(raw)
    assert words in error.reason
    assert error.reason[0].isupper() and error.reason.endswith(".")


def test_maximum_track_lengths_are_accepted() -> None:
    assert parse_swipe(b";" + b"1" * 37 + b"?").loyalty_value == "1" * 37
    assert parse_swipe(b"%A" + b"1" * 75 + b"?").loyalty_value == "A" + "1" * 75
    swipe = parse_swipe(b"+" + b"1" * 104 + b"?")
    assert swipe.track(3) == Track(3, "1" * 104, True)


def test_error_preview_shows_shape_not_content() -> None:
    error = _reason(b";63910000A2345678=4912?")
    assert error.data == ";99999999A9999999=9999?"


# --- payment cards ---------------------------------------------------------------------


def test_visa_is_detected_and_nothing_of_the_pan_is_kept() -> None:
    swipe = parse_swipe(VISA_SWIPE)
    card = swipe.payment_card
    assert card is not None
    assert card.masked_pan == "411111******1111"
    assert card.brand == "Visa"
    assert card.expiry == CardExpiry(year=2029, month=12)
    assert str(card.expiry) == "12/29"
    assert card.pan_hmac is None
    assert swipe.loyalty_value is None
    assert swipe.tracks == (Track(1, "", True), Track(2, "", True))
    for text in (repr(swipe), str(swipe), repr(card), str(card)):
        assert VISA_PAN not in text
        assert "ROBERTS" not in text
        assert "1111111111" not in text


def test_payment_card_hmac_is_computed_at_parse_time() -> None:
    key = b"venue secret"
    swipe = parse_swipe(VISA_SWIPE, hmac_key=key)
    assert swipe.payment_card is not None
    assert swipe.payment_card.pan_hmac == payment_card_hmac(VISA_PAN, key)
    assert len(swipe.payment_card.pan_hmac) == 64
    other = parse_swipe(VISA_SWIPE, hmac_key=b"another venue")
    assert other.payment_card is not None
    assert other.payment_card.pan_hmac != swipe.payment_card.pan_hmac


def test_payment_card_hmac_refuses_an_empty_key_and_a_non_pan() -> None:
    with pytest.raises(ValueError, match="empty"):
        payment_card_hmac(VISA_PAN, b"")
    with pytest.raises(ValueError, match="13 to 19"):
        payment_card_hmac("1234", b"k")
    with pytest.raises(ValueError, match="empty"):
        parse_swipe(VISA_SWIPE, hmac_key=b"")


@pytest.mark.parametrize(
    ("raw", "brand", "masked"),
    [
        (b";5555555555554444=30011010000000000000?", "Mastercard", "555555******4444"),
        (b"%B378282246310005^AMEX/TEST^3001101?", "American Express", "378282*****0005"),
        (b"%B3782 822463 10005^AMEX/TEST^3001101?", "American Express", "378282*****0005"),
        (b";6011111111111117=3001101?", "Discover", "601111******1117"),
        (b";4222222222222=3001101?", "Visa", "422222***2222"),
        (b"%E?;4111111111111111=29121010000000000000?", "Visa", "411111******1111"),
        (b"%B4111111111111111^ROBERTS/EMILY^2912101?;E?", "Visa", "411111******1111"),
    ],
)
def test_payment_brands_from_either_track(raw: bytes, brand: str, masked: str) -> None:
    card = parse_swipe(raw).payment_card
    assert card is not None
    assert (card.brand, card.masked_pan) == (brand, masked)


@pytest.mark.parametrize(
    "raw",
    [
        b";4111111111111111=2913101?",  # month 13
        b";4111111111111111=29?",  # no service code
        b"%B4111111111111111^ROBERTS/EMILY^29?",
        b"%A4111111111111111^ROBERTS/EMILY^2912101?",  # not format B
        b"+4111111111111111=2912101?",
        b"+014111111111111111=2912101?",  # ISO 4909 track 3: format code, then the PAN
    ],
)
def test_damaged_payment_tracks_are_refused_without_their_data(raw: bytes) -> None:
    error = _reason(raw)
    assert error.reason == PAYMENT_CARD_REFUSAL
    assert VISA_PAN not in error.data and "ROBERTS" not in error.data


def test_tracks_carrying_different_pans_are_refused() -> None:
    raw = b"%B4111111111111111^R/E^2912101?;5555555555554444=29121010000?"
    error = _reason(raw)
    assert "different card numbers" in error.reason
    assert VISA_PAN not in error.data and "5555555555554444" not in error.data


def test_payment_card_errors_never_hold_the_pan() -> None:
    for raw in (VISA_SWIPE[:-1], VISA_SWIPE + b"xx", VISA_SWIPE.replace(b"EMILY", b"emily")):
        error = _reason(raw)
        assert VISA_PAN not in error.reason + error.data
        assert "ROBERTS" not in error.reason + error.data


def test_luhn_invalid_or_non_network_numbers_are_loyalty_cards() -> None:
    assert parse_swipe(b";4111111111111112=2912101?").loyalty_value == "4111111111111112"
    assert parse_swipe(b";9111111111111111=2912101?").payment_card is None


def test_mask_pan() -> None:
    assert mask_pan("4111111111111111") == "411111******1111"
    assert mask_pan("4222222222222") == "422222***2222"
    assert mask_pan("6759649826438453789") == "675964*********3789"


def test_brands_cover_exactly_the_refused_payment_ranges() -> None:
    for number in range(10_000):
        prefix = f"{number:04d}"
        refused = any(low <= int(prefix[:n]) <= high for low, high, n in _PAYMENT_IIN_RANGES)
        assert (card_brand(prefix + "0" * 12) != "Payment card") == refused, prefix


# --- properties ------------------------------------------------------------------------

account_numbers = st.text(alphabet="0123456789", min_size=1, max_size=19)
expiries = st.tuples(st.integers(0, 99), st.integers(1, 12)).map(
    lambda ym: f"{ym[0]:02d}{ym[1]:02d}"
)
discretionary = st.text(alphabet="0123456789", max_size=10)


@given(
    account=account_numbers,
    expiry=expiries,
    service=st.text(alphabet="0123456789", min_size=3, max_size=3),
    extra=discretionary,
    terminator=st.sampled_from(["", "\r", "\n", "\r\n"]),
)
def test_a_valid_track_2_round_trips(
    account: str, expiry: str, service: str, extra: str, terminator: str
) -> None:
    data = f"{account}={expiry}{service}{extra}"
    raw = f";{data}?{terminator}".encode()
    try:
        swipe = parse_swipe(raw)
    except DeviceParseError as error:
        # Only a (damaged-looking) payment card number may be refused.
        assert error.reason == PAYMENT_CARD_REFUSAL
        return
    if swipe.payment_card is None:
        assert swipe.tracks == (Track(2, data, True),)
        assert swipe.loyalty_value == account
    else:
        assert swipe.tracks == (Track(2, "", True),)


@settings(max_examples=200)
@given(
    body=st.text(alphabet="0123456789", min_size=11, max_size=17),
    expiry=expiries,
    name=st.from_regex(r"[A-Z]{2,12}/[A-Z]{2,12}", fullmatch=True),
    with_track_1=st.booleans(),
    key=st.one_of(st.none(), st.binary(min_size=1, max_size=32)),
)
def test_a_luhn_valid_visa_swipe_is_always_payment_and_never_leaks(
    body: str, expiry: str, name: str, with_track_1: bool, key: bytes | None
) -> None:
    pan = _with_luhn("4" + body)
    raw = f";{pan}={expiry}1010000?"
    if with_track_1:
        raw = f"%B{pan}^{name}^{expiry}101000?" + raw
    swipe = parse_swipe(raw.encode() + b"\r", hmac_key=key)
    assert swipe.payment_card is not None
    assert swipe.payment_card.brand == "Visa"
    assert swipe.payment_card.masked_pan[:6] + swipe.payment_card.masked_pan[-4:] == (
        pan[:6] + pan[-4:]
    )
    assert swipe.loyalty_value is None
    assert all(track.data == "" for track in swipe.tracks)
    for text in (repr(swipe), str(swipe)):
        assert pan not in text
        assert name not in text


# --- fuzz ------------------------------------------------------------------------------

SEEDS = [
    VISA_SWIPE,
    VISA_SWIPE + b"\r",
    LOYALTY_TRACK_2,
    LOYALTY_THREE_TRACKS,
    b"%E?;E?+E?\r",
    b"%M12345^CLUB?;12345?5",
    b";5555555555554444=30011010000000000000?",
]


def _parse_with_key(data: bytes) -> object:
    return parse_swipe(data, hmac_key=b"fuzz key")


@pytest.mark.fuzz
def test_fuzz_only_device_parse_error() -> None:
    accepted = assert_only_raises(_parse_with_key, DeviceParseError, SEEDS)
    assert accepted > 0
