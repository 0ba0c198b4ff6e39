"""Per-app state shared by the routers: the services, the live indexes and caches."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from fastapi import Request

from monitor.timeutil import utcnow
from monitor.web.live_index import LiveIndex, aircraft_feature, vessel_feature
from monitor.web.services import WebServices
from monitor.web.zone_view import ZoneGeometryCache


@dataclass
class WebContext:
    services: WebServices
    aircraft: LiveIndex = field(default_factory=lambda: LiveIndex("aircraft", aircraft_feature))
    vessels: LiveIndex = field(default_factory=lambda: LiveIndex("vessels", vessel_feature))
    zone_geometry: ZoneGeometryCache = field(default_factory=ZoneGeometryCache)
    page_cache: dict[str, str] = field(default_factory=dict)
    #: one zone write at a time in this process (numbers are per zone; the store refuses
    #: a number another process took meanwhile)
    zone_write_lock: threading.Lock = field(default_factory=threading.Lock)

    def clock(self) -> datetime | None:
        return self.services.clock()

    def clock_or_now(self) -> datetime:
        return self.services.clock() or utcnow()

    def zone_ids(self) -> set[str]:
        return {v.zone_id for v in self.services.zones()}

    def geodata_dir(self) -> Path | None:
        if self.services.geodata_dir is not None:
            return self.services.geodata_dir
        try:
            from monitor.zones.bundled import geodata_dir

            return geodata_dir()
        except ImportError:
            return None


async def refresh_live(ctx: WebContext, every_s: float = 0.25) -> None:
    """Index each new live snapshot in a worker thread as soon as it is published, so
    polls find it ready (runs for the app's lifetime)."""
    while True:
        snap = ctx.services.live.snapshot
        for index, objects in ((ctx.aircraft, snap.aircraft), (ctx.vessels, snap.vessels)):
            cur = index.current
            if cur is None or cur.version != snap.version:
                await asyncio.to_thread(index.update, snap.version, snap.at, objects)
        await asyncio.sleep(every_s)


def get_ctx(request: Request) -> WebContext:
    ctx: WebContext = request.app.state.ctx
    return ctx
