"""Query parameters to domain queries, with errors that name the parameter.

Times are ISO-8601; a value without an offset is taken as UTC (as on the CLI).

:func:`incident_filters` is the one FastAPI dependency declaring the incident filters
(``since`` … ``cursor``); every incident endpoint takes it, so the parameters and their
documentation are written once.

No ``from __future__ import annotations`` here: FastAPI reads the ``Annotated`` parameter
types of :func:`incident_filters` at run time.
"""

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import Query

from monitor.domain import IncidentKind, Severity
from monitor.store import IncidentQuery, QueryError, Store
from monitor.store.queries import MAX_LIMIT, decode_cursor, list_incidents, parse_bbox
from monitor.timeutil import parse_utc_lenient
from monitor.web.errors import bad_param

KINDS = tuple(k.value for k in IncidentKind)
SEVERITIES = tuple(s.value for s in Severity)
STATUSES = ("open", "closed")
GEOMETRY_MODES = ("track", "position", "cell")

# --- what the OpenAPI document says of each parameter --------------------------------------
# The parameters stay plain strings for FastAPI (so a bad value answers our 400 naming the
# parameter, not a 422), and the document gives their grammar: enums, ``date-time``, the
# bbox pattern. An empty value means "not given", so enums list ``""`` and patterns allow it.

_LON = r"-?(180(\.0+)?|(1[0-7][0-9]|[0-9]{1,2})(\.[0-9]+)?)"
_LAT = r"-?(90(\.0+)?|[0-8]?[0-9](\.[0-9]+)?)"
#: ``min_lon,min_lat,max_lon,max_lat`` in range (min <= max is checked by the server);
#: the same text is the server's check (``re.fullmatch``) and the document's ``pattern``
BBOX_PATTERN = rf"^ *$|^ *{_LON} *, *{_LAT} *, *{_LON} *, *{_LAT} *$"
_BBOX_RE = re.compile(BBOX_PATTERN)


def string_schema(**schema: Any) -> Callable[[dict[str, Any]], None]:
    """``json_schema_extra`` making an optional string parameter's schema ``{"type":
    "string", **schema}`` (no ``anyOf`` with ``null``: a query string has no null)."""

    def fix(s: dict[str, Any]) -> None:
        s.pop("anyOf", None)
        s["type"] = "string"
        s.update(schema)

    return fix


def enum_schema(values: Iterable[str], *, optional: bool = True) -> Callable[[dict[str, Any]], None]:
    return string_schema(enum=([""] if optional else []) + list(values))


def list_pattern(values: Iterable[str]) -> str:
    """Pattern of a comma-separated list of ``values`` (blank items skipped)."""
    one = "|".join(re.escape(v) for v in values)
    return rf"^ *({one})? *(, *({one})? *)*$"


#: an ISO-8601 time, or empty for "not given" (a time without an offset is taken as UTC,
#: minutes without seconds are accepted)
TIME_SCHEMA = string_schema(anyOf=[{"format": "date-time"}, {"maxLength": 0}])
CURSOR_PATTERN = "^[A-Za-z0-9_=-]*$"
_CURSOR_RE = re.compile(CURSOR_PATTERN)
_KINDS_RE = re.compile(list_pattern(KINDS))
BBOX_SCHEMA = string_schema(pattern=BBOX_PATTERN)


def _kind_list_schema(s: dict[str, Any]) -> None:
    """``kind``: repeated, each value a comma-separated list of kinds."""
    s.pop("anyOf", None)
    s.update(type="array", items={"type": "string", "pattern": list_pattern(KINDS)})


#: times outside these years are refused: windows and look-backs computed from them would
#: leave the range of a datetime (0001-01-01 minus ten minutes)
_YEARS = (1900, 2200)


def parse_time(value: str | None, param: str) -> datetime | None:
    if value is None or not value.strip():
        return None
    try:
        when = parse_utc_lenient(value)
    except (ValueError, OverflowError):
        raise bad_param(param, f"not an ISO-8601 time: {value!r}") from None
    if not _YEARS[0] <= when.year <= _YEARS[1]:
        raise bad_param(param, f"time {value!r} is out of range ({_YEARS[0]}..{_YEARS[1]})")
    return when


def parse_bbox_param(value: str | None) -> tuple[float, float, float, float] | None:
    if value is None or not value.strip():
        return None
    try:
        box = parse_bbox(value)
    except QueryError as exc:
        raise bad_param("bbox", str(exc).removeprefix("bbox: ")) from None
    if not _BBOX_RE.fullmatch(value):  # what float() takes beyond the documented grammar
        raise bad_param("bbox", f"not four decimal numbers (e.g. -70.5,9,-60,13.25): {value!r}")
    return box


def parse_kinds(values: Sequence[str] | None) -> tuple[str, ...]:
    kinds: list[str] = []
    for raw in values or ():
        if not _KINDS_RE.fullmatch(raw):
            bad = next((k.strip() for k in raw.split(",") if k.strip() not in KINDS), raw)
            raise bad_param("kind", f"unknown kind {bad!r}; known: {', '.join(KINDS)}")
        for k in raw.split(","):
            k = k.strip()
            if not k:
                continue
            if k not in KINDS:
                raise bad_param("kind", f"unknown kind {k!r}; known: {', '.join(KINDS)}")
            kinds.append(k)
    return tuple(dict.fromkeys(kinds))


def parse_choice(value: str | None, param: str, choices: Iterable[str]) -> str | None:
    if value is None or not value.strip():
        return None
    allowed = tuple(choices)
    if value not in allowed:
        raise bad_param(param, f"unknown value {value!r}; expected one of: {', '.join(allowed)}")
    return value


