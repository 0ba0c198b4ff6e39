"""Feed faults against real servers on 127.0.0.1, through the real adapters and the live
service's scheduler (issue #8).

Every case runs the whole live service (APScheduler polls, stream tasks, the bounded queue,
the pipeline, a SQLite store, capture recording) with six feeds: OpenSky, ADS-B v2 and NGA
MSI polled over HTTP, a second ADS-B v2 feed that never fails, the aisstream websocket and
an NMEA TCP source. The servers here speak the real protocols from raw sockets, so a case
can do what real services do: never answer, refuse the TCP handshake until the client
gives up, cut a body short or reset the connection in the middle of it, ask to be left
alone for a while (429 and ``Retry-After``), fail with 5xx, answer ``200 OK`` with an HTML
error page or half a JSON document, and, for the streams, accept a connection and then
send nothing.

Each good answer carries new subjects (an aircraft or a vessel that nothing else reports),
so "nothing already recorded is lost" is checked exactly: the subjects every server
delivered are the subjects stored, and every good HTTP answer is one capture record.

One case, for each fault in :data:`FAULTS`:

1. all feeds deliver;
2. the fault starts on its feeds: the service keeps polling, the faulty feeds fail again
   and again (counted per feed and reason in the feed-health book, the stored feed health
   and the Prometheus metrics), their backoff honours ``Retry-After``, and the other feeds
   keep delivering meanwhile;
3. the fault clears: the faulty feeds deliver again and are back to ``ok``;
4. the service stops; the capture file and the database hold every good answer once.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from prometheus_client.exposition import generate_latest
from prometheus_client.parser import text_string_to_metric_families
from pyais.encode import encode_dict
from sqlalchemy import select
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from monitor.capture import CaptureReader
from monitor.config import Settings
from monitor.feeds.adsbx import PROVIDERS, AdsbV2Adapter
from monitor.feeds.aisstream import AisstreamAdapter
from monitor.feeds.nga_msi import NgaMsiAdapter
from monitor.feeds.nmea import NmeaTcpAdapter
from monitor.feeds.opensky import OpenSkyStatesAdapter
from monitor.feeds.streams import Backoff as StreamBackoff
from monitor.metrics import MonitorCollector, make_registry
from monitor.service.live import LiveOptions, LiveService
from monitor.service.runtime import Runtime
from monitor.store import Store
from monitor.store.models import ObservationRow
from tests.pipeline.test_pipeline import make_pipeline

HOST = "127.0.0.1"
#: every HTTP request is abandoned after this long (the adapters' and the client's timeout)
HTTP_TIMEOUT_S = 0.5
#: a stream silent for this long is taken as dead and reopened
SILENCE_TIMEOUT_S = 0.5
POLL_INTERVAL_S = 0.2
STREAM_TICK_S = 0.05
#: what the 429 answers ask for
RETRY_AFTER_S = 1.0
#: a stage that does not reach its goal in this long fails the test (a stage takes a few
#: seconds alone; on a 2-core machine running the whole suite beside other work, 15 s was
#: seen to run out while every vessel was still on its way to the store)
STAGE_TIMEOUT_S = 45.0
#: where the subjects are: in the watch boxes, away from the test zone of make_pipeline
LAT, LON = 13.0, -75.0

HTTP_FEEDS = ("opensky", "adsb_lol", "nga_msi")
STREAM_FEEDS = ("aisstream", "ais_nmea_tcp")
ALL_FEEDS = (*HTTP_FEEDS, "adsb_healthy", *STREAM_FEEDS)


@dataclass(frozen=True)
class Fault:
    mode: str
    #: the feeds it hits
    feeds: tuple[str, ...]
    #: the reason the feed health must count
    reason: str

    @property
    def on_streams(self) -> bool:
        return self.feeds[0] in STREAM_FEEDS


FAULTS = {
    "connect_timeout": Fault("connect_timeout", HTTP_FEEDS, "timeout"),
    "read_timeout": Fault("read_timeout", HTTP_FEEDS, "timeout"),
    "reset_mid_body": Fault("reset_mid_body", HTTP_FEEDS, "transport_error"),
    "closed_mid_body": Fault("closed_mid_body", HTTP_FEEDS, "transport_error"),
    "429_retry_after": Fault("rate_limited", HTTP_FEEDS, "rate_limited"),
    "500": Fault("http_500", HTTP_FEEDS, "http_500"),
    "502": Fault("http_502", HTTP_FEEDS, "http_502"),
    "503": Fault("http_503", HTTP_FEEDS, "http_503"),
    "html_200": Fault("html_200", HTTP_FEEDS, "html_body"),
    "truncated_json": Fault("truncated_json", HTTP_FEEDS, "bad_json"),
    "websocket_stalls": Fault("stall", ("aisstream",), "silence"),
    "nmea_tcp_stalls": Fault("stall", ("ais_nmea_tcp",), "silence"),
}


def _now_s() -> float:
    return time.time()


# --- the servers -----------------------------------------------------------------------------


class Subjects:
    """Numbers new subjects for one feed (``prefix`` + a number) and keeps those it
    delivered."""

    def __init__(self, prefix: str, digits: int, *, hex_digits: bool = False) -> None:
        self.prefix = prefix
        self._format = f"0{digits}{'x' if hex_digits else 'd'}"
        self._seq = 0
        self.delivered: list[str] = []

    def next(self) -> str:
        self._seq += 1
        return self.prefix + format(self._seq, self._format)


def adsb_body(subject: str) -> bytes:
    now_ms = int(_now_s() * 1000)
    aircraft = {
        "hex": subject, "type": "adsb_icao", "flight": "TST123  ", "alt_baro": 35000,
        "gs": 450.0, "track": 90.0, "lat": LAT, "lon": LON, "nic": 8, "nac_p": 9,
        "seen_pos": 0.4, "seen": 0.2, "messages": 1200, "rssi": -20.1,
    }
    return orjson.dumps(
        {"ac": [aircraft], "msg": "No error", "now": now_ms, "total": 1, "ctime": now_ms, "ptime": 3}
    )


def opensky_body(subject: str) -> bytes:
    t = int(_now_s())
    state = [subject, "TST123  ", "Testland", t, t, LON, LAT, 10000.0, False, 200.0, 90.0, 0.0,
             None, 10200.0, "1234", False, 0, 0]
    return orjson.dumps({"time": t, "states": [state]})


def nga_body(subject: str) -> bytes:
    del subject  # a warning list carries no subject: these answers are counted instead
    return orjson.dumps({"broadcast-warn": []})


class HttpFeedServer:
    """One HTTP feed on 127.0.0.1, answering every request with ``Connection: close``.

    ``mode`` decides each answer: ``ok`` (a good JSON body about a new subject), or one
    of the faults of :data:`FAULTS`. ``connect_timeout`` stops accepting and fills the
    listen queue, so new TCP handshakes go unanswered until the client gives up.
    """

    def __init__(self, name: str, body: Callable[[str], bytes], subjects: Subjects) -> None:
        self.name = name
        self.body = body
        self.subjects = subjects
        self.mode = "ok"
        #: (monotonic time, mode) of each request read
        self.requests: list[tuple[float, str]] = []
        #: monotonic times at which each 429 was written
        self.limited_at: list[float] = []
        self.good_answers = 0
        self._sock: socket.socket | None = None
        self._acceptor: asyncio.Future[None] | None = None
        self._fillers: list[socket.socket] = []
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def port(self) -> int:
        assert self._sock is not None
        return self._sock.getsockname()[1]

    async def start(self) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind((HOST, 0))
        self._sock.listen(128)
        self._sock.setblocking(False)
        self._acceptor = asyncio.ensure_future(self._accept_loop())

    def _spawn(self, coro: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def set_mode(self, mode: str) -> None:
        if mode == "connect_timeout" and self.mode != "connect_timeout":
            assert self._acceptor is not None
            self._acceptor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._acceptor
            assert self._sock is not None
            self._sock.listen(0)  # a full queue of one: later handshakes are not answered
            for _ in range(3):
                filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                filler.setblocking(False)
                with contextlib.suppress(BlockingIOError):
                    filler.connect((HOST, self.port))
                self._fillers.append(filler)
            await asyncio.sleep(0.05)
        elif mode != "connect_timeout" and self.mode == "connect_timeout":
            assert self._sock is not None
            self._sock.listen(128)
            for filler in self._fillers:
                filler.close()
            self._fillers.clear()
            self._acceptor = asyncio.ensure_future(self._accept_loop())
        self.mode = mode

    async def stop(self) -> None:
        tasks = [t for t in (self._acceptor, *self._tasks) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for filler in self._fillers:
            filler.close()
        if self._sock is not None:
            self._sock.close()

    async def _accept_loop(self) -> None:
        loop = asyncio.get_running_loop()
        assert self._sock is not None
        while True:
            conn, _ = await loop.sock_accept(self._sock)
            self._spawn(self._serve(conn))

    async def _serve(self, conn: socket.socket) -> None:
        reader, writer = await asyncio.open_connection(sock=conn)
        try:
            try:
                await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=5.0)
            except (TimeoutError, asyncio.IncompleteReadError, ConnectionError):
                return  # a filler socket from the connect-timeout fault, or a client gone
            mode = self.mode
            self.requests.append((time.monotonic(), mode))
            await self._answer(mode, reader, writer)
        except ConnectionError:
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()

    async def _answer(
        self, mode: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        if mode == "read_timeout":
            await reader.read(1)  # say nothing until the client gives up and hangs up
            return
        if mode == "rate_limited":
            self._write(writer, 429, b'{"error": "too many requests"}', "application/json",
                        extra=f"Retry-After: {RETRY_AFTER_S:.0f}\r\n")
            await writer.drain()
            self.limited_at.append(time.monotonic())
            return
        if mode.startswith("http_"):
            self._write(writer, int(mode[5:]), b"upstream trouble", "text/plain")
            await writer.drain()
            return
        if mode == "html_200":
            page = b"<!DOCTYPE html><html><body><h1>Service temporarily unavailable</h1></body></html>"
            self._write(writer, 200, page, "text/html; charset=utf-8")
            await writer.drain()
            return
        subject = self.subjects.next()
        body = self.body(subject)
        if mode == "truncated_json":  # a whole HTTP answer whose JSON document is cut short
            self._write(writer, 200, body[: len(body) // 2], "application/json")
            await writer.drain()
            return
        if mode in ("closed_mid_body", "reset_mid_body"):
            head = (
                f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
            ).encode()
            writer.write(head + body[: len(body) // 2])
            await writer.drain()
            await asyncio.sleep(0.02)  # the client has read the head and part of the body
            if mode == "reset_mid_body":
                sock = writer.get_extra_info("socket")
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                writer.transport.abort()  # close with RST
            return
        assert mode == "ok", mode
        self._write(writer, 200, body, "application/json")
        await writer.drain()
        self.good_answers += 1
        self.subjects.delivered.append(subject)

    @staticmethod
    def _write(
        writer: asyncio.StreamWriter, status: int, body: bytes, ctype: str, extra: str = ""
    ) -> None:
        head = (
            f"HTTP/1.1 {status} X\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n"
            f"{extra}Connection: close\r\n\r\n"
        ).encode()
        writer.write(head + body)


def aisstream_frame(mmsi: str) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f000 +0000 UTC")
    return orjson.dumps({
        "MessageType": "PositionReport",
        "MetaData": {"MMSI": int(mmsi), "ShipName": "TEST VESSEL", "latitude": LAT,
                     "longitude": LON, "time_utc": when},
        "Message": {"PositionReport": {
            "UserID": int(mmsi), "Latitude": LAT, "Longitude": LON, "Sog": 10.0, "Cog": 90.0,
            "TrueHeading": 90, "NavigationalStatus": 0, "Valid": True, "MessageID": 1,
        }},
    }).decode()


def nmea_lines(mmsi: str) -> bytes:
    sentences = encode_dict(
        {"type": 1, "mmsi": int(mmsi), "lat": LAT, "lon": LON, "speed": 10.0, "course": 90.0,
         "heading": 90, "status": 0},
        radio_channel="A",
        talker_id="AI",
    )
    return "".join(s + "\r\n" for s in sentences).encode()


@dataclass
class StreamServer:
    """An aisstream websocket or an NMEA TCP source; ``mode``: ``ok`` (a new vessel every
    tick), ``stall`` (connections accepted, then nothing sent) or ``quiet`` (nothing sent,
    at the end of a case, so everything sent can be waited for)."""

    subjects: Subjects
    mode: str = "ok"
    connections: int = 0
    port: int = 0
    _server: Any = None
    _handlers: set[asyncio.Task[Any]] = field(default_factory=set)

    async def _push(self, send: Callable[[str], Awaitable[None]]) -> None:
        while True:
            await asyncio.sleep(STREAM_TICK_S)
            if self.mode != "ok":
                continue
            subject = self.subjects.next()
            await send(subject)
            self.subjects.delivered.append(subject)

    async def start_websocket(self) -> None:
        async def handler(ws: ServerConnection) -> None:
            self.connections += 1
            self._track()
            stalled = self.mode == "stall"
            try:
                sub = orjson.loads(await asyncio.wait_for(ws.recv(), timeout=3.0))
                assert sub["APIKey"] == "test-key" and sub["BoundingBoxes"], sub
                if stalled:
                    await ws.wait_closed()  # accepted and subscribed, then nothing at all
                    return

                async def send(mmsi: str) -> None:
                    await ws.send(aisstream_frame(mmsi))

                pusher = asyncio.ensure_future(self._push(send))
                try:
                    await ws.wait_closed()
                finally:
                    pusher.cancel()
                    with contextlib.suppress(asyncio.CancelledError, ConnectionClosed):
                        await pusher
            except ConnectionClosed:
                pass

        self._server = await serve(handler, HOST, 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def start_tcp(self) -> None:
        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.connections += 1
            self._track()
            stalled = self.mode == "stall"

            async def send(mmsi: str) -> None:
                writer.write(nmea_lines(mmsi))
                await writer.drain()

            pusher = None if stalled else asyncio.ensure_future(self._push(send))
            try:
                await reader.read()  # until the client hangs up
            except ConnectionError:
                pass
            finally:
                if pusher is not None:
                    pusher.cancel()
                    with contextlib.suppress(asyncio.CancelledError, ConnectionError):
                        await pusher
                writer.close()
                with contextlib.suppress(ConnectionError, OSError):
                    await writer.wait_closed()

        self._server = await asyncio.start_server(handler, HOST, 0)
        self.port = self._server.sockets[0].getsockname()[1]

    def _track(self) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._handlers.add(task)
            task.add_done_callback(self._handlers.discard)

    async def set_mode(self, mode: str) -> None:
        self.mode = mode

    async def stop(self) -> None:
        for task in list(self._handlers):
            task.cancel()
        self._server.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._server.wait_closed(), 2.0)


# --- the service under test ---------------------------------------------------------------


@dataclass
class Harness:
    """The six feed servers, their adapters and the live service on one store."""

    tmp: Path
    #: the store (default: a SQLite file in ``tmp``)
    database_url: str | None = None
    #: the live service's queue bound
    queue_size: int = 500
    servers: dict[str, Any] = field(default_factory=dict)
    subjects: dict[str, Subjects] = field(default_factory=dict)

    async def start(self) -> None:
        self.subjects = {
            "opensky": Subjects("c1", 4, hex_digits=True),
            "adsb_lol": Subjects("a1", 4, hex_digits=True),
            "adsb_healthy": Subjects("a2", 4, hex_digits=True),
            "nga_msi": Subjects("nga-", 1),
            "aisstream": Subjects("316", 6),
            "ais_nmea_tcp": Subjects("317", 6),
        }
        bodies = {"opensky": opensky_body, "adsb_lol": adsb_body, "adsb_healthy": adsb_body,
                  "nga_msi": nga_body}
        for name, body in bodies.items():
            self.servers[name] = HttpFeedServer(name, body, self.subjects[name])
            await self.servers[name].start()
        self.servers["aisstream"] = StreamServer(self.subjects["aisstream"])
        await self.servers["aisstream"].start_websocket()
        self.servers["ais_nmea_tcp"] = StreamServer(self.subjects["ais_nmea_tcp"])
        await self.servers["ais_nmea_tcp"].start_tcp()

        self.store = Store.open(self.database_url or f"sqlite:///{self.tmp / 'faults.sqlite'}")
        self.pipeline = make_pipeline(self.store)
        # the adapters without a timeout of their own use the client's (as in production)
        self.client = httpx.AsyncClient(timeout=httpx.Timeout(HTTP_TIMEOUT_S))
        box = (LON - 0.5, LAT - 0.5, LON + 0.5, LAT + 0.5)
        profile = replace(PROVIDERS["adsb_lol"], min_request_spacing_s=0.0)
        opensky = OpenSkyStatesAdapter(
            self.client, box, base_url=f"http://{HOST}:{self.servers['opensky'].port}/api"
        )
        opensky.interval_s = POLL_INTERVAL_S  # not the anonymous credit budget's 10 s
        polling = [
            opensky,
            AdsbV2Adapter(self.client, profile, box, name="adsb_lol", interval_s=POLL_INTERVAL_S,
                          base_url=f"http://{HOST}:{self.servers['adsb_lol'].port}"),
            AdsbV2Adapter(self.client, profile, box, name="adsb_healthy", interval_s=POLL_INTERVAL_S,
                          base_url=f"http://{HOST}:{self.servers['adsb_healthy'].port}"),
            NgaMsiAdapter(self.client, base_url=f"http://{HOST}:{self.servers['nga_msi'].port}",
                          nav_areas=("4",), interval_s=POLL_INTERVAL_S, timeout_s=HTTP_TIMEOUT_S),
        ]
        assert all(len(a.tiles) == 1 for a in polling if isinstance(a, AdsbV2Adapter))

        def fast() -> StreamBackoff:
            return StreamBackoff(initial_s=0.05, max_s=0.2, jitter=0.0)

        streaming = [
            AisstreamAdapter(
                "test-key", [((5.0, -80.0), (20.0, -58.0))],
                url=f"ws://{HOST}:{self.servers['aisstream'].port}/v0/stream",
                silence_timeout_s=SILENCE_TIMEOUT_S, open_timeout_s=1.0, backoff=fast(),
            ),
            NmeaTcpAdapter(
                HOST, self.servers["ais_nmea_tcp"].port, flush_interval_s=0.05,
                silence_timeout_s=SILENCE_TIMEOUT_S, connect_timeout_s=1.0, backoff=fast(),
            ),
        ]
        self.capture = self.tmp / "capture.jsonl"
        options = LiveOptions(
            record_path=self.capture, queue_size=self.queue_size, batch_records=50, batch_wait_s=0.05,
            tick_every_s=0.2, poll_backoff_base_s=0.1, poll_backoff_max_s=0.4,
        )
        runtime = Runtime(Settings(), self.store, self.pipeline, self.pipeline.health)
        self.service = LiveService(runtime, polling, streaming, options)
        self.task = asyncio.create_task(self.service.run())

    async def close(self) -> None:
        if not self.task.done():
            self.service.stop()
            await asyncio.wait_for(self.task, 30)
        await self.client.aclose()
        for server in self.servers.values():
            await server.stop()
        self.store.close()

    # --- observing --------------------------------------------------------------------

    def errors(self, feed: str) -> dict[str, int]:
        st = self.service.health.feeds.get(feed)
        return dict(st.errors) if st is not None else {}

    def delivered(self, feed: str) -> int:
        return len(self.subjects[feed].delivered)

    def stored_subjects(self) -> set[str]:
        with self.store.engine.connect() as conn:
            return set(conn.scalars(select(ObservationRow.__table__.c.subject_id)))

    async def until(self, what: str, predicate: Callable[[], bool]) -> None:
        deadline = time.monotonic() + STAGE_TIMEOUT_S
        while not predicate():
            if self.task.done():
                self.task.result()
                pytest.fail(f"the live service stopped while waiting for {what}")
            if time.monotonic() > deadline:
                pytest.fail(f"not within {STAGE_TIMEOUT_S} s: {what}; health: "
                            + str({f: self.errors(f) for f in ALL_FEEDS}))
            await asyncio.sleep(0.02)

    def metrics(self) -> dict[tuple[str, str], float]:
        text = generate_latest(make_registry(MonitorCollector(self.pipeline))).decode()
        out = {}
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == "monitor_feed_errors_total":
                    out[(sample.labels["feed"], sample.labels["reason"])] = sample.value
        return out


async def run_case(fault: Fault, tmp: Path) -> None:
    h = Harness(tmp)
    await h.start()
    try:
        await _stages(h, fault)
    finally:
        await h.close()
    check_nothing_lost(h)


async def _stages(h: Harness, fault: Fault) -> None:
    healthy = [f for f in ALL_FEEDS if f not in fault.feeds]
    # 1. every feed delivers
    await h.until("every feed delivers", lambda: all(h.delivered(f) >= 2 for f in ALL_FEEDS))
    await h.until("the first records are processed",
                  lambda: h.service.records_processed >= len(ALL_FEEDS))

    # 2. the fault: counted per feed and reason, retried, the others unaffected
    for name in fault.feeds:
        await h.servers[name].set_mode(fault.mode)
    before = {f: h.delivered(f) for f in healthy}
    if fault.on_streams:
        # an outage is one count, however many reconnections it takes; retried meanwhile
        connections = {f: h.servers[f].connections for f in fault.feeds}
        await h.until(
            f"{fault.feeds} counted down ({fault.reason}) and reconnecting",
            lambda: all(
                h.errors(f).get(fault.reason, 0) >= 1
                and h.servers[f].connections >= connections[f] + 2
                for f in fault.feeds
            ),
        )
    else:  # each failed poll is one count, and the poller tries again (after its backoff)
        await h.until(
            f"each of {fault.feeds} fails with {fault.reason} twice",
            lambda: all(h.errors(f).get(fault.reason, 0) >= 2 for f in fault.feeds),
        )
    await h.until("the healthy feeds keep delivering during the fault",
                  lambda: all(h.delivered(f) >= before[f] + 2 for f in healthy))
    for name in fault.feeds:
        status = h.service.health.feeds[name].status
        assert status in ("failing", "down"), (name, status)
    if fault.mode == "rate_limited":
        for name in fault.feeds:
            _assert_retry_after_honoured(h.servers[name])

    # 3. the fault clears: records flow again
    stored_during_fault = {f: h.delivered(f) for f in fault.feeds}
    for name in fault.feeds:
        await h.servers[name].set_mode("ok")
    await h.until(
        "the faulty feeds deliver again",
        lambda: all(h.delivered(f) >= stored_during_fault[f] + 2 for f in fault.feeds),
    )
    await h.until(
        "the faulty feeds are ok again",
        lambda: all(h.service.health.feeds[f].status == "ok" for f in fault.feeds),
    )
    if fault.mode == "rate_limited":  # and the wait before the first good poll was honoured
        for name in fault.feeds:
            _assert_retry_after_honoured(h.servers[name])

    # 4. counted: the book, the metrics and (once stored) the feed_health table
    metrics = h.metrics()
    for name in fault.feeds:
        counted = h.errors(name).get(fault.reason, 0)
        assert counted >= 1
        assert metrics.get((name, fault.reason)) == counted, (name, metrics)
    polled = [f for f in healthy if f not in STREAM_FEEDS]
    assert not any(h.errors(f) for f in polled), {f: h.errors(f) for f in polled}

    await stop_after_everything_sent_is_stored(h)

    stored_health = {row.source: row for row in h.store.feed_health()}
    for name in fault.feeds:
        assert stored_health[name].errors.get(fault.reason, 0) == h.errors(name)[fault.reason]
    if fault.mode == "stall":
        for name in fault.feeds:
            outages = [o for o in h.store.outages(name) if o.reason == "silence"]
            assert outages and all(o.ended_at is not None for o in outages), h.store.outages(name)


async def stop_after_everything_sent_is_stored(h: Harness) -> None:
    """Quiet the streams, wait until every vessel they sent is stored, stop the service."""
    for name in STREAM_FEEDS:
        await h.servers[name].set_mode("quiet")
    await h.until(
        "every vessel sent is stored",
        lambda: {s for f in STREAM_FEEDS for s in h.subjects[f].delivered} <= h.stored_subjects(),
    )
    h.service.stop()
    await asyncio.wait_for(h.task, 30)


def _assert_retry_after_honoured(server: HttpFeedServer) -> None:
    """No request reached the server sooner than ``Retry-After`` after a 429."""
    assert server.limited_at
    for limited in server.limited_at:
        following = [t for t, _ in server.requests if t > limited]
        if following:
            assert following[0] - limited >= RETRY_AFTER_S - 0.05, (
                f"{server.name}: asked again {following[0] - limited:.2f} s after a 429 "
                f"with Retry-After {RETRY_AFTER_S:.0f}"
            )


def check_nothing_lost(h: Harness) -> None:
    stored = h.stored_subjects()
    for name, subjects in h.subjects.items():
        if name == "nga_msi":
            continue
        delivered = set(subjects.delivered)
        assert delivered, name
        # every subject a server delivered is stored, and no subject was made up
        assert delivered <= stored, (name, sorted(delivered - stored)[:5])
        assert {s for s in stored if s.startswith(subjects.prefix)} == delivered, name
    records = list(CaptureReader(h.capture))
    per_source: dict[str, int] = {}
    for rec in records:
        per_source[rec.source_name] = per_source.get(rec.source_name, 0) + 1
    for name in ("opensky", "adsb_lol", "adsb_healthy", "nga_msi"):
        # one capture record per good answer (adsb.lol style feeds: one tile per poll)
        assert per_source.get(name) == h.servers[name].good_answers, (name, per_source)
        assert h.service.health.feeds[name].records == h.servers[name].good_answers
    assert h.service.records_processed == h.service.records_in == len(records)
    assert h.pipeline.unsaved == 0


@pytest.mark.parametrize("fault", list(FAULTS.values()), ids=list(FAULTS))
def test_a_feed_fault_is_counted_retried_and_survived(fault: Fault, tmp_path: Path) -> None:
    asyncio.run(run_case(fault, tmp_path))
