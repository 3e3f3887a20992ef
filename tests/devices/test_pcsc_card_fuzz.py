"""The UID status-word interpreter under fuzz: whatever a card or reader answers, identifying
it only ever raises DeviceParseError, and every status word reads as a sentence.

A fuzz input is a card's whole conversation: the first byte picks the ATR (a contactless
MIFARE, a contact card, or the rest of the input as a raw ATR), the rest is the card's
answers in order, each ``length, data..., SW1, SW2``. An input that runs out answers
``6F 00`` from then on, as a card that stopped making sense would.
"""

from __future__ import annotations

import pytest

from app.devices.errors import DeviceParseError
from app.devices.pcsc_card import CardIdentity, Response, card_identity, status_reason
from tests.support.fuzz import assert_only_raises

MIFARE_1K = bytes.fromhex("3B8F8001804F0CA000000306030001000000006A")
CONTACT_T0 = bytes.fromhex("3B021450")
_ATRS = (MIFARE_1K, CONTACT_T0)


class _Conversation:
    """A transmit function that plays the card's answers from fuzz bytes."""

    def __init__(self, answers: bytes) -> None:
        self._answers = answers
        self._at = 0

    def __call__(self, apdu: list[int]) -> tuple[list[int], int, int]:
        data = self._answers
        if self._at >= len(data):
            return [], 0x6F, 0x00
        length = data[self._at]
        body = data[self._at + 1 : self._at + 1 + length]
        status = data[self._at + 1 + length : self._at + 3 + length]
        self._at += 3 + length
        sw1, sw2 = (*status, 0x6F, 0x00)[:2]
        return list(body), sw1, sw2


def _identify(data: bytes) -> CardIdentity:
    if not data:
        raise DeviceParseError("empty conversation")
    choice, rest = data[0] % 3, data[1:]
    if choice == 2:  # the ATR itself is fuzzed; the card answers nothing sensible
        return card_identity(rest, _Conversation(b""))
    return card_identity(_ATRS[choice], _Conversation(rest))


def _answer(data: bytes, sw: bytes = b"\x90\x00") -> bytes:
    return bytes([len(data)]) + data + sw


SEEDS = [
    b"\x00" + _answer(bytes.fromhex("04A23B11")),  # MIFARE: UID at once
    b"\x00" + _answer(b"", b"\x6c\x07") + _answer(bytes.fromhex("04A23B1122AA80")),  # 6C retry
    b"\x00" + _answer(bytes.fromhex("08112233")),  # a random UID, refused
    b"\x00" + _answer(b"", b"\x63\x00"),  # the reader could not read it
    # A contact card: no PPSE, no PSE, no UID, then MF, EF ICCID and its 10 bytes.
    b"\x01"
    + _answer(b"", b"\x6a\x82") * 2
    + _answer(b"", b"\x6a\x81")
    + _answer(b"") * 2
    + _answer(bytes.fromhex("98440100000000000010")),
    # A contact card with no ICCID, answering GET RESPONSE chunks (61 XX) for its CPLC.
    b"\x01"
    + _answer(b"", b"\x6a\x82") * 2
    + _answer(b"", b"\x6e\x00")
    + _answer(b"")
    + _answer(b"", b"\x6a\x82")
    + _answer(b"\x9f\x7f", b"\x61\x08")
    + _answer(bytes(range(8))),
    b"\x01" + _answer(b"\x6f\x10", b"\x61\x12"),  # a payment card answering PPSE
    b"\x02" + MIFARE_1K,
    b"\x02" + bytes.fromhex("3BFA1800008131FE454A434F503431563232319D"),
]


def test_the_seeds_reach_both_an_identity_and_a_refusal() -> None:
    identities, refusals = 0, 0
    for seed in SEEDS:
        try:
            _identify(seed)
        except DeviceParseError:
            refusals += 1
        else:
            identities += 1
    assert identities >= 3 and refusals >= 3


def test_every_status_word_reads_as_a_sentence() -> None:
    for sw1 in range(256):
        for sw2 in range(256):
            reason = status_reason(sw1, sw2)
            assert reason and not reason[0].isupper(), (sw1, sw2, reason)  # mid-sentence
            assert Response(b"", sw1, sw2).sw == f"{sw1:02X} {sw2:02X}"


@pytest.mark.fuzz
def test_fuzz_card_identity_from_any_conversation() -> None:
    accepted = assert_only_raises(_identify, DeviceParseError, SEEDS)
    assert accepted > 0