def check_zone(
    zone: str | None, known: Callable[[], Iterable[str]], store: Store | None = None
) -> str | None:
    """``zone`` if it names a zone version or a zone incidents were recorded in, else 400."""
    if zone is None or not zone.strip():
        return None
    zone = zone.strip()
    if zone in set(known()):
        return zone
    if store is not None:
        rows, _ = list_incidents(store.engine, IncidentQuery(zone=zone, limit=1))
        if rows:
            return zone
    raise bad_param("zone", f"unknown zone {zone!r}")


def check_cursor(cursor: str | None) -> str | None:
    """A cursor this API handed out, else 400 (checked before the query runs)."""
    if not cursor:
        return None
    if not _CURSOR_RE.fullmatch(cursor):
        raise bad_param("cursor", f"not a cursor returned by this API: {cursor[:80]!r}")
    try:
        decode_cursor(cursor)
    except (QueryError, AttributeError, TypeError, ValueError, UnicodeDecodeError):
        raise bad_param("cursor", f"not a cursor returned by this API: {cursor[:80]!r}") from None
    return cursor


def clamp_limit(limit: int) -> int:
    if limit < 1:
        raise bad_param("limit", f"must be at least 1, got {limit}")
    return min(limit, MAX_LIMIT)


def incident_query(
    *,
    since: str | None,
    until: str | None,
    bbox: str | None,
    zone: str | None,
    kind: Sequence[str] | None,
    severity: str | None,
    subject: str | None,
    status: str | None,
    cursor: str | None,
    limit: int,
    known_zones: Callable[[], Iterable[str]],
    store: Store,
) -> IncidentQuery:
    """Build and validate the :class:`IncidentQuery` of ``GET /api/incidents``."""
    since_t = parse_time(since, "since")
    until_t = parse_time(until, "until")
    if since_t and until_t and since_t > until_t:
        raise bad_param("since", f"{since} is after until {until}")
    return IncidentQuery(
        since=since_t,
        until=until_t,
        bbox=parse_bbox_param(bbox),
        zone=check_zone(zone, known_zones, store),
        kinds=parse_kinds(kind),
        min_severity=parse_choice(severity, "severity", SEVERITIES),
        subject=subject.strip() if subject and subject.strip() else None,
        status=parse_choice(status, "status", STATUSES),
        limit=clamp_limit(limit),
        cursor=check_cursor(cursor),
    )


Since = Annotated[
    str | None,
    Query(description="active at or after (ISO-8601; no offset = UTC)", json_schema_extra=TIME_SCHEMA),
]
Until = Annotated[
    str | None, Query(description="active at or before (ISO-8601)", json_schema_extra=TIME_SCHEMA)
]
Bbox = Annotated[
    str | None,
    Query(description="min_lon,min_lat,max_lon,max_lat (WGS84 degrees; min <= max)",
          json_schema_extra=BBOX_SCHEMA),
]
Zone = Annotated[
    str | None,
    Query(description="zone id, e.g. SVZM; an unknown zone is a 400", json_schema_extra=string_schema()),
]
Kind = Annotated[
    list[str] | None,
    Query(
        description="incident kind; repeat or comma-separate",
        json_schema_extra=_kind_list_schema,
    ),
]
SeverityQ = Annotated[
    str | None,
    Query(description="minimum severity: info, low, medium, high, critical",
          json_schema_extra=enum_schema(SEVERITIES)),
]
Subject = Annotated[
    str | None,
    Query(description="ICAO hex, call sign, MMSI or vessel name", json_schema_extra=string_schema()),
]
Status = Annotated[str | None, Query(description="open or closed", json_schema_extra=enum_schema(STATUSES))]
Cursor = Annotated[
    str | None,
    Query(description="`next_cursor` of the previous page (opaque; anything else is a 400)",
          json_schema_extra=string_schema(pattern=CURSOR_PATTERN)),
]


@dataclass(frozen=True, slots=True)
class IncidentFilters:
    """The incident filters of a request, as given (validated by :meth:`query`)."""

    since: str | None = None
    until: str | None = None
    bbox: str | None = None
    zone: str | None = None
    kind: Sequence[str] | None = None
    severity: str | None = None
    subject: str | None = None
    status: str | None = None
    cursor: str | None = None

    def query(
        self, *, limit: int, known_zones: Callable[[], Iterable[str]], store: Store
    ) -> IncidentQuery:
        """The validated :class:`IncidentQuery` (400 naming the parameter at fault)."""
        return incident_query(
            since=self.since,
            until=self.until,
            bbox=self.bbox,
            zone=self.zone,
            kind=self.kind,
            severity=self.severity,
            subject=self.subject,
            status=self.status,
            cursor=self.cursor,
            limit=limit,
            known_zones=known_zones,
            store=store,
        )


async def incident_filters(
    since: Since = None,
    until: Until = None,
    bbox: Bbox = None,
    zone: Zone = None,
    kind: Kind = None,
    severity: SeverityQ = None,
    subject: Subject = None,
    status: Status = None,
    cursor: Cursor = None,
) -> IncidentFilters:
    """FastAPI dependency: the incident filters of ``GET /api/incidents`` and its exports.

    ``async`` although it awaits nothing: FastAPI runs a plain ``def`` dependency in its
    thread pool, a thread hop per request for a function that only packs its arguments."""
    return IncidentFilters(since, until, bbox, zone, kind, severity, subject, status, cursor)
