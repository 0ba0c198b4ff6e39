"""Shared pieces of the streaming adapters (aisstream websocket, NMEA over TCP / UDP).

* :class:`Backoff` -- exponential reconnect delays with jitter, reset after a good session.
* :func:`sleep_or_stop` -- wait a delay unless the adapter is told to stop.
* :class:`LineBuffer` -- turns TCP chunks into complete lines only. A line split across
  two reads is held until its newline arrives, so a multi-part AIS message whose
  fragments straddle a read boundary reaches the parser whole (this is the failure
  reported against pyais's socket reader, M0r13n/pyais#213, fixed upstream in #214;
  we read sockets with asyncio ourselves and keep the same guarantee here).
* :class:`StreamState` -- reports ``stream_up`` / ``stream_down`` to the health sink once
  per transition, so an outage is one recorded interval, not one event per retry.

No parsing here and no domain logic; imports only the health protocol and the clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from monitor.feeds.base import HealthSink

log = logging.getLogger(__name__)


@dataclass
class Backoff:
    """Exponential backoff with full-range jitter.

    The n-th consecutive failure waits ``min(max_s, initial_s * factor**n)`` scaled by a
    random factor in ``[1 - jitter, 1 + jitter]``; :meth:`reset` after a good session.
    """

    initial_s: float = 1.0
    max_s: float = 60.0
    factor: float = 2.0
    jitter: float = 0.2
    rng: random.Random = field(default_factory=random.Random)
    failures: int = 0

    def next_delay_s(self) -> float:
        base = min(self.max_s, self.initial_s * self.factor**self.failures)
        self.failures += 1
        if self.jitter <= 0:
            return base
        return max(0.0, base * self.rng.uniform(1.0 - self.jitter, 1.0 + self.jitter))

    def reset(self) -> None:
        self.failures = 0


async def sleep_or_stop(stop: asyncio.Event, delay_s: float) -> bool:
    """Sleep ``delay_s`` seconds; return ``True`` at once if ``stop`` is (or gets) set."""
    if stop.is_set():
        return True
    if delay_s <= 0:
        return stop.is_set()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=delay_s)
    return stop.is_set()


class LineBuffer:
    """Accumulate byte chunks and hand out complete lines (without their line ends).

    A partial last line is kept until the next chunk completes it. A partial line longer
    than ``max_line_bytes`` (a stream that never sends a newline) is dropped and counted
    in :attr:`dropped_overlong`, and reading resumes at the next newline.
    """

    def __init__(self, max_line_bytes: int = 8192) -> None:
        self.max_line_bytes = max_line_bytes
        self._partial = b""
        self._skipping = False
        self.dropped_overlong = 0

    def feed(self, chunk: bytes) -> list[bytes]:
        data = self._partial + chunk
        if self._skipping:
            nl = data.find(b"\n")
            if nl < 0:
                self._partial = b""
                return []
            data = data[nl + 1 :]
            self._skipping = False
        lines = data.split(b"\n")
        self._partial = lines.pop()
        if len(self._partial) > self.max_line_bytes:
            log.warning("dropping a %d-byte line without a newline", len(self._partial))
            self.dropped_overlong += 1
            self._partial = b""
            self._skipping = True
        out = []
        for line in lines:
            line = line.rstrip(b"\r")
            if line:
                out.append(line)
        return out

    def flush(self) -> bytes:
        """The unterminated rest (dropped by callers at end of stream); clears it."""
        rest, self._partial = self._partial, b""
        return rest

    @property
    def pending_bytes(self) -> int:
        return len(self._partial)


class StreamState:
    """Report stream transitions once each: up after down, down after up (or at start)."""

    def __init__(self, source: str, health: HealthSink, clock: Callable[[], datetime]) -> None:
        self.source = source
        self.health = health
        self.clock = clock
        self.up: bool | None = None

    def mark_up(self) -> None:
        if self.up is not True:
            self.up = True
            log.info("%s: stream up", self.source)
            self.health.stream_up(self.source, self.clock())

    def mark_down(self, reason: str) -> None:
        if self.up is not False:
            self.up = False
            log.warning("%s: stream down (%s)", self.source, reason)
            self.health.stream_down(self.source, self.clock(), reason=reason)
