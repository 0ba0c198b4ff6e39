"""Distance to the shore, from land polygons (zones of kind ``land``).

:class:`Shoreline` answers "how far is this position from land" (at sea) and "how deep
inland is it" (on land), in metres, in a local equirectangular projection on the WGS84
ellipsoid centred on the query point (see :mod:`monitor.detectors.maritime.geo`; error
below 0.5 % within 100 km).
Only the coastline within the asked range is looked at (its segments, through an
STRtree), so a query costs a few tens of microseconds whatever the size of the coastline.

:meth:`Shoreline.offshore` memoises its answer per cell of 0.02 degrees (about 2 km) when
the whole cell is clearly on one side of the threshold, so loitering checks over tens of
thousands of vessels stay cheap; :meth:`Shoreline.prime` settles the cells of a whole batch in
one vectorised pass. The verdicts are one byte a cell, in chunks of 64 x 64 cells made as
vessels reach them, and only for cells within reach of the land's bounding box (every
other cell is offshore without a look): memory is bounded by the area near land, about
1 MB for Venezuela's coast at 20 nm, not by how many cells vessels have crossed.

The land the monitor knows is what the zone set holds (``geodata/venezuela.geojson``:
Venezuela at Natural Earth 1:50m, coastline within about 1 km). Neighbouring coasts that
are not zones of kind ``land`` are not shore to these detectors.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import datetime

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from monitor.detectors.base import ZoneLookup
from monitor.detectors.maritime.geo import (
    M_PER_DEG,
    WGS84_A_M,
    WGS84_E2,
    deg_box,
    metres_per_degree,
)
from monitor.domain import ZoneKind, ZoneVersion

_MEMO_CELL_DEG = 0.02
#: cells a side of a verdict chunk (a power of two: cell -> chunk is a shift)
_CHUNK_SHIFT = 6
_CHUNK = 1 << _CHUNK_SHIFT
_CHUNK_MASK = _CHUNK - 1
#: a cell's verdict: not judged yet, straddles the threshold (measure the position), near
#: land, clear of it
_UNKNOWN, _MIXED, _NEAR, _FAR = 0, 1, 2, 3
_HALF_DIAG_M = 0.5 * _MEMO_CELL_DEG * M_PER_DEG * math.sqrt(2.0)


class _Verdicts:
    """Offshore verdicts for one threshold, one byte a memo cell.

    Cells outside ``reach`` of the land's bounding box are clear of land without a look;
    the others live in chunks of ``_CHUNK`` x ``_CHUNK`` cells, made on first use.
    """

    __slots__ = ("_chunks", "_ix0", "_ix1", "_iy0", "_iy1")

    def __init__(self, bounds: tuple[float, float, float, float], reach_m: float) -> None:
        minx, miny, maxx, maxy = bounds
        dlat = reach_m / M_PER_DEG
        far_lat = min(89.0, max(abs(miny), abs(maxy)) + dlat)
        dlon = min(180.0, reach_m / (M_PER_DEG * max(0.01, math.cos(math.radians(far_lat)))))
        # one cell of slack each side for the ellipsoid against the sphere
        self._ix0 = math.floor((minx - dlon) / _MEMO_CELL_DEG) - 1
        self._ix1 = math.floor((maxx + dlon) / _MEMO_CELL_DEG) + 1
        self._iy0 = math.floor((miny - dlat) / _MEMO_CELL_DEG) - 1
        self._iy1 = math.floor((maxy + dlat) / _MEMO_CELL_DEG) + 1
        self._chunks: dict[tuple[int, int], bytearray] = {}

    def near_land(self, ix: int, iy: int) -> bool:
        """Whether cell (ix, iy) is within reach of the land's bounding box."""
        return self._ix0 <= ix <= self._ix1 and self._iy0 <= iy <= self._iy1

    def get(self, ix: int, iy: int) -> int:
        chunk = self._chunks.get((ix >> _CHUNK_SHIFT, iy >> _CHUNK_SHIFT))
        if chunk is None:
            return _UNKNOWN
        return chunk[((iy & _CHUNK_MASK) << _CHUNK_SHIFT) | (ix & _CHUNK_MASK)]

    def set(self, ix: int, iy: int, verdict: int) -> None:
        key = (ix >> _CHUNK_SHIFT, iy >> _CHUNK_SHIFT)
        chunk = self._chunks.get(key)
        if chunk is None:
            chunk = self._chunks[key] = bytearray(_CHUNK * _CHUNK)
        chunk[((iy & _CHUNK_MASK) << _CHUNK_SHIFT) | (ix & _CHUNK_MASK)] = verdict

    @property
    def nbytes(self) -> int:
        """Bytes of verdicts held (the chunks made so far)."""
        return len(self._chunks) * _CHUNK * _CHUNK


def _polygons(geoms: Iterable[BaseGeometry]) -> list[BaseGeometry]:
    out: list[BaseGeometry] = []
    for g in geoms:
        if g is None or g.is_empty:
            continue
        if g.geom_type == "Polygon":
            out.append(g)
        elif g.geom_type in ("MultiPolygon", "GeometryCollection"):
            out.extend(_polygons(g.geoms))
    return out


