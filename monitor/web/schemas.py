"""Response models of the API (pydantic), for the OpenAPI schema and for tests.

Handlers serialise with orjson and do not validate at run time (a 1,000-feature page would
pay for it on every request); tests validate real answers against these models.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class ErrorBody(BaseModel):
    error: str = Field(description="machine-readable code: bad_parameter, not_found ...")
    param: str | None = Field(None, description="the query or path parameter at fault")
    message: str = Field(description="what is wrong, starting with the parameter name")


class Geometry(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str = Field(description="GeoJSON geometry type; WGS84 lon/lat")
    coordinates: Any = None


class IncidentProperties(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: int
    kind: str
    severity: str
    status: Literal["open", "closed"]
    subject_kind: str | None = None
    subject_id: str | None = Field(None, description="ICAO 24-bit hex or MMSI")
    subject_label: str | None = Field(None, description="call sign or vessel name")
    zone_id: str | None = None
    zone_version: int | None = None
    started_at: datetime
    last_seen_at: datetime
    ended_at: datetime | None = None
    lat: float | None = None
    lon: float | None = None
    summary: str = ""
    details: dict[str, Any] = Field(default_factory=dict)
    url: str | None = Field(None, description="the incident page")


class IncidentFeature(BaseModel):
    type: Literal["Feature"] = "Feature"
    id: int
    geometry: Geometry | None
    properties: IncidentProperties


class IncidentCollection(BaseModel):
    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[IncidentFeature]
    count: int = Field(description="features in this page")
    next_cursor: str | None = Field(None, description="pass as `cursor` for the next page")


class IncidentEvent(BaseModel):
    seq: int
    action: str
    at: datetime
    severity: str
    summary: str
    details: dict[str, Any] = Field(default_factory=dict)


class EvidenceItem(BaseModel):
    observed_at: datetime
    source: str = Field(description="feed instance that delivered the observation")
    note: str
    record_ref: str | None = Field(None, description="capture record it came from (file:line)")
    subject_id: str | None = None
    lat: float | None = None
    lon: float | None = None
    altitude_ft: float | None = None
    ground_speed_kt: float | None = None
    track_deg: float | None = None


class AlertItem(BaseModel):
    id: int
    rule: str
    channel: str
    state: str
    attempts: int
    created_at: datetime
    delivered_at: datetime | None = None
    last_error: str | None = None


class IncidentDetail(IncidentFeature):
    events: list[IncidentEvent] = Field(description="the incident's timeline")
    evidence: list[EvidenceItem]
    alerts: list[AlertItem]


class ZoneProperties(BaseModel):
    model_config = ConfigDict(extra="allow")
    zone_id: str
    version: int
    key: str
    name: str
    kind: str
    status: str
    severity: str
    authority: str
    source_ref: str
    source_url: str | None = None
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    effective_from: datetime | None = Field(None, description="start of the interval in force")
    effective_to: datetime | None = Field(None, description="end of the interval in force")
    floor_ft: float
    ceiling_ft: float | None = Field(None, description="null means unlimited")
    applies_to: str
    confidence: float
    change: str
    description: str = ""
    group: str | None = None
    in_force: bool = Field(description="in force at the `at` of the request")


class ZoneFeature(BaseModel):
    type: Literal["Feature"] = "Feature"
    id: str = Field(description="zone_id@vN")
    geometry: Geometry | None
    properties: ZoneProperties


class ZoneCollection(BaseModel):
    type: Literal["FeatureCollection"] = "FeatureCollection"
    at: datetime | None = Field(None, description="time the zones are in force at")
    zone_id: str | None = None
    features: list[ZoneFeature]


class LiveProperties(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str = Field(description="ICAO hex or MMSI")
    source: str
    time: datetime
    style: str | None = Field(None, description="aircraft: normal, military, emergency, ground")
    category: str | None = Field(None, description="vessel category from the AIS ship type")
    callsign: str | None = None
    name: str | None = None
    altitude_ft: float | None = None
    ground_speed_kt: float | None = None
    track_deg: float | None = None
    nav_status: int | None = Field(None, description="AIS navigational status code (ITU-R M.1371)")


class LiveFeature(BaseModel):
    type: Literal["Feature"] = "Feature"
    id: str
    geometry: Geometry
    properties: LiveProperties


class LiveCollection(BaseModel):
    type: Literal["FeatureCollection"] = "FeatureCollection"
    kind: Literal["aircraft", "vessels"]
    version: int = Field(description="snapshot version; pass as `since_version` next time")
    at: datetime | None = Field(None, description="data time of the snapshot")
    full: bool = Field(description="true: the whole view; false: only changes since_version")
    removed: list[str] = Field(description="ids to drop (gone, or moved out of the bbox)")
    count: int
    total: int = Field(description="objects in the whole snapshot")
    features: list[LiveFeature]


class FeedHealth(BaseModel):
    source: str
    kind: str
    status: str
    polls: int
    failures: int
    records: int
    errors: dict[str, int]
    last_poll_at: datetime | None = None
    poll_age_s: float | None = Field(None, description="wall seconds since the last poll")
    last_ok_at: datetime | None = None
    last_data_at: datetime | None = None
    data_age_s: float | None = Field(None, description="data-time seconds since the last record")
    last_error: str | None = None
    latency_s: float | None = None


class FeedsStatus(BaseModel):
    now: datetime
    clock: datetime | None = Field(None, description="data time the monitor is at")
    banner: str | None = None
    feeds: list[FeedHealth]


class TrafficPoint(BaseModel):
    hour: datetime
    aircraft: int


class TrafficSeries(BaseModel):
    zone: str
    series: list[TrafficPoint]


class Health(BaseModel):
    status: str
    checks: dict[str, str] = Field(default_factory=dict)


# --- rewind, tracks and the crisis record (monitor.web.api_history) ----------------------------


class PositionCollection(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: Literal["FeatureCollection"] = "FeatureCollection"
    kind: Literal["aircraft", "vessels"]
    count: int
    features: list[LiveFeature]


class FeatureCollectionBody(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[dict[str, Any]]


class SnapshotLookback(BaseModel):
    aircraft: int = Field(description="seconds before `at` an aircraft's last stored position may be")
    vessels: int = Field(description="seconds before `at` a vessel's last stored position may be")


class SnapshotBody(BaseModel):
    at: datetime = Field(description="the time rewound to")
    bbox: list[float] | None = None
    lookback_s: SnapshotLookback
    aircraft: PositionCollection = Field(description="each aircraft's latest stored position in the lookback")
    vessels: PositionCollection = Field(description="each vessel's latest stored position in the lookback")
    zones: ZoneCollection = Field(description="zone versions in force at `at`")
    incidents: IncidentCollection = Field(description="incidents active at `at` (geometry: last position)")


class PositionsProperties(BaseModel):
    model_config = ConfigDict(extra="allow")
    subject_id: str
    count: int
    truncated: bool
    times: list[datetime] = Field(description="observation time of each vertex, oldest first")


class PositionsFeature(BaseModel):
    type: Literal["Feature"] = "Feature"
    id: str
    geometry: Geometry | None = Field(description="LineString; a Point for one position; null for none")
    properties: PositionsProperties


class ExtentRange(BaseModel):
    first: datetime | None = None
    last: datetime | None = None


class DataExtentBody(BaseModel):
    incidents: ExtentRange = Field(description="first start and last activity of the stored incidents")
    positions: ExtentRange = Field(description="first and last stored positions")
    clock: datetime | None = Field(None, description="data time the monitor is at")


class CrisisEventProperties(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str = Field(description="stable id, e.g. strike-2025-09-02-1")
    kind: Literal["airspace", "strike"]
    time: datetime = Field(description="as reported; 00:00 UTC of the day when only the day is known")
    time_precision: Literal["minute", "day"]
    title: str
    source_url: str = Field(description="the public page the facts come from")
    source_title: str
    zone_id: str | None = Field(None, description="approximate strike area or FIR the event refers to")
    location_note: str | None = None


class CrisisEventFeature(BaseModel):
    type: Literal["Feature"] = "Feature"
    id: str
    geometry: Geometry | None = Field(description="null: no coordinates were released")
    properties: CrisisEventProperties


class CrisisEventCollection(BaseModel):
    type: Literal["FeatureCollection"] = "FeatureCollection"
    attribution: str
    count: int
    features: list[CrisisEventFeature]


# --- media types of the answers, for the OpenAPI document ---------------------------------
# Handlers return ready-made ``Response`` objects; these classes only tell FastAPI which
# media type a route's 200 answer has, so the document says what the server sends.

from fastapi.responses import JSONResponse as _JSONResponse  # noqa: E402


class GeoJSONResponse(_JSONResponse):
    """``application/geo+json`` (RFC 7946)."""

    media_type = "application/geo+json"


def error_responses(*codes: int, **descriptions: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries of error answers: always ``application/json``
    :class:`ErrorBody`, whatever the media type of the route's 200 answer.

    ``descriptions`` maps ``"e400"`` … to a description of that status. The schema is a
    reference to ``ErrorBody`` in the document's components, where the JSON routes that
    declare ``{"model": ErrorBody}`` (``/api/stats/traffic`` among them) put it."""
    schema = {"$ref": "#/components/schemas/ErrorBody"}
    return {
        code: {
            "description": descriptions.get(f"e{code}", "error; `param` names the parameter at fault"),
            "content": {"application/json": {"schema": schema}},
        }
        for code in codes
    }


