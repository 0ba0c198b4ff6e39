"""Geofence benchmark: positions classified per second on one core, against the targets.

Run: ``.venv/bin/python bench/bench_geofence.py [--n 3000000] [--loop-sample 20000]``

On the shipped zone set (geodata/) and a few million random positions over the region
(lon -90..-50, lat -5..28), it measures:

* the vectorised engine (``ZoneIndex.contains``), for a batch at one time with one
  subject kind (the fast path) and for a mixed batch (times over an hour, altitudes,
  aircraft and vessels: the per-pair path), in one call and in 50,000-position batches;
* a per-point shapely loop on a sample, two ways: plain (``Point`` + ``intersects`` per
  version in force) and strong (an STRtree query per point on prepared areas);
* PostGIS ``ST_Contains`` with GiST indexes on the same points and zones, side by side,
  when a server is reachable at ``MONITOR_BENCH_POSTGRES_URL`` or
  ``postgresql://postgres@127.0.0.1:5432/test`` (skipped with a message otherwise);
* the index's memory.

Targets (issue 3): >= 5 M positions/s; >= 30x the per-point loop; >= 5x PostGIS; index
memory < 50 MB. Numpy, shapely and PostgreSQL each run on one core here (PostgreSQL with
``max_parallel_workers_per_gather = 0``).
"""

from __future__ import annotations

import argparse
import io
import math
import os
import sys
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
import shapely  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitor.geofence import ZoneIndex  # noqa: E402
from monitor.zones.bundled import load_bundled_zones  # noqa: E402

TARGET_RATE = 5_000_000
TARGET_LOOP_RATIO = 30.0
TARGET_POSTGIS_RATIO = 5.0
TARGET_MEMORY_MB = 50.0
AT = datetime(2026, 1, 3, 12, 0, tzinfo=UTC)  # every SVZM version but the advisory in force
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def best_of(fn, repeat: int = 3) -> float:
    best = math.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def line(label: str, value: str, target: str = "", ok: bool | None = None) -> None:
    verdict = "" if ok is None else ("  PASS" if ok else "  FAIL")
    print(f"  {label:<52} {value:>16}   {target}{verdict}")


def plain_loop(index: ZoneIndex, lon: np.ndarray, lat: np.ndarray, t_s: float) -> int:
    """Per point, per version in force: Point + intersects (no preparation, no tree)."""
    live = index.in_force(AT)
    live = [v for v in live if v.applies_to.covers("aircraft")]
    geoms = [shapely.from_wkb(shapely.to_wkb(v.geometry)) for v in live]  # unprepared copies
    hits = 0
    for x, y in zip(lon.tolist(), lat.tolist(), strict=True):
        p = shapely.Point(x, y)
        for g in geoms:
            if g.intersects(p):
                hits += 1
    return hits


def strong_loop(index: ZoneIndex, lon: np.ndarray, lat: np.ndarray, t_s: float) -> int:
    """Per point: an STRtree query on prepared areas, then the in-force versions."""
    live = [v for v in index.in_force(AT) if v.applies_to.covers("aircraft")]
    areas = [v.geometry for v in live]
    for a in areas:
        shapely.prepare(a)
    tree = shapely.STRtree(areas)
    hits = 0
    for x, y in zip(lon.tolist(), lat.tolist(), strict=True):
        hits += len(tree.query(shapely.Point(x, y), predicate="intersects"))
    return hits