class Shoreline:
    """Distances to land, in metres.

    The coastline (every ring of the land polygons) is cut into its straight segments,
    indexed by an STRtree; a query takes the segments whose box meets the box of the
    asked range and measures the point-to-segment distances with numpy in the local
    projection of the query point.

    Parameters
    ----------
    land:
        Land polygons or multipolygons, WGS84 lon/lat.
    """

    def __init__(self, land: Iterable[BaseGeometry]) -> None:
        self._parts = _polygons(land)
        self._union = shapely.union_all(self._parts) if self._parts else shapely.Polygon()
        shapely.prepare(self._union)
        rings = [p.exterior for p in self._parts] + [r for p in self._parts for r in p.interiors]
        starts, ends = [], []
        for ring in rings:
            xy = np.asarray(ring.coords, dtype=float)
            if len(xy) >= 2:
                starts.append(xy[:-1])
                ends.append(xy[1:])
        self._a = np.concatenate(starts) if starts else np.empty((0, 2))
        self._b = np.concatenate(ends) if ends else np.empty((0, 2))
        self._tree = shapely.STRtree(shapely.linestrings(np.stack([self._a, self._b], axis=1))) if len(self._a) else None
        self._bounds = shapely.total_bounds(self._parts) if self._parts else None
        #: offshore verdicts per threshold (metres)
        self._verdicts: dict[float, _Verdicts] = {}

    @property
    def empty(self) -> bool:
        return not self._parts

    def on_land(self, lons: Sequence[float] | np.ndarray, lats: Sequence[float] | np.ndarray) -> np.ndarray:
        """Whether each position lies on land (vectorised)."""
        if not self._parts:
            return np.zeros(len(lons), dtype=bool)
        return np.asarray(
            shapely.contains_xy(self._union, np.asarray(lons, float), np.asarray(lats, float))
        )

    def coast_distance_m(self, lon: float, lat: float, *, within_m: float) -> float:
        """Metres from (lon, lat) to the nearest point of the coastline (either side),
        ``inf`` when none is within ``within_m``."""
        if self._tree is None:
            return math.inf
        idx = self._tree.query(shapely.box(*deg_box(lon, lat, within_m)))
        if len(idx) == 0:
            return math.inf
        kx, ky = metres_per_degree(lat)
        scale = np.array([kx, ky])
        a = (self._a[idx] - (lon, lat)) * scale
        ab = (self._b[idx] - (lon, lat)) * scale - a
        len2 = np.einsum("ij,ij->i", ab, ab)
        t = np.where(len2 > 0, -np.einsum("ij,ij->i", a, ab) / np.where(len2 > 0, len2, 1.0), 0.0)
        nearest = a + ab * np.clip(t, 0.0, 1.0)[:, None]
        d = float(np.sqrt(np.einsum("ij,ij->i", nearest, nearest).min()))
        return d if d <= within_m else math.inf

    def distance_m(self, lon: float, lat: float, *, within_m: float) -> float:
        """Metres from (lon, lat) to the nearest land: 0 on land, ``inf`` when no land is
        within ``within_m``."""
        if not self._parts:
            return math.inf
        if bool(self.on_land([lon], [lat])[0]):
            return 0.0
        return self.coast_distance_m(lon, lat, within_m=within_m)

    def depth_m(self, lon: float, lat: float, *, within_m: float) -> float:
        """Metres from a position on land to the nearest coast (0 at sea); ``within_m`` when
        the coast is further than that."""
        if not self._parts or not bool(self.on_land([lon], [lat])[0]):
            return 0.0
        return min(within_m, self.coast_distance_m(lon, lat, within_m=within_m))

    def _verdicts_for(self, min_distance_m: float) -> _Verdicts:
        v = self._verdicts.get(min_distance_m)
        if v is None:
            assert self._bounds is not None
            bounds = tuple(float(x) for x in self._bounds)
            v = self._verdicts[min_distance_m] = _Verdicts(
                bounds,  # type: ignore[arg-type]
                min_distance_m + 2 * _HALF_DIAG_M,
            )
        return v

    def verdict_bytes(self) -> int:
        """Bytes held by the :meth:`offshore` memo."""
        return sum(v.nbytes for v in self._verdicts.values())

    def prime(
        self, lons: Sequence[float] | np.ndarray, lats: Sequence[float] | np.ndarray, min_distance_m: float
    ) -> None:
        """Settle the :meth:`offshore` memo for the cells of these positions in one
        vectorised pass (an STRtree query with an array of boxes, numpy distances)."""
        if not self._parts or self._tree is None or len(lons) == 0:
            return
        verdicts = self._verdicts_for(min_distance_m)
        cells = np.unique(
            np.column_stack([
                np.floor(np.asarray(lons, float) / _MEMO_CELL_DEG),
                np.floor(np.asarray(lats, float) / _MEMO_CELL_DEG),
            ]).astype(np.int64),
            axis=0,
        )
        near, get = verdicts.near_land, verdicts.get
        todo = np.array(
            [(ix, iy) for ix, iy in cells.tolist() if near(ix, iy) and get(ix, iy) == _UNKNOWN],
            dtype=np.int64,
        )
        if len(todo) == 0:
            return
        clon = (todo[:, 0] + 0.5) * _MEMO_CELL_DEG
        clat = (todo[:, 1] + 0.5) * _MEMO_CELL_DEG
        reach_m = min_distance_m + 2 * _HALF_DIAG_M
        dlat = reach_m / M_PER_DEG
        dlon = reach_m / (M_PER_DEG * np.maximum(0.01, np.cos(np.radians(np.minimum(89.0, np.abs(clat) + dlat)))))
        boxes = shapely.box(clon - dlon, clat - dlat, clon + dlon, clat + dlat)
        q_idx, seg_idx = self._tree.query(boxes)
        dist = np.full(len(todo), np.inf)
        if len(q_idx):
            phi = np.radians(clat[q_idx])
            w = 1.0 - WGS84_E2 * np.sin(phi) ** 2
            kx = np.radians(1.0) * WGS84_A_M / np.sqrt(w) * np.cos(phi)
            ky = np.radians(1.0) * WGS84_A_M * (1.0 - WGS84_E2) / w**1.5
            origin = np.column_stack([clon[q_idx], clat[q_idx]])
            scale = np.column_stack([kx, ky])
            a = (self._a[seg_idx] - origin) * scale
            ab = (self._b[seg_idx] - origin) * scale - a
            len2 = np.einsum("ij,ij->i", ab, ab)
            t = np.where(len2 > 0, -np.einsum("ij,ij->i", a, ab) / np.where(len2 > 0, len2, 1.0), 0.0)
            nearest = a + ab * np.clip(t, 0.0, 1.0)[:, None]
            np.minimum.at(dist, q_idx, np.sqrt(np.einsum("ij,ij->i", nearest, nearest)))
        dist[self.on_land(clon, clat)] = 0.0
        put = verdicts.set
        for (ix, iy), dc in zip(todo.tolist(), dist.tolist(), strict=True):
            put(ix, iy, _cell_verdict(dc, min_distance_m))

    def offshore(self, lon: float, lat: float, min_distance_m: float) -> bool:
        """Whether (lon, lat) is at sea and at least ``min_distance_m`` from any land."""
        if not self._parts:
            return True
        ix, iy = math.floor(lon / _MEMO_CELL_DEG), math.floor(lat / _MEMO_CELL_DEG)
        verdicts = self._verdicts_for(min_distance_m)
        if not verdicts.near_land(ix, iy):
            return True
        verdict = verdicts.get(ix, iy)
        if verdict == _UNKNOWN:
            clon, clat = (ix + 0.5) * _MEMO_CELL_DEG, (iy + 0.5) * _MEMO_CELL_DEG
            dc = self.distance_m(clon, clat, within_m=min_distance_m + 2 * _HALF_DIAG_M)
            verdict = _cell_verdict(dc, min_distance_m)
            verdicts.set(ix, iy, verdict)
        if verdict == _FAR:
            return True
        if verdict == _NEAR:
            return False
        return self.distance_m(lon, lat, within_m=min_distance_m) >= min_distance_m


