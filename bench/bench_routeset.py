"""Requests and cache hits of the live route lookup (routeset) on real traffic.

The live service hands the routeset lookup (``monitor.feeds.routeset.RoutesetService``)
the call signs and positions of the airborne aircraft it tracks every
``routeset.interval_s`` (60 s). This replays that on real traffic: the ``traffic``
package's ``switzerland`` collection (842 aircraft over 17 h of 2018-08-01, one fix per
10 s; ``pip install --no-deps traffic`` or ``MONITOR_TRAFFIC_SWITZERLAND``), or, without
it, the real Caribbean readsb snapshot of ``../shared/reference/samples`` held for an hour.
Each round asks for the aircraft heard in the last 10 minutes, against a local routeset
server on 127.0.0.1 answering in adsb.lol's format (a route for most call signs,
``unknown`` for one in eight). Time is data time: the budget's hour is the data's hour.

Prints requests per 1,000 flights (a flight: one call sign on one UTC day; the floor is
10, 100 call signs a request), the cache hit rate, what the budget held back, and the
busiest hour's requests next to the shipped budget (120 an hour), which must hold.
Sparse traffic costs more requests per flight: a call sign waits at most 5 minutes
(``max_wait_s``) for 49 others.

    .venv/bin/python bench/bench_routeset.py
"""

from __future__ import annotations

import asyncio
import gzip
import importlib.util
import json
import os
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from monitor.feeds.routes import AirportIndex, RouteBook
from monitor.feeds.routeset import RoutesetService

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT = (
    ROOT.parent / "shared" / "reference" / "samples"
    / "adsbx_readsb_aircraft_caribbean_subset_20220430T235959Z.json"
)
PAIRS = ["LSZH-KJFK", "LFPG-LIRF", "EDDF-LEMD", "EGLL-LGAV", "EHAM-LTFM", "LSGG-EGKK",
         "MPTO-KMCO", "KMIA-SKBO", "SKBO-KMIA"]
BUDGET_PER_HOUR = 120
#: as shipped (config/monitor.yaml routeset.min_batch / max_wait_s)
MIN_BATCH, MAX_WAIT_S = 50, 300.0


class LocalRouteset:
    """``POST /api/0/routeset`` on 127.0.0.1, adsb.lol's answer shape."""

    def __init__(self) -> None:
        self.requests = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                server.requests += 1
                planes = json.loads(self.rfile.read(int(self.headers["Content-Length"])))["planes"]
                out = []
                for p in planes:
                    cs = p["callsign"]
                    h = sum(map(ord, cs))
                    codes = "unknown" if h % 8 == 0 else PAIRS[h % len(PAIRS)]
                    out.append({"callsign": cs, "airport_codes": codes, "_airports": [],
                                "plausible": 1})
                body = json.dumps(out).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


def switzerland() -> Path | None:
    env = os.environ.get("MONITOR_TRAFFIC_SWITZERLAND")
    if env:
        return Path(env)
    spec = importlib.util.find_spec("traffic")
    if spec is None or spec.origin is None:
        return None
    p = Path(spec.origin).parent / "data" / "samples" / "collections" / "switzerland.json.gz"
    return p if p.is_file() else None


def datasets() -> Iterator[tuple[str, list[tuple[float, str, float, float]]]]:
    """(data name, [(epoch s, callsign, lat, lon)] in time order) of each data set found."""
    path = switzerland()
    if path is not None:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            rows = json.load(fh)
        out = [(r["timestamp"] / 1000.0, r["callsign"], r["latitude"], r["longitude"])
               for r in rows if r.get("callsign") and r.get("latitude") is not None]
        yield "switzerland (traffic package, 842 aircraft, 17 h)", sorted(out)
    if not SNAPSHOT.is_file():
        return
    snap = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    out = [(snap["now"] + 60 * k, a["flight"], a["lat"], a["lon"])
           for k in range(60) for a in snap["aircraft"] if a.get("flight", "").strip() and "lat" in a]
    yield "caribbean readsb snapshot (306 aircraft), held 1 h", sorted(out)


def rounds(rows: list[tuple[float, str, float, float]], every_s: float = 60.0,
           heard_s: float = 600.0) -> Iterator[tuple[float, list[tuple[str, float, float]]]]:
    """Every ``every_s`` of data time: the aircraft heard in the last ``heard_s``."""
    last: dict[str, tuple[float, float, float]] = {}
    i = 0
    t = rows[0][0]
    end = rows[-1][0]
    while t <= end:
        while i < len(rows) and rows[i][0] <= t:
            ts, cs, lat, lon = rows[i]
            last[cs] = (ts, lat, lon)
            i += 1
        yield t, [(cs, lat, lon) for cs, (ts, lat, lon) in last.items() if ts >= t - heard_s]
        t += every_s


async def measure(name: str, rows: list[tuple[float, str, float, float]]) -> bool:
    server = LocalRouteset()
    clock = [rows[0][0]]
    book = RouteBook(AirportIndex.load())
    per_hour: dict[int, int] = {}
    async with httpx.AsyncClient() as client:
        svc = RoutesetService(client, book, base_url=server.url, timeout_s=5,
                              max_requests_per_hour=BUDGET_PER_HOUR, min_batch=MIN_BATCH,
                              max_wait_s=MAX_WAIT_S, clock=lambda: clock[0])
        n_rounds = 0
        for t, planes in rounds(rows):
            clock[0] = t
            before = svc.stats.requests
            await svc.refresh(planes, datetime.fromtimestamp(t, UTC))
            hour = int((t - rows[0][0]) // 3600)
            per_hour[hour] = per_hour.get(hour, 0) + svc.stats.requests - before
            n_rounds += 1
    server.httpd.shutdown()
    s = svc.stats
    flights = s.flights_seen
    per_1000 = 1000.0 * s.requests / flights if flights else 0.0
    busiest = max(per_hour.values(), default=0)
    print(f"== routeset lookup on {name}: {n_rounds} rounds of 60 s")
    print(f"   flights (call sign x day) asked: {flights}; routes found {s.routes_found}, "
          f"unknown {s.unknown}; held back by the budget {s.skipped_budget}")
    print(f"   requests: {s.requests} = {per_1000:.1f} per 1,000 flights (floor 10)")
    print(f"   cache hit rate: {100 * s.hit_rate:.1f}% of {s.cache_hits + s.cache_misses} "
          f"call-sign look-ups ({s.cache_hits} answered from the cache)")
    ok = busiest <= BUDGET_PER_HOUR
    print(f"   busiest hour: {busiest} requests (budget {BUDGET_PER_HOUR}: {'met' if ok else 'NOT met'})")
    return ok


async def main() -> int:
    ok = True
    for name, rows in datasets():
        ok = await measure(name, rows) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
