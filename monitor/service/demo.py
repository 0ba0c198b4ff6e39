"""``monitor demo``: the whole service on the bundled synthetic scenario, offline.

Local fake feed servers (``monitor.sim.servers``) play the scenario over real HTTP,
websocket and TCP on 127.0.0.1 at ``speed`` scenario seconds per wall second; the real
feed adapters poll and stream from them; incidents go to a fresh SQLite file; alerts go to
the console and the log; the map and API are served at http://127.0.0.1:PORT. Data time is
the scenario's clock (December 2025), so zones are evaluated as they were then.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

import httpx
import yaml
from rich.console import Console

from monitor.config import REPO_ROOT, Settings, WebConfig
from monitor.errors import MonitorError
from monitor.service.live import LiveOptions, LiveService
from monitor.service.main import attach_alerting, web_task
from monitor.service.runtime import build_runtime

log = logging.getLogger(__name__)

BANNER = "SYNTHETIC DEMO SCENARIO: made-up aircraft and vessels, not real events"


def _reset_sqlite(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm", "-journal"):
        p = Path(str(path) + suffix)
        if p.exists():
            p.unlink()


EXAMPLE_ALERTS = REPO_ROOT / "config" / "alerts.example.yaml"

#: poll intervals (wall seconds) of the polled fake feeds at a slow demo; faster demos poll
#: more often (see :func:`demo_poll_interval_s`)
ADSB_POLL_S = 2.0
OPENSKY_POLL_S = 5.0
NGA_POLL_S = 30.0
#: polls per feed-health stale threshold: a feed whose polls are further apart than a
#: quarter of the threshold (in data time) never establishes a rhythm and, once it has five
#: records, looks "silent" between every two polls
POLLS_PER_STALE_THRESHOLD = 4.0


def demo_poll_interval_s(wall_s: float, speed: float, *, stale_after_s: float) -> float:
    """The wall-clock poll interval of a polled fake feed at demo ``speed``.

    The demo clock runs ``speed`` data seconds per wall second, so a poll every ``wall_s``
    wall seconds is ``wall_s * speed`` seconds apart in data time, which is what feed health
    judges. NGA MSI every 30 s at 40x is 20 min of data time, more than the 15 min stale
    threshold: it raised a "feed stale" incident between every two polls. The interval is
    cut so that polls are at most a quarter of the threshold apart in data time (never
    below 0.5 s of wall time).
    """
    longest = stale_after_s / (POLLS_PER_STALE_THRESHOLD * speed)
    return max(0.5, min(wall_s, longest))


def demo_alerts(webhook_url: str) -> dict:  # type: ignore[type-arg]
    """The example alert rules, their webhook pointed at the demo's local receiver."""
    doc = yaml.safe_load(EXAMPLE_ALERTS.read_text(encoding="utf-8"))["alerts"]
    doc["channels"]["ops_hook"]["url"] = webhook_url
    return doc


def demo_settings(database: Path, port: int, webhook_url: str | None = None) -> Settings:
    from monitor.sim.shipped import shipped_paths

    return Settings(
        alerts=demo_alerts(webhook_url) if webhook_url else {},
        database_url=f"sqlite:///{database}",
        web=WebConfig(host="127.0.0.1", port=port),
        storage={"observation_sample_s": 30.0},  # type: ignore[arg-type]
        # the routes the scenario's airlines "published", for reroute analysis
        routes_csv=[str(shipped_paths()["demo_routes"])],
    )


