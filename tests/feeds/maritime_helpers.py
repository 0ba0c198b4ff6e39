"""Helpers for the maritime feed tests: a recording health sink, an emit collector, paths."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from monitor.capture import CaptureRecord

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "maritime"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


@dataclass
class HealthLog:
    """A HealthSink that keeps every call, in order."""

    events: list[tuple[str, str, str]] = field(default_factory=list)

    def poll_ok(self, source: str, at: datetime, *, items: int, latency_s: float) -> None:
        self.events.append(("poll_ok", source, str(items)))

    def poll_failed(self, source: str, at: datetime, *, reason: str, detail: str) -> None:
        self.events.append(("poll_failed", source, reason))

    def stream_up(self, source: str, at: datetime) -> None:
        self.events.append(("up", source, ""))

    def stream_down(self, source: str, at: datetime, *, reason: str) -> None:
        self.events.append(("down", source, reason))

    def kinds(self) -> list[str]:
        return [e[0] if e[0] != "down" else f"down:{e[2]}" for e in self.events]


@dataclass
class Collector:
    """An ``emit`` callback that keeps records and can wait for a condition."""

    records: list[CaptureRecord] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def __call__(self, record: CaptureRecord) -> None:
        self.records.append(record)
        self.changed.set()

    async def wait_for(self, predicate, timeout_s: float = 5.0) -> None:  # type: ignore[no-untyped-def]
        async def loop() -> None:
            while not predicate():
                self.changed.clear()
                await self.changed.wait()

        await asyncio.wait_for(loop(), timeout_s)


async def wait_until(predicate, timeout_s: float = 5.0, step_s: float = 0.02) -> None:  # type: ignore[no-untyped-def]
    """Poll ``predicate`` until true (fails the test with TimeoutError otherwise)."""
    async def loop() -> None:
        while not predicate():
            await asyncio.sleep(step_s)

    await asyncio.wait_for(loop(), timeout_s)
