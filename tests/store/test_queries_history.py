"""History queries on both backends: ``list_incidents`` (the API's incident list) and
``query_observations`` (bbox + time over stored positions), against the store's own
``query_incidents`` and against plain Python filtering of what was written."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import timedelta

import orjson
import pytest
import shapely
from sqlalchemy import text

from monitor.domain import ChangeAction, IncidentKind, Severity
from monitor.export.incidents import FIELDS
from monitor.store import IncidentQuery, StoreBatch
from monitor.store.queries import (
    LIST_FIELDS,
    MAX_QUERY_CELLS,
    POSTGRES_CELL,
    SQLITE_CELL,
    ObservationQuery,
    list_incidents,
    observation_cells,
    query_observations,
    wkt_to_geojson,
)
from tests.builders import T0, aircraft, at, change, vessel

# (key, minutes after T0 it opens, minutes it lasts or None if open, track, kind, severity)
INCIDENTS = [
    ("a", 0, 30, ((-66.9, 10.6), (-66.5, 10.8)), IncidentKind.INCURSION, Severity.HIGH),
    ("b", 10, None, ((-64.0, 12.0),), IncidentKind.GOING_DARK, Severity.MEDIUM),
    ("c", 20, 5, ((-70.0, 15.0), (-69.0, 15.5), (-68.0, 16.0)), IncidentKind.LOITERING, Severity.LOW),
    ("d", 60, 10, ((-66.95, 10.55),), IncidentKind.INCURSION, Severity.CRITICAL),
    ("e", 120, 60, ((-60.0, 5.0), (-59.5, 5.5)), IncidentKind.EMERGENCY, Severity.CRITICAL),
    ("f", 125, None, ((-66.0, 11.0), (-65.0, 12.0)), IncidentKind.INCURSION, Severity.INFO),
    ("g", 125, 1, ((-79.0, 1.0),), IncidentKind.REROUTE, Severity.HIGH),
]


def fill(store) -> dict[str, int]:  # type: ignore[no-untyped-def]
    ids: dict[str, int] = {}
    for key, start, dur, track, kind, sev in INCIDENTS:
        lon, lat = track[-1]
        opened = store.apply(StoreBatch(changes=[change(
            key, t=at(start), kind=kind, severity=sev, lon=lon, lat=lat, track=track,
            subject_id=f"s{key}", subject_label=f"CALL{key.upper()}", zone_id="SVZM" if key < "d" else "TTZP",
            details={"n": ord(key), "note": f"incident {key}"},
        )]))
        ids[key] = opened[0].incident_id
        if dur is not None:
            store.apply(StoreBatch(changes=[change(
                key, ChangeAction.CLOSE, t=at(start + dur), kind=kind, severity=sev, lon=lon, lat=lat,
                track=(), subject_id=f"s{key}",
            )]))
    return ids


QUERIES = [
    IncidentQuery(),
    IncidentQuery(limit=2),
    IncidentQuery(bbox=(-67.5, 10.0, -66.0, 11.0)),
    IncidentQuery(bbox=(-67.5, 10.0, -66.0, 11.0), since=at(40), until=at(65)),
    IncidentQuery(since=at(100)),
    IncidentQuery(until=at(15)),
    IncidentQuery(since=at(22), until=at(24)),
    IncidentQuery(bbox=(-80.0, 0.0, -55.0, 20.0), since=at(0), until=at(200), limit=3),
    IncidentQuery(bbox=(-50.0, 20.0, -40.0, 30.0)),
    IncidentQuery(kinds=("incursion",), status="open"),
    IncidentQuery(min_severity="critical", bbox=(-70.0, 0.0, -55.0, 12.0)),
    IncidentQuery(subject="calla"),
    IncidentQuery(zone="TTZP", since=at(61)),
]


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: repr(q)[14:90])
def test_list_incidents_selects_and_orders_as_query_incidents(store, query):
    fill(store)
    want, want_cursor = store.query_incidents(query)
    got, got_cursor = list_incidents(store.engine, query)
    assert [i.id for i in got] == [r.id for r in want]
    assert got_cursor == want_cursor


def test_cursor_pages_cover_a_bbox_and_time_query_once_newest_first(store):
    ids = fill(store)
    q = IncidentQuery(bbox=(-80.0, 0.0, -55.0, 20.0), since=at(0), until=at(300), limit=2)
    seen = []
    while True:
        page, cursor = list_incidents(store.engine, q)
        seen += page
        if cursor is None:
            break
        q = replace(q, cursor=cursor)
    assert sorted(i.id for i in seen) == sorted(ids.values())
    keys = [(i.started_at, i.id) for i in seen]
    assert keys == sorted(keys, reverse=True)


def test_list_items_carry_the_api_texts(store):
    ids = fill(store)
    full = {r.id: r for r in store.query_incidents(IncidentQuery())[0]}
    items, _ = list_incidents(store.engine, IncidentQuery())
    assert LIST_FIELDS == FIELDS
    for item in items:
        row = full[item.id]
        assert item.started_at == row.started_at.isoformat().replace("+00:00", "Z")
        assert item.ended_at == (row.ended_at.isoformat().replace("+00:00", "Z") if row.ended_at else None)
        assert orjson.loads(item.details_json) == row.details
        assert item.geometry_wkt is None
        assert shapely.from_geojson(item.geometry_json).equals(row.geom)
    first = next(i for i in items if i.id == ids["a"])
    assert first.started_at == "2025-12-02T10:00:00Z"
    assert orjson.loads(first.geometry_json) == {
        "type": "LineString", "coordinates": [[-66.9, 10.6], [-66.5, 10.8]]
    }


def test_incident_without_position_is_found_by_time(store):
    store.apply(StoreBatch(changes=[change("nowhere", t=at(5), lon=None, lat=None, track=())]))
    fill(store)
    q = IncidentQuery(since=at(4), until=at(6))
    got = {i.summary for i in list_incidents(store.engine, q)[0]}
    assert "incursion nowhere" in got
    assert got == {r.summary for r in store.query_incidents(q)[0]}
    (item,) = [i for i in list_incidents(store.engine, q)[0] if i.summary == "incursion nowhere"]
    assert item.geometry_json is None and item.geometry_wkt is None


def test_a_late_change_dated_before_the_start_is_stored_and_found(store):
    """An update whose time precedes the incident's start used to refuse the whole batch on
    SQLite ("rtree constraint failed": the R*Tree interval would end before it starts)."""
    store.apply(StoreBatch(changes=[change("late", t=at(30))]))
    store.apply(StoreBatch(changes=[change("late", ChangeAction.UPDATE, t=at(10), lon=-66.8, lat=10.7)]))
    q = IncidentQuery(bbox=(-67.0, 10.5, -66.5, 11.0), since=at(5), until=at(35))
    assert [i.summary for i in list_incidents(store.engine, q)[0]] == ["incursion late"]
    assert [r.summary for r in store.query_incidents(q)[0]] == ["incursion late"]


@pytest.mark.parametrize(
    "wkt",
    [
        "POINT (-66.9 10.6)",
        "POINT (0 -0)",
        "LINESTRING (-67.4 10.2, -67.1 10.45, -66.9 10.6)",
        "LINESTRING (1.2345e-7 1, 180 -90.1234568)",
        "POINT (1e-8 1e+20)",
    ],
)
def test_wkt_rewrite_is_the_geojson_shapely_writes(wkt):
    rewritten = wkt_to_geojson(wkt)
    assert rewritten is not None
    assert orjson.loads(rewritten) == orjson.loads(shapely.to_geojson(shapely.from_wkt(wkt)))


@pytest.mark.parametrize(
    "wkt",
    [
        "POINT EMPTY",
        "POINT Z (1 2 3)",
        "LINESTRING (1 2 3, 4 5 6)",
        "LINESTRING(1 2,3 4)",
        "LINESTRING (1 2,3 4)",
        "POLYGON ((0 0, 1 0, 1 1, 0 0))",
        "POINT (nan 1)",
        "POINT (.5 1)",
        "MULTIPOINT ((1 2), (3 4))",
    ],
)
def test_wkt_rewrite_leaves_everything_else_to_shapely(wkt):
    assert wkt_to_geojson(wkt) is None


# --- observations ------------------------------------------------------------------------------


def grid_fixes(seed: int = 3) -> list:  # type: ignore[type-arg]
    rng = random.Random(seed)
    fixes = []
    for k in range(400):
        lon, lat = round(rng.uniform(-70.0, -60.0), 4), round(rng.uniform(5.0, 15.0), 4)
        t = T0 + timedelta(seconds=rng.randrange(0, 6 * 3600))
        make = aircraft if k % 2 else vessel
        fixes.append(make(f"{k:06x}" if k % 2 else str(200_000_000 + k), lon, lat, t, source="test"))
    # on the corners and edges of cells and of the query boxes below
    fixes.append(aircraft("edge01", -65.0, 10.0, at(30), source="test"))
    fixes.append(aircraft("edge02", -62.25, 12.5, at(30), source="test"))
    fixes.append(aircraft("edge03", 180.0, 90.0, at(30), source="test"))
    fixes.append(aircraft("edge04", -180.0, -90.0, at(30), source="test"))
    return fixes


def expected(fixes, q: ObservationQuery) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    out = []
    for o in fixes:
        if q.bbox is not None:
            x0, y0, x1, y1 = q.bbox
            if not (x0 <= o.lon <= x1 and y0 <= o.lat <= y1):
                continue
        if q.since is not None and o.time < q.since:
            continue
        if q.until is not None and o.time > q.until:
            continue
        if q.subject is not None and o.subject_id != q.subject:
            continue
        out.append((o.subject_id, o.time.isoformat().replace("+00:00", "Z")))
    return sorted(out)


OBS_QUERIES = [
    ObservationQuery(bbox=(-66.0, 8.0, -64.0, 10.0), since=at(0), until=at(60)),
    ObservationQuery(bbox=(-65.0, 10.0, -62.25, 12.5), since=at(0), until=at(360)),
    ObservationQuery(bbox=(-70.0, 5.0, -60.0, 15.0), since=at(100), until=at(160)),  # > MAX cells
    ObservationQuery(bbox=(179.0, 89.0, 180.0, 90.0)),
    ObservationQuery(bbox=(-180.0, -90.0, -179.9, -89.9)),
    ObservationQuery(since=at(300)),
    ObservationQuery(bbox=(-70.0, 5.0, -65.0, 10.0), subject="000001"),
]


@pytest.mark.parametrize("query", OBS_QUERIES, ids=lambda q: repr(q)[17:95])
def test_observations_in_a_box_and_time_range(store, query):
    fixes = grid_fixes()
    store.apply(StoreBatch(observations=fixes))
    got, cursor = query_observations(store.engine, query)
    assert cursor is None
    assert sorted((o.subject_id, o.observed_at) for o in got) == expected(fixes, query)
    keys = [(o.observed_at, o.id) for o in got]
    assert keys == sorted(keys, reverse=True)


def test_observation_pages_cover_everything_once(store):
    fixes = grid_fixes()
    store.apply(StoreBatch(observations=fixes))
    q = ObservationQuery(bbox=(-70.0, 5.0, -64.0, 11.0), since=at(0), until=at(300), limit=7)
    seen = []
    while True:
        page, cursor = query_observations(store.engine, q)
        assert len(page) <= 7
        seen += page
        if cursor is None:
            break
        q = replace(q, cursor=cursor)
    assert sorted((o.subject_id, o.observed_at) for o in seen) == expected(fixes, q)
    assert len({o.id for o in seen}) == len(seen)


def test_python_and_sql_agree_on_every_fix_cell(store):
    """The grid cell of the index (SQL) is the one observation_cells lists (Python)."""
    fixes = grid_fixes()
    store.apply(StoreBatch(observations=fixes))
    cell_sql = SQLITE_CELL if store.dialect == "sqlite" else POSTGRES_CELL
    with store.engine.connect() as conn:
        rows = conn.execute(text(f"SELECT lon, lat, {cell_sql} FROM observation")).all()  # noqa: S608 - constant
    for lon, lat, cell in rows:
        assert cell in observation_cells((lon, lat, lon, lat)), (lon, lat, cell)


def test_a_box_lists_at_most_max_cells():
    assert len(observation_cells((-66.0, 8.0, -64.0, 10.0)) or []) == 9 * 9
    assert observation_cells((-80.0, 0.0, -55.0, 20.0)) is None
    assert len(observation_cells((-70.0, 5.0, -65.01, 9.99)) or []) <= MAX_QUERY_CELLS


def test_the_observation_query_reads_the_cell_index(store):
    """The expression of the query is the one indexed (else the index is never used)."""
    store.apply(StoreBatch(observations=grid_fixes()))
    cells = ",".join(str(c) for c in observation_cells((-66.0, 8.0, -64.0, 10.0)) or [])
    with store.engine.connect() as conn:
        if store.dialect == "sqlite":
            plan = " ".join(str(r[-1]) for r in conn.exec_driver_sql(
                f"EXPLAIN QUERY PLAN SELECT id FROM observation WHERE {SQLITE_CELL} IN ({cells})"  # noqa: S608 - constant
            ))
        else:
            conn.exec_driver_sql("SET enable_seqscan = off")
            plan = " ".join(r[0] for r in conn.exec_driver_sql(
                f"EXPLAIN SELECT id FROM observation WHERE {POSTGRES_CELL} IN ({cells})"  # noqa: S608 - constant
            ))
    assert "ix_observation_cell_time" in plan
