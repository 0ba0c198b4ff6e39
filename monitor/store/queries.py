"""Incident and observation queries shared by the API, the CLI and the exports."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

import orjson
from sqlalchemy import Engine
from sqlalchemy.engine import Connection

from monitor.domain import Severity
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


# --- history queries: incident lists and observations, bbox + time --------------------------
#
# The API's incident list (the live map and the history view) asks "what happened in this
# box in this time range", newest first, a page at a time; so does a history of stored
# positions. These functions answer with hand-written SQL per backend that
#
# * finds the rows through a spatio-temporal index: on SQLite the R*Tree of incidents' bbox
#   and active interval in days (``incident_active_rtree``, migration 0003) and, on PostGIS,
#   one GiST index over the geometry and the active interval (migration 0003); observations
#   through a b-tree over (0.25-degree grid cell, observed_at) on both (migration 0003);
# * returns what a GeoJSON answer needs in a form that needs no parsing: times as ISO-8601
#   text, the geometry as GeoJSON text (``ST_AsGeoJSON`` on PostGIS; on SQLite the stored
#   WKT of a Point or LineString rewritten to GeoJSON as text, see wkt_to_geojson),
#   ``details`` as its stored JSON text. The web layer embeds those texts as they are
#   (orjson.Fragment), so no row is parsed into shapely or Python objects on the way.

#: at most this many R*Tree candidates are fetched by id; beyond, the incidents are read in
#: ``started_at`` order through its b-tree (dense results: the first page comes quickly)
RTREE_CANDIDATES_MAX = 4000
#: a bbox covering more cells than this is read through the time index instead
MAX_QUERY_CELLS = 400
#: R*Tree coordinates are 32-bit floats rounded outwards (times are epoch days in
#: ``incident_active_rtree``, about 3 minutes apart there); the time window is widened by
#: this much before asking it, and the exact conditions run on its candidates
_RTREE_SLACK_S = 600.0
_S_PER_DAY = 86400.0

#: the grid cell of a position (0.25 degree squares), exactly as the index of migration 0003
#: computes it; ``observation_cells`` is the same formula in Python
SQLITE_CELL = (
    "(CASE WHEN lat BETWEEN -90.0 AND 90.0 AND lon BETWEEN -180.0 AND 180.0 "
    "THEN CAST((lat + 90.0) * 4.0 AS INTEGER) * 2000 + CAST((lon + 180.0) * 4.0 AS INTEGER) "
    "ELSE -1 END)"
)
POSTGRES_CELL = (
    "(CASE WHEN lat BETWEEN -90.0 AND 90.0 AND lon BETWEEN -180.0 AND 180.0 "
    "THEN floor((lat + 90.0) * 4.0)::integer * 2000 + floor((lon + 180.0) * 4.0)::integer "
    "ELSE -1 END)"
)


class IncidentListItem(NamedTuple):
    """One incident as the list answers need it (no geometry object, no parsed JSON).

    The first fifteen fields are :data:`LIST_FIELDS` (the fields of ``monitor.export``).
    Times are ISO-8601 UTC text (``2025-12-02T09:30:00Z``, microseconds when not zero).
    ``geometry_json`` is the stored geometry as GeoJSON text (``"null"`` for an empty one);
    ``geometry_wkt`` carries the stored WKT instead when SQL could not rewrite it (SQLite:
    anything but a 2-D Point or LineString in canonical WKT), for the caller to convert.
    """

    id: int
    kind: str
    severity: str
    status: str
    subject_kind: str | None
    subject_id: str | None
    subject_label: str | None
    zone_id: str | None
    zone_version: int | None
    started_at: str
    last_seen_at: str
    ended_at: str | None
    lat: float | None
    lon: float | None
    summary: str
    details_json: str | None
    geometry_json: str | None
    geometry_wkt: str | None


LIST_FIELDS = IncidentListItem._fields[:15]


@dataclass(frozen=True)
class ObservationQuery:
    """Stored observations in ``[since, until]`` (inclusive) inside ``bbox``, newest first."""

    since: datetime | None = None
    until: datetime | None = None
    bbox: tuple[float, float, float, float] | None = None
    subject: str | None = None
    limit: int = MAX_LIMIT
    cursor: str | None = None

    def __post_init__(self) -> None:
        if self.since and self.until and self.since > self.until:
            raise QueryError("since", f"{iso_z(self.since)} is after until {iso_z(self.until)}")
        if self.bbox is not None:
            validate_bbox(self.bbox)
        if not 1 <= self.limit <= MAX_LIMIT:
            raise QueryError("limit", f"must be between 1 and {MAX_LIMIT}, got {self.limit}")


class ObservationItem(NamedTuple):
    """One stored observation; ``observed_at`` is ISO-8601 UTC text as in the API."""

    id: int
    subject_kind: str
    subject_id: str
    observed_at: str
    lat: float
    lon: float
    altitude_ft: float | None
    ground_speed_kt: float | None
    track_deg: float | None
    callsign: str | None
    source: str


class _Sql:
    """Bind parameters of one statement, named for the driver's paramstyle."""

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect
        self.params: dict[str, Any] = {}

    def bind(self, value: Any) -> str:
        name = f"p{len(self.params)}"
        if self.dialect == "sqlite" and isinstance(value, datetime):
            value = sqlite_time(value)
        self.params[name] = value
        return f":{name}" if self.dialect == "sqlite" else f"%({name})s"


