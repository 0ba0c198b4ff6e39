"""The fake feed servers, exercised with real clients on 127.0.0.1."""

from __future__ import annotations

import asyncio

import httpx
import orjson
import pytest
import websockets
from pyais.stream import IterMessages

from monitor.sim.clock import SimClock
from monitor.sim.scenario import build_demo, build_outage
from monitor.sim.servers import FakeFeeds


class ManualWall:
    """A wall clock the test moves by hand (no timing assumptions)."""

    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def _feeds(scn, start_offset_s: float = 3600.0):  # type: ignore[no-untyped-def]
    wall = ManualWall()
    clock = SimClock(scn.start_s, scn.end_s, speed=60.0, wall=wall)
    wall.t = start_offset_s / 60.0
    return FakeFeeds(scn, clock=clock, tick_s=0.05), wall


def test_http_endpoints_serve_the_scenario_at_the_simulated_time() -> None:
    async def run() -> None:
        feeds, _wall = _feeds(build_demo())
        async with feeds:
            urls = feeds.urls
            assert all(
                u.startswith(("http://127.0.0.1:", "ws://127.0.0.1:", "tcp://127.0.0.1:"))
                for u in urls.values()
            )
            async with httpx.AsyncClient(timeout=10) as client:
                r = await client.get(f"{urls['adsb_lol']}/v2/point/12.2/-69.0/250")
                assert r.status_code == 200
                body = r.json()
                assert body["msg"] == "No error" and body["total"] == len(body["ac"]) > 0
                assert body["now"] == (feeds.scenario.start_s + 3600) * 1000
                small = (await client.get(f"{urls['adsb_lol']}/v2/point/12.2/-69.0/20")).json()
                assert small["total"] < body["total"]
                r = await client.get(f"{urls['adsb_lol']}/v2/point/north/-69/250")
                assert r.status_code == 400
                r = await client.get(
                    f"{urls['opensky']}/states/all",
                    params={"lamin": 0, "lomin": -80, "lamax": 20, "lomax": -55},
                )
                assert r.status_code == 200 and r.headers["X-Rate-Limit-Remaining"]
                states = r.json()["states"]
                assert states and all(len(sv) == 17 for sv in states)
                assert all(0 <= sv[6] <= 20 and -80 <= sv[5] <= -55 for sv in states)
                r = await client.get(
                    f"{urls['nga_msi']}/api/publications/broadcast-warn",
                    params={"output": "json", "navArea": "4", "status": "active"},
                )
                warn = r.json()["broadcast-warn"]
                assert len(warn) == 2 and "AREA BOUND BY" in warn[0]["text"]
                r = await client.get(
                    f"{urls['nga_msi']}/api/publications/broadcast-warn", params={"navArea": "C"}
                )
                assert r.json()["broadcast-warn"] == []
                clock = (await client.get(f"{urls['adsb_lol']}/sim/clock")).json()
                assert clock["synthetic"] is True and clock["now"] == "2026-01-03T11:00:00Z"

    asyncio.run(run())


def test_aisstream_websocket_streams_subscribed_boxes_only() -> None:
    async def run() -> None:
        feeds, wall = _feeds(build_demo())
        async with feeds:
            url = feeds.urls["aisstream"]
            async with websockets.connect(url) as ws:
                box = [[[10.0, -63.5], [12.0, -60.0]]]  # Paria and Trinidad
                await ws.send(orjson.dumps({"APIKey": "demo-key", "BoundingBoxes": box}).decode())
                frames = []
                while len(frames) < 5:
                    wall.t += 0.5  # 30 scenario seconds per step
                    try:
                        raw = await asyncio.wait_for(ws.recv(), timeout=0.3)
                    except TimeoutError:
                        continue
                    frames.append(orjson.loads(raw))
            for fr in frames:
                meta = fr["MetaData"]
                assert 10.0 <= meta["latitude"] <= 12.0 and -63.5 <= meta["longitude"] <= -60.0
                assert fr["MessageType"] in (
                    "PositionReport",
                    "ShipStaticData",
                    "StandardClassBPositionReport",
                )
            assert feeds.counters.ws_frames >= 5

    asyncio.run(run())


