"""Memory with 150,000 tracked objects: resident set size against the 1 GB target.

Run: ``.venv/bin/python bench/bench_memory.py [--vessels 125000] [--aircraft 25000]
[--rounds 10] [--with-store]``

It builds the pipeline as ``monitor.service.runtime`` does (shipped zones, geofence, every
detector) without a store (``--with-store``: with a fresh SQLite store in a temporary
directory) and feeds it ``--rounds`` position reports of every subject: ADS-B v2 polls
(all aircraft every 5 s) and aisstream frames (every vessel every 10 s, 500 frames a
record), generated round by round in memory with the same generator as
``bench/bench_e2e.py`` (plausible motion over lon -85..-55, lat -2..22, traffic mostly
outside the declared zones). Each batch goes through ``Pipeline.process``: parse, tracks,
geofence, detectors (and the store). The capture bodies of a round are dropped once
processed, so what stays resident is the monitor's own state: tracks (up to 8 fixes per
subject), geofence subject state, detector state, the live view.

RSS is read from ``/proc/self/status`` (``VmRSS`` now, ``VmHWM`` peak) after a full
garbage collection; the target (issue 8) is <= 1 GB resident with 150,000 tracked objects.
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_e2e import (  # noqa: E402
    KT_MPS,
    MIDS,
    START,
    _ais_frame,
    _move,
    _restricted,
    _start_position,
)

from monitor.capture import CaptureRecord, RawJson  # noqa: E402
from monitor.config import Settings  # noqa: E402

TARGET_RSS_BYTES = 1024**3


def proc_status(field: str, pid: int | str = "self") -> int:
    """``VmRSS`` / ``VmHWM`` of this process (or of ``pid``), in bytes."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(field)


def mb(n: float) -> str:
    return f"{n / 1024**2:,.0f} MB"


def build_pipeline(with_store: bool, tmp: Path) -> Any:
    from monitor.detectors.registry import build_detectors
    from monitor.pipeline import Pipeline
    from monitor.service.runtime import build_runtime, load_zone_versions, make_geofence

    settings = Settings(database_url=f"sqlite:///{tmp / 'mem.sqlite'}")
    if with_store:
        return build_runtime(settings).pipeline
    detectors = build_detectors(settings.detectors, source="config")
    return Pipeline(
        geofence=make_geofence(settings, load_zone_versions(settings, None), detectors),
        detectors=detectors,
        store=None,
    )


def subjects(n_aircraft: int, n_vessels: int, seed: int) -> tuple[list[dict], list[dict]]:
    rnd = random.Random(seed)
    inside = _restricted()
    at_sea = _restricted(land=True)
    ac = []
    for i in range(n_aircraft):
        lon, lat = _start_position(rnd, inside, 0.01)
        ac.append(
            {
                "hex": f"{0xA00000 + i:06x}",
                "flight": f"BEN{i:05d}",
                "lon": lon,
                "lat": lat,
                "hdg": rnd.uniform(0, 360),
                "gs": rnd.uniform(250, 500),
                "alt": rnd.choice([5000, 12000, 24000, 31000, 35000, 39000]),
                "squawk": f"{rnd.randrange(0, 0o7777):04o}",
            }
        )
    vs = []
    for i in range(n_vessels):
        lon, lat = _start_position(rnd, at_sea, 0.0)
        vs.append(
            {
                "mmsi": rnd.choice(MIDS) * 1_000_000 + 100_000 + i,
                "lon": lon,
                "lat": lat,
                "hdg": rnd.uniform(0, 360),
                "sog": rnd.uniform(6, 18),
            }
        )
    return ac, vs


def round_records(
    ac: list[dict],
    vs: list[dict],
    k: int,
    *,
    step_s: float = 10.0,
    raw: bool = False,
    offset_s: float = 0.0,
) -> Iterator[list[CaptureRecord]]:
    """One round: every subject reports once; batches of records as replay groups them,
    made lazily so only one batch of wire bodies is alive at a time. Rounds are
    ``step_s`` apart in data time, the first ``offset_s`` after the scenario's start;
    ``raw`` gives the bodies as raw JSON bytes (what a capture replay hands the parsers)."""
    base = START + timedelta(seconds=offset_s + step_s * k)

    def wire(body: object) -> object:
        return RawJson(orjson.dumps(body)) if raw else body

    now = base
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
            }
            for a in ac
        ],
        "now": now.timestamp() * 1000.0,
    }
    yield [CaptureRecord("adsbx_v2", now, wire(body), ref=f"mem:{k}:0")]
    del body
    for a in ac:
        a["lon"], a["lat"], a["hdg"] = _move(
            a["lon"], a["lat"], a["hdg"], a["gs"] * KT_MPS * step_s
        )
    records = []
    for j in range(0, len(vs), 500):
        now = base + timedelta(seconds=1 + (step_s - 2) * j / max(len(vs), 1))
        frames = []
        for v in vs[j : j + 500]:
            v["lon"], v["lat"], v["hdg"] = _move(
                v["lon"], v["lat"], v["hdg"], v["sog"] * KT_MPS * step_s
            )
            frames.append(_ais_frame(v, now))
        records.append(CaptureRecord("aisstream", now, wire(frames), ref=f"mem:{k}:{j}"))
        if len(records) == 64:
            yield records
            records = []
    if records:
        yield records