def sqlite_time(value: datetime) -> str:
    """An aware datetime as the store writes it on SQLite, so text comparisons with stored
    times are exact: ``UTCDateTime`` hands the driver a naive UTC datetime, which the sqlite3
    module's adapter writes as ``isoformat(" ")`` (``2025-12-02 10:00:59``, microseconds only
    when not zero)."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")


def _iso_sql(dialect: str, col: str) -> str:
    """SQL turning a stored time into the API's ISO-8601 text (NULL stays NULL)."""
    if dialect == "sqlite":
        return (
            f"substr({col}, 1, 10) || 'T' || substr({col}, 12, 8) || CASE WHEN length({col}) > 19 "
            f"AND substr({col}, 20) <> '.000000' THEN substr({col}, 20) ELSE '' END || 'Z'"
        )
    return (
        f"to_char({col} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN "
        f"date_trunc('second', {col}) = {col} THEN '' "
        f"ELSE to_char({col} AT TIME ZONE 'UTC', '.US') END || 'Z'"
    )


_NUM = r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?"
_PAIR = f"{_NUM} {_NUM}"
_WKT_POINT = re.compile(rf"POINT \(({_PAIR})\)")
_WKT_LINE = re.compile(rf"LINESTRING \(({_PAIR}(?:, {_PAIR})*)\)")


def wkt_to_geojson(wkt: str) -> str | None:
    """GeoJSON text of a 2-D Point or LineString in the WKT shapely writes
    (``LINESTRING (x y, x y)``), by rewriting the text; None for anything else.

    The pattern admits only JSON numbers (``1e-07`` yes; ``nan``, ``.5``, ``01`` no), so
    the result is valid JSON whenever it is not None. Other geometries (polygons,
    collections, Z, EMPTY) are left to shapely by the caller.
    """
    m = _WKT_LINE.fullmatch(wkt)
    if m is not None:
        coords = m.group(1).replace(", ", "],[").replace(" ", ",")
        return f'{{"type":"LineString","coordinates":[[{coords}]]}}'
    m = _WKT_POINT.fullmatch(wkt)
    if m is not None:
        return f'{{"type":"Point","coordinates":[{m.group(1).replace(" ", ",")}]}}'
    return None


def _incident_columns(dialect: str) -> str:
    plain = "id, kind, severity, status, subject_kind, subject_id, subject_label, zone_id, zone_version"
    times = ", ".join(_iso_sql(dialect, c) for c in ("started_at", "last_seen_at", "ended_at"))
    if dialect == "sqlite":
        tail = "details, NULL, geom"  # the WKT becomes GeoJSON in Python (wkt_to_geojson)
    else:
        tail = (
            "details::text, CASE WHEN geom IS NULL THEN NULL WHEN ST_IsEmpty(geom) THEN 'null' "
            "ELSE ST_AsGeoJSON(geom) END, NULL"
        )
    return f"{plain}, {times}, lat, lon, summary, {tail}"


#: an incident's active time range, the expression of migration 0003's PostGIS GiST index
PG_ACTIVE_RANGE = "tstzrange(started_at, greatest(started_at, last_seen_at), '[]')"