# --- the airspace status board (``/api/status``) and traffic by operator -------------------


class BoardRule(BaseModel):
    """One rule (zone version) on the status board."""

    zone_id: str
    version: int
    name: str
    kind: str = Field(description="prohibited, closed, advisory, statement (lifted in changes)")
    binds: str = Field(description="all, civil, operators:US, carriers:IBE,AEA, nobody")
    binds_text: str = Field(description="whom it binds, in words")
    binding: bool = Field(description="false for advisories and statements: they bind nobody")
    since: str | None
    until: str | None = Field(description="null: until further notice")
    authority: str
    sources: list[str] = Field(description="source addresses, the main one first")
    notes: str = ""
    confidence: float = 1.0
    firs: list[str] = Field(default_factory=list)


class BoardChange(BoardRule):
    change: str = Field(description="took effect, ended, lifted")
    at: str | None


class BoardEndedRule(BoardRule):
    ended_at: str | None
    zones: list[str] = Field(default_factory=list, description="every zone whose rule of this authority and kind ended then")


class BoardCount(BaseModel):
    key: str = Field(description="ISO 3166 alpha-2 State of registry or ICAO operator designator; '' unknown")
    label: str
    flights: int


class BoardFlights(BaseModel):
    total: int
    by_registry: list[BoardCount]
    by_operator: list[BoardCount]


