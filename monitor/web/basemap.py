"""The offline base map: land polygons the project ships, and a graticule.

No tiles are fetched from the internet. Land comes from, in order: a GeoJSON file in the
geodata folder whose name contains ``land`` (Natural Earth land of Venezuela and its
neighbours); else the zone versions of kind ``land``; else nothing (the zones still give the
map its shape). An optional tile URL (``WebServices.tile_url``) adds a tile layer on top of
this, for deployments that may reach a tile server.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson
import shapely

from monitor.domain import ZoneKind, ZoneVersion
from monitor.web.geo import to_geojson

log = logging.getLogger(__name__)

#: simplification of land outlines for display, degrees (~500 m)
SIMPLIFY_DEG = 0.005


def find_land_file(geodata: Path | None) -> Path | None:
    if geodata is None or not geodata.is_dir():
        return None
    candidates = sorted(p for p in geodata.glob("*.geojson") if "land" in p.name.lower())
    return candidates[0] if candidates else None


def land_features(geodata: Path | None, zones: Sequence[ZoneVersion]) -> list[dict[str, Any]]:
    """Land polygons as GeoJSON features (``properties.name`` where the source has one)."""
    path = find_land_file(geodata)
    feats: list[dict[str, Any]] = []
    if path is not None:
        try:
            doc = orjson.loads(path.read_bytes())
        except (OSError, orjson.JSONDecodeError) as exc:
            log.warning("land file %s unreadable (%s); using zones of kind land", path, exc)
            doc = {"features": []}
        for f in doc.get("features", []):
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
    """Graticule and land as one FeatureCollection; each feature has an ``id``."""
    features = graticule() + land_features(geodata, zones)
    for i, f in enumerate(features):
        f["id"] = f"{f['properties']['layer']}-{i}"
    return {"type": "FeatureCollection", "features": features}
