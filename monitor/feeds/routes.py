"""Where a flight is going: origin and destination per call sign, for reroute analysis.

Three sources feed one :class:`RouteBook`:

* a **local CSV** users maintain (the reliable source; format below),
* an **online lookup**, best effort: adsb.lol's ``POST /api/0/routeset`` (the route
  database of the VRS standing-data project, with a "plausible" flag computed from the
  aircraft's position). Its answers are added to the book; the lookup itself is the only
  I/O here (the live cache, budget and backoff around it: :mod:`monitor.feeds.routeset`);
* OpenSky's **flights** answers (:func:`parse_opensky_flights`), after the fact: the
  airports a flight was estimated to have left and reached, once it is over.

Airports come from the offline ``airportsdata`` package (ICAO codes, names, lat/lon).

CSV format
----------
UTF-8, a header row, ``#`` comment lines allowed::

    callsign,origin_icao,destination_icao,valid_from,valid_to
    CMP204,MPTO,SVMI,,
    AAL1234,KMIA,SKBO,2025-11-22T00:00:00Z,2025-12-31T23:59:59Z

``valid_from`` / ``valid_to`` are optional ISO-8601 UTC times (empty = open-ended).
Call signs are compared without spaces, upper case. A line naming an airport that
``airportsdata`` does not know, or with a bad time, is skipped and reported with its line
number in :attr:`RouteBook.problems`.

The routeset response (best effort, checked against the adsb.lol API source)
----------------------------------------------------------------------------
Request ``{"planes": [{"callsign": "AAL1234", "lat": "25.1", "lng": "-80.2"}, ...]}`` (at
most 100 planes; lat/lng as strings, as the API's model declares). Response: a list of
``{"callsign", "number", "airline_code", "airport_codes": "KMIA-SKBO" | "unknown",
"_airport_codes_iata", "_airports": [{"name", "icao", "iata", "lat", "lon", ...}],
"plausible": bool | 0 | 1}``. Multi-leg routes (``"A-B-C"``) keep their first airport as
origin and the last as destination, with the legs in ``Route.airports``.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from monitor.errors import ConfigError, FeedError
from monitor.feeds.http import fetch
from monitor.timeutil import parse_utc, utc_from_epoch_s

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Airport:
    """An airport, WGS84 degrees."""

    icao: str
    name: str
    lat: float
    lon: float
    iata: str | None = None
    country: str | None = None


@dataclass(frozen=True, slots=True)
class Route:
    """A flight's planned origin and destination."""

    callsign: str
    origin: Airport
    destination: Airport
    source: str
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    #: every airport of a multi-leg route, origin first
    airports: tuple[str, ...] = ()
    #: the online source's plausibility flag (None: not given / not applicable)
    plausible: bool | None = None

    def valid_at(self, t: datetime | None) -> bool:
        if t is None:
            return True
        if self.valid_from is not None and t < self.valid_from:
            return False
        return self.valid_to is None or t <= self.valid_to


def normalise_callsign(callsign: str) -> str:
    """``" aal 1234 "`` -> ``"AAL1234"``."""
    return "".join(callsign.split()).upper()


class AirportIndex:
    """ICAO code -> :class:`Airport`, from a mapping shaped like ``airportsdata.load("ICAO")``."""

    def __init__(self, table: Mapping[str, Mapping[str, Any]]) -> None:
        self._table = table
        self._cache: dict[str, Airport] = {}

    @classmethod
    def load(cls) -> AirportIndex:
        """The offline ``airportsdata`` table (about 28,000 airports; read once, here)."""
        import airportsdata

        return cls(airportsdata.load("ICAO"))

    def get(self, icao: str) -> Airport | None:
        code = icao.strip().upper()
        hit = self._cache.get(code)
        if hit is not None:
            return hit
        row = self._table.get(code)
        if row is None:
            return None
        airport = Airport(
            icao=code,
            name=str(row.get("name", code)),
            lat=float(row["lat"]),
            lon=float(row["lon"]),
            iata=(row.get("iata") or None),
            country=(row.get("country") or None),
        )
        self._cache[code] = airport
        return airport


@dataclass(frozen=True, slots=True)
class RouteProblem:
    line: int
    reason: str
    detail: str


