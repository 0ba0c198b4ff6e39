"""Fake feed servers that serve a scenario live, on 127.0.0.1, over the real protocols.

``monitor demo`` points the real feed adapters at these, so the demo exercises the same
code as a live run:

* HTTP (a small Starlette app under uvicorn):
  ``GET /v2/point/{lat}/{lon}/{radius_nm}`` and ``/v2/lat/{lat}/lon/{lon}/dist/{nm}``
  (adsb.lol / adsb.fi style: aircraft within the radius, at most 250 nm),
  ``GET /api/states/all?lamin=&lomin=&lamax=&lomax=`` (OpenSky, metres and m/s),
  ``GET /api/publications/broadcast-warn`` (NGA MSI), and ``GET /sim/clock``.
* websocket ``/v0/stream`` (aisstream.io): the client must send its subscription
  (``APIKey``, ``BoundingBoxes`` as ``[[[lat, lon], [lat, lon]], ...]``, optional
  ``FiltersShipMMSI``, ``FilterMessageTypes``) within 3 s; frames for vessels in the boxes
  follow as the simulated clock passes their report times.
* TCP: ``!AIVDM`` lines with tag blocks, as an AIS-catcher style receiver sends them; now
  and then a two-part message is split across two writes, or a line in the middle, on
  purpose (the reader must reassemble).

All ports default to 0 (ephemeral); :attr:`FakeFeeds.ports` and :attr:`FakeFeeds.urls`
give the bound ones. During a scenario's feed outage a server stays up and sends nothing
(HTTP answers 503), as the real services do in their silent outages.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request as WsRequest

from monitor.sim.clock import SimClock
from monitor.sim.model import (
    SOURCE_ADSB,
    SOURCE_AISSTREAM,
    SOURCE_NGA,
    SOURCE_NMEA,
    SOURCE_OPENSKY,
    Bbox,
    Scenario,
)
from monitor.sim.sampling import (
    adsb_snapshot,
    aisstream_frames,
    in_boxes,
    nga_snapshot,
    nmea_messages,
    opensky_snapshot,
)
from monitor.timeutil import iso_z

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
MAX_RADIUS_NM = 250.0
SUBSCRIBE_TIMEOUT_S = 3.0


def _json(doc: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        orjson.dumps(doc), status_code=status, media_type="application/json", headers=headers
    )


@dataclass
class _Counters:
    http_requests: int = 0
    ws_clients: int = 0
    ws_frames: int = 0
    tcp_clients: int = 0
    tcp_lines: int = 0
    split_writes: int = 0


@dataclass
class FakeFeeds:
    """Serve ``scenario`` live on loopback.

    Parameters
    ----------
    scenario:
        What to serve.
    clock:
        The shared simulated clock; default: a new one playing the whole scenario in
        about five minutes (``speed`` overrides the rate).
    http_port, ws_port, tcp_port:
        Ports to bind on 127.0.0.1; 0 picks a free one.
    tick_s:
        Wall seconds between two pushes on the websocket and TCP streams.
    """

    scenario: Scenario
    clock: SimClock | None = None
    speed: float | None = None
    host: str = HOST
    http_port: int = 0
    ws_port: int = 0
    tcp_port: int = 0
    tick_s: float = 0.2
    counters: _Counters = field(default_factory=_Counters)

    def __post_init__(self) -> None:
        if self.clock is None:
            self.clock = SimClock(self.scenario.start_s, self.scenario.end_s, speed=self.speed)
        self.ports: dict[str, int] = {}
        self._uvicorn: uvicorn.Server | None = None
        self._uvicorn_task: asyncio.Task[None] | None = None
        self._ws: Server | None = None
        self._tcp: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._nmea_writes = 0

    # --- lifecycle ----------------------------------------------------------------------

    async def start(self) -> None:
        """Bind and start all three servers (returns once they accept connections)."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.http_port))
        self.ports["http"] = sock.getsockname()[1]
        config = uvicorn.Config(
            self._app(), log_level="warning", access_log=False, lifespan="off", loop="asyncio"
        )
        self._uvicorn = uvicorn.Server(config)
        self._uvicorn.install_signal_handlers = lambda: None  # type: ignore[method-assign]
        self._uvicorn_task = asyncio.create_task(self._uvicorn.serve(sockets=[sock]))
        while not self._uvicorn.started:
            if self._uvicorn_task.done():
                self._uvicorn_task.result()
            await asyncio.sleep(0.01)
        self._ws = await serve(
            self._ws_handler, self.host, self.ws_port, process_request=self._ws_path_check
        )
        self.ports["ws"] = self._ws.sockets[0].getsockname()[1] if self._ws.sockets else 0
        self._tcp = await asyncio.start_server(self._tcp_handler, self.host, self.tcp_port)
        self.ports["tcp"] = self._tcp.sockets[0].getsockname()[1]
        log.info(
            "fake feeds on %s: http %s, websocket %s, tcp %s",
            self.host,
            self.ports["http"],
            self.ports["ws"],
            self.ports["tcp"],
        )

    async def stop(self) -> None:
        """Close every server and client connection."""
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._tcp is not None:
            self._tcp.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._tcp.wait_closed(), 2.0)
            self._tcp = None
        if self._ws is not None:
            self._ws.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._ws.wait_closed(), 2.0)
            self._ws = None
        if self._uvicorn is not None and self._uvicorn_task is not None:
            self._uvicorn.should_exit = True
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._uvicorn_task, 5.0)
            self._uvicorn = None
            self._uvicorn_task = None

    async def __aenter__(self) -> FakeFeeds:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def urls(self) -> dict[str, str]:
        """Base URLs per feed instance name, to hand to the real adapters."""
        http = f"http://{self.host}:{self.ports['http']}"
        return {
            SOURCE_ADSB: http,
            SOURCE_OPENSKY: f"{http}/api",
            SOURCE_NGA: http,
            SOURCE_AISSTREAM: f"ws://{self.host}:{self.ports['ws']}/v0/stream",
            SOURCE_NMEA: f"tcp://{self.host}:{self.ports['tcp']}",
        }

    # --- HTTP -----------------------------------------------------------------------------

    def _app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v2/point/{lat}/{lon}/{radius}", self._adsb_point),
                Route("/v2/lat/{lat}/lon/{lon}/dist/{radius}", self._adsb_point),
                Route("/api/states/all", self._opensky),
                Route("/api/publications/broadcast-warn", self._nga),
                Route("/sim/clock", self._clock),
            ]
        )

    def _now(self) -> float:
        assert self.clock is not None
        return self.clock.now_s()

    async def _adsb_point(self, request: Request) -> Response:
        self.counters.http_requests += 1
        now = self._now()
        try:
            lat = float(request.path_params["lat"])
            lon = float(request.path_params["lon"])
            radius = float(request.path_params["radius"])
        except ValueError:
            return _json({"msg": "lat, lon and radius must be numbers"}, 400)
        if not (-90 <= lat <= 90 and -180 <= lon <= 180) or radius <= 0:
            return _json({"msg": f"out of range: {lat}, {lon}, {radius}"}, 400)
        if self.scenario.feed_down(SOURCE_ADSB, now):
            return _json({"msg": "service unavailable"}, 503)
        body = adsb_snapshot(
            self.scenario, now, centre=(lat, lon), radius_nm=min(radius, MAX_RADIUS_NM)
        )
        return _json(body)

    async def _opensky(self, request: Request) -> Response:
        self.counters.http_requests += 1
        now = self._now()
        q = request.query_params
        bbox: Bbox | None = None
        keys = ("lamin", "lomin", "lamax", "lomax")
        if any(k in q for k in keys):
            try:
                lamin, lomin, lamax, lomax = (float(q[k]) for k in keys)
            except (KeyError, ValueError):
                return Response(
                    "lamin, lomin, lamax and lomax must all be numbers", status_code=400
                )
            bbox = Bbox(min_lon=lomin, min_lat=lamin, max_lon=lomax, max_lat=lamax)
        if self.scenario.feed_down(SOURCE_OPENSKY, now):
            return Response("Service Unavailable", status_code=503)
        return _json(
            opensky_snapshot(self.scenario, now, bbox=bbox),
            headers={"X-Rate-Limit-Remaining": "3990"},
        )

    async def _nga(self, request: Request) -> Response:
        self.counters.http_requests += 1
        body = nga_snapshot(self.scenario, self._now())
        if body is None:
            return Response("Service Unavailable", status_code=503)
        wanted = request.query_params.get("navArea")
        if wanted:
            areas = {a.strip().upper() for a in wanted.replace("|", ",").split(",")}
            body = {
                "broadcast-warn": [
                    w for w in body["broadcast-warn"] if str(w.get("navArea", "")).upper() in areas
                ]
            }
        return _json(body)

    async def _clock(self, request: Request) -> Response:
        assert self.clock is not None
        return _json(
            {
                "scenario": self.scenario.name,
                "synthetic": True,
                "now": iso_z(self.clock.now()),
                "start": iso_z(self.scenario.start),
                "end": iso_z(self.scenario.end),
                "speed": self.clock.speed,
                "progress": round(self.clock.progress, 4),
            }
        )

    # --- aisstream websocket -----------------------------------------------------------

    async def _ws_path_check(self, connection: ServerConnection, request: WsRequest) -> Any:
        if request.path.split("?")[0] != "/v0/stream":
            return connection.respond(HTTPStatus.NOT_FOUND, "not found\n")
        return None

    async def _ws_handler(self, ws: ServerConnection) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        self.counters.ws_clients += 1
        try:
            await self._ws_session(ws)
        except ConnectionClosed:
            pass
        finally:
            if task is not None:
                self._tasks.discard(task)

    async def _ws_session(self, ws: ServerConnection) -> None:
        try:
            raw = await asyncio.wait_for(ws.recv(), timeout=SUBSCRIBE_TIMEOUT_S)
        except TimeoutError:
            await ws.close(1008, "no subscription message within 3 s")
            return
        try:
            sub = orjson.loads(raw)
            if not isinstance(sub, dict):
                raise ValueError("not an object")
            key = sub.get("APIKey")
            boxes = sub.get("BoundingBoxes")
            if not isinstance(key, str) or not key:
                await ws.send(orjson.dumps({"error": "Api Key Is Not Valid"}).decode())
                await ws.close(1008, "invalid api key")
                return
            if not isinstance(boxes, list) or not boxes:
                raise ValueError("BoundingBoxes missing")
            for box in boxes:
                (a, b), (c, d) = box
                float(a), float(b), float(c), float(d)
        except (ValueError, TypeError, orjson.JSONDecodeError) as exc:
            await ws.send(orjson.dumps({"error": f"Invalid subscription: {exc}"}).decode())
            await ws.close(1008, "invalid subscription")
            return
        mmsis = {int(m) for m in sub.get("FiltersShipMMSI") or () if str(m).isdigit()}
        types = set(sub.get("FilterMessageTypes") or ())
        last = self._now()
        while True:
            try:
                # ticks double as reads, so a client's close is seen at once
                await asyncio.wait_for(ws.recv(), timeout=self.tick_s)
            except TimeoutError:
                pass
            now = self._now()
            if now <= last:
                continue
            for fr in aisstream_frames(self.scenario, last, now):
                if not in_boxes(fr.lat, fr.lon, boxes):
                    continue
                if mmsis and fr.mmsi not in mmsis:
                    continue
                if types and fr.frame.get("MessageType") not in types:
                    continue
                await ws.send(orjson.dumps(fr.frame).decode())
                self.counters.ws_frames += 1
            last = now

    # --- NMEA over TCP ----------------------------------------------------------------------

    async def _tcp_handler(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        self.counters.tcp_clients += 1
        last = self._now()
        try:
            while True:
                try:
                    if await asyncio.wait_for(reader.read(4096), timeout=self.tick_s) == b"":
                        break  # the client hung up
                except TimeoutError:
                    pass
                now = self._now()
                if now <= last:
                    continue
                for msg in nmea_messages(self.scenario, last, now):
                    await self._write_message(writer, msg.lines)
                last = now
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            if task is not None:
                self._tasks.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _write_message(self, writer: asyncio.StreamWriter, lines: tuple[str, ...]) -> None:
        """Write one message; split every third two-part message between its parts and
        every seventh message in the middle of a line."""
        self._nmea_writes += 1
        data = "".join(line + "\r\n" for line in lines).encode()
        cut: int | None = None
        if len(lines) > 1 and self._nmea_writes % 3 == 0:
            cut = len(lines[0]) + 2
        elif self._nmea_writes % 7 == 0:
            cut = len(data) // 2
        if cut is None:
            writer.write(data)
            await writer.drain()
        else:
            self.counters.split_writes += 1
            writer.write(data[:cut])
            await writer.drain()
            await asyncio.sleep(0.02)
            writer.write(data[cut:])
            await writer.drain()
        self.counters.tcp_lines += len(lines)