def rtree_day_window(since: datetime | None, until: datetime | None) -> tuple[float, float]:
    """The window to ask ``incident_active_rtree`` for (epoch days, widened by its rounding)."""
    t0 = (since.timestamp() - _RTREE_SLACK_S) / _S_PER_DAY if since is not None else -1e9
    t1 = (until.timestamp() + _RTREE_SLACK_S) / _S_PER_DAY if until is not None else 1e9
    return t0, t1


def _rtree_window(q: IncidentQuery) -> tuple[float, float]:
    """The time window the R*Tree is asked (epoch days, widened), cursor included."""
    upper = q.until
    if q.cursor:
        c_started, _ = decode_cursor(q.cursor)
        upper = c_started if upper is None else min(upper, c_started)
    return rtree_day_window(q.since, upper)


def _sqlite_candidates(conn: Connection, q: IncidentQuery) -> list[int] | None:
    """Ids of the incidents that may match (R*Tree, plus incidents without a bbox when no
    bbox is asked), or None when there are more than :data:`RTREE_CANDIDATES_MAX`."""
    t0, t1 = _rtree_window(q)
    if q.bbox is not None:
        x0, y0, x1, y1 = q.bbox
    else:
        x0, y0, x1, y1 = -1e9, -1e9, 1e9, 1e9
    rows = conn.exec_driver_sql(
        "SELECT id FROM incident_active_rtree WHERE max_lon >= ? AND min_lon <= ? "
        "AND max_lat >= ? AND min_lat <= ? AND t1_day >= ? AND t0_day <= ? LIMIT ?",
        (x0, x1, y0, y1, t0, t1, RTREE_CANDIDATES_MAX + 1),
    ).fetchall()
    if len(rows) > RTREE_CANDIDATES_MAX:
        return None
    ids = [r[0] for r in rows]
    if q.bbox is None:  # incidents without a bbox are not in the R*Tree (partial index, 0003)
        sql = _Sql("sqlite")
        conds = ["min_lon IS NULL"]
        if q.since is not None:
            conds.append(f"last_seen_at >= {sql.bind(q.since)}")
        if q.until is not None:
            conds.append(f"started_at <= {sql.bind(q.until)}")
        ids += [
            r[0]
            for r in conn.exec_driver_sql(
                "SELECT id FROM incident INDEXED BY ix_incident_nobbox_started WHERE "  # noqa: S608 - values are bound
                + " AND ".join(conds),
                sql.params,
            )
        ]
    return ids


def _int_list(values: Iterable[int]) -> str:
    return ",".join(str(int(v)) for v in values) or "NULL"


def list_incidents(engine: Engine, q: IncidentQuery) -> tuple[list[IncidentListItem], str | None]:
    """Incidents matching ``q``, newest first (``started_at``, then id), and the cursor of
    the next page: what ``GET /api/incidents`` serves.

    Same filters and order as ``Store.query_incidents``. A bbox matches an incident's
    bounding box on SQLite and its geometry (``ST_Intersects``) on PostGIS.
    """
    dialect = engine.dialect.name
    if dialect not in ("sqlite", "postgresql"):
        raise QueryError("database", f"history queries support SQLite and PostgreSQL, not {dialect}")
    sql = _Sql(dialect)
    conds: list[str] = []
    if q.ids:
        conds.append(f"id IN ({_int_list(q.ids)})")
    if q.since is not None:
        since = sql.bind(q.since)
        conds.append(f"(ended_at IS NULL OR ended_at >= {since}) AND last_seen_at >= {since}")
    if q.until is not None:
        conds.append(f"started_at <= {sql.bind(q.until)}")
    if q.zone:
        conds.append(f"zone_id = {sql.bind(q.zone)}")
    if q.kinds:
        conds.append(f"kind IN ({', '.join(sql.bind(k) for k in q.kinds)})")
    if q.min_severity:
        conds.append(f"severity_rank >= {sql.bind(Severity(q.min_severity).rank)}")
    if q.status:
        conds.append(f"status = {sql.bind(q.status)}")
    if q.subject:
        s = q.subject.strip()
        conds.append(
            f"(subject_id = {sql.bind(s.lower())} OR subject_id = {sql.bind(s)} "
            f"OR upper(subject_label) = {sql.bind(s.upper())})"
        )
    if q.bbox is not None:
        x0, y0, x1, y1 = (sql.bind(float(v)) for v in q.bbox)
        if dialect == "postgresql":
            conds.append(f"ST_Intersects(geom, ST_MakeEnvelope({x0}, {y0}, {x1}, {y1}, 4326))")
            if q.since is not None or q.until is not None:
                # the same expression as the GiST index of migration 0003
                conds.append(
                    f"{PG_ACTIVE_RANGE} && "
                    f"tstzrange({sql.bind(q.since)}::timestamptz, "
                    f"{sql.bind(q.until)}::timestamptz, '[]')"
                )
        else:
            conds.append(
                f"max_lon >= {x0} AND min_lon <= {x1} AND max_lat >= {y0} AND min_lat <= {y1}"
            )
    if q.cursor:
        c_started, c_id = decode_cursor(q.cursor)
        c_time = sql.bind(c_started)
        conds.append(f"(started_at < {c_time} OR (started_at = {c_time} AND id < {sql.bind(c_id)}))")
    with engine.connect() as conn:
        if dialect == "sqlite" and (q.bbox is not None or q.since is not None or q.until is not None):
            candidates = _sqlite_candidates(conn, q)
            if candidates is not None:
                conds.append(f"id IN ({_int_list(candidates)})")
        where = f" WHERE {' AND '.join(conds)}" if conds else ""
        statement = (
            f"SELECT {_incident_columns(dialect)} FROM incident{where} "  # noqa: S608 - values are bound
            f"ORDER BY started_at DESC, id DESC LIMIT {int(q.limit) + 1}"
        )
        rows = conn.exec_driver_sql(statement, sql.params).fetchall()
    if dialect == "sqlite":
        items = [_sqlite_item(r) for r in rows]
    else:
        items = [IncidentListItem(*r) for r in rows]
    next_cursor = None
    if len(items) > q.limit:
        items = items[: q.limit]
        last = items[-1]
        next_cursor = encode_cursor(parse_utc(last.started_at), last.id)
    return items, next_cursor


