"""``monitor run``: the live service from settings; :func:`history_app`, the app of each
``monitor serve`` worker."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from sqlalchemy.exc import SQLAlchemyError

from monitor.alerts.console import ConsoleAlerts
from monitor.config import Settings
from monitor.domain import ZoneVersion
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
    rules are active.

    When this process dispatches and watches zones, a zone version that any process
    stores is queued as a ``zone_change`` alert as soon as this process reloads its zones
    (the zone signal: at once on PostgreSQL, within a second on SQLite), rather than at
    the dispatcher's next zone scan (``zone_watch_every_s``); the keys make the scan's
    own entries for the same versions no-ops."""
    from monitor.alerts.service import build_alerting

    alerting = build_alerting(
        settings,
        runtime.store,
        base_url=base_url(settings),
        known_zone_ids={v.zone_id for v in runtime.pipeline.geofence.index.versions},
    )
    outbox_fn = alerting.engine if alerting is not None else None
    runtime.pipeline.outbox = outbox_fn
    if alerting is not None and alerting.setup.dispatcher.enabled:
        options.extra_tasks.append(alerting.task())
        if alerting.setup.dispatcher.watch_zones and runtime.zones is not None:
            runtime.zones.listeners.append(_queue_zone_alerts(alerting))
    if outbox_fn is None:
        runtime.pipeline.listeners.append(ConsoleAlerts(base_url=base_url(settings)))
    return outbox_fn is not None


def _queue_zone_alerts(alerting: Any) -> Callable[[list[ZoneVersion], list[ZoneVersion]], None]:
    def queue(_all: list[ZoneVersion], added: list[ZoneVersion]) -> None:
        stored = [v for v in added if v.recorded_at is not None]  # shipped ones are history
        if not stored:
            return
        try:
            n = alerting.queue_zone_changes(stored)
        except SQLAlchemyError as exc:  # the dispatcher's zone scan queues them later
            log.warning("zone-change alerts not queued now (%s); the zone scan will", exc)
            return
        if n:
            log.info("alerts: %d zone-change alert(s) queued", n)

    return queue


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
                    web_task(
                        runtime,
                        settings,
                        queue_depth=service.queue.qsize,
                        zones_stored=service.sync_zones,
                    )
                )
                console.print(f"map and API at [bold]{base_url(settings)}[/]  (Ctrl-C stops)")
            await service.run()

    try:
        asyncio.run(main())
    finally:
        runtime.close()


def history_app() -> Any:
    """App factory of the ``monitor serve`` workers (``monitor.service.main:history_app``).

    Reads the settings as the CLI does (``MONITOR_CONFIG``, ``DATABASE_URL`` …) and serves
    the store: incidents, exports, traffic series, and the zones: the shipped ones merged
    with the stored ones, followed as other processes store new versions (the zone
    signal). The schema must exist already (``monitor db upgrade``); workers never migrate.
    """
    from monitor.config import load_settings
    from monitor.logsetup import setup_logging
    from monitor.web.app import create_app

    settings = load_settings()
    setup_logging(settings.log_level, settings.log_format)
    services, _signal = history_services(settings)
    StoreLiveFeed(services.store, services.live).start()
    return create_app(services)


def history_services(settings: Settings, *, zone_poll_s: float = 1.0) -> tuple[Any, Any]:
    """``(WebServices, ZoneSignal)`` of a history server over the database of ``settings``:
    no live feed; the shipped zones merged with the stored ones, reloaded when any process
    stores a version (the signal is started; stop it to stop following)."""
    from monitor.metrics import make_store_registry
    from monitor.pipeline import FeedHealthBook, LiveView
    from monitor.service.runtime import ZoneSet, load_shipped_zones
    from monitor.store import Store
    from monitor.store.zone_signal import ZoneSignal
    from monitor.web.services import WebServices

    store = Store.open(settings.database_url, migrate_schema=False)
    zones = ZoneSet(load_shipped_zones(settings), store)
    signal = ZoneSignal(store, zones.reload, poll_s=zone_poll_s).start()
    services = WebServices(
        store=store,
        live=LiveView(),
        health=FeedHealthBook(),
        zones=zones.versions,
        config=settings.web,
        zones_stored=zones.reload,
        metrics=make_store_registry(store, zones=zones.versions),
    )
    return services, signal


class StoreLiveFeed:
    """The live layers of a process without feeds (``monitor serve``): the latest stored
    position of every subject heard within ``max_age_s`` of the newest stored one (data
    time, as the live view of ``monitor run`` keeps them), published into ``live`` every
    ``every_s`` seconds when the database has new positions.

    Stored positions are downsampled (``storage.observation_sample_s``), so this view lags
    the ``monitor run`` process by up to that much; the fields the store does not keep
    (squawk, vertical rate, vessel name ...) are empty.
    """

    def __init__(self, store: Any, live: Any, *, every_s: float = 5.0, max_age_s: float = 1800.0) -> None:
        self.store = store
        self.live = live
        self.every_s = every_s
        self.max_age_s = max_age_s
        self._last_id: int | None = None
        self._version = 0
        self._stop = threading.Event()

    def start(self) -> StoreLiveFeed:
        threading.Thread(target=self._run, name="store-live-feed", daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.refresh()
            except SQLAlchemyError as exc:  # the database is away: keep the last view
                log.warning("live from store: positions not read (%s)", exc)
            self._stop.wait(self.every_s)

    def refresh(self) -> bool:
        """Publish the latest stored positions if any were stored since the last call;
        returns whether a new snapshot was published."""
        from sqlalchemy import func, select

        from monitor.domain import Observation, SubjectKind
        from monitor.pipeline.live import LiveSnapshot
        from monitor.store.models import ObservationRow

        obs = ObservationRow.__table__  # type: ignore[attr-defined]
        with self.store.engine.connect() as conn:
            last_id, newest = conn.execute(select(func.max(obs.c.id), func.max(obs.c.observed_at))).one()
            if last_id == self._last_id:
                return False
            rows = []
            if newest is not None:
                cut = newest - timedelta(seconds=self.max_age_s)
                latest = (
                    select(obs.c.subject_id, func.max(obs.c.observed_at).label("t"))
                    .where(obs.c.observed_at >= cut)
                    .group_by(obs.c.subject_id)
                    .subquery()
                )
                stmt = select(obs).join(
                    latest,
                    (obs.c.subject_id == latest.c.subject_id) & (obs.c.observed_at == latest.c.t),
                )
                rows = conn.execute(stmt).all()
        aircraft: dict[str, Observation] = {}
        vessels: dict[str, Observation] = {}
        for r in rows:
            kind = SubjectKind(r.subject_kind)
            o = Observation(
                source=r.source, feed_kind="stored", subject_kind=kind, subject_id=r.subject_id,
                time=r.observed_at, lat=r.lat, lon=r.lon, callsign=r.callsign,
                altitude_ft=r.altitude_ft, ground_speed_kt=r.ground_speed_kt, track_deg=r.track_deg,
                record_ref=r.record_ref,
            )
            (vessels if kind == SubjectKind.VESSEL else aircraft)[r.subject_id] = o
        self._last_id = last_id
        self._version += 1
        self.live.snapshot = LiveSnapshot(newest, tuple(aircraft.values()), tuple(vessels.values()), self._version)
        return True
