"""Shared pieces of the aviation detectors: restricted airspace in force, spherical geodesy.

Geodesy here is spherical (mean Earth radius 6,371.0088 km): distances and bearings are
good to about 0.5 % over a few thousand kilometres, which is plenty for deciding whether a
flight detoured, turned back or jumped. Where the brief asks for it (the great-circle
route of a flight) :mod:`monitor.detectors.aviation.detour` uses ``pyproj.Geod`` on WGS84.

"Near a zone" tests over a batch are vectorised: the zone is buffered once by a distance
converted to degrees (1° = 111.32 km; planar in lon/lat, so a buffer east-west is up to
4 % wider than asked below 18° of latitude, where this monitor looks). Exact decisions
use :meth:`ZoneLookup.distance_to_boundary_m` or :func:`haversine_km`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import shapely

from monitor.detectors.base import ZoneLookup
from monitor.domain import Observation, Severity, ZoneKind, ZoneStatus, ZoneVersion
from monitor.domain.zone import governing
from monitor.geo import EARTH_RADIUS_M, bearing_deg, distance_m, distance_m_many
from monitor.geo import destination as geo_destination

EARTH_RADIUS_KM = EARTH_RADIUS_M / 1000.0
KM_PER_DEG = 111.32

#: zone kinds an aircraft can avoid, enter or be missed in
AIRSPACE_KINDS = frozenset({ZoneKind.CLOSED_AIRSPACE, ZoneKind.ADVISORY_AIRSPACE})
#: statuses that restrict (or advise against) flying
RESTRICTIVE = frozenset({ZoneStatus.PROHIBITED, ZoneStatus.CLOSED, ZoneStatus.ADVISORY})


def is_restricted(zone: ZoneVersion) -> bool:
    """An airspace zone that closes, prohibits or advises against flying, for aircraft."""
    return (
        zone.kind in AIRSPACE_KINDS
        and zone.status in RESTRICTIVE
        and zone.applies_to.covers("aircraft")
    )


def airborne(obs: Observation, min_altitude_ft: float = 300.0) -> bool:
    """Whether a fix is of a flying aircraft (same rule as the incursion detector)."""
    if obs.on_ground is True:
        return False
    if obs.on_ground is False:
        return True
    return obs.altitude_ft is None or obs.altitude_ft >= min_altitude_ft


# --- spherical geodesy -------------------------------------------------------------------


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km on the mean-radius sphere (``monitor.geo``)."""
    return distance_m(lat1, lon1, lat2, lon2) / 1000.0


def haversine_km_many(
    lat: float, lon: float, lats: np.ndarray[Any, Any], lons: np.ndarray[Any, Any]
) -> np.ndarray[Any, Any]:
    """Distances in km from one point to many (numpy arrays of degrees)."""
    out: np.ndarray[Any, Any] = distance_m_many(lat, lon, lats, lons) / 1000.0
    return out


def destination(lat: float, lon: float, bearing: float, dist_km: float) -> tuple[float, float]:
    """(lat, lon) reached from a point along a great circle of initial ``bearing``."""
    return geo_destination(lat, lon, bearing, dist_km * 1000.0)


def angle_diff_deg(a: float, b: float) -> float:
    """Smallest absolute difference of two bearings, [0, 180]."""
    d = abs(a - b) % 360.0
    return 360.0 - d if d > 180.0 else d


@dataclass(frozen=True, slots=True)
class GreatCircle:
    """The great circle from A to B, for cross-track and along-track distances."""

    lat1: float
    lon1: float
    lat2: float
    lon2: float
    length_km: float
    bearing12: float

    @classmethod
    def between(cls, lat1: float, lon1: float, lat2: float, lon2: float) -> GreatCircle:
        return cls(
            lat1, lon1, lat2, lon2,
            haversine_km(lat1, lon1, lat2, lon2),
            bearing_deg(lat1, lon1, lat2, lon2),
        )

    def offsets_km(self, lat: float, lon: float) -> tuple[float, float]:
        """(cross-track km, signed: + right of A->B; along-track km from A)."""
        d13 = haversine_km(self.lat1, self.lon1, lat, lon) / EARTH_RADIUS_KM
        t13 = math.radians(bearing_deg(self.lat1, self.lon1, lat, lon))
        t12 = math.radians(self.bearing12)
        xt = math.asin(max(-1.0, min(1.0, math.sin(d13) * math.sin(t13 - t12))))
        cos_xt = math.cos(xt)
        at = 0.0 if cos_xt == 0 else math.acos(max(-1.0, min(1.0, math.cos(d13) / cos_xt)))
        if math.cos(t13 - t12) < 0:
            at = -at
        return xt * EARTH_RADIUS_KM, at * EARTH_RADIUS_KM

    def point_at_km(self, along_km: float) -> tuple[float, float]:
        """(lat, lon) ``along_km`` from A towards B."""
        return destination(self.lat1, self.lon1, self.bearing12, along_km)


