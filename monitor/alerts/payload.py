"""The alert payload, version 1: what the webhook receives and what the outbox stores.

Pure functions. One payload per (rule, incident change, channel); it is built once, when
the incident change is written, and stored in the outbox row, so every retry sends the
same bytes (the signature is recomputed, the body is identical). The format is documented
in ``monitor/alerts/README.md``; a change that breaks a receiver bumps ``version``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from enum import Enum
from typing import Any

from monitor.alerts.message import render
from monitor.domain import ChangeAction, IncidentChange, Severity, ZoneVersion
from monitor.domain.zone import UNLIMITED_FT
from monitor.timeutil import iso_z

PAYLOAD_VERSION = 1


def incident_key(rule: str, incident_id: int, seq: int, channel: str) -> str:
    """Idempotency key of an incident alert: one per rule, incident, change and channel."""
    return f"{rule}:incident-{incident_id}:{seq}:{channel}"


def zone_key(rule: str, zone_id: str, version: int, channel: str) -> str:
    """Idempotency key of a zone-change alert: one per rule, zone version and channel."""
    return f"{rule}:zone-{zone_id}@v{version}:{channel}"


def incident_payload(
    *,
    key: str,
    rule: str,
    channel: str,
    action: str,
    change: IncidentChange,
    incident_id: int,
    seq: int,
    started_at: datetime | None,
    previous_severity: Severity | None = None,
    grouped: Mapping[str, Any] | None = None,
    base_url: str | None = None,
    test: bool = False,
) -> dict[str, Any]:
    """The payload of one incident alert (``action``: open, update or close)."""
    ch = change
    closed = ch.action is ChangeAction.CLOSE
    geometry = (
        {"type": "Point", "coordinates": [round(ch.lon, 6), round(ch.lat, 6)]}
        if ch.lat is not None and ch.lon is not None
        else None
    )
    url = f"{base_url.rstrip('/')}/incidents/{incident_id}" if base_url and incident_id else None
    feature = {
        "type": "Feature",
        "id": incident_id,
        "geometry": geometry,
        "properties": {
            "incident_id": incident_id,
            "dedupe_key": ch.dedupe_key,
            "kind": ch.kind.value,
            "severity": ch.severity.value,
            "status": "closed" if closed else "open",
            "seq": seq,
            "summary": ch.summary,
            "subject_kind": ch.subject_kind,
            "subject_id": ch.subject_id,
            "subject_label": ch.subject_label,
            "zone_id": ch.zone_id,
            "zone_version": ch.zone_version,
            "url": url,
            "details": jsonable(dict(ch.details)),
        },
    }
    subject = (
        {"kind": ch.subject_kind, "id": ch.subject_id, "label": ch.subject_label or _label(ch)}
        if ch.subject_id
        else None
    )
    zone = {"id": ch.zone_id, "version": ch.zone_version} if ch.zone_id else None
    doc: dict[str, Any] = {
        "version": PAYLOAD_VERSION,
        "idempotency_key": key,
        "rule": rule,
        "channel": channel,
        "kind": ch.kind.value,
        "severity": ch.severity.value,
        "previous_severity": previous_severity.value if previous_severity else None,
        "action": action,
        "incident": feature,
        "zone": zone,
        "subject": subject,
        "times": {
            "event_at": iso_z(ch.at),
            "started_at": iso_z(started_at) if started_at else None,
            "ended_at": iso_z(ch.at) if closed else None,
        },
        "grouped": dict(grouped) if grouped else None,
        "url": url,
    }
    if test:
        doc["test"] = True
    doc["title"], doc["text"] = render(doc)
    return doc


def zone_payload(
    *,
    key: str,
    rule: str,
    channel: str,
    version: ZoneVersion,
    base_url: str | None = None,
    test: bool = False,
) -> dict[str, Any]:
    """The payload of a zone change (declared, amended or lifted)."""
    v = version
    url = f"{base_url.rstrip('/')}/api/zones/{v.zone_id}/history" if base_url else None
    zone = {
        "id": v.zone_id,
        "version": v.version,
        "key": v.key,
        "name": v.name,
        "kind": v.kind.value,
        "status": v.status.value,
        "severity": v.severity.value,
        "authority": v.authority,
        "source_ref": v.source_ref,
        "source_url": v.source_url,
        "applies_to": v.applies_to.value,
        "floor_ft": v.floor_ft,
        "ceiling_ft": None if v.ceiling_ft == UNLIMITED_FT else v.ceiling_ft,
        "valid_from": iso_z(v.valid_from) if v.valid_from else None,
        "valid_to": iso_z(v.valid_to) if v.valid_to else None,
        "confidence": v.confidence,
        "description": v.description,
        "feature": _zone_feature(v),
    }
    doc: dict[str, Any] = {
        "version": PAYLOAD_VERSION,
        "idempotency_key": key,
        "rule": rule,
        "channel": channel,
        "kind": "zone_change",
        "severity": v.severity.value,
        "previous_severity": None,
        "action": v.change.value,
        "incident": None,
        "zone": zone,
        "subject": None,
        "times": {
            "event_at": iso_z(v.recorded_at or v.valid_from) if (v.recorded_at or v.valid_from) else None,
            "started_at": iso_z(v.valid_from) if v.valid_from else None,
            "ended_at": iso_z(v.valid_to) if v.valid_to else None,
        },
        "grouped": None,
        "url": url,
    }
    if test:
        doc["test"] = True
    doc["title"], doc["text"] = render(doc)
    return doc


#: zone outlines in a payload are simplified to at most about this many vertices
MAX_ZONE_VERTICES = 500


def _zone_feature(v: ZoneVersion) -> dict[str, Any] | None:
    import shapely

    geom = v.geometry
    if geom is None:
        return None
    tolerance_deg = 0.001
    while shapely.get_num_coordinates(geom) > MAX_ZONE_VERTICES and tolerance_deg < 1.0:
        geom = shapely.simplify(v.geometry, tolerance_deg, preserve_topology=True)
        tolerance_deg *= 4
    return {
        "type": "Feature",
        "id": v.key,
        "geometry": jsonable(shapely.geometry.mapping(shapely.set_precision(geom, 1e-6))),
        "properties": {"zone_id": v.zone_id, "version": v.version, "name": v.name},
    }


def _label(ch: IncidentChange) -> str | None:
    cs = ch.details.get("callsign") if isinstance(ch.details, Mapping) else None
    return str(cs).strip() or None if cs else None


def jsonable(value: Any) -> Any:
    """``value`` with datetimes as ISO strings, tuples and sets as lists, enums as values."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, datetime):
        return iso_z(value) if value.tzinfo else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    return str(value)
