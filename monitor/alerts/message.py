"""The words of an alert: a title and a short text, written from the payload.

Pure functions. The same text goes to the console, to Apprise services (Slack, e-mail ...)
and into the webhook payload (``title`` / ``text``), so every reader sees the same note.
Reroutes read like a dispatcher's note: callsign, route, where the flight left its
great-circle track, the FIRs it used instead, the extra distance and time, the map link.
Detail keys are read defensively: a detector that leaves one out gives a shorter note.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from monitor.timeutil import parse_utc

_VERB = {
    "open": "NEW",
    "update": "UPDATED",
    "close": "ENDED",
    "declare": "DECLARED",
    "amend": "AMENDED",
    "lift": "LIFTED",
    "test": "TEST",
}
#: kind-specific words for feed health
_FEED_VERB = {"open": "STALE", "update": "STILL STALE", "close": "RECOVERED"}


def render(payload: Mapping[str, Any]) -> tuple[str, str]:
    """``(title, text)`` of an alert payload (see ``monitor/alerts/README.md``)."""
    kind = str(payload.get("kind") or "")
    if kind == "zone_change":
        return _zone_text(payload)
    return _incident_title(payload), _incident_text(payload)


# --- incidents ---------------------------------------------------------------------------


def _incident_title(p: Mapping[str, Any]) -> str:
    kind = str(p.get("kind") or "incident")
    action = str(p.get("action") or "open")
    severity = str(p.get("severity") or "").upper()
    subject = p.get("subject") or {}
    who = subject.get("label") or subject.get("id") or ""
    if kind == "feed_health":
        verb = _FEED_VERB.get(action, action.upper())
        return f"FEED {verb} · {who}".strip(" ·")
    verb = _VERB.get(action, action.upper())
    if p.get("test"):
        verb = "TEST"
    zone = (p.get("zone") or {}).get("id")
    where = f" · {zone}" if zone else ""
    return f"{verb} {kind.replace('_', ' ').upper()} [{severity}] {who}{where}".replace("  ", " ").strip()


def _incident_text(p: Mapping[str, Any]) -> str:
    props = (p.get("incident") or {}).get("properties") or {}
    details: Mapping[str, Any] = props.get("details") or {}
    kind = str(p.get("kind") or "")
    action = str(p.get("action") or "open")
    lines: list[str] = []
    if p.get("test"):
        lines.append("This is a test alert sent by `monitor alerts test`; no incident happened.")
    summary = str(props.get("summary") or "")
    if kind == "reroute":
        lines.extend(reroute_note(details, summary, ended=action == "close"))
    elif summary:
        lines.append(summary)
    prev = p.get("previous_severity")
    if prev and prev != p.get("severity"):
        word = "escalated" if action == "open" else "severity"
        lines.append(f"{word.capitalize()}: {str(prev).upper()} -> {str(p.get('severity')).upper()}")
    where = _where(p, props)
    if where:
        lines.append(where)
    grouped = p.get("grouped")
    if grouped and grouped.get("count"):
        who = (p.get("subject") or {}).get("label") or (p.get("subject") or {}).get("id") or "this subject"
        since = _hm(grouped.get("since"))
        lines.append(
            f"+{grouped['count']} more {kind.replace('_', ' ')} alert(s) for {who} since {since} "
            f"held back by the rule's cooldown ({_duration(grouped.get('cooldown_s'))}); "
            "all are on the map."
        )
    if p.get("url"):
        lines.append(f"Map: {p['url']}")
    return "\n".join(lines)


#: why the reroute detector closed a reroute (``details["closed_because"]``)
_REROUTE_END = {"past_zone": "past the zone", "landed": "landed", "lost_contact": "contact lost"}


def reroute_note(details: Mapping[str, Any], summary: str = "", *, ended: bool = False) -> list[str]:
    """The dispatcher's note of a reroute, one fact per line (``ended``: the final figures)."""
    callsign = _s(details.get("callsign"))
    zones = details.get("avoided_zones") or []
    zones_text = ", ".join(str(z) for z in zones) if isinstance(zones, list) else _s(zones)
    head = f"{callsign or 'Flight'} rerouted" + (f" around {zones_text}" if zones_text else "")
    if ended:
        why = _s(details.get("closed_because"))
        head += ": reroute over" + (f" ({_REROUTE_END.get(why, why.replace('_', ' '))})" if why else "")
    lines = [head]
    origin = _place(details, "origin")
    dest = _place(details, "destination")
    if origin or dest:
        lines.append(f"Route: {origin or '?'} -> {dest or '?'}")
    elif details.get("route"):
        lines.append(f"Route: {_s(details['route']).replace('-', ' -> ')}")
    left_at = details.get("left_track_at")
    if left_at:
        pos = _latlon(details.get("left_track_lat"), details.get("left_track_lon"))
        lines.append(f"Left its great-circle track at {_hm(left_at)}" + (f" near {pos}" if pos else ""))
    firs = _firs(details)
    if firs:
        lines.append(f"FIRs used instead: {firs}")
    extra_km = _num(details.get("extra_distance_km"))
    extra_min = _num(details.get("extra_time_min"))
    if extra_km is not None or extra_min is not None:
        cost = []
        if extra_km is not None:
            cost.append(f"+{extra_km:.0f} km")
        if extra_min is not None:
            cost.append(f"about +{extra_min:.0f} min")
        speed = _num(details.get("cruise_speed_kt"))
        at_speed = f" at {speed:.0f} kt" if speed is not None and extra_min is not None else ""
        lines.append(f"Extra: {', '.join(cost)}{at_speed} against the great circle")
    if len(lines) == 1 and summary:
        lines.append(summary)
    return lines


