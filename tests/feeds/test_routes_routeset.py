"""The live route source against a local routeset server on 127.0.0.1.

:class:`RoutesetServer` answers ``POST /api/0/routeset`` in adsb.lol's format (see
``monitor/feeds/routes.py``): one entry per plane asked, ``airport_codes`` ``"A-B"`` or
``"unknown"``, ``_airports`` with each airport's ICAO code and WGS84 position (from the
offline ``airportsdata`` table), ``plausible`` 0 / 1. ``mode`` switches it to the failures
a live service meets: ``429`` (with ``Retry-After``), ``500``, ``malformed`` (truncated
JSON), ``html`` (an error page with 200), ``wrong_shape`` (an object), ``slow`` (answers
after ``delay_s``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from monitor.feeds.routes import AirportIndex, RouteBook
from monitor.feeds.routeset import RoutesetService

AT = datetime(2022, 4, 30, 23, 59, 59, tzinfo=UTC)


class RoutesetServer:
    """A routeset endpoint on 127.0.0.1 answering from ``routes``: callsign -> (codes,
    plausible)."""

    def __init__(self, routes: dict[str, tuple[str, bool]], airports: AirportIndex) -> None:
        self.routes = routes
        self.airports = airports
        self.mode = "ok"
        self.delay_s = 0.0
        self.retry_after_s = 120
        self.requests: list[list[dict[str, Any]]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                payload = json.loads(self.rfile.read(length) or b"{}")
                server.requests.append(payload.get("planes", []))
                status, headers, body = server.answer(payload)
                if server.mode == "slow":
                    time.sleep(server.delay_s)
                try:
                    self.send_response(status)
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:  # the client gave up (slow mode)
                    pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def __enter__(self) -> RoutesetServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def answer(self, payload: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        json_type = {"Content-Type": "application/json"}
        if self.mode == "429":
            return 429, {"Retry-After": str(self.retry_after_s)}, b'{"error": "rate limited"}'
        if self.mode == "500":
            return 500, {}, b"Internal Server Error"
        if self.mode == "malformed":
            return 200, json_type, b'[{"callsign": "AVA031", "airport_codes": "KMIA-SK'
        if self.mode == "html":
            return 200, {"Content-Type": "text/html"}, b"<html><body>502 Bad Gateway</body></html>"
        if self.mode == "wrong_shape":
            return 200, json_type, b'{"planes": "none"}'
        out = []
        for plane in payload.get("planes", []):
            cs = plane["callsign"]
            codes, plausible = self.routes.get(cs, ("unknown", False))
            airports = []
            if codes != "unknown":
                for code in codes.split("-"):
                    a = self.airports.get(code)
                    if a is not None:
                        airports.append({"name": a.name, "icao": a.icao, "iata": a.iata or "",
                                         "lat": a.lat, "lon": a.lon, "countryiso2": a.country})
            out.append({
                "callsign": cs, "number": cs[3:], "airline_code": cs[:3],
                "airport_codes": codes, "_airport_codes_iata": codes, "_airports": airports,
                "plausible": int(plausible),
            })
        return 200, json_type, json.dumps(out).encode()


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture(scope="module")
def airports() -> AirportIndex:
    return AirportIndex.load()


@pytest.fixture
def server(airports: AirportIndex) -> Iterator[RoutesetServer]:
    routes = {"AVA031": ("KMIA-SKBO", True), "CMP235": ("MPTO-KMCO", True),
              "AAL917": ("KMIA-SEGU", False)}
    with RoutesetServer(routes, airports) as s:
        yield s


PLANES = [("AVA031", 23.41, -79.4), ("CMP235", 10.45, -80.11), ("AAL917", 9.42, -79.98),
          ("XYZ999", 12.0, -70.0)]


def service(server: RoutesetServer, airports: AirportIndex, clock: Clock, **kw: Any) -> RoutesetService:
    kw.setdefault("timeout_s", 2.0)
    client = httpx.AsyncClient()
    return RoutesetService(client, RouteBook(airports), base_url=server.url, clock=clock, **kw)


def refresh(svc: RoutesetService, planes: list[tuple[str, float, float]], at: datetime = AT) -> list[Any]:
    async def go() -> list[Any]:
        try:
            return await svc.refresh(planes, at)
        finally:
            await svc.lookup.client.aclose()
            svc.lookup.client = httpx.AsyncClient()

    return asyncio.run(go())


def test_routes_are_found_with_their_source_and_plausibility(server, airports) -> None:
    svc = service(server, airports, Clock())
    found = refresh(svc, PLANES)
    assert {r.callsign for r in found} == {"AVA031", "CMP235", "AAL917"}
    route = svc.book.route_for("CMP235", AT)
    assert route is not None and route.source == "routeset" and route.plausible is True
    assert (route.origin.icao, route.destination.icao) == ("MPTO", "KMCO")
    implausible = svc.book.route_for("AAL917", AT)
    assert implausible is not None and implausible.plausible is False
    assert svc.book.route_for("XYZ999", AT) is None
    assert server.requests[0][0] == {"callsign": "AVA031", "lat": "23.41000", "lng": "-79.40000"}
    assert svc.stats.unknown == 1 and svc.stats.implausible == 1


def test_a_call_sign_is_asked_once_a_day(server, airports) -> None:
    svc = service(server, airports, Clock())
    refresh(svc, PLANES)
    refresh(svc, PLANES)
    refresh(svc, PLANES[:2] + [("NEW1", 10.0, -70.0)])
    assert [len(r) for r in server.requests] == [4, 1]
    assert svc.stats.cache_hits == 4 + 2 and svc.stats.cache_misses == 5
    refresh(svc, PLANES, at=AT.replace(day=1, month=5))  # the next day: asked again
    assert [len(r) for r in server.requests] == [4, 1, 4]


def test_a_hundred_call_signs_a_request_within_the_budget(server, airports) -> None:
    svc = service(server, airports, Clock(), max_requests_per_hour=2)
    planes = [(f"ZZZ{i}", 10.0, -70.0) for i in range(250)]
    refresh(svc, planes)
    assert [len(r) for r in server.requests] == [100, 100]
    assert svc.stats.skipped_budget == 50
    svc.clock.t += 3601  # type: ignore[attr-defined]
    refresh(svc, planes)
    assert [len(r) for r in server.requests] == [100, 100, 50]


def test_429_backs_off_honouring_retry_after_and_leaves_flights_without_route(server, airports) -> None:
    clock = Clock()
    svc = service(server, airports, clock, backoff_base_s=30)
    server.mode = "429"
    assert refresh(svc, PLANES) == []
    assert svc.stats.failures == {"rate_limited": 1}
    assert svc.backing_off_s == pytest.approx(120)  # Retry-After beats the 30 s base
    assert svc.book.route_for("CMP235", AT) is None
    server.mode = "ok"
    refresh(svc, PLANES)
    assert len(server.requests) == 1 and svc.stats.skipped_backoff == 4  # still waiting
    clock.t += 121
    found = refresh(svc, PLANES)
    assert len(found) == 3 and len(server.requests) == 2  # the flights were asked again


@pytest.mark.parametrize(
    ("mode", "reason"),
    [("500", "http_500"), ("malformed", "bad_json"), ("html", "bad_json"),
     ("wrong_shape", "wrong_shape"), ("slow", "timeout")],
)
def test_a_bad_answer_backs_off_exponentially_and_never_invents_a_route(
    server, airports, mode: str, reason: str, caplog
) -> None:
    clock = Clock()
    svc = service(server, airports, clock, backoff_base_s=30, timeout_s=0.5)
    server.mode, server.delay_s = mode, 1.5
    delays = []
    with caplog.at_level(logging.DEBUG, logger="monitor.feeds.routeset"):
        for _ in range(3):
            assert refresh(svc, PLANES) == []
            delays.append(svc.backing_off_s)
            clock.t += svc.backing_off_s + 1
    assert delays == [30, 60, 120]
    assert svc.stats.failures == {reason: 3}
    assert len(svc.book) == 0
    # each flight left without a route is logged once, not once per round
    no_route = [r for r in caplog.records if "no route for AVA031" in r.getMessage()]
    assert len(no_route) == 1
    server.mode = "ok"
    assert len(refresh(svc, PLANES)) == 3
    assert svc.backing_off_s == 0  # a success resets the backoff


def test_csv_routes_stay_the_override(server, airports) -> None:
    svc = service(server, airports, Clock())
    svc.book.load_csv_text("callsign,origin_icao,destination_icao\nCMP235,MPTO,TNCC\n")
    refresh(svc, PLANES)
    route = svc.book.route_for("CMP235", AT)
    assert route is not None and route.source == "csv" and route.destination.icao == "TNCC"


def test_new_call_signs_wait_for_a_fuller_request(server, airports) -> None:
    clock = Clock()
    svc = service(server, airports, clock, min_batch=3, max_wait_s=300)
    refresh(svc, PLANES[:2])
    assert server.requests == []  # two waiting, fewer than three
    clock.t += 60
    refresh(svc, PLANES[:3])  # a third: sent together
    assert [len(r) for r in server.requests] == [3]
    clock.t += 60
    refresh(svc, PLANES)  # one new: waits ...
    clock.t += 301
    refresh(svc, PLANES)  # ... at most max_wait_s
    assert [len(r) for r in server.requests] == [3, 1]


def test_the_live_service_fills_the_detectors_route_book(server, tmp_path) -> None:
    from monitor.config import load_settings
    from monitor.service.live import LiveService
    from monitor.service.runtime import build_runtime
    from tests.builders import aircraft

    settings = load_settings(
        overrides={"database_url": f"sqlite:///{tmp_path / 'live.sqlite'}",
                   "routeset.base_url": server.url, "routeset.min_batch": 1},
        environ={},
    )
    assert settings.routeset.enabled  # the shipped configuration turns it on
    runtime = build_runtime(settings)
    try:
        runtime.pipeline.state.tracks.ingest([
            aircraft("0c2069", -80.11, 10.45, AT, callsign="CMP235 "),
            aircraft("0c2070", -80.0, 9.0, AT, callsign="GND1", on_ground=True),
        ])
        live = LiveService(runtime, [], [], clock=lambda: AT)
        client = live._start_routeset()
        assert client is not None and live.scheduler.get_job("routeset") is not None

        async def one_round() -> None:
            live.routeset.lookup.client = httpx.AsyncClient()
            await live._refresh_routes()
            await live.routeset.lookup.client.aclose()
            await client.aclose()

        asyncio.run(one_round())
        book = runtime.pipeline.state.extra["routes"]
        route = book.route_for("CMP235", AT)
        assert route is not None and route.source == "routeset"
        assert [p["callsign"] for p in server.requests[0]] == ["CMP235"]  # not the one on the ground
    finally:
        runtime.close()
