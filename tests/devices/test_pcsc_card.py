"""Card identity from status words: a scripted card stands in for the reader (pure logic)."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from app.devices.atr import build_atr
from app.devices.errors import DeviceParseError
from app.devices.pcsc_card import (
    GET_CPLC,
    GET_UID,
    READ_ICCID,
    SELECT_EF_ICCID,
    CardIdentity,
    card_identity,
    derive_card_id,
    exchange,
    status_reason,
)

MIFARE_1K = bytes.fromhex("3B8F8001804F0CA000000306030001000000006A")
DESFIRE = bytes.fromhex("3B8180018080")
CONTACT_T0 = bytes.fromhex("3B021450")
JCOP = bytes.fromhex("3BFA1800008131FE454A434F503431563232319D")
PPSE = bytes.fromhex("00A404000E325041592E5359532E444446303100")
PSE = bytes.fromhex("00A404000E315041592E5359532E444446303100")
ICCID = bytes.fromhex("98440100000000000010")
OK = b"\x90\x00"
NOT_SUPPORTED = b"\x6a\x81"


class ScriptedCard:
    """Answers APDUs from a table (full responses, SW last); unknown commands get 6A 81."""

    def __init__(self, answers: Mapping[bytes, bytes | list[bytes]]) -> None:
        self.answers = {
            key: value if isinstance(value, list) else [value] for key, value in answers.items()
        }
        self.sent: list[bytes] = []

    def __call__(self, apdu: list[int]) -> tuple[list[int], int, int]:
        command = bytes(apdu)
        self.sent.append(command)
        queue = self.answers.get(command)
        response = (queue.pop(0) if len(queue) > 1 else queue[0]) if queue else NOT_SUPPORTED
        return list(response[:-2]), response[-2], response[-1]


def uid_answer(*responses: bytes) -> dict[bytes, bytes | list[bytes]]:
    return {bytes(GET_UID): list(responses)}


@pytest.mark.parametrize("uid", ["04A2245B", "04D15EA5E1F080", "04112233445566778899"])
def test_a_uid_from_the_reader_is_the_identity(uid: str) -> None:
    card = ScriptedCard(uid_answer(bytes.fromhex(uid) + OK))

    assert card_identity(MIFARE_1K, card) == CardIdentity(uid, "uid")
    assert card.sent == [bytes(GET_UID)], "a storage card gets no SELECT"


def test_wrong_le_is_retried_with_the_length_the_card_offers() -> None:
    card = ScriptedCard(
        {
            bytes(GET_UID): b"\x6c\x07",
            bytes.fromhex("FFCA000007"): bytes.fromhex("04D15EA5E1F080") + OK,
        }
    )

    assert card_identity(MIFARE_1K, card).value == "04D15EA5E1F080"
    assert card.sent[-1] == bytes.fromhex("FFCA000007")


def test_end_reached_before_le_still_gives_the_uid() -> None:
    card = ScriptedCard(uid_answer(bytes.fromhex("04A2245B") + b"\x62\x82"))

    assert card_identity(MIFARE_1K, card).value == "04A2245B"


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (b"\x63\x00", "could not read the card"),
        (NOT_SUPPORTED, "does not support reading the card number"),
        (b"\x6f\x00", "internal error"),
        (b"\x69\x99", "answered 69 99"),
        (OK, "empty card number"),
    ],
)
def test_a_contactless_card_without_a_uid_is_refused_with_the_reason(
    answer: bytes, reason: str
) -> None:
    with pytest.raises(DeviceParseError, match=reason):
        card_identity(MIFARE_1K, ScriptedCard(uid_answer(answer)))


def test_a_random_uid_is_refused() -> None:
    card = ScriptedCard(uid_answer(bytes.fromhex("08123456") + OK))

    with pytest.raises(DeviceParseError, match="random UID"):
        card_identity(DESFIRE, card)


def test_an_iso_14443_4_card_is_asked_for_the_payment_directories_first() -> None:
    card = ScriptedCard(uid_answer(bytes.fromhex("04D15EA5E1F080") + OK))

    assert card_identity(DESFIRE, card).value == "04D15EA5E1F080"
    assert card.sent == [PPSE, PSE, bytes(GET_UID)]


@pytest.mark.parametrize("answer", [bytes.fromhex("6F10840E325041592E") + OK, b"\x61\x20"])
def test_a_card_answering_ppse_is_a_payment_card(answer: bytes) -> None:
    card = ScriptedCard({PPSE: answer, **uid_answer(bytes.fromhex("04D15EA5") + OK)})

    with pytest.raises(DeviceParseError, match="payment card"):
        card_identity(DESFIRE, card)
    assert bytes(GET_UID) not in card.sent
    assert not any(apdu[1] == 0xB2 for apdu in card.sent), "no record is ever read"


def test_a_contact_card_answering_pse_is_a_payment_card() -> None:
    card = ScriptedCard({PSE: OK})

    with pytest.raises(DeviceParseError, match="payment card"):
        card_identity(CONTACT_T0, card)


def test_a_payment_rid_in_the_historical_bytes_refuses_without_a_command() -> None:
    visa = build_atr(protocols=(0, 1), historical=bytes.fromhex("4F07A0000000031010"))
    card = ScriptedCard({})

    with pytest.raises(DeviceParseError, match="payment card"):
        card_identity(visa, card)
    assert card.sent == []


def iccid_card(iccid: bytes = ICCID) -> ScriptedCard:
    return ScriptedCard(
        {
            bytes.fromhex("00A4000C023F00"): OK,
            bytes(SELECT_EF_ICCID): OK,
            bytes(READ_ICCID): iccid + OK,
        }
    )


def test_a_contact_card_without_uid_gets_a_derived_id_from_its_iccid() -> None:
    identity = card_identity(CONTACT_T0, iccid_card())

    expected = derive_card_id(bytes.fromhex("1450"), b"iccid", ICCID)
    assert identity == CardIdentity(expected, "atr+data")
    assert len(identity.value) == 32
    assert card_identity(CONTACT_T0, iccid_card()) == identity, "stable for the same card"
    other = card_identity(CONTACT_T0, iccid_card(bytes.fromhex("98440100000000000029")))
    assert other.value != identity.value, "different cards, different ids"


def test_iccid_read_with_t0_get_response_and_wrong_le() -> None:
    card = ScriptedCard(
        {
            bytes(SELECT_EF_ICCID): b"\x61\x0f",
            bytes.fromhex("00C000000F"): bytes(15) + OK,
            bytes(READ_ICCID): b"\x6c\x0a",
        }
    )
    card.answers[bytes(READ_ICCID)] = [b"\x6c\x0a", ICCID + OK]

    assert card_identity(CONTACT_T0, card).source == "atr+data"


def test_a_java_card_without_iccid_uses_its_cplc() -> None:
    cplc = bytes.fromhex("9F7F2A4790516847910078340041014473957689481213360000") + bytes(16)
    card = ScriptedCard({bytes(GET_UID): b"\x6e\x00", bytes(GET_CPLC): cplc + OK})

    identity = card_identity(JCOP, card)

    assert identity.value == derive_card_id(b"JCOP41V221", b"cplc", cplc)


def test_a_contact_card_with_nothing_to_read_is_refused() -> None:
    with pytest.raises(DeviceParseError, match="no number the till can read"):
        card_identity(CONTACT_T0, ScriptedCard({}))


def test_a_blank_iccid_does_not_count() -> None:
    with pytest.raises(DeviceParseError, match="no number"):
        card_identity(CONTACT_T0, iccid_card(b"\xff" * 10))


def test_a_malformed_atr_is_refused_before_talking_to_the_card() -> None:
    card = ScriptedCard({})

    with pytest.raises(DeviceParseError, match="check byte"):
        card_identity(MIFARE_1K[:-1] + b"\x00", card)
    assert card.sent == []


def test_get_response_chains_are_bounded() -> None:
    def endless(apdu: list[int]) -> tuple[list[int], int, int]:
        return [0x01], 0x61, 0x01

    answer = exchange(endless, [0x00, 0xB0, 0x00, 0x00, 0x01])

    assert answer.sw1 == 0x61
    assert len(answer.data) == 17


@pytest.mark.parametrize(
    ("sw", "text"),
    [
        ((0x6A, 0x81), "does not support"),
        ((0x63, 0x00), "no information given"),
        ((0x62, 0x82), "end of data"),
        ((0x6C, 0x07), "offers 7 bytes"),
        ((0x63, 0xC2), "2 tries left"),
        ((0x12, 0x34), "answered 12 34"),
    ],
)
def test_status_words_have_readable_reasons(sw: tuple[int, int], text: str) -> None:
    assert text in status_reason(*sw)
