"""GS1 element strings on their own: arbitrary and mutated data only ever raise the parse error.

The barcode fuzz reaches ``parse_element_string`` only behind a ``]C1``/``]d2`` identifier
and a valid frame; this one feeds it everything, FNC1 (GS) included.
"""

from __future__ import annotations

import pytest

from app.devices.errors import DeviceParseError
from app.devices.gs1 import GS, Gs1Element, parse_element_string
from tests.support.fuzz import assert_only_raises

GTIN = "09501101530003"
GSRN = "095011015300000003"
SSCC = "376123450000010008"
GLN = "9501101530010"

SEEDS = [
    f"01{GTIN}1729123110ABC123{GS}21XYZ42".encode(),
    f"00{SSCC}{GS}410{GLN}3103000750".encode(),
    f"{GS}8018{GSRN}{GS}8020REF1".encode(),
    f"8004ASSET-1{GS}3922499{GS}42125012345{GS}253{GLN}X-1".encode(),
    f"01{GTIN}{GS}21A1{GS}".encode(),
    f"8003{GTIN}SERIAL7{GS}4219263170{GS}7003291231235".encode(),
    b"11280229151231003920199",
]


def _parse(data: bytes) -> tuple[Gs1Element, ...]:
    # Scanners deliver bytes; the barcode parser hands GS1 text decoded this way.
    return parse_element_string(data.decode("latin-1"))


def test_the_seeds_are_read() -> None:
    """The fuzz starts from element strings the parser accepts, or it only tests refusals."""
    read = 0
    for seed in SEEDS:
        try:
            _parse(seed)
        except DeviceParseError:
            continue
        read += 1
    assert read >= 5


@pytest.mark.fuzz
def test_fuzz_parse_element_string() -> None:
    accepted = assert_only_raises(_parse, DeviceParseError, SEEDS)
    assert accepted > 0
