"""The base-map build: TopoJSON decoding, shared borders, labels, and that the committed
``geodata/basemap/`` files are exactly what a fresh build makes from ``../shared/reference``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import shapely
from shapely.geometry import shape

from monitor.web.basemap import COUNTRIES_FILE, LABELS_FILE
from monitor.web.basemap_build import (
    BasemapBuildError,
    Country,
    build,
    capital_labels,
    declutter,
    decode_arcs,
    label_box,
    read_capitals,
    region_countries,
    ring_positions,
)

REPO = Path(__file__).resolve().parents[2]
BASEMAP = REPO / "geodata" / "basemap"


def tiny_topology() -> dict:
    """Two unit squares side by side, A (0..1) and B (1..2), quantized on a 0.5 degree grid.

    Arc 0 is the border x=1 (shared: A uses it forwards, B reversed as ~0); arc 1 is A's
    coast, arc 2 B's coast.
    """
    return {
        "type": "Topology",
        "transform": {"scale": [0.5, 0.5], "translate": [-70.0, 10.0]},
        "arcs": [
            [[2, 0], [0, 2]],                       # (1,0) -> (1,1)
            [[2, 2], [-2, 0], [0, -2], [2, 0]],     # (1,1) -> (0,1) -> (0,0) -> (1,0)
            [[2, 0], [2, 0], [0, 2], [-2, 0]],      # (1,0) -> (2,0) -> (2,1) -> (1,1)
        ],
        "objects": {"countries": {"type": "GeometryCollection", "geometries": [
            {"type": "Polygon", "arcs": [[0, 1]], "id": "001", "properties": {"name": "A"}},
            {"type": "Polygon", "arcs": [[2, -1]], "id": "002", "properties": {"name": "B"}},
            {"type": None, "id": "003", "properties": {"name": "No geometry"}},
        ]}},
    }


def test_arcs_are_delta_decoded_and_scaled():
    arcs = decode_arcs(tiny_topology())
    assert arcs[0].tolist() == [[-69.0, 10.0], [-69.0, 11.0]]
    assert arcs[1].tolist() == [[-69.0, 11.0], [-70.0, 11.0], [-70.0, 10.0], [-69.0, 10.0]]
    # a ring joins its arcs, ~i reversed, without repeating the joints
    ring = ring_positions([2, ~0], arcs)
    assert ring.tolist() == [[-69.0, 10.0], [-68.0, 10.0], [-68.0, 11.0], [-69.0, 11.0], [-69.0, 10.0]]
    # an unquantized topology is read as it is
    plain = decode_arcs({"arcs": [[[-60.5, 10.25], [-60.0, 10.5]]]})
    assert np.allclose(plain[0], [[-60.5, 10.25], [-60.0, 10.5]])


def test_countries_are_cut_to_the_region_and_share_their_border():
    countries = region_countries(tiny_topology(), bounds=(-69.5, 9.0, -60.0, 12.0), min_part_km2=0.0)
    assert [c.name for c in countries] == ["A", "B"]
    a, b = (c.land for c in countries)
    assert a.bounds == (-69.5, 10.0, -69.0, 11.0)  # cut at the region's west edge
    assert b.bounds == (-69.0, 10.0, -68.0, 11.0)
    assert a.intersection(b).length == pytest.approx(1.0)  # the same border, no gap, no overlap
    assert a.intersection(b).area == 0.0


def test_capitals_must_be_cited_and_on_their_country():
    land = Country("Venezuela", "862", shapely.box(-73.0, 1.0, -60.0, 12.0))
    good = "capital,country,lat,lon,source_url\n# a comment\nCaracas,Venezuela,10.48,-66.90,https://en.wikipedia.org/wiki/Caracas\n"
    [label] = capital_labels(read_capitals(good), [land])
    assert label["geometry"]["coordinates"] == [-66.9, 10.48]
    assert label["properties"]["source"] == "https://en.wikipedia.org/wiki/Caracas"
    with pytest.raises(BasemapBuildError, match="empty source_url"):
        read_capitals("capital,country,lat,lon,source_url\nCaracas,Venezuela,10.48,-66.90,\n")
    with pytest.raises(BasemapBuildError, match="header"):
        read_capitals("name,lat,lon\nCaracas,10.48,-66.90\n")
    swapped = "capital,country,lat,lon,source_url\nCaracas,Venezuela,-66.90,10.48,https://en.wikipedia.org/wiki/Caracas\n"
    with pytest.raises(BasemapBuildError, match="from the land of Venezuela"):
        capital_labels(read_capitals(swapped), [land])


def _point_label(kind: str, text: str, lon: float, lat: float, minzoom: int) -> dict:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {"layer": "label", "kind": kind, "text": text, "minzoom": minzoom}}


def test_declutter_pushes_a_colliding_label_to_a_deeper_zoom():
    city = _point_label("capital", "Caracas", -66.90, 10.48, 5)
    airport = _point_label("airport", "SVMI CCS", -66.99, 10.60, 5)  # 16 km away
    far = _point_label("capital", "Bogotá", -74.07, 4.71, 5)
    out = declutter([city, airport, far])
    assert [f["properties"]["minzoom"] for f in out] == [5, 8, 5]
    for z in range(8, 11):  # from its zoom on, the airport's name clears the city's
        a, b = label_box(out[0], z), label_box(out[1], z)
        assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3])


def test_committed_basemap_equals_a_fresh_build(shared_dir: Path, tmp_path: Path):
    """geodata/basemap/*.geojson must be exactly what the build makes from ../shared/reference."""
    written = build(shared_dir / "reference", tmp_path, BASEMAP / "capitals.csv")
    assert sorted(p.name for p in written) == sorted([COUNTRIES_FILE, LABELS_FILE])
    for path in written:
        committed = BASEMAP / path.name
        assert committed.read_bytes() == path.read_bytes(), (
            f"{committed} differs from a fresh build: run "
            "`python -m monitor.web.basemap_build --reference ../shared/reference --out geodata/basemap`"
        )


def test_committed_basemap_has_the_region_small_and_valid():
    doc = json.loads((BASEMAP / COUNTRIES_FILE).read_text(encoding="utf-8"))
    assert "Public domain" in doc["license"] and "world-atlas" in doc["license"]
    lands = {f["properties"]["name"]: shape(f["geometry"]) for f in doc["features"]}
    for name in ("Venezuela", "Colombia", "Guyana", "Suriname", "Brazil", "Trinidad and Tobago", "Aruba",
                 "Curaçao", "Netherlands", "Grenada", "Puerto Rico", "Dominican Rep.", "Haiti", "Jamaica",
                 "Cuba", "Panama", "Costa Rica", "Nicaragua", "Honduras", "Ecuador", "Barbados"):
        assert name in lands, name
    region = shapely.box(*doc["bbox"])
    for name, geom in lands.items():
        assert geom.is_valid and region.covers(geom), name
    # Trinidad is land (it was a sea-blue hole in strike zones when only Venezuela was drawn)
    assert lands["Trinidad and Tobago"].contains(shapely.Point(-61.3, 10.45))
    assert lands["Colombia"].contains(shapely.Point(-74.07, 4.71))  # Bogotá
    vertices = sum(shapely.get_num_coordinates(g) for g in lands.values())
    assert 10_000 < vertices < 20_000
    assert (BASEMAP / COUNTRIES_FILE).stat().st_size < 300_000


def test_islands_cut_out_of_strike_zones_are_land():
    """Every hole of a shipped strike zone is an island the base map draws as land."""
    land = shapely.union_all([
        shape(f["geometry"]) for f in json.loads((BASEMAP / COUNTRIES_FILE).read_text(encoding="utf-8"))["features"]
    ])
    strikes = json.loads((REPO / "geodata" / "strike_zones.geojson").read_text(encoding="utf-8"))
    holes = []
    for f in strikes["features"]:
        geom = shape(f["geometry"])
        for poly in getattr(geom, "geoms", [geom]):
            holes.extend(shapely.Polygon(ring) for ring in poly.interiors)
    assert len(holes) >= 3  # Aruba, Curaçao, Grenada and an island off Colombia when this was written
    for hole in holes:
        assert hole.intersection(land).area / hole.area > 0.8, hole.representative_point()


def test_committed_labels_name_capitals_airports_and_countries():
    doc = json.loads((BASEMAP / LABELS_FILE).read_text(encoding="utf-8"))
    by_kind: dict[str, dict[str, dict]] = {}
    for f in doc["features"]:
        by_kind.setdefault(f["properties"]["kind"], {})[f["properties"]["text"]] = f
    assert {"Caracas", "Bogotá", "Port of Spain", "Georgetown", "Willemstad", "Oranjestad"} <= set(by_kind["capital"])
    assert all(f["properties"]["source"].startswith("https://") for f in by_kind["capital"].values())
    assert {"SVMI CCS", "TTPP POS", "TNCC CUR", "SKBO BOG"} <= set(by_kind["airport"])
    assert "LEMD MAD" not in by_kind["airport"]  # Madrid is outside the region
    assert {"Venezuela", "Colombia", "Trinidad and Tobago", "Aruba", "Curaçao"} <= set(by_kind["country"])
    assert by_kind["country"]["Venezuela"]["properties"]["minzoom"] == 4
    assert all(4 <= f["properties"]["minzoom"] <= 10 for f in doc["features"])
