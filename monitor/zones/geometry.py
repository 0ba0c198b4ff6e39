"""Area geometry of a zone: built from raw rings, checked, repaired only when unambiguous.

Rules (each failure raises :class:`~monitor.errors.ZoneError` naming the feature):

* every position is two finite numbers with ``-180 <= lon <= 180`` and ``-90 <= lat <= 90``
  (a third value, an altitude, is dropped);
* every ring has at least four positions and is closed (first position == last);
* the area is a Polygon or MultiPolygon (or a collection of them) and is not empty;
* a self-intersecting ring (a bow-tie, a spike) is repaired with :func:`shapely.make_valid`
  and a warning, but only when the repair is unambiguous: the even-odd reading
  (``method="linework"``) and the union-of-parts reading (``method="structure"``) give the
  same area. Where they differ (a ring that winds twice, overlapping parts of a
  MultiPolygon) the intent cannot be guessed and the feature is refused; so is every other
  invalidity (a hole outside its shell, nested shells...).

Pure: no I/O. Coordinates are WGS84 lon/lat degrees, planar in shapely.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from typing import Any

import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from monitor.errors import ZoneError

log = logging.getLogger(__name__)

Ring = Sequence[Sequence[float]]
#: one polygon as (outer ring, [inner rings])
RawPolygon = tuple[Ring, Sequence[Ring]]

_REPAIRABLE = ("Self-intersection", "Ring Self-intersection")


def area_from_geojson(geometry: Any, label: str) -> tuple[BaseGeometry, list[str]]:
    """Build and check a zone area from a GeoJSON geometry object.

    Parameters
    ----------
    geometry:
        The ``geometry`` member of a GeoJSON feature (Polygon, MultiPolygon or a
        GeometryCollection of them).
    label:
        How the feature is named in errors and warnings (``feature 3 (id 'X')``).

    Returns
    -------
    tuple
        The (possibly repaired) Polygon / MultiPolygon and the warnings about repairs.
    """
    polygons = _raw_polygons_from_geojson(geometry, label)
    return area_from_rings(polygons, label)


def area_from_rings(polygons: Sequence[RawPolygon], label: str) -> tuple[BaseGeometry, list[str]]:
    """Build and check a zone area from raw rings (shared by the GeoJSON and KML readers)."""
    if not polygons:
        raise ZoneError(f"{label}: empty geometry (no polygon)")
    parts: list[Polygon] = []
    for p_idx, (outer, inners) in enumerate(polygons):
        where = f"polygon {p_idx}" if len(polygons) > 1 else "polygon"
        shell = _check_ring(outer, label, f"outer ring of {where}")
        holes = [
            _check_ring(ring, label, f"inner ring {h_idx} of {where}")
            for h_idx, ring in enumerate(inners)
        ]
        parts.append(Polygon(shell, holes))
    geom: BaseGeometry = parts[0] if len(parts) == 1 else MultiPolygon(parts)
    return check_area(geom, label)


def check_area(geom: BaseGeometry, label: str) -> tuple[BaseGeometry, list[str]]:
    """Check a shapely area built in code; repair an unambiguous self-intersection.

    Returns
    -------
    tuple
        The valid Polygon / MultiPolygon and the warnings about what was repaired.
    """
    if geom is None or geom.is_empty:
        raise ZoneError(f"{label}: empty geometry")
    if geom.geom_type not in ("Polygon", "MultiPolygon"):
        raise ZoneError(f"{label}: geometry type {geom.geom_type} is not an area")
    _check_range(shapely.get_coordinates(geom), label)
    if shapely.is_valid(geom):
        if geom.area <= 0:
            raise ZoneError(f"{label}: geometry has zero area")
        return geom, []
    reason = shapely.is_valid_reason(geom)
    if not reason.startswith(_REPAIRABLE):
        raise ZoneError(f"{label}: invalid geometry: {reason}")
    linework = _polygonal(shapely.make_valid(geom, method="linework"))
    structure = _polygonal(shapely.make_valid(geom, method="structure", keep_collapsed=False))
    if linework is None or structure is None:
        raise ZoneError(f"{label}: self-intersection at {_where(reason)} cannot be repaired")
    diff = linework.symmetric_difference(structure).area
    if diff > 1e-9 * max(structure.area, 1e-12):
        raise ZoneError(
            f"{label}: self-intersection at {_where(reason)} is ambiguous (the ring winds "
            f"around part of the area twice, or parts overlap); fix the rings"
        )
    if structure.area <= 0:
        raise ZoneError(f"{label}: geometry has zero area after repairing {reason}")
    warning = (
        f"{label}: self-intersection at {_where(reason)} repaired with make_valid into "
        f"{_part_count(structure)} part(s)"
    )
    log.warning("%s", warning)
    return structure, [warning]


def _raw_polygons_from_geojson(geometry: Any, label: str) -> list[RawPolygon]:
    if geometry is None:
        raise ZoneError(f"{label}: empty geometry (null)")
    if not isinstance(geometry, Mapping):
        raise ZoneError(f"{label}: geometry {geometry!r:.60} is not a GeoJSON object")
    gtype = geometry.get("type")
    if gtype == "GeometryCollection":
        out: list[RawPolygon] = []
        for member in geometry.get("geometries") or []:
            out.extend(_raw_polygons_from_geojson(member, label))
        return out
    coords = geometry.get("coordinates")
    if gtype == "Polygon":
        if not coords:
            return []
        return [_split_polygon(coords, label)]
    if gtype == "MultiPolygon":
        if coords is None:
            return []
        if not isinstance(coords, Sequence) or isinstance(coords, str):
            raise ZoneError(f"{label}: MultiPolygon coordinates {coords!r:.60} are not a list of polygons")
        return [_split_polygon(poly, label) for poly in coords if poly]
    raise ZoneError(f"{label}: geometry type {gtype!r} is not an area (Polygon or MultiPolygon)")


def _split_polygon(rings: Any, label: str) -> RawPolygon:
    if not isinstance(rings, Sequence) or isinstance(rings, str) or not rings:
        raise ZoneError(f"{label}: polygon coordinates {rings!r:.60} are not a list of rings")
    return rings[0], rings[1:]


def _check_ring(ring: Any, label: str, where: str) -> list[tuple[float, float]]:
    if not isinstance(ring, Sequence) or isinstance(ring, str):
        raise ZoneError(f"{label}: {where} is not a list of positions: {ring!r:.60}")
    points: list[tuple[float, float]] = []
    for i, pos in enumerate(ring):
        if (
            not isinstance(pos, Sequence)
            or isinstance(pos, str)
            or len(pos) < 2
            or not all(isinstance(c, int | float) and not isinstance(c, bool) for c in pos[:2])
        ):
            raise ZoneError(f"{label}: {where}, position {i} is not [lon, lat]: {pos!r:.60}")
        lon, lat = float(pos[0]), float(pos[1])
        if not (math.isfinite(lon) and math.isfinite(lat)):
            raise ZoneError(f"{label}: {where}, position {i} is not finite: ({lon}, {lat})")
        if not -180.0 <= lon <= 180.0:
            raise ZoneError(
                f"{label}: {where}, position {i}: longitude {lon} is out of range -180..180"
            )
        if not -90.0 <= lat <= 90.0:
            raise ZoneError(
                f"{label}: {where}, position {i}: latitude {lat} is out of range -90..90"
            )
        points.append((lon, lat))
    if not points:
        raise ZoneError(f"{label}: empty geometry ({where} has no positions)")
    if len(points) < 4:
        raise ZoneError(f"{label}: {where} has {len(points)} positions; a ring needs at least 4")
    if points[0] != points[-1]:
        raise ZoneError(
            f"{label}: {where} is not closed: first position {points[0]} != last {points[-1]}"
        )
    return points


def _check_range(coords: Any, label: str) -> None:
    if len(coords) == 0:
        raise ZoneError(f"{label}: empty geometry")
    lon, lat = coords[:, 0], coords[:, 1]
    bad_lon = ~((lon >= -180.0) & (lon <= 180.0))
    if bad_lon.any():
        raise ZoneError(f"{label}: longitude {lon[bad_lon][0]} is out of range -180..180")
    bad_lat = ~((lat >= -90.0) & (lat <= 90.0))
    if bad_lat.any():
        raise ZoneError(f"{label}: latitude {lat[bad_lat][0]} is out of range -90..90")


def _polygonal(geom: BaseGeometry) -> BaseGeometry | None:
    """The polygonal part of a make_valid result (collapsed lines / points dropped)."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    if geom.geom_type == "GeometryCollection":
        polys: list[Polygon] = []
        for part in geom.geoms:
            if part.geom_type == "Polygon":
                polys.append(part)
            elif part.geom_type == "MultiPolygon":
                polys.extend(part.geoms)
        if not polys:
            return None
        return polys[0] if len(polys) == 1 else MultiPolygon(polys)
    return None


def _where(reason: str) -> str:
    """``Self-intersection[1 2]`` -> ``(1, 2)``."""
    if "[" in reason and reason.endswith("]"):
        inner = reason[reason.index("[") + 1 : -1].split()
        if len(inner) >= 2:
            return f"({inner[0]}, {inner[1]})"
    return reason


def _part_count(geom: BaseGeometry) -> int:
    return len(geom.geoms) if geom.geom_type == "MultiPolygon" else 1
