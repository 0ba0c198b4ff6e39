"""Venezuela's land and an approximate 12 nm territorial sea, from Natural Earth.

Land: the Natural Earth 1:50m admin-0 polygon of Venezuela plus Bird Island (Isla de Aves,
1:10m disputed-areas layer; administered by Venezuela). The Essequibo area claimed by
Venezuela is administered by Guyana and is not included.

Territorial sea, an **approximation** (not a UNCLOS delimitation):

1. the coastline (every ring of the land, densified to <= 5 km edges) is buffered
   geodesically with pyproj's ``Geod`` on WGS84: a geodesic circle of 12 nm (22,224 m)
   around every vertex (one point every 2 degrees of azimuth) and, for every edge, the
   quadrilateral of its endpoints offset 12 nm to either side;
2. all land of the region (Venezuela and its neighbours in the reference file) is cut out;
3. where the band reaches closer to a neighbour's coast than to Venezuela's (Trinidad,
   Aruba, Colombia's Guajira, Guyana), it is cut at the equidistance line, computed as the
   Voronoi diagram of the densified coasts in an azimuthal-equidistant projection centred
   on Venezuela (scale error < 0.3 %, so tens of metres on the line);
4. parts under 1 km2 are dropped and the outline is simplified with a 0.0005 degree
   (about 55 m) tolerance, small against a 22 km band.

Pure: parsed JSON in, geometry out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import shapely
from pyproj import Geod, Transformer
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.geometry.base import BaseGeometry

from monitor.units import M_PER_NM
from monitor.zones.geojson import snap

TERRITORIAL_SEA_NM = 12.0
DENSIFY_DEG = 0.045  # about 5 km
AZIMUTH_STEP_DEG = 2.0
SIMPLIFY_DEG = 0.0005
MIN_PART_KM2 = 1.0
NEIGHBOUR_REACH_DEG = 0.6  # coasts further than this from Venezuela cannot matter at 12 nm

_GEOD = Geod(ellps="WGS84")
_AEQD = "+proj=aeqd +lat_0=10 +lon_0=-66 +datum=WGS84 +units=m +no_defs"


def venezuela_land(doc: Mapping[str, Any]) -> BaseGeometry:
    """Venezuela's admin-0 land (1:50m) plus Bird Island, snapped to the 1e-6 grid."""
    parts = [
        shape(f["geometry"])
        for f in doc["features"]
        if f["properties"].get("iso_a3") == "VEN"
        and f["properties"].get("kind") in ("land_admin0", "disputed_area")
    ]
    return snap(shapely.union_all(parts))


def region_land(doc: Mapping[str, Any]) -> dict[str, BaseGeometry]:
    """Every admin-0 land polygon of the reference file, by ISO code."""
    return {
        f["properties"]["iso_a3"]: shape(f["geometry"])
        for f in doc["features"]
        if f["properties"].get("kind") == "land_admin0"
    }


def territorial_sea(land: BaseGeometry, neighbours: Mapping[str, BaseGeometry]) -> BaseGeometry:
    """The approximate 12 nm territorial sea of ``land`` (see the module docstring)."""
    radius_m = TERRITORIAL_SEA_NM * M_PER_NM
    band = geodesic_buffer(land, radius_m)
    all_land = shapely.union_all([land, *neighbours.values()])
    sea = band.difference(all_land)
    near = {
        iso: geom for iso, geom in neighbours.items() if geom.distance(land) < NEIGHBOUR_REACH_DEG
    }
    if near:
        sea = sea.difference(_closer_to_others(land, list(near.values()), band))
    sea = _drop_small(sea)
    sea = shapely.simplify(sea, SIMPLIFY_DEG, preserve_topology=True)
    return snap(_drop_small(shapely.make_valid(sea)))