def test_aisstream_refuses_a_missing_key_and_a_silent_client() -> None:
    async def run() -> None:
        feeds, _ = _feeds(build_demo())
        async with feeds:
            url = feeds.urls["aisstream"]
            async with websockets.connect(url) as ws:
                await ws.send(
                    orjson.dumps({"APIKey": "", "BoundingBoxes": [[[0, 0], [1, 1]]]}).decode()
                )
                answer = orjson.loads(await asyncio.wait_for(ws.recv(), timeout=5))
                assert "error" in answer
                with pytest.raises(websockets.ConnectionClosed):
                    await asyncio.wait_for(ws.recv(), timeout=5)
            async with websockets.connect(url) as ws:
                with pytest.raises(websockets.ConnectionClosed) as info:
                    await asyncio.wait_for(ws.recv(), timeout=10)
                assert info.value.rcvd is not None and info.value.rcvd.code == 1008
            with pytest.raises(websockets.InvalidStatus):
                async with websockets.connect(url.replace("/v0/stream", "/elsewhere")):
                    pass

    asyncio.run(run())


def test_nmea_tcp_stream_reassembles_into_valid_messages() -> None:
    async def run() -> None:
        feeds, wall = _feeds(build_demo(), start_offset_s=600.0)
        async with feeds:
            port = feeds.ports["tcp"]
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            chunks: list[bytes] = []
            while feeds.counters.split_writes < 4 or len(b"".join(chunks).splitlines()) < 40:
                wall.t += 1.0  # a scenario minute per step
                try:
                    chunks.append(await asyncio.wait_for(reader.read(65536), timeout=0.3))
                except TimeoutError:
                    continue
            writer.close()
            await writer.wait_closed()
        data = b"".join(chunks)
        lines = [ln for ln in data.split(b"\r\n") if ln]
        complete = lines if data.endswith(b"\r\n") else lines[:-1]
        msgs = list(IterMessages(complete))
        assert len(msgs) >= 30
        types = {m.decode().msg_type for m in msgs}
        assert {1, 5} <= types
        assert feeds.counters.split_writes >= 4

    asyncio.run(run())


def test_outage_scenario_servers_go_silent() -> None:
    async def run() -> None:
        feeds, wall = _feeds(build_outage(), start_offset_s=3600.0)  # 11:00, inside the outage
        async with feeds:
            # max_queue=None: the test reads one frame of a burst, then closes
            async with websockets.connect(feeds.urls["aisstream"], max_queue=None) as ws:
                box = [[[0.0, -85.0], [22.0, -55.0]]]
                await ws.send(orjson.dumps({"APIKey": "k", "BoundingBoxes": box}).decode())
                for _ in range(6):
                    wall.t += 1.0
                    with pytest.raises(TimeoutError):
                        await asyncio.wait_for(ws.recv(), timeout=0.15)
                # after the outage (12:50Z) the same connection delivers again
                wall.t = (3 * 3600 - 240) / 60.0
                got = None
                for _ in range(200):
                    wall.t += 0.1
                    try:
                        got = await asyncio.wait_for(ws.recv(), timeout=0.2)
                        break
                    except TimeoutError:
                        continue
                assert (
                    got is not None
                    and orjson.loads(got)["MetaData"]["time_utc"] >= "2026-01-03 12:50"
                )
            async with httpx.AsyncClient(timeout=10) as client:
                r = await client.get(f"{feeds.urls['adsb_lol']}/v2/point/12/-69/250")
                assert r.status_code == 200  # only the AIS feeds are down

    asyncio.run(run())


def test_ports_are_ephemeral_and_distinct_and_stop_releases_them() -> None:
    async def run() -> None:
        feeds, _ = _feeds(build_demo())
        await feeds.start()
        ports = dict(feeds.ports)
        assert len(set(ports.values())) == 3 and all(p > 0 for p in ports.values())
        await feeds.stop()
        with pytest.raises(OSError):
            await asyncio.open_connection("127.0.0.1", ports["tcp"])

    asyncio.run(run())


