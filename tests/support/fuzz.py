"""A small mutation fuzzer for device parsers: random bytes and mutated good inputs.

The default run (100k inputs a parser) is part of every test run; ``TABKEEPER_FUZZ_RUNS``
makes it longer (``make fuzz``).
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable, Iterator, Sequence

DEFAULT_RUNS = 100_000


def fuzz_runs() -> int:
    return int(os.environ.get("TABKEEPER_FUZZ_RUNS", DEFAULT_RUNS))


def _mutate(rng: random.Random, seed: bytes) -> bytes:
    data = bytearray(seed)
    for _ in range(rng.randint(1, 4)):
        choice = rng.randrange(6)
        position = rng.randrange(len(data) + 1)
        if choice == 0 and data:  # flip a bit
            index = rng.randrange(len(data))
            data[index] ^= 1 << rng.randrange(8)
        elif choice == 1 and data:  # drop a slice
            end = min(len(data), position + rng.randint(1, 8))
            del data[position:end]
        elif choice == 2:  # insert random bytes
            data[position:position] = rng.randbytes(rng.randint(1, 8))
        elif choice == 3 and data:  # duplicate a slice
            start = rng.randrange(len(data))
            data[position:position] = data[start : start + rng.randint(1, 16)]
        elif choice == 4 and data:  # truncate
            del data[position:]
        else:  # an interesting byte: separators, sentinels, control codes
            data[position:position] = bytes([rng.choice(b"%;+?^=\r\n\x1d\x00\xff]")])
    return bytes(data)


def fuzz_inputs(seeds: Sequence[bytes], runs: int | None = None, seed: int = 1) -> Iterator[bytes]:
    """``runs`` inputs: a quarter random bytes, the rest mutations of the seeds."""
    rng = random.Random(seed)
    for index in range(fuzz_runs() if runs is None else runs):
        if index % 4 == 0 or not seeds:
            yield rng.randbytes(rng.randint(0, 96))
        else:
            yield _mutate(rng, rng.choice(seeds))


def assert_only_raises(
    parse: Callable[[bytes], object], error: type[Exception], seeds: Sequence[bytes]
) -> int:
    """Feed every fuzz input to ``parse``; anything but ``error`` fails the test."""
    accepted = 0
    for data in fuzz_inputs(seeds):
        try:
            parse(data)
        except error:
            continue
        except Exception as unexpected:
            raise AssertionError(f"{parse.__name__} raised {unexpected!r} on {data!r}") from None
        accepted += 1
    return accepted
