"""Build the shipped zone files in ``geodata/`` from ``shared/reference`` and the declarations.

Run ``python -m monitor.zones.build --reference ../shared/reference --out geodata``.
The output is deterministic: the same inputs give the same bytes, which
``tests/zones/test_geodata_build.py`` checks against the committed files.

This is project tooling, an edge: :func:`build` reads and writes files; the pieces it
calls (:mod:`.firs`, :mod:`.coast`, :mod:`.declarations`) are pure.
"""

from __future__ import annotations

import csv
import json
import logging
from pathlib import Path

import shapely
import yaml

from monitor.domain.incident import Severity
from monitor.domain.zone import AppliesTo, ZoneKind, ZoneStatus, ZoneVersion
from monitor.zones.build.coast import region_land, territorial_sea, venezuela_land
from monitor.zones.build.declarations import declared_files, record_index
from monitor.zones.build.firs import (
    LICENSE_NOTE,
    check_svzm_vertices,
    fir_geometries,
    fir_versions,
)
from monitor.zones.geojson import dump_geojson

log = logging.getLogger(__name__)

FIR_META = {
    "name": "FIR boundaries used by the monitor (Maiquetia and the FIRs that reroutes use)",
    "license": "CC BY-SA 4.0",
    "attribution": (
        "VATSIM VAT-Spy Client Data Update Project contributors "
        "(vatsimnetwork/vatspy-data-project Boundaries.geojson @ 9f8d09cb, 2026-08-07)"
    ),
    "caveat": (
        "Flight-simulation boundaries, not the AIP (ENR 2.1): close to but not guaranteed "
        "identical to the ICAO FIR limits. SKED has SKEC cut out; KZMA has KZMA-OCN cut out."
    ),
    "generated_by": "python -m monitor.zones.build (from shared/reference/firs_caribbean.geojson)",
}

VENEZUELA_META = {
    "name": "Venezuela: land (Natural Earth) and an approximate 12 nm territorial sea",
    "license": "Public domain (Natural Earth); the territorial-sea band is derived from it",
    "caveat": (
        "Land is Natural Earth 1:50m (plus Bird Island at 1:10m). The territorial sea is an "
        "approximation: a geodesic 12 nm buffer of that coastline built with pyproj, cut at "
        "equidistance lines with neighbouring coasts; it is not a UNCLOS delimitation."
    ),
    "generated_by": "python -m monitor.zones.build (from shared/reference/venezuela_land_naturalearth.geojson)",
}

NE_SOURCE = (
    "Natural Earth v4 1:50m admin-0 countries (VEN) + 1:10m disputed areas (Bird Island), "
    "via martynafford/natural-earth-geojson@0b9a6ceb"
)


def build(reference: Path, out: Path, declarations: Path | None = None) -> list[Path]:
    """Build every shipped zone file into ``out``; return the paths written.

    Parameters
    ----------
    reference:
        The ``shared/reference`` folder.
    out:
        Where to write (``geodata/``).
    declarations:
        The hand-authored YAML; default ``out/declarations.yaml``.
    """
    declarations = declarations or out / "declarations.yaml"
    fir_doc = json.loads((reference / "firs_caribbean.geojson").read_text(encoding="utf-8"))
    n = check_svzm_vertices(fir_doc, (reference / "svzm_vertices.csv").read_text(encoding="utf-8"))
    log.info("svzm_vertices.csv matches the SVZM ring of firs_caribbean.geojson (%s rows)", n)
    firs = fir_geometries(fir_doc)
    ne_doc = json.loads(
        (reference / "venezuela_land_naturalearth.geojson").read_text(encoding="utf-8")
    )
    land = venezuela_land(ne_doc)
    neighbours = {iso: g for iso, g in region_land(ne_doc).items() if iso != "VEN"}
    sea = territorial_sea(land, neighbours)
    decl = yaml.safe_load(declarations.read_text(encoding="utf-8"))
    record = load_record(reference)
    all_land = shapely.union_all([land, *neighbours.values()])

    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def write(name: str, versions: list[ZoneVersion], meta: dict[str, object], extra=None) -> None:
        path = out / name
        path.write_text(dump_geojson(versions, meta=meta, extra=extra), encoding="utf-8")
        written.append(path)
        log.info("wrote %s: %s zone versions, %s bytes", path, len(versions), path.stat().st_size)

    fir_list = fir_versions(fir_doc, firs)
    write("firs.geojson", fir_list, FIR_META, {v.key: {"license": LICENSE_NOTE} for v in fir_list})
    for declared in declared_files(decl, firs=firs, land=all_land, record=record):
        write(declared.name, declared.versions, declared.meta)
    write("venezuela.geojson", venezuela_versions(land, sea), VENEZUELA_META)
    return written


def load_record(reference: Path) -> dict[tuple[str, str], dict[str, str]]:
    """The crisis record's airspace rows (``crisis/airspace_events.csv``) by date and actor."""
    path = reference / "crisis" / "airspace_events.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        return dict(record_index(csv.DictReader(fh)))


def venezuela_versions(land: object, sea: object) -> list[ZoneVersion]:
    """The land and territorial-sea zones of Venezuela."""
    return [
        ZoneVersion(
            zone_id="LAND-VEN",
            version=1,
            name="Venezuela (land)",
            kind=ZoneKind.LAND,
            status=ZoneStatus.INFORMATIONAL,
            severity=Severity.INFO,
            authority="Natural Earth (public domain)",
            source_ref=NE_SOURCE,
            geometry=land,
            applies_to=AppliesTo.BOTH,
            confidence=0.9,
            description=(
                "Venezuela's land at 1:50m (coastline within about 1 km) plus Bird Island "
                "(Isla de Aves). The Essequibo area claimed by Venezuela is not included."
            ),
            group="venezuela",
        ),
        ZoneVersion(
            zone_id="TERRSEA-VEN",
            version=1,
            name="Venezuela territorial sea (12 nm, approximate)",
            kind=ZoneKind.TERRITORIAL_SEA,
            status=ZoneStatus.INFORMATIONAL,
            severity=Severity.INFO,
            authority="project approximation (not a UNCLOS delimitation)",
            source_ref="geodesic 12 nm buffer (pyproj Geod, WGS84) of " + NE_SOURCE,
            geometry=sea,
            applies_to=AppliesTo.BOTH,
            confidence=0.6,
            description=(
                "Approximation: sea within 12 nm (geodesic) of Venezuela's Natural Earth "
                "coastline, cut at equidistance lines with Trinidad and Tobago, Aruba, "
                "Curacao, Colombia and Guyana; outline simplified at about 55 m. Not an "
                "official delimitation (Bonaire and the disputed maritime limits are not "
                "modelled)."
            ),
            group="venezuela",
        ),
    ]
