"""GeoJSON zone files: read into :class:`ZoneVersion` values, and write them back.

Reading accepts a FeatureCollection, a single Feature, or text of either. Each feature is
one zone version; its properties are mapped by :mod:`monitor.zones.fields`, its geometry
checked by :mod:`monitor.zones.geometry`. Writing is deterministic (same versions, same
bytes) so the shipped ``geodata/`` files can be compared with a fresh build.

Pure: text or parsed JSON in, values out.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry

from monitor.domain.zone import ZoneVersion
from monitor.errors import ZoneError
from monitor.zones.fields import (
    ImportDefaults,
    ReadResult,
    feature_label,
    properties_from_version,
    version_from_properties,
)
from monitor.zones.geometry import area_from_geojson

#: coordinates are written on a 1e-6 degree grid (about 0.1 m)
GRID_SIZE_DEG = 1e-6


def read_geojson(
    data: str | bytes | Mapping[str, Any], *, defaults: ImportDefaults | None = None
) -> ReadResult:
    """Read zone versions from GeoJSON.

    Parameters
    ----------
    data:
        GeoJSON text, or the parsed object.
    defaults:
        Kind, authority... for features whose properties do not say.

    Raises
    ------
    ZoneError
        When the text is not GeoJSON, or a feature is invalid (named by index, id and name).
    """
    doc = _load(data)
    features = _features(doc)
    if not features:
        raise ZoneError("the GeoJSON has no features")
    versions: list[ZoneVersion] = []
    warnings: list[str] = []
    for index, feature in enumerate(features):
        if not isinstance(feature, Mapping) or feature.get("type") != "Feature":
            raise ZoneError(f"{feature_label(index)}: not a GeoJSON Feature: {feature!r:.80}")
        props = feature.get("properties") or {}
        if not isinstance(props, Mapping):
            raise ZoneError(f"{feature_label(index)}: properties {props!r:.60} are not an object")
        label = feature_label(index, props.get("zone_id") or feature.get("id"), props.get("name"))
        geom, notes = area_from_geojson(feature.get("geometry"), label)
        warnings.extend(notes)
        versions.append(
            version_from_properties(
                props, geom, label=label, feature_id=feature.get("id"), defaults=defaults
            )
        )
    return ReadResult(versions=versions, warnings=warnings)


def geometry_to_geojson(geom: BaseGeometry) -> dict[str, Any]:
    """A Polygon / MultiPolygon as a GeoJSON geometry on the 1e-6 degree grid."""
    if geom.geom_type == "Polygon":
        return {"type": "Polygon", "coordinates": _polygon_coords(geom)}
    if geom.geom_type == "MultiPolygon":
        return {
            "type": "MultiPolygon",
            "coordinates": [_polygon_coords(part) for part in geom.geoms],
        }
    raise ValueError(f"geometry type {geom.geom_type} is not an area")


def snap(geom: BaseGeometry) -> BaseGeometry:
    """Snap to the written 1e-6 degree grid, keeping the geometry valid."""
    return shapely.set_precision(geom, GRID_SIZE_DEG)


def feature_of(v: ZoneVersion, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """One version as a GeoJSON Feature (``extra`` properties are appended, e.g. a licence)."""
    props = properties_from_version(v)
    if extra:
        props.update(extra)
    return {
        "type": "Feature",
        "id": v.key,
        "properties": props,
        "geometry": geometry_to_geojson(v.geometry),
    }


def dump_geojson(
    versions: Sequence[ZoneVersion],
    *,
    meta: Mapping[str, Any] | None = None,
    extra: Mapping[str, Mapping[str, Any]] | None = None,
) -> str:
    """Deterministic FeatureCollection text, one feature per line.

    Parameters
    ----------
    versions:
        The versions, written in this order.
    meta:
        Foreign members of the collection (``name``, ``license``, ``attribution``...).
    extra:
        Extra properties per version key (``SVZM@v1``), written after the zone fields.
    """
    head = {"type": "FeatureCollection", **(meta or {})}
    head_text = json.dumps(head, ensure_ascii=False, sort_keys=False)
    lines = [
        json.dumps(
            feature_of(v, (extra or {}).get(v.key)),
            ensure_ascii=False,
            separators=(",", ":"),
            allow_nan=False,
        )
        for v in versions
    ]
    return head_text[:-1] + ',\n"features":[\n' + ",\n".join(lines) + "\n]}\n"


def _polygon_coords(poly: Any) -> list[list[list[float]]]:
    rings = [poly.exterior, *poly.interiors]
    return [[[_num(x), _num(y)] for x, y in ring.coords] for ring in rings]


def _num(value: float) -> float:
    return round(float(value), 6) + 0.0


def _load(data: str | bytes | Mapping[str, Any]) -> Any:
    if isinstance(data, Mapping):
        return data
    if not isinstance(data, str | bytes | bytearray):
        raise ZoneError(f"not GeoJSON: expected text or an object, got {type(data).__name__}")
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ZoneError(f"not GeoJSON: {exc}") from None


def _features(doc: Any) -> list[Any]:
    if not isinstance(doc, Mapping):
        raise ZoneError(f"not a GeoJSON object: {doc!r:.60}")
    kind = doc.get("type")
    if kind == "FeatureCollection":
        features = doc.get("features")
        if not isinstance(features, list):
            raise ZoneError("FeatureCollection has no 'features' list")
        return features
    if kind == "Feature":
        return [doc]
    raise ZoneError(
        f"GeoJSON type {kind!r} is not a FeatureCollection or Feature "
        "(a bare geometry has no zone id: wrap it in a Feature with properties)"
    )
