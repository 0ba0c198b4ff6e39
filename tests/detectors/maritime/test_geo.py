"""Geometry under the maritime detectors: distances, shore, grids, ports, the registry."""

from __future__ import annotations

import random

import pytest
import shapely
from pyproj import Geod

from monitor.detectors.maritime.geo import CoverageMap, PointGrid, destination, distance_m
from monitor.detectors.maritime.places import (
    PortIndex,
    bundled_ports,
    bundled_waterways,
    parse_ports,
)
from monitor.detectors.maritime.shore import Shoreline
from monitor.detectors.registry import DETECTORS, build_detectors
from monitor.errors import ConfigError

GEOD = Geod(ellps="WGS84")


def geodesic_m(lon1, lat1, lon2, lat2):
    return GEOD.inv(lon1, lat1, lon2, lat2)[2]


@pytest.mark.parametrize(("lat1", "lon1", "lat2", "lon2"), [
    (10.6, -66.9, 11.0, -66.9), (10.6, -66.9, 10.6, -62.0), (12.0, -70.0, 9.0, -60.0),
])
def test_haversine_within_0_6_percent_of_the_ellipsoid(lat1, lon1, lat2, lon2):
    assert distance_m(lat1, lon1, lat2, lon2) == pytest.approx(
        geodesic_m(lon1, lat1, lon2, lat2), rel=0.006)


@pytest.mark.parametrize(("lon", "lat", "edge"), [
    (-66.0, 10.8333, (-66.0, 10.5)),   # 20 nm north of a coast along 10.5N
    (-59.0, 9.5, (-60.0, 9.5)),        # 60 nm east of a coast along 60W
    (-59.6, 10.8, (-60.0, 10.5)),      # off the corner
])
def test_shore_distance_within_half_a_percent_of_the_geodesic(lon, lat, edge):
    shore = Shoreline([shapely.box(-70.0, 8.0, -60.0, 10.5)])
    expected = geodesic_m(lon, lat, *edge)
    assert shore.distance_m(lon, lat, within_m=200_000) == pytest.approx(expected, rel=0.005)


def test_shore_depth_and_range():
    shore = Shoreline([shapely.box(-70.0, 8.0, -60.0, 10.5)])
    assert shore.depth_m(-66.0, 10.45, within_m=50_000) == pytest.approx(
        geodesic_m(-66.0, 10.45, -66.0, 10.5), rel=0.005)
    assert shore.depth_m(-66.0, 9.0, within_m=20_000) == 20_000  # capped
    assert shore.depth_m(-66.0, 11.0, within_m=20_000) == 0.0  # at sea
    assert shore.distance_m(-66.0, 10.45, within_m=1000) == 0.0  # on land
    assert shore.distance_m(-66.0, 12.5, within_m=50_000) == float("inf")  # beyond range
    assert Shoreline([]).offshore(-66.0, 10.0, 1.0)


@pytest.mark.parametrize("primed", [False, True])
def test_memoised_offshore_agrees_with_the_distance(primed):
    land = [shapely.box(-70.0, 8.0, -60.0, 10.5), shapely.Point(-65.0, 11.5).buffer(0.2)]
    shore, reference = Shoreline(land), Shoreline(land)
    rnd = random.Random(5)
    points = [(rnd.uniform(-71, -59), rnd.uniform(9.5, 12.5)) for _ in range(2000)]
    if primed:  # the vectorised pass the loitering detector makes per batch
        shore.prime([p[0] for p in points], [p[1] for p in points], 37_040)
    for lon, lat in points:
        exact = reference.distance_m(lon, lat, within_m=40_000) >= 37_040
        assert shore.offshore(lon, lat, 37_040) is exact, (lon, lat)


def test_offshore_memo_is_bounded_by_the_area_near_land():
    """Vessels crossing an ocean far from the known land leave no verdicts behind; those
    near it fill one byte a cell, in chunks, and the answers stay exact."""
    land = [shapely.box(-70.0, 8.0, -60.0, 10.5)]
    shore, reference = Shoreline(land), Shoreline(land)
    rnd = random.Random(11)
    far = [(rnd.uniform(-100.0, -20.0), rnd.uniform(-40.0, 5.0)) for _ in range(20_000)]
    far = [p for p in far if p[1] < 7.0]  # south of the land by more than the threshold
    shore.prime([p[0] for p in far], [p[1] for p in far], 37_040)
    for lon, lat in far[:2000]:
        assert shore.offshore(lon, lat, 37_040) is True
    assert shore.verdict_bytes() <= 4 * 4096  # at most the few chunks touching its reach
    near = [(rnd.uniform(-70.5, -59.5), rnd.uniform(10.4, 11.0)) for _ in range(3000)]
    shore.prime([p[0] for p in near], [p[1] for p in near], 37_040)
    for lon, lat in near:
        exact = reference.distance_m(lon, lat, within_m=40_000) >= 37_040
        assert shore.offshore(lon, lat, 37_040) is exact, (lon, lat)
    held = shore.verdict_bytes()
    assert 0 < held <= 64 * 4096
    for lon, lat in far[2000:4000]:  # more ocean: nothing more held
        shore.offshore(lon, lat, 37_040)
    assert shore.verdict_bytes() == held


