"""Backfill import rate, per archive format, beside the replay rate of the same run.

Run: ``.venv/bin/python bench/bench_backfill.py [--positions 2000000] [--formats
readsb_trace,opensky_csv,marinecadastre] [--replay-positions 600000] [--no-replay]``

For each format it writes a region-day (lon -85..-55, lat -2..22, 3 January 2026, the day
the FAA prohibition for US operators was in force) of about ``--positions`` positions in
the shape of the real samples in ``../shared/reference/samples``:

* ``readsb_trace``: one gzip-compressed ``trace_full_<hex>.json`` per aircraft (the
  14-column rows of ``readsb_trace_full_ac671b_20250204.json``, a details object every
  tenth row, a row every 8 s, flights of about 2 h 15 min spread over the day);
* ``opensky_csv``: one state-vector CSV (``time, icao24, lat, lon, velocity ...``, metres
  and m/s) with a row per airborne aircraft every 10 s, in time order;
* ``marinecadastre``: one ``AIS_2026_01_03.csv`` with a row per vessel a minute (the
  17 columns of ``ais_marinecadastre_AIS_2024_01_01_first500.csv``), in time order within
  seconds.

Each is imported with ``monitor.backfill.run.backfill`` into a fresh SQLite database
through the pipeline ``build_runtime`` builds (shipped zones, every detector, the store),
and the positions per second are printed. In the same run ``bench_e2e``'s capture (ADS-B
polls every 5 s and aisstream frames) of ``--replay-positions`` positions is replayed the
way ``bench_e2e`` does, for the replay rate on this machine at this moment. Targets
(the backfill issue): importers not the bound (>= 0.9 x the replay rate) and a region-day
of about 2 M positions in <= 60 s on two cores.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import math
import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitor.backfill.run import BATCH_SPAN_S, backfill  # noqa: E402
from monitor.config import Settings  # noqa: E402
from monitor.service.replay import replay  # noqa: E402
from monitor.service.runtime import build_runtime  # noqa: E402

DAY0 = datetime(2026, 1, 3, tzinfo=UTC).timestamp()
LON0, LON1, LAT0, LAT1 = -85.0, -55.0, -2.0, 22.0
DAY_S = 86_400.0
TARGET_S = 60.0
#: --parse-worker / --no-parse-worker (None: as backfill decides, by the files' size)
WORKER: bool | None = None
TARGET_RATIO = 0.9


def _leg(rnd: random.Random) -> tuple[float, float, float, float]:
    lon, lat = rnd.uniform(LON0, LON1), rnd.uniform(LAT0, LAT1)
    return lon, lat, rnd.uniform(0, 360), rnd.uniform(250, 480)


def _step(lon: float, lat: float, hdg: float, dist_deg: float) -> tuple[float, float, float]:
    lat2 = lat + dist_deg * math.cos(math.radians(hdg))
    lon2 = lon + dist_deg * math.sin(math.radians(hdg)) / max(0.2, math.cos(math.radians(lat)))
    if not (LAT0 < lat2 < LAT1 and LON0 < lon2 < LON1):
        hdg = (hdg + 180) % 360
        return lon, lat, hdg
    return lon2, lat2, hdg


def write_traces(folder: Path, positions: int, seed: int) -> int:
    rnd = random.Random(seed)
    rows_per = 1000  # 8 s apart: 2 h 13 min
    n = 0
    i = 0
    while n < positions:
        icao = f"{0xA10000 + i:06x}" if i % 3 == 0 else f"{0x0D0000 + i:06x}"
        start = DAY0 + rnd.uniform(0, DAY_S - rows_per * 8)
        lon, lat, hdg, gs = _leg(rnd)
        alt = rnd.choice([24000, 31000, 35000, 39000])
        rows = []
        for k in range(min(rows_per, positions - n)):
            details = ({"type": "adsb_icao", "flight": f"BF{i:05d} ", "squawk": "1234",
                        "nic": 8, "nac_p": 10} if k % 10 == 0 else None)
            rows.append([round(k * 8.0, 2), round(lat, 6), round(lon, 6), alt, gs, round(hdg, 1),
                         0, 0, details, "adsb_icao", alt + 500, 0, 280, 0.0])
            lon, lat, hdg = _step(lon, lat, hdg, gs * 8 / 3600 / 60)
        doc = {"icao": icao, "r": f"N{i}BF", "t": "B738", "dbFlags": 0,
               "timestamp": start, "trace": rows}
        (folder / f"trace_full_{icao}.json").write_bytes(gzip.compress(orjson.dumps(doc), 1))
        n += len(rows)
        i += 1
    return n


def write_opensky_csv(folder: Path, positions: int, seed: int) -> int:
    rnd = random.Random(seed)
    per_step = max(1, positions // int(DAY_S / 10))
    ac = [[f"{0x0E0000 + i:06x}", *_leg(rnd)] for i in range(per_step)]
    n = 0
    with (folder / "states_2026-01-03.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["time", "icao24", "lat", "lon", "velocity", "heading", "vertrate", "callsign",
                    "onground", "alert", "spi", "squawk", "baroaltitude", "geoaltitude",
                    "lastposupdate", "lastcontact"])
        t = DAY0
        while n < positions:
            for a in ac:
                icao, lon, lat, hdg, gs = a
                w.writerow([int(t), icao, f"{lat:.5f}", f"{lon:.5f}", f"{gs * 0.514444:.2f}",
                            f"{hdg:.1f}", "0.0", f"BF{icao[-4:]}  ", "False", "False", "False",
                            "1234", "10668.0", "10820.4", f"{t - 0.5:.1f}", f"{t:.1f}"])
                a[1], a[2], a[3] = _step(lon, lat, hdg, gs * 10 / 3600 / 60)
                n += 1
            t += 10
    return n


def write_marinecadastre(folder: Path, positions: int, seed: int) -> int:
    rnd = random.Random(seed)
    vessels = max(1, positions // 1440)
    vs = [[f"{rnd.choice((366, 351, 636, 538, 775))}{i:06d}", *_leg(rnd)] for i in range(vessels)]
    n = 0
    with (folder / "AIS_2026_01_03.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["MMSI", "BaseDateTime", "LAT", "LON", "SOG", "COG", "Heading", "VesselName",
                    "IMO", "CallSign", "VesselType", "Status", "Length", "Width", "Draft",
                    "Cargo", "TransceiverClass"])
        minute = 0
        while n < positions:
            for k, v in enumerate(vs):
                mmsi, lon, lat, hdg, _ = v
                t = datetime.fromtimestamp(DAY0 + minute * 60 + k % 60, tz=UTC)
                w.writerow([mmsi, f"{t:%Y-%m-%dT%H:%M:%S}", f"{lat:.5f}", f"{lon:.5f}", "11.2",
                            f"{hdg:.1f}", f"{int(hdg)}", f"BENCH {k}", f"IMO{9000000 + k}",
                            f"BF{k}", "70", "0", "180", "30", "9.0", "70", "A"])
                v[1], v[2], v[3] = _step(lon, lat, hdg, 11.2 / 60 / 60)
                n += 1
            minute += 1
    return n


WRITERS = {
    "readsb_trace": write_traces,
    "opensky_csv": write_opensky_csv,
    "marinecadastre": write_marinecadastre,
}


def bench_format(
    fmt: str, folder: Path, positions: int, seed: int, span_s: float
) -> tuple[float, float, int]:
    data = folder / fmt
    data.mkdir()
    t0 = time.perf_counter()
    n = WRITERS[fmt](data, positions, seed)
    size = sum(p.stat().st_size for p in data.iterdir())
    print(f"{fmt}: {n:,} positions in {len(list(data.iterdir())):,} file(s), "
          f"{size / 1e6:,.0f} MB, written in {time.perf_counter() - t0:.1f} s")
    runtime = build_runtime(Settings(database_url=f"sqlite:///{folder / (fmt + '.sqlite')}"))
    try:
        report = backfill(runtime.pipeline, [str(data)], batch_span_s=span_s,
                          parse_worker=WORKER)
    finally:
        runtime.close()
    rate = report.stats.observations / report.wall_s
    print(f"  imported {report.stats.observations:,} positions in {report.wall_s:.1f} s: "
          f"{rate:,.0f} positions/s, {report.batches:,} batches, "
          f"{report.stats.opened:,} incidents opened"
          + (" (files read in a worker process)" if report.parse_worker else ""))
    return rate, report.wall_s, report.stats.observations


def bench_replay(folder: Path, positions: int, seed: int) -> float:
    from bench.bench_e2e import write_capture

    capture = folder / "capture.jsonl"
    # bench_e2e's mix: aircraft every 5 s, vessels every 10 s, 1:3 -> per minute 12 + 18
    minutes = 10.0
    per_min = positions / minutes
    unit = per_min / (12 + 3 * 6)
    reports = write_capture(capture, aircraft=int(unit), vessels=int(3 * unit),
                            minutes=minutes, seed=seed)
    runtime = build_runtime(Settings(database_url=f"sqlite:///{folder / 'replay.sqlite'}"))
    try:
        report = replay(runtime.pipeline, capture)
    finally:
        runtime.close()
    rate = report.stats.observations / report.wall_s
    print(f"replay (bench_e2e capture, {reports:,} position reports): "
          f"{report.stats.observations:,} in {report.wall_s:.1f} s: {rate:,.0f} positions/s"
          + (" (parse worker)" if report.parse_worker else ""))
    return rate


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--positions", type=int, default=2_000_000, help="per format")
    ap.add_argument("--formats", default=",".join(WRITERS))
    ap.add_argument("--replay-positions", type=int, default=600_000)
    ap.add_argument("--no-replay", action="store_true")
    ap.add_argument("--seed", type=int, default=26)
    ap.add_argument("--batch-span-s", type=float, default=BATCH_SPAN_S)
    ap.add_argument("--parse-worker", action=argparse.BooleanOptionalAction, default=None)
    args = ap.parse_args()
    global WORKER
    WORKER = args.parse_worker
    print(f"bench_backfill {datetime.now(tz=UTC):%Y-%m-%d %H:%MZ}, {args.positions:,} positions "
          f"per format, batches of at most {args.batch_span_s:g} s of data time")
    with tempfile.TemporaryDirectory(prefix="bench_backfill_") as tmp:
        folder = Path(tmp)
        replay_rate = None if args.no_replay else bench_replay(folder, args.replay_positions, args.seed)
        results = {}
        for fmt in args.formats.split(","):
            results[fmt] = bench_format(
                fmt.strip(), folder, args.positions, args.seed, args.batch_span_s
            )
        print("\n== summary (positions/s; targets: >= 0.9 x replay, 2 M positions <= 60 s)")
        if replay_rate:
            print(f"  {'replay':<16} {replay_rate:10,.0f}/s")
        for fmt, (rate, wall, n) in results.items():
            ratio = f"{rate / replay_rate:5.2f} x replay" if replay_rate else ""
            per_2m = 2_000_000 / rate
            print(f"  {fmt:<16} {rate:10,.0f}/s  {ratio}  {n:,} in {wall:.1f} s "
                  f"(2 M would take {per_2m:.0f} s: {'met' if per_2m <= TARGET_S else 'not met'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
