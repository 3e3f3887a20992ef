"""The wedge decoder on realistic timings: scanners, stripe readers and people typing."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from app.devices.wedge import Burst, Replay, WedgeConfig, WedgeDecoder


def feed(decoder: WedgeDecoder[int], keys: list[tuple[str, float]]) -> list[Burst | Replay[int]]:
    """Type (char, time) pairs; a final tick well after the last key settles what is held."""
    out: list[Burst | Replay[int]] = []
    for index, (char, at) in enumerate(keys):
        out += decoder.key(char, index, at)
    out += decoder.tick((keys[-1][1] if keys else 0.0) + 1.0)
    return out


def typed(text: str, start: float, gaps: list[float]) -> list[tuple[str, float]]:
    at, keys = start, []
    for char, gap in zip(text, gaps, strict=True):
        at += gap
        keys.append((char, at))
    return keys


def replayed(actions: list[Burst | Replay[int]]) -> list[int]:
    return [key for action in actions if isinstance(action, Replay) for key in action.keys]


def test_a_scanner_burst_with_enter_is_one_burst() -> None:
    keys = typed("2900000012345\r", 10.0, [0.004] * 14)
    assert feed(WedgeDecoder(), keys) == [Burst("2900000012345")]


def test_a_stripe_swipe_is_a_burst_even_without_enter() -> None:
    keys = typed(";6391000012345678=4912?", 3.0, [0.002] * 23)
    assert feed(WedgeDecoder(), keys) == [Burst(";6391000012345678=4912?")]


def test_a_fast_typist_is_never_swallowed() -> None:
    # 120 words a minute is about 100 ms a key; bursts of a practised typist reach 50 ms.
    rng = random.Random(4)
    text = "Emily Roberts\r"
    keys = typed(text, 0.0, [rng.uniform(0.045, 0.16) for _ in text])
    out = feed(WedgeDecoder(), keys)
    assert not any(isinstance(a, Burst) for a in out)
    assert replayed(out) == list(range(len(text)))


def test_short_fast_runs_are_given_back() -> None:
    keys = typed("ab\r", 0.0, [0.01, 0.01, 0.01])
    out = feed(WedgeDecoder(), keys)
    assert replayed(out) == [0, 1, 2]


def test_a_burst_right_after_typing_keeps_both_apart() -> None:
    keys = typed("hi", 0.0, [0.2, 0.2]) + typed("12345678\r", 1.0, [0.003] * 9)
    out = feed(WedgeDecoder(), keys)
    assert out[0] == Replay((0,)) and out[1] == Replay((1,))
    assert out[-1] == Burst("12345678")


def test_keys_without_text_flush_what_is_held() -> None:
    decoder: WedgeDecoder[int] = WedgeDecoder()
    decoder.key("a", 0, 0.0)
    assert decoder.key("", 1, 0.01) == [Replay((0,)), Replay((1,))]


@given(
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=40),
    st.lists(st.floats(min_value=0.041, max_value=1.0), min_size=40, max_size=40),
)
def test_whatever_a_person_types_slower_than_a_device_comes_back_in_order(
    text: str, gaps: list[float]
) -> None:
    keys = typed(text, 0.0, gaps[: len(text)])
    out = feed(WedgeDecoder(WedgeConfig()), keys)
    assert replayed(out) == list(range(len(text)))


@given(st.text(alphabet="0123456789ABCDEF", min_size=4, max_size=60))
def test_whatever_a_device_types_fast_arrives_whole(payload: str) -> None:
    keys = typed(payload + "\r", 0.0, [0.005] * (len(payload) + 1))
    assert feed(WedgeDecoder(), keys) == [Burst(payload)]
