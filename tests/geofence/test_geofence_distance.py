"""Geodesic distance to a zone boundary, checked against brute force with pyproj.Geod."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from pyproj import Geod

from monitor.geofence import ZoneIndex

GEOD = Geod(ellps="WGS84")


def brute_force_m(geom, lon: float, lat: float) -> float:
    """Min geodesic distance to the boundary densified at ~100 m (slow, exact enough)."""
    pts = shapely.get_coordinates(shapely.segmentize(geom.boundary, 0.001))
    _, _, d = GEOD.inv(np.full(len(pts), lon), np.full(len(pts), lat), pts[:, 0], pts[:, 1])
    return float(d.min())


def test_distance_to_a_meridian_edge(synthetic_index: ZoneIndex) -> None:
    square = next(v for v in synthetic_index.versions if v.zone_id == "SQUARE")
    d = synthetic_index.distance_to_boundary_m(-1.0, 5.0, square)
    _, _, expected = GEOD.inv(-1.0, 5.0, 0.0, 5.0)
    assert isinstance(d, float)
    assert d == pytest.approx(expected, rel=1e-3)  # about 110.9 km


def test_array_input_and_inside_points(synthetic_index: ZoneIndex) -> None:
    square = next(v for v in synthetic_index.versions if v.zone_id == "SQUARE")
    d = synthetic_index.distance_to_boundary_m(
        np.array([5.0, 9.0, np.nan]), np.array([5.0, 5.0, 1.0]), square
    )
    assert d.shape == (3,)
    assert d[1] == pytest.approx(brute_force_m(square.geometry, 9.0, 5.0), rel=2e-3)
    assert d[0] == pytest.approx(brute_force_m(square.geometry, 5.0, 5.0), rel=1e-2)
    assert np.isnan(d[2])


@pytest.mark.parametrize(
    ("lon", "lat"),
    [(-66.0, 13.5), (-66.9, 11.2), (-60.5, 9.0), (-72.0, 12.5), (-64.0, 16.5), (-68.0, 4.0)],
)
def test_svzm_distances_within_one_percent(
    bundled_index: ZoneIndex, lon: float, lat: float
) -> None:
    svzm = next(v for v in bundled_index.versions if v.key == "SVZM@v3")
    d = bundled_index.distance_to_boundary_m(lon, lat, svzm)
    assert d == pytest.approx(brute_force_m(svzm.geometry, lon, lat), rel=1e-2, abs=50.0)
