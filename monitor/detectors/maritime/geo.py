"""Small-distance geodesy for the maritime detectors (pure math, WGS84 degrees).

Distances between two positions are great-circle (haversine) on a sphere of the mean
Earth radius: against the WGS84 ellipsoid (``pyproj.Geod``) that is within 0.6 % (the
worst case is north-south near the equator), and the detectors' thresholds (500 m,
20 nm, 60 kn) are far coarser than that. Geometry that needs metres (distance to a
coastline) is done in a *local equirectangular projection on the WGS84 ellipsoid*
centred on the query point (:func:`local_xy_m`): x = Δlon·N(lat0)·cos(lat0),
y = Δlat·M(lat0), with M and N the meridional and prime-vertical radii of curvature.
Within 100 km of the centre, at the latitudes of the Caribbean, its error against the
geodesic is below 0.5 % (checked against ``pyproj.Geod`` by
``tests/detectors/maritime/test_geo.py``).

:class:`PointGrid` is the spatial hash used to find vessels near a point without a scan
of every vessel (rendezvous pairs, going-dark coverage), so detectors scale to tens of
thousands of vessels.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from monitor.geo import EARTH_RADIUS_M, destination, distance_m  # noqa: F401 - re-exported
from monitor.units import KT_PER_MPS, M_PER_NM

#: metres per degree of latitude on that sphere
M_PER_DEG = math.pi * EARTH_RADIUS_M / 180.0


def speed_kt(distance_m_: float, seconds: float) -> float:
    """Speed in knots of ``distance_m_`` metres covered in ``seconds`` (inf when 0 s)."""
    if seconds <= 0:
        return math.inf if distance_m_ > 0 else 0.0
    return distance_m_ / seconds * KT_PER_MPS


def kt_to_mps(value_kt: float) -> float:
    return value_kt / KT_PER_MPS


def nm_to_m(value_nm: float) -> float:
    return value_nm * M_PER_NM


#: WGS84 semi-major axis (m) and first eccentricity squared
WGS84_A_M = 6_378_137.0
WGS84_E2 = 0.00669437999014
#: metres in a degree of latitude where it is shortest (the ellipsoid's meridian at the equator)
_M_PER_DEG_LAT_MIN = math.radians(1.0) * WGS84_A_M * (1.0 - WGS84_E2)


def metres_per_degree(lat0: float) -> tuple[float, float]:
    """(metres per degree of longitude, of latitude) on the WGS84 ellipsoid at ``lat0``."""
    phi = math.radians(lat0)
    w = 1.0 - WGS84_E2 * math.sin(phi) ** 2
    n = WGS84_A_M / math.sqrt(w)  # prime vertical radius of curvature
    m = WGS84_A_M * (1.0 - WGS84_E2) / w**1.5  # meridional radius of curvature
    return math.radians(1.0) * n * math.cos(phi), math.radians(1.0) * m


def local_xy_m(lon: float, lat: float, lon0: float, lat0: float) -> tuple[float, float]:
    """(x, y) metres east / north of (lon0, lat0) in the local equirectangular projection."""
    kx, ky = metres_per_degree(lat0)
    return (lon - lon0) * kx, (lat - lat0) * ky


def deg_box(lon: float, lat: float, radius_m: float) -> tuple[float, float, float, float]:
    """(min_lon, min_lat, max_lon, max_lat) of a box holding every point within ``radius_m``,
    on the sphere and on the WGS84 ellipsoid alike: a degree of latitude is taken as its
    shortest, on the ellipsoid at the equator (110.57 km against the sphere's 111.19 km),
    so a distance measured in the ellipsoid's local projection is never outside the box."""
    dlat = radius_m / _M_PER_DEG_LAT_MIN
    dlon = radius_m / (M_PER_DEG * max(0.01, math.cos(math.radians(min(89.0, abs(lat) + dlat)))))
    return lon - dlon, lat - dlat, lon + dlon, lat + dlat


Cell = tuple[int, int]


@dataclass
class PointGrid:
    """Latest position per key, hashed into cells of about ``cell_m`` metres.

    Cells are ``cell_m`` tall and at least ``cell_m`` wide at every latitude below 70°, so
    every point within ``cell_m`` of a query lies in the 3 x 3 cells around it.
    """

    cell_m: float
    _cells: dict[Cell, set[str]] = field(default_factory=dict)
    _where: dict[str, tuple[Cell, float, float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._dlat = self.cell_m / M_PER_DEG
        self._dlon = self.cell_m / (M_PER_DEG * math.cos(math.radians(70.0)))

    def __len__(self) -> int:
        return len(self._where)

    def __contains__(self, key: object) -> bool:
        return key in self._where

    def cell(self, lon: float, lat: float) -> Cell:
        return (math.floor(lon / self._dlon), math.floor(lat / self._dlat))

    def put(self, key: str, lon: float, lat: float) -> None:
        c = self.cell(lon, lat)
        old = self._where.get(key)
        if old is not None and old[0] != c:
            self._discard(key, old[0])
        self._cells.setdefault(c, set()).add(key)
        self._where[key] = (c, lon, lat)

    def remove(self, key: str) -> None:
        old = self._where.pop(key, None)
        if old is not None:
            self._discard(key, old[0])

    def _discard(self, key: str, c: Cell) -> None:
        members = self._cells.get(c)
        if members is not None:
            members.discard(key)
            if not members:
                del self._cells[c]

    def position(self, key: str) -> tuple[float, float] | None:
        """(lon, lat) stored for ``key``."""
        w = self._where.get(key)
        return None if w is None else (w[1], w[2])

    def near(self, lon: float, lat: float, radius_m: float) -> Iterator[tuple[str, float]]:
        """Keys within ``radius_m`` of (lon, lat), with their distance in metres."""
        cx, cy = self.cell(lon, lat)
        reach_x = max(1, math.ceil(radius_m / self.cell_m))
        reach_y = reach_x
        for ix in range(cx - reach_x, cx + reach_x + 1):
            for iy in range(cy - reach_y, cy + reach_y + 1):
                members = self._cells.get((ix, iy))
                if not members:
                    continue
                for key in members:
                    _, plon, plat = self._where[key]
                    d = distance_m(lat, lon, plat, plon)
                    if d <= radius_m:
                        yield key, d


@dataclass
class CoverageMap:
    """Who was heard where: per cell of about ``cell_m`` metres, the latest reporters.

    Each cell keeps at least the ``per_cell`` most recent subjects heard in it (with the
    time), at most twice that: a cell that overflows is cut back to its ``per_cell`` most
    recent at once, so a busy cell sorts once per ``per_cell`` newcomers instead of
    scanning for its oldest at each. It also keeps the latest time each feed delivered a
    fix in it. Memory is bounded by the area covered, not by the number of vessels or
    fixes. Cells are ``cell_m`` tall and about
    ``cell_m`` wide (their width follows the cosine of their row's latitude).
    """

    cell_m: float
    per_cell: int = 16
    _subjects: dict[Cell, dict[str, float]] = field(default_factory=dict)
    _sources: dict[Cell, dict[str, float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._dlat = self.cell_m / M_PER_DEG

    def _dlon(self, iy: int) -> float:
        lat = (iy + 0.5) * self._dlat
        return self._dlat / max(0.05, math.cos(math.radians(min(89.0, abs(lat)))))

    def _cell(self, lon: float, lat: float) -> Cell:
        iy = math.floor(lat / self._dlat)
        return (math.floor(lon / self._dlon(iy)), iy)

    def record(self, subject: str, source: str, lon: float, lat: float, t_s: float) -> None:
        c = self._cell(lon, lat)
        subjects = self._subjects.setdefault(c, {})
        if subjects.get(subject, -math.inf) < t_s:
            subjects[subject] = t_s
            if len(subjects) > 2 * self.per_cell:
                self._cut(subjects)
        sources = self._sources.setdefault(c, {})
        if sources.get(source, -math.inf) < t_s:
            sources[source] = t_s

    def record_many(
        self,
        subjects: Sequence[str],
        sources: Sequence[str],
        lons: Sequence[float],
        lats: Sequence[float],
        t_s: Sequence[float],
    ) -> None:
        """:meth:`record` for many fixes, in order (cells computed as arrays)."""
        n = len(subjects)
        if n == 0:
            return
        iy = np.floor(np.asarray(lats, np.float64) / self._dlat).astype(np.int64)
        iy_l = iy.tolist()
        dlon_of = {y: self._dlon(y) for y in set(iy_l)}
        dlon = np.array([dlon_of[y] for y in iy_l], np.float64)
        ix_l = np.floor(np.asarray(lons, np.float64) / dlon).astype(np.int64).tolist()
        cells_subjects = self._subjects
        cells_sources = self._sources
        most = 2 * self.per_cell
        cut = self._cut
        neg_inf = -math.inf
        for k in range(n):
            c = (ix_l[k], iy_l[k])
            t = t_s[k]
            subject = subjects[k]
            held = cells_subjects.get(c)
            if held is None:
                held = cells_subjects[c] = {}
            if held.get(subject, neg_inf) < t:
                held[subject] = t
                if len(held) > most:
                    cut(held)
            feeds = cells_sources.get(c)
            if feeds is None:
                feeds = cells_sources[c] = {}
            source = sources[k]
            if feeds.get(source, neg_inf) < t:
                feeds[source] = t

    def _cut(self, held: dict[str, float]) -> None:
        """Keep the ``per_cell`` most recent subjects of a cell."""
        for subject in sorted(held, key=held.__getitem__)[: len(held) - self.per_cell]:
            del held[subject]

    def _cells_near(self, lon: float, lat: float, radius_m: float) -> Iterator[Cell]:
        reach = radius_m + self.cell_m * 0.75  # a cell counts when it may touch the circle
        iy0 = math.floor(lat / self._dlat)
        ny = math.ceil(reach / self.cell_m)
        for iy in range(iy0 - ny, iy0 + ny + 1):
            dlon = self._dlon(iy)
            row_lat = (iy + 0.5) * self._dlat
            half_w_deg = reach / (M_PER_DEG * max(0.05, math.cos(math.radians(min(89.0, abs(row_lat))))))
            for ix in range(math.floor((lon - half_w_deg) / dlon), math.floor((lon + half_w_deg) / dlon) + 1):
                clon = (ix + 0.5) * dlon
                if distance_m(lat, lon, row_lat, clon) <= reach:
                    yield (ix, iy)

    def subjects_after(
        self, lon: float, lat: float, radius_m: float, after_s: float, *, exclude: str = ""
    ) -> dict[str, float]:
        """Subjects heard within about ``radius_m`` of (lon, lat) after ``after_s``: the
        latest time of each (cell resolution: up to ``0.75 * cell_m`` further)."""
        out: dict[str, float] = {}
        for c in self._cells_near(lon, lat, radius_m):
            for subject, t in self._subjects.get(c, {}).items():
                if t > after_s and subject != exclude and t > out.get(subject, -math.inf):
                    out[subject] = t
        return out

    def sources_since(self, lon: float, lat: float, radius_m: float, since_s: float) -> set[str]:
        """Feeds that delivered a fix within about ``radius_m`` of (lon, lat) at or after
        ``since_s`` (the feeds covering that area then)."""
        out: set[str] = set()
        for c in self._cells_near(lon, lat, radius_m):
            for source, t in self._sources.get(c, {}).items():
                if t >= since_s:
                    out.add(source)
        return out
