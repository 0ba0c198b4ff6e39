"""End-to-end replay throughput: observations per second, parse -> store, on both backends.

Run: ``.venv/bin/python bench/bench_e2e.py [--aircraft 4000] [--vessels 12000]
[--minutes 10] [--postgres URL | --no-postgres] [--profile]``

It writes a synthetic capture (JSON Lines, the format ``monitor.capture`` reads) of
aircraft and vessels moving plausibly over the region (lon -85..-55, lat -2..22): ADS-B
v2 (adsb.lol ``/v2``) polls of every aircraft every 5 s, and aisstream frames of every
vessel every 10 s (batched 500 frames a record, as a capture of the websocket would be
written in bulk). Aircraft fly great-circle-ish straight legs at 250..500 kt through the
Maiquetía FIR and the strike zones; a few squawk 7700, a few vessels go dark.

The capture is replayed with ``monitor.service.replay.replay`` through the pipeline that
``monitor.service.runtime.build_runtime`` builds (shipped zones, every detector, the
store), on SQLite (a fresh file) and on PostGIS (a fresh database ``bench_e2e_<pid>``,
created and dropped here) when a server answers at ``--postgres`` (default
``postgresql://postgres@127.0.0.1:5432/postgres``). The wall time includes reading and
decoding the capture, parsing, tracks, geofence, detectors and the store transaction.

It prints observations/s against the target (issue 8: >= 50,000/s on SQLite, PostGIS
side by side) and a stage breakdown (wall seconds per stage, measured by wrapping each
stage's entry point), so the bottleneck is visible. ``--profile`` adds a cProfile top-25.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import math
import os
import pstats
import random
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitor.config import Settings  # noqa: E402
from monitor.service.replay import replay  # noqa: E402
from monitor.service.runtime import build_runtime  # noqa: E402

TARGET_OBS_PER_S = 50_000
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
START = datetime(2025, 11, 24, 12, 0, tzinfo=UTC)  # crisis: SVZM advisory, strikes on
LON0, LON1, LAT0, LAT1 = -85.0, -55.0, -2.0, 22.0
M_PER_DEG = 111_320.0
KT_MPS = 0.514444
#: flag MIDs common in the Caribbean: US, Panama, Liberia, Marshall Is., Venezuela, Malta
MIDS = (366, 351, 636, 538, 775, 215)


# --- synthetic capture -----------------------------------------------------------------------


def _move(lon: float, lat: float, hdg: float, dist_m: float) -> tuple[float, float, float]:
    """Flat-earth step, bouncing off the region's edges (good enough for a load test)."""
    dlat = dist_m * math.cos(math.radians(hdg)) / M_PER_DEG
    dlon = dist_m * math.sin(math.radians(hdg)) / (M_PER_DEG * math.cos(math.radians(lat)))
    lon, lat = lon + dlon, lat + dlat
    if not LON0 < lon < LON1:
        hdg = (360.0 - hdg) % 360.0
        lon = min(max(lon, LON0 + 0.01), LON1 - 0.01)
    if not LAT0 < lat < LAT1:
        hdg = (180.0 - hdg) % 360.0
        lat = min(max(lat, LAT0 + 0.01), LAT1 - 0.01)
    return lon, lat, hdg


def _restricted(*, land: bool = False) -> Callable[[float, float], bool]:
    """True where a shipped zone other than informational ones is in force at START
    (and, with ``land``, on land: vessels start at sea)."""
    import shapely
    from shapely.prepared import prep

    from monitor.zones.bundled import load_bundled_zones

    shapes = [
        v.geometry
        for v in load_bundled_zones(None)
        if (v.status != "informational" or (land and v.zone_id.startswith("LAND-")))
        and (v.valid_from is None or v.valid_from <= START)
        and (v.valid_to is None or v.valid_to > START)
    ]
    area = prep(shapely.union_all(shapes))
    return lambda lon, lat: area.contains(shapely.Point(lon, lat))


