"""Sample alerts for ``monitor alerts test RULE``: what the rule would send, marked as a test.

Pure: builds a plausible incident change (or zone version) that matches the rule, and the
payload each of the rule's channels would receive, with ``"test": true`` in it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import shapely

from monitor.alerts.message import render
from monitor.alerts.payload import incident_payload, zone_payload
from monitor.alerts.rules import ZONE_CHANGE, AlertRule
from monitor.domain import (
    AppliesTo,
    ChangeAction,
    IncidentChange,
    IncidentKind,
    Severity,
    ZoneKind,
    ZoneStatus,
    ZoneVersion,
)

#: a reroute as the reroute detector describes it (keys of its ``details``)
SAMPLE_REROUTE_DETAILS: dict[str, Any] = {
    "callsign": "TST123",
    "route": "KMIA-SBGR",
    "origin_icao": "KMIA",
    "origin_name": "Miami International",
    "destination_icao": "SBGR",
    "destination_name": "Guarulhos",
    "avoided_zones": ["SVZM"],
    "great_circle_km": 6560.0,
    "extra_distance_km": 312.0,
    "extra_time_min": 24.0,
    "cruise_speed_kt": 470,
    "left_track_at": "2025-12-02T10:42:00+00:00",
    "left_track_lat": 14.2,
    "left_track_lon": -66.1,
    "firs_used": ["FIR-TNCF", "FIR-TTZP"],
    "firs_used_names": ["Curacao FIR", "Piarco FIR"],
}


#: the severity detectors give these kinds (others: high)
_TYPICAL_SEVERITY = {
    IncidentKind.REROUTE: Severity.LOW,
    IncidentKind.BOUNDARY_AVOIDANCE: Severity.LOW,
    IncidentKind.TURNBACK: Severity.MEDIUM,
    IncidentKind.DIVERSION: Severity.MEDIUM,
    IncidentKind.FEED_HEALTH: Severity.MEDIUM,
}


def sample_payloads(rule: AlertRule, *, now: datetime, base_url: str | None = None) -> list[dict[str, Any]]:
    """One test payload per channel of ``rule``."""
    run = uuid.uuid4().hex[:8]
    out = []
    if rule.kinds and rule.kinds <= {ZONE_CHANGE}:
        version = sample_zone(rule, now)
        for channel in rule.channels:
            key = f"test-{run}:{rule.name}:zone:{channel}"
            out.append(zone_payload(key=key, rule=rule.name, channel=channel, version=version, base_url=base_url, test=True))
        return out
    change = sample_change(rule, now)
    for channel in rule.channels:
        key = f"test-{run}:{rule.name}:{channel}"
        doc = incident_payload(
            key=key,
            rule=rule.name,
            channel=channel,
            action="open",
            change=change,
            incident_id=0,
            seq=1,
            started_at=now,
            base_url=base_url,
            test=True,
        )
        if base_url:  # no incident behind a test: link the map, so the link itself is tested
            doc["url"] = doc["incident"]["properties"]["url"] = base_url.rstrip("/") + "/"
            doc["title"], doc["text"] = render(doc)
        out.append(doc)
    return out


def sample_change(rule: AlertRule, now: datetime) -> IncidentChange:
    kinds = sorted(k for k in rule.kinds if k != ZONE_CHANGE)
    kind = IncidentKind(kinds[0]) if kinds else IncidentKind.INCURSION
    if IncidentKind.REROUTE.value in kinds:
        kind = IncidentKind.REROUTE
    severity = max(rule.min_severity, _TYPICAL_SEVERITY.get(kind, Severity.HIGH), key=lambda s: s.rank)
    zone = next((z for z in rule.zones if not any(c in z for c in "*?[")), None) or "SVZM"
    subject_kind, subject_id, label = "aircraft", "abcdef", "TST123"
    if rule.subjects.icao24:
        subject_id = sorted(rule.subjects.icao24)[0]
    if rule.subjects.callsigns:
        label = rule.subjects.callsigns[0].replace("*", "1").replace("?", "1")
    if kind.value in ("zone_entry", "zone_crossing", "going_dark", "loitering", "rendezvous", "spoofing", "fast_craft", "identity_conflict", "identity_change"):
        subject_kind, subject_id, label = "vessel", sorted(rule.subjects.mmsi or {"775000001"})[0], "TEST VESSEL"
    if kind is IncidentKind.FEED_HEALTH:
        subject_kind, subject_id, label = "feed", sorted(rule.subjects.feeds or {"adsb_lol"})[0], None
    details: dict[str, Any] = {"callsign": label} if subject_kind == "aircraft" else {}
    summary = f"test {kind.value.replace('_', ' ')} in {zone}"
    if kind is IncidentKind.REROUTE:
        details = {**SAMPLE_REROUTE_DETAILS, "callsign": label, "avoided_zones": [zone]}
        summary = f"{label} KMIA-SBGR rerouted around {zone}: +312 km, about +24 min"
    return IncidentChange(
        action=ChangeAction.OPEN,
        dedupe_key=f"test:{rule.name}",
        kind=kind,
        severity=severity,
        at=now,
        summary=summary,
        subject_kind=subject_kind,
        subject_id=subject_id,
        subject_label=label,
        zone_id=zone if kind is not IncidentKind.FEED_HEALTH else None,
        lat=11.2,
        lon=-66.4,
        details=details,
    )


def sample_zone(rule: AlertRule, now: datetime) -> ZoneVersion:
    zone = next((z for z in rule.zones if not any(c in z for c in "*?[")), None) or "SVZM"
    return ZoneVersion(
        zone_id=zone,
        version=0,
        name=f"{zone} (test)",
        kind=ZoneKind.CLOSED_AIRSPACE,
        status=ZoneStatus.CLOSED,
        severity=Severity.HIGH,
        authority="TEST",
        source_ref="monitor alerts test",
        geometry=shapely.box(-67.0, 10.5, -66.0, 11.5),
        applies_to=AppliesTo.AIRCRAFT,
        valid_from=now,
        recorded_at=now,
        description="A test zone change; nothing was declared.",
    )
