"""The live map at ``/``: zones, aircraft, vessels, open incidents, GNSS cells and tracks,
each a Leaflet.Realtime layer polling the API, with a legend and a feed-status strip."""

from __future__ import annotations

import json

import folium
from branca.element import Element

from monitor.web.pages.common import Script, basemap_layers, finish, new_map, realtime, topbar
from monitor.web.pages.status import RULES_LINE

#: poll intervals (ms): positions fast, incidents often, areas rarely
LIVE_MS = 5_000
INCIDENTS_MS = 5_000
AREAS_MS = 15_000
ZONES_MS = 60_000
BASEMAP_MS = 3_600_000

JS = folium.JsCode

REWIND_INCLUDES = (
    '<link rel="stylesheet" href="/static/rewind.css"><script src="/static/rewind.js"></script>'
)


def live_page(*, banner: str | None, tile_url: str | None = None, tile_attribution: str = "") -> str:
    """The HTML of the live map (static: everything moving is fetched by the browser)."""
    m, fig = new_map(
        "page-live", "Live map · Caribbean monitor", tile_url=tile_url, tile_attribution=tile_attribution
    )
    fig.html.add_child(Element(topbar("live", banner)), name="topbar")
    fig.html.add_child(
        Element(
            '<footer class="statusbar" id="status-strip"><span class="counts" id="status-counts">'
            'loading…</span><span id="status-feeds"></span></footer>'
        ),
        name="statusbar",
    )
    fig.html.add_child(Element(RULES_LINE), name="rules_line")  # "Rules in force: none binding"
    land, names = basemap_layers(BASEMAP_MS)
    layers = {
        "basemap": land,
        "labels": names,
        "zones": realtime(
            "/api/zones", "Zones in force", interval_ms=ZONES_MS,
            style=JS("MonitorMap.zoneStyle"), on_each_feature=JS("MonitorMap.popup(MonitorMap.zonePopup)"),
        ),
        "gnss": realtime(
            "/api/incidents?kind=gnss_interference&status=open&geometry=cell&limit=1000",
            "GNSS interference", interval_ms=AREAS_MS,
            style=JS("MonitorMap.gnssStyle"), on_each_feature=JS("MonitorMap.popup(MonitorMap.incidentPopup)"),
        ),
        "tracks": realtime(
            "/api/live/tracks", "Recent tracks (open incidents)", interval_ms=AREAS_MS,
            style=JS("MonitorMap.trackStyle"), on_each_feature=JS("MonitorMap.popup(MonitorMap.trackPopup)"),
        ),
        "vessels": realtime(
            JS("MonitorMap.liveSource('/api/live/vessels')"), "Vessels", interval_ms=LIVE_MS,
            remove_missing=False, point_to_layer=JS("MonitorMap.vesselMarker"),
            update_feature=JS("MonitorMap.updatePoint"), style=JS("MonitorMap.vesselStyle"),
            on_each_feature=JS("MonitorMap.popup(MonitorMap.vesselPopup)"),
        ),
        "aircraft": realtime(
            JS("MonitorMap.liveSource('/api/live/aircraft')"), "Aircraft", interval_ms=LIVE_MS,
            remove_missing=False, point_to_layer=JS("MonitorMap.aircraftMarker"),
            update_feature=JS("MonitorMap.updatePoint"), style=JS("MonitorMap.aircraftStyle"),
            on_each_feature=JS("MonitorMap.popup(MonitorMap.aircraftPopup)"),
        ),
        "incidents": realtime(
            "/api/incidents?status=open&geometry=position&limit=1000", "Open incidents",
            interval_ms=INCIDENTS_MS, point_to_layer=JS("MonitorMap.incidentMarker"),
            style=JS("MonitorMap.incidentStyle"), on_each_feature=JS("MonitorMap.popup(MonitorMap.incidentPopup)"),
        ),
    }
    for layer in layers.values():
        layer.add_to(m)
    folium.LayerControl(collapsed=False, position="topright").add_to(m)
    names = ", ".join(f"{json.dumps(k)}: {v.get_name()}" for k, v in layers.items())
    m.add_child(Script("MonitorMap.initLive({{ map }}, {layers: {" + names + "}});"))
    # the time control (rewind.js: reads MonitorMap.map / .layers after initLive)
    fig.header.add_child(Element(REWIND_INCLUDES), name="rewind")
    return finish(fig, allow_remote=_tile_host(tile_url))


def _tile_host(tile_url: str | None) -> tuple[str, ...]:
    if not tile_url:
        return ()
    return (tile_url.split("{", 1)[0],)