def run_demo(
    *,
    speed: float,
    port: int,
    database: Path,
    duration_s: float | None,
    console: Console,
) -> None:
    from monitor.feeds.adsbx import AdsbV2Adapter, ProviderProfile
    from monitor.feeds.aisstream import AisstreamAdapter
    from monitor.feeds.nga_msi import NgaMsiAdapter
    from monitor.feeds.nmea import NmeaTcpAdapter
    from monitor.feeds.opensky import OpenSkyStatesAdapter
    from monitor.sim.clock import SimClock
    from monitor.sim.model import (
        SOURCE_ADSB,
        SOURCE_AISSTREAM,
        SOURCE_NGA,
        SOURCE_NMEA,
        SOURCE_OPENSKY,
    )
    from monitor.sim.scenario import build_demo
    from monitor.sim.servers import FakeFeeds

    if speed <= 0:
        raise MonitorError(f"--speed must be positive, got {speed}")
    from monitor.alerts.receiver import WebhookReceiver

    _reset_sqlite(database)
    receiver = WebhookReceiver(port=0).start()
    settings = demo_settings(database, port, receiver.url)
    scenario = build_demo()
    runtime = build_runtime(settings)
    base_url = f"http://127.0.0.1:{port}"
    clock = SimClock(scenario.start_s, scenario.end_s, speed=speed)
    region = settings.region.bbox
    min_lon, min_lat, max_lon, max_lat = region

    async def main() -> None:
        fake = FakeFeeds(scenario, clock=clock)
        try:
            await fake.start()
        except OSError as exc:
            raise MonitorError(f"cannot start the fake feed servers on 127.0.0.1: {exc}") from None
        urls = fake.urls
        try:
            async with httpx.AsyncClient(timeout=10.0) as client:
                # the fake v2 API has no rate limit: a whole pass over the region's tiles
                # takes a second instead of half a minute
                profile = ProviderProfile(
                    SOURCE_ADSB, urls[SOURCE_ADSB], "/v2/point/{lat}/{lon}/{radius}", 250.0, 0.02
                )
                stale_s = runtime.health.stale_after_s

                def every(wall_s: float) -> float:
                    return demo_poll_interval_s(wall_s, speed, stale_after_s=stale_s)

                adsb = AdsbV2Adapter(
                    client, profile, region, name=SOURCE_ADSB, interval_s=every(ADSB_POLL_S),
                    clock=clock.now,
                )
                opensky = OpenSkyStatesAdapter(
                    client, region, name=SOURCE_OPENSKY, base_url=urls[SOURCE_OPENSKY], clock=clock.now
                )
                # the credit budget is the real service's, not the fake's
                opensky.interval_s = every(OPENSKY_POLL_S)
                nga = NgaMsiAdapter(
                    client, base_url=urls[SOURCE_NGA], name=SOURCE_NGA,
                    interval_s=every(NGA_POLL_S), clock=clock.now,
                )
                ais_ws = AisstreamAdapter(
                    "demo-key",
                    (((min_lat, min_lon), (max_lat, max_lon)),),
                    url=urls[SOURCE_AISSTREAM],
                    name=SOURCE_AISSTREAM,
                    clock=clock.now,
                )
                tcp_host, tcp_port = urls[SOURCE_NMEA].removeprefix("tcp://").rsplit(":", 1)
                nmea = NmeaTcpAdapter(tcp_host, int(tcp_port), name=SOURCE_NMEA, clock=clock.now)

                async def status(stop: asyncio.Event) -> None:
                    finished = False
                    while not stop.is_set():
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(stop.wait(), timeout=15)
                        n_open = len(runtime.pipeline.open)
                        console.print(
                            f"[dim]scenario {clock.now():%Y-%m-%d %H:%M}Z | "
                            f"{n_open} open incident(s) | map {base_url}[/]"
                        )
                        if not finished and clock.now_s() >= scenario.end_s:
                            finished = True
                            console.print(
                                "[bold]scenario finished[/]: the map and API stay up until Ctrl-C"
                            )

                async def stop_after(stop: asyncio.Event) -> None:
                    if duration_s is None:
                        return
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), timeout=duration_s)
                    service.stop()

                options = LiveOptions(
                    batch_wait_s=0.25, tick_every_s=2.0, extra_tasks=[status, stop_after]
                )
                attach_alerting(runtime, settings, options)
                service = LiveService(
                    runtime, [adsb, opensky, nga], [ais_ws, nmea], options, clock=clock.now
                )
                options.extra_tasks.append(
                    web_task(
                        runtime,
                        settings,
                        queue_depth=service.queue.qsize,
                        banner=BANNER,
                        scenario_end=scenario.end,
                    )
                )
                console.print(f"[bold yellow]{BANNER}[/]")
                console.print(
                    f"fake feeds on 127.0.0.1 (http {fake.ports['http']}, websocket "
                    f"{fake.ports['ws']}, tcp {fake.ports['tcp']}); scenario "
                    f"{scenario.start:%Y-%m-%d %H:%M}Z to {scenario.end:%H:%M}Z at {speed:g}x"
                )
                console.print(f"live map and API: [bold]{base_url}[/]   (Ctrl-C stops)")
                console.print(
                    f"incidents also: monitor --database-url sqlite:///{database} incidents"
                )
                console.print(
                    f"alerts: console, and a local webhook receiver at {receiver.url} "
                    f"(rules: {EXAMPLE_ALERTS.relative_to(REPO_ROOT)})"
                )
                await service.run()
        finally:
            await fake.stop()

    try:
        asyncio.run(main())
    finally:
        runtime.close()
        receiver.stop()
    console.print(
        f"stopped; incidents are kept in {database}; the webhook receiver got "
        f"{len(receiver.received)} alert(s)"
    )
