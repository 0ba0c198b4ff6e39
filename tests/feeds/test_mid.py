"""MMSI -> flag state and validity (cases in tests/fixtures/maritime/mmsi_cases.json)."""

from __future__ import annotations

import json

import pytest

from monitor.feeds.mid import (
    FLAGS_OF_CONVENIENCE,
    MID_TABLE,
    flag_name,
    flag_state,
    is_valid_mmsi,
    mid_of,
)
from tests.feeds.maritime_helpers import FIXTURES

CASES = json.loads((FIXTURES / "mmsi_cases.json").read_text())["cases"]


@pytest.mark.parametrize("case", CASES, ids=[c["note"] for c in CASES])
def test_flag_and_validity(case: dict) -> None:
    assert flag_state(case["mmsi"]) == case["flag"]
    assert is_valid_mmsi(case["mmsi"]) is case["valid"]


def test_integers_are_zero_padded_to_nine_digits() -> None:
    assert flag_state(2393200) == "GR" and is_valid_mmsi(2393200)
    assert flag_state(775123456) == "VE"
    assert not is_valid_mmsi(0) and not is_valid_mmsi(-5) and not is_valid_mmsi(True)


def test_every_american_and_caribbean_state_is_in_the_table() -> None:
    americas = {
        "AG", "AI", "AR", "AW", "BB", "BM", "BO", "BR", "BS", "BZ", "CA", "CL", "CO", "CR", "CU",
        "CW", "DM", "DO", "EC", "FK", "GD", "GF", "GL", "GP", "GT", "GY", "HN", "HT", "JM", "KN",
        "KY", "LC", "MQ", "MS", "MX", "NI", "PA", "PE", "PM", "PR", "PY", "SR", "SV", "TC", "TT",
        "US", "UY", "VC", "VE", "VG", "VI",
    }
    assert americas <= {e.iso for e in MID_TABLE.values()}
    assert FLAGS_OF_CONVENIENCE <= {e.iso for e in MID_TABLE.values()}


def test_mid_positions_and_names() -> None:
    assert mid_of("775123456") == 775 and mid_of("002393200") == 239 and mid_of("111775123") == 775
    assert flag_name("775123456") == "Venezuela"
    assert mid_of("970123456") is None