@dataclass(frozen=True)
class Rounds:
    """The rounds of ``bench_load.py`` as a picklable source (it can run in the parse
    worker, ``monitor.feeds.ahead``): ``warm_rounds`` rounds ``warm_step_s`` apart
    (phase ``"warm"``), then endless rounds ``step_s`` apart (``"load"``). Each meta is
    ``(phase, bytes)``: what building the subjects added to the resident set of the
    process running the source (the generator's own state, not the monitor's)."""

    aircraft: int
    vessels: int
    seed: int
    warm_rounds: int
    warm_step_s: float
    step_s: float

    def __call__(self) -> Iterator[tuple[list[CaptureRecord], tuple[str, int]]]:
        gc.collect()
        before = proc_status("VmRSS")
        ac, vs = subjects(self.aircraft, self.vessels, self.seed)
        gc.collect()
        state = proc_status("VmRSS") - before
        for k in range(self.warm_rounds):
            for batch in round_records(ac, vs, k, step_s=self.warm_step_s, raw=True):
                yield batch, ("warm", state)
        offset_s = self.warm_rounds * self.warm_step_s
        k = 0
        while True:
            for batch in round_records(ac, vs, k, step_s=self.step_s, raw=True, offset_s=offset_s):
                yield batch, ("load", state)
            k += 1


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--vessels", type=int, default=125_000)
    ap.add_argument("--aircraft", type=int, default=25_000)
    ap.add_argument(
        "--rounds",
        type=int,
        default=10,
        help="reports per subject (>= 8 fills every track: TrackStore keeps 8 fixes)",
    )
    ap.add_argument("--seed", type=int, default=8)
    ap.add_argument("--with-store", action="store_true")
    ap.add_argument(
        "--max-fixes",
        type=int,
        default=None,
        help="fixes kept per track (default: TrackStore's); shows what the history costs",
    )
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench_mem_") as tmp:
        pipeline = build_pipeline(args.with_store, Path(tmp))
        if args.max_fixes is not None:
            pipeline.tracks.max_fixes = args.max_fixes
            print(f"tracks keep {args.max_fixes} fixes per subject")
        ac, vs = subjects(args.aircraft, args.vessels, args.seed)
        gc.collect()
        base_rss = proc_status("VmRSS")
        print(f"baseline (imports, zones, detectors, generator state): {mb(base_rss)}")
        t0 = time.perf_counter()
        observations = 0
        for k in range(args.rounds):
            for batch in round_records(ac, vs, k):
                stats = pipeline.process(batch)
                observations += stats.observations
            del batch
            gc.collect()
            print(
                f"round {k + 1}/{args.rounds}: tracked {len(pipeline.tracks):,} subjects, "
                f"{observations:,} observations, RSS {mb(proc_status('VmRSS'))} "
                f"({time.perf_counter() - t0:.0f} s)"
            )
        gc.collect()
        rss = proc_status("VmRSS")
        peak = proc_status("VmHWM")
        tracked = len(pipeline.tracks)
        kinds = {
            kind: sum(1 for _ in pipeline.tracks.tracks(kind)) for kind in ("aircraft", "vessel")
        }
        verdict = "OK" if rss <= TARGET_RSS_BYTES else "ABOVE"
        print(
            f"\ntracked objects: {tracked:,} ({kinds['vessel']:,} vessels, "
            f"{kinds['aircraft']:,} aircraft), geofence subjects "
            f"{pipeline.geofence.subject_count:,}, open incidents {len(pipeline.open.by_key):,}"
        )
        print(
            f"RSS now {mb(rss)} (target <= {mb(TARGET_RSS_BYTES)}: {verdict}); "
            f"peak {mb(peak)}; monitor state ~ {mb(rss - base_rss)} "
            f"= {(rss - base_rss) / max(tracked, 1):,.0f} B per tracked object"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
