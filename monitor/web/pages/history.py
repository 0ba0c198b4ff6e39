"""``/history``: incidents over a chosen time range on a map with a time slider, filters by
kind, zone, severity and subject, the cited crisis record of the range on a timeline, and
the SVZM traffic chart (``static/history.js``). Without a range in the address the page
opens on the stored incidents' first..last time."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta

import folium
from branca.element import Element

from monitor.web.assets import HISTORY_JS, STATIC_URL
from monitor.web.pages.common import Script, basemap_layers, esc, finish, new_map, topbar
from monitor.web.params import KINDS, SEVERITIES

#: the range the form shows before the page asks ``/api/history/extent`` for the stored
#: incidents' first and last times (history.js then opens on those, unless the address
#: names a range)
DEFAULT_WINDOW = timedelta(hours=24)

#: under the crisis-record timeline (the record's attribution)
EVENTS_NOTE = (
    "Airspace actions and boat strikes of the 2025-26 crisis, compiled from the public news "
    "pages cited per row; strikes carry no coordinates (none were released)."
)
#: the crisis-record timeline (history.js draws it)
TIMELINE_CSS = """
.event-timeline svg { width: 100%; height: 46px; display: block; }
.event-timeline .axis { font-size: 9px; fill: #475569; }
.event-timeline .base { stroke: #94a3b8; stroke-width: 1; }
.event-timeline .ev-airspace { fill: #2563eb; stroke: #fff; stroke-width: 0.8; }
.event-timeline .ev-strike { fill: #b91c1c; stroke: #fff; stroke-width: 0.8; }
.event-timeline a:hover .ev-airspace, .event-timeline a:hover .ev-strike { stroke: #111827; stroke-width: 1.5; }
.event-timeline .cursor { stroke: #f59e0b; stroke-width: 2; }
.event-list { list-style: none; margin: 4px 0; padding: 0; max-height: 180px; overflow-y: auto; font-size: 12px; }
.event-list li { padding: 2px 0; border-bottom: 1px solid #e2e8f0; }
.event-list .ev-dot { display: inline-block; width: 8px; height: 8px; margin-right: 5px; border-radius: 2px; }
.event-list .ev-dot.airspace { background: #2563eb; }
.event-list .ev-dot.strike { background: #b91c1c; }
.event-list time { font-variant-numeric: tabular-nums; color: #334155; margin-right: 4px; }
.event-attribution { font-size: 11px; }
"""


def _local(t: datetime) -> str:
    """``datetime-local`` input value (UTC, minutes)."""
    return t.strftime("%Y-%m-%dT%H:%M")


def history_page(
    *,
    zones: Sequence[tuple[str, str]],
    until: datetime,
    banner: str | None,
    traffic_zone: str = "SVZM",
    tile_url: str | None = None,
    tile_attribution: str = "",
) -> str:
    """The history page; ``zones`` are (zone_id, name) for the filter, ``until`` the default
    end of the range (the monitor's clock or the latest incident)."""
    m, fig = new_map(
        "page-history", "History · Caribbean monitor", tile_url=tile_url, tile_attribution=tile_attribution
    )
    fig.html.add_child(Element(topbar("history", banner)), name="topbar")
    since = until - DEFAULT_WINDOW
    zone_opts = '<option value="">any zone</option>' + "".join(
        f'<option value="{esc(z)}">{esc(z)} · {esc(name)}</option>' for z, name in zones
    )
    kind_opts = "".join(f'<option value="{k}">{k.replace("_", " ")}</option>' for k in KINDS)
    sev_opts = '<option value="">any severity</option>' + "".join(
        f'<option value="{s}">{s} or worse</option>' for s in SEVERITIES
    )
    panel = f"""
<aside class="panel" id="history-panel">
  <form id="filters" autocomplete="off">
    <label for="f-since">From (UTC)</label><input type="datetime-local" id="f-since" name="since" value="{_local(since)}">
    <label for="f-until">To (UTC)</label><input type="datetime-local" id="f-until" name="until" value="{_local(until)}">
    <label for="f-zone">Zone</label><select id="f-zone" name="zone">{zone_opts}</select>
    <label for="f-kind">Kinds (none = all)</label><select id="f-kind" name="kind" multiple>{kind_opts}</select>
    <div class="row2">
      <div><label for="f-severity">Severity</label><select id="f-severity" name="severity">{sev_opts}</select></div>
      <div><label for="f-subject">Subject</label><input type="text" id="f-subject" name="subject" placeholder="hex, call sign, MMSI, name"></div>
    </div>
    <button type="submit" id="f-apply">Apply</button> <button type="button" id="f-export">CSV</button> <button type="button" id="f-kml">KML</button>
  </form>
  <div class="slider">
    <label for="time-slider">Time: <span class="time-label" id="time-label">all of the range</span></label>
    <input type="range" id="time-slider" min="0" max="1000" value="1000">
    <button type="button" id="time-play">▶ play</button> <button type="button" id="time-all">show all</button>
  </div>
  <p id="history-status" class="muted"></p>
  <h3>Data coverage <span class="muted">(which sources cover which hours: a gap is no data, not "nothing happened")</span></h3>
  <div id="coverage-strip"><p class="empty">loading…</p></div>
  <h3>Crisis record <span id="event-count" class="muted"></span></h3>
  <div class="event-timeline" id="event-timeline"><p class="empty">loading…</p></div>
  <ul class="event-list" id="event-list"></ul>
  <p class="muted event-attribution">{EVENTS_NOTE}</p>
  <h3>Aircraft per hour inside {esc(traffic_zone)}</h3>
  <div class="chart" id="traffic-chart"><p class="empty">loading…</p></div>
  <h3>Incidents <span id="result-count"></span></h3>
  <table class="data" id="incident-list"><thead><tr><th>#</th><th>kind</th><th>subject</th><th>zone</th><th>started</th></tr></thead><tbody></tbody></table>
</aside>
<footer class="statusbar"><span class="counts" id="status-counts"></span><span id="status-feeds"></span></footer>
"""
    fig.html.add_child(Element(panel), name="panel")
    fig.header.add_child(Element(f'<script src="{HISTORY_JS}"></script>'), name="history_js")
    fig.header.add_child(
        Element(f'<script src="{STATIC_URL}/coverage.js" defer></script>'), name="coverage_js"
    )
    fig.header.add_child(Element(f"<style>{TIMELINE_CSS}</style>"), name="history_timeline_css")
    for layer in basemap_layers():
        layer.add_to(m)
    control = folium.LayerControl(collapsed=False)
    control.add_to(m)
    opts = json.dumps({"trafficZone": traffic_zone})[:-1] + f", \"control\": {control.get_name()}}}"
    m.add_child(Script("MonitorHistory.init({{ map }}, " + opts + ");"))
    return finish(fig)
