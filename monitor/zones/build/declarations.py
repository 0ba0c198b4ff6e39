"""Hand-authored declarations (``geodata/declarations.yaml``) to zone versions.

Each entry carries the feature properties of :mod:`monitor.zones.fields` plus a
``geometry`` recipe (a FIR, a FIR clipped at a meridian, a polygon, a geodesic circle), an
optional ``minus_land``, and an optional ``record``: the rows of the cited crisis record
(``shared/reference/crisis/airspace_events.csv``, keyed by ``date_utc`` and ``actor``)
the version rests on. The first row's ``source_url`` becomes the version's, the others'
join ``more_sources``. The file format is described at the top of the YAML file.
Pure: the parsed YAML, the record's rows and the reference geometry in, versions out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from pyproj import Geod
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

from monitor.domain.zone import ZoneVersion
from monitor.errors import ZoneError
from monitor.units import M_PER_NM
from monitor.zones.fields import version_from_properties
from monitor.zones.geojson import snap
from monitor.zones.geometry import area_from_rings, check_area

_GEOD = Geod(ellps="WGS84")
CIRCLE_POINTS = 120


@dataclass(frozen=True, slots=True)
class DeclaredFile:
    """One output file of the declarations: its collection members and versions."""

    name: str
    meta: dict[str, Any]
    versions: list[ZoneVersion]


RecordKey = tuple[str, str]


def record_index(rows: Iterable[Mapping[str, str]]) -> dict[RecordKey, Mapping[str, str]]:
    """The crisis record's rows by ``(date_utc, actor)``; a repeated key is refused."""
    out: dict[RecordKey, Mapping[str, str]] = {}
    for row in rows:
        key = (row["date_utc"].strip(), row["actor"].strip())
        if key in out:
            raise ZoneError(f"crisis record: two rows for {key[0]} {key[1]!r}")
        out[key] = row
    return out


def record_keys(value: Any, label: str) -> list[RecordKey]:
    """An entry's ``record``: a list of ``[date_utc, actor]`` pairs."""
    if not isinstance(value, list) or not value:
        raise ZoneError(f"{label}: record must be a list of [date_utc, actor] pairs")
    keys = []
    for item in value:
        if not isinstance(item, list | tuple) or len(item) != 2:
            raise ZoneError(f"{label}: record item {item!r} is not a [date_utc, actor] pair")
        keys.append((str(item[0]).strip(), str(item[1]).strip()))
    return keys


def _with_record(
    props: dict[str, Any], record: Mapping[RecordKey, Mapping[str, str]], label: str
) -> dict[str, Any]:
    keys = record_keys(props.pop("record"), label)
    urls: list[str] = []
    for key in keys:
        row = record.get(key)
        if row is None:
            raise ZoneError(f"{label}: record {list(key)} is not a row of the crisis record")
        url = row["source_url"].strip()
        if url and url not in urls:
            urls.append(url)
    extra = [u for u in props.get("more_sources") or [] if u not in urls]
    props.setdefault("source_url", urls[0] if urls else None)
    props["more_sources"] = [u for u in urls if u != props["source_url"]] + extra
    return props


def declared_files(
    doc: Mapping[str, Any],
    *,
    firs: Mapping[str, BaseGeometry],
    land: BaseGeometry,
    record: Mapping[RecordKey, Mapping[str, str]] | None = None,
) -> list[DeclaredFile]:
    """Build the versions of every file listed in the declarations document.

    Raises
    ------
    ZoneError
        Naming the file and entry (index and zone id) at fault, or a ``record`` row that
        the crisis record does not hold.
    """
    files = doc.get("files")
    if not isinstance(files, Mapping) or not files:
        raise ZoneError("declarations: no 'files' mapping")
    out: list[DeclaredFile] = []
    for file_name, spec in files.items():
        versions = []
        for index, entry in enumerate(spec.get("zones") or []):
            label = f"declarations {file_name} entry {index} (id {entry.get('zone_id')!r})"
            geom = _geometry(entry.get("geometry"), firs, label)
            if entry.get("minus_land"):
                geom = geom.difference(land)
            geom, _ = check_area(snap(geom), label)
            props = {k: v for k, v in entry.items() if k not in ("geometry", "minus_land")}
            if "record" in props:
                props = _with_record(props, record or {}, label)
            versions.append(version_from_properties(props, geom, label=label))
        out.append(
            DeclaredFile(name=str(file_name), meta=dict(spec.get("meta") or {}), versions=versions)
        )
    return out


def _geometry(recipe: Any, firs: Mapping[str, BaseGeometry], label: str) -> BaseGeometry:
    if not isinstance(recipe, Mapping):
        raise ZoneError(f"{label}: geometry {recipe!r:.60} is not a recipe mapping")
    if "fir" in recipe:
        icao = str(recipe["fir"])
        if icao not in firs:
            raise ZoneError(f"{label}: unknown FIR {icao!r} (one of: {', '.join(sorted(firs))})")
        geom = firs[icao]
        if "west_of_lon" in recipe:
            lon = float(recipe["west_of_lon"])
            minx, miny, _, maxy = geom.bounds
            clipped = geom.intersection(shapely.box(min(minx, lon) - 1, miny - 1, lon, maxy + 1))
            if clipped.equals(geom):
                return geom
            return clipped
        return geom
    if "polygon" in recipe:
        ring = [tuple(float(c) for c in pos) for pos in recipe["polygon"]]
        if ring and ring[0] != ring[-1]:
            ring.append(ring[0])
        geom, _ = area_from_rings([(ring, [])], label)
        return geom
    if "circle" in recipe:
        c = recipe["circle"]
        lon, lat = (float(v) for v in c["from"])
        if "distance_nm" in c:
            lon, lat, _ = _GEOD.fwd(
                lon, lat, float(c["bearing_deg"]), float(c["distance_nm"]) * M_PER_NM
            )
        az = np.linspace(0.0, 360.0, CIRCLE_POINTS, endpoint=False)
        r = np.full(az.shape, float(c["radius_nm"]) * M_PER_NM)
        xs, ys, _ = _GEOD.fwd(np.full(az.shape, lon), np.full(az.shape, lat), az, r)
        return Polygon(list(zip(xs, ys, strict=True)))
    raise ZoneError(f"{label}: geometry recipe needs one of fir, polygon, circle")