def _cell_verdict(centre_m: float, min_distance_m: float) -> int:
    """The verdict of a memo cell whose centre lies ``centre_m`` from land."""
    if centre_m - _HALF_DIAG_M >= min_distance_m:
        return _FAR
    if centre_m + _HALF_DIAG_M < min_distance_m:
        return _NEAR
    return _MIXED


def land_versions(zones: ZoneLookup, at: datetime) -> list[ZoneVersion]:
    """Zone versions of kind ``land`` in force at ``at``."""
    return [v for v in zones.in_force(at) if v.kind is ZoneKind.LAND and v.restricts]


class ShorelineCache:
    """The :class:`Shoreline` of the land zones in force, rebuilt only when they change.

    The zone set is looked at again at most every ``recheck_s`` seconds of data time (or
    when the zone index object is replaced).
    """

    def __init__(self, *, recheck_s: float = 300.0) -> None:
        self.recheck_s = recheck_s
        self._keys: tuple[str, ...] | None = None
        self._shore = Shoreline(())
        self._checked: tuple[int, datetime] | None = None

    def get(self, zones: ZoneLookup, at: datetime) -> Shoreline:
        checked = self._checked
        if (
            checked is not None
            and checked[0] == id(zones)
            and 0.0 <= (at - checked[1]).total_seconds() < self.recheck_s
        ):
            return self._shore
        self._checked = (id(zones), at)
        versions = land_versions(zones, at)
        keys = tuple(sorted(v.key for v in versions))
        if keys != self._keys:
            self._keys = keys
            self._shore = Shoreline(v.geometry for v in versions)
        return self._shore
