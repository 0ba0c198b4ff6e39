"""Spherical geodesy shared by the simulator, the detectors and the feeds (pure math).

Positions are WGS84 degrees, but distances here are great-circle distances on a sphere of
the mean Earth radius (IUGG, 6,371,008.8 m): within about 0.5 % of the ellipsoid, which is
what detector thresholds in kilometres and nautical miles need. Where survey accuracy
matters (distance to a zone boundary) ``monitor.geofence`` uses ``pyproj.Geod`` instead.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

#: mean Earth radius (IUGG), metres
EARTH_RADIUS_M = 6_371_008.8


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


#: metres per degree of arc on the sphere of :data:`EARTH_RADIUS_M`
M_PER_DEG_ARC = EARTH_RADIUS_M * math.pi / 180.0


def within_m(lat1: float, lon1: float, lat2: float, lon2: float, limit_m: float) -> bool:
    """Whether the great-circle distance is at most ``limit_m``, cheaply when clearly so.

    ``R * (|dlat| + |dlon|)`` (radians) bounds the distance from above (the path along a
    meridian then a parallel, whose length is at most that), so most nearby pairs are
    settled without trigonometry; the others by :func:`distance_m`.
    """
    if (abs(lat2 - lat1) + abs(lon2 - lon1)) * M_PER_DEG_ARC <= limit_m:
        return True
    return distance_m(lat1, lon1, lat2, lon2) <= limit_m


def distance_m_many(
    lat: float, lon: float, lats: np.ndarray[Any, Any], lons: np.ndarray[Any, Any]
) -> np.ndarray[Any, Any]:
    """Distances in metres from one point to many (numpy arrays of degrees)."""
    p1 = math.radians(lat)
    p2 = np.radians(lats)
    dp = p2 - p1
    dl = np.radians(lons - lon)
    h = np.sin(dp / 2) ** 2 + math.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    out: np.ndarray[Any, Any] = 2 * EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(h)))
    return out


def bearing_deg(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Initial great-circle bearing from point 1 to point 2, degrees from north, [0, 360)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    y = math.sin(dl) * math.cos(p2)
    x = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return math.degrees(math.atan2(y, x)) % 360.0


def destination(lat: float, lon: float, bearing: float, dist_m: float) -> tuple[float, float]:
    """The point ``dist_m`` metres from (lat, lon) along initial ``bearing`` degrees."""
    d = dist_m / EARTH_RADIUS_M
    b = math.radians(bearing)
    p1, l1 = math.radians(lat), math.radians(lon)
    p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(b))
    l2 = l1 + math.atan2(
        math.sin(b) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2)
    )
    return math.degrees(p2), (math.degrees(l2) + 540.0) % 360.0 - 180.0