def _sqlite_item(row: Any) -> IncidentListItem:
    wkt = row[17]
    geojson = wkt_to_geojson(wkt) if wkt is not None else None
    return IncidentListItem(*row[:16], geojson, None if geojson is not None else wkt)


def observation_cells(bbox: tuple[float, float, float, float]) -> list[int] | None:
    """The grid cells (migration 0003) a bbox covers, or None when more than
    :data:`MAX_QUERY_CELLS` (the query then reads the time index)."""
    min_lon, min_lat, max_lon, max_lat = bbox
    r0, r1 = int((min_lat + 90.0) * 4.0), int((max_lat + 90.0) * 4.0)
    c0, c1 = int((min_lon + 180.0) * 4.0), int((max_lon + 180.0) * 4.0)
    if (r1 - r0 + 1) * (c1 - c0 + 1) > MAX_QUERY_CELLS:
        return None
    return [r * 2000 + c for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)]


def query_observations(
    engine: Engine, q: ObservationQuery
) -> tuple[list[ObservationItem], str | None]:
    """Stored observations matching ``q``, newest first (``observed_at``, then id), and the
    cursor of the next page."""
    dialect = engine.dialect.name
    if dialect not in ("sqlite", "postgresql"):
        raise QueryError("database", f"history queries support SQLite and PostgreSQL, not {dialect}")
    sql = _Sql(dialect)
    conds: list[str] = []
    if q.bbox is not None:
        cells = observation_cells(q.bbox)
        if cells is not None:
            cell = SQLITE_CELL if dialect == "sqlite" else POSTGRES_CELL
            conds.append(f"{cell} IN ({_int_list(cells)})")
        x0, y0, x1, y1 = (sql.bind(float(v)) for v in q.bbox)
        conds.append(f"lon >= {x0} AND lon <= {x1} AND lat >= {y0} AND lat <= {y1}")
    if q.since is not None:
        conds.append(f"observed_at >= {sql.bind(q.since)}")
    if q.until is not None:
        conds.append(f"observed_at <= {sql.bind(q.until)}")
    if q.subject:
        conds.append(f"subject_id = {sql.bind(q.subject.strip())}")
    if q.cursor:
        c_time_value, c_id = decode_cursor(q.cursor)
        c_time = sql.bind(c_time_value)
        conds.append(f"(observed_at < {c_time} OR (observed_at = {c_time} AND id < {sql.bind(c_id)}))")
    where = f" WHERE {' AND '.join(conds)}" if conds else ""
    statement = (
        f"SELECT id, subject_kind, subject_id, {_iso_sql(dialect, 'observed_at')}, lat, lon, "  # noqa: S608 - values are bound
        f"altitude_ft, ground_speed_kt, track_deg, callsign, source FROM observation{where} "
        f"ORDER BY observed_at DESC, id DESC LIMIT {int(q.limit) + 1}"
    )
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(statement, sql.params).fetchall()
    items = [ObservationItem(*r) for r in rows]
    next_cursor = None
    if len(items) > q.limit:
        items = items[: q.limit]
        last = items[-1]
        next_cursor = encode_cursor(parse_utc(last.observed_at), last.id)
    return items, next_cursor