def _place(details: Mapping[str, Any], which: str) -> str:
    icao = _s(details.get(f"{which}_icao") or details.get(which))
    name = _s(details.get(f"{which}_name"))
    if icao and name and name != icao:
        return f"{icao} {name}"
    return icao or name


def _firs(details: Mapping[str, Any]) -> str:
    ids = details.get("firs_used") or []
    names = details.get("firs_used_names") or []
    if not isinstance(ids, list):
        return _s(ids)
    out = []
    for i, fir in enumerate(ids):
        short = str(fir).removeprefix("FIR-")
        name = names[i] if isinstance(names, list) and i < len(names) else None
        out.append(f"{name} ({short})" if name else short)
    return ", ".join(out)


def _where(p: Mapping[str, Any], props: Mapping[str, Any]) -> str:
    times = p.get("times") or {}
    at = times.get("ended_at") if p.get("action") == "close" else times.get("event_at")
    geom = (p.get("incident") or {}).get("geometry") or {}
    pos = ""
    if geom.get("type") == "Point":
        lon, lat = geom["coordinates"][:2]
        pos = _latlon(lat, lon)
    parts = []
    if at:
        parts.append(f"at {_hm(at)}")
    if pos:
        parts.append(pos)
    return ("Seen " if p.get("action") != "close" else "Ended ") + ", ".join(parts) if parts else ""


# --- zones -------------------------------------------------------------------------------


def _zone_text(p: Mapping[str, Any]) -> tuple[str, str]:
    zone = p.get("zone") or {}
    action = str(p.get("action") or "declare")
    verb = _VERB.get(action, action.upper())
    title = f"ZONE {verb} · {zone.get('id')} v{zone.get('version')}"
    if p.get("test"):
        title = "TEST " + title
    lines = [
        f"{zone.get('name') or zone.get('id')}: {zone.get('status')} {str(zone.get('kind') or '').replace('_', ' ')}"
        f" by {zone.get('authority') or 'unknown authority'}"
    ]
    band = _band(zone.get("floor_ft"), zone.get("ceiling_ft"))
    if band:
        lines.append(f"Altitudes: {band}")
    vf, vt = zone.get("valid_from"), zone.get("valid_to")
    if vf or vt:
        lines.append(f"Valid: {_day_hm(vf) if vf else 'now'} to {_day_hm(vt) if vt else 'further notice'}")
    if zone.get("source_ref"):
        lines.append(f"Source: {zone['source_ref']}")
    desc = " ".join(str(zone.get("description") or "").split())
    if desc:
        lines.append(desc if len(desc) <= 300 else desc[:297] + "...")
    if p.get("url"):
        lines.append(f"Details: {p['url']}")
    return title, "\n".join(lines)


def _band(floor: Any, ceiling: Any) -> str:
    f = _num(floor)
    c = _num(ceiling)
    if f is None and c is None:
        return ""
    low = "SFC" if not f else f"{f:.0f} ft"
    high = "UNL" if c is None else f"{c:.0f} ft"
    return f"{low} - {high}"


# --- small formatting helpers ------------------------------------------------------------


def _s(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _latlon(lat: Any, lon: Any) -> str:
    la, lo = _num(lat), _num(lon)
    if la is None or lo is None:
        return ""
    return f"{abs(la):.2f}{'N' if la >= 0 else 'S'} {abs(lo):.2f}{'E' if lo >= 0 else 'W'}"


def _parse(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if not value:
        return None
    try:
        return parse_utc(str(value))
    except ValueError:
        return None


def _hm(value: Any) -> str:
    t = _parse(value)
    return f"{t:%H:%M}Z" if t is not None else _s(value)


def _day_hm(value: Any) -> str:
    t = _parse(value)
    return f"{t:%Y-%m-%d %H:%M}Z" if t is not None else _s(value)


def _duration(seconds: Any) -> str:
    s = _num(seconds)
    if s is None:
        return "?"
    if s >= 3600:
        return f"{s / 3600:.1f} h"
    if s >= 60:
        return f"{s / 60:.0f} min"
    return f"{s:.0f} s"