@dataclass
class RouteBook:
    """Routes by call sign; :meth:`route_for` is a pure lookup.

    Several routes may exist for one call sign with different validity; the one valid at
    the asked time wins, CSV entries before online ones, later additions first.
    """

    airports: AirportIndex
    _routes: dict[str, list[Route]] = field(default_factory=dict)
    problems: list[RouteProblem] = field(default_factory=list)

    @classmethod
    def from_csv(cls, path: Path | str, airports: AirportIndex | None = None) -> RouteBook:
        """A book holding the routes of one CSV file (airports from ``airportsdata`` by default)."""
        book = cls(airports or AirportIndex.load())
        book.load_csv(path)
        return book

    def add(self, route: Route) -> None:
        key = normalise_callsign(route.callsign)
        entries = self._routes.get(key, [])
        # an online answer replaces the previous online answer for the call sign; the new
        # list is swapped in whole, so a reader in another thread (the pipeline, while the
        # live routeset lookup adds) sees the old or the new entries, never half
        if route.source != "csv":
            entries = [r for r in entries if r.source == "csv"]
        self._routes[key] = [route, *entries]

    def route_for(self, callsign: str, at: datetime | None = None) -> Route | None:
        """The route of ``callsign`` valid at ``at`` (any time when ``None``), or ``None``."""
        entries = self._routes.get(normalise_callsign(callsign))
        if not entries:
            return None
        best: Route | None = None
        for route in entries:
            if route.valid_at(at):
                if route.source == "csv":
                    return route
                best = best or route
        return best

    def __len__(self) -> int:
        return sum(len(v) for v in self._routes.values())

    def load_csv(self, path: Path | str) -> int:
        """Add the routes of a CSV file (format in the module docstring); returns how many.

        Raises
        ------
        monitor.errors.ConfigError
            When the file is missing or has no ``callsign,origin_icao,destination_icao``
            header.
        """
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"route file {path}: {exc}") from None
        return self.load_csv_text(text, name=str(path))

    def load_csv_text(self, text: str, *, name: str = "<routes>") -> int:
        lines = [(n, ln) for n, ln in enumerate(text.splitlines(), start=1)]
        data = [(n, ln) for n, ln in lines if ln.strip() and not ln.lstrip().startswith("#")]
        if not data:
            return 0
        reader = csv.reader([ln for _, ln in data])
        header = [h.strip().lower() for h in next(reader)]
        needed = ("callsign", "origin_icao", "destination_icao")
        if any(h not in header for h in needed):
            raise ConfigError(
                f"route file {name}, line {data[0][0]}: header must start with "
                f"callsign,origin_icao,destination_icao[,valid_from,valid_to]; got {header}"
            )
        col = {h: i for i, h in enumerate(header)}
        added = 0
        for (lineno, _), row in zip(data[1:], reader, strict=False):
            cell = {h: (row[i].strip() if i < len(row) else "") for h, i in col.items()}
            callsign = normalise_callsign(cell["callsign"])
            if not callsign:
                self._problem(lineno, "no_callsign", str(row))
                continue
            origin = self.airports.get(cell["origin_icao"])
            destination = self.airports.get(cell["destination_icao"])
            if origin is None or destination is None:
                bad = cell["origin_icao"] if origin is None else cell["destination_icao"]
                self._problem(lineno, "unknown_airport", f"{callsign}: {bad!r}")
                continue
            try:
                valid_from = parse_utc(cell["valid_from"]) if cell.get("valid_from") else None
                valid_to = parse_utc(cell["valid_to"]) if cell.get("valid_to") else None
            except ValueError as exc:
                self._problem(lineno, "bad_time", f"{callsign}: {exc}")
                continue
            self.add(
                Route(
                    callsign,
                    origin,
                    destination,
                    "csv",
                    valid_from,
                    valid_to,
                    (origin.icao, destination.icao),
                )
            )
            added += 1
        if self.problems:
            log.warning("route file %s: %d lines skipped", name, len(self.problems))
        return added

    def _problem(self, line: int, reason: str, detail: str) -> None:
        self.problems.append(RouteProblem(line, reason, detail))


# --- online lookup (I/O, best effort) ------------------------------------------------

ROUTESET_MAX_PLANES = 100


def parse_routeset(body: Any, airports: AirportIndex, *, source: str = "adsb_lol") -> list[Route]:
    """Routes from a routeset response (pure); unknown routes and bad entries are skipped."""
    if not isinstance(body, list):
        raise FeedError(source, "wrong_shape", f"routeset answered a {type(body).__name__}")
    routes: list[Route] = []
    for item in body:
        if not isinstance(item, dict):
            continue
        callsign = item.get("callsign")
        codes = item.get("airport_codes")
        if not isinstance(callsign, str) or not isinstance(codes, str) or codes == "unknown":
            continue
        legs = [c.strip().upper() for c in codes.split("-") if c.strip()]
        if len(legs) < 2:
            continue
        found = _routeset_airports(item.get("_airports"))
        origin = found.get(legs[0]) or airports.get(legs[0])
        destination = found.get(legs[-1]) or airports.get(legs[-1])
        if origin is None or destination is None:
            continue
        plausible = item.get("plausible")
        routes.append(
            Route(
                normalise_callsign(callsign),
                origin,
                destination,
                source,
                airports=tuple(legs),
                plausible=None if plausible is None else bool(plausible),
            )
        )
    return routes