def postgis(index: ZoneIndex, lon: np.ndarray, lat: np.ndarray, vec_rate: float) -> None:
    url = os.environ.get("MONITOR_BENCH_POSTGRES_URL", DEFAULT_PG)
    try:
        import psycopg
    except ImportError:
        print("  PostGIS: skipped (psycopg is not installed: pip install 'psycopg[binary]')")
        return
    try:
        conn = psycopg.connect(url, autocommit=True, connect_timeout=3)
    except Exception as exc:  # noqa: BLE001 - any connection failure means "skip"
        print(f"  PostGIS: skipped (no server at {url}: {str(exc).splitlines()[0]})")
        return
    with conn:
        try:
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        except psycopg.Error as exc:
            print(f"  PostGIS: skipped (CREATE EXTENSION postgis failed: {exc})")
            return
        version = conn.execute("SELECT postgis_lib_version()").fetchone()[0]
        conn.execute("SET max_parallel_workers_per_gather = 0")
        conn.execute("SET work_mem = '256MB'")
        conn.execute("DROP TABLE IF EXISTS bench_zones, bench_points")
        conn.execute("CREATE TABLE bench_zones (id int PRIMARY KEY, geom geometry(Geometry, 4326))")
        conn.execute("CREATE TABLE bench_points (id int PRIMARY KEY, geom geometry(Point, 4326))")
        live = [v for v in index.in_force(AT) if v.applies_to.covers("aircraft")]
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO bench_zones VALUES (%s, ST_GeomFromText(%s, 4326))",
                [(i, v.geometry.wkt) for i, v in enumerate(live)],
            )
        t0 = time.perf_counter()
        buf = io.StringIO()
        for i, (x, y) in enumerate(zip(lon.tolist(), lat.tolist(), strict=True)):
            buf.write(f"{i}\tSRID=4326;POINT({x!r} {y!r})\n")
        with conn.cursor().copy("COPY bench_points (id, geom) FROM STDIN") as copy:
            copy.write(buf.getvalue())
        conn.execute("CREATE INDEX ON bench_zones USING gist (geom)")
        conn.execute("CREATE INDEX ON bench_points USING gist (geom)")
        conn.execute("ANALYZE bench_zones")
        conn.execute("ANALYZE bench_points")
        load_s = time.perf_counter() - t0
        sql = (
            "SELECT count(*) FROM bench_zones z JOIN bench_points p ON ST_Contains(z.geom, p.geom)"
        )
        plan = "\n".join(r[0] for r in conn.execute("EXPLAIN " + sql).fetchall())
        uses_gist = "Index" in plan
        count = None

        def run() -> None:
            nonlocal count
            count = conn.execute(sql).fetchone()[0]

        pg_s = best_of(run, repeat=2)
        conn.execute("DROP TABLE bench_zones, bench_points")
    n = len(lon)
    pg_rate = n / pg_s
    vec_pairs = len(index.contains(lon, lat, math.nan, AT.timestamp(), True)[0])
    print(
        f"  PostGIS {version}: {n:,} points loaded and indexed in {load_s:.1f} s (not timed); "
        f"plan uses a GiST index: {uses_gist}; {count:,} pairs (vectorised: {vec_pairs:,})"
    )
    line("PostGIS ST_Contains join (GiST), positions/s", f"{pg_rate:,.0f}")
    ratio = vec_rate / pg_rate
    line(
        "vectorised / PostGIS",
        f"{ratio:,.1f}x",
        f">= {TARGET_POSTGIS_RATIO:.0f}x",
        ratio >= TARGET_POSTGIS_RATIO,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=3_000_000, help="random positions")
    parser.add_argument("--loop-sample", type=int, default=20_000, help="positions for the loops")
    parser.add_argument("--postgis-n", type=int, default=1_000_000, help="positions for PostGIS")
    args = parser.parse_args()

    print("== geofence benchmark (one core)")
    versions = load_bundled_zones()
    rss1 = rss_bytes()
    tracemalloc.start()
    t0 = time.perf_counter()
    index = ZoneIndex(versions)
    build_s = time.perf_counter() - t0
    traced_now, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss2 = rss_bytes()
    grid = index.grid
    print(
        f"  zones: {len(versions)} versions, {index.n_areas} distinct areas, "
        f"{int(sum(shapely.get_num_coordinates(v.geometry) for v in versions)):,} vertices; "
        f"grid {grid.nx}x{grid.ny} cells of {grid.cell_deg:g} deg, {grid.n_states} cell states; "
        f"index built in {build_s:.2f} s"
    )

    rng = np.random.default_rng(20260103)
    n = args.n
    lon = rng.uniform(-90.0, -50.0, n)
    lat = rng.uniform(-5.0, 28.0, n)
    t = AT.timestamp()

    obs, _ = index.contains(lon, lat, math.nan, t, True)  # warm up
    pairs = len(obs)
    fast_s = best_of(lambda: index.contains(lon, lat, math.nan, t, True))
    rate = n / fast_s
    print(f"  {n:,} positions, {pairs:,} (position, version) pairs at {AT:%Y-%m-%dT%H:%MZ}")
    line(
        "vectorised, one batch, one time (positions/s)",
        f"{rate:,.0f}",
        f">= {TARGET_RATE:,}",
        rate >= TARGET_RATE,
    )

    t_mixed = t + rng.uniform(0, 3600, n)
    alt = np.where(rng.random(n) < 0.1, np.nan, rng.uniform(0, 45000, n))
    air = rng.random(n) < 0.5
    mixed_s = best_of(lambda: index.contains(lon, lat, alt, t_mixed, air))
    mixed_rate = n / mixed_s
    line(
        "vectorised, mixed times/altitudes/kinds (positions/s)",
        f"{mixed_rate:,.0f}",
        f">= {TARGET_RATE:,}",
        mixed_rate >= TARGET_RATE,
    )

    chunk = 50_000

    def chunks() -> None:
        for i in range(0, n, chunk):
            index.contains(lon[i : i + chunk], lat[i : i + chunk], math.nan, t, True)

    chunk_rate = n / best_of(chunks)
    line(
        f"vectorised, {chunk:,}-position batches (positions/s)",
        f"{chunk_rate:,.0f}",
        f">= {TARGET_RATE:,}",
        chunk_rate >= TARGET_RATE,
    )

    m = args.loop_sample
    sample_lon, sample_lat = lon[:m], lat[:m]
    found: dict[str, int] = {}
    plain_s = best_of(lambda: found.update(plain=plain_loop(index, sample_lon, sample_lat, t)), 1)
    strong_s = best_of(
        lambda: found.update(strong=strong_loop(index, sample_lon, sample_lat, t)), 1
    )
    vec_pairs = len(index.contains(sample_lon, sample_lat, math.nan, t, True)[0])
    print(
        f"  same answers on the loop sample: plain {found['plain']:,}, STRtree {found['strong']:,}, "
        f"vectorised {vec_pairs:,} pairs"
    )
    plain_rate, strong_rate = m / plain_s, m / strong_s
    line(f"per-point loop, plain Point+intersects ({m:,})", f"{plain_rate:,.0f}")
    line(f"per-point loop, STRtree + prepared ({m:,})", f"{strong_rate:,.0f}")
    line(
        "vectorised / plain loop",
        f"{rate / plain_rate:,.0f}x",
        f">= {TARGET_LOOP_RATIO:.0f}x",
        rate / plain_rate >= TARGET_LOOP_RATIO,
    )
    line(
        "vectorised / STRtree loop",
        f"{rate / strong_rate:,.0f}x",
        f">= {TARGET_LOOP_RATIO:.0f}x",
        rate / strong_rate >= TARGET_LOOP_RATIO,
    )

    mem = index.memory_bytes() / 1e6
    line(
        "index memory, memory_bytes() (MB)",
        f"{mem:.1f}",
        f"< {TARGET_MEMORY_MB:.0f}",
        mem < TARGET_MEMORY_MB,
    )
    line(
        "index memory held, tracemalloc (numpy + Python) (MB)",
        f"{traced_now / 1e6:.1f}",
        f"< {TARGET_MEMORY_MB:.0f}",
        traced_now / 1e6 < TARGET_MEMORY_MB,
    )
    line("  peak while building, tracemalloc (MB)", f"{traced_peak / 1e6:.1f}")
    line("  process RSS growth while building (MB)", f"{(rss2 - rss1) / 1e6:.1f}")

    pn = min(args.postgis_n, n)
    pg_lon, pg_lat = lon[:pn], lat[:pn]
    pg_vec_rate = pn / best_of(lambda: index.contains(pg_lon, pg_lat, math.nan, t, True))
    line(f"vectorised on the PostGIS points ({pn:,}), positions/s", f"{pg_vec_rate:,.0f}")
    postgis(index, pg_lon, pg_lat, pg_vec_rate)
    return 0


if __name__ == "__main__":
    sys.exit(main())