def _start_position(
    rnd: random.Random, inside: Callable[[float, float], bool], share_inside: float
) -> tuple[float, float]:
    """A random start; only ``share_inside`` of subjects start in a restricted zone
    (traffic avoids the declared areas, a few do not)."""
    want_inside = rnd.random() < share_inside
    while True:
        lon, lat = rnd.uniform(LON0, LON1), rnd.uniform(LAT0, LAT1)
        if inside(lon, lat) == want_inside:
            return lon, lat


def write_capture(path: Path, *, aircraft: int, vessels: int, minutes: float, seed: int) -> int:
    """Write the capture; return how many position reports it holds."""
    rnd = random.Random(seed)
    inside = _restricted()
    ac_pos = [_start_position(rnd, inside, 0.01) for _ in range(aircraft)]
    at_sea = _restricted(land=True)
    vs_pos = [_start_position(rnd, at_sea, 0.0) for _ in range(vessels)]
    vs_pos[: vessels // 100] = [_start_position(rnd, inside, 1.0) for _ in range(vessels // 100)]
    ac = [
        {
            "hex": f"{0xA00000 + i:06x}",
            "flight": f"BEN{i:05d}"[:8],
            "lon": ac_pos[i][0],
            "lat": ac_pos[i][1],
            "hdg": rnd.uniform(0, 360),
            "gs": rnd.uniform(250, 500),
            "alt": rnd.choice([5000, 12000, 24000, 31000, 35000, 39000]),
            "squawk": "7700" if i % 997 == 0 else f"{rnd.randrange(0, 0o7777):04o}",
        }
        for i in range(aircraft)
    ]
    vs = [
        {
            "mmsi": rnd.choice(MIDS) * 1_000_000 + 100_000 + i,
            "lon": vs_pos[i][0],
            "lat": vs_pos[i][1],
            "hdg": rnd.uniform(0, 360),
            "sog": rnd.uniform(6, 18),
            "phase": rnd.randrange(10),
            "dark_after_s": 120.0 if i % 1009 == 0 else math.inf,
        }
        for i in range(vessels)
    ]
    n_reports = 0
    total_s = int(minutes * 60)
    with path.open("wb") as f:
        for sec in range(total_s):
            now = START + timedelta(seconds=sec)
            if sec % 5 == 0:  # an ADS-B v2 poll of the whole region
                for a in ac:
                    a["lon"], a["lat"], a["hdg"] = _move(
                        a["lon"], a["lat"], a["hdg"], a["gs"] * KT_MPS * 5
                    )
                body = {
                    "ac": [
                        {
                            "hex": a["hex"],
                            "type": "adsb_icao",
                            "flight": f"{a['flight']:<8}",
                            "alt_baro": a["alt"],
                            "alt_geom": a["alt"] + 700,
                            "gs": round(a["gs"], 1),
                            "track": round(a["hdg"], 2),
                            "baro_rate": 0,
                            "squawk": a["squawk"],
                            "category": "A3",
                            "lat": round(a["lat"], 6),
                            "lon": round(a["lon"], 6),
                            "nic": 8,
                            "rc": 186,
                            "seen_pos": 0.4,
                            "version": 2,
                            "nac_p": 9,
                            "sil": 3,
                            "sil_type": "perhour",
                            "messages": 1000 + sec,
                            "seen": 0.2,
                            "rssi": -20.5,
                        }
                        for a in ac
                    ],
                    "msg": "No error",
                    "now": now.timestamp() * 1000.0,
                    "total": len(ac),
                    "ctime": now.timestamp() * 1000.0,
                    "ptime": 3,
                }
                n_reports += len(ac)
                f.write(_line("adsbx_v2", now, body))
            frames = []
            for v in vs:
                if (sec + v["phase"]) % 10 or sec > v["dark_after_s"]:
                    continue
                v["lon"], v["lat"], v["hdg"] = _move(
                    v["lon"], v["lat"], v["hdg"], v["sog"] * KT_MPS * 10
                )
                frames.append(_ais_frame(v, now))
            for k in range(0, len(frames), 500):
                f.write(_line("aisstream", now, frames[k : k + 500]))
            n_reports += len(frames)
    return n_reports


def _line(feed: str, at: datetime, body: Any) -> bytes:
    stamp = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    return orjson.dumps({"feed": feed, "received_at": stamp, "body": body}) + b"\n"


def _ais_frame(v: dict[str, Any], at: datetime) -> dict[str, Any]:
    lat, lon = round(v["lat"], 6), round(v["lon"], 6)
    return {
        "Message": {
            "PositionReport": {
                "Cog": round(v["hdg"], 1),
                "CommunicationState": 59916,
                "Latitude": lat,
                "Longitude": lon,
                "MessageID": 1,
                "NavigationalStatus": 0,
                "PositionAccuracy": True,
                "Raim": True,
                "RateOfTurn": 0,
                "RepeatIndicator": 0,
                "Sog": round(v["sog"], 1),
                "Spare": 0,
                "SpecialManoeuvreIndicator": 0,
                "Timestamp": at.second,
                "TrueHeading": int(v["hdg"]) % 360,
                "UserID": v["mmsi"],
                "Valid": True,
            }
        },
        "MessageType": "PositionReport",
        "MetaData": {
            "MMSI": v["mmsi"],
            "MMSI_String": v["mmsi"],
            "ShipName": "BENCH VESSEL        ",
            "latitude": lat,
            "longitude": lon,
            "time_utc": at.strftime("%Y-%m-%d %H:%M:%S.000000000 +0000 UTC"),
        },
    }


# --- stage timers ----------------------------------------------------------------------------


class Stages:
    """Wall seconds per stage, by wrapping each stage's entry point on the instances."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)

    def wrap(self, obj: Any, attr: str, stage: str) -> None:
        inner: Callable[..., Any] = getattr(obj, attr)
        seconds = self.seconds

        def timed(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                seconds[stage] += time.perf_counter() - t0

        setattr(obj, attr, timed)


def instrument(pipeline: Any) -> Stages:
    st = Stages()
    st.wrap(pipeline, "parse", "parse (JSON body -> Observation)")
    st.wrap(pipeline.tracks, "ingest_timed", "tracks (fusion, dedupe)")
    st.wrap(pipeline.geofence, "evaluate", "geofence (index + transitions)")
    for det in pipeline.detectors:
        st.wrap(det, "detect", f"detector {det.name}")
    if pipeline.store is not None:
        st.wrap(pipeline.store, "apply", "store (one transaction per batch)")
    st.wrap(pipeline, "_sample", "store: position sampling")
    st.wrap(pipeline.live, "publish", "live view")
    return st


# --- one backend ----------------------------------------------------------------------------


def run_backend(
    label: str, url: str, capture: Path, reports: int, profile: bool, parse_worker: bool | None
) -> float:
    runtime = build_runtime(Settings(database_url=url))
    try:
        stages = instrument(runtime.pipeline)
        kinds: Counter[str] = Counter()
        runtime.pipeline.listeners.append(
            lambda applied: kinds.update(
                f"{a.change.kind.value}:{a.change.action.value}" for a in applied
            )
        )
        prof = cProfile.Profile() if profile else None
        if prof:
            prof.enable()
        report = replay(runtime.pipeline, capture, parse_worker=parse_worker)
        if prof:
            prof.disable()
        rate = report.observations_per_s
        s = report.stats
        print(
            f"\n== {label}: {url.split('@')[-1]} (capture "
            + ("read and parsed in a worker process)" if report.parse_worker else "parsed in-process)")
        )
        print(
            f"records {s.records:,}  observations {s.observations:,} (capture holds "
            f"{reports:,})  accepted {s.accepted:,}  incidents opened {s.opened:,} "
            f"changes {s.changes:,}  parse errors {sum(s.parse_errors.values())}"
        )
        print(
            f"wall {report.wall_s:.2f} s -> {rate:,.0f} observations/s "
            f"(target >= {TARGET_OBS_PER_S:,}/s: {'OK' if rate >= TARGET_OBS_PER_S else 'BELOW'})"
        )
        if report.parse_worker_peak_rss_bytes is not None:
            print(f"parse worker peak RSS {report.parse_worker_peak_rss_bytes / 1024**2:,.0f} MB")
        print(
            "incident changes by kind:action:",
            ", ".join(f"{k} {n:,}" for k, n in kinds.most_common()),
        )
        accounted = 0.0
        print("stage breakdown (wall s, share of replay):")
        detectors = sum(v for k, v in stages.seconds.items() if k.startswith("detector "))
        for name, sec in sorted(stages.seconds.items(), key=lambda kv: -kv[1]):
            accounted += sec
            print(f"  {name:<40} {sec:8.2f} s  {100 * sec / report.wall_s:5.1f} %")
        print(
            f"  {'(all detectors)':<40} {detectors:8.2f} s  "
            f"{100 * detectors / report.wall_s:5.1f} %"
        )
        # _sample runs inside nothing else timed; the rest is reading + decoding the
        # capture lines, batching and the pipeline's own glue (with a parse worker: taking
        # its batches, decoding the positions and waiting when it is behind)
        rest = report.wall_s - accounted
        glue = "worker batches in, glue" if report.parse_worker else "read+decode capture, glue"
        print(
            f"  {glue:<40} {rest:8.2f} s  "
            f"{100 * rest / report.wall_s:5.1f} %"
        )
        if prof:
            out = io.StringIO()
            pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(25)
            print(out.getvalue())
        return rate
    finally:
        runtime.close()


def postgres_db(admin_url: str) -> tuple[str, Callable[[], None]] | None:
    """Create ``bench_e2e_<pid>`` with PostGIS; return its URL and a drop function."""
    try:
        import psycopg
    except ImportError:
        print("PostGIS: skipped (psycopg not installed)")
        return None
    name = f"bench_e2e_{os.getpid()}"
    conninfo = admin_url.replace("postgresql+psycopg://", "postgresql://")
    try:
        with psycopg.connect(conninfo, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f"CREATE DATABASE {name}")
    except psycopg.OperationalError as exc:
        print(f"PostGIS: skipped (no server at {admin_url}: {exc})")
        return None
    base = conninfo.rsplit("/", 1)[0]
    with psycopg.connect(f"{base}/{name}", autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")

    def drop() -> None:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    return f"postgresql+psycopg://{base.split('://', 1)[1]}/{name}", drop


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--aircraft", type=int, default=4000)
    ap.add_argument("--vessels", type=int, default=12000)
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--seed", type=int, default=8)
    ap.add_argument("--capture", type=Path, help="replay this capture instead of generating one")
    ap.add_argument("--postgres", default=os.environ.get("MONITOR_BENCH_POSTGRES_URL", DEFAULT_PG))
    ap.add_argument("--no-postgres", action="store_true")
    ap.add_argument("--no-sqlite", action="store_true")
    ap.add_argument("--profile", action="store_true", help="print a cProfile top 25 too")
    ap.add_argument(
        "--parse-worker", action=argparse.BooleanOptionalAction, default=None,
        help="read and parse in a worker process (default: as replay decides, by file size)",
    )
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench_e2e_") as tmp:
        capture = args.capture
        reports = 0
        if capture is None:
            capture = Path(tmp) / "capture.jsonl"
            t0 = time.perf_counter()
            reports = write_capture(
                capture,
                aircraft=args.aircraft,
                vessels=args.vessels,
                minutes=args.minutes,
                seed=args.seed,
            )
            print(
                f"capture: {reports:,} position reports ({args.aircraft:,} aircraft every "
                f"5 s, {args.vessels:,} vessels every 10 s, {args.minutes:g} min), "
                f"{capture.stat().st_size / 1e6:,.0f} MB, written in "
                f"{time.perf_counter() - t0:.1f} s"
            )
        results: dict[str, float] = {}
        if not args.no_sqlite:
            url = f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
            results["SQLite"] = run_backend(
                "SQLite", url, capture, reports, args.profile, args.parse_worker
            )
        if not args.no_postgres:
            made = postgres_db(args.postgres)
            if made is not None:
                url, drop = made
                try:
                    results["PostGIS"] = run_backend(
                        "PostGIS", url, capture, reports, args.profile, args.parse_worker
                    )
                finally:
                    drop()
        print(
            f"\n== summary (observations/s end to end, target >= {TARGET_OBS_PER_S:,}/s on SQLite)"
        )
        for name, rate in results.items():
            print(f"  {name:<8} {rate:12,.0f}/s  {rate / TARGET_OBS_PER_S:5.2f}x target")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
