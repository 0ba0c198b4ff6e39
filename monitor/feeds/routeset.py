"""The live route source: adsb.lol's routeset lookup with a cache, a budget and backoff.

:class:`~monitor.feeds.routes.RoutesetLookup` asks adsb.lol ``POST /api/0/routeset`` for
the airports of up to 100 call signs a request (format in :mod:`monitor.feeds.routes`).
:class:`RoutesetService` is what the live service runs around it:

* **a cache per call sign and UTC day**: a call sign asked once today is not asked again
  today, whether it was answered with a route, with ``unknown`` or not at all in the answer
  (a flight number flies one route a day; the next day's answer may differ);
* **a request budget** (``max_requests_per_hour``, sliding hour): past it, the call signs
  wait for the next round and are counted as ``skipped_budget``;
* **batching**: new call signs wait until ``min_batch`` of them are pending or the
  oldest has waited ``max_wait_s`` (a request carries up to 100; one new flight a minute
  would otherwise cost one request a minute);
* **exponential backoff** on errors and 429 (``backoff_base_s`` doubling up to
  ``backoff_max_s``, at least the server's ``Retry-After``): while backing off no request
  is made (``skipped_backoff``); a success resets it.

A malformed answer (not JSON, not a list), an HTTP error, a timeout (``timeout_s``) or a
429 leaves the chunk's flights **without a route** (they are asked again once the backoff
is over): counted by reason in :attr:`RoutesetStats.failures`, and each call sign left
without a route is logged once (DEBUG) in its life, never once per round. Nothing here
raises to the caller: the poller goes on with or without routes.

Each route keeps its source (``routeset``) and the server's ``plausible`` flag (whether the
flight's position fits the route); the reroute detector never claims a detour from an
implausible route. The routes are added to a :class:`~monitor.feeds.routes.RouteBook`,
where a CSV route of the same call sign still wins (the user's override).
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx

from monitor.errors import FeedError, RateLimited
from monitor.feeds.routes import (
    ROUTESET_MAX_PLANES,
    Route,
    RouteBook,
    RoutesetLookup,
    normalise_callsign,
)

log = logging.getLogger(__name__)

#: the route source name written into reroute incidents (``details.route_source``)
SOURCE = "routeset"


@dataclass
class RoutesetStats:
    """What the service did since it started (cumulative)."""

    rounds: int = 0
    requests: int = 0
    #: distinct (call sign, day) pairs asked of the service
    flights_seen: int = 0
    cache_hits: int = 0
    cache_misses: int = 0
    routes_found: int = 0
    implausible: int = 0
    unknown: int = 0
    skipped_budget: int = 0
    skipped_backoff: int = 0
    failures: Counter[str] = field(default_factory=Counter)

    @property
    def hit_rate(self) -> float:
        asked = self.cache_hits + self.cache_misses
        return self.cache_hits / asked if asked else 0.0

    def as_dict(self) -> dict[str, object]:
        d = dataclasses.asdict(self)
        d["failures"] = dict(self.failures)
        d["hit_rate"] = round(self.hit_rate, 4)
        return d


class RoutesetService:
    """adsb.lol routeset, cached per call sign and day, within a budget, backing off.

    Parameters
    ----------
    client
        The shared ``httpx.AsyncClient`` (tests point ``base_url`` at 127.0.0.1).
    book
        Where found routes go (the detectors read it through ``MonitorState.extra``).
    max_requests_per_hour
        At most this many POSTs in any sliding hour (each carries up to 100 call signs).
    timeout_s
        Per request (connect, read, write, pool each): a slow answer is a ``timeout``.
    backoff_base_s, backoff_max_s
        Wait after the n-th failure in a row: ``base * 2**(n-1)``, at most ``max``, at
        least the server's ``Retry-After``.
    min_batch, max_wait_s
        A request is sent once ``min_batch`` call signs are pending, or the oldest has
        waited ``max_wait_s`` (0: at once).
    clock
        Monotonic seconds (tests and the benchmark pass their own).
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        book: RouteBook,
        *,
        base_url: str = "https://api.adsb.lol",
        max_requests_per_hour: int = 120,
        timeout_s: float = 10.0,
        backoff_base_s: float = 30.0,
        backoff_max_s: float = 3600.0,
        min_batch: int = 1,
        max_wait_s: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.book = book
        self.lookup = RoutesetLookup(client, book, base_url=base_url, name=SOURCE)
        self.max_requests_per_hour = max_requests_per_hour
        self.timeout_s = timeout_s
        self.backoff_base_s = backoff_base_s
        self.backoff_max_s = backoff_max_s
        self.min_batch = min_batch
        self.max_wait_s = max_wait_s
        self.clock = clock
        self.stats = RoutesetStats()
        #: call sign -> (when it started waiting, its latest position)
        self._pending: dict[str, tuple[float, float, float]] = {}
        #: (call sign, UTC day) -> the route found, or None (unknown / not answered)
        self._cache: dict[tuple[str, str], Route | None] = {}
        self._sent: deque[float] = deque()
        self._failures_in_row = 0
        self._blocked_until = float("-inf")
        self._logged_without: set[str] = set()

    # --- state -----------------------------------------------------------------------------

    def cached(self, callsign: str, at: datetime) -> bool:
        return (normalise_callsign(callsign), at.date().isoformat()) in self._cache

    @property
    def backing_off_s(self) -> float:
        """Seconds until the next request may be made (0: now)."""
        return max(0.0, self._blocked_until - self.clock())

    def budget_left(self) -> int:
        now = self.clock()
        while self._sent and self._sent[0] <= now - 3600.0:
            self._sent.popleft()
        return max(0, self.max_requests_per_hour - len(self._sent))

    # --- one round -------------------------------------------------------------------------

    async def refresh(self, planes: Iterable[tuple[str, float, float]], at: datetime) -> list[Route]:
        """Ask the routes of ``(callsign, lat, lon)`` not yet asked today; never raises.

        ``at`` is the (UTC) time of the positions: it names the day of the cache and
        bounds the validity of the routes added to the book (a day and a half)."""
        self.stats.rounds += 1
        day = at.date().isoformat()
        now = self.clock()
        seen: set[str] = set()
        waiting = self._pending
        for callsign, lat, lon in planes:
            c = normalise_callsign(callsign or "")
            if not c or c in seen:
                continue
            seen.add(c)
            if (c, day) in self._cache:
                self.stats.cache_hits += 1
                continue
            since = waiting[c][0] if c in waiting else now
            waiting[c] = (since, lat, lon)
        # call signs no longer heard stop waiting
        for c in [c for c in waiting if c not in seen]:
            del waiting[c]
        if not waiting:
            return []
        oldest = min(v[0] for v in waiting.values())
        if len(waiting) < self.min_batch and now - oldest < self.max_wait_s:
            return []
        self._prune(day)
        pending = [(c, lat, lon) for c, (_, lat, lon) in waiting.items()]
        found: list[Route] = []
        for i in range(0, len(pending), ROUTESET_MAX_PLANES):
            chunk = pending[i : i + ROUTESET_MAX_PLANES]
            if self.clock() < self._blocked_until:
                self.stats.skipped_backoff += len(pending) - i
                break
            if self.budget_left() <= 0:
                self.stats.skipped_budget += len(pending) - i
                break
            routes = await self._ask(chunk)
            if routes is None:
                self._note_without(c for c, _, _ in pending[i:])
                break
            self.stats.cache_misses += len(chunk)
            self.stats.flights_seen += len(chunk)
            by_callsign = {r.callsign: r for r in routes}
            valid_to = at + timedelta(hours=36)
            for c, _, _ in chunk:
                route = by_callsign.get(c)
                if route is not None:
                    route = dataclasses.replace(route, valid_to=valid_to)
                    self.book.add(route)
                    found.append(route)
                    self.stats.routes_found += 1
                    if route.plausible is False:
                        self.stats.implausible += 1
                else:
                    self.stats.unknown += 1
                    self._note_without([c])
                self._cache[(c, day)] = route
                waiting.pop(c, None)
        return found

    async def _ask(self, chunk: list[tuple[str, float, float]]) -> list[Route] | None:
        self._sent.append(self.clock())
        self.stats.requests += 1
        try:
            routes = await self.lookup.lookup(chunk, timeout_s=self.timeout_s)
        except RateLimited as exc:
            self._failed(exc.reason, exc.retry_after_s)
            return None
        except FeedError as exc:
            self._failed(exc.reason)
            return None
        self._failures_in_row = 0
        self._blocked_until = float("-inf")
        return routes

    def _failed(self, reason: str, retry_after_s: float | None = None) -> None:
        self.stats.failures[reason] += 1
        self._failures_in_row += 1
        delay = min(self.backoff_max_s, self.backoff_base_s * 2 ** (self._failures_in_row - 1))
        if retry_after_s is not None:
            delay = max(delay, retry_after_s)
        self._blocked_until = self.clock() + delay
        log.warning("routeset: %s; no request for %.0f s", reason, delay)

    def _note_without(self, callsigns: Iterable[str]) -> None:
        for c in callsigns:
            if c not in self._logged_without:
                if len(self._logged_without) > 200_000:
                    self._logged_without.clear()
                self._logged_without.add(c)
                log.debug("routeset: no route for %s", c)

    def _prune(self, day: str) -> None:
        """Forget the cache of days before yesterday (bounded memory)."""
        if len(self._cache) < 50_000:
            return
        keep = {day, (datetime.fromisoformat(day) - timedelta(days=1)).date().isoformat()}
        self._cache = {k: v for k, v in self._cache.items() if k[1] in keep}
