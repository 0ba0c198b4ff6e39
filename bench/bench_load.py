"""Sustained load: replay paced at 50,000 observations/s for 10 minutes, with flat memory.

Run: ``.venv/bin/python bench/bench_load.py [--rate 50000] [--seconds 600]
[--aircraft 25000] [--vessels 125000] [--step-s S] [--warm-up-s 3900] [--no-store]
[--no-parse-worker]``

Issue 8 asks for "a replay at 50,000 observations per second sustained for 10 minutes with
flat memory". A 10-minute capture at that rate would be 30 million positions (several GB),
so the positions are generated as the run goes, round by round, with the generator of
``bench_memory.py`` (``--aircraft`` + ``--vessels`` subjects moving plausibly over the
region, each reporting once a round): every round is one ADS-B v2 body of all aircraft and
aisstream batches of 500 frames, serialised to raw JSON bytes (what a capture replay hands
the parsers).

Data time. 50,000 positions a second is the world's peak (about 23,000 aircraft and
19,000 AIS sentences a second), so a replay of the world at that rate runs its data clock
at wall speed: with 150,000 subjects each reports every 3 s. That is the default
(``--step-s`` = subjects / rate). ``--step-s 30`` compresses data time tenfold, a stress
test: every per-subject interval (one stored position a minute, one loitering sample in
two minutes) then comes ten times as often per wall second as in any real replay.

Steady state. The monitor runs for months, so the 10 minutes are measured at its steady
state: first ``--warm-up-s`` of data time (65 min: the hour-long loitering windows and
the GNSS cells fill) go through the same pipeline and store in rounds of
``--warm-step-s`` (120 s, the loitering sample interval), unpaced and not counted.

The monitor is the real one: the pipeline ``monitor.service.runtime.build_runtime`` builds
(shipped zones, every detector, a SQLite store in a temporary folder, one transaction per
batch), fed through ``Pipeline.process``. As a replay of a file this large does, the
records are made and parsed in a worker process one batch ahead (``monitor.feeds.ahead``;
the generator stands in for the capture reader there), and the pipeline takes each batch
parsed. Pacing counts the pipeline's time only: after each batch the run sleeps if it is
ahead of ``--rate``. With the worker, taking a batch (waiting for it when the worker is
behind, receiving it, decoding its positions) is counted as pipeline time; with
``--no-parse-worker`` the positions are generated in this process, that time is not the
monitor's work and is reported apart, and parsing is inside ``process``.

Every ``--sample-s`` seconds it records RSS (``/proc/PID/status``) of this process and of
the worker and prints them; at the end it prints the achieved rate against the target,
the share of the run the pace held, first/last/peak RSS and the slope of RSS over the
second half of the run (MB per minute, least squares): flat memory is a slope near zero
once the windows have filled. The RSS figures are the monitor's: this process plus the
worker, less what the generator's own subject state adds to the worker (measured there,
around building it, and printed).
Exits 0 whatever the figures (benchmarks report; tests hold the line).
"""

from __future__ import annotations

import argparse
import gc
import math
import sys
import tempfile
import time
from collections.abc import Iterator
from itertools import chain
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_memory import Rounds, mb, proc_status  # noqa: E402

from monitor.capture import CaptureRecord  # noqa: E402
from monitor.config import Settings  # noqa: E402
from monitor.feeds.batch import ParsedRecords  # noqa: E402

TARGET_RATE = 50_000
TARGET_RSS_BYTES = 1024**3
TARGET_S = 600.0


