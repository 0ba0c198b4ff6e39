"""``/incidents/{id}``: the incident's track on a map, its timeline, evidence and alerts."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import folium
from branca.element import Element

from monitor.domain import ZoneVersion
from monitor.web.geo import incident_feature
from monitor.web.incident_view import (
    airport_position,
    alert_dict,
    detail_rows,
    distinct_evidence,
    event_dict,
    evidence_dict,
    fmt_time,
    great_circle,
    incident_sentence,
)
from monitor.web.pages.common import (
    GeoJsonLayer,
    Script,
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
    """To the second; the page says once that times are UTC."""
    return esc(fmt_time(value))


def _num(value: Any, digits: int = 0) -> str:
    if value is None:
        return ""
    return f"{value:,.{digits}f}"


def _unit(value: Any, unit: str) -> str:
    if value is None:
        return ""
    return f"{value:,.0f}&nbsp;{unit}" if unit != "°" else f"{value:,.0f}°"


def evidence_features(kind: str, details: dict[str, Any], zones: Sequence[ZoneVersion]) -> dict[str, Any]:
    """What the map draws as the incident's evidence beyond its track: for a reroute the great
    circle of its route, origin, destination, the point it left the great circle and the FIRs
    it flew instead; for an incursion that crossed a zone between two fixes, the crossing."""
    out: dict[str, Any] = {"lines": [], "points": [], "areas": [], "lines_name": "Great circle",
                           "points_name": "Route"}

    def point(lon: Any, lat: Any, role: str, text: str) -> None:
        if lon is None or lat is None:
            return
        out["points"].append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
                              "properties": {"role": role, "label": text}})

    if kind in ("reroute", "diversion", "turnback"):
        o = airport_position(details.get("origin_icao"))
        d = airport_position(details.get("destination_icao"))
        if o and d:
            out["lines"].append({"type": "Feature", "properties": {"role": "great_circle"}, "geometry": {
                "type": "LineString", "coordinates": great_circle(o[0], o[1], d[0], d[1])}})
        if o:
            point(o[1], o[0], "origin", f"Origin {details.get('origin_icao')}")
        if d:
            point(d[1], d[0], "destination", f"Destination {details.get('destination_icao')}")
        left_at = fmt_time(details.get("left_track_at") or details.get("first_off_track_at"))
        what = "Left the great circle" if details.get("left_track_at") else "First seen off track"
        point(details.get("left_track_lon"), details.get("left_track_lat"), "left_track", f"{what} {left_at}")
        firs = set(details.get("firs_used") or [])
        if firs:
            cache = ZoneGeometryCache()
            latest: dict[str, Any] = {}
            for z in firs:
                rows = intervals(zones, z)
                if rows:
                    latest[z] = rows[-1]
            out["areas"] = [zone_feature(r, None, cache) for r in latest.values()]
    if kind == "incursion" and details.get("crossed_between_fixes"):
        out["points_name"] = "Crossing"
        point(details.get("crossing_lon"), details.get("crossing_lat"), "crossing",
              f"Crossed {details.get('zone_name') or 'the zone'}")
    return out


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
    recorded = [evidence_dict(e) for e in detail["evidence"]]
    evidence = distinct_evidence(recorded)
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
    drawn = evidence_features(row.kind, row.details or {}, zones)
    if drawn["lines"]:
        GeoJsonLayer({"type": "FeatureCollection", "features": drawn["lines"]}, drawn["lines_name"],
                     style=JS("MonitorMap.routeStyle"), interactive=False).add_to(m)
    if drawn["areas"]:
        GeoJsonLayer({"type": "FeatureCollection", "features": drawn["areas"]}, "FIRs flown instead",
                     style=JS("MonitorMap.firUsedStyle"),
                     on_each_feature=JS("MonitorMap.popup(MonitorMap.zonePopup)")).add_to(m)
    if drawn["points"]:
        GeoJsonLayer({"type": "FeatureCollection", "features": drawn["points"]}, drawn["points_name"],
                     point_to_layer=JS("MonitorMap.placeMarker")).add_to(m)
    from shapely import Point
    from shapely.geometry import shape

    geoms += [Point(f["geometry"]["coordinates"]) for f in ev_features]
    geoms += [shape(f["geometry"]) for f in drawn["lines"] + drawn["points"]]
    geoms += [z[0].geometry for z in zone_rows if row.geom is None]
    bounds = _bounds(geoms)
    if bounds:
        m.fit_bounds(bounds)
    folium.LayerControl(collapsed=False).add_to(m)
    m.add_child(Script(f"MonitorMap.initIncident({{{{ map }}}}, {json.dumps(bounds)});"))

    colour = SEVERITY_COLOURS.get(row.severity, "#6b7280")
    details = row.details or {}
    who = row.subject_label or details.get("callsign") or row.subject_id
    lead, more = incident_sentence(
        row.kind, row.summary, details, subject=who, status=row.status, ended_at=props["ended_at"]
    )
    subject = esc(row.subject_label or row.subject_id or "")
    if row.subject_id and row.subject_label and row.subject_label != row.subject_id:
        subject += f" <code>{esc(row.subject_id)}</code>"
    zone = ""
    if row.zone_id:
        name = details.get("zone_name")
        zone = (f"{esc(str(name))} " if name and name != row.zone_id else "") + (
            f"<code>{esc(row.zone_id)}</code>" + (f" version {row.zone_version}" if row.zone_version else "")
        )
    summary_rows = [
        ("Status", esc(row.status)),
        ("Subject", subject + (f' <span class="muted">{esc(row.subject_kind)}</span>' if row.subject_kind else "")),
        ("Zone", zone),
        ("Started", _time(props["started_at"])),
        ("Last seen", _time(props["last_seen_at"])),
        ("Ended", _time(props["ended_at"])),
    ]
    for label, text in detail_rows(details):
        if label == "Zone":
            continue
        value = esc(text)
        if text.startswith(("http://", "https://")):
            value = f'<a href="{esc(text)}" target="_blank" rel="noopener noreferrer">{esc(text)}</a>'
        summary_rows.append((label, value))
    kv = "".join(f"<tr><th>{esc(k)}</th><td>{v}</td></tr>" for k, v in summary_rows if v)
    timeline = _table(
        ("#", "time", "action", "severity", "what"),
        [(str(e["seq"]), _time(e["at"]), esc(e["action"]), esc(e["severity"]), esc(e["summary"])) for e in events],
        cls="timeline", empty="no recorded changes",
    )
    evidence_table = _table(
        ("#", "observed", "source", "lat", "lon", "altitude", "speed", "track", "note", "capture record"),
        [
            (str(i + 1), _time(e["observed_at"]), esc(e["source"]),
             _num(e["lat"], 4), _num(e["lon"], 4), _unit(e["altitude_ft"], "ft"),
             _unit(e["ground_speed_kt"], "kt"), _unit(e["track_deg"], "°"),
             esc(e["note"]) + (f' <span class="muted">(recorded {e["repeats"]} times)</span>' if e["repeats"] > 1 else ""),
             f"<code>{esc(e['record_ref'] or '')}</code>")
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
    repeats = len(recorded) - len(evidence)
    why = "".join(f" <span class=\"why\">{esc(t)}</span>" for t in more)
    panel = (
        '<aside class="panel" id="incident-panel">'
        f'<h2><span class="sev" style="background:{colour}"></span>Incident #{row.id}: '
        f'{esc(row.kind.replace("_", " "))} <span class="badge" style="background:{colour}">'
        f"{esc(row.severity)}</span></h2>"
        f'<p class="incident-sentence" id="incident-sentence" style="border-left-color:{colour}">'
        f'<span class="lead">{esc(lead)}</span>{why}</p>'
        '<div class="incident-links">'
        f'<a href="/incidents/{row.id}" id="permalink" title="a link to this page to share">Permalink</a>'
        f'<a href="/api/incidents/{row.id}?format=geojson" download>GeoJSON</a>'
        f'<a href="/api/incidents/{row.id}?format=kml" download>KML</a>'
        f'<a href="/api/incidents/{row.id}">JSON (API)</a>'
        "</div>"
        '<p class="muted">All times are UTC.</p>'
        f'<table class="data kv">{kv}</table>'
        f'<h3>Timeline ({len(events)})</h3>{timeline}'
        f'<h3>Evidence ({len(evidence)})'
        + (f' <span class="evidence-count">({repeats} repeated records merged)</span>' if repeats else "")
        + "</h3>"
        '<p class="muted">The observations that raised or updated the incident, with the capture '
        "record each came from (replayable with <code>monitor replay</code>).</p>"
        f"{evidence_table}"
        f'<h3>Alerts ({len(alerts)})</h3>{alerts_table}'
        "</aside>"
    )
    fig.html.add_child(Element(panel), name="panel")
    return finish(fig)