class BoardReroute(BaseModel):
    incident_id: int
    callsign: str | None
    route: str | None
    avoided_zones: list[str]
    firs_used: list[str]
    extra_distance_km: float | None
    extra_time_min: float | None
    started_at: str | None
    severity: str
    summary: str


class BoardFir(BaseModel):
    fir: str = Field(description="FIR code, e.g. SVZM")
    zone_id: str
    name: str
    watched: bool
    binding_in_force: bool
    rules: list[BoardRule] = Field(description="rules in force at the board's time")
    changes_24h: list[BoardChange]
    flights_now: BoardFlights
    reroutes_24h: list[BoardReroute]


class DayCount(BaseModel):
    day: str
    flights: int


class OperatorReturnEvent(BaseModel):
    zone: str
    operator_icao: str
    day: str
    last_seen_day: str
    gap_days: int
    flights: int
    text: str


class TrafficBaseline(BaseModel):
    since: str | None
    until: str | None
    days: int
    days_with_data: int
    flights_per_day: float | None = Field(description="null: no stored counts in the baseline")


class OperatorSeries(BaseModel):
    key: str
    label: str
    flights: int
    per_day: list[DayCount]
    baseline_per_day: float | None


class BoardTraffic(BaseModel):
    zone: str
    days: list[DayCount]
    baseline: TrafficBaseline
    top_operators: list[OperatorSeries]


class StatusBoard(BaseModel):
    at: str | None
    generated_at: str | None
    binding_in_force: bool
    headline: str = Field(description='"Nothing binding in force. ..." or the binding rules')
    last_binding_ended: BoardEndedRule | None
    flights_source: str
    firs: list[BoardFir]
    reroutes_24h: list[BoardReroute]
    traffic: BoardTraffic
    operator_returns: list[OperatorReturnEvent]
    open_incidents: dict[str, int]


class OperatorTrafficStats(BaseModel):
    zone: str
    since: str | None
    until: str | None
    baseline: TrafficBaseline
    days: list[DayCount]
    flights: int
    operators: list[OperatorSeries]
    registries: list[OperatorSeries]
    operator_returns: list[OperatorReturnEvent]
