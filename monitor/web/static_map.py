"""``monitor map --out file.html``: a self-contained static map of zones and incidents.

Everything is inlined (Leaflet, its CSS, the monitor's map script, the data), so the file
opens offline wherever it is sent. Built with folium like the live map, and styled by the
same ``MonitorMap`` functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import folium
from branca.element import Element

from monitor.domain import ZoneKind, ZoneVersion
from monitor.timeutil import utcnow
from monitor.web.assets import assert_offline, inline_assets
from monitor.web.basemap import basemap_geojson
from monitor.web.geo import incident_feature
from monitor.web.pages.common import GeoJsonLayer, Script, esc, new_map
from monitor.web.zone_view import ZoneGeometryCache, in_force, zone_feature

JS = folium.JsCode


def _default_geodata() -> Any:
    try:
        from monitor.zones.bundled import geodata_dir

        return geodata_dir()
    except ImportError:
        return None


def _bounds(rows: Sequence[Any], zones: Sequence[ZoneVersion]) -> list[list[float]] | None:
    boxes = [r.geom.bounds for r in rows if r.geom is not None and not r.geom.is_empty]
    if not boxes:
        boxes = [v.geometry.bounds for v in zones if v.kind is not ZoneKind.FIR and v.geometry is not None]
    if not boxes:
        return None
    pad = 0.5
    return [
        [min(b[1] for b in boxes) - pad, min(b[0] for b in boxes) - pad],
        [max(b[3] for b in boxes) + pad, max(b[2] for b in boxes) + pad],
    ]


def build_static_map(
    zones: Sequence[ZoneVersion],
    rows: Sequence[Any],
    *,
    at: datetime | None,
    title: str = "Incidents",
    geodata_dir: Any = None,
) -> str:
    """Self-contained HTML: the zones in force at ``at`` and the incident ``rows``.

    Parameters
    ----------
    zones:
        Every zone version known (the ones in force at ``at`` are drawn).
    rows:
        Incident rows from ``Store.query_incidents``.
    at:
        When the zones are evaluated; default the latest ``last_seen_at`` of the rows,
        else now.
    """
    if at is None:
        at = max((r.last_seen_at for r in rows), default=None) or utcnow()
    m, fig = new_map(
        "page-static", f"{title} · Caribbean monitor", bounds=_bounds(rows, zones),
        config_options={"incidentLinks": False},
    )
    stamp = at.isoformat().replace("+00:00", "Z")
    fig.html.add_child(
        Element(
            f'<header class="topbar"><span class="title">{esc(title)}</span>'
            f"<span>{len(rows)} incident(s) · zones in force at {esc(stamp)}</span>"
            f'<span class="spacer"></span><span class="clock">generated {esc(utcnow().strftime("%Y-%m-%d %H:%MZ"))}</span></header>'
        ),
        name="topbar",
    )
    base = basemap_geojson(geodata_dir if geodata_dir is not None else _default_geodata(), zones)
    GeoJsonLayer(base, "Land", style=JS("MonitorMap.basemapStyle"), pane="basemap", interactive=False).add_to(m)
    cache = ZoneGeometryCache()
    zone_doc = {"type": "FeatureCollection",
                "features": [zone_feature(r, at, cache) for r in in_force(zones, at)
                             if r[0].kind is not ZoneKind.LAND]}
    GeoJsonLayer(zone_doc, "Zones in force", style=JS("MonitorMap.zoneStyle"),
                 on_each_feature=JS("MonitorMap.popup(MonitorMap.zonePopup)")).add_to(m)
    cells = {"type": "FeatureCollection",
             "features": [f for f in (incident_feature(r, mode="cell") for r in rows
                                      if r.kind == "gnss_interference") if f["geometry"]]}
    if cells["features"]:
        GeoJsonLayer(cells, "GNSS interference", style=JS("MonitorMap.gnssStyle"),
                     on_each_feature=JS("MonitorMap.popup(MonitorMap.incidentPopup)")).add_to(m)
    tracks = {"type": "FeatureCollection",
              "features": [f for f in (incident_feature(r) for r in rows)
                           if f["geometry"] and f["geometry"]["type"] != "Point"]}
    GeoJsonLayer(tracks, "Incident tracks", style=JS("MonitorMap.incidentStyle"),
                 on_each_feature=JS("MonitorMap.popup(MonitorMap.incidentPopup)")).add_to(m)
    points = {"type": "FeatureCollection",
              "features": [f for f in (incident_feature(r, mode="position") for r in rows) if f["geometry"]]}
    GeoJsonLayer(points, "Incidents", point_to_layer=JS("MonitorMap.incidentMarker"),
                 style=JS("MonitorMap.incidentStyle"),
                 on_each_feature=JS("MonitorMap.popup(MonitorMap.incidentPopup)")).add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    m.add_child(Script("MonitorMap.legend({{ map }}, {live: false});"))
    html = fig.render().replace("<body>", '<body class="page page-static">', 1)
    assert_offline(html)
    return inline_assets(html)
