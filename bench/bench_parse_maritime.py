"""Maritime parser throughput on one core: NMEA (ours vs pyais alone) and aisstream JSON.

Run: ``.venv/bin/python bench/bench_parse_maritime.py``. Prints the measured rates and the
targets of issue 5 (NMEA within 2x of pyais alone; aisstream JSON messages per second).

Inputs: the real single-part sentences of ``../shared/reference/samples`` that pyais
decodes (repeated to ~20,000 lines), else the small fixtures in ``tests/fixtures/maritime``.
Each variant runs several times, interleaved, and the best run counts (the machine is shared).
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import orjson
from pyais.messages import NMEASentenceFactory
from pyais.stream import IterMessages

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from monitor.feeds.aisstream import make_parser as make_aisstream_parser  # noqa: E402
from monitor.feeds.nmea import make_parser as make_nmea_parser  # noqa: E402

SAMPLES = ROOT / ".." / "shared" / "reference" / "samples"
FIXTURES = ROOT / "tests" / "fixtures" / "maritime"
T0 = datetime(2023, 10, 15, 12, tzinfo=UTC)
TARGET_FACTOR = 2.0


def _nmea_lines() -> list[bytes]:
    files = sorted(SAMPLES.glob("ais_nmea_*")) if SAMPLES.is_dir() else []
    files = [f for f in files if f.suffix != ".chk"] or sorted(FIXTURES.glob("*.nmea"))
    good: list[bytes] = []
    for f in files:
        for raw in f.read_bytes().splitlines():
            line = raw.strip()
            if not line.startswith(b"!") or not line.split(b",")[1:2] == [b"1"]:
                continue
            line = line[: line.find(b"*") + 3]
            try:
                NMEASentenceFactory.produce(line).decode()
            except Exception:  # noqa: BLE001 - selecting inputs pyais accepts
                continue
            good.append(line)
    reps = max(1, 20_000 // max(1, len(good)))
    return good * reps


def _aisstream_frames() -> list[object]:
    path = SAMPLES / "aisstream_message_examples.jsonl"
    if not path.exists():
        path = FIXTURES / "aisstream_frames.jsonl"
    frames = [orjson.loads(x) for x in path.read_bytes().splitlines() if x.strip()]
    pos = [f for f in frames if f["MessageType"] in ("PositionReport", "StandardClassBPositionReport")]
    mix = pos * 8 + frames  # live traffic is mostly position reports
    return mix * max(1, 20_000 // len(mix))


def _best(fn, n_items: int, runs: int = 5) -> float:
    best = 0.0
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        dt = time.perf_counter() - t
        best = max(best, n_items / dt)
    return best


def main() -> None:
    lines = _nmea_lines()
    body = b"\n".join(lines).decode()
    n = len(lines)

    def pyais_factory() -> None:
        produce = NMEASentenceFactory.produce
        for line in lines:
            produce(line).decode()

    def pyais_stream() -> None:
        for msg in IterMessages(lines):
            msg.decode()

    def ours() -> None:
        make_nmea_parser()(body, received_at=T0, source="bench", record_ref=None)

    rates = {"pyais_factory": 0.0, "pyais_stream": 0.0, "ours": 0.0}
    for _ in range(3):  # interleave so load on the shared machine hits all alike
        rates["pyais_factory"] = max(rates["pyais_factory"], _best(pyais_factory, n, 2))
        rates["pyais_stream"] = max(rates["pyais_stream"], _best(pyais_stream, n, 2))
        rates["ours"] = max(rates["ours"], _best(ours, n, 2))
    base = rates["pyais_factory"]
    target = base / TARGET_FACTOR
    print(f"NMEA input: {n} single-part sentences")
    print(f"  pyais alone (factory + decode):     {rates['pyais_factory']:>9,.0f} sentences/s")
    print(f"  pyais alone (IterMessages+decode):  {rates['pyais_stream']:>9,.0f} sentences/s")
    print(
        f"  ours (checksum, tag blocks, decode, normalise to Observation): "
        f"{rates['ours']:>9,.0f} sentences/s  -> {base / rates['ours']:.2f}x pyais"
    )
    print(f"  target: >= {target:,.0f}/s (within {TARGET_FACTOR:.0f}x of pyais alone): "
          f"{'MET' if rates['ours'] >= target else 'NOT MET'}")

    frames = _aisstream_frames()
    raw = [orjson.dumps(f) for f in frames]
    parse = make_aisstream_parser()

    def aisstream_values() -> None:
        for f in frames:
            parse(f, received_at=T0, source="bench", record_ref=None)

    def aisstream_bytes() -> None:
        for b in raw:
            parse(orjson.loads(b), received_at=T0, source="bench", record_ref=None)

    # a capture of the websocket written in bulk: 500 frames a record, kept as raw bytes
    batches = [orjson.dumps(frames[i : i + 500]) for i in range(0, len(frames), 500)]

    def aisstream_batches() -> None:
        for b in batches:
            parse(b, received_at=T0, source="bench", record_ref=None)

    r_val = _best(aisstream_values, len(frames))
    r_raw = _best(aisstream_bytes, len(frames))
    r_batch = _best(aisstream_batches, len(frames))
    print(f"aisstream input: {len(frames)} frames (80% position reports)")
    print(f"  parse of decoded frames:          {r_val:>9,.0f} messages/s")
    print(f"  orjson.loads + parse (wire bytes): {r_raw:>9,.0f} messages/s")
    print(f"  raw batches of 500 (typed fast path): {r_batch:>6,.0f} messages/s")
    print("  target: >= 20,000 messages/s (the global aisstream firehose peaks near 1,000/s)")
    print(f"  {'MET' if r_raw >= 20_000 else 'NOT MET'}")


if __name__ == "__main__":
    main()
