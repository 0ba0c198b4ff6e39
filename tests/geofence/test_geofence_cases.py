"""The data-driven geofence cases of tests/fixtures/zones/geofence_cases.yaml.

Each case is checked three ways: the vectorised index, the per-subject engine's
``zones_of`` (governing versions), and the plain per-point shapely loop (the oracle).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely
import yaml

from monitor.domain import Observation, SubjectKind
from monitor.geofence import Geofence, ZoneIndex
from monitor.timeutil import utc_from_epoch_s
from monitor.zones.fields import parse_time
from tests.geofence.oracle import contains_loop, crossings_loop

CASES = yaml.safe_load(
    (Path(__file__).resolve().parents[1] / "fixtures" / "zones" / "geofence_cases.yaml").read_text()
)
DEFAULTS = CASES["defaults"]


def _value(case: dict[str, Any], key: str) -> Any:
    return case.get(key, DEFAULTS[key])


def _alt(case: dict[str, Any]) -> float:
    alt = _value(case, "alt_ft")
    return math.nan if alt is None else float(alt)


def _t(case: dict[str, Any]) -> float:
    t = parse_time(_value(case, "t"))
    assert t is not None
    return t.timestamp()


def _index(request: pytest.FixtureRequest, which: str) -> ZoneIndex:
    return request.getfixturevalue(f"{which}_index")


@pytest.mark.parametrize("case", CASES["points"], ids=lambda c: c["name"])
def test_point(case: dict[str, Any], request: pytest.FixtureRequest) -> None:
    index = _index(request, case["zones"])
    aircraft = _value(case, "subject") == "aircraft"
    lon, lat, alt, t = float(case["lon"]), float(case["lat"]), _alt(case), _t(case)
    obs, ver = index.contains(
        np.array([lon]), np.array([lat]), np.array([alt]), np.array([t]), np.array([aircraft])
    )
    got = sorted(index.versions[j].key for j in ver)
    assert got == sorted(case["expect"])
    assert set(obs.tolist()) <= {0}
    oracle = contains_loop(index.versions, [lon], [lat], [alt], [t], [aircraft])
    assert sorted(k for _, k in oracle) == sorted(case["expect"])

    if "governing" in case:
        geofence = Geofence(index, min_dwell_s=0, exit_grace_s=0)
        o = Observation(
            source="test",
            feed_kind="adsbx_v2" if aircraft else "aisstream",
            subject_kind=SubjectKind.AIRCRAFT if aircraft else SubjectKind.VESSEL,
            subject_id="case",
            time=utc_from_epoch_s(t),
            lat=lat,
            lon=lon,
            altitude_ft=None if math.isnan(alt) else alt,
        )
        result = geofence.evaluate([o])
        assert sorted(v.key for v in result.zones_of(0)) == sorted(case["governing"])
        entered = sorted(tr.zone.key for tr in result.transitions if tr.kind == "enter")
        assert entered == sorted(case["governing"])


@pytest.mark.parametrize("case", CASES["segments"], ids=lambda c: c["name"])
def test_segment(case: dict[str, Any], request: pytest.FixtureRequest) -> None:
    index = _index(request, case["zones"])
    aircraft = _value(case, "subject") == "aircraft"
    (x0, y0), (x1, y1) = case["from"], case["to"]
    alt, t = _alt(case), _t(case)
    seg, ver, cx, cy = index.crossings([x0], [y0], [x1], [y1], [t], [alt], [aircraft])
    got = sorted(index.versions[j].key for j in ver)
    assert got == sorted(case["expect"])
    oracle = crossings_loop(index.versions, [(x0, y0, x1, y1)], [alt], [t], [aircraft])
    assert sorted(k for _, k in oracle) == sorted(case["expect"])
    # the reported crossing point lies on the segment and inside the zone
    for j, px, py in zip(ver, cx, cy, strict=True):
        assert index.versions[j].geometry.intersects(shapely.Point(px, py))
        cross = (x1 - x0) * (py - y0) - (y1 - y0) * (px - x0)
        assert abs(cross) < 1e-9
    assert np.all(seg == 0)


def test_cases_cover_what_the_issue_asks_for() -> None:
    names = " ".join(c["name"] for c in CASES["points"] + CASES["segments"])
    for needed in (
        "boundary",
        "hole",
        "island",
        "floor",
        "valid_to",
        "governs",
        "2025-11-25",
        "2026-01-03",
        "corner",
    ):
        assert needed in names, needed
