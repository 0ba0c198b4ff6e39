"""``GET /api/live/stream``: one serialisation per change shared by every viewer, the
same bytes for each, and a viewer that stops reading is disconnected, not buffered."""

from __future__ import annotations

import asyncio
import socket
import time
from datetime import UTC, datetime

import httpx
import orjson

from monitor.domain import Observation, SubjectKind
from monitor.pipeline.live import LiveSnapshot
from monitor.web.app import create_app
from tests.web.live_server import serve_in_thread


def _snapshot(version: int, n: int = 50) -> LiveSnapshot:
    at = datetime(2026, 1, 3, 6, 0, version % 60, tzinfo=UTC)
    aircraft = tuple(
        Observation(
            source="test", feed_kind="adsbx_v2", subject_kind=SubjectKind.AIRCRAFT,
            subject_id=f"{i:06x}", time=at, lat=10.0 + i * 0.01, lon=-66.0 + version * 0.01,
            callsign=f"TST{i}",
        )
        for i in range(n)
    )
    return LiveSnapshot(at, aircraft, (), version)


def _events(raw: bytes) -> list[tuple[str, bytes]]:
    out = []
    for block in raw.split(b"\n\n"):
        lines = dict(line.split(b": ", 1) for line in block.split(b"\n") if b": " in line and not line.startswith(b":"))
        if b"event" in lines:
            out.append((lines[b"event"].decode(), lines[b"data"]))
    return out


async def _read(base: str, until_events: int, timeout_s: float = 15) -> list[tuple[str, bytes]]:
    raw = b""
    async with httpx.AsyncClient(base_url=base, timeout=timeout_s) as http:
        async with http.stream("GET", "/api/live/stream") as r:
            assert r.status_code == 200
            assert r.headers["content-type"].startswith("text/event-stream")
            async for chunk in r.aiter_bytes():
                raw += chunk
                if len(_events(raw)) >= until_events:
                    break
    return _events(raw)


def test_viewers_get_the_same_events_serialised_once_per_change(services) -> None:  # type: ignore[no-untyped-def]
    services.live.snapshot = _snapshot(1)
    app = create_app(services)
    with serve_in_thread(app) as base:

        async def scenario() -> list[list[tuple[str, bytes]]]:
            viewers = [asyncio.create_task(_read(base, 3)) for _ in range(20)]
            await asyncio.sleep(1.0)  # everyone connected and got the full snapshot
            for version in (2, 3):
                services.live.snapshot = _snapshot(version)
                await asyncio.sleep(0.8)
            return await asyncio.gather(*viewers)

        results = asyncio.run(scenario())
        stream = app.state.live_stream
    first = results[0]
    assert [name for name, _ in first] == ["full", "diff", "diff"]
    assert all(r == first for r in results), "every viewer gets the same bytes"
    full = orjson.loads(first[0][1])
    assert full["aircraft"]["full"] is True and full["aircraft"]["count"] == 50
    diff = orjson.loads(first[1][1])
    assert diff["aircraft"]["full"] is False and diff["aircraft"]["version"] == 2
    # one full snapshot + one diff per change, whatever the number of viewers
    assert stream.serialisations <= 3, stream.serialisations


def test_a_viewer_that_stops_reading_is_disconnected(services) -> None:  # type: ignore[no-untyped-def]
    services.live.snapshot = _snapshot(1, n=2000)
    app = create_app(services)
    with serve_in_thread(app) as base:
        host, port = base.removeprefix("http://").split(":")
        sock = socket.create_connection((host, int(port)))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.sendall(f"GET /api/live/stream HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        time.sleep(0.5)
        stream = app.state.live_stream
        stream.send_timeout_s = 1.0
        deadline = time.monotonic() + 20
        version = 2
        while stream.viewers and time.monotonic() < deadline:  # never read from `sock`
            services.live.snapshot = _snapshot(version, n=2000)
            version += 1
            time.sleep(0.3)
        assert not stream.viewers, "a viewer that does not read must be let go"
        assert stream.dropped >= 1
        sock.close()
        # the server still serves everyone else
        assert httpx.get(f"{base}/healthz", timeout=5).status_code == 200
