"""History queries with 10 million observations and 1 million incidents (issue 8).

Run: ``.venv/bin/python bench/bench_history.py [--observations 10000000] [--incidents 1000000]
[--queries 300] [--postgres-url postgresql://postgres@127.0.0.1:5432/postgres] [--keep DIR]``

Target: a bbox + time query p95 <= 100 ms on SQLite and on PostGIS.

For each backend (SQLite always; PostGIS when ``--postgres-url`` or
``MONITOR_TEST_POSTGRES_URL`` names a server):

1. Creates an empty database through the project's migrations (``Store.open``, Alembic):
   a SQLite file in a temporary folder, or a throwaway PostgreSQL database
   (``bench_history_<random>``, PostGIS enabled) that is dropped at the end, whatever
   happens.
2. Bulk-loads SYNTHETIC data: ``--incidents`` incidents spread over 2025 and the region
   (lon -80..-55, lat 0..20; the distribution of ``bench_api.py``), and ``--observations``
   positions of tracks (about 230 subjects at a time, one fix a minute, aircraft at
   450 kt and vessels at 12 kt on straight legs that bounce off the region's edges) over
   the last 30 days of 2025 (the default ``observation_retention_days``). SQLite gets
   ``executemany``, PostgreSQL ``COPY``. The migrations' b-tree and GiST indexes are set
   aside during the load and rebuilt after it (SQLite keeps its R*Tree triggers, so the
   R*Trees hold what the write path puts there), then ``ANALYZE``.
3. Reads the database into the OS page cache (the file on SQLite, ``pg_prewarm(…, 'read')``
   of the tables and their indexes on PostgreSQL; the machine's RAM holds them, as a
   server's would: ``--cold`` skips this and then measures the disk), then runs
   ``--queries`` random queries per kind, in this process, one at a time, through the
   store's query functions, twice (a first pass of queries not asked before, then the same
   queries again):

   * incidents, 2° x 2° box + 7-day window, 100 a page, with
     ``monitor.store.queries.list_incidents`` (what ``GET /api/incidents`` serves);
     and the same with ``Store.query_incidents`` (full rows, shapely geometries: what
     ``monitor incidents`` and the exports read);
   * observations, 2° x 2° box + 1-hour window, up to 1,000 a page, with
     ``monitor.store.queries.query_observations``; and the same with a 24-hour window.

   and prints p50 / p95 / p99 (ms) of each pass with the target, and the rows per answer.

The machine's cores are shared with whatever else runs: figures vary between runs.
Exits 0 whatever the figures (benchmarks report; tests hold the line).
"""

from __future__ import annotations

import argparse
import math
import os
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from monitor.store import IncidentQuery, Store  # noqa: E402
from monitor.store.queries import (  # noqa: E402
    ObservationQuery,
    list_incidents,
    query_observations,
    sqlite_time,
)

TARGET_P95_MS = 100.0
YEAR_START = datetime(2025, 1, 1, tzinfo=UTC)
YEAR_S = 365 * 86400
OBS_DAYS = 30
OBS_START = YEAR_START + timedelta(days=365 - OBS_DAYS)
OBS_STEP_S = 60
REGION = (-80.0, 0.0, -55.0, 20.0)
KINDS = ["incursion", "reroute", "dropout", "going_dark", "loitering", "rendezvous", "spoofing",
         "emergency", "gnss_interference", "fast_craft", "zone_entry", "military_presence"]
SEVERITIES = [("info", 0), ("low", 1), ("medium", 2), ("high", 3), ("critical", 4)]
ZONES = ["SVZM", "STRIKE-EAST", "STRIKE-WEST", "TTZP-W", "TNCF", "SKEC", None, None, None, None]
CHUNK = 100_000

INCIDENT_COLUMNS = (
    "id", "dedupe_key", "kind", "severity", "severity_rank", "status", "subject_kind", "subject_id",
    "subject_label", "zone_id", "zone_version", "started_at", "last_seen_at", "ended_at",
    "updated_at", "lat", "lon", "min_lon", "min_lat", "max_lon", "max_lat", "geom", "summary",
    "details", "change_seq",
)
OBSERVATION_COLUMNS = (
    "id", "subject_kind", "subject_id", "observed_at", "lat", "lon", "altitude_ft",
    "ground_speed_kt", "track_deg", "callsign", "source", "record_ref",
)


# --- synthetic data ----------------------------------------------------------------------------