def geodesic_buffer(area: BaseGeometry, radius_m: float) -> BaseGeometry:
    """Union of ``area`` and every point within ``radius_m`` (geodesic) of its boundary."""
    dense = shapely.segmentize(area, DENSIFY_DEG)
    pieces: list[BaseGeometry] = [area]
    azimuths = np.arange(0.0, 360.0, AZIMUTH_STEP_DEG)
    for ring in _rings(dense):
        xy = np.asarray(ring.coords)[:-1]
        n = len(xy)
        # circles around every vertex
        lon = np.repeat(xy[:, 0], len(azimuths))
        lat = np.repeat(xy[:, 1], len(azimuths))
        az = np.tile(azimuths, n)
        clon, clat, _ = _GEOD.fwd(lon, lat, az, np.full(lon.shape, radius_m))
        circles = np.stack([clon, clat], axis=-1).reshape(n, len(azimuths), 2)
        circles = np.concatenate([circles, circles[:, :1, :]], axis=1)
        pieces.extend(shapely.polygons(circles))
        # a quadrilateral either side of every edge
        p, q = xy, np.roll(xy, -1, axis=0)
        fwd_az, back_az, dist = _GEOD.inv(p[:, 0], p[:, 1], q[:, 0], q[:, 1])
        keep = dist > 0
        p, q, fwd_az, back_az = p[keep], q[keep], fwd_az[keep], back_az[keep]
        at_q = back_az + 180.0
        r = np.full(len(p), radius_m)
        pl = _GEOD.fwd(p[:, 0], p[:, 1], fwd_az - 90.0, r)[:2]
        pr = _GEOD.fwd(p[:, 0], p[:, 1], fwd_az + 90.0, r)[:2]
        ql = _GEOD.fwd(q[:, 0], q[:, 1], at_q - 90.0, r)[:2]
        qr = _GEOD.fwd(q[:, 0], q[:, 1], at_q + 90.0, r)[:2]
        quads = np.stack(
            [
                np.stack(pl, axis=-1),
                np.stack(ql, axis=-1),
                np.stack(qr, axis=-1),
                np.stack(pr, axis=-1),
                np.stack(pl, axis=-1),
            ],
            axis=1,
        )
        pieces.extend(shapely.make_valid(shapely.polygons(quads)))
    return shapely.union_all(pieces)


def _closer_to_others(
    land: BaseGeometry, others: list[BaseGeometry], band: BaseGeometry
) -> BaseGeometry:
    """The part of the band's envelope closer to another coast than to ``land``'s."""
    to_m = Transformer.from_crs("EPSG:4326", _AEQD, always_xy=True)
    to_deg = Transformer.from_crs(_AEQD, "EPSG:4326", always_xy=True)
    r = NEIGHBOUR_REACH_DEG
    reach = shapely.box(*(np.asarray(band.bounds) + np.array([-r, -r, r, r])))
    own = np.stack(to_m.transform(*_coast_points(land, reach).T), axis=-1)
    other = np.concatenate([_coast_points(g, reach) for g in others])
    other = np.stack(to_m.transform(*other.T), axis=-1)
    # one point per metre cell; where a neighbour's point coincides with one of ours
    # (a shared land border) ours wins
    points = np.round(np.concatenate([own, other]), 0)
    points, first = np.unique(points, axis=0, return_index=True)
    is_other = first >= len(own)
    x, y = points[:, 0], points[:, 1]
    env = shapely.box(*shapely.bounds(shapely.multipoints(np.stack([x, y], axis=-1)))).buffer(
        200_000
    )
    cells = shapely.voronoi_polygons(
        shapely.multipoints(np.stack([x, y], axis=-1)), extend_to=env, ordered=True
    )
    cells = np.asarray(cells.geoms, dtype=object)
    region_m = shapely.union_all(cells[is_other])
    region_m = shapely.segmentize(region_m, 2_000.0)
    region = shapely.transform(region_m, lambda c: np.stack(to_deg.transform(c[:, 0], c[:, 1]), -1))
    return shapely.make_valid(region)


def _coast_points(geom: BaseGeometry, within: BaseGeometry) -> np.ndarray:
    dense = shapely.segmentize(geom, DENSIFY_DEG / 2)
    pts = np.concatenate([np.asarray(r.coords)[:-1] for r in _rings(dense)])
    inside = shapely.contains_xy(within, pts[:, 0], pts[:, 1])
    return pts[inside]


def _rings(geom: BaseGeometry) -> list[Any]:
    polys = geom.geoms if geom.geom_type == "MultiPolygon" else [geom]
    return [ring for poly in polys for ring in (poly.exterior, *poly.interiors)]


def _drop_small(geom: BaseGeometry) -> BaseGeometry:
    polys: list[Polygon] = []
    for part in getattr(geom, "geoms", [geom]):
        if part.geom_type == "Polygon":
            polys.append(part)
        elif part.geom_type == "MultiPolygon":
            polys.extend(part.geoms)
    keep = [p for p in polys if _area_km2(p) >= MIN_PART_KM2]
    return keep[0] if len(keep) == 1 else MultiPolygon(keep)


def _area_km2(poly: Polygon) -> float:
    return abs(_GEOD.geometry_area_perimeter(poly)[0]) / 1e6
