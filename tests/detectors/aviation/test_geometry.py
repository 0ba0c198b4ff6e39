"""The geometry under the rerouting detectors: great circles, detours, reversals."""

from __future__ import annotations

import math

import pytest
import shapely

from monitor.detectors.aviation.common import Airspace, GreatCircle, destination, haversine_km
from monitor.detectors.aviation.detour import Obstacle, route_crossings
from monitor.detectors.aviation.manoeuvres import find_reversal, projected_entry
from monitor.domain import ZoneKind
from tests.builders import box_zone

KM_PER_DEG_EQ = math.pi * 6371.0088 / 180.0  # one degree of a great circle


def test_cross_track_is_signed_and_along_track_measures_progress():
    gc = GreatCircle.between(0.0, 0.0, 0.0, 10.0)  # eastbound along the equator
    xt, along = gc.offsets_km(1.0, 5.0)  # 1 degree north: left of the track
    assert xt == pytest.approx(-KM_PER_DEG_EQ, rel=1e-3)
    assert along == pytest.approx(5 * KM_PER_DEG_EQ, rel=1e-3)
    xt, along = gc.offsets_km(-0.5, -1.0)  # south, and behind the start
    assert xt > 0 and along < 0


def test_route_crossing_of_a_box_reports_length_inside_and_where():
    zone = box_zone("Z", (2.0, -1.0, 4.0, 1.0))
    (c,) = route_crossings(0.0, 0.0, 0.0, 10.0, [zone])
    assert c.inside_km == pytest.approx(2 * 111.32, rel=0.01)  # WGS84 equator: 111.32 km/deg
    assert c.entry_along_km == pytest.approx(2 * KM_PER_DEG_EQ, rel=0.01)
    assert c.exit_along_km == pytest.approx(4 * KM_PER_DEG_EQ, rel=0.01)
    assert route_crossings(3.0, 0.0, 3.0, 10.0, [zone]) == []  # passes north of it


def test_the_way_around_a_box_goes_by_its_corners():
    box = shapely.box(2.0, -1.0, 4.0, 1.0)
    ob = Obstacle([box], clearance_km=0.0, simplify_km=0.1)
    around = ob.shortest_km(0.0, 0.0, 0.0, 6.0)
    # west point -> (2, 1) -> (4, 1) -> east point, in km
    expected = (
        haversine_km(0.0, 0.0, 1.0, 2.0) + haversine_km(1.0, 2.0, 1.0, 4.0)
        + haversine_km(1.0, 4.0, 0.0, 6.0)
    )
    assert around == pytest.approx(expected, rel=0.01)
    assert ob.blocks(0.0, 0.0, 0.0, 6.0)
    assert not ob.blocks(2.0, 0.0, 2.0, 6.0)
    assert ob.shortest_km(2.0, 0.0, 2.0, 6.0) == pytest.approx(haversine_km(2.0, 0.0, 2.0, 6.0))


def test_far_endpoints_are_handled():
    ob = Obstacle([shapely.box(-70, 4, -62, 11)], clearance_km=10.0)
    madrid, bogota = (40.47, -3.56), (4.70, -74.15)
    direct = haversine_km(*bogota, *madrid)
    around = ob.shortest_km(*bogota, *madrid)
    assert direct < around < direct * 1.1


def test_projected_entry_time_and_depth():
    airspace = Airspace((box_zone("Z", (-1.0, -1.0, 1.0, 1.0), kind=ZoneKind.CLOSED_AIRSPACE),))
    # 450 kt is 13.9 km a minute; the box edge is 1.5 degrees (167 km) south
    e = projected_entry(airspace, 2.5, 0.0, 180.0, 450.0, lookahead_s=1800, step_s=60)
    assert e is not None and e.zone.zone_id == "Z"
    assert 12 * 60 <= e.time_to_entry_s <= 13 * 60
    assert e.penetration_km > 150
    assert projected_entry(airspace, 2.5, 0.0, 0.0, 450.0, lookahead_s=1800, step_s=60) is None


def u_turn(radius_km, leg_km, step_km=7.0):
    """Points north along 0E, a half circle of ``radius_km`` east, then south."""
    pts = []
    t = 0.0
    lat, lon = 0.0, 0.0
    for _ in range(int(leg_km / step_km)):
        pts.append((t, lat, lon, 0.0))
        lat, lon = destination(lat, lon, 0.0, step_km)
        t += 60
    cx_lat, cx_lon = destination(lat, lon, 90.0, radius_km)
    for k in range(7):
        ang = 270.0 + 180.0 * k / 6
        p = destination(cx_lat, cx_lon, ang % 360, radius_km)
        pts.append((t, p[0], p[1], (ang + 90.0) % 360))
        t += 60
    lat, lon = pts[-1][1], pts[-1][2]
    for _ in range(int(leg_km / step_km)):
        lat, lon = destination(lat, lon, 180.0, step_km)
        pts.append((t, lat, lon, 180.0))
        t += 60
    return pts


def test_a_wide_u_turn_is_a_reversal_of_about_180_degrees():
    rev = find_reversal(u_turn(12.0, 80.0), min_leg_km=25.0, min_reversal_deg=150.0)
    assert rev is not None and rev.reversal_deg > 170


def test_short_legs_are_not_a_reversal():
    assert find_reversal(u_turn(3.0, 15.0), min_leg_km=25.0, min_reversal_deg=150.0) is None