def incidents(n: int, seed: int = 1) -> Iterator[tuple[Any, ...]]:
    """SYNTHETIC incidents in the order of INCIDENT_COLUMNS (times aware, geometry WKT)."""
    rng = random.Random(seed)
    for i in range(1, n + 1):
        t0 = YEAR_START + timedelta(seconds=rng.uniform(0, YEAR_S))
        end = t0 + timedelta(seconds=rng.expovariate(1 / 1800))
        lon0, lat0 = rng.uniform(-80, -55), rng.uniform(0, 20)
        lon1, lat1 = lon0 + rng.uniform(-0.3, 0.3), lat0 + rng.uniform(-0.3, 0.3)
        kind = rng.choice(KINDS)
        sev, rank = rng.choice(SEVERITIES)
        closed = rng.random() < 0.97
        aircraft = rng.random() < 0.5
        sid = f"{rng.randrange(0xFFFFFF):06x}" if aircraft else str(rng.randrange(200_000_000, 800_000_000))
        zone = rng.choice(ZONES)
        yield (
            i, f"bench:{i}", kind, sev, rank, "closed" if closed else "open",
            "aircraft" if aircraft else "vessel", sid, f"CS{i % 99999}", zone, 1 if zone else None,
            t0, end, end if closed else None, end, lat1, lon1,
            min(lon0, lon1), min(lat0, lat1), max(lon0, lon1), max(lat0, lat1),
            f"LINESTRING ({lon0:.5f} {lat0:.5f}, {lon1:.5f} {lat1:.5f})", f"{kind} bench {i}", "{}", 1,
        )


def observations(n: int, seed: int = 2) -> Iterator[tuple[Any, ...]]:
    """SYNTHETIC fixes in the order of OBSERVATION_COLUMNS, minute by minute over the last
    OBS_DAYS days of 2025; ``n / minutes`` subjects fly or sail straight legs that bounce
    off the region's edges (aircraft 450 kt, vessels 12 kt)."""
    rng = random.Random(seed)
    minutes = OBS_DAYS * 86400 // OBS_STEP_S
    subjects = max(1, math.ceil(n / minutes))
    x0, y0, x1, y1 = REGION
    state = []
    for k in range(subjects):
        aircraft = k % 2 == 0
        speed_deg_min = (450 if aircraft else 12) / 60.0 / 60.0  # kt -> nm/min -> deg/min
        heading = rng.uniform(0, 2 * math.pi)
        state.append([
            rng.uniform(x0, x1), rng.uniform(y0, y1),
            speed_deg_min * math.sin(heading), speed_deg_min * math.cos(heading),
            "aircraft" if aircraft else "vessel",
            f"{rng.randrange(0xFFFFFF):06x}" if aircraft else str(rng.randrange(200_000_000, 800_000_000)),
            450.0 if aircraft else 12.0, math.degrees(heading) % 360,
        ])
    obs_id = 0
    for minute in range(minutes):
        t = OBS_START + timedelta(seconds=minute * OBS_STEP_S)
        for s in state:
            if obs_id >= n:
                return
            s[0] += s[2]
            s[1] += s[3]
            if not x0 <= s[0] <= x1:
                s[2] = -s[2]
                s[0] = min(max(s[0], x0), x1)
            if not y0 <= s[1] <= y1:
                s[3] = -s[3]
                s[1] = min(max(s[1], y0), y1)
            obs_id += 1
            aircraft = s[4] == "aircraft"
            yield (
                obs_id, s[4], s[5], t, s[1], s[0], 35000.0 if aircraft else None, s[6], s[7],
                None, "bench", None,
            )


