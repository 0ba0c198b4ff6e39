"""Pick the reader for a zone file by its name: GeoJSON, KML or KMZ (pure: bytes in)."""

from __future__ import annotations

from monitor.errors import ZoneError
from monitor.zones.fields import ImportDefaults, ReadResult
from monitor.zones.geojson import read_geojson
from monitor.zones.kml import read_kml, read_kmz

SUFFIXES = (".geojson", ".json", ".kml", ".kmz")


def read_zone_bytes(
    data: bytes, *, filename: str, defaults: ImportDefaults | None = None
) -> ReadResult:
    """Read a zone file's bytes; the format comes from the name's suffix.

    Raises
    ------
    ZoneError
        For an unknown suffix, or any invalid content (see the readers).
    """
    name = filename.lower()
    if name.endswith((".geojson", ".json")):
        return read_geojson(data, defaults=defaults)
    if name.endswith(".kml"):
        return read_kml(data, defaults=defaults)
    if name.endswith(".kmz"):
        return read_kmz(data, defaults=defaults)
    raise ZoneError(f"{filename}: unknown zone file type (expected one of {', '.join(SUFFIXES)})")
