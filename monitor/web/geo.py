"""GeoJSON for the map: incident geometries in three shapes, and shapely -> GeoJSON dicts.

``track``    the incident's stored geometry (its track LineString, or a Point);
``position`` a Point at the incident's last position (what a marker needs);
``cell``     an area: a stored Polygon, else the H3 cell or bbox named in ``details``
             (``h3_cell`` / ``cell`` / ``cell_bbox``), else the track buffered by
             ``details.radius_nm`` (default 5 nm) — a planar buffer in degrees, good enough
             to draw a GNSS-interference area, not to measure it.

:func:`list_features_json` writes a whole page of :class:`IncidentListItem` (what
``monitor.store.queries.list_incidents`` returns) without parsing any geometry or JSON: the
GeoJSON geometry and ``details`` texts the database handed over are embedded as they are
(``orjson.Fragment``). Only ``cell`` needs shapely objects (see ``incident_feature``).

Pure (no I/O).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
import shapely

from monitor.export.incidents import FIELDS
from monitor.store.queries import LIST_FIELDS, IncidentListItem

#: orjson options for API bodies: datetimes as ISO-8601 with ``Z`` (as monitor.export writes)
ORJSON_OPTS = orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC

DEFAULT_CELL_RADIUS_NM = 5.0
_NM_PER_DEG = 60.0


def to_geojson(geom: Any) -> dict[str, Any] | None:
    if geom is None or geom.is_empty:
        return None
    return orjson.loads(shapely.to_geojson(geom))


def _stored(row: Any) -> Any:
    geom = row.geom
    if geom is None and row.lon is not None and row.lat is not None:
        geom = shapely.Point(row.lon, row.lat)
    return geom


def position_of(row: Any) -> Any:
    if row.lon is not None and row.lat is not None:
        return shapely.Point(row.lon, row.lat)
    geom = row.geom
    if geom is None or geom.is_empty:
        return None
    coords = shapely.get_coordinates(geom)
    return shapely.Point(coords[-1])


def cell_of(row: Any) -> Any:
    geom = _stored(row)
    if geom is not None and geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    details = row.details or {}
    cell = details.get("h3_cell") or details.get("cell")
    if isinstance(cell, str):
        try:
            import h3

            ring = [(lng, lat) for lat, lng in h3.cell_to_boundary(cell)]
            return shapely.Polygon(ring)
        except (ValueError, TypeError):  # not an H3 index: fall through to the buffer
            pass
    box = details.get("cell_bbox")
    if isinstance(box, list | tuple) and len(box) == 4:
        try:
            return shapely.box(*(float(v) for v in box))
        except (TypeError, ValueError):
            pass
    if geom is None:
        return None
    radius_nm = details.get("radius_nm", DEFAULT_CELL_RADIUS_NM)
    try:
        radius_deg = float(radius_nm) / _NM_PER_DEG
    except (TypeError, ValueError):
        radius_deg = DEFAULT_CELL_RADIUS_NM / _NM_PER_DEG
    return shapely.convex_hull(geom).buffer(radius_deg, quad_segs=8)


def incident_geometry(row: Any, mode: str = "track") -> Any:
    if mode == "position":
        return position_of(row)
    if mode == "cell":
        return cell_of(row)
    return _stored(row)


def incident_properties(row: Any, *, base_url: str | None = None) -> dict[str, Any]:
    """The fields of :mod:`monitor.export` (datetimes left for orjson to write, fast)."""
    m = row._mapping
    props = {f: m[f] for f in FIELDS}
    props["details"] = m["details"] or {}
    if base_url:
        props["url"] = f"{base_url.rstrip('/')}/incidents/{m['id']}"
    return props


def incident_feature(row: Any, *, mode: str = "track", base_url: str | None = None) -> dict[str, Any]:
    """One incident row as a GeoJSON Feature (properties as in :mod:`monitor.export`);
    serialise with ``orjson.dumps(..., option=ORJSON_OPTS)``."""
    return {
        "type": "Feature",
        "id": row.id,
        "geometry": to_geojson(incident_geometry(row, mode)),
        "properties": incident_properties(row, base_url=base_url),
    }


#: list modes served from :class:`IncidentListItem` (``cell`` needs the stored geometry)
LIST_MODES = ("track", "position")
_EMPTY_DETAILS = ("", "null", "{}")


def _item_shape(item: IncidentListItem) -> Any:
    """The stored geometry of an item as shapely (rare paths only), or None."""
    if item.geometry_wkt is not None:
        return shapely.from_wkt(item.geometry_wkt)
    if item.geometry_json is not None and item.geometry_json != "null":
        return shapely.from_geojson(item.geometry_json)
    return None


def _item_geometry(item: IncidentListItem, mode: str) -> Any:
    """GeoJSON geometry of an item (a Fragment, a dict, or None), as ``incident_geometry``."""
    has_fix = item.lon is not None and item.lat is not None
    if mode == "position":
        if has_fix:
            return {"type": "Point", "coordinates": [item.lon, item.lat]}
        return to_geojson(position_of_shape(_item_shape(item)))
    if item.geometry_json is not None:
        return orjson.Fragment(item.geometry_json)
    if item.geometry_wkt is not None:
        return to_geojson(shapely.from_wkt(item.geometry_wkt))
    if has_fix:
        return {"type": "Point", "coordinates": [item.lon, item.lat]}
    return None


def position_of_shape(geom: Any) -> Any:
    """The last coordinate of a geometry as a Point (None for None or empty)."""
    if geom is None or geom.is_empty:
        return None
    return shapely.Point(shapely.get_coordinates(geom)[-1])


def list_feature(item: IncidentListItem, mode: str, url_prefix: str | None) -> dict[str, Any]:
    """One list item as a GeoJSON Feature, the same document as :func:`incident_feature`."""
    props: dict[str, Any] = dict(zip(LIST_FIELDS, item, strict=False))
    details = item.details_json
    props["details"] = {} if details is None or details in _EMPTY_DETAILS else orjson.Fragment(details)
    if url_prefix is not None:
        props["url"] = f"{url_prefix}{item.id}"
    return {
        "type": "Feature",
        "id": item.id,
        "geometry": _item_geometry(item, mode),
        "properties": props,
    }


def list_features_json(
    items: Sequence[IncidentListItem],
    *,
    mode: str = "track",
    base_url: str | None = None,
    next_cursor: str | None = None,
) -> bytes:
    """A page of incidents as the GeoJSON FeatureCollection of ``GET /api/incidents``."""
    if mode not in LIST_MODES:
        raise ValueError(f"geometry mode {mode!r} needs the stored geometry; use incident_feature")
    url_prefix = f"{base_url.rstrip('/')}/incidents/" if base_url else None
    doc = {
        "type": "FeatureCollection",
        "features": [list_feature(item, mode, url_prefix) for item in items],
        "count": len(items),
        "next_cursor": next_cursor,
    }
    return orjson.dumps(doc, option=ORJSON_OPTS)
