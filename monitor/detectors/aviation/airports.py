"""Airports of the region, for "did it land there?" questions (dropout, diversion).

The table comes from the offline ``airportsdata`` package (ICAO-keyed, about 28,000
airports world-wide, with elevation in ft); :func:`region_airports` keeps those inside a
bounding box, once per process. Reading that bundled table is the only file access of the
aviation detectors, done lazily at first use; tests pass their own :class:`AirportIndex`.

A landing is inferred from a fix when it is on the ground near an airport, or airborne
and on (or below) a generous approach path to one: height above the field at most
``approach_ft_per_nm`` per nautical mile of distance plus ``approach_base_ft``, within
``approach_max_nm`` (see :meth:`AirportIndex.landing_at`). A 3° glide path is 318 ft/nm;
the default 480 ft/nm with a 1,500 ft base leaves room for step-down approaches, a
missing vertical rate and position noise.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from monitor.detectors.aviation.common import haversine_km_many
from monitor.units import KM_PER_NM

#: the Caribbean, Central America and northern South America (lon/lat degrees)
DEFAULT_REGION = (-95.0, -12.0, -40.0, 30.0)


@dataclass(frozen=True, slots=True)
class AirportPoint:
    """An airport: ICAO code, name, WGS84 position, field elevation in ft."""

    icao: str
    name: str
    lat: float
    lon: float
    elevation_ft: float = 0.0
    iata: str | None = None


@dataclass(frozen=True, slots=True)
class Landing:
    """Where a fix suggests the aircraft landed (or is about to)."""

    airport: AirportPoint
    distance_km: float
    height_above_field_ft: float | None


class AirportIndex:
    """Nearest-airport queries over a fixed list (numpy, vectorised haversine)."""

    def __init__(self, airports: Iterable[AirportPoint]) -> None:
        self.airports = tuple(airports)
        self._lats = np.array([a.lat for a in self.airports], dtype=float)
        self._lons = np.array([a.lon for a in self.airports], dtype=float)
        self._by_icao = {a.icao: a for a in self.airports}

    def __len__(self) -> int:
        return len(self.airports)

    def get(self, icao: str) -> AirportPoint | None:
        return self._by_icao.get(icao.strip().upper())

    def nearest(self, lat: float, lon: float) -> tuple[AirportPoint, float] | None:
        """The nearest airport and its distance in km (None when the index is empty)."""
        if not self.airports:
            return None
        d = haversine_km_many(lat, lon, self._lats, self._lons)
        i = int(np.argmin(d))
        return self.airports[i], float(d[i])

    def within(self, lat: float, lon: float, radius_km: float) -> list[tuple[AirportPoint, float]]:
        """Airports within ``radius_km``, nearest first."""
        if not self.airports:
            return []
        d = haversine_km_many(lat, lon, self._lats, self._lons)
        idx = np.nonzero(d <= radius_km)[0]
        return sorted(((self.airports[i], float(d[i])) for i in idx), key=lambda p: p[1])

    def landing_at(
        self,
        lat: float,
        lon: float,
        altitude_ft: float | None,
        *,
        on_ground: bool | None,
        ground_radius_km: float = 8.0,
        approach_max_nm: float = 40.0,
        approach_ft_per_nm: float = 480.0,
        approach_base_ft: float = 1500.0,
    ) -> Landing | None:
        """The airport a fix is landing at (or standing on), if any.

        On the ground: the nearest airport within ``ground_radius_km``. Airborne: the
        nearest airport within ``approach_max_nm`` whose approach cone contains the fix
        (height above the field <= ``approach_base_ft + approach_ft_per_nm * distance``).
        An unknown altitude in the air never counts as landing.
        """
        if on_ground:
            hit = self.nearest(lat, lon)
            if hit is not None and hit[1] <= ground_radius_km:
                return Landing(hit[0], hit[1], 0.0)
            return None
        if altitude_ft is None:
            return None
        for airport, dist_km in self.within(lat, lon, approach_max_nm * KM_PER_NM):
            height = altitude_ft - airport.elevation_ft
            if height <= approach_base_ft + approach_ft_per_nm * dist_km / KM_PER_NM:
                return Landing(airport, dist_km, height)
        return None


@functools.lru_cache(maxsize=4)
def region_airports(
    bbox: tuple[float, float, float, float] = DEFAULT_REGION,
) -> AirportIndex:
    """Airports of ``airportsdata`` inside ``bbox`` (min_lon, min_lat, max_lon, max_lat)."""
    import airportsdata

    min_lon, min_lat, max_lon, max_lat = bbox
    out = []
    for code, row in airportsdata.load("ICAO").items():
        lat, lon = float(row["lat"]), float(row["lon"])
        if not (min_lat <= lat <= max_lat and min_lon <= lon <= max_lon):
            continue
        elev = row.get("elevation")
        out.append(
            AirportPoint(
                icao=code,
                name=str(row.get("name") or code),
                lat=lat,
                lon=lon,
                elevation_ft=float(elev) if isinstance(elev, int | float) and math.isfinite(elev) else 0.0,
                iata=row.get("iata") or None,
            )
        )
    return AirportIndex(out)