class _Health:
    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []

    def poll_ok(self, source, at, *, items, latency_s):  # type: ignore[no-untyped-def]
        self.events.append(("ok", source))

    def poll_failed(self, source, at, *, reason, detail):  # type: ignore[no-untyped-def]
        self.events.append(("failed", f"{source}:{reason}:{detail}"))

    def stream_up(self, source, at):  # type: ignore[no-untyped-def]
        self.events.append(("up", source))

    def stream_down(self, source, at, *, reason):  # type: ignore[no-untyped-def]
        self.events.append(("down", f"{source}:{reason}"))


def test_the_project_adapters_read_the_fake_feeds() -> None:
    """The real feed adapters and parsers work against the fake servers (as in the demo)."""
    try:
        from monitor.feeds.adsbx import PROVIDERS, AdsbV2Adapter
        from monitor.feeds.aisstream import AisstreamAdapter
        from monitor.feeds.nga_msi import NgaMsiAdapter
        from monitor.feeds.nmea import NmeaTcpAdapter
        from monitor.feeds.opensky import OpenSkyStatesAdapter
        from monitor.feeds.registry import make_parser
    except ImportError as exc:
        pytest.skip(f"feed adapters not available: {exc}")

    async def no_sleep(_s: float) -> None:
        return None

    async def run() -> dict[str, int]:
        feeds, wall = _feeds(build_demo(), start_offset_s=3600.0)
        counts: dict[str, int] = {}
        async with feeds:
            urls = feeds.urls
            bbox = (-72.0, 9.0, -60.0, 16.0)
            async with httpx.AsyncClient(timeout=10) as client:
                polls = [
                    AdsbV2Adapter(
                        client,
                        PROVIDERS["adsb_lol"],
                        bbox,
                        base_url=urls["adsb_lol"],
                        sleep=no_sleep,
                    ),
                    OpenSkyStatesAdapter(client, bbox, base_url=urls["opensky"]),
                    NgaMsiAdapter(client, base_url=urls["nga_msi"], nav_areas=("4",)),
                ]
                for adapter in polls:
                    result = await adapter.poll()
                    parse = make_parser(adapter.kind)
                    for rec in result.records:
                        res = parse(
                            rec.body,
                            received_at=feeds.clock.now(),
                            source=rec.source_name,
                            record_ref=rec.ref,
                        )
                        assert not res.errors, (adapter.kind, res.error_samples)
                        counts[adapter.kind] = (
                            counts.get(adapter.kind, 0)
                            + len(res.observations)
                            + len(res.zone_versions)
                            + len(res.notices)
                        )
            got: list = []

            async def emit(rec) -> None:  # type: ignore[no-untyped-def]
                got.append(rec)

            stop = asyncio.Event()
            health = _Health()
            streams = [
                AisstreamAdapter(
                    "demo-key",
                    [((9.0, -70.0), (14.0, -60.0))],
                    url=urls["aisstream"],
                    name="aisstream",
                ),
                NmeaTcpAdapter("127.0.0.1", feeds.ports["tcp"], flush_interval_s=0.2),
            ]
            tasks = [asyncio.create_task(a.run(emit, stop, health)) for a in streams]
            for _ in range(100):
                wall.t += 0.5
                await asyncio.sleep(0.05)
                kinds = {r.feed for r in got}
                if {"aisstream", "ais_nmea"} <= kinds and len(got) > 20:
                    break
            stop.set()
            await asyncio.wait_for(asyncio.gather(*tasks), timeout=20)
            for rec in got:
                res = make_parser(rec.feed)(
                    rec.body,
                    received_at=feeds.clock.now(),
                    source=rec.source_name,
                    record_ref=rec.ref,
                )
                counts[rec.feed] = (
                    counts.get(rec.feed, 0) + len(res.observations) + len(res.vessel_info)
                )
        return counts

    counts = asyncio.run(run())
    assert counts.get("adsbx_v2", 0) > 5 and counts.get("opensky_states", 0) > 0
    assert counts.get("nga_msi", 0) >= 2
    assert counts.get("aisstream", 0) > 0 and counts.get("ais_nmea", 0) > 0
