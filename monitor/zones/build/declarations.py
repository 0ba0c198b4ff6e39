"""Hand-authored declarations (``geodata/declarations.yaml``) to zone versions.

Each entry carries the feature properties of :mod:`monitor.zones.fields` plus a
``geometry`` recipe (a FIR, a FIR clipped at a meridian, a polygon, a geodesic circle) and
an optional ``minus_land``. The file format is described at the top of the YAML file.
Pure: the parsed YAML and the reference geometry in, versions out.
"""

from __future__ import annotations

from collections.abc import Mapping
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


def declared_files(
    doc: Mapping[str, Any],
    *,
    firs: Mapping[str, BaseGeometry],
    land: BaseGeometry,
) -> list[DeclaredFile]:
    """Build the versions of every file listed in the declarations document.

    Raises
    ------
    ZoneError
        Naming the file and entry (index and zone id) at fault.
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