# --- rewind: the picture at a past time, one subject's track, the data's extent ---------------
#
# ``GET /api/snapshot`` asks "where was everything at T": the latest stored position of each
# subject in ``(T - lookback, T]``. The store keeps one position per subject per
# ``storage.observation_sample_s`` (60 s by default), so a lookback of a few sampling
# periods finds every subject that was reporting at T and drops those that had gone silent.
# The rows come through the time index (``ix_observation_time``) or, for a small bbox, the
# (cell, time) index of migration 0003; one row per subject is picked in SQL (SQLite: the
# bare columns of ``MAX(observed_at)`` come from that row; PostgreSQL: ``DISTINCT ON``).

#: at most this many subjects of one kind in a snapshot answer
SNAPSHOT_MAX_SUBJECTS = 50_000
#: a run of rowids this much longer than twice the window's rows is still walked (SQLite)
SNAPSHOT_RUN_SLACK = 2000
#: at most this many points in one track answer
TRACK_MAX_POINTS = 20_000


class SnapshotItem(NamedTuple):
    """The latest stored position of one subject at or before the snapshot time."""

    subject_kind: str
    subject_id: str
    observed_at: str
    lat: float
    lon: float
    altitude_ft: float | None
    ground_speed_kt: float | None
    track_deg: float | None
    callsign: str | None
    source: str


class TrackPoint(NamedTuple):
    """One stored position of a subject's track (``observed_at`` ISO-8601 UTC text)."""

    observed_at: str
    lon: float
    lat: float
    altitude_ft: float | None
    ground_speed_kt: float | None
    track_deg: float | None
    callsign: str | None
    source: str


def _sqlite_iso(text_time: str) -> str:
    """A stored SQLite time (``2025-12-02 10:00:59[.ffffff]``) as the API's ISO-8601 text."""
    head, _, frac = text_time.partition(".")
    frac = frac.rstrip("0")
    return head.replace(" ", "T") + (f".{frac}" if frac else "") + "Z"


