"""``monitor run``: the live service from settings."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from rich.console import Console

from monitor.alerts.console import ConsoleAlerts
from monitor.config import Settings
from monitor.service.feeds import build_feeds, make_http_client
from monitor.service.live import LiveOptions, LiveService
from monitor.service.runtime import Runtime, build_runtime

log = logging.getLogger(__name__)


def web_task(
    runtime: Runtime,
    settings: Settings,
    *,
    queue_depth: Callable[[], int] | None = None,
    **extra: Any,
) -> Callable[[asyncio.Event], Awaitable[None]]:
    """The web app (map, API, /metrics) as a task of the live service."""
    from monitor.metrics import MonitorCollector, make_registry
    from monitor.store.outbox import OutboxStore
    from monitor.web.app import create_app
    from monitor.web.server import serve
    from monitor.web.services import WebServices

    pipeline = runtime.pipeline
    alert_counts = OutboxStore(runtime.store.engine).counts if pipeline.outbox is not None else None
    registry = make_registry(
        MonitorCollector(pipeline, alert_counts=alert_counts, queue_depth=queue_depth)
    )
    services = WebServices(
        store=runtime.store,
        live=pipeline.live,
        health=runtime.health,
        zones=lambda: list(pipeline.geofence.index.versions),
        config=settings.web,
        clock=lambda: pipeline.now,
        metrics=registry,
        **extra,
    )
    app = create_app(services)

    async def run_web(stop: asyncio.Event) -> None:
        await serve(app, settings.web.host, settings.web.port, stop)

    return run_web


def base_url(settings: Settings) -> str:
    return settings.web.public_url or f"http://{settings.web.host}:{settings.web.port}"


def attach_alerting(runtime: Runtime, settings: Settings, options: LiveOptions) -> bool:
    """Alert rules from ``settings.alerts``: the outbox function goes to the pipeline (rows
    written in the incident's transaction), the dispatcher runs as a task of the service.
    Without rules every incident change is printed to the console instead. Returns whether
    rules are active."""
    from monitor.alerts.service import alerting_for

    outbox_fn, dispatcher = alerting_for(
        settings,
        runtime.store,
        base_url=base_url(settings),
        known_zone_ids={v.zone_id for v in runtime.pipeline.geofence.index.versions},
    )
    runtime.pipeline.outbox = outbox_fn
    if dispatcher is not None:
        options.extra_tasks.append(dispatcher)
    if outbox_fn is None:
        runtime.pipeline.listeners.append(ConsoleAlerts(base_url=base_url(settings)))
    return outbox_fn is not None


def run_live(settings: Settings, *, web: bool = True, console: Console | None = None) -> None:
    console = console or Console()
    runtime = build_runtime(settings)
    options = LiveOptions(record_path=Path(settings.record_path) if settings.record_path else None)
    try:
        if attach_alerting(runtime, settings, options):
            console.print("alert rules active (monitor alerts list shows deliveries)")
    except Exception:
        runtime.close()
        raise

    async def main() -> None:
        async with make_http_client() as client:
            feeds = build_feeds(settings, client)
            for a in feeds.polling:
                console.print(f"[green]feed {a.name}[/] ({a.kind}) polls every {a.interval_s:.0f} s")
            for s in feeds.streaming:
                console.print(f"[green]feed {s.name}[/] ({s.kind}) streams")
            for cfg, missing in feeds.waiting:
                console.print(f"[yellow]feed {cfg.name}[/] waits for a key: set {' and '.join(missing)}")
            if not feeds.polling and not feeds.streaming:
                console.print("[red]no feed can run with this configuration[/]")
            service = LiveService(runtime, feeds.polling, feeds.streaming, options)
            if web:
                options.extra_tasks.append(
                    web_task(runtime, settings, queue_depth=service.queue.qsize)
                )
                console.print(f"map and API at [bold]{base_url(settings)}[/]  (Ctrl-C stops)")
            await service.run()

    try:
        asyncio.run(main())
    finally:
        runtime.close()
