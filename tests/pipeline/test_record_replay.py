"""`monitor run --record` then `monitor replay`: the same incidents, from a real local feed.

A local HTTP server on 127.0.0.1 plays an adsb.lol-style v2 API: each request returns the
next position of an aircraft flying through a closed box. The live service polls it with
the real adapter through APScheduler, records every response, and stores incidents; the
recording replayed into a fresh database must give the same incidents.
"""

from __future__ import annotations

import asyncio
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import orjson

from monitor.capture import CaptureReader
from monitor.config import Settings
from monitor.feeds.adsbx import AdsbV2Adapter, ProviderProfile
from monitor.service.live import LiveOptions, LiveService
from monitor.service.replay import replay
from monitor.service.runtime import Runtime
from monitor.store import IncidentQuery, Store
from tests.pipeline.fixtures import v2_aircraft
from tests.pipeline.test_pipeline import make_pipeline

STEPS = 10


class FeedServer:
    def __init__(self) -> None:
        self.served = 0
        self.done = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server API
                i = min(outer.served, STEPS - 1)
                outer.served += 1
                if outer.served >= STEPS:
                    outer.done.set()
                now_ms = int(time.time() * 1000)
                body = {
                    "ac": [v2_aircraft("0d0abc", -68.0 + 0.45 * i, 11.0)],
                    "msg": "No error",
                    "now": now_ms,
                    "total": 1,
                    "ctime": now_ms,
                    "ptime": 1,
                }
                data = orjson.dumps(body)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _incidents(store: Store) -> list[tuple]:
    rows, _ = store.query_incidents(IncidentQuery())
    return sorted((r.kind, r.subject_id, r.zone_id, r.status, r.started_at, r.ended_at) for r in rows)


def test_recorded_live_run_replays_to_the_same_incidents(tmp_path):
    server = FeedServer()
    capture = tmp_path / "live.jsonl"
    live_store = Store.open(f"sqlite:///{tmp_path / 'live.sqlite'}")
    try:
        pipeline = make_pipeline(live_store)
        runtime = Runtime(Settings(), live_store, pipeline, pipeline.health)

        async def main() -> None:
            async with httpx.AsyncClient() as client:
                profile = ProviderProfile(
                    "adsb_lol", server.url, "/v2/point/{lat}/{lon}/{radius}", 250.0, 0.05
                )
                adapter = AdsbV2Adapter(
                    client, profile, (-67.5, 10.5, -66.5, 11.5), name="adsb_lol", interval_s=0.2
                )
                assert len(adapter.tiles) == 1
                service = LiveService(
                    runtime, [adapter], [],
                    LiveOptions(record_path=capture, batch_wait_s=0.05, tick_every_s=0.5),
                )
                task = asyncio.create_task(service.run())
                await asyncio.to_thread(server.done.wait, 60)
                await asyncio.sleep(0.3)
                service.stop()
                await asyncio.wait_for(task, 30)
                assert service.records_processed == service.records_in

        asyncio.run(main())
        live = _incidents(live_store)
    finally:
        live_store.close()
        server.close()

    records = list(CaptureReader(capture))
    assert len(records) >= STEPS
    assert {r.source for r in records} == {"adsb_lol"}
    assert live and live[0][:4] == ("incursion", "0d0abc", "BOX", "closed")

    replay_store = Store.open(f"sqlite:///{tmp_path / 'replay.sqlite'}")
    try:
        replay(make_pipeline(replay_store), capture)
        assert _incidents(replay_store) == live
    finally:
        replay_store.close()
