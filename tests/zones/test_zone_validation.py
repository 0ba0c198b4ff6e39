"""Invalid zone input is refused with a message naming the feature and the problem."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
import yaml

from monitor.errors import ZoneError
from monitor.zones.altitude import format_altitude, parse_altitude_ft
from monitor.zones.geojson import read_geojson
from monitor.zones.kml import read_kml

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "zones"
CASES = yaml.safe_load((FIXTURES / "invalid_features.yaml").read_text())
GOOD = {
    "type": "Feature",
    "properties": {"zone_id": "GOOD"},
    "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]},
}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"])
def test_invalid_feature_is_named(case: dict[str, Any]) -> None:
    doc = {"type": "FeatureCollection", "features": [GOOD, case["feature"]]}
    with pytest.raises(ZoneError) as info:
        read_geojson(json.dumps(doc))
    message = str(info.value)
    for fragment in case["error"]:
        assert fragment in message, f"{fragment!r} not in {message!r}"


def test_bow_tie_is_repaired_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    bow_tie = {
        "type": "Feature",
        "properties": {"zone_id": "BOWTIE", "name": "crossed ring"},
        "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [2, 2], [2, 0], [0, 2], [0, 0]]]},
    }
    with caplog.at_level(logging.WARNING, logger="monitor.zones.geometry"):
        result = read_geojson(json.dumps({"type": "FeatureCollection", "features": [bow_tie]}))
    (v,) = result.versions
    assert v.geometry.is_valid and v.geometry.geom_type == "MultiPolygon"
    assert v.geometry.area == pytest.approx(2.0)
    assert len(result.warnings) == 1
    assert "feature 0 (id 'BOWTIE', name 'crossed ring')" in result.warnings[0]
    assert "self-intersection at (1, 1) repaired" in result.warnings[0]
    assert "repaired" in caplog.text


def test_spike_is_repaired() -> None:
    spike = {
        "type": "Feature",
        "properties": {"zone_id": "SPIKE"},
        "geometry": {
            "type": "Polygon",
            "coordinates": [[[0, 0], [2, 0], [2, 2], [1, 2], [1, 3], [1, 2], [0, 2], [0, 0]]],
        },
    }
    (v,) = read_geojson(json.dumps(spike)).versions
    assert v.geometry.area == pytest.approx(4.0) and v.geometry.is_valid


def test_not_geojson_at_all() -> None:
    with pytest.raises(ZoneError, match="not GeoJSON"):
        read_geojson("{nope")
    with pytest.raises(ZoneError, match="bare geometry"):
        read_geojson(json.dumps(GOOD["geometry"]))


def test_kml_unclosed_ring_names_the_placemark() -> None:
    with pytest.raises(ZoneError) as info:
        read_kml((FIXTURES / "bad_ring.kml").read_bytes())
    assert "feature 1 (id 'OPEN-RING', name 'forgot to close')" in str(info.value)
    assert "is not closed" in str(info.value)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("<kml><Document/></kml>", "no Placemark"),
        ("<gpx/>", "root element is <gpx>"),
        ("<kml", "not KML"),
        (
            '<kml><Placemark id="P"><Point><coordinates>1,2</coordinates></Point></Placemark></kml>',
            "feature 0 (id 'P'): geometry type Point is not an area",
        ),
        (
            '<kml><Placemark id="Q"><Polygon><outerBoundaryIs><LinearRing><coordinates>'
            "0,0 x,1 1,1 0,0</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark></kml>",
            "feature 0 (id 'Q'): outer ring of polygon 0, position 1 'x,1' is not lon,lat",
        ),
    ],
)
def test_kml_errors(text: str, problem: str) -> None:
    with pytest.raises(ZoneError) as info:
        read_kml(text)
    assert problem in str(info.value)


@pytest.mark.parametrize(
    ("text", "feet"),
    [
        ("SFC", 0.0),
        ("GND", 0.0),
        ("UNL", float("inf")),
        ("FL350", 35000.0),
        ("fl 95", 9500.0),
        ("5000", 5000.0),
        ("5000 ft", 5000.0),
        ("12500FT AMSL", 12500.0),
        (4500, 4500.0),
        (0, 0.0),
    ],
)
def test_altitudes(text: object, feet: float) -> None:
    assert parse_altitude_ft(text) == feet


@pytest.mark.parametrize("text", ["3000 m", "high", "-100", True, None, "FL"])
def test_bad_altitudes(text: object) -> None:
    with pytest.raises(ValueError):
        parse_altitude_ft(text)


def test_altitude_formatting() -> None:
    assert [format_altitude(v) for v in (0, 4500, 35000, float("inf"))] == [
        "SFC",
        "4500 ft",
        "FL350",
        "UNL",
    ]
