"""One incident with its timeline, evidence and alerts, as plain JSON-ready dicts."""

from __future__ import annotations

import functools
import math
from datetime import UTC, datetime
from typing import Any

from monitor.web.geo import incident_feature


def _iso(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    return value


def event_dict(r: Any) -> dict[str, Any]:
    return {
        "seq": r.seq,
        "action": r.action,
        "at": _iso(r.at),
        "severity": r.severity,
        "summary": r.summary,
        "details": r.details or {},
    }


def evidence_dict(r: Any) -> dict[str, Any]:
    return {
        "observed_at": _iso(r.observed_at),
        "source": r.source,
        "note": r.note,
        "record_ref": r.record_ref,
        "subject_id": r.subject_id,
        "lat": r.lat,
        "lon": r.lon,
        "altitude_ft": r.altitude_ft,
        "ground_speed_kt": r.ground_speed_kt,
        "track_deg": r.track_deg,
    }


def alert_dict(r: Any) -> dict[str, Any]:
    return {
        "id": r.id,
        "rule": r.rule,
        "channel": r.channel,
        "state": r.state,
        "attempts": r.attempts,
        "created_at": _iso(r.created_at),
        "delivered_at": _iso(r.delivered_at),
        "last_error": r.last_error,
    }


def incident_detail(detail: dict[str, Any], *, base_url: str | None = None) -> dict[str, Any]:
    """``Store.incident`` output -> the ``GET /api/incidents/{id}`` body."""
    doc = incident_feature(detail["incident"], base_url=base_url)
    doc["events"] = [event_dict(r) for r in detail["events"]]
    doc["evidence"] = [evidence_dict(r) for r in detail["evidence"]]
    doc["alerts"] = [alert_dict(r) for r in detail["alerts"]]
    return doc


# ---- what a person reads on the incident page ------------------------------------------------

#: details keys the page says in its opening sentence or draws on the map, not in the table
SENTENCE_KEYS = frozenset({"incident", "why", "dispatcher_note", "identity", "closed_because", "rule_ended"})

#: details keys with a label of their own (the rest: the key in words, its unit from its suffix)
DETAIL_LABELS: dict[str, str] = {
    "zone_name": "Zone",
    "zone_status": "Zone status",
    "dwell_s": "Time inside",
    "rule": "Rule (zone version)",
    "rule_kind": "Kind of rule",
    "authority": "Authority",
    "source_ref": "Source",
    "source_url": "Source address",
    "binds": "Binds (code)",
    "binds_whom": "Binds whom",
    "bound": "Bound by it",
    "rule_valid_from": "Rule valid from",
    "rule_valid_to": "Rule valid until",
    "rule_end_stated": "Rule end as published",
    "registry": "State of registry",
    "operator": "Operator (ICAO designator)",
    "military": "Military / state aircraft",
    "entered_at": "Entered",
    "exited_at": "Left",
    "callsign": "Call sign",
    "squawk": "Squawk",
    "nav_status": "Navigational status",
    "ship_type": "Ship type",
    "vessel_type": "Ship type",
    "origin_icao": "Origin",
    "destination_icao": "Destination",
    "route_source": "Route from",
    "avoided_zones": "Zones avoided",
    "great_circle_inside_zone_km": "Great circle inside the zones",
    "projected_path_km": "Projected path",
    "extra_distance_km": "Extra distance",
    "extra_time_min": "Extra time",
    "cruise_speed_kt": "Cruise speed",
    "deviation_km": "Off the great circle now",
    "max_deviation_km": "Furthest off the great circle",
    "left_track_at": "Left the great circle",
    "first_off_track_at": "First seen off track",
    "firs_used": "FIRs flown instead",
    "crossed_between_fixes": "Crossed between two fixes",
    "previous_fix_at": "Fix before the crossing",
    "last_data_at": "Last data",
    "threshold_s": "Silence counted as an outage after",
    "gap_s": "Gap",
    "recovered_at": "Recovered",
}

#: keys folded into another row (origin name with its code ...) or drawn, not listed
FOLDED_KEYS = frozenset({
    "origin_name", "destination_name", "firs_used_names", "left_track_lat", "left_track_lon",
    "crossing_lat", "crossing_lon", "threat_lat", "threat_lon", "pivot_lat", "pivot_lon",
    "route",
})

CLOSED_BECAUSE: dict[str, str] = {
    "lost_contact": "contact was lost while it was still inside: no position came for longer "
    "than the detector waits, so where it went next is not known",
    "rule_ended": "the rule it was judged by is no longer in force",
    "restart": "the monitor restarted",
    "not_seen_again": "it was not seen again",
    "share_below_threshold": "the share of affected aircraft fell below the threshold",
    "no_aircraft": "no aircraft was left in the area",
    "landed": "it landed",
}

_BOUND_VERBS = {"bound": "binds", "possibly": "may bind", "not_bound": "does not bind"}
_RULE_NOUNS = {"prohibited": "prohibition", "closed": "closure", "advisory": "advisory", "statement": "statement"}


def fmt_time(value: Any) -> str:
    """A time to the second, without its zone (the page says UTC once): ``2026-01-03 10:17:47``."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        dt = value
    else:
        try:
            dt = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            return str(value)
    if dt.tzinfo is not None:
        dt = dt.astimezone(UTC)
    return dt.strftime("%Y-%m-%d %H:%M:%S")


def fmt_duration(seconds: float) -> str:
    """``10555.2`` -> ``2 h 55 min 55 s``; under a minute in seconds."""
    s = round(float(seconds))
    if s < 60:
        return f"{s} s"
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    parts = ([f"{h} h"] if h else []) + ([f"{m} min"] if m else []) + ([f"{sec} s"] if sec and not h else [])
    return " ".join(parts)


def _fmt_number(value: float, unit: str, digits: int = 0) -> str:
    return f"{value:,.{digits}f} {unit}"


#: key suffix -> (unit, digits) of a number
_UNITS: tuple[tuple[str, str, int], ...] = (
    ("_km", "km", 0), ("_nm", "NM", 0), ("_m", "m", 0), ("_ft", "ft", 0), ("_kt", "kt", 0),
    ("_fpm", "ft/min", 0), ("_deg", "°", 0), ("_min", "min", 0), ("_pct", "%", 1),
)


def key_label(key: str) -> str:
    """``extra_distance_km`` -> ``Extra distance``; a key of :data:`DETAIL_LABELS` by its label."""
    if key in DETAIL_LABELS:
        return DETAIL_LABELS[key]
    text = key
    for suffix in ("_at", "_s", *(u[0] for u in _UNITS)):
        if text.endswith(suffix) and len(text) > len(suffix):
            text = text[: -len(suffix)]
            break
    text = text.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def detail_value(key: str, value: Any, details: dict[str, Any] | None = None) -> str | None:
    """One details value in words and units (plain text), or None when there is nothing to say.

    Codes are decoded (AIS navigational status and ship type, transponder codes), times given
    to the second, durations in h/min/s, lists joined, booleans said as yes/no.
    """
    from monitor.web.styles import nav_status_label, ship_type_label, squawk_label

    d = details or {}
    if value is None or value == "" or value == [] or value == {}:
        return None
    if key == "nav_status" and isinstance(value, int):
        return nav_status_label(value)
    if key in ("ship_type", "vessel_type") and isinstance(value, int):
        return ship_type_label(value) or f"code {value}"
    if key == "squawk":
        return squawk_label(str(value))
    if key == "bound":
        return {"bound": "yes", "possibly": "possibly (identity too thin to say)", "not_bound": "no"}.get(
            str(value), str(value)
        )
    if key == "origin_icao" and d.get("origin_name"):
        return f"{value} {d['origin_name']}"
    if key == "destination_icao" and d.get("destination_name"):
        return f"{value} {d['destination_name']}"
    if key == "firs_used":
        names = d.get("firs_used_names") or []
        if isinstance(value, list) and isinstance(names, list) and len(names) == len(value):
            return ", ".join(f"{n} ({str(k).removeprefix('FIR-')})" for k, n in zip(value, names, strict=True))
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        items = [detail_value(key, v) or "" for v in value]
        return ", ".join(i for i in items if i) or None
    if isinstance(value, dict):
        items = [f"{key_label(k)}: {detail_value(k, v) or '—'}" for k, v in value.items()]
        return "; ".join(items) or None
    if key.endswith("_at") or key in ("rule_valid_from", "rule_valid_to", "rule_end_stated"):
        return fmt_time(value)
    if isinstance(value, int | float):
        if key.endswith("_s"):
            return fmt_duration(value)
        for suffix, unit, digits in _UNITS:
            if key.endswith(suffix):
                if key == "extra_time_min":
                    return f"about {value:,.0f} min"
                return _fmt_number(float(value), unit, digits if abs(value) >= 10 else max(digits, 1))
        if key in ("lat", "lon") or key.endswith(("_lat", "_lon")):
            return f"{value:.4f}°"
        return f"{value:,}" if isinstance(value, int) else f"{value:,.2f}".rstrip("0").rstrip(".")
    return str(value)


def detail_rows(details: dict[str, Any] | None) -> list[tuple[str, str]]:
    """The incident's details as (label, value) rows a person reads: no raw keys, no codes,
    nothing the opening sentence already says, nothing empty."""
    d = details or {}
    rows = []
    for key, value in d.items():
        if key in SENTENCE_KEYS or key in FOLDED_KEYS:
            continue
        text = detail_value(key, value, d)
        if text:
            rows.append((key_label(key), text))
    return rows


def _closed_text(status: str | None, details: dict[str, Any], ended_at: Any) -> str | None:
    if status != "closed":
        return None
    because = details.get("closed_because")
    when = fmt_time(ended_at)
    if because == "rule_ended" and details.get("rule_ended"):
        return f"Closed at {when} UTC: {details['rule_ended']}."
    if because == "lost_contact":
        left = f" (last fix {fmt_time(details.get('exited_at'))})" if details.get("exited_at") else ""
        return f"Closed at {when} UTC: {CLOSED_BECAUSE['lost_contact']}{left}."
    if because:
        return f"Closed at {when} UTC: {CLOSED_BECAUSE.get(str(because), str(because).replace('_', ' '))}."
    if details.get("exited_at"):
        return f"Closed at {when} UTC: it left the zone at {fmt_time(details['exited_at'])} UTC."
    return f"Closed at {when} UTC." if when else "Closed."


def incident_sentence(
    kind: str,
    summary: str | None,
    details: dict[str, Any] | None,
    *,
    subject: str | None = None,
    status: str | None = None,
    ended_at: Any = None,
) -> tuple[str, list[str]]:
    """Why this is an incident: one opening sentence, then the sentences that explain it
    (whom the rule binds and why this subject, how it closed).

    An incursion says the rule (authority, kind, source), the zone and whom the rule binds,
    then why this aircraft is bound (its identity); other kinds compose theirs from their
    details (a reroute: the dispatcher's note), else their summary.
    """
    d = details or {}
    more: list[str] = []
    who = subject or "The subject"
    if kind == "incursion" and d.get("rule"):
        verb = _BOUND_VERBS.get(str(d.get("bound") or "bound"), "binds")
        zone = d.get("zone_name") or "the zone"
        where = "crossed" if d.get("crossed_between_fixes") else "was inside"
        noun = _RULE_NOUNS.get(str(d.get("rule_kind")), str(d.get("rule_kind") or "rule"))
        authority = f"{d['authority']} " if d.get("authority") else ""
        lead = f"{who} {where} {zone} while the {authority}{noun} {d['rule']} was in force, a rule that {verb} it."
        if d.get("source_ref"):
            more.append(f"Source: {d['source_ref']}.")
        if d.get("binds_whom"):
            more.append(f"The rule binds {d['binds_whom']}.")
        if d.get("why"):
            more.append(f"Why this aircraft: {d['why']}.")
    elif kind == "reroute" and d.get("dispatcher_note"):
        lead = str(d["dispatcher_note"])
    else:
        lead = (summary or d.get("incident") or kind.replace("_", " ")).strip()
        if lead and not lead.endswith("."):
            lead += "."
        lead = lead[:1].upper() + lead[1:]
    closed = _closed_text(status, d, ended_at)
    if closed:
        more.append(closed)
    return lead, more


def distinct_evidence(evidence: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Evidence rows with repeats merged: the same observation (time, source, subject,
    position, capture record) recorded by several updates is one row; its notes are joined
    and ``repeats`` says how many times it was recorded."""
    out: list[dict[str, Any]] = []
    seen: dict[tuple[Any, ...], dict[str, Any]] = {}
    for e in evidence:
        key = (e.get("observed_at"), e.get("source"), e.get("subject_id"), e.get("lat"), e.get("lon"),
               e.get("record_ref"))
        first = seen.get(key)
        if first is None:
            first = seen[key] = {**e, "repeats": 1}
            out.append(first)
            continue
        first["repeats"] += 1
        note = e.get("note")
        if note and note not in str(first.get("note") or "").split("; "):
            first["note"] = f"{first['note']}; {note}" if first.get("note") else note
    return out


def great_circle(lat1: float, lon1: float, lat2: float, lon2: float, *, points: int = 64) -> list[list[float]]:
    """The great circle between two points (spherical, WGS84 degrees) as ``[lon, lat]``
    vertices, for drawing."""
    p1, l1, p2, l2 = map(math.radians, (lat1, lon1, lat2, lon2))
    a = (math.cos(p1) * math.cos(l1), math.cos(p1) * math.sin(l1), math.sin(p1))
    b = (math.cos(p2) * math.cos(l2), math.cos(p2) * math.sin(l2), math.sin(p2))
    dot = max(-1.0, min(1.0, sum(x * y for x, y in zip(a, b, strict=True))))
    omega = math.acos(dot)
    if omega < 1e-9:
        return [[lon1, lat1], [lon2, lat2]]
    out = []
    for i in range(points + 1):
        t = i / points
        k1 = math.sin((1 - t) * omega) / math.sin(omega)
        k2 = math.sin(t * omega) / math.sin(omega)
        x, y, z = (k1 * u + k2 * v for u, v in zip(a, b, strict=True))
        out.append([round(math.degrees(math.atan2(y, x)), 4), round(math.degrees(math.atan2(z, math.hypot(x, y))), 4)])
    return out


def airport_position(icao: str | None) -> tuple[float, float, str] | None:
    """(lat, lon, name) of an airport by ICAO code, from the offline ``airportsdata`` table
    (read once); None when unknown or the table is missing."""
    if not icao:
        return None
    table = _airports()
    a = table.get(str(icao).upper())
    if a is None:
        return None
    return float(a["lat"]), float(a["lon"]), str(a.get("name") or icao)


@functools.cache
def _airports() -> dict[str, Any]:
    try:
        import airportsdata
    except ImportError:  # an optional table: the page then draws no route ends
        return {}
    return dict(airportsdata.load("ICAO"))
