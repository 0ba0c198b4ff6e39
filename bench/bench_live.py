"""Live endpoints with 25,000 objects: full-region poll latency (issue 6).

Run: ``.venv/bin/python bench/bench_live.py [--aircraft 5000] [--vessels 20000] [--polls 40]``

A subprocess serves the real app (uvicorn, 127.0.0.1) over a LiveView holding SYNTHETIC
aircraft and vessels spread over the region, and publishes a new snapshot every second in
which 10 % of the objects moved (as the pipeline does). The bench process then measures,
over loopback:

* a full-region poll: ``GET /api/live/aircraft`` + ``GET /api/live/vessels`` with the whole
  region as bbox and no ``since_version`` (what a map opening on the region asks), the two
  requests in parallel as the page sends them, body fully read;
* a diff poll: the same with ``since_version`` of the previous answer (what a map asks every
  5 s afterwards);
* the full-region poll with 10 clients at once.

Prints p50 / p95 against the target (full-region poll ≤ 200 ms). Exits 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
import orjson

REPO = Path(__file__).resolve().parents[1]
TARGET_MS = 200.0
REGION = "-85,-5,-50,30"

SERVE = """
import sys, threading, time, random, msgspec.structs
sys.path.insert(0, {repo!r})
sys.path.insert(0, {repo!r} + "/bench")
import uvicorn
from datetime import UTC, datetime
from monitor.domain import Observation, SubjectKind
from monitor.pipeline import FeedHealthBook, LiveView
from monitor.pipeline.live import LiveSnapshot
from monitor.store import Store
from monitor.web.app import create_app
from monitor.web.services import WebServices

rng = random.Random(5)
now = datetime(2025, 12, 2, 12, 0, tzinfo=UTC)
air = [Observation(source="adsb_lol", feed_kind="adsbx_v2", subject_kind=SubjectKind.AIRCRAFT,
                   subject_id=f"{{0x100000 + i:06x}}", time=now, lat=rng.uniform(-3, 28), lon=rng.uniform(-84, -52),
                   callsign=f"SYN{{i:04d}}", altitude_ft=float(rng.randrange(0, 41000, 100)),
                   ground_speed_kt=rng.uniform(100, 520), track_deg=rng.uniform(0, 360), squawk="2000",
                   on_ground=False, military=(i % 50 == 0)) for i in range({aircraft})]
ves = [Observation(source="aisstream", feed_kind="aisstream", subject_kind=SubjectKind.VESSEL,
                   subject_id=str(200000000 + i), time=now, lat=rng.uniform(-3, 28), lon=rng.uniform(-84, -52),
                   name=f"SYNTHETIC {{i}}", ground_speed_kt=rng.choice([0.0, 9.5, 14.0]), track_deg=rng.uniform(0, 360),
                   nav_status=rng.choice([0, 1, 5]), vessel_type=rng.choice([30, 60, 70, 80, 52])) for i in range({vessels})]
live = LiveView()
live.snapshot = LiveSnapshot(at=now, aircraft=tuple(air), vessels=tuple(ves), version=1)

def publisher():
    version = 1
    while True:
        time.sleep(1.0)
        version += 1
        snap = live.snapshot
        def move(objs):
            return tuple(msgspec.structs.replace(o, lat=o.lat + 0.01, time=o.time) if rng.random() < 0.1 else o
                         for o in objs)
        live.snapshot = LiveSnapshot(at=snap.at, aircraft=move(snap.aircraft), vessels=move(snap.vessels),
                                     version=version)

threading.Thread(target=publisher, daemon=True).start()
store = Store.open("sqlite:///" + {db!r})
app = create_app(WebServices(store=store, live=live, health=FeedHealthBook(), zones=lambda: []))
uvicorn.run(app, host="127.0.0.1", port={port}, log_level="warning", access_log=False)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def poll(http: httpx.AsyncClient, versions: dict[str, int] | None) -> tuple[float, int, dict[str, int]]:
    async def one(kind: str) -> tuple[int, int]:
        params = {"bbox": REGION}
        if versions is not None:
            params["since_version"] = str(versions[kind])
        r = await http.get(f"/api/live/{kind}", params=params)
        raw = r.content  # the whole body is read; only its head is parsed (client CPU is not the server's)
        head = orjson.loads(raw[: raw.index(b',"features":[')] + b"}")
        return head["count"], head["version"]

    t = time.perf_counter()
    (na, va), (nv, vv) = await asyncio.gather(one("aircraft"), one("vessels"))
    return (time.perf_counter() - t) * 1000, na + nv, {"aircraft": va, "vessels": vv}


def pct(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


async def run(base: str, polls: int) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        await poll(http, None)  # warm-up: first index of the snapshot
        full, diff, sizes, diff_sizes = [], [], [], []
        for _ in range(polls):
            ms, n, versions = await poll(http, None)
            full.append(ms)
            sizes.append(n)
            await asyncio.sleep(1.2)  # a new snapshot arrives in between
            ms, n, _ = await poll(http, versions)
            diff.append(ms)
            diff_sizes.append(n)
        print(f"full-region poll ({statistics.mean(sizes):,.0f} objects): p50 {pct(full, 50):.0f} ms  "
              f"p95 {pct(full, 95):.0f} ms  max {max(full):.0f} ms")
        print(f"diff poll (~{statistics.mean(diff_sizes):,.0f} changed objects): p50 {pct(diff, 50):.0f} ms  "
              f"p95 {pct(diff, 95):.0f} ms")
        conc: list[float] = []
        for _ in range(max(3, polls // 8)):
            results = await asyncio.gather(*(poll(http, None) for _ in range(10)))
            conc += [r[0] for r in results]
        print(f"full-region poll, 10 clients at once: p50 {pct(conc, 50):.0f} ms  p95 {pct(conc, 95):.0f} ms")
        p95 = pct(full, 95)
        verdict = "meets" if p95 <= TARGET_MS else "MISSES"
        print(f"full-region poll p95 {p95:.0f} ms vs target <= {TARGET_MS:.0f} ms: {verdict} the target")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--aircraft", type=int, default=5000)
    ap.add_argument("--vessels", type=int, default=20000)
    ap.add_argument("--polls", type=int, default=40)
    args = ap.parse_args()
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        code = SERVE.format(repo=str(REPO), aircraft=args.aircraft, vessels=args.vessels, port=port,
                            db=str(Path(tmp) / "live.sqlite"))
        proc = subprocess.Popen([sys.executable, "-c", code], env={**os.environ, "PYTHONWARNINGS": "ignore"})
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 90
            while True:
                try:
                    if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise SystemExit("the app did not start")
                time.sleep(0.3)
            print(f"{args.aircraft:,} aircraft + {args.vessels:,} vessels (SYNTHETIC), 10 % moving each second")
            asyncio.run(run(base, args.polls))
        finally:
            proc.terminate()
            proc.wait(10)


if __name__ == "__main__":
    main()