def snapshot_positions(
    engine: Engine,
    *,
    at: datetime,
    lookback_s: float,
    subject_kind: str,
    bbox: tuple[float, float, float, float] | None = None,
    limit: int = SNAPSHOT_MAX_SUBJECTS,
) -> list[SnapshotItem]:
    """The latest stored position of every ``subject_kind`` subject observed in
    ``(at - lookback_s, at]`` (inside ``bbox`` when given: the latest position in the box),
    ordered by subject id; at most ``limit`` subjects."""
    dialect = engine.dialect.name
    if dialect not in ("sqlite", "postgresql"):
        raise QueryError("database", f"history queries support SQLite and PostgreSQL, not {dialect}")
    if bbox is not None:
        validate_bbox(bbox)
    start = at - timedelta(seconds=lookback_s)
    sql = _Sql(dialect)
    conds = [
        f"subject_kind = {sql.bind(subject_kind)}",
        f"observed_at > {sql.bind(start)}",
        f"observed_at <= {sql.bind(at)}",
    ]
    if bbox is not None:
        cells = observation_cells(bbox)
        if cells is not None:
            cell = SQLITE_CELL if dialect == "sqlite" else POSTGRES_CELL
            conds.append(f"{cell} IN ({_int_list(cells)})")
        x0, y0, x1, y1 = (sql.bind(float(v)) for v in bbox)
        conds.append(f"lon >= {x0} AND lon <= {x1} AND lat >= {y0} AND lat <= {y1}")
    cols = "lat, lon, altitude_ft, ground_speed_kt, track_deg, callsign, source"
    with engine.connect() as conn:
        table = "observation"
        if dialect == "sqlite" and (bbox is None or observation_cells(bbox) is None):
            # Positions are written in about the order of their time, so the rows of the
            # window are (nearly) one run of rowids: walking that run in the table is about
            # a third cheaper than one index lookup per row. The run is found through the
            # time index alone (covering); when it is much longer than the window's rows
            # (positions of other times written in between: a backfill) the index is used.
            lo_id, hi_id, n = conn.exec_driver_sql(
                "SELECT min(rowid), max(rowid), count(*) FROM observation "
                "WHERE observed_at > ? AND observed_at <= ?",
                (sqlite_time(start), sqlite_time(at)),
            ).one()
            if not n:
                return []
            if hi_id - lo_id + 1 <= 2 * n + SNAPSHOT_RUN_SLACK:
                table = "observation NOT INDEXED"
                conds.append(f"rowid BETWEEN {int(lo_id)} AND {int(hi_id)}")
        where = " AND ".join(conds)
        if dialect == "sqlite":
            statement = (
                f"SELECT subject_kind, subject_id, MAX(observed_at), {cols} FROM {table} "  # noqa: S608 - values are bound
                f"WHERE {where} GROUP BY subject_id ORDER BY subject_id LIMIT {int(limit)}"
            )
        else:
            statement = (
                f"SELECT DISTINCT ON (subject_id) subject_kind, subject_id, "  # noqa: S608 - values are bound
                f"{_iso_sql(dialect, 'observed_at')}, {cols} FROM observation WHERE {where} "
                f"ORDER BY subject_id, observed_at DESC, id DESC LIMIT {int(limit)}"
            )
        rows = conn.exec_driver_sql(statement, sql.params).fetchall()
    if dialect == "sqlite":
        return [SnapshotItem(r[0], r[1], _sqlite_iso(r[2]), *r[3:]) for r in rows]
    return [SnapshotItem(*r) for r in rows]


def subject_track(
    engine: Engine,
    subject_id: str,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = TRACK_MAX_POINTS,
) -> tuple[list[TrackPoint], bool]:
    """One subject's stored positions in ``[since, until]``, oldest first (the subject-time
    index), and whether more than ``limit`` matched (the answer then holds the first ones)."""
    dialect = engine.dialect.name
    if dialect not in ("sqlite", "postgresql"):
        raise QueryError("database", f"history queries support SQLite and PostgreSQL, not {dialect}")
    if since is not None and until is not None and since > until:
        raise QueryError("since", f"{iso_z(since)} is after until {iso_z(until)}")
    sql = _Sql(dialect)
    conds = [f"subject_id = {sql.bind(subject_id)}"]
    if since is not None:
        conds.append(f"observed_at >= {sql.bind(since)}")
    if until is not None:
        conds.append(f"observed_at <= {sql.bind(until)}")
    statement = (
        f"SELECT {_iso_sql(dialect, 'observed_at')}, lon, lat, altitude_ft, ground_speed_kt, "  # noqa: S608 - values are bound
        f"track_deg, callsign, source FROM observation WHERE {' AND '.join(conds)} "
        f"ORDER BY observed_at, id LIMIT {int(limit) + 1}"
    )
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(statement, sql.params).fetchall()
    points = [TrackPoint(*r) for r in rows]
    return points[:limit], len(points) > limit


class DataExtent(NamedTuple):
    """First and last times of the stored incidents and positions (None when there are none)."""

    incidents_first: datetime | None
    incidents_last: datetime | None
    positions_first: datetime | None
    positions_last: datetime | None


def data_extent(engine: Engine) -> DataExtent:
    """The stored incidents' first start and last activity, and the stored positions' first
    and last times: four index reads (``ix_incident_started``, ``ix_incident_last_seen``,
    ``ix_observation_time``)."""
    from sqlalchemy import func, select

    from monitor.store.models import IncidentRow, ObservationRow

    inc = IncidentRow.__table__  # type: ignore[attr-defined]
    obs = ObservationRow.__table__  # type: ignore[attr-defined]
    with engine.connect() as conn:
        first = conn.execute(select(func.min(inc.c.started_at))).scalar()
        last = conn.execute(select(func.max(inc.c.last_seen_at))).scalar()
        p_first = conn.execute(select(func.min(obs.c.observed_at))).scalar()
        p_last = conn.execute(select(func.max(obs.c.observed_at))).scalar()
    return DataExtent(first, last, p_first, p_last)
