"""Incident queries shared by the API, the CLI and the exports."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import datetime

import orjson

from monitor.errors import MonitorError
from monitor.timeutil import iso_z, parse_utc

MAX_LIMIT = 1000


class QueryError(MonitorError):
    """A query parameter is wrong; ``param`` names it."""

    def __init__(self, param: str, message: str) -> None:
        self.param = param
        super().__init__(f"{param}: {message}")


@dataclass(frozen=True)
class IncidentQuery:
    """Filters for incidents. Time range selects incidents *active* in ``[since, until]``."""

    since: datetime | None = None
    until: datetime | None = None
    bbox: tuple[float, float, float, float] | None = None  # min_lon, min_lat, max_lon, max_lat
    zone: str | None = None
    kinds: tuple[str, ...] = ()
    min_severity: str | None = None
    subject: str | None = None
    status: str | None = None
    limit: int = 100
    cursor: str | None = None
    ids: tuple[int, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.since and self.until and self.since > self.until:
            raise QueryError("since", f"{iso_z(self.since)} is after until {iso_z(self.until)}")
        if self.bbox is not None:
            validate_bbox(self.bbox)
        if not 1 <= self.limit <= MAX_LIMIT:
            raise QueryError("limit", f"must be between 1 and {MAX_LIMIT}, got {self.limit}")
        if self.status not in (None, "open", "closed"):
            raise QueryError("status", f"must be open or closed, got {self.status!r}")


def parse_bbox(text: str) -> tuple[float, float, float, float]:
    """``min_lon,min_lat,max_lon,max_lat`` to a tuple, with a message naming the problem."""
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 4:
        raise QueryError("bbox", f"expected min_lon,min_lat,max_lon,max_lat; got {text!r}")
    try:
        values = tuple(float(p) for p in parts)
    except ValueError:
        raise QueryError("bbox", f"not four numbers: {text!r}") from None
    bbox = (values[0], values[1], values[2], values[3])
    validate_bbox(bbox)
    return bbox


def validate_bbox(bbox: tuple[float, float, float, float]) -> None:
    min_lon, min_lat, max_lon, max_lat = bbox
    if not (-180 <= min_lon <= 180 and -180 <= max_lon <= 180):
        raise QueryError("bbox", f"longitudes must be within -180..180, got {min_lon}, {max_lon}")
    if not (-90 <= min_lat <= 90 and -90 <= max_lat <= 90):
        raise QueryError("bbox", f"latitudes must be within -90..90, got {min_lat}, {max_lat}")
    if min_lon > max_lon or min_lat > max_lat:
        raise QueryError("bbox", "min must not exceed max (min_lon,min_lat,max_lon,max_lat)")


def encode_cursor(started_at: datetime, incident_id: int) -> str:
    raw = orjson.dumps([iso_z(started_at), incident_id])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        started, incident_id = orjson.loads(base64.urlsafe_b64decode(padded))
        return parse_utc(started), int(incident_id)
    except (ValueError, TypeError, orjson.JSONDecodeError):
        raise QueryError("cursor", "not a cursor returned by this API") from None