def test_point_grid_finds_what_a_scan_finds():
    grid = PointGrid(cell_m=500.0)
    rnd = random.Random(1)
    pts = {f"v{i}": (rnd.uniform(-67.0, -66.9), rnd.uniform(10.6, 10.7)) for i in range(3000)}
    for k, (lon, lat) in pts.items():
        grid.put(k, lon, lat)
    grid.put("v0", -66.95, 10.65)  # a move
    pts["v0"] = (-66.95, 10.65)
    for q in list(pts)[:50]:
        lon, lat = pts[q]
        found = {k for k, _ in grid.near(lon, lat, 500.0)}
        scan = {k for k, (x, y) in pts.items() if distance_m(lat, lon, y, x) <= 500.0}
        assert found == scan


def test_coverage_map_reports_who_was_heard_nearby_and_when():
    cov = CoverageMap(cell_m=20_000.0)
    lat, lon = 11.3, -62.1
    near = destination(lat, lon, 45.0, 30_000.0)
    far = destination(lat, lon, 45.0, 80_000.0)
    cov.record("a", "aisstream", near[1], near[0], 100.0)
    cov.record("b", "ais_tcp", far[1], far[0], 200.0)
    cov.record("me", "aisstream", lon, lat, 300.0)
    assert cov.subjects_after(lon, lat, 40_000.0, 50.0, exclude="me") == {"a": 100.0}
    assert cov.subjects_after(lon, lat, 40_000.0, 150.0, exclude="me") == {}
    assert cov.sources_since(lon, lat, 40_000.0, 0.0) == {"aisstream"}


@pytest.mark.parametrize("many", [False, True])
def test_coverage_map_keeps_the_most_recent_subjects_of_a_busy_cell(many):
    cov = CoverageMap(cell_m=20_000.0, per_cell=4)
    lat, lon = 11.3, -62.1
    times = list(range(100, 131))
    random.Random(3).shuffle(times)  # heard out of order
    for t in times:
        if many:
            cov.record_many([f"v{t}"], ["aisstream"], [lon], [lat], [float(t)])
        else:
            cov.record(f"v{t}", "aisstream", lon, lat, float(t))
    heard = cov.subjects_after(lon, lat, 1_000.0, 0.0)
    assert 4 <= len(heard) <= 8
    newest = sorted(heard.values())
    # whatever was kept, the four most recent are among it
    assert newest[-4:] == [127.0, 128.0, 129.0, 130.0]
    assert cov.subjects_after(lon, lat, 1_000.0, 126.5) == {f"v{t}": float(t) for t in (127, 128, 129, 130)}


def test_bundled_ports_and_waterways():
    ports = bundled_ports()
    assert len(ports) >= 60
    assert all(-85 <= p.lon <= -54 and -2 <= p.lat <= 22 for p in ports)
    port, d = PortIndex(ports).nearest(10.61, -66.935)
    assert port is not None and port.name == "La Guaira" and d < 2000
    assert {w.name.split(" ")[0] for w in bundled_waterways()} >= {"Orinoco"}
    with pytest.raises(ValueError, match="ports line 2"):
        parse_ports("name,country,lat,lon\nX,VE,north,-66\n")


def test_venezuelan_sea_ports_lie_on_the_shipped_coastline():
    """Each coastal port of Venezuela is within 5 km of the coastline the monitor ships
    (a check of the hand-typed coordinates)."""
    from monitor.zones.bundled import load_bundled_zones

    try:
        land = [v.geometry for v in load_bundled_zones() if v.kind.value == "land"]
    except Exception as exc:  # noqa: BLE001 - geodata is another package's output
        pytest.skip(f"shipped zones unavailable: {exc}")
    shore = Shoreline(land)
    river = {"Puerto Ordaz (Matanzas)", "Palua (San Felix)", "Ciudad Bolivar", "Caripito"}
    for p in bundled_ports():
        if p.country != "VE" or p.name in river:
            continue
        at_sea = shore.distance_m(p.lon, p.lat, within_m=10_000)
        inland = shore.depth_m(p.lon, p.lat, within_m=10_000)
        assert max(at_sea, inland) < 5000, p


def test_the_registry_knows_the_maritime_detectors_and_checks_their_settings():
    names = {"zone_transit", "going_dark", "loitering", "rendezvous", "spoofing", "fast_craft",
             "identity_change"}
    assert names <= set(DETECTORS)
    built = {d.name: d for d in build_detectors({"rendezvous": {"max_distance_m": 250}})}
    assert names <= set(built)
    assert built["rendezvous"].config.max_distance_m == 250.0
    with pytest.raises(ConfigError, match="detectors.going_dark.gap_hours: unknown setting"):
        build_detectors({"going_dark": {"gap_hours": 6}})
    with pytest.raises(ConfigError, match="detectors.loitering.max_speed_kt"):
        build_detectors({"loitering": {"max_speed_kt": "slow"}})
