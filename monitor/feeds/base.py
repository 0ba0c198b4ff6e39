"""Contracts for feed parsers and feed adapters.

Parsers are pure: a body (a JSON value or NMEA text, as stored in a capture record) in,
a :class:`~monitor.domain.ParseResult` out. An item that cannot be used is skipped and
counted by reason (``ParseResult.reject``); a body that cannot be used at all raises
:class:`~monitor.errors.ParseError` with a reason.

Adapters do the I/O, with an injected ``httpx.AsyncClient`` (tests pass one built on
``httpx.MockTransport`` or point it at a local server). A polling adapter returns the raw
responses of one poll as capture records; a streaming adapter pushes records to a
callback until told to stop. Neither parses: the pipeline does, so a recorded capture
replays exactly like the live feed.
"""

from __future__ import annotations

import asyncio
import math
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import orjson

from monitor.capture import CaptureRecord
from monitor.domain import ParseResult
from monitor.errors import ParseError


class ParseFn(Protocol):
    def __call__(
        self, body: Any, *, received_at: datetime, source: str, record_ref: str | None
    ) -> ParseResult: ...


Emit = Callable[[CaptureRecord], Awaitable[None]]


class HealthSink(Protocol):
    """Where adapters report polls, failures and stream outages (the pipeline's feed health)."""

    def poll_ok(self, source: str, at: datetime, *, items: int, latency_s: float) -> None: ...

    def poll_failed(self, source: str, at: datetime, *, reason: str, detail: str) -> None: ...

    def stream_up(self, source: str, at: datetime) -> None: ...

    def stream_down(self, source: str, at: datetime, *, reason: str) -> None: ...


@dataclass
class PollResult:
    records: list[CaptureRecord]
    #: seconds the adapter asks to wait before the next poll (rate limits, credits), if any
    next_delay_s: float | None = None


class PollingAdapter(ABC):
    """A feed polled on a schedule (OpenSky, ADS-B v2 APIs, NGA MSI, AISHub)."""

    #: feed instance name: ``opensky``, ``adsb_lol``, ``nga_msi`` ...
    name: str
    #: capture kind of the bodies it returns
    kind: str
    #: base poll interval in seconds
    interval_s: float

    @abstractmethod
    async def poll(self) -> PollResult:
        """One poll: the raw responses as capture records.

        Raises
        ------
        monitor.errors.RateLimited
            When the feed says to wait (``Retry-After``, OpenSky's
            ``X-Rate-Limit-Retry-After-Seconds``).
        monitor.errors.FeedError
            Any other failure (network, status, HTML instead of JSON).
        """

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Release connections (default: nothing to do)."""


class StreamingAdapter(ABC):
    """A feed that pushes data (aisstream websocket, NMEA over TCP/UDP)."""

    name: str
    kind: str

    @abstractmethod
    async def run(self, emit: Emit, stop: asyncio.Event, health: HealthSink) -> None:
        """Connect, read, reconnect with backoff, until ``stop`` is set."""


def decode_json_body(feed: str, content: bytes, content_type: str | None = None) -> Any:
    """Bytes of an HTTP body to a JSON value, with a clear reason when it is not JSON.

    A ``200 OK`` carrying an HTML error page is reported as ``html_body``.
    """
    head = content[:256].lstrip().lower()
    if head.startswith((b"<!doctype", b"<html", b"<?xml", b"<head", b"<body")) or (
        content_type is not None and "html" in content_type.lower()
    ):
        raise ParseError(feed, "html_body", content[:80].decode("utf-8", "replace"))
    if not content.strip():
        raise ParseError(feed, "empty_body")
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError as exc:
        raise ParseError(feed, "bad_json", str(exc)[:120]) from None


# --- shared validation, used by every parser --------------------------------------------

#: fixes later than ``received_at`` + this are rejected as ``future_time``
MAX_FUTURE_S = 300.0


def valid_lat_lon(lat: Any, lon: Any) -> bool:
    """True for finite numbers in range; bools are not numbers here."""
    return (
        type(lat) in (float, int)
        and type(lon) in (float, int)
        and -90.0 <= lat <= 90.0
        and -180.0 <= lon <= 180.0
        and not (math.isnan(lat) or math.isnan(lon))
    )


def num_or_none(value: Any) -> float | None:
    """A finite int/float as float, else ``None`` (strings, bools, NaN, inf)."""
    if type(value) is float:
        return value if math.isfinite(value) else None
    if type(value) is int:
        return float(value)
    return None


def non_negative_or_none(value: Any) -> float | None:
    v = num_or_none(value)
    return v if v is not None and v >= 0.0 else None