def chunks(rows: Iterator[tuple[Any, ...]], size: int = CHUNK) -> Iterator[list[tuple[Any, ...]]]:
    chunk: list[tuple[Any, ...]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# --- loading -----------------------------------------------------------------------------------


def _sqlite_row(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(sqlite_time(v) if isinstance(v, datetime) else v for v in row)


def fill_sqlite(path: Path, n_incidents: int, n_observations: int) -> float:
    """Migrate and bulk-load; returns the seconds it took."""
    Store.open(f"sqlite:///{path}").close()
    started = time.perf_counter()
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=OFF")
    con.execute("PRAGMA synchronous=OFF")
    con.execute("PRAGMA cache_size=-400000")
    saved = con.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        "AND tbl_name IN ('incident', 'observation')"
    ).fetchall()
    for name, _ in saved:
        con.execute(f'DROP INDEX "{name}"')
    for table, columns, rows in (
        ("incident", INCIDENT_COLUMNS, incidents(n_incidents)),
        ("observation", OBSERVATION_COLUMNS, observations(n_observations)),
    ):
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"  # noqa: S608 - fixed names
        for chunk in chunks(rows):
            con.executemany(sql, [_sqlite_row(r) for r in chunk])
            con.commit()
    for _, ddl in saved:
        con.execute(ddl)
    con.execute("ANALYZE")
    con.commit()
    con.close()
    return time.perf_counter() - started


def _pg_connect(url: str) -> Any:
    import psycopg

    return psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://", 1), autocommit=True)


def create_pg_database(admin_url: str) -> tuple[str, str]:
    """A new database with PostGIS; returns (its name, its URL)."""
    name = f"bench_history_{uuid.uuid4().hex[:10]}"
    with _pg_connect(admin_url) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = admin_url.rsplit("/", 1)[0] + "/" + name
    with _pg_connect(url) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    return name, url


def drop_pg_database(admin_url: str, name: str) -> None:
    with _pg_connect(admin_url) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def fill_postgres(url: str, n_incidents: int, n_observations: int) -> float:
    """Migrate and COPY; returns the seconds it took."""
    Store.open(url).close()
    started = time.perf_counter()
    with _pg_connect(url) as conn:
        saved = conn.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename IN "
            "('incident', 'observation') AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
            "WHERE c.conname = i.indexname)"
        ).fetchall()
        for name, _ in saved:
            conn.execute(f'DROP INDEX "{name}"')
        for table, columns, rows in (
            ("incident", INCIDENT_COLUMNS, incidents(n_incidents)),
            ("observation", OBSERVATION_COLUMNS, observations(n_observations)),
        ):
            geom_at = columns.index("geom") if "geom" in columns else -1
            with conn.cursor() as cur:
                with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        if geom_at >= 0:
                            row = (*row[:geom_at], f"SRID=4326;{row[geom_at]}", *row[geom_at + 1:])
                        copy.write_row(row)
        for _, ddl in saved:
            conn.execute(ddl)
        for table in ("incident", "observation"):
            conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")  # noqa: S608 - fixed names
            conn.execute(f"VACUUM ANALYZE {table}")
    return time.perf_counter() - started


# --- queries -----------------------------------------------------------------------------------


def random_box(rng: random.Random) -> tuple[float, float, float, float]:
    lon, lat = rng.uniform(-80, -57), rng.uniform(0, 18)
    return (round(lon, 2), round(lat, 2), round(lon + 2, 2), round(lat + 2, 2))


def incident_queries(n: int, seed: int) -> list[IncidentQuery]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        t0 = YEAR_START + timedelta(days=rng.uniform(0, 358))
        out.append(IncidentQuery(since=t0, until=t0 + timedelta(days=7), bbox=random_box(rng), limit=100))
    return out


def observation_queries(n: int, seed: int, window: timedelta) -> list[ObservationQuery]:
    rng = random.Random(seed)
    span_s = OBS_DAYS * 86400 - window.total_seconds()
    out = []
    for _ in range(n):
        t0 = OBS_START + timedelta(seconds=rng.uniform(0, span_s))
        out.append(ObservationQuery(since=t0, until=t0 + window, bbox=random_box(rng), limit=1000))
    return out


def pct(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def _line(label: str, times: list[float]) -> float:
    p95 = pct(times, 95)
    verdict = "meets" if p95 <= TARGET_P95_MS else "MISSES"
    print(f"    {label}: p50 {pct(times, 50):.1f} ms  p95 {p95:.1f} ms  p99 {pct(times, 99):.1f} ms"
          f"  -> target p95 <= {TARGET_P95_MS:.0f} ms: {verdict}")
    return p95


def measure(label: str, run: Callable[[Any], int], queries: list[Any]) -> tuple[float, float]:
    """Time every query twice: a first pass of queries not asked before (their pages are in
    the OS cache after ``prewarm``, not in the database's own cache), then the same again."""
    passes: list[list[float]] = [[], []]
    rows = 0
    for times in passes:
        for q in queries:
            t = time.perf_counter()
            rows += run(q)
            times.append((time.perf_counter() - t) * 1000)
    print(f"  {label} ({rows / (2 * len(queries)):.0f} rows per answer):")
    return _line("first pass", passes[0]), _line("repeated  ", passes[1])


def explain(store: Store, run: Callable[[Any], int], query: Any) -> None:
    """Print the plan of the statements ``run(query)`` sends (EXPLAIN ANALYZE on PostgreSQL)."""
    from sqlalchemy import event

    seen: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cur: Any, statement: str, params: Any, *_: Any) -> None:
        seen.append((statement, params))

    event.listen(store.engine, "before_cursor_execute", capture)
    try:
        run(query)
    finally:
        event.remove(store.engine, "before_cursor_execute", capture)
    prefix = "EXPLAIN ANALYZE " if store.dialect == "postgresql" else "EXPLAIN QUERY PLAN "
    with store.engine.connect() as conn:
        for statement, params in seen:
            print(f"    {statement[:90]}...")
            for row in conn.exec_driver_sql(prefix + statement, params):
                print(f"      {row[-1]}")


