"""GeoJSON and KML import: properties mapped to zone fields, geometry kept, round trips."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.domain import AppliesTo, Severity, ZoneKind, ZoneStatus
from monitor.errors import ZoneError
from monitor.zones.fields import UNNUMBERED, ImportDefaults
from monitor.zones.geojson import dump_geojson, read_geojson
from monitor.zones.reader import read_zone_bytes

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "zones"


def test_geojson_properties_map_to_fields() -> None:
    result = read_geojson((FIXTURES / "watch_areas.geojson").read_bytes())
    assert result.warnings == []
    para, tfr = result.versions
    assert para.zone_id == "WATCH-PARAGUANA"  # from the feature id
    assert para.version == UNNUMBERED
    assert (para.kind, para.status, para.applies_to) == (
        ZoneKind.WATCH_AREA,
        ZoneStatus.ACTIVE,
        AppliesTo.VESSELS,
    )
    assert para.valid_from == datetime(2025, 12, 1, tzinfo=UTC) and para.valid_to is None
    assert para.confidence == 0.8 and para.authority == "user"
    assert len(para.geometry.interiors) == 1
    assert tfr.zone_id == "TFR-MARGARITA"
    assert (tfr.kind, tfr.status, tfr.severity) == (
        ZoneKind.CLOSED_AIRSPACE,
        ZoneStatus.CLOSED,
        Severity.HIGH,
    )
    assert tfr.applies_to is AppliesTo.AIRCRAFT  # airspace defaults to aircraft only
    assert (tfr.floor_ft, tfr.ceiling_ft) == (0.0, 10000.0)
    assert tfr.valid_to == datetime(2025, 12, 6, 18, 0, tzinfo=UTC)
    assert tfr.geometry.geom_type == "MultiPolygon" and len(tfr.geometry.geoms) == 2
    assert tfr.source_ref == "example NOTAM A1234/25" and tfr.authority == "INAC (example)"


def test_kml_matches_the_same_rules() -> None:
    result = read_zone_bytes(
        (FIXTURES / "watch_areas.kml").read_bytes(),
        filename="watch_areas.kml",
        defaults=ImportDefaults(authority="me", kind=ZoneKind.WATCH_AREA),
    )
    paria, islands = result.versions
    assert paria.zone_id == "WATCH-GULF-PARIA" and paria.name == "Gulf of Paria"
    assert paria.description.startswith("Small craft between Güiria")
    assert paria.authority == "analyst desk" and paria.applies_to is AppliesTo.VESSELS
    assert paria.valid_from == datetime(2025, 10, 14, tzinfo=UTC) and paria.confidence == 0.7
    assert len(paria.geometry.interiors) == 1
    assert islands.zone_id == "WATCH-ISLANDS" and islands.authority == "me"
    assert islands.geometry.geom_type == "MultiPolygon"
    assert islands.ceiling_ft == 5000.0 and islands.applies_to is AppliesTo.BOTH


def test_kmz_is_read(tmp_path: Path) -> None:
    import zipfile

    kmz = tmp_path / "areas.kmz"
    with zipfile.ZipFile(kmz, "w") as z:
        z.writestr("doc.kml", (FIXTURES / "watch_areas.kml").read_text())
    result = read_zone_bytes(kmz.read_bytes(), filename="areas.kmz")
    assert [v.zone_id for v in result.versions] == ["WATCH-GULF-PARIA", "WATCH-ISLANDS"]


def test_unknown_suffix() -> None:
    with pytest.raises(ZoneError, match="unknown zone file type"):
        read_zone_bytes(b"", filename="zones.shp")


def test_dump_then_read_round_trips() -> None:
    versions = read_geojson((FIXTURES / "watch_areas.geojson").read_bytes()).versions
    versions = [
        v.__class__(**{**{f: getattr(v, f) for f in v.__slots__}, "version": 1}) for v in versions
    ]
    text = dump_geojson(versions, meta={"name": "x"})
    again = read_geojson(text).versions
    for a, b in zip(versions, again, strict=True):
        for field in (
            "zone_id",
            "version",
            "name",
            "kind",
            "status",
            "severity",
            "authority",
            "applies_to",
            "valid_from",
            "valid_to",
            "floor_ft",
            "ceiling_ft",
            "confidence",
        ):
            assert getattr(a, field) == getattr(b, field), field
        assert a.geometry.equals(b.geometry)
    assert math.isinf(again[0].ceiling_ft)
