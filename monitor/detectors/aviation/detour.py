"""Great-circle routes through restricted airspace, and the shortest way around it.

* :func:`route_crossings`: the geodesic between origin and destination (WGS84,
  ``pyproj.Geod.npts``, densified every ``step_km``) intersected with the zones in force:
  which zones it crosses, how far inside, and where along the route it enters and leaves.
* :class:`Obstacle`: the shortest path between two points that keeps out of a set of
  zones, on a visibility graph of the zones' (simplified, slightly enlarged) outline. The
  graph lives in a gnomonic projection centred on the zones, where every great circle is
  a straight line, so "does the direct route cross the zone" is a planar test; edge
  lengths are great-circle distances. Points more than ``MAX_GNOMONIC_KM`` from the centre
  (beyond which the projection degrades) are brought in along their great circle to the
  centre, and the part cut off is added back.

Pure: shapely and pyproj computations, no I/O.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from pyproj import Geod, Transformer
from shapely.geometry import LineString, Polygon

from monitor.detectors.aviation.common import (
    EARTH_RADIUS_KM,
    KM_PER_DEG,
    GreatCircle,
    bearing_deg,
    destination,
    haversine_km,
)
from monitor.domain import ZoneVersion

GEOD = Geod(ellps="WGS84")
MAX_GNOMONIC_KM = 7000.0


def geodesic_line(lat1: float, lon1: float, lat2: float, lon2: float, step_km: float) -> LineString:
    """The WGS84 geodesic from point 1 to point 2 as a lon/lat line, a vertex every ``step_km``."""
    _, _, dist_m = GEOD.inv(lon1, lat1, lon2, lat2)
    n = max(0, int(dist_m / 1000.0 / step_km) - 1)
    pts = GEOD.npts(lon1, lat1, lon2, lat2, n) if n else []
    return LineString([(lon1, lat1), *pts, (lon2, lat2)])


def geodesic_length_km(geom: Any) -> float:
    """WGS84 geodesic length of a lon/lat (multi)line, km."""
    return float(GEOD.geometry_length(geom)) / 1000.0


@dataclass(frozen=True, slots=True)
class Crossing:
    """Where a planned great-circle route passes through one zone."""

    zone: ZoneVersion
    inside_km: float
    entry_along_km: float
    exit_along_km: float
    entry_lat: float
    entry_lon: float


def route_crossings(
    lat1: float,
    lon1: float,
    lat2: float,
    lon2: float,
    zones: Sequence[ZoneVersion],
    *,
    step_km: float = 25.0,
    min_inside_km: float = 0.0,
) -> list[Crossing]:
    """Zones the great-circle route crosses by more than ``min_inside_km``, in route order."""
    if not zones:
        return []
    line = geodesic_line(lat1, lon1, lat2, lon2, step_km)
    gc = GreatCircle.between(lat1, lon1, lat2, lon2)
    out = []
    for zone in zones:
        if not shapely.intersects(zone.geometry, line):
            continue
        inter = shapely.intersection(line, zone.geometry)
        inside_km = geodesic_length_km(inter)
        if inside_km <= min_inside_km:
            continue
        pts = shapely.get_coordinates(inter)
        alongs = [gc.offsets_km(lat, lon)[1] for lon, lat in pts]
        first = int(np.argmin(alongs))
        out.append(
            Crossing(
                zone=zone,
                inside_km=inside_km,
                entry_along_km=min(alongs),
                exit_along_km=max(alongs),
                entry_lat=float(pts[first][1]),
                entry_lon=float(pts[first][0]),
            )
        )
    return sorted(out, key=lambda c: c.entry_along_km)


class Obstacle:
    """Shortest paths that keep out of a set of zones.

    Parameters
    ----------
    geometries:
        The zones' lon/lat geometries.
    clearance_km:
        How far outside the zones a path is kept (the outline is enlarged by this).
    simplify_km:
        Tolerance of the outline simplification (the outline is enlarged by it as well,
        so the simplified outline still contains the zones).
    """

    def __init__(
        self, geometries: Sequence[Any], *, clearance_km: float = 10.0, simplify_km: float = 10.0
    ) -> None:
        union = shapely.union_all(list(geometries))
        tol = simplify_km / KM_PER_DEG
        outline = union.simplify(tol).buffer((clearance_km + simplify_km) / KM_PER_DEG, 4)
        outline = outline.simplify(tol / 2)
        polys = list(getattr(outline, "geoms", [outline]))
        centre = shapely.centroid(union)
        self.centre_lat, self.centre_lon = float(centre.y), float(centre.x)
        self._fwd = Transformer.from_crs(
            "EPSG:4326",
            f"+proj=gnom +lat_0={self.centre_lat} +lon_0={self.centre_lon} +R={EARTH_RADIUS_KM * 1000.0}",
            always_xy=True,
        )
        lonlat: list[tuple[float, float]] = []
        rings_xy = []
        for poly in polys:
            ring = list(poly.exterior.coords)[:-1]
            xs, ys = self._fwd.transform([p[0] for p in ring], [p[1] for p in ring])
            rings_xy.append(Polygon(list(zip(xs, ys, strict=True))))
            lonlat.extend(ring)
        self.vertices_lonlat = lonlat
        self._vxy = [
            xy for ring in rings_xy for xy in list(ring.exterior.coords)[:-1]
        ]
        blocked = shapely.union_all(rings_xy)
        # the interior only: segments along the outline (between neighbouring vertices) pass
        self._interior = blocked.buffer(-1.0)
        shapely.prepare(self._interior)
        n = len(self._vxy)
        self._adj: list[list[tuple[int, float]]] = [[] for _ in range(n)]
        pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
        if pairs:
            segs = shapely.linestrings(
                [[self._vxy[i], self._vxy[j]] for i, j in pairs]
            )
            hit = shapely.intersects(self._interior, segs)
            for (i, j), h in zip(pairs, hit, strict=True):
                if not h:
                    d = self._dist_v(i, j)
                    self._adj[i].append((j, d))
                    self._adj[j].append((i, d))

    def _dist_v(self, i: int, j: int) -> float:
        (lon1, lat1), (lon2, lat2) = self.vertices_lonlat[i], self.vertices_lonlat[j]
        return haversine_km(lat1, lon1, lat2, lon2)

    def _bring_in(self, lat: float, lon: float) -> tuple[float, float, float]:
        """(lat, lon, km cut off) of a point moved within ``MAX_GNOMONIC_KM`` of the centre."""
        d = haversine_km(self.centre_lat, self.centre_lon, lat, lon)
        if d <= MAX_GNOMONIC_KM:
            return lat, lon, 0.0
        cut = d - MAX_GNOMONIC_KM
        b = bearing_deg(lat, lon, self.centre_lat, self.centre_lon)
        nlat, nlon = destination(lat, lon, b, cut)
        return nlat, nlon, cut

    def blocks(self, lat1: float, lon1: float, lat2: float, lon2: float) -> bool:
        """Whether the great circle between two points passes through the zones."""
        a_lat, a_lon, _ = self._bring_in(lat1, lon1)
        b_lat, b_lon, _ = self._bring_in(lat2, lon2)
        (ax, bx), (ay, by) = self._fwd.transform([a_lon, b_lon], [a_lat, b_lat])
        return bool(shapely.intersects(self._interior, LineString([(ax, ay), (bx, by)])))

    def shortest_km(self, lat1: float, lon1: float, lat2: float, lon2: float) -> float:
        """Length of the shortest path from point 1 to point 2 keeping out of the zones."""
        a_lat, a_lon, a_cut = self._bring_in(lat1, lon1)
        b_lat, b_lon, b_cut = self._bring_in(lat2, lon2)
        (ax, bx), (ay, by) = self._fwd.transform([a_lon, b_lon], [a_lat, b_lat])
        direct = LineString([(ax, ay), (bx, by)])
        cut = a_cut + b_cut
        if not shapely.intersects(self._interior, direct):
            return cut + haversine_km(a_lat, a_lon, b_lat, b_lon)
        n = len(self._vxy)
        if n == 0:
            return cut + haversine_km(a_lat, a_lon, b_lat, b_lon)
        segs_a = shapely.linestrings([[(ax, ay), v] for v in self._vxy])
        segs_b = shapely.linestrings([[(bx, by), v] for v in self._vxy])
        vis_a = ~np.asarray(shapely.intersects(self._interior, segs_a), dtype=bool)
        vis_b = ~np.asarray(shapely.intersects(self._interior, segs_b), dtype=bool)
        # Dijkstra from A (node n) to B (node n + 1) over the outline's vertices
        dist = [float("inf")] * (n + 2)
        dist[n] = 0.0
        heap = [(0.0, n)]
        while heap:
            d, u = heapq.heappop(heap)
            if d > dist[u]:
                continue
            if u == n + 1:
                break
            if u == n:
                edges = [
                    (j, haversine_km(a_lat, a_lon, self.vertices_lonlat[j][1], self.vertices_lonlat[j][0]))
                    for j in range(n)
                    if vis_a[j]
                ]
            else:
                edges = list(self._adj[u])
                if vis_b[u]:
                    lon_u, lat_u = self.vertices_lonlat[u]
                    edges.append((n + 1, haversine_km(lat_u, lon_u, b_lat, b_lon)))
            for v, w in edges:
                nd = d + w
                if nd < dist[v]:
                    dist[v] = nd
                    heapq.heappush(heap, (nd, v))
        best = dist[n + 1]
        if best == float("inf"):  # A or B inside the outline: no way around, fly direct
            best = haversine_km(a_lat, a_lon, b_lat, b_lon)
        return cut + best


def path_length_km(points: Sequence[tuple[float, float]]) -> float:
    """Great-circle length of a (lat, lon) polyline, km."""
    return sum(
        haversine_km(a[0], a[1], b[0], b[1]) for a, b in zip(points, points[1:], strict=False)
    )
