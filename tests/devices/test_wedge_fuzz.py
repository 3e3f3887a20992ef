"""The wedge decoder under fuzz: any keys at any timings, and nothing is lost or typed twice.

The decoder has no parse error: whatever arrives it must settle every key exactly once,
either given back in order (a person typing) or inside a burst (a device), and hold
nothing once the pause has run out. A fuzz input is a run of keys, two bytes each: the
key (a printable character, a terminator, a sentinel, or a key that types nothing) and
the gap before it, from 0 to 127 ms, so the configured 40 ms gap is crossed both ways;
the first 24 keys are typed.
"""

from __future__ import annotations

import pytest

from app.devices.wedge import Burst, Replay, WedgeConfig, WedgeDecoder
from tests.support.fuzz import assert_only_raises

CONFIG = WedgeConfig()
MAX_KEYS = 24  # a scan or a swipe and some typing; longer runs cost time, not paths
_SPECIAL = ("\r", "\n", "%", ";", "+", "?", "=", "^", "")  # "": arrows, F-keys


class _NeverRaisedError(Exception):
    """The decoder documents no error: any exception at all fails the fuzz."""


_PRINTABLE_FROM = len(_SPECIAL) * 8  # key codes below this are the special keys


def _key(code: int) -> str:
    if code < _PRINTABLE_FROM:
        return _SPECIAL[code % len(_SPECIAL)]
    return chr(0x20 + (code - _PRINTABLE_FROM) % 0x5F)


def _keys(data: bytes) -> list[tuple[str, float]]:
    at, keys = 100.0, []
    for offset in range(0, min(len(data), 2 * MAX_KEYS) - 1, 2):
        at += (data[offset + 1] & 0x7F) / 1000
        keys.append((_key(data[offset]), at))
    return keys


def decode(data: bytes) -> list[Burst | Replay[int]]:
    """Type the keys, ticking at every deadline passed, and check what came out."""
    decoder: WedgeDecoder[int] = WedgeDecoder(CONFIG)
    keys = _keys(data)
    out: list[Burst | Replay[int]] = []
    for index, (char, at) in enumerate(keys):
        deadline = decoder.deadline()
        if deadline is not None and deadline < at and index % 2:
            out += decoder.tick(deadline)  # the UI's timer fired first (every other time)
        out += decoder.key(char, index, at)
    out += decoder.tick((keys[-1][1] if keys else 0.0) + 1.0)
    _check(keys, out, decoder)
    return out


def _check(
    keys: list[tuple[str, float]], out: list[Burst | Replay[int]], decoder: WedgeDecoder[int]
) -> None:
    assert not decoder.holding and decoder.deadline() is None, "keys left held"
    given_back = [key for action in out if isinstance(action, Replay) for key in action.keys]
    assert given_back == sorted(set(given_back)), "keys given back twice or out of order"
    bursts = [action.text for action in out if isinstance(action, Burst)]
    back = set(given_back)
    swallowed = [char for index, (char, _at) in enumerate(keys) if index not in back]
    terminators = CONFIG.terminators

    def without_terminators(text: str) -> str:
        return "".join(char for char in text if char not in terminators)

    assert without_terminators("".join(swallowed)) == without_terminators("".join(bursts)), (
        "a burst does not hold exactly the keys that were not given back"
    )
    for text in bursts:
        stripe = len(text) > 2 and text[0] in CONFIG.sentinels and text[-1] == "?"
        assert text and (len(text) >= CONFIG.min_length or stripe), f"short burst {text!r}"


def _typed(text: str, gap_ms: int) -> bytes:
    specials = {char: index for index, char in enumerate(_SPECIAL) if char}
    out = bytearray()
    for char in text:
        code = specials.get(char, _PRINTABLE_FROM + ord(char) - 0x20)
        out += bytes([code, gap_ms])
    return bytes(out)


SEEDS = [
    _typed("2900000012345\r", 4),  # a scanner
    _typed(";6391000012345678=4912?", 2),  # a stripe reader with no Enter
    _typed("%B63910123^R/E^4912?;63910123=49?\r", 1),
    _typed("Emily Roberts\r", 90),  # a person
    _typed("ab\r", 10) + _typed("LOYAL-000123\r", 3) + _typed("xyz", 70),
]


def test_the_seeds_type_what_they_say() -> None:
    assert [key for key, _at in _keys(SEEDS[0])] == list("2900000012345\r")
    assert decode(SEEDS[0]) == [Burst("2900000012345")]
    assert decode(SEEDS[1]) == [Burst(";6391000012345678=4912?")]
    assert not any(isinstance(action, Burst) for action in decode(SEEDS[3]))


@pytest.mark.fuzz
def test_fuzz_keys_at_any_timing_are_settled_exactly_once() -> None:
    accepted = assert_only_raises(decode, _NeverRaisedError, SEEDS)
    assert accepted > 0
