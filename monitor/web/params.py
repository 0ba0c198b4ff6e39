"""Query parameters to domain queries, with errors that name the parameter.

Times are ISO-8601; a value without an offset is taken as UTC (as on the CLI).

:func:`incident_filters` is the one FastAPI dependency declaring the incident filters
(``since`` … ``cursor``); every incident endpoint takes it, so the parameters and their
documentation are written once.

No ``from __future__ import annotations`` here: FastAPI reads the ``Annotated`` parameter
types of :func:`incident_filters` at run time.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

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


def parse_time(value: str | None, param: str) -> datetime | None:
    if value is None or not value.strip():
        return None
    try:
        return parse_utc_lenient(value)
    except ValueError:
        raise bad_param(param, f"not an ISO-8601 time: {value!r}") from None


def parse_bbox_param(value: str | None) -> tuple[float, float, float, float] | None:
    if value is None or not value.strip():
        return None
    try:
        return parse_bbox(value)
    except QueryError as exc:
        raise bad_param("bbox", str(exc).removeprefix("bbox: ")) from None


def parse_kinds(values: Sequence[str] | None) -> tuple[str, ...]:
    kinds: list[str] = []
    for raw in values or ():
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


Since = Annotated[str | None, Query(description="active at or after (ISO-8601; no offset = UTC)")]
Until = Annotated[str | None, Query(description="active at or before (ISO-8601)")]
Bbox = Annotated[str | None, Query(description="min_lon,min_lat,max_lon,max_lat (WGS84)")]
Zone = Annotated[str | None, Query(description="zone id, e.g. SVZM")]
Kind = Annotated[list[str] | None, Query(description="incident kind; repeat or comma-separate")]
SeverityQ = Annotated[
    str | None, Query(description="minimum severity: info, low, medium, high, critical")
]
Subject = Annotated[str | None, Query(description="ICAO hex, call sign, MMSI or vessel name")]
Status = Annotated[str | None, Query(description="open or closed")]
Cursor = Annotated[str | None, Query(description="`next_cursor` of the previous page")]


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
