"""The aviation detectors are built from the config file's ``detectors:`` section."""

from __future__ import annotations

import pytest

from monitor.detectors.aviation import DETECTORS
from monitor.detectors.registry import build_detectors
from monitor.errors import ConfigError


def test_every_aviation_detector_is_registered_and_builds_with_defaults():
    built = {d.name: d for d in build_detectors({})}
    assert set(DETECTORS) <= set(built)
    kinds = {k.value for name in DETECTORS for k in built[name].kinds}
    assert kinds == {
        "reroute", "boundary_avoidance", "turnback", "diversion", "emergency", "dropout",
        "gnss_interference", "position_jump", "military_presence", "traffic_collapse",
        "operator_return",
    }


def test_thresholds_come_from_config_with_their_types():
    built = {d.name: d for d in build_detectors({
        "reroute": {"lookahead_s": 600, "airport_region": [-80, 0, -55, 20]},
        "traffic_collapse": {"count_zone_ids": ["FIR-SVZM"], "collapse_share": 0.25},
        "gnss_interference": {"min_aircraft": 8},
    })}
    assert built["reroute"].config.lookahead_s == 600.0  # type: ignore[attr-defined]
    assert built["reroute"].config.airport_region == (-80.0, 0.0, -55.0, 20.0)  # type: ignore[attr-defined]
    assert built["traffic_collapse"].config.count_zone_ids == ("FIR-SVZM",)  # type: ignore[attr-defined]
    assert built["gnss_interference"].config.min_aircraft == 8  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"dropout": {"gap_s": 300}}, "detectors.dropout.gap_s: unknown setting"),
        ({"emergency": {"confirm_fixes": "two"}}, "detectors.emergency.confirm_fixes"),
    ],
)
def test_config_mistakes_name_the_key(section, message):
    with pytest.raises(ConfigError, match=message):
        build_detectors(section)


def test_a_detector_can_be_switched_off():
    names = {d.name for d in build_detectors({"military_presence": {"enabled": False}})}
    assert "military_presence" not in names and "reroute" in names


@pytest.mark.parametrize("name", sorted(DETECTORS))
def test_every_threshold_is_documented_in_its_dataclass(name):
    import dataclasses
    import importlib

    module, _, cls = DETECTORS[name][1].partition(":")
    config = getattr(importlib.import_module(module), cls)
    doc = config.__doc__ or ""
    missing = [f.name for f in dataclasses.fields(config) if f"``{f.name}``" not in doc]
    assert missing == [], f"{name}: thresholds without a word in the docstring: {missing}"
