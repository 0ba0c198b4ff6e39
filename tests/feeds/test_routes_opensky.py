"""OpenSky's flights answers as routes, after the fact, on the real sample of the OpenSky
documentation (``/api/flights/all`` for 2018-01-29 12:00-13:00Z: 472 flights, many
airports ``null``; ``../shared/reference/samples/opensky_flights_all_20180129.json``)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.errors import FeedError
from monitor.feeds.routes import AirportIndex, RouteBook, parse_opensky_flights

SAMPLE = (
    Path(__file__).resolve().parents[3] / "shared" / "reference" / "samples"
    / "opensky_flights_all_20180129.json"
)


@pytest.fixture(scope="module")
def airports() -> AirportIndex:
    return AirportIndex.load()


@pytest.mark.skipif(not SAMPLE.is_file(), reason="../shared/reference/samples absent")
def test_flights_with_both_airports_become_routes_valid_while_flown(airports) -> None:
    body = json.loads(SAMPLE.read_text(encoding="utf-8"))
    routes = parse_opensky_flights(body, airports)
    with_both = [f for f in body if f["estDepartureAirport"] and f["estArrivalAirport"]
                 and f["estDepartureAirport"] != f["estArrivalAirport"]]
    assert 0 < len(routes) <= len(with_both) < len(body)
    book = RouteBook(airports)
    for r in routes:
        book.add(r)
    swg = book.route_for("SWG9426", datetime(2018, 1, 29, 12, 30, tzinfo=UTC))
    assert swg is not None and (swg.origin.icao, swg.destination.icao) == ("CYYZ", "CYUL")
    assert swg.source == "opensky_flights" and swg.plausible is None
    assert book.route_for("SWG9426", datetime(2018, 1, 29, 14, 0, tzinfo=UTC)) is None  # landed


def test_unusable_flights_are_skipped_and_a_wrong_shape_is_a_feed_error(airports) -> None:
    flight = {"callsign": "ABC1", "estDepartureAirport": "KMIA", "estArrivalAirport": "SKBO",
              "firstSeen": 1, "lastSeen": 2}
    assert len(parse_opensky_flights([flight], airports)) == 1
    for bad in ({"estArrivalAirport": None}, {"callsign": "  "}, {"estDepartureAirport": "XXXX"},
                {"firstSeen": None}, {"estArrivalAirport": "KMIA"}):
        assert parse_opensky_flights([{**flight, **bad}, "junk"], airports) == []
    with pytest.raises(FeedError):
        parse_opensky_flights({"flights": []}, airports)