# --- restricted airspace in force ----------------------------------------------------------


@dataclass
class Airspace:
    """The restricted airspace in force at one time: one governing version per zone.

    Geometries are prepared for fast point tests; ``near(radius_km)`` gives (and caches)
    the zones' union buffered by a radius, for vectorised "within X of a zone" masks.
    """

    zones: tuple[ZoneVersion, ...]
    #: identifies the set of versions (for caches of derived values)
    key: tuple[str, ...] = ()
    _near: dict[float, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for z in self.zones:
            shapely.prepare(z.geometry)

    @property
    def empty(self) -> bool:
        return not self.zones

    def by_id(self, zone_id: str) -> ZoneVersion | None:
        for z in self.zones:
            if z.zone_id == zone_id:
                return z
        return None

    def containing(self, lon: float, lat: float) -> ZoneVersion | None:
        """The most restrictive zone containing the point, or None."""
        hits = [z for z in self.zones if shapely.contains_xy(z.geometry, lon, lat)]
        return governing(hits) if hits else None

    def near(self, radius_km: float) -> Any:
        """The union of the zones buffered by ``radius_km`` (prepared), or None if empty."""
        geom = self._near.get(radius_km)
        if geom is None and self.zones:
            union = shapely.union_all([z.geometry for z in self.zones])
            geom = union.buffer(radius_km / KM_PER_DEG) if radius_km > 0 else union
            shapely.prepare(geom)
            self._near[radius_km] = geom
        return geom

    def near_mask(
        self, radius_km: float, lons: np.ndarray[Any, Any], lats: np.ndarray[Any, Any]
    ) -> np.ndarray[Any, Any]:
        """Which points lie within about ``radius_km`` of a zone (or inside one)."""
        geom = self.near(radius_km)
        if geom is None:
            return np.zeros(len(lons), dtype=bool)
        return np.asarray(shapely.contains_xy(geom, lons, lats), dtype=bool)


class AirspaceCache:
    """Builds :class:`Airspace` from ``ZoneLookup.in_force(at)``, reused while the set of
    versions in force does not change."""

    def __init__(self, accept: Any = is_restricted) -> None:
        self._accept = accept
        self._key: tuple[str, ...] | None = None
        self._value = Airspace(())

    def at(self, zones: ZoneLookup, at: datetime) -> Airspace:
        versions = [v for v in zones.in_force(at) if self._accept(v)]
        key = tuple(sorted(f"{v.key}:{v.authority}" for v in versions))
        if key != self._key:
            self._key = key
            self._value = Airspace(tuple(_governing_per_zone(versions)), key)
        return self._value


def _governing_per_zone(versions: Iterable[ZoneVersion]) -> list[ZoneVersion]:
    by_id: dict[str, list[ZoneVersion]] = {}
    for v in versions:
        by_id.setdefault(v.zone_id, []).append(v)
    out = []
    for vs in by_id.values():
        g = governing(vs)
        if g is not None:
            out.append(g)
    return sorted(out, key=lambda v: v.zone_id)


def coords(observations: Sequence[Observation]) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """(lons, lats) numpy arrays of a batch."""
    lons = np.fromiter((o.lon for o in observations), dtype=float, count=len(observations))
    lats = np.fromiter((o.lat for o in observations), dtype=float, count=len(observations))
    return lons, lats


def zone_ref(zone: ZoneVersion) -> str:
    """``"SVZM (FAA NOTAM KICZ A0012/25)"``: a zone as a person quotes it."""
    return f"{zone.zone_id} ({zone.source_ref})" if zone.source_ref else zone.zone_id


SEVERITY_OF_STATUS = {
    ZoneStatus.PROHIBITED: Severity.CRITICAL,
    ZoneStatus.CLOSED: Severity.HIGH,
    ZoneStatus.ADVISORY: Severity.MEDIUM,
}


def fmt_latlon(lat: float, lon: float) -> str:
    """``"10.60N 66.99W"``."""
    return f"{abs(lat):.2f}{'N' if lat >= 0 else 'S'} {abs(lon):.2f}{'E' if lon >= 0 else 'W'}"