def _routeset_airports(items: Any) -> dict[str, Airport]:
    out: dict[str, Airport] = {}
    if not isinstance(items, list):
        return out
    for a in items:
        if not isinstance(a, dict):
            continue
        icao, lat, lon = a.get("icao"), a.get("lat"), a.get("lon")
        if (
            not isinstance(icao, str)
            or not isinstance(lat, int | float)
            or not isinstance(lon, int | float)
        ):
            continue
        out[icao.upper()] = Airport(
            icao.upper(), str(a.get("name") or icao), float(lat), float(lon), a.get("iata") or None
        )
    return out


class RoutesetLookup:
    """adsb.lol's routeset lookup, adding what it finds to a :class:`RouteBook`.

    Best effort: the endpoint is undocumented beyond its source code and may change; a
    failure is logged and raised as :class:`~monitor.errors.FeedError`, and the book keeps
    what it had.
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        book: RouteBook,
        *,
        base_url: str = "https://api.adsb.lol",
        name: str = "adsb_lol_routes",
    ) -> None:
        self.client = client
        self.book = book
        self.url = base_url.rstrip("/") + "/api/0/routeset"
        self.name = name

    async def lookup(
        self, planes: Iterable[tuple[str, float, float]], *, timeout_s: float | None = None
    ) -> list[Route]:
        """Look up ``(callsign, lat, lon)`` triples, 100 per request; returns the routes found.

        ``timeout_s`` bounds each request (``None``: the client's timeouts). The cache,
        budget and backoff of live use are :class:`monitor.feeds.routeset.RoutesetService`.
        """
        todo = [(normalise_callsign(c), lat, lon) for c, lat, lon in planes if c.strip()]
        found: list[Route] = []
        for i in range(0, len(todo), ROUTESET_MAX_PLANES):
            chunk: Sequence[tuple[str, float, float]] = todo[i : i + ROUTESET_MAX_PLANES]
            payload = {
                "planes": [
                    {"callsign": c, "lat": f"{lat:.5f}", "lng": f"{lon:.5f}"}
                    for c, lat, lon in chunk
                ]
            }
            response = await fetch(
                self.client, self.name, self.url, method="POST", json=payload, timeout_s=timeout_s
            )
            try:
                body = response.json()
            except ValueError:
                raise FeedError(self.name, "bad_json", response.text[:80]) from None
            routes = parse_routeset(body, self.book.airports, source=self.name)
            for route in routes:
                self.book.add(route)
            found.extend(routes)
        log.info("%s: %d of %d call signs resolved", self.name, len(found), len(todo))
        return found


# --- after the fact: OpenSky flights ---------------------------------------------------

OPENSKY_FLIGHTS_SOURCE = "opensky_flights"


def parse_opensky_flights(
    body: Any, airports: AirportIndex, *, source: str = OPENSKY_FLIGHTS_SOURCE
) -> list[Route]:
    """Routes from an OpenSky ``/api/flights/{all,aircraft,departure,arrival}`` answer (pure).

    OpenSky estimates each flight's departure and arrival airports from its recorded
    track, once the flight is over: these are the airports it *flew* between, valid from
    ``firstSeen`` to ``lastSeen``, which can confirm a reroute's origin and destination
    after the fact (a diverted flight's "arrival" is where it landed, not where it was
    going). Flights without a call sign or without either airport (OpenSky leaves many
    ``null``), or with an airport ``airportsdata`` does not know, are skipped. No
    plausibility flag: ``plausible`` stays ``None``.

    Raises
    ------
    monitor.errors.FeedError
        When the answer is not a JSON list.
    """
    if not isinstance(body, list):
        raise FeedError(source, "wrong_shape", f"flights answered a {type(body).__name__}")
    routes: list[Route] = []
    for item in body:
        if not isinstance(item, dict):
            continue
        callsign = item.get("callsign")
        dep, arr = item.get("estDepartureAirport"), item.get("estArrivalAirport")
        first, last = item.get("firstSeen"), item.get("lastSeen")
        if not isinstance(callsign, str) or not callsign.strip():
            continue
        if not isinstance(dep, str) or not isinstance(arr, str) or dep == arr:
            continue
        if not isinstance(first, int | float) or not isinstance(last, int | float):
            continue
        origin, destination = airports.get(dep), airports.get(arr)
        if origin is None or destination is None:
            continue
        routes.append(
            Route(
                normalise_callsign(callsign),
                origin,
                destination,
                source,
                utc_from_epoch_s(float(first)),
                utc_from_epoch_s(float(last)),
                (origin.icao, destination.icao),
            )
        )
    return routes
