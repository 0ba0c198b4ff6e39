"""``/incidents/{id}``: the incident's track on a map, its timeline, evidence and alerts."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import folium
import orjson
from branca.element import Element

from monitor.domain import ZoneVersion
from monitor.timeutil import iso_z
from monitor.web.geo import incident_feature
from monitor.web.incident_view import alert_dict, event_dict, evidence_dict
from monitor.web.pages.common import (
    GeoJsonLayer,
    basemap_layers,
    esc,
    finish,
    new_map,
    topbar,
)
from monitor.web.styles import SEVERITY_COLOURS
from monitor.web.zone_view import ZoneGeometryCache, intervals, zone_feature

JS = folium.JsCode
PAD_DEG = 1.5


def _time(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = iso_z(value)
    text = str(value).replace("T", " ").replace("Z", "")
    return esc(re.sub(r"\.\d+", "", text) + " UTC")


def _num(value: Any, digits: int = 0) -> str:
    if value is None:
        return ""
    return f"{value:,.{digits}f}"


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], *, cls: str, empty: str) -> str:
    if not rows:
        return f'<p class="empty">{esc(empty)}</p>'
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f'<table class="data {cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _zone_for(row: Any, zones: Sequence[ZoneVersion]) -> list[Any]:
    if not row.zone_id:
        return []
    rows = intervals(zones, row.zone_id)
    exact = [r for r in rows if r[0].version == row.zone_version]
    return exact or rows[-1:]


def _bounds(geoms: Sequence[Any]) -> list[list[float]] | None:
    xs: list[float] = []
    ys: list[float] = []
    for g in geoms:
        if g is None or g.is_empty:
            continue
        x0, y0, x1, y1 = g.bounds
        xs += [x0, x1]
        ys += [y0, y1]
    if not xs:
        return None
    return [[min(ys) - PAD_DEG, min(xs) - PAD_DEG], [max(ys) + PAD_DEG, max(xs) + PAD_DEG]]


def incident_page(
    detail: dict[str, Any],
    zones: Sequence[ZoneVersion],
    observed: Sequence[Any] = (),
    *,
    banner: str | None,
    tile_url: str | None = None,
    tile_attribution: str = "",
) -> str:
    """HTML of one incident. ``observed``: stored positions of the subject while it lasted."""
    row = detail["incident"]
    feature = incident_feature(row, mode="track")
    position = incident_feature(row, mode="position")
    evidence = [evidence_dict(e) for e in detail["evidence"]]
    events = [event_dict(e) for e in detail["events"]]
    alerts = [alert_dict(a) for a in detail["alerts"]]
    props = feature["properties"]

    geoms = [row.geom]
    m, fig = new_map(
        "page-incident",
        f"Incident #{row.id} · {row.kind}",
        bounds=None,
        tile_url=tile_url,
        tile_attribution=tile_attribution,
        config_options={"incidentLinks": False},
    )
    fig.html.add_child(Element(topbar("", banner)), name="topbar")

    for layer in basemap_layers():
        layer.add_to(m)
    zone_rows = _zone_for(row, zones)
    if zone_rows:
        cache = ZoneGeometryCache()
        zone_doc = {"type": "FeatureCollection",
                    "features": [zone_feature(z, row.started_at, cache) for z in zone_rows]}
        GeoJsonLayer(zone_doc, f"Zone {row.zone_id}", style=JS("MonitorMap.zoneStyle"),
                     on_each_feature=JS("MonitorMap.popup(MonitorMap.zonePopup)")).add_to(m)
    if len(observed) >= 2:
        line = {"type": "Feature", "properties": {}, "geometry": {
            "type": "LineString", "coordinates": [[o.lon, o.lat] for o in observed]}}
        GeoJsonLayer(line, "Observed positions", style=JS("MonitorMap.observedStyle"),
                     interactive=False).add_to(m)
    if feature["geometry"] is not None:
        GeoJsonLayer(feature, "Incident track", style=JS("MonitorMap.incidentStyle"),
                     point_to_layer=JS("MonitorMap.incidentMarker"),
                     on_each_feature=JS("MonitorMap.popup(MonitorMap.incidentPopup)")).add_to(m)
    ev_features = [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [e["lon"], e["lat"]]},
         "properties": {**e, "n": i + 1}}
        for i, e in enumerate(evidence) if e["lat"] is not None and e["lon"] is not None
    ]
    if ev_features:
        GeoJsonLayer({"type": "FeatureCollection", "features": ev_features}, "Evidence",
                     point_to_layer=JS("MonitorMap.evidenceMarker"),
                     on_each_feature=JS("MonitorMap.popup(MonitorMap.evidencePopup)")).add_to(m)
    if position["geometry"] is not None:
        GeoJsonLayer(position, "Last position", point_to_layer=JS("MonitorMap.incidentMarker"),
                     style=JS("MonitorMap.incidentStyle"),
                     on_each_feature=JS("MonitorMap.popup(MonitorMap.incidentPopup)")).add_to(m)
    from shapely import Point

    geoms += [Point(f["geometry"]["coordinates"]) for f in ev_features]
    geoms += [z[0].geometry for z in zone_rows if row.geom is None]
    bounds = _bounds(geoms)
    if bounds:
        m.fit_bounds(bounds)
    folium.LayerControl(collapsed=False).add_to(m)

    colour = SEVERITY_COLOURS.get(row.severity, "#6b7280")
    subject = esc(row.subject_label or row.subject_id or "")
    if row.subject_id and row.subject_label and row.subject_label != row.subject_id:
        subject += f" <code>{esc(row.subject_id)}</code>"
    summary_rows = [
        ("Status", esc(row.status)),
        ("Subject", subject + (f' <span class="muted">{esc(row.subject_kind)}</span>' if row.subject_kind else "")),
        ("Zone", esc(row.zone_id or "") + (f" v{row.zone_version}" if row.zone_version else "")),
        ("Started", _time(props["started_at"])),
        ("Last seen", _time(props["last_seen_at"])),
        ("Ended", _time(props["ended_at"])),
        ("Summary", esc(row.summary or "")),
    ]
    summary_rows += [
        (k.replace("_", " "), esc(v if isinstance(v, str) else orjson.dumps(v).decode()))
        for k, v in (row.details or {}).items()
    ]
    kv = "".join(f"<tr><th>{esc(k)}</th><td>{v}</td></tr>" for k, v in summary_rows if v)
    timeline = _table(
        ("#", "time", "action", "severity", "summary"),
        [(str(e["seq"]), _time(e["at"]), esc(e["action"]), esc(e["severity"]), esc(e["summary"])) for e in events],
        cls="timeline", empty="no recorded changes",
    )
    evidence_table = _table(
        ("#", "observed", "source", "subject", "lat", "lon", "alt ft", "kt", "trk°", "note", "capture record"),
        [
            (str(i + 1), _time(e["observed_at"]), esc(e["source"]), esc(e["subject_id"] or ""),
             _num(e["lat"], 4), _num(e["lon"], 4), _num(e["altitude_ft"]), _num(e["ground_speed_kt"]),
             _num(e["track_deg"]), esc(e["note"]), f"<code>{esc(e['record_ref'] or '')}</code>")
            for i, e in enumerate(evidence)
        ],
        cls="evidence", empty="no evidence recorded",
    )
    alerts_table = _table(
        ("rule", "channel", "state", "attempts", "created", "delivered", "last error"),
        [
            (esc(a["rule"]), esc(a["channel"]), esc(a["state"]), str(a["attempts"]), _time(a["created_at"]),
             _time(a["delivered_at"]), esc(a["last_error"] or ""))
            for a in alerts
        ],
        cls="alerts", empty="no alerts for this incident",
    )
    panel = (
        '<aside class="panel" id="incident-panel">'
        f'<h2><span class="sev" style="background:{colour}"></span>Incident #{row.id}: '
        f'{esc(row.kind.replace("_", " "))} <span class="badge" style="background:{colour}">'
        f"{esc(row.severity)}</span></h2>"
        f'<table class="data kv">{kv}</table>'
        f'<h3>Timeline ({len(events)})</h3>{timeline}'
        f'<h3>Evidence ({len(evidence)})</h3>'
        '<p class="muted">The observations that raised or updated the incident, with the capture '
        "record each came from (replayable with <code>monitor replay</code>).</p>"
        f"{evidence_table}"
        f'<h3>Alerts ({len(alerts)})</h3>{alerts_table}'
        f'<p class="muted">JSON: <a href="/api/incidents/{row.id}">/api/incidents/{row.id}</a></p>'
        "</aside>"
    )
    fig.html.add_child(Element(panel), name="panel")
    return finish(fig)