def prewarm(store: Store) -> None:
    """Read the database into the OS page cache (as a server's steady state: the machine's RAM
    holds the few GB), so the first pass measures queries, not a cold disk."""
    started = time.perf_counter()
    if store.dialect == "sqlite":
        path = store.engine.url.database or ""
        with open(path, "rb") as f:
            while f.read(1 << 24):
                pass
    else:
        with store.engine.begin() as conn:
            conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
            conn.exec_driver_sql(
                "SELECT pg_prewarm(c.oid::regclass, 'read') FROM pg_class c WHERE c.oid IN "
                "(SELECT 'incident'::regclass UNION SELECT 'observation'::regclass UNION "
                "SELECT indexrelid FROM pg_index WHERE indrelid IN "
                "('incident'::regclass, 'observation'::regclass))"
            )
    print(f"  read the database into the OS page cache first ({time.perf_counter() - started:.0f} s)")


def run_queries(store: Store, n: int, *, show_plans: bool = False, warm: bool = True) -> None:
    engine = store.engine
    if warm:
        prewarm(store)
    inc = incident_queries(n, seed=11)
    measure("incidents, 2x2 deg + 7 days, list_incidents (API)",
            lambda q: len(list_incidents(engine, q)[0]), inc)
    # other random queries: the first pass must not find the pages the one above read
    measure("incidents, 2x2 deg + 7 days, Store.query_incidents (CLI, exports)",
            lambda q: len(store.query_incidents(q)[0]), incident_queries(n, seed=21))
    for hours in (1, 24):
        obs = observation_queries(n, seed=12 + hours, window=timedelta(hours=hours))
        measure(f"observations, 2x2 deg + {hours} h, query_observations",
                lambda q: len(query_observations(engine, q)[0]), obs)
    if show_plans:
        print("  plans of one query of each kind:")
        explain(store, lambda q: len(list_incidents(engine, q)[0]), inc[0])
        explain(store, lambda q: len(store.query_incidents(q)[0]), inc[0])
        explain(store, lambda q: len(query_observations(engine, q)[0]),
                observation_queries(1, seed=13, window=timedelta(hours=1))[0])


class _Skip(Exception):
    pass


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--observations", type=int, default=10_000_000)
    ap.add_argument("--incidents", type=int, default=1_000_000)
    ap.add_argument("--queries", type=int, default=300, help="queries per kind (each run twice)")
    ap.add_argument("--postgres-url", default=os.environ.get("MONITOR_TEST_POSTGRES_URL"),
                    help="PostgreSQL server (a throwaway database is created there and dropped); "
                         "default MONITOR_TEST_POSTGRES_URL; none: SQLite only")
    ap.add_argument("--keep", type=Path, help="keep the SQLite file in this folder (reused if there)")
    ap.add_argument("--plans", action="store_true", help="print the query plan of one query of each kind")
    ap.add_argument("--skip-sqlite", action="store_true", help="PostGIS only")
    ap.add_argument("--cold", action="store_true",
                    help="do not read the database into the OS cache first (measures the disk)")
    args = ap.parse_args()
    size = f"{args.observations:,} observations + {args.incidents:,} incidents"

    tmp = Path(tempfile.mkdtemp(prefix="bench_history_"))
    try:
        if args.skip_sqlite:
            raise _Skip
        folder = args.keep or tmp
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"history_{args.observations}_{args.incidents}.sqlite"
        print(f"SQLite ({sqlite3.sqlite_version}), {size}:")
        if not path.exists():
            took = fill_sqlite(path, args.incidents, args.observations)
            print(f"  filled in {took:.0f} s, {path.stat().st_size / 1e9:.2f} GB")
        store = Store.open(f"sqlite:///{path}")
        try:
            run_queries(store, args.queries, show_plans=args.plans, warm=not args.cold)
        finally:
            store.close()
    except _Skip:
        print("SQLite: skipped (--skip-sqlite)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    if not args.postgres_url:
        print("PostGIS: skipped (give --postgres-url or set MONITOR_TEST_POSTGRES_URL)")
        return
    name, url = create_pg_database(args.postgres_url)
    try:
        print(f"PostGIS (throwaway database {name}), {size}:")
        took = fill_postgres(url, args.incidents, args.observations)
        print(f"  filled in {took:.0f} s")
        store = Store.open(url, migrate_schema=False)
        try:
            run_queries(store, args.queries, show_plans=args.plans, warm=not args.cold)
        finally:
            store.close()
    finally:
        drop_pg_database(args.postgres_url, name)
        print(f"  dropped {name}")


if __name__ == "__main__":
    main()
