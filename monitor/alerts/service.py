"""Wiring: alert rules into the pipeline, the dispatcher into the live service.

``monitor run`` and ``monitor demo`` call::

    outbox_fn, dispatcher_task = alerting_for(settings, store, base_url=base_url(settings))
    pipeline = Pipeline(..., outbox=outbox_fn)          # or: runtime.pipeline.outbox = outbox_fn
    if dispatcher_task is not None:
        options.extra_tasks.append(dispatcher_task)     # LiveOptions.extra_tasks

Both are ``None`` when no rule is configured. What this wires:

* the :class:`~monitor.alerts.rules.RulesEngine` (the outbox function), seeded from the
  outbox so a restart neither repeats nor forgets cooldowns, and journalled through the
  database engine's commit / rollback events so a rolled-back batch leaves no trace;
* a commit of new alerts wakes the dispatcher at once (low latency);
* the dispatcher task: channels, the one-dispatcher lock, and a zone watch that turns
  zone versions stored by users or feeds into ``zone_change`` alerts (versions stored
  before alerting was first switched on are history and never alerted);
* a log filter that masks channel URLs and secrets in httpx and Apprise log lines.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import event

from monitor.alerts.channels import Redactor, build_channels, install_redactor
from monitor.alerts.config import AlertSetup, load_alert_rules
from monitor.alerts.dispatcher import Dispatcher
from monitor.alerts.rules import RulesEngine
from monitor.domain import ZoneVersion
from monitor.store import Store
from monitor.store.outbox import DispatcherLock, OutboxStore
from monitor.store.repository import OutboxFn
from monitor.timeutil import utcnow

log = logging.getLogger(__name__)

DispatcherTask = Callable[[asyncio.Event], Awaitable[None]]

#: zone-version rows re-read behind the watermark (rows committed out of id order on PostgreSQL)
ZONE_LOOKBACK_ROWS = 50


class ZoneWatch:
    """Turns newly stored zone versions into zone-change alerts (idempotent)."""

    def __init__(self, outbox: OutboxStore, engine: RulesEngine) -> None:
        self.outbox = outbox
        self.engine = engine

    def __call__(self) -> int:
        state = self.outbox.zone_watermark()
        if state is None:
            top = self.outbox.max_zone_row_id()
            self.outbox.insert_zone_entries([], watermark=top, baseline=top)
            return 0
        wm, base = state
        rows = self.outbox.zone_versions_since(max(base, wm - ZONE_LOOKBACK_ROWS))
        top = max((rid for rid, _ in rows), default=wm)
        if top <= wm:
            return 0
        entries = self.engine.zone_change_entries([v for _, v in rows])
        return self.outbox.insert_zone_entries(entries, watermark=top, baseline=base)


@dataclass
class Alerting:
    """Everything alerting needs at run time (``alerting_for`` returns two of its parts)."""

    setup: AlertSetup
    engine: RulesEngine
    outbox: OutboxStore
    store: Store
    redactor: Redactor
    console_write: Callable[[str], None] | None = None
    dispatchers: list[Dispatcher] = field(default_factory=list)
    _listeners: list[tuple[str, Callable[..., None]]] = field(default_factory=list)

    def attach(self) -> None:
        """Journal rule decisions per transaction (commit keeps them, rollback forgets)."""
        self.engine.journal(True)
        engine = self.engine

        def on_commit(_conn: Any) -> None:
            engine.commit()

        def on_rollback(_conn: Any) -> None:
            engine.rollback()

        for name, fn in (("commit", on_commit), ("rollback", on_rollback)):
            event.listen(self.store.engine, name, fn)
            self._listeners.append((name, fn))

    def detach(self) -> None:
        for name, fn in self._listeners:
            event.remove(self.store.engine, name, fn)
        self._listeners.clear()
        self.engine.journal(False)

    def queue_zone_changes(self, versions: Sequence[ZoneVersion]) -> int:
        """Queue zone-change alerts for ``versions`` now (the zone watch does it anyway)."""
        return self.outbox.insert_entries(self.engine.zone_change_entries(versions))

    def dispatcher(self, client: httpx.AsyncClient, *, lock: bool = True) -> Dispatcher:
        channels = build_channels(self.setup, client, console_write=self.console_write, redact=self.redactor)
        d = Dispatcher(
            self.outbox,
            channels,
            self.setup.dispatcher,
            lock=DispatcherLock(self.store.engine) if lock else None,
            zone_watch=ZoneWatch(self.outbox, self.engine) if self.engine.rules else None,
        )
        self.dispatchers.append(d)
        return d

    def task(self) -> DispatcherTask:
        """The dispatcher as a ``LiveOptions.extra_tasks`` function."""

        async def run_alert_dispatcher(stop: asyncio.Event) -> None:
            async with httpx.AsyncClient(headers={"User-Agent": "caribe-monitor-alerts/1"}) as client:
                d = self.dispatcher(client)
                self.engine.on_commit = d.wake
                try:
                    await d.run(stop)
                finally:
                    self.engine.on_commit = None

        return run_alert_dispatcher


def build_alerting(
    settings: Any,
    store: Store,
    *,
    base_url: str | None,
    known_zone_ids: Collection[str] | None = None,
    console_write: Callable[[str], None] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Alerting | None:
    """Load the rules, seed the engine from the outbox, journal it. ``None``: no rules.

    Raises
    ------
    monitor.errors.ConfigError
        A rule or channel is wrong (named in the message).
    """
    section = getattr(settings, "alerts", None) or {}
    if not section:
        return None
    if known_zone_ids is None:
        known_zone_ids = _known_zone_ids(settings, store)
    setup = load_alert_rules(
        section,
        source=getattr(settings, "source_file", None) or "config",
        known_zone_ids=known_zone_ids,
        environ=environ,
    )
    if not setup.enabled or not setup.rules:
        log.info("alerts: no rule enabled")
        return None
    engine = RulesEngine(setup.rules, base_url=setup.base_url or base_url)
    outbox = OutboxStore.of(store)
    since = utcnow() - timedelta(seconds=engine.max_cooldown_s + 3600.0)
    rows, open_ids = outbox.seed_rows(since=since)
    used = engine.seed(rows, open_incident_ids=open_ids)
    redactor = Redactor(setup.secrets())
    install_redactor(redactor)
    alerting = Alerting(setup, engine, outbox, store, redactor, console_write=console_write)
    alerting.attach()
    log.info(
        "alerts: %d rule(s) (%s) to %d channel(s) (%s)%s",
        len(setup.rules),
        ", ".join(r.name for r in setup.rules),
        len(setup.channels),
        ", ".join(setup.channels),
        f"; state restored from {used} earlier alert(s)" if used else "",
    )
    return alerting


def alerting_for(
    settings: Any,
    store: Store,
    *,
    base_url: str | None,
    known_zone_ids: Collection[str] | None = None,
    console_write: Callable[[str], None] | None = None,
) -> tuple[OutboxFn | None, DispatcherTask | None]:
    """``(outbox function for Pipeline(outbox=...), dispatcher task for LiveOptions.extra_tasks)``.

    Both ``None`` without rules; the task is ``None`` when ``alerts.dispatcher.enabled`` is
    false (another process dispatches). Raises ``ConfigError`` naming a bad rule.
    """
    alerting = build_alerting(
        settings, store, base_url=base_url, known_zone_ids=known_zone_ids, console_write=console_write
    )
    if alerting is None:
        return None, None
    task = alerting.task() if alerting.setup.dispatcher.enabled else None
    return alerting.engine, task


def _known_zone_ids(settings: Any, store: Store) -> set[str]:
    """Bundled zone ids (``geodata/``) plus every zone stored in the database."""
    from pathlib import Path

    from monitor.zones.bundled import load_bundled_zones

    geodata = getattr(settings, "geodata_dir", None)
    ids = {v.zone_id for v in load_bundled_zones(Path(geodata) if geodata else None)}
    ids.update(v.zone_id for v in store.list_versions())
    return ids