def slope_mb_per_min(samples: list[tuple[float, int]]) -> float:
    """Least-squares slope of RSS over time, MB per minute."""
    if len(samples) < 2:
        return 0.0
    n = len(samples)
    mx = sum(t for t, _ in samples) / n
    my = sum(r for _, r in samples) / n
    sxx = sum((t - mx) ** 2 for t, _ in samples)
    sxy = sum((t - mx) * (r - my) for t, r in samples)
    return (sxy / sxx) * 60 / 1024**2 if sxx else 0.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rate", type=float, default=TARGET_RATE, help="observations per second to hold")
    ap.add_argument("--seconds", type=float, default=TARGET_S, help="length of the run (wall)")
    ap.add_argument("--aircraft", type=int, default=25_000)
    ap.add_argument("--vessels", type=int, default=125_000)
    ap.add_argument(
        "--step-s", type=float, default=None,
        help="data seconds between rounds (default: subjects / rate, data time at wall speed)",
    )
    ap.add_argument("--warm-up-s", type=float, default=3900.0, help="data seconds before measuring")
    ap.add_argument("--warm-step-s", type=float, default=120.0, help="data seconds between warm-up rounds")
    ap.add_argument("--sample-s", type=float, default=15.0)
    ap.add_argument("--seed", type=int, default=8)
    ap.add_argument("--no-store", action="store_true", help="without the SQLite store")
    ap.add_argument(
        "--parse-worker", action=argparse.BooleanOptionalAction, default=True,
        help="generate and parse in a worker process, as a replay of a large file does (default)",
    )
    args = ap.parse_args()
    if args.step_s is None:
        args.step_s = (args.aircraft + args.vessels) / args.rate

    from monitor.feeds.ahead import ParseAhead
    from monitor.service.runtime import build_runtime

    with tempfile.TemporaryDirectory(prefix="bench_load_") as tmp:
        runtime = build_runtime(Settings(database_url=f"sqlite:///{Path(tmp) / 'load.sqlite'}"))
        pipeline = runtime.pipeline
        if args.no_store:
            pipeline.store = None
        warm_rounds = math.ceil(args.warm_up_s / args.warm_step_s) if args.warm_up_s > 0 else 0
        source = Rounds(
            args.aircraft, args.vessels, args.seed, warm_rounds, args.warm_step_s, args.step_s
        )
        ahead = ParseAhead(source) if args.parse_worker else None
        items: Iterator[tuple[list[CaptureRecord], tuple[str, int], ParsedRecords | None]] = (
            iter(ahead) if ahead is not None else ((r, m, None) for r, m in source())
        )
        worker_pid = ahead.pid if ahead is not None else None

        def rss() -> tuple[int, int]:
            """RSS of the monitor's process and of its parse worker (0 without one)."""
            return proc_status("VmRSS"), proc_status("VmRSS", worker_pid) if worker_pid else 0

        def rss_text(main_b: int, worker_b: int) -> str:
            if not worker_pid:
                return mb(main_b)
            return f"{mb(main_b + worker_b)} ({mb(main_b)} + worker {mb(worker_b)})"

        generator_b = 0  # the generator's subject state, in the worker's RSS

        gc.collect()
        w0 = time.perf_counter()
        warm_obs = 0
        first: tuple[list[CaptureRecord], tuple[str, int], ParsedRecords | None] | None = None
        for records, meta, parsed in items:
            if meta[0] != "warm":
                first = (records, meta, parsed)
                break
            warm_obs += pipeline.process(records, parsed=parsed).observations
        pipeline.flush()
        assert first is not None
        generator_b = first[1][1] if ahead is not None else 0
        if warm_rounds:
            print(
                f"warm-up: {warm_rounds * args.warm_step_s / 60:.0f} min of data time "
                f"({warm_obs:,} positions in {time.perf_counter() - w0:.0f} s, not counted); "
                f"RSS {rss_text(*rss())}"
            )
        print(
            f"load: {args.aircraft:,} aircraft + {args.vessels:,} vessels, a round every "
            f"{args.step_s:g} s of data time, paced at {args.rate:,.0f} obs/s for "
            f"{args.seconds:g} s, store {'off' if args.no_store else 'SQLite'}, "
            + ("read and parsed in a worker process" if ahead else "parsed in-process")
            + f"; RSS at start {rss_text(*rss())}"
        )
        items = chain([first], items)
        started = time.perf_counter()
        busy_s = gen_s = slept_s = 0.0
        observations = 0
        behind_s = 0.0  # wall time during which the pipeline was behind the pace
        #: (wall s, RSS of the monitor: its process + the parse worker less the generator)
        samples: list[tuple[float, int]] = []
        worker_peak = 0
        next_sample = 0.0
        while True:
            elapsed = time.perf_counter() - started
            if elapsed >= args.seconds:
                break
            if elapsed >= next_sample:
                main_b, worker_b = rss()
                samples.append((elapsed, main_b + worker_b - generator_b))
                worker_peak = max(worker_peak, worker_b)
                print(
                    f"  {elapsed:6.0f} s  {observations:>12,} obs  "
                    f"{observations / busy_s if busy_s else 0:>9,.0f} obs/s busy  "
                    f"tracked {len(pipeline.tracks):,}  RSS {rss_text(main_b, worker_b)}",
                    flush=True,
                )
                next_sample += args.sample_s
            g0 = time.perf_counter()
            batch, _, parsed = next(items)
            dt = time.perf_counter() - g0
            if ahead is None:
                gen_s += dt  # generating positions: not the monitor's work
                dt = 0.0
            # with a worker: receiving the parsed batch (and waiting for it) is pipeline time
            p0 = time.perf_counter()
            stats = pipeline.process(batch, parsed=parsed)
            dt += time.perf_counter() - p0
            busy_s += dt
            observations += stats.observations
            # pace on the pipeline's own time: sleep while ahead of the target rate
            ahead_s = observations / args.rate - busy_s
            if ahead_s > 0:
                time.sleep(ahead_s)
                slept_s += ahead_s
                busy_s += ahead_s  # the pace clock counts the sleep as on-schedule time
            else:
                behind_s += dt
        f0 = time.perf_counter()
        pipeline.flush()  # the last batch's commit, still on the store's writer thread
        busy_s += time.perf_counter() - f0
        wall = time.perf_counter() - started
        main_b, worker_b = rss()
        samples.append((wall, main_b + worker_b - generator_b))
        worker_peak = max(worker_peak, worker_b)
        work_s = busy_s - slept_s
        rate = observations / work_s if work_s else 0.0
        held = rate >= args.rate
        half = [s for s in samples if s[0] >= wall / 2]
        rss_values = [r for _, r in samples]
        print(
            f"\nobservations {observations:,} in {wall:.0f} s wall: pipeline {work_s:.0f} s, "
            + (f"generating positions {gen_s:.0f} s, " if ahead is None else "")
            + f"paced sleep {slept_s:.0f} s"
        )
        print(
            f"pipeline throughput {rate:,.0f} obs/s (target {args.rate:,.0f}/s sustained: "
            f"{'HELD' if held else 'NOT HELD'}; behind the pace for {behind_s:.0f} s of pipeline time)"
        )
        if ahead is not None:
            print(
                f"parse worker: peak RSS {mb(worker_peak)}, of which the load generator's "
                f"subject state {mb(generator_b)} (it stands in for the capture file a "
                "replay's worker reads); the figures below count the rest as the monitor's"
            )
        print(
            f"RSS first {mb(rss_values[0])}, last {mb(rss_values[-1])}, peak {mb(max(rss_values))} "
            f"(target <= {mb(TARGET_RSS_BYTES)}: {'met' if max(rss_values) <= TARGET_RSS_BYTES else 'NOT met'}); "
            f"slope over the second half {slope_mb_per_min(half):+.1f} MB/min "
            f"(over the whole run {slope_mb_per_min(samples):+.1f} MB/min; target: flat)"
        )
        if ahead is not None:
            ahead.close()
        runtime.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
