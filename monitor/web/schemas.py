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
