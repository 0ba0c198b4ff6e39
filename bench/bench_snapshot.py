"""Rewind: ``GET /api/snapshot`` with 1 million stored positions.

Run: ``.venv/bin/python bench/bench_snapshot.py [--positions 1000000] [--queries 200]
[--postgres-url postgresql://postgres@127.0.0.1:5432/postgres]``

Target: p95 <= 200 ms per snapshot (SQLite; PostGIS too when a server is named).

For each backend (SQLite always; PostGIS when ``--postgres-url`` or
``MONITOR_TEST_POSTGRES_URL`` names a server):

1. Creates an empty database through the migrations (``Store.open``): a SQLite file in a
   temporary folder, or a throwaway PostgreSQL database (``bench_snapshot_<random>``,
   PostGIS enabled) dropped at the end.
2. Writes SYNTHETIC data through the store's own write path (``Store.apply``, the chunked
   ``INSERT … SELECT`` the pipeline uses, with every index in place): ``--positions``
   positions of 2,000 subjects reporting at once (1,500 aircraft at 450 kt and 500 vessels
   at 12 kt on straight legs over the region, lon -80..-55, lat 0..20), one stored position
   per subject per minute (``storage.observation_sample_s`` = 60), so 1 million positions
   are 500 minutes (8 h 20 min) of traffic; and 2,000 incidents over the same time.
3. Asks the app (in this process, through the ASGI test client: routing, query,
   serialisation) ``--queries`` snapshots at random minutes of the stored range, twice
   (a first pass, then the same times again), for the whole region (the live map's
   opening view: about 2,000 positions in the answer) and for a 4 x 4 degree view, with
   the shipped zones; prints p50 / p95 / p99 in ms and the features per answer.

The machine's cores are shared with whatever else runs: figures vary between runs.
Exits 0 whatever the figures (benchmarks report; tests hold the line).
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import random
import statistics
import sys
import tempfile
import time
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from monitor.domain import (  # noqa: E402
    ChangeAction,
    IncidentChange,
    IncidentKind,
    Observation,
    Severity,
    SubjectKind,
)
from monitor.pipeline import FeedHealthBook, LiveView  # noqa: E402
from monitor.store import Store, StoreBatch  # noqa: E402
from monitor.web.app import create_app  # noqa: E402
from monitor.web.services import WebServices  # noqa: E402
from monitor.zones.bundled import load_bundled_zones  # noqa: E402

TARGET_P95_MS = 200.0
START = datetime(2026, 1, 3, 0, 0, tzinfo=UTC)
STEP_S = 60
AIRCRAFT, VESSELS = 1500, 500
REGION = (-80.0, 0.0, -55.0, 20.0)
VIEW_DEG = 4.0
INCIDENTS = 2000
CHUNK_MINUTES = 20


def _movers(rng: random.Random) -> list[list[float]]:
    """[lon, lat, dlon/min, dlat/min] of each subject (aircraft first)."""
    out = []
    for i in range(AIRCRAFT + VESSELS):
        speed_kt = 450.0 if i < AIRCRAFT else 12.0
        heading = rng.uniform(0, 2 * math.pi)
        deg_per_min = speed_kt / 60.0 / 60.0
        out.append([rng.uniform(REGION[0], REGION[2]), rng.uniform(REGION[1], REGION[3]),
                    deg_per_min * math.sin(heading), deg_per_min * math.cos(heading)])
    return out


def _bounce(m: list[float]) -> None:
    m[0] += m[2]
    m[1] += m[3]
    if not REGION[0] <= m[0] <= REGION[2]:
        m[2] = -m[2]
        m[0] = min(max(m[0], REGION[0]), REGION[2])
    if not REGION[1] <= m[1] <= REGION[3]:
        m[3] = -m[3]
        m[1] = min(max(m[1], REGION[1]), REGION[3])


def fill(store: Store, positions: int, seed: int = 11) -> tuple[datetime, datetime]:
    rng = random.Random(seed)
    movers = _movers(rng)
    minutes = max(1, positions // len(movers))
    t0 = time.perf_counter()
    batch: list[Observation] = []
    for minute in range(minutes):
        at = START + timedelta(minutes=minute)
        for i, m in enumerate(movers):
            _bounce(m)
            aircraft = i < AIRCRAFT
            batch.append(Observation(
                source="adsb_lol" if aircraft else "aisstream",
                feed_kind="adsbx_v2" if aircraft else "aisstream",
                subject_kind=SubjectKind.AIRCRAFT if aircraft else SubjectKind.VESSEL,
                subject_id=f"{0xA00000 + i:06x}" if aircraft else str(775000000 + i),
                time=at + timedelta(seconds=rng.uniform(0, STEP_S - 1)), lat=m[1], lon=m[0],
                altitude_ft=35000.0 if aircraft else None, ground_speed_kt=450.0 if aircraft else 12.0,
                track_deg=math.degrees(math.atan2(m[2], m[3])) % 360,
                callsign=f"BEN{i:04d}" if aircraft else None, name=None if aircraft else f"VESSEL {i}",
            ))
        if (minute + 1) % CHUNK_MINUTES == 0 or minute == minutes - 1:
            store.apply(StoreBatch(observations=batch))
            batch = []
    end = START + timedelta(minutes=minutes)
    changes = []
    kinds = [IncidentKind.INCURSION, IncidentKind.GOING_DARK, IncidentKind.LOITERING, IncidentKind.EMERGENCY]
    for n in range(INCIDENTS):
        at = START + timedelta(seconds=rng.uniform(0, (end - START).total_seconds()))
        lon, lat = rng.uniform(REGION[0], REGION[2]), rng.uniform(REGION[1], REGION[3])
        common = dict(dedupe_key=f"bench-{n}", kind=kinds[n % 4], severity=Severity.MEDIUM,
                      summary="synthetic", subject_kind="aircraft", subject_id=f"{0xB00000 + n:06x}",
                      subject_label=None, zone_id=None, zone_version=None, details={})
        changes.append(IncidentChange(action=ChangeAction.OPEN, at=at, lon=lon, lat=lat,
                                      track=((lon, lat),), **common))  # type: ignore[arg-type]
        if n % 3:
            changes.append(IncidentChange(action=ChangeAction.CLOSE, at=at + timedelta(minutes=rng.uniform(5, 90)),
                                          lon=lon, lat=lat, **common))  # type: ignore[arg-type]
    store.apply(StoreBatch(changes=changes))
    print(f"  loaded {minutes * len(movers):,} positions ({minutes} min x {len(movers):,} subjects) and "
          f"{INCIDENTS:,} incidents in {time.perf_counter() - t0:.0f} s", flush=True)
    return START, end


def _pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(math.ceil(q * len(s))) - 1)]


def measure(store: Store, span: tuple[datetime, datetime], queries: int, seed: int = 5) -> None:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*starlette.testclient.*")
        from fastapi.testclient import TestClient
    zones = load_bundled_zones()
    services = WebServices(store=store, live=LiveView(), health=FeedHealthBook(), zones=lambda: zones)
    rng = random.Random(seed)
    first, last = span
    minutes = int((last - first).total_seconds() // 60)
    times = [first + timedelta(minutes=rng.randint(10, max(10, minutes - 1))) for _ in range(queries)]
    views = []
    for _ in range(queries):
        x, y = rng.uniform(REGION[0], REGION[2] - VIEW_DEG), rng.uniform(REGION[1], REGION[3] - VIEW_DEG)
        views.append(f"{x:.2f},{y:.2f},{x + VIEW_DEG:.2f},{y + VIEW_DEG:.2f}")
    region = ",".join(f"{v:.1f}" for v in (REGION[0] - 3, REGION[1] - 2, REGION[2] + 3, REGION[3] + 2))
    with TestClient(create_app(services)) as client:
        for label, boxes in (("whole region", [region] * queries), (f"{VIEW_DEG:.0f}x{VIEW_DEG:.0f} deg view", views)):
            for pass_name in ("first pass", "same times again"):
                took, sizes = [], []
                for at, box in zip(times, boxes, strict=True):
                    t = time.perf_counter()
                    r = client.get("/api/snapshot", params={"at": at.strftime("%Y-%m-%dT%H:%MZ"), "bbox": box})
                    took.append((time.perf_counter() - t) * 1000)
                    assert r.status_code == 200, r.text
                    doc = r.json()
                    sizes.append(len(doc["aircraft"]["features"]) + len(doc["vessels"]["features"]))
                p95 = _pct(took, 0.95)
                verdict = "met" if p95 <= TARGET_P95_MS else "NOT met"
                print(f"  {label:>18}, {pass_name:<16}: p50 {statistics.median(took):6.1f} ms  "
                      f"p95 {p95:6.1f} ms  p99 {_pct(took, 0.99):6.1f} ms  "
                      f"({statistics.mean(sizes):,.0f} positions an answer)  target p95 <= "
                      f"{TARGET_P95_MS:.0f} ms: {verdict}", flush=True)


@contextmanager
def sqlite_store() -> Iterator[Store]:
    with tempfile.TemporaryDirectory(prefix="bench_snapshot_") as d:
        store = Store.open(f"sqlite:///{d}/bench.sqlite")
        try:
            yield store
        finally:
            store.close()


@contextmanager
def postgres_store(url: str) -> Iterator[Store]:
    from sqlalchemy import create_engine, text

    base = url.replace("postgresql://", "postgresql+psycopg://", 1)
    name = f"bench_snapshot_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    db_url = base.rsplit("/", 1)[0] + "/" + name
    try:
        eng = create_engine(db_url, isolation_level="AUTOCOMMIT")
        with eng.connect() as conn:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
        eng.dispose()
        store = Store.open(db_url)
        try:
            yield store
        finally:
            store.close()
    finally:
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name})
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--positions", type=int, default=1_000_000)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--postgres-url", default=os.environ.get("MONITOR_TEST_POSTGRES_URL"))
    ap.add_argument("--no-sqlite", action="store_true", help="PostGIS only")
    args = ap.parse_args()
    print(f"bench_snapshot: {datetime.now(UTC):%Y-%m-%d %H:%M}Z, {platform.node()}, "
          f"{os.cpu_count()} cores, Python {platform.python_version()}; SYNTHETIC data", flush=True)
    backends = [] if args.no_sqlite else [("SQLite", sqlite_store, ())]
    if args.postgres_url:
        backends.append(("PostGIS", postgres_store, (args.postgres_url,)))
    for name, opener, extra in backends:
        print(f"{name}:", flush=True)
        with opener(*extra) as store:  # type: ignore[operator]
            span = fill(store, args.positions)
            if store.dialect == "sqlite":
                with store.engine.begin() as conn:
                    conn.exec_driver_sql("ANALYZE")
            else:
                with store.engine.connect() as conn:
                    conn.exec_driver_sql("ANALYZE")
                    conn.commit()
            measure(store, span, args.queries)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
