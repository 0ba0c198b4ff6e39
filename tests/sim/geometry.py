"""Geometry helpers for the scenario sanity tests (shapely + pyproj, test side only).

They answer, for the simulated trajectories, the questions the labels depend on: is this
fix inside the shipped SVZM zone, how far is it from the boundary, does a great circle
cross the zone. Distances are geodesic (WGS84) from a point to the nearest point of a
polygon's boundary (the nearest point found in degrees, then measured on the ellipsoid:
accurate to well under a kilometre at these latitudes, plenty for 30 km margins).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pyproj import Geod
from shapely.geometry import Point
from shapely.ops import nearest_points
from shapely.prepared import prep

GEOD = Geod(ellps="WGS84")

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO / ".." / "shared"


@dataclass(frozen=True)
class Area:
    zone_id: str
    geometry: object

    @property
    def _prepared(self):  # type: ignore[no-untyped-def]
        return _prep(id(self.geometry), self.geometry)

    def contains(self, lat: float, lon: float) -> bool:
        return bool(self._prepared.contains(Point(lon, lat)))

    def signed_km(self, lat: float, lon: float) -> float:
        """Distance to the boundary in km: negative inside, positive outside."""
        p = Point(lon, lat)
        q = nearest_points(self.geometry.boundary, p)[0]  # type: ignore[attr-defined]
        d = GEOD.inv(lon, lat, q.x, q.y)[2] / 1000.0
        return -d if self.contains(lat, lon) else d


_PREP: dict[int, object] = {}


def _prep(key: int, geom: object):  # type: ignore[no-untyped-def]
    if key not in _PREP:
        _PREP[key] = prep(geom)
    return _PREP[key]


@cache
def bundled_areas() -> dict[str, Area] | None:
    """The shipped zones by id (first version of each; geometry is the same across
    versions here), or ``None`` when ``geodata/`` is not built yet."""
    try:
        from monitor.zones.bundled import load_bundled_zones
    except ImportError:
        return None
    from monitor.errors import ConfigError

    try:
        versions = load_bundled_zones()
    except ConfigError:  # geodata/ not built: nothing to check against (a broken build raises)
        return None
    out: dict[str, Area] = {}
    for v in versions:
        out.setdefault(v.zone_id, Area(v.zone_id, v.geometry))
    return out


def great_circle(
    a: tuple[float, float], b: tuple[float, float], n: int = 300
) -> Iterator[tuple[float, float]]:
    yield a
    for lon, lat in GEOD.npts(a[1], a[0], b[1], b[0], n):
        yield lat, lon
    yield b
