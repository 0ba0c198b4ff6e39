"""Incident rows (from ``Store.query_incidents``) to export formats.

Every format carries the same fields; geometry is the incident's track (a LineString, or
a Point for a single fix), WGS84 lon/lat.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape

import orjson
import shapely

FORMATS = ("table", "json", "geojson", "csv", "kml", "geoparquet")

FIELDS = (
    "id",
    "kind",
    "severity",
    "status",
    "subject_kind",
    "subject_id",
    "subject_label",
    "zone_id",
    "zone_version",
    "started_at",
    "last_seen_at",
    "ended_at",
    "lat",
    "lon",
    "summary",
)


def _iso(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    return value


def incident_properties(row: Any, *, base_url: str | None = None) -> dict[str, Any]:
    props = {f: _iso(getattr(row, f)) for f in FIELDS}
    props["details"] = row.details or {}
    if base_url:
        props["url"] = f"{base_url.rstrip('/')}/incidents/{row.id}"
    return props


def incident_feature(row: Any, *, base_url: str | None = None) -> dict[str, Any]:
    geom = row.geom
    if geom is None and row.lon is not None and row.lat is not None:
        geom = shapely.Point(row.lon, row.lat)
    return {
        "type": "Feature",
        "id": row.id,
        "geometry": None if geom is None else orjson.loads(shapely.to_geojson(geom)),
        "properties": incident_properties(row, base_url=base_url),
    }


def incidents_geojson(
    rows: Sequence[Any], *, next_cursor: str | None = None, base_url: str | None = None
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "type": "FeatureCollection",
        "features": [incident_feature(r, base_url=base_url) for r in rows],
    }
    if next_cursor is not None:
        doc["next_cursor"] = next_cursor
    return doc


def incidents_json(rows: Sequence[Any]) -> list[dict[str, Any]]:
    return [incident_properties(r) for r in rows]


def incidents_csv(rows: Sequence[Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*FIELDS, "wkt", "details"])
    for r in rows:
        geom = r.geom
        wkt = "" if geom is None else shapely.to_wkt(geom, rounding_precision=6)
        writer.writerow(
            [_iso(getattr(r, f)) for f in FIELDS]
            + [wkt, orjson.dumps(r.details or {}).decode()]
        )
    return out.getvalue()


def _kml_coords(geom: Any) -> str:
    return " ".join(f"{x:.6f},{y:.6f},0" for x, y in shapely.get_coordinates(geom).tolist())


def incidents_kml(rows: Sequence[Any], *, name: str = "Incidents") -> str:
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<kml xmlns="http://www.opengis.net/kml/2.2"><Document>',
        f"<name>{escape(name)}</name>",
    ]
    for r in rows:
        geom = r.geom
        if geom is None and r.lon is not None and r.lat is not None:
            geom = shapely.Point(r.lon, r.lat)
        data = "".join(
            f'<Data name="{escape(f)}"><value>{escape(str(_iso(getattr(r, f)) or ""))}</value></Data>'
            for f in FIELDS
        )
        title = f"{r.kind} {r.subject_label or r.subject_id or ''}".strip()
        placemark = [
            "<Placemark>",
            f"<name>{escape(title)}</name>",
            f"<description>{escape(r.summary or '')}</description>",
        ]
        if r.started_at is not None:
            end = r.ended_at or r.last_seen_at
            placemark.append(
                f"<TimeSpan><begin>{_iso(r.started_at)}</begin><end>{_iso(end)}</end></TimeSpan>"
            )
        placemark.append(f"<ExtendedData>{data}</ExtendedData>")
        if geom is not None:
            if geom.geom_type == "Point":
                placemark.append(f"<Point><coordinates>{_kml_coords(geom)}</coordinates></Point>")
            else:
                placemark.append(
                    f"<LineString><coordinates>{_kml_coords(geom)}</coordinates></LineString>"
                )
        placemark.append("</Placemark>")
        parts.append("".join(placemark))
    parts.append("</Document></kml>")
    return "\n".join(parts)


def write_geoparquet(rows: Sequence[Any], path: Any) -> None:
    """GeoParquet through geopandas (needs pyarrow; raises ImportError naming it if absent)."""
    import geopandas as gpd

    records = [incident_properties(r) for r in rows]
    for rec in records:
        rec["details"] = orjson.dumps(rec["details"]).decode()
    geoms = [
        r.geom if r.geom is not None else (shapely.Point(r.lon, r.lat) if r.lon is not None else None)
        for r in rows
    ]
    frame = gpd.GeoDataFrame(records, geometry=geoms, crs="EPSG:4326")
    frame.to_parquet(path)
