"""Query parameters to domain queries, with errors that name the parameter.

Times are ISO-8601; a value without an offset is taken as UTC (as on the CLI).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from monitor.domain import IncidentKind, Severity
from monitor.store import IncidentQuery, QueryError, Store
from monitor.store.queries import MAX_LIMIT, decode_cursor, parse_bbox
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
        rows, _ = store.query_incidents(IncidentQuery(zone=zone, limit=1))
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
