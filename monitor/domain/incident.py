"""Incidents and the changes detectors propose to them.

A detector never writes an incident: it returns :class:`IncidentChange` values (open,
update, close) keyed by a ``dedupe_key``, so one anomaly is one incident however often it
is seen. The pipeline applies the changes, with their evidence and the alert outbox rows
they cause, in one database transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from monitor.domain.observation import Observation


class Severity(StrEnum):
    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {s: i for i, s in enumerate(Severity)}


class IncidentKind(StrEnum):
    # aviation
    INCURSION = "incursion"
    REROUTE = "reroute"
    BOUNDARY_AVOIDANCE = "boundary_avoidance"
    TURNBACK = "turnback"
    DIVERSION = "diversion"
    EMERGENCY = "emergency"
    DROPOUT = "dropout"
    GNSS_INTERFERENCE = "gnss_interference"
    POSITION_JUMP = "position_jump"
    MILITARY_PRESENCE = "military_presence"
    TRAFFIC_COLLAPSE = "traffic_collapse"
    #: an operator's first flight through a watched FIR after a gap of days (info)
    OPERATOR_RETURN = "operator_return"
    # maritime
    ZONE_ENTRY = "zone_entry"
    ZONE_CROSSING = "zone_crossing"
    GOING_DARK = "going_dark"
    LOITERING = "loitering"
    RENDEZVOUS = "rendezvous"
    SPOOFING = "spoofing"
    FAST_CRAFT = "fast_craft"
    #: one MMSI reported from two places no vessel could join in the time between them
    IDENTITY_CONFLICT = "identity_conflict"
    #: a vessel's name, call sign, IMO number or flag changed
    IDENTITY_CHANGE = "identity_change"
    # the monitor itself
    FEED_HEALTH = "feed_health"


class IncidentStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class ChangeAction(StrEnum):
    OPEN = "open"
    UPDATE = "update"
    CLOSE = "close"


@dataclass(frozen=True, slots=True)
class Evidence:
    """Why an incident was raised: one observation and the capture record it came from."""

    observed_at: datetime
    source: str
    note: str
    record_ref: str | None = None
    subject_id: str | None = None
    lat: float | None = None
    lon: float | None = None
    altitude_ft: float | None = None
    ground_speed_kt: float | None = None
    track_deg: float | None = None

    @classmethod
    def of(cls, obs: Observation, note: str) -> Evidence:
        return cls(
            observed_at=obs.time,
            source=obs.source,
            note=note,
            record_ref=obs.record_ref,
            subject_id=obs.subject_id,
            lat=obs.lat,
            lon=obs.lon,
            altitude_ft=obs.altitude_ft,
            ground_speed_kt=obs.ground_speed_kt,
            track_deg=obs.track_deg,
        )


@dataclass(frozen=True, slots=True)
class IncidentChange:
    """Open, update or close the incident identified by ``dedupe_key``.

    ``at`` is data time (the observation's time), never the wall clock. ``track`` holds
    (lon, lat) points to append to the incident's track geometry. An ``update`` may change
    severity, position, details and summary; the store keeps ``started_at`` from the open.
    """

    action: ChangeAction
    dedupe_key: str
    kind: IncidentKind
    severity: Severity
    at: datetime
    summary: str
    subject_kind: str | None = None
    subject_id: str | None = None
    subject_label: str | None = None
    zone_id: str | None = None
    zone_version: int | None = None
    lat: float | None = None
    lon: float | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
    evidence: tuple[Evidence, ...] = ()
    track: tuple[tuple[float, float], ...] = ()


@dataclass(slots=True)
class OpenIncident:
    """What the pipeline remembers of an open incident, for detectors to consult."""

    dedupe_key: str
    kind: IncidentKind
    severity: Severity
    started_at: datetime
    last_seen_at: datetime
    subject_id: str | None = None
    zone_id: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
