"""One incident with its timeline, evidence and alerts, as plain JSON-ready dicts."""

from __future__ import annotations

from datetime import datetime
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
