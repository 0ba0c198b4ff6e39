"""Database tables (SQLModel). Only ``monitor.store`` and the API's public models use them.

Portable SQL: every table works on SQLite and on PostgreSQL + PostGIS. Geometry columns are
PostGIS geometries (GiST-indexed by the migration) on PostgreSQL and WKT text on SQLite,
where incident bounding boxes are indexed by an R*Tree virtual table kept by triggers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from monitor.store.types import GeometryType, UTCDateTime


def _utc(**kw: Any) -> Any:
    return Field(sa_type=UTCDateTime, **kw)


class IncidentRow(SQLModel, table=True):
    __tablename__ = "incident"
    __table_args__ = (
        Index("ix_incident_kind_started", "kind", "started_at"),
        Index("ix_incident_zone_started", "zone_id", "started_at"),
        Index("ix_incident_subject_started", "subject_id", "started_at"),
        Index("ix_incident_status", "status"),
        Index("ix_incident_started", "started_at"),
        Index("ix_incident_last_seen", "last_seen_at"),
        Index("ix_incident_label", "subject_label"),
    )

    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str = Field(unique=True, max_length=300)
    kind: str = Field(max_length=40)
    severity: str = Field(max_length=10)
    severity_rank: int = 0
    status: str = Field(max_length=10)
    subject_kind: str | None = Field(default=None, max_length=10)
    subject_id: str | None = Field(default=None, max_length=40)
    subject_label: str | None = Field(default=None, max_length=80)
    zone_id: str | None = Field(default=None, max_length=80)
    zone_version: int | None = None
    started_at: datetime = _utc()
    last_seen_at: datetime = _utc()
    ended_at: datetime | None = _utc(default=None)
    updated_at: datetime = _utc()
    lat: float | None = None
    lon: float | None = None
    min_lon: float | None = None
    min_lat: float | None = None
    max_lon: float | None = None
    max_lat: float | None = None
    geom: Any = Field(default=None, sa_column=Column("geom", GeometryType()))
    summary: str = ""
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    change_seq: int = 0


class IncidentEventRow(SQLModel, table=True):
    """One change of an incident (its timeline); alert outbox rows point here."""

    __tablename__ = "incident_event"
    __table_args__ = (UniqueConstraint("incident_id", "seq", name="uq_incident_event_seq"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    seq: int
    action: str = Field(max_length=10)
    at: datetime = _utc()
    severity: str = Field(max_length=10)
    summary: str = ""
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class EvidenceRow(SQLModel, table=True):
    __tablename__ = "evidence"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    observed_at: datetime = _utc()
    source: str = Field(max_length=60)
    note: str = ""
    record_ref: str | None = Field(default=None, max_length=300)
    subject_id: str | None = Field(default=None, max_length=40)
    lat: float | None = None
    lon: float | None = None
    altitude_ft: float | None = None
    ground_speed_kt: float | None = None
    track_deg: float | None = None


class ZoneVersionRow(SQLModel, table=True):
    __tablename__ = "zone_version"
    __table_args__ = (UniqueConstraint("zone_id", "version", name="uq_zone_version"),)

    id: int | None = Field(default=None, primary_key=True)
    zone_id: str = Field(max_length=80, index=True)
    version: int
    name: str
    kind: str = Field(max_length=30)
    status: str = Field(max_length=20)
    severity: str = Field(max_length=10)
    authority: str
    source_ref: str
    source_url: str | None = None
    source_date: datetime | None = _utc(default=None)
    floor_ft: float = 0.0
    ceiling_ft: float | None = None
    valid_from: datetime | None = _utc(default=None)
    valid_to: datetime | None = _utc(default=None)
    confidence: float = 1.0
    applies_to: str = Field(max_length=10)
    change: str = Field(max_length=10)
    recorded_at: datetime = _utc()
    description: str = ""
    zone_group: str | None = Field(default=None, max_length=80)
    origin: str = Field(default="user", max_length=20)
    #: whom the rule binds (``BindingScope`` text); NULL: by status
    binds: str | None = Field(default=None, max_length=400)
    #: further source addresses, separated by spaces
    more_sources: str = ""
    notes: str = ""
    geom: Any = Field(sa_column=Column("geom", GeometryType(), nullable=False))


class ObservationRow(SQLModel, table=True):
    """Downsampled positions (one per subject per ``observation_sample_s``), kept for
    ``observation_retention_days``."""

    __tablename__ = "observation"
    __table_args__ = (
        Index("ix_observation_subject_time", "subject_id", "observed_at"),
        Index("ix_observation_time", "observed_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    subject_kind: str = Field(max_length=10)
    subject_id: str = Field(max_length=40)
    observed_at: datetime = _utc()
    lat: float
    lon: float
    altitude_ft: float | None = None
    ground_speed_kt: float | None = None
    track_deg: float | None = None
    callsign: str | None = Field(default=None, max_length=40)
    source: str = Field(max_length=60)
    record_ref: str | None = Field(default=None, max_length=300)


class VesselInfoRow(SQLModel, table=True):
    __tablename__ = "vessel_info"

    mmsi: str = Field(primary_key=True, max_length=12)
    name: str | None = None
    imo: int | None = None
    callsign: str | None = None
    ship_type: int | None = None
    length_m: float | None = None
    beam_m: float | None = None
    destination: str | None = None
    flag: str | None = Field(default=None, max_length=60)
    updated_at: datetime = _utc()


class FeedHealthRow(SQLModel, table=True):
    __tablename__ = "feed_health"

    source: str = Field(primary_key=True, max_length=60)
    kind: str = Field(max_length=30)
    status: str = Field(max_length=20)
    last_poll_at: datetime | None = _utc(default=None)
    last_ok_at: datetime | None = _utc(default=None)
    last_error_at: datetime | None = _utc(default=None)
    last_error: str | None = None
    polls: int = 0
    failures: int = 0
    records: int = 0
    items: int = 0
    latency_s: float | None = None
    errors: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = _utc()


class FeedOutageRow(SQLModel, table=True):
    """An interval in which a feed was down: outages are never mistaken for dark vessels."""

    __tablename__ = "feed_outage"
    __table_args__ = (Index("ix_feed_outage_source_started", "source", "started_at"),)

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=60)
    started_at: datetime = _utc()
    ended_at: datetime | None = _utc(default=None)
    reason: str = ""


class AlertOutboxRow(SQLModel, table=True):
    """An alert to deliver, written in the same transaction as the incident change."""

    __tablename__ = "alert_outbox"
    __table_args__ = (Index("ix_alert_outbox_state_next", "state", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    idempotency_key: str = Field(unique=True, max_length=300)
    rule: str = Field(max_length=80)
    channel: str = Field(max_length=200)
    incident_id: int | None = Field(default=None, foreign_key="incident.id", index=True)
    event_id: int | None = Field(default=None, foreign_key="incident_event.id")
    created_at: datetime = _utc()
    state: str = Field(default="pending", max_length=12)
    attempts: int = 0
    next_attempt_at: datetime = _utc()
    last_error: str | None = None
    delivered_at: datetime | None = _utc(default=None)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class AlertAttemptRow(SQLModel, table=True):
    __tablename__ = "alert_attempt"

    id: int | None = Field(default=None, primary_key=True)
    outbox_id: int = Field(foreign_key="alert_outbox.id", index=True)
    at: datetime = _utc()
    ok: bool
    error: str | None = None
    duration_s: float | None = None


class TrafficStatRow(SQLModel, table=True):
    """Distinct aircraft per hour inside a zone (the traffic-collapse series)."""

    __tablename__ = "traffic_stat"

    hour: datetime = Field(sa_type=UTCDateTime, primary_key=True)
    zone_id: str = Field(primary_key=True, max_length=80)
    aircraft: int = 0


class CheckpointRow(SQLModel, table=True):
    """Resumable work (a replay's position in its capture file)."""

    __tablename__ = "checkpoint"

    name: str = Field(primary_key=True, max_length=300)
    position: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = _utc()


class VesselIdentityHistoryRow(SQLModel, table=True):
    """A vessel's static data over time: each value of a name, call sign, IMO number, ship
    type or destination from when its MMSI first broadcast it (``old_value`` NULL: the first
    value heard), in the data time of the message. Append only: a value that comes back is
    a new row. Written with the ``vessel_info`` upsert, in the same transaction."""

    __tablename__ = "vessel_identity_history"
    __table_args__ = (
        Index("ix_vessel_identity_history_mmsi_at", "mmsi", "changed_at"),
        Index("ix_vessel_identity_history_at", "changed_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    mmsi: str = Field(max_length=12)
    #: ``name``, ``callsign``, ``imo``, ``ship_type`` or ``destination``
    attribute: str = Field(max_length=20)
    old_value: str | None = Field(default=None, max_length=120)
    new_value: str = Field(max_length=120)
    changed_at: datetime = _utc()
    source: str = Field(default="", max_length=60)


class OperatorTrafficRow(SQLModel, table=True):
    """Distinct flights (aircraft + call sign) per UTC day inside a FIR, per operator (ICAO
    designator, ``""`` unknown) and State of registry (ISO 3166 alpha-2, ``""`` unknown).
    Counted by :mod:`monitor.detectors.aviation.operators`; ``zone_id`` is the FIR code
    (``SVZM``, not ``FIR-SVZM``); ``day`` is midnight UTC."""

    __tablename__ = "operator_traffic"
    __table_args__ = (Index("ix_operator_traffic_zone_day", "zone_id", "day"),)

    day: datetime = Field(sa_type=UTCDateTime, primary_key=True)
    zone_id: str = Field(primary_key=True, max_length=80)
    operator_icao: str = Field(primary_key=True, max_length=8)
    registry_iso2: str = Field(primary_key=True, max_length=4)
    flights: int = 0
    updated_at: datetime = _utc()


class CoverageRow(SQLModel, table=True):
    """Which hours a source's positions cover: positions accepted per source, hour and
    origin (the run that counted them: ``backfill:<hash>`` for an import, the live
    process's name). A run replaces its own rows, so a resumed import does not count
    twice; readers sum over origins (``Store`` functions ``save_coverage`` / ``coverage``)."""

    __tablename__ = "coverage"
    __table_args__ = (Index("ix_coverage_hour", "hour"),)

    source: str = Field(primary_key=True, max_length=60)
    hour: datetime = Field(sa_type=UTCDateTime, primary_key=True)
    origin: str = Field(primary_key=True, max_length=120)
    positions: int = 0
    updated_at: datetime = _utc()
