"""Live updates fanned out over server-sent events: N viewers of ``GET /api/live/stream``.

The monitor's web app runs in its own process (uvicorn on 127.0.0.1, a live view of
``--aircraft`` aircraft of which ``--moving`` move every ``--every-s``); each change is
stamped with the wall clock in the snapshot's ``at``. ``--viewers`` asyncio clients
(httpx streaming, in this process) read the stream; for each ``diff`` event a viewer
receives, delay = arrival time - ``at``. Printed: the date, the machine, p50/p95/max
delay, events received, viewers dropped, and the monitor process's CPU (from
``/proc/PID/stat``) per second of the measurement, i.e. the cost of the fan-out.

    .venv/bin/python bench/bench_fanout.py --viewers 500 --seconds 20
"""

from __future__ import annotations

import argparse
import asyncio
import math
import multiprocessing as mp
import os
import platform
import random
import re
import statistics
import threading
import time
from datetime import UTC, datetime
from typing import Any

import httpx

_VERSION_AT = re.compile(rb'"version":(\d+),"at":"([^"]+)"')
_DIFF_AT = re.compile(rb'event: diff\nid: [^\n]*\ndata: \{"aircraft":\{[^{]*?"at":"([^"]+)"')

TARGET_P95_S = 1.0


def _snapshot(version: int, n: int, moving: int, at: datetime):  # type: ignore[no-untyped-def]
    from monitor.domain import Observation, SubjectKind
    from monitor.pipeline.live import LiveSnapshot

    aircraft = tuple(
        Observation(
            source="bench", feed_kind="adsbx_v2", subject_kind=SubjectKind.AIRCRAFT,
            subject_id=f"{i:06x}", time=at if i < moving else datetime(2026, 1, 3, tzinfo=UTC),
            lat=5.0 + (i % 150) * 0.1, lon=-80.0 + (i // 150) * 0.1 + (version * 0.001 if i < moving else 0),
            callsign=f"BNC{i}", altitude_ft=30000.0,
        )
        for i in range(n)
    )
    return LiveSnapshot(at, aircraft, (), version)


def _server(port: int, n: int, moving: int, every_s: float, ready: mp.Event) -> None:  # type: ignore[type-arg]
    import sys
    import tempfile
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.web.scenario
    from monitor.store import Store
    from monitor.web.app import create_app
    from monitor.web.server import serve
    from tests.web import scenario

    store = Store.open(f"sqlite:///{tempfile.mkdtemp()}/fanout.sqlite")
    services = scenario.services(store)
    services.live.snapshot = _snapshot(1, n, moving, datetime.now(tz=UTC))

    def publish() -> None:
        # the API gives ``at`` to the second: changes are made on whole seconds, stamped
        # with that second, so that arrival - ``at`` is the delay itself
        version = 2
        while True:
            time.sleep(every_s - time.time() % every_s)
            at = datetime.fromtimestamp(math.floor(time.time()), tz=UTC)
            services.live.snapshot = _snapshot(version, n, moving, at)
            version += 1

    threading.Thread(target=publish, daemon=True).start()
    asyncio.run(serve(create_app(services), "127.0.0.1", port, on_started=lambda _p: ready.set()))


def _cpu_s(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _viewer(http: httpx.AsyncClient, delays: list[float], stop: asyncio.Event, stats: dict[str, int]) -> None:
    tail = b""
    try:
        async with http.stream("GET", "/api/live/stream") as r:
            async for chunk in r.aiter_raw():
                now = time.time()
                # only each diff event's header is read (its "at" is the wall clock of the
                # change), not its features: the clients, not the monitor, are the load here
                text = tail + chunk
                for m in _DIFF_AT.finditer(text):
                    if m.end() > len(tail) and not stop.is_set():
                        delays.append(now - datetime.fromisoformat(m.group(1).decode()).timestamp())
                        stats["events"] += 1
                tail = text[-400:]
                if stop.is_set():
                    return
    except httpx.HTTPError:
        stats["errors"] += 1
    else:
        if not stop.is_set():
            stats["ended"] += 1


async def _poller(http: httpx.AsyncClient, delays: list[float], stop: asyncio.Event, stats: dict[str, int],
                  every_s: float) -> None:
    """The reference: the map's polling path, ``/api/live/aircraft?since_version=`` every
    ``every_s`` (what the stream replaces)."""
    version: int | None = None
    await asyncio.sleep(every_s * random.random())  # spread the polls
    while not stop.is_set():
        t0 = time.monotonic()
        try:
            url = "/api/live/aircraft" + (f"?since_version={version}" if version is not None else "")
            r = await http.get(url)
            now = time.time()
            head = r.content[:400]
            m = _VERSION_AT.search(head)
            if m is not None:
                new_version = int(m.group(1))
                if version is not None and new_version != version and not stop.is_set():
                    delays.append(now - datetime.fromisoformat(m.group(2).decode()).timestamp())
                    stats["events"] += 1
                version = new_version
        except httpx.HTTPError:
            stats["errors"] += 1
        await asyncio.sleep(max(0.0, every_s - (time.monotonic() - t0)))


async def _viewers(base: str, viewers: int, warmup_s: float, seconds: float,
                   poll_s: float = 0.0) -> tuple[list[float], dict[str, int]]:
    delays: list[float] = []
    stats = {"events": 0, "errors": 0, "ended": 0}
    stop = asyncio.Event()
    limits = httpx.Limits(max_connections=viewers + 10, max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=base, timeout=httpx.Timeout(30, read=None), limits=limits) as http:
        if poll_s:
            tasks = [asyncio.create_task(_poller(http, delays, stop, stats, poll_s)) for _ in range(viewers)]
        else:
            tasks = [asyncio.create_task(_viewer(http, delays, stop, stats)) for _ in range(viewers)]
        await asyncio.sleep(warmup_s)  # connect everyone, let the full snapshots go out
        delays.clear()
        stats["events"] = 0
        await asyncio.sleep(seconds)
        stop.set()
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return delays, stats


def _client_proc(base: str, viewers: int, warmup_s: float, seconds: float, poll_s: float, out: Any) -> None:
    out.put(asyncio.run(_viewers(base, viewers, warmup_s, seconds, poll_s)))


def _phase(ctx: Any, base: str, pid: int, args: Any, *, poll_s: float) -> tuple[list[float], dict[str, int], float, float]:
    """One measurement: the viewers (over ``args.client_procs`` processes) on the stream,
    or polling every ``poll_s``; returns delays, counts, monitor CPU, viewers' CPU."""
    out = ctx.Queue()
    warmup_s = 3.0 + args.viewers / 200
    clients = [
        ctx.Process(target=_client_proc,
                    args=(base, args.viewers // args.client_procs, warmup_s, args.seconds, poll_s, out))
        for _ in range(args.client_procs)
    ]
    for c in clients:
        c.start()
    time.sleep(warmup_s)
    cpu0, t0 = _cpu_s(pid), time.monotonic()
    ccpu0 = sum(_cpu_s(c.pid) for c in clients if c.pid)
    time.sleep(args.seconds)
    elapsed = time.monotonic() - t0
    cpu = (_cpu_s(pid) - cpu0) / elapsed
    client_cpu = (sum(_cpu_s(c.pid) for c in clients if c.pid) - ccpu0) / elapsed
    delays: list[float] = []
    stats = {"events": 0, "errors": 0, "ended": 0}
    for _ in clients:
        d, st = out.get(timeout=120)
        delays += d
        for k in stats:
            stats[k] += st[k]
    for c in clients:
        c.join(30)
    return delays, stats, cpu, client_cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--viewers", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--aircraft", type=int, default=2000)
    parser.add_argument("--moving", type=int, default=200)
    parser.add_argument("--every-s", type=int, default=1, help="seconds between changes (whole)")
    parser.add_argument("--port", type=int, default=18766)
    parser.add_argument("--reference-poll-s", type=float, default=1.0,
                        help="then the same viewers polling every this many seconds (0: skip)")
    parser.add_argument("--client-procs", type=int, default=2,
                        help="processes the viewers are spread over (one Python process cannot "
                        "read 500 streams of ~70 KB/s each)")
    args = parser.parse_args()

    ctx = mp.get_context("spawn")
    ready = ctx.Event()
    proc = ctx.Process(
        target=_server, args=(args.port, args.aircraft, args.moving, args.every_s, ready), daemon=True
    )
    proc.start()
    try:
        if not ready.wait(60):
            raise SystemExit("the monitor's web app did not start within 60 s")
        assert proc.pid is not None
        base = f"http://127.0.0.1:{args.port}"
        results = {"sse": _phase(ctx, base, proc.pid, args, poll_s=0.0)}
        if args.reference_poll_s:
            results["poll"] = _phase(ctx, base, proc.pid, args, poll_s=args.reference_poll_s)
    finally:
        proc.terminate()
        proc.join(10)
    print(f"bench_fanout {datetime.now(tz=UTC):%Y-%m-%d %H:%M}Z on {platform.node()} "
          f"({os.cpu_count()} cores, {platform.processor() or platform.machine()}, Python {platform.python_version()})")
    print(f"  {args.viewers} viewers, {args.aircraft} aircraft ({args.moving} moving every {args.every_s:g} s), "
          f"{args.seconds:g} s measured")
    for mode, (delays, stats, cpu, client_cpu) in results.items():
        what = ("server-sent events (/api/live/stream)" if mode == "sse" else
                f"reference: polling /api/live/aircraft?since_version= every {args.reference_poll_s:g} s")
        print(f"  {what}:")
        if not delays:
            print("    no change received")
            continue
        q = statistics.quantiles(delays, n=100)
        print(f"    delay data change -> viewer: p50 {q[49] * 1000:.0f} ms, p95 {q[94] * 1000:.0f} ms, "
              f"max {max(delays) * 1000:.0f} ms over {stats['events']} changes received "
              f"({'OK' if q[94] <= TARGET_P95_S else 'ABOVE'} target p95 <= {TARGET_P95_S:g} s)")
        print(f"    viewers ended by the server: {stats['ended']}, errors: {stats['errors']}")
        print(f"    monitor process CPU: {cpu * 100:.1f} % of one core; "
              f"the viewers' {args.client_procs} processes: {client_cpu * 100:.0f} %")


if __name__ == "__main__":
    main()
