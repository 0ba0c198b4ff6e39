"""The offline base map: the countries of the region, a graticule, and place names.

No tiles are fetched from the internet. Land comes from, in order:

1. ``geodata/basemap/countries_region.geojson``: every country of the Caribbean and
   northern South America from Natural Earth 1:10m, built and simplified by
   ``python -m monitor.web.basemap_build`` (see ``geodata/SOURCES.md``), served as it is;
2. else a GeoJSON file in the geodata folder whose name contains ``land``;
3. else the zone versions of kind ``land``; else nothing (the zones still give the map
   its shape).

Place names (countries, capitals, airports) are ``geodata/basemap/labels_region.geojson``,
served apart from the land (``LABELS_URL``) because only the pages that know how to draw
them as text ask for them. An optional tile URL (``WebServices.tile_url``) adds a tile layer
on top of this, for deployments that may reach a tile server.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson
import shapely

from monitor.domain import ZoneKind, ZoneVersion
from monitor.web.assets import STATIC_URL
from monitor.web.geo import to_geojson

log = logging.getLogger(__name__)

#: simplification of land outlines for display, degrees (~500 m); the built countries file
#: is simplified already and is not simplified again
SIMPLIFY_DEG = 0.005

#: the built base map, a sub-folder of the geodata folder
BASEMAP_DIR = "basemap"
COUNTRIES_FILE = "countries_region.geojson"
LABELS_FILE = "labels_region.geojson"
#: where the pages fetch the place names
LABELS_URL = f"{STATIC_URL}/basemap/labels.geojson"


def find_land_file(geodata: Path | None) -> Path | None:
    if geodata is None or not geodata.is_dir():
        return None
    candidates = sorted(p for p in geodata.glob("*.geojson") if "land" in p.name.lower())
    return candidates[0] if candidates else None


def _read_features(path: Path) -> list[dict[str, Any]] | None:
    """The features of a GeoJSON file, or None (logged) when it cannot be read."""
    try:
        doc = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        log.warning("base map file %s unreadable (%s)", path, exc)
        return None
    features = doc.get("features") if isinstance(doc, dict) else None
    if not isinstance(features, list):
        log.warning("base map file %s is not a FeatureCollection", path)
        return None
    return features


def built_countries(geodata: Path | None) -> tuple[list[dict[str, Any]], list[float] | None]:
    """The built countries (``layer`` ``land``, ``name``) and the region they cover
    (``[west, south, east, north]``); ``([], None)`` when the file is absent."""
    path = None if geodata is None else geodata / BASEMAP_DIR / COUNTRIES_FILE
    if path is None or not path.is_file():
        return [], None
    try:
        doc = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        log.warning("base map file %s unreadable (%s)", path, exc)
        return [], None
    feats = []
    for f in doc.get("features") or []:
        geom = f.get("geometry") or {}
        props = f.get("properties") or {}
        if geom.get("type") not in ("Polygon", "MultiPolygon") or props.get("layer") != "land":
            continue
        feats.append({"type": "Feature", "geometry": geom,
                      "properties": {"name": str(props.get("name") or ""), "layer": "land"}})
    bbox = doc.get("bbox")
    return feats, (bbox if isinstance(bbox, list) and len(bbox) == 4 else None)


def outside(bbox: Sequence[float]) -> dict[str, Any]:
    """The world outside the base map's region, as a polygon with the region as its hole:
    shaded, so that where the drawn land stops reads as the edge of the map, not a coast."""
    west, south, east, north = (float(v) for v in bbox)
    world = [[-180.0, -85.0], [180.0, -85.0], [180.0, 85.0], [-180.0, 85.0], [-180.0, -85.0]]
    hole = [[west, south], [west, north], [east, north], [east, south], [west, south]]
    return {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [world, hole]},
            "properties": {"layer": "outside"}}


def land_features(geodata: Path | None, zones: Sequence[ZoneVersion]) -> list[dict[str, Any]]:
    """Land polygons as GeoJSON features (``properties.name`` where the source has one)."""
    feats, _ = built_countries(geodata)
    if feats:
        return feats
    path = find_land_file(geodata)
    if path is not None:
        for f in _read_features(path) or []:
            geom_doc = f.get("geometry")
            if not geom_doc or geom_doc.get("type") not in ("Polygon", "MultiPolygon"):
                continue
            geom = shapely.from_geojson(orjson.dumps(geom_doc))
            props = f.get("properties") or {}
            name = props.get("name") or props.get("NAME") or props.get("ADMIN") or ""
            feats.append(_land(geom, str(name)))
        if feats:
            return feats
    for v in zones:
        if v.kind is ZoneKind.LAND and v.geometry is not None:
            feats.append(_land(v.geometry, v.name))
    return feats


def _land(geom: Any, name: str) -> dict[str, Any]:
    simple = shapely.simplify(geom, SIMPLIFY_DEG, preserve_topology=True)
    return {"type": "Feature", "geometry": to_geojson(simple), "properties": {"name": name, "layer": "land"}}


def graticule(step_deg: float = 5.0) -> list[dict[str, Any]]:
    """Meridians and parallels every ``step_deg`` over the Caribbean and northern S. America."""
    lines = []
    lon = -100.0
    while lon <= -40.0:
        lines.append([[lon, -20.0], [lon, 35.0]])
        lon += step_deg
    lat = -20.0
    while lat <= 35.0:
        lines.append([[-100.0, lat], [-40.0, lat]])
        lat += step_deg
    return [
        {
            "type": "Feature",
            "geometry": {"type": "MultiLineString", "coordinates": lines},
            "properties": {"layer": "graticule"},
        }
    ]


def basemap_geojson(geodata: Path | None, zones: Sequence[ZoneVersion]) -> dict[str, Any]:
    """Graticule, land (and, with the built countries, the shaded world outside their
    region) as one FeatureCollection, in drawing order; each feature has an ``id``."""
    countries, bbox = built_countries(geodata)
    if countries:
        features = graticule() + ([outside(bbox)] if bbox else []) + countries
    else:
        features = graticule() + land_features(geodata, zones)
    for i, f in enumerate(features):
        f["id"] = f"{f['properties']['layer']}-{i}"
    return {"type": "FeatureCollection", "features": features}


def labels_geojson(geodata: Path | None) -> dict[str, Any]:
    """Place names as Point features (``layer`` ``label``; ``kind`` country / capital /
    airport, ``text``, ``minzoom``), each with an ``id``; empty when the file is absent."""
    features: list[dict[str, Any]] = []
    path = None if geodata is None else geodata / BASEMAP_DIR / LABELS_FILE
    if path is not None and path.is_file():
        for f in _read_features(path) or []:
            geom = f.get("geometry") or {}
            props = f.get("properties") or {}
            if geom.get("type") != "Point" or not props.get("text"):
                continue
            features.append({"type": "Feature", "geometry": geom, "properties": props})
    for i, f in enumerate(features):
        f["id"] = f"label-{i}"
    return {"type": "FeatureCollection", "features": features}
