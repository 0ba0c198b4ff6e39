"""Incident exports shared by the API and the CLI: GeoJSON, JSON, CSV, KML, GeoParquet."""

from monitor.export.incidents import (
    FORMATS,
    incident_feature,
    incidents_csv,
    incidents_geojson,
    incidents_json,
    incidents_kml,
    write_geoparquet,
)

__all__ = [
    "FORMATS",
    "incident_feature",
    "incidents_csv",
    "incidents_geojson",
    "incidents_json",
    "incidents_kml",
    "write_geoparquet",
]
