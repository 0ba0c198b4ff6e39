"""The zone index: which zone versions in force contain a batch of positions.

``ZoneIndex(versions)`` answers, for numpy arrays of positions, times, altitudes and
subject kinds, the pairs (position, version) where the position lies in the version's area
(a position on the boundary counts as inside: shapely ``intersects`` / PostGIS
``ST_Covers`` semantics), inside its altitude band, within its effective interval (from
:func:`~monitor.domain.zone.effective_intervals`: a later version of the same zone and
authority ends the earlier one), and the version applies to that kind of subject (a
vessel is never inside airspace). Lifted versions restrict nothing and are not indexed.

How it is fast:

* versions that share an area (the four SVZM restriction versions and the SVZM FIR) share
  one prepared geometry;
* a grid of cells (:mod:`monitor.geofence.grid`) settles every position in a cell wholly
  inside or wholly outside an area with two array look-ups; only positions in cells that
  an area's boundary touches are tested exactly, with ``shapely.intersects_xy`` on the
  prepared area;
* when a batch's times all fall in one period where no version starts or ends, and its
  subjects are all aircraft or all vessels, the time and subject tests are made once per
  version instead of once per pair.

Pure: numpy and shapely in, numpy out. Positions are WGS84 lon/lat degrees; areas are
planar in lon/lat, as everywhere in shapely; segments (``crossings``) are straight lines
in lon/lat.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from monitor.domain.zone import AppliesTo, ZoneVersion, effective_intervals
from monitor.geofence.distance import BoundaryDistance
from monitor.geofence.grid import MAX_CELLS, MIN_CELL_DEG, GridStates, build_grid

_AIRCRAFT_BIT = 1
_VESSEL_BIT = 2
_APPLIES_BITS = {
    AppliesTo.AIRCRAFT: _AIRCRAFT_BIT,
    AppliesTo.VESSELS: _VESSEL_BIT,
    AppliesTo.BOTH: _AIRCRAFT_BIT | _VESSEL_BIT,
}
#: estimated bytes per vertex held by GEOS for a prepared area (coordinates + index)
_GEOS_BYTES_PER_VERTEX = 64
_GEOS_BYTES_PER_AREA = 4096


class ZoneIndex:
    """An immutable index over zone versions (build a new one when the zones change).

    Parameters
    ----------
    versions:
        Every known version, lifted ones included (a lift ends its predecessor; it is
        kept in :attr:`versions` but never contains anything).
    min_cell_deg, max_cells:
        Grid resolution (see :mod:`monitor.geofence.grid`).

    Attributes
    ----------
    versions:
        Every version given, by zone id and version number; ``version_idx`` values
        index this tuple.
    """

    def __init__(
        self,
        versions: Iterable[ZoneVersion],
        *,
        min_cell_deg: float = MIN_CELL_DEG,
        max_cells: int = MAX_CELLS,
    ) -> None:
        every = list(versions)
        spans = effective_intervals(every)
        spans.sort(key=lambda row: (row[0].zone_id, row[0].version))
        self.versions: tuple[ZoneVersion, ...] = tuple(v for v, _, _ in spans)
        live = np.array([v.restricts for v in self.versions], dtype=bool)
        self._restricts = live
        # a lifted version restricts nothing: never in force here
        self._start_s = np.array(
            [_epoch(s, -math.inf) if v.restricts else math.inf for v, s, _ in spans], np.float64
        )
        self._end_s = np.array(
            [_epoch(e, math.inf) if v.restricts else math.inf for v, _, e in spans], np.float64
        )
        self._floor_ft = np.array(
            [-math.inf if v.floor_ft <= 0 else v.floor_ft for v in self.versions], np.float64
        )
        self._ceiling_ft = np.array([v.ceiling_ft for v in self.versions], np.float64)
        self._applies = np.array([_APPLIES_BITS[v.applies_to] for v in self.versions], np.int8)
        self._alt_limited = bool(
            live.any()
            and (
                np.isfinite(self._floor_ft[live]).any() or np.isfinite(self._ceiling_ft[live]).any()
            )
        )
        self._edges = np.unique(np.concatenate([self._start_s, self._end_s]))
        self._edges = self._edges[np.isfinite(self._edges)]
        self._code_table = self._build_code_table()

        # one area per distinct geometry, for the restricting versions only
        area_of: dict[bytes, int] = {}
        self._areas: list[BaseGeometry] = []
        version_area = np.full(len(self.versions), -1, dtype=np.int32)
        for i, v in enumerate(self.versions):
            if not v.restricts:
                continue
            wkb = shapely.to_wkb(shapely.normalize(v.geometry))
            if wkb not in area_of:
                area_of[wkb] = len(self._areas)
                self._areas.append(v.geometry)
            version_area[i] = area_of[wkb]
        self._version_area = version_area
        for area in self._areas:
            shapely.prepare(area)
        indexed = np.flatnonzero(version_area >= 0)
        order = indexed[np.argsort(version_area[indexed], kind="stable")]
        counts = np.bincount(version_area[indexed], minlength=len(self._areas))
        self._area_ptr = np.r_[0, np.cumsum(counts)].astype(np.int64)
        self._area_versions = order.astype(np.int32)
        self._tree = shapely.STRtree(self._areas)
        self._grid: GridStates = build_grid(
            self._areas, min_cell_deg=min_cell_deg, max_cells=max_cells
        )
        # per grid state: the versions of the areas wholly covering its cells
        self._state_ptr, self._state_versions = self._expand_states()
        self._distance: dict[int, BoundaryDistance] = {}
        self._key_index: dict[str, int] | None = None

    # ------------------------------------------------------------------ queries
    def contains(
        self,
        lon: Any,
        lat: Any,
        alt_ft: Any = math.nan,
        t_s: Any = math.nan,
        is_aircraft: Any = True,
    ) -> tuple[np.ndarray, np.ndarray]:
        """The (position, version) pairs where the position is in the version in force.

        Parameters
        ----------
        lon, lat:
            Positions, WGS84 degrees (arrays of one length ``n``).
        alt_ft:
            Altitude in ft per position, or one value; NaN (unknown) counts as inside
            every altitude band. A floor at the surface (0 ft) has no lower limit.
        t_s:
            Epoch seconds per position, or one value. NaN (unknown time) matches only
            versions with neither start nor end.
        is_aircraft:
            Per position or one value; vessels are never inside aircraft-only zones.

        Returns
        -------
        tuple of numpy.ndarray
            ``(obs_idx, version_idx)``, int64 and int32, sorted by ``obs_idx``;
            ``version_idx`` indexes :attr:`versions`.
        """
        x = np.ascontiguousarray(lon, dtype=np.float64).ravel()
        y = np.ascontiguousarray(lat, dtype=np.float64).ravel()
        n = len(x)
        if not self._areas or n == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.int32)
        t, alt, air = _column(t_s, n), _column(alt_ft, n), _column(is_aircraft, n, bool)
        per_version = self._uniform_filter(t, alt, air)
        grid = self._grid
        state = grid.states(x, y)

        # cells wholly inside areas
        if per_version is not None:
            ptr, vers = self._filtered_states(per_version)
        else:
            ptr, vers = self._state_ptr, self._state_versions
        cnt = (ptr[1:] - ptr[:-1])[state]
        obs, ver = _expand(cnt, ptr[:-1][state], vers)
        codes = self._position_codes(t, air) if per_version is None else None
        if codes is not None:
            keep = self._pair_filter(obs, ver, codes, alt)
            obs, ver = obs[keep], ver[keep]

        # cells on a boundary: exact tests
        b_obs, b_ver = self._boundary_pairs(x, y, state)
        if len(b_obs):
            if codes is None:
                assert per_version is not None
                keep = per_version[b_ver]
            else:
                keep = self._pair_filter(b_obs, b_ver, codes, alt)
            b_obs, b_ver = b_obs[keep], b_ver[keep]
        if len(b_obs):
            order = np.lexsort((b_ver, b_obs))
            b_obs, b_ver = b_obs[order], b_ver[order]
            at = np.searchsorted(obs, b_obs, side="right")
            obs = np.insert(obs, at, b_obs)
            ver = np.insert(ver, at, b_ver)
        return obs, ver

    def crossings(
        self,
        lon0: Any,
        lat0: Any,
        lon1: Any,
        lat1: Any,
        t_s: Any = math.nan,
        alt_ft: Any = math.nan,
        is_aircraft: Any = True,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Segments that pass through a version's area although both ends are outside it.

        A segment is the straight line (in lon/lat) between two consecutive fixes. It
        crosses an area when the part of it inside the area has a length (touching a
        corner at one point is not a crossing) and neither end is in the area. Time,
        altitude and subject filters are those of :meth:`contains` (``t_s`` / ``alt_ft``
        per segment, e.g. the later fix's time).

        Returns
        -------
        tuple of numpy.ndarray
            ``(seg_idx, version_idx, cross_lon, cross_lat)``, sorted by segment; the
            crossing point is the middle of the longest piece of the segment inside the area.
        """
        x0 = np.ascontiguousarray(lon0, dtype=np.float64).ravel()
        y0 = np.ascontiguousarray(lat0, dtype=np.float64).ravel()
        x1 = np.ascontiguousarray(lon1, dtype=np.float64).ravel()
        y1 = np.ascontiguousarray(lat1, dtype=np.float64).ravel()
        n = len(x0)
        empty = (np.zeros(0, np.int64), np.zeros(0, np.int32), np.zeros(0), np.zeros(0))
        if n == 0 or not self._areas:
            return empty
        t, alt, air = _column(t_s, n), _column(alt_ft, n), _column(is_aircraft, n, bool)
        finite = np.isfinite(x0) & np.isfinite(y0) & np.isfinite(x1) & np.isfinite(y1)
        seg_ids, area = self._crossing_candidates(x0, y0, x1, y1, finite)
        if len(seg_ids) == 0:
            return empty
        cand, seg_local = np.unique(seg_ids, return_inverse=True)
        lines = shapely.linestrings(
            np.stack([np.stack([x0[cand], y0[cand]], -1), np.stack([x1[cand], y1[cand]], -1)], 1)
        )
        seg_out, area_out, px, py = [], [], [], []
        order = np.argsort(area, kind="stable")
        seg_local, area = seg_local[order], area[order]
        bounds = np.flatnonzero(np.r_[True, area[1:] != area[:-1], True])
        for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
            a = int(area[lo])
            sel = seg_local[lo:hi]
            geom = self._areas[a]
            segs = cand[sel]
            outside = ~shapely.intersects_xy(geom, x0[segs], y0[segs]) & ~shapely.intersects_xy(
                geom, x1[segs], y1[segs]
            )
            if not outside.any():
                continue
            sel, segs = sel[outside], segs[outside]
            pieces = shapely.intersection(lines[sel], geom)
            mid_x, mid_y, has_length = _longest_piece_midpoints(pieces)
            seg_out.append(segs[has_length])
            area_out.append(np.full(int(has_length.sum()), a, np.int32))
            px.append(mid_x[has_length])
            py.append(mid_y[has_length])
        if not seg_out:
            return empty
        seg = np.concatenate(seg_out)
        area_arr = np.concatenate(area_out)
        cx, cy = np.concatenate(px), np.concatenate(py)
        # areas -> versions, then the in-force filter
        cnt = (self._area_ptr[1:] - self._area_ptr[:-1])[area_arr]
        rows, ver = _expand(cnt, self._area_ptr[:-1][area_arr], self._area_versions)
        keep = self._pair_filter(seg[rows], ver, self._position_codes(t, air), alt)
        rows, ver = rows[keep], ver[keep]
        order = np.lexsort((ver, seg[rows]))
        rows, ver = rows[order], ver[order]
        return seg[rows].astype(np.int64), ver.astype(np.int32), cx[rows], cy[rows]

    def in_force(self, at: datetime) -> list[ZoneVersion]:
        """The restricting versions in force at ``at`` (lifted ones never are)."""
        t = at.timestamp()
        live = (self._start_s <= t) & (t < self._end_s)
        return [self.versions[i] for i in np.flatnonzero(live)]

    def distance_to_boundary_m(self, lon: Any, lat: Any, version: ZoneVersion | int) -> Any:
        """Geodesic distance (m) from each position to the version's boundary.

        The nearest boundary point is found in an azimuthal-equidistant projection
        centred on the area (pyproj); the distance to it is then measured on the WGS84
        ellipsoid with ``pyproj.Geod``. Unsigned: inside and outside alike (use
        :meth:`contains` for the side). See :mod:`monitor.geofence.distance`.

        Returns
        -------
        float or numpy.ndarray
            A float for scalar ``lon`` / ``lat``, else an array.
        """
        v_idx = version if isinstance(version, int | np.integer) else self._version_index(version)
        area = int(self._version_area[v_idx])
        if area < 0:
            geom = self.versions[v_idx].geometry
            calc = BoundaryDistance(geom)
        else:
            if area not in self._distance:
                self._distance[area] = BoundaryDistance(self._areas[area])
            calc = self._distance[area]
        scalar = np.ndim(lon) == 0 and np.ndim(lat) == 0
        x = np.atleast_1d(np.asarray(lon, dtype=np.float64)).ravel()
        y = np.atleast_1d(np.asarray(lat, dtype=np.float64)).ravel()
        out = calc.distance_m(x, y)
        return float(out[0]) if scalar else out

    def memory_bytes(self) -> int:
        """Bytes held by the index: its arrays, plus an estimate of the GEOS geometries."""
        arrays = (
            self._grid.nbytes
            + self._start_s.nbytes
            + self._end_s.nbytes
            + self._floor_ft.nbytes
            + self._ceiling_ft.nbytes
            + self._applies.nbytes
            + self._version_area.nbytes
            + self._area_ptr.nbytes
            + self._area_versions.nbytes
            + self._state_ptr.nbytes
            + self._state_versions.nbytes
            + self._code_table.nbytes
        )
        vertices = int(sum(shapely.get_num_coordinates(a) for a in self._areas))
        geos = vertices * _GEOS_BYTES_PER_VERTEX + len(self._areas) * _GEOS_BYTES_PER_AREA
        return int(arrays + geos)

    @property
    def n_areas(self) -> int:
        """Distinct areas (versions sharing a geometry share one)."""
        return len(self._areas)

    @property
    def grid(self) -> GridStates:
        return self._grid

    def version_index(self, version: ZoneVersion) -> int:
        """Position of ``version`` in :attr:`versions` (``ValueError`` if not indexed)."""
        return self._version_index(version)

    # ---------------------------------------------------------------- internals
    def _crossing_candidates(
        self,
        x0: np.ndarray,
        y0: np.ndarray,
        x1: np.ndarray,
        y1: np.ndarray,
        finite: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """(segment, area) pairs whose boundary the segment may cross.

        A segment shorter than a cell on both axes touches at most the four cells of its
        bounding-box corners, and can only cross an area whose boundary touches one of
        them: the grid lists those. Longer segments ask the STRtree.
        """
        grid = self._grid
        bcnt = grid.boundary_ptr[1:] - grid.boundary_ptr[:-1]
        bstart = grid.boundary_ptr[:-1]
        short = finite & (np.abs(x1 - x0) < grid.cell_deg) & (np.abs(y1 - y0) < grid.cell_deg)
        idx = np.flatnonzero(short)
        segs: list[np.ndarray] = []
        areas: list[np.ndarray] = []
        if len(idx):
            xs0, ys0, xs1, ys1 = x0[idx], y0[idx], x1[idx], y1[idx]
            for cx, cy in ((xs0, ys0), (xs1, ys1), (xs0, ys1), (xs1, ys0)):
                state = grid.states(cx, cy)
                rows, area = _expand(bcnt[state], bstart[state], grid.boundary_areas)
                segs.append(idx[rows])
                areas.append(area.astype(np.int64))
        long_idx = np.flatnonzero(finite & ~short)
        if len(long_idx):
            lines = shapely.linestrings(
                np.stack(
                    [
                        np.stack([x0[long_idx], y0[long_idx]], -1),
                        np.stack([x1[long_idx], y1[long_idx]], -1),
                    ],
                    1,
                )
            )
            rows, area = self._tree.query(lines, predicate="intersects")
            segs.append(long_idx[rows])
            areas.append(area.astype(np.int64))
        if not segs:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        seg = np.concatenate(segs)
        area = np.concatenate(areas)
        if len(seg) == 0:
            return seg, area
        pair = np.unique(seg * len(self._areas) + area)
        return pair // len(self._areas), pair % len(self._areas)

    def _version_index(self, version: ZoneVersion) -> int:
        if self._key_index is None:
            self._key_index = {v.key: i for i, v in enumerate(self.versions)}
        try:
            return self._key_index[version.key]
        except KeyError:
            raise ValueError(f"{version.key} is not in the index") from None

    def _expand_states(self) -> tuple[np.ndarray, np.ndarray]:
        g = self._grid
        per_state: list[np.ndarray] = []
        for s in range(g.n_states):
            areas = g.inside_areas[g.inside_ptr[s] : g.inside_ptr[s + 1]]
            vers = [self._area_versions[self._area_ptr[a] : self._area_ptr[a + 1]] for a in areas]
            per_state.append(np.sort(np.concatenate(vers)) if vers else np.zeros(0, np.int32))
        ptr = np.r_[0, np.cumsum([len(v) for v in per_state])].astype(np.int64)
        flat = np.concatenate(per_state).astype(np.int32) if per_state else np.zeros(0, np.int32)
        return ptr, flat

    def _filtered_states(self, keep_version: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The state table with only the versions allowed by ``keep_version``."""
        keep = keep_version[self._state_versions]
        counts = (
            np.add.reduceat(np.r_[keep, False].astype(np.int64), self._state_ptr[:-1])
            if len(self._state_versions)
            else np.zeros(len(self._state_ptr) - 1, np.int64)
        )
        # reduceat gives a wrong value for empty segments: fix them
        empty = self._state_ptr[1:] == self._state_ptr[:-1]
        counts[empty] = 0
        ptr = np.r_[0, np.cumsum(counts)].astype(np.int64)
        return ptr, self._state_versions[keep]

    def _uniform_filter(self, t: np.ndarray, alt: np.ndarray, air: np.ndarray) -> np.ndarray | None:
        """Per-version pass/fail when it is the same for every position, else ``None``."""
        if self._alt_limited and not np.isnan(alt).all():
            return None
        if air.all():
            bit = _AIRCRAFT_BIT
        elif not air.any():
            bit = _VESSEL_BIT
        else:
            return None
        nan_t = np.isnan(t)
        if nan_t.all():
            live = np.isneginf(self._start_s) & np.isposinf(self._end_s)
        elif nan_t.any():
            return None
        else:
            lo, hi = float(t.min()), float(t.max())
            # the answer is the same for the whole batch when no version starts or ends
            # in (lo, hi]
            if np.searchsorted(self._edges, lo, side="right") != np.searchsorted(
                self._edges, hi, side="right"
            ):
                return None
            live = (self._start_s <= lo) & (lo < self._end_s)
        return live & ((self._applies & bit) != 0)

    def _position_codes(self, t: np.ndarray, air: np.ndarray) -> np.ndarray:
        """Per position: its period between version edges and its subject kind, as one
        row number of :attr:`_code_table` (NaN time: the open-ended-only row)."""
        epoch = np.searchsorted(self._edges, t, side="right")
        epoch = np.where(np.isnan(t), len(self._edges) + 1, epoch)
        return (epoch * 2 + np.logical_not(air)).astype(np.int64)

    def _build_code_table(self) -> np.ndarray:
        """``table[code * V + v]``: version ``v`` in force and applying, for that code."""
        n_epochs = len(self._edges) + 1
        reps = np.r_[-math.inf, self._edges]
        live = (self._start_s[None, :] <= reps[:, None]) & (reps[:, None] < self._end_s[None, :])
        open_ended = (np.isneginf(self._start_s) & np.isposinf(self._end_s))[None, :]
        live = np.vstack([live, open_ended])  # row n_epochs: unknown time
        air = (self._applies & _AIRCRAFT_BIT) != 0
        vessel = (self._applies & _VESSEL_BIT) != 0
        table = np.empty((2 * (n_epochs + 1), len(self.versions)), dtype=bool)
        table[0::2] = live & air[None, :]
        table[1::2] = live & vessel[None, :]
        return table.ravel()

    def _pair_filter(
        self, obs: np.ndarray, ver: np.ndarray, codes: np.ndarray, alt: np.ndarray
    ) -> np.ndarray:
        """Per pair: in force at the position's time (NaN time: open-ended versions only),
        the version applies to the subject, and the altitude is within the band (NaN
        passes). Time and subject are one look-up in the code table."""
        keep = self._code_table[_gather(codes, obs) * len(self.versions) + ver]
        if self._alt_limited:
            a = _gather(alt, obs)
            keep &= ~(a < self._floor_ft[ver]) & ~(a > self._ceiling_ft[ver])
        return keep

    def _boundary_pairs(
        self, x: np.ndarray, y: np.ndarray, state: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        g = self._grid
        bcnt = (g.boundary_ptr[1:] - g.boundary_ptr[:-1])[state]
        pts = np.flatnonzero(bcnt)
        if len(pts) == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.int32)
        obs, area = _expand(bcnt[pts], g.boundary_ptr[:-1][state[pts]], g.boundary_areas)
        obs = pts[obs]
        hit_obs: list[np.ndarray] = []
        hit_area: list[np.ndarray] = []
        order = np.argsort(area, kind="stable")
        obs, area = obs[order], area[order]
        bounds = np.flatnonzero(np.r_[True, area[1:] != area[:-1], True])
        for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
            a = int(area[lo])
            o = obs[lo:hi]
            inside = shapely.intersects_xy(self._areas[a], x[o], y[o])
            hit_obs.append(o[inside])
            hit_area.append(np.full(int(inside.sum()), a, np.int32))
        h_obs = np.concatenate(hit_obs)
        h_area = np.concatenate(hit_area)
        cnt = (self._area_ptr[1:] - self._area_ptr[:-1])[h_area]
        rows, ver = _expand(cnt, self._area_ptr[:-1][h_area], self._area_versions)
        return h_obs[rows], ver


def _expand(
    counts: np.ndarray, starts: np.ndarray, table: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """CSR expansion: row ``i`` yields ``table[starts[i] : starts[i] + counts[i]]``.

    Returns the row index and the table value of each yielded item, rows in order.
    """
    counts = counts.astype(np.int64, copy=False)
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int32)
    rows = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
    offset = np.cumsum(counts) - counts  # position of each row's first item in the output
    pos = np.arange(total, dtype=np.int64) + np.repeat(starts - offset, counts)
    return rows, table[pos]


def _column(value: Any, n: int, dtype: Any = np.float64) -> np.ndarray:
    """An array of ``n`` values, or a 0-d array standing for all of them."""
    arr = np.asarray(value, dtype=dtype)
    if arr.ndim == 0:
        return arr
    arr = arr.ravel()
    if len(arr) != n:
        raise ValueError(f"expected {n} values, got {len(arr)}")
    return arr


def _gather(arr: np.ndarray, idx: np.ndarray) -> np.ndarray:
    return arr if arr.ndim == 0 else arr[idx]


def _epoch(t: datetime | None, default: float) -> float:
    return default if t is None else t.timestamp()


def _longest_piece_midpoints(pieces: Sequence[Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = len(pieces)
    mx, my = np.full(n, np.nan), np.full(n, np.nan)
    has = np.zeros(n, bool)
    for i, piece in enumerate(pieces):
        parts = [
            p for p in shapely.get_parts(piece) if p.geom_type == "LineString" and p.length > 0
        ]
        if not parts:
            continue
        best = max(parts, key=lambda p: p.length)
        mid = shapely.line_interpolate_point(best, 0.5, normalized=True)
        mx[i], my[i] = mid.x, mid.y
        has[i] = True
    return mx, my, has
