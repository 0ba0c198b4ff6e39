"""Routes: the user's CSV, the offline airport table and the best-effort online lookup."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from monitor.errors import ConfigError, FeedError
from monitor.feeds.routes import (
    AirportIndex,
    RouteBook,
    RoutesetLookup,
    normalise_callsign,
    parse_routeset,
)

ROUTES_CSV = Path(__file__).resolve().parents[1] / "fixtures" / "aviation" / "routes.csv"


@pytest.fixture(scope="module")
def airports() -> AirportIndex:
    return AirportIndex.load()


@pytest.fixture
def book(airports: AirportIndex) -> RouteBook:
    return RouteBook.from_csv(ROUTES_CSV, airports)


def test_airports_come_from_airportsdata(airports: AirportIndex) -> None:
    svmi = airports.get("svmi")
    assert svmi is not None
    assert svmi.icao == "SVMI" and svmi.iata == "CCS" and svmi.country == "VE"
    assert svmi.lat == pytest.approx(10.60312) and svmi.lon == pytest.approx(-66.99059)
    assert airports.get("ZZZZ") is None


def test_csv_route_lookup(book: RouteBook) -> None:
    route = book.route_for("CMP204")
    assert route is not None
    assert (route.origin.icao, route.destination.icao) == ("MPTO", "SVMI")
    assert route.destination.name.startswith("Maiquetia")
    assert route.source == "csv"
    assert book.route_for("cmp 204 ") == route  # spaces and case do not matter
    assert book.route_for("NOPE1") is None


def test_validity_picks_the_route_in_force(book: RouteBook) -> None:
    nov = book.route_for("AAL1234", datetime(2025, 11, 25, tzinfo=UTC))
    jan = book.route_for("AAL1234", datetime(2025, 6, 1, tzinfo=UTC))
    assert nov is not None and nov.destination.icao == "SKBO"
    assert jan is not None and jan.destination.icao == "TNCC"
    assert book.route_for("AAL1234", datetime(2026, 2, 1, tzinfo=UTC)) is None


def test_bad_lines_are_reported_with_line_numbers(book: RouteBook) -> None:
    problems = {(p.line, p.reason) for p in book.problems}
    assert problems == {(7, "unknown_airport"), (8, "bad_time")}
    assert len(book) == 4


def test_missing_header_is_a_config_error(airports: AirportIndex, tmp_path: Path) -> None:
    bad = tmp_path / "routes.csv"
    bad.write_text("flight,from,to\nCMP204,MPTO,SVMI\n")
    with pytest.raises(ConfigError, match="callsign,origin_icao,destination_icao"):
        RouteBook.from_csv(bad, airports)
    with pytest.raises(ConfigError, match="does-not-exist"):
        RouteBook.from_csv(tmp_path / "does-not-exist.csv", airports)


def test_normalise_callsign() -> None:
    assert normalise_callsign(" aal 1234  ") == "AAL1234"


def load_routeset() -> Any:
    return json.loads((ROUTES_CSV.parent / "routeset_response.json").read_text())


def test_parse_routeset(airports: AirportIndex) -> None:
    routes = {r.callsign: r for r in parse_routeset(load_routeset(), airports)}
    assert set(routes) == {"AAL921", "CMP300"}  # "unknown" is skipped
    aal = routes["AAL921"]
    assert (aal.origin.icao, aal.destination.icao, aal.plausible) == ("KMIA", "SKBO", True)
    assert aal.destination.lat == pytest.approx(4.70159)
    multi = routes["CMP300"]
    assert multi.airports == ("MPTO", "TNCC", "TNCA")
    assert (multi.origin.icao, multi.destination.icao, multi.plausible) == ("MPTO", "TNCA", False)
    with pytest.raises(FeedError):
        parse_routeset({"error": "x"}, airports)


def test_online_lookup_posts_chunks_and_fills_the_book(book: RouteBook) -> None:
    posted: list[Any] = []

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.method == "POST" and request.url.path == "/api/0/routeset"
        payload = json.loads(request.content)
        posted.append(payload)
        return httpx.Response(200, json=load_routeset() if len(posted) == 1 else [])

    planes = [("AAL921", 12.05, -69.02), ("CMP300", 9.5, -75.0)] + [
        (f"XX{i}", 10.0, -66.0) for i in range(120)
    ]

    async def run() -> list[Any]:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            return await RoutesetLookup(client, book, base_url="http://127.0.0.1:9").lookup(planes)

    found = asyncio.run(run())
    assert [len(p["planes"]) for p in posted] == [100, 22]
    assert posted[0]["planes"][0] == {"callsign": "AAL921", "lat": "12.05000", "lng": "-69.02000"}
    assert {r.callsign for r in found} == {"AAL921", "CMP300"}
    route = book.route_for("AAL921")
    assert route is not None and route.source == "adsb_lol_routes"


def test_csv_wins_over_the_online_answer(book: RouteBook, airports: AirportIndex) -> None:
    online = parse_routeset(
        [{"callsign": "CMP204", "airport_codes": "MPTO-TNCC", "_airports": [], "plausible": True}],
        airports,
    )
    book.add(online[0])
    route = book.route_for("CMP204")
    assert route is not None and route.source == "csv" and route.destination.icao == "SVMI"


def test_online_failure_is_a_feed_error(book: RouteBook) -> None:
    async def run() -> None:
        async with httpx.AsyncClient(
            transport=httpx.MockTransport(lambda r: httpx.Response(502))
        ) as client:
            await RoutesetLookup(client, book, base_url="http://127.0.0.1:9").lookup(
                [("AAL921", 1.0, 2.0)]
            )

    with pytest.raises(FeedError) as info:
        asyncio.run(run())
    assert info.value.reason == "http_502"
    assert book.route_for("CMP204") is not None  # the book keeps what it had
