"""Spherical geodesy for the scenario model (pure math, WGS84 degrees on a sphere).

The simulator needs distances, bearings and great-circle interpolation accurate to a few
metres over a few hundred kilometres, not survey accuracy: a sphere of the mean Earth
radius is used throughout (``monitor.geo``), and said so here.
"""

from __future__ import annotations

import math

from monitor.geo import EARTH_RADIUS_M, bearing_deg, destination, distance_m

__all__ = [
    "EARTH_RADIUS_M",
    "bearing_deg",
    "destination",
    "distance_m",
    "interpolate",
    "offset_m",
]


def interpolate(
    lat1: float, lon1: float, lat2: float, lon2: float, fraction: float
) -> tuple[float, float]:
    """The point a ``fraction`` (0..1) of the way along the great circle from 1 to 2."""
    if fraction <= 0.0:
        return lat1, lon1
    if fraction >= 1.0:
        return lat2, lon2
    d = distance_m(lat1, lon1, lat2, lon2) / EARTH_RADIUS_M
    if d < 1e-12:
        return lat1, lon1
    p1, l1 = math.radians(lat1), math.radians(lon1)
    p2, l2 = math.radians(lat2), math.radians(lon2)
    a = math.sin((1 - fraction) * d) / math.sin(d)
    b = math.sin(fraction * d) / math.sin(d)
    x = a * math.cos(p1) * math.cos(l1) + b * math.cos(p2) * math.cos(l2)
    y = a * math.cos(p1) * math.sin(l1) + b * math.cos(p2) * math.sin(l2)
    z = a * math.sin(p1) + b * math.sin(p2)
    return math.degrees(math.atan2(z, math.hypot(x, y))), math.degrees(math.atan2(y, x))


def offset_m(lat: float, lon: float, north_m: float, east_m: float) -> tuple[float, float]:
    """A small local offset (metres north / east) from (lat, lon); fine below ~50 km."""
    dlat = math.degrees(north_m / EARTH_RADIUS_M)
    dlon = math.degrees(east_m / (EARTH_RADIUS_M * math.cos(math.radians(lat))))
    return lat + dlat, lon + dlon
