"""Aviation parser throughput on one core, from raw bytes: readsb / v2 JSON and OpenSky states.

Run: ``.venv/bin/python bench/bench_parse_aviation.py``. Prints, for each format, records
per second from raw bytes (the parser given the body's bytes, as an adapter holds them: the
figure of issue 4, target 300,000/s; the ADS-B parser takes its typed msgspec fast path
there), then the general path (``orjson.loads`` + parse of the decoded value) and its two
halves: decoding only and parsing an already decoded body. The raw-bytes result is
checked equal to the decoded-body result before timing.

Inputs: synthetic large bodies built from the real samples of ``../shared/reference/
samples`` (their records repeated to 10,000 per body, the size of the largest real body,
ADS-B Exchange's global snapshot; serialised compact as the APIs serve them), else from the
hand-made fixtures in ``tests/fixtures/aviation``; each run parses 10 such bodies. Each
variant runs several times and the best run counts (the machine may be shared). A last
line repeats the total with Python's cyclic garbage collector paused, to show how much of
the time is the collector walking the freshly decoded objects (a pipeline-level setting,
not the parser's). ``--strict`` exits 1 when a target is missed.
"""

from __future__ import annotations

import gc
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from monitor.feeds.adsbx import make_parser as make_adsbx_parser  # noqa: E402
from monitor.feeds.opensky import make_parser as make_opensky_parser  # noqa: E402

SAMPLES = ROOT / ".." / "shared" / "reference" / "samples"
FIXTURES = ROOT / "tests" / "fixtures" / "aviation"
TARGET_PER_S = 300_000
BODY_RECORDS = 10_000
BODIES = 10
RUNS = 5


def _adsbx_body() -> tuple[bytes, int, datetime, str]:
    path = SAMPLES / "adsbx_readsb_aircraft_caribbean_subset_20220430T235959Z.json"
    if not path.exists():
        path = FIXTURES / "adsb_lol_v2_point_svzm.json"
    doc = orjson.loads(path.read_bytes())
    aircraft = doc.get("aircraft") or doc.get("ac") or []
    records = (aircraft * (BODY_RECORDS // len(aircraft) + 1))[:BODY_RECORDS]
    body = {"now": doc["now"], "aircraft": records}
    now = doc["now"] / 1000.0 if doc["now"] > 1e11 else doc["now"]
    return orjson.dumps(body), len(records), datetime.fromtimestamp(now + 1, UTC), path.name


def _opensky_body() -> tuple[bytes, int, datetime, str]:
    path = SAMPLES / "opensky_states_all_caribbean_subset_20230828T145101Z.json"
    if not path.exists():
        path = FIXTURES / "opensky_states_extended_svzm.json"
    doc = orjson.loads(path.read_bytes())
    states = (doc["states"] * (BODY_RECORDS // len(doc["states"]) + 1))[:BODY_RECORDS]
    body = {"time": doc["time"], "states": states}
    return orjson.dumps(body), len(states), datetime.fromtimestamp(doc["time"], UTC), path.name


def _best(fn: Callable[[], Any]) -> float:
    best = float("inf")
    for _ in range(RUNS):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best


def _measure(
    name: str, raw: bytes, n: int, received_at: datetime, parser: Any, source: str
) -> bool:
    def total() -> None:
        for _ in range(BODIES):
            parser(raw, received_at=received_at, source="bench", record_ref=None)

    def general() -> None:
        for _ in range(BODIES):
            parser(orjson.loads(raw), received_at=received_at, source="bench", record_ref=None)

    def decode_only() -> None:
        for _ in range(BODIES):
            orjson.loads(raw)

    check = parser(orjson.loads(raw), received_at=received_at, source="bench", record_ref=None)
    from_raw = parser(raw, received_at=received_at, source="bench", record_ref=None)
    if from_raw.observations != check.observations or from_raw.errors != check.errors:
        raise SystemExit(f"{name}: raw-bytes and decoded-body results differ")
    n_obs = len(check.observations)
    # time each variant with only its own input alive: a heap of other live containers
    # (a decoded body kept for another variant) would make the collector's walks longer
    del check, from_raw
    gc.collect()
    t_total, t_general, t_decode = _best(total), _best(general), _best(decode_only)
    decoded = orjson.loads(raw)

    def parse_only(decoded: Any = decoded) -> None:
        for _ in range(BODIES):
            parser(decoded, received_at=received_at, source="bench", record_ref=None)

    t_parse = _best(parse_only)
    del decoded
    gc.collect()
    gc.disable()
    try:
        t_nogc = _best(total)
    finally:
        gc.enable()
    count = n * BODIES
    rate = count / t_total
    ok = rate >= TARGET_PER_S
    print(
        f"{name}: {BODIES} bodies of {n:,} records from {source} ({len(raw) / n:.0f} bytes each), "
        f"{n_obs:,} observations per body"
    )
    print(
        f"  raw bytes -> observations : {rate:>11,.0f} records/s   target {TARGET_PER_S:,}/s   "
        f"{'OK' if ok else 'BELOW TARGET'}"
    )
    print(f"  orjson.loads + parse      : {count / t_general:>11,.0f} records/s   (the general path)")
    print(
        f"  decode only (orjson)      : {count / t_decode:>11,.0f} records/s   ({t_decode / count * 1e6:.2f} us/record)"
    )
    print(
        f"  parse only (decoded body) : {count / t_parse:>11,.0f} records/s   ({t_parse / count * 1e6:.2f} us/record)"
    )
    print(f"  raw bytes, gc paused      : {count / t_nogc:>11,.0f} records/s")
    return ok


def _calibration() -> float:
    """Nanoseconds per trivial Python loop step: compare machines with it."""

    def loop() -> None:
        s = 0
        for i in range(1_000_000):
            s += i

    return _best(loop) * 1e3


def main() -> int:
    print(
        f"python {sys.version.split()[0]}, one core; loop step {_calibration():.0f} ns "
        "(about 20-30 ns on a current desktop)"
    )
    raw, n, received_at, source = _adsbx_body()
    ok_a = _measure(
        "adsbx_v2 (readsb / ADS-B v2 aircraft)", raw, n, received_at, make_adsbx_parser(), source
    )
    raw, n, received_at, source = _opensky_body()
    ok_o = _measure(
        "opensky_states (state vectors)", raw, n, received_at, make_opensky_parser(), source
    )
    return 0 if (ok_a and ok_o) or "--strict" not in sys.argv else 1


if __name__ == "__main__":
    raise SystemExit(main())
