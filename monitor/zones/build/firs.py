"""FIR zones from the VAT-Spy boundaries in ``shared/reference/firs_caribbean.geojson``.

The reference data draws SKED (Bogota) around SKEC (Barranquilla) and KZMA (Miami) around
KZMA-OCN (Miami Oceanic); the shipped zones are made disjoint by cutting the inner one
out (Bogota FIR = SKED minus SKEC; Miami = KZMA minus KZMA-OCN, with KZMA-OCN its own
zone), so a position is in exactly one of them. Pure: parsed JSON in, versions out.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Any

from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from monitor.domain.incident import Severity
from monitor.domain.zone import AppliesTo, ZoneKind, ZoneStatus, ZoneVersion
from monitor.errors import ZoneError
from monitor.zones.geojson import snap
from monitor.zones.geometry import check_area

#: (ICAO id in the reference, id cut out of it, zone name)
FIR_SET: tuple[tuple[str, str | None, str], ...] = (
    ("SVZM", None, "Maiquetia FIR (Venezuela)"),
    ("TTZP", None, "Piarco FIR (Trinidad and Tobago)"),
    ("TTZO", None, "Piarco Oceanic FIR"),
    ("TNCF", None, "Curacao FIR"),
    ("SKEC", None, "Barranquilla FIR (Colombia)"),
    ("SKED", "SKEC", "Bogota FIR (Colombia), without Barranquilla"),
    ("SBAZ", None, "Amazonica FIR (Brazil)"),
    ("SYGC", None, "Georgetown FIR (Guyana)"),
    ("SMPM", None, "Paramaribo FIR (Suriname)"),
    ("SOOO", None, "Cayenne FIR (French Guiana)"),
    ("TJZS", None, "San Juan FIR (US)"),
    ("MDCS", None, "Santo Domingo FIR (Dominican Republic)"),
    ("MPZL", None, "Panama FIR"),
    ("KZMA", "KZMA-OCN", "Miami (domestic part, without Miami Oceanic)"),
    ("KZMA-OCN", None, "Miami Oceanic"),
)

AUTHORITY = "VATSIM VAT-Spy data (not the AIP)"
LICENSE_NOTE = "CC BY-SA 4.0; attribution: VATSIM VAT-Spy Client Data Update Project contributors"


def fir_geometries(doc: Mapping[str, Any]) -> dict[str, BaseGeometry]:
    """The shipped FIR areas by ICAO id, inner FIRs cut out, snapped to the 1e-6 grid."""
    raw: dict[str, BaseGeometry] = {}
    for index, feature in enumerate(doc.get("features", [])):
        icao = feature["properties"]["icao"]
        geom, _ = check_area(shape(feature["geometry"]), f"FIR feature {index} ({icao})")
        raw[icao] = geom
    out: dict[str, BaseGeometry] = {}
    for icao, minus, _ in FIR_SET:
        if icao not in raw:
            raise ZoneError(f"FIR {icao} is missing from the reference file")
        geom = raw[icao] if minus is None else raw[icao].difference(raw[minus])
        out[icao] = _as_area(snap(geom), icao)
    return out


def check_svzm_vertices(doc: Mapping[str, Any], csv_text: str) -> int:
    """Check that ``svzm_vertices.csv`` is the SVZM ring of the GeoJSON; return its length.

    Raises
    ------
    ZoneError
        When a vertex differs by more than 1e-9 degrees, or the counts differ.
    """
    feature = next(f for f in doc["features"] if f["properties"]["icao"] == "SVZM")
    ring = feature["geometry"]["coordinates"][0][0]
    rows = list(csv.DictReader(io.StringIO(csv_text)))
    if len(rows) != len(ring):
        raise ZoneError(f"svzm_vertices.csv has {len(rows)} rows, the GeoJSON ring {len(ring)}")
    for row, (lon, lat) in zip(rows, ring, strict=True):
        if abs(float(row["lon"]) - lon) > 1e-9 or abs(float(row["lat"]) - lat) > 1e-9:
            raise ZoneError(f"svzm_vertices.csv row {row['seq']} differs from the GeoJSON ring")
    return len(rows)


def fir_versions(
    doc: Mapping[str, Any], geometries: Mapping[str, BaseGeometry]
) -> list[ZoneVersion]:
    """One open-ended informational version per FIR (``FIR-SVZM``...)."""
    props = {f["properties"]["icao"]: f["properties"] for f in doc["features"]}
    versions = []
    for icao, minus, name in FIR_SET:
        p = props[icao]
        note = p.get("note", "")
        if minus:
            note = (note + " " if note else "") + f"{minus} cut out of this polygon."
        versions.append(
            ZoneVersion(
                zone_id=f"FIR-{icao}",
                version=1,
                name=name,
                kind=ZoneKind.FIR,
                status=ZoneStatus.INFORMATIONAL,
                severity=Severity.INFO,
                authority=AUTHORITY,
                source_ref=p.get("source", "vatsimnetwork/vatspy-data-project"),
                geometry=geometries[icao],
                applies_to=AppliesTo.AIRCRAFT,
                confidence=1.0,
                description=(
                    f"{p.get('description', name)} boundary from flight-simulation data "
                    "(VAT-Spy), close to but not the AIP. " + note
                ).strip(),
                group="fir",
            )
        )
    return versions


def _as_area(geom: BaseGeometry, icao: str) -> BaseGeometry:
    if geom.geom_type == "GeometryCollection":
        from shapely.geometry import MultiPolygon

        polys = [g for g in geom.geoms if g.geom_type == "Polygon"]
        geom = polys[0] if len(polys) == 1 else MultiPolygon(polys)
    checked, _ = check_area(geom, f"FIR {icao}")
    return checked
