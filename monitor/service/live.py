"""The live service: APScheduler polls, streaming feeds, one pipeline consumer, the web app.

* Each polling feed is one APScheduler job (``max_instances=1``, ``coalesce``, jitter). A
  failing feed backs off exponentially, honouring ``Retry-After`` and OpenSky's
  ``X-Rate-Limit-Retry-After-Seconds`` (``RateLimited.retry_after_s``); it never stops
  the other feeds.
* Streaming feeds (aisstream, NMEA) run as tasks that push records.
* Every record goes through a bounded queue to ONE consumer that records it to the capture
  file (``--record``) and runs the pipeline in a worker thread.
* SIGINT / SIGTERM stop the feeds, drain the queue through the pipeline, close the capture
  file and the database: nothing received is lost.
* Zones follow the database: a :class:`~monitor.store.zone_signal.ZoneSignal` (``LISTEN``
  on PostgreSQL, a change token read every second on SQLite) reloads the shipped + stored
  versions when any process stores one, and the new set is swapped into the pipeline
  between two batches (one lock serialises the swap with the pipeline's work).
* Routes: with ``routeset.enabled`` (the shipped config), every ``routeset.interval_s`` the
  call signs and positions of the airborne aircraft tracked are handed to
  :class:`~monitor.feeds.routeset.RoutesetService` (cached per call sign and day, within
  its request budget, backing off on errors), which adds the routes to the route book the
  reroute detector reads. A failing lookup leaves flights without a route; it never
  stops a poll or the pipeline.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import signal
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from monitor.capture import CaptureRecord, CaptureWriter
from monitor.errors import FeedError, RateLimited, StoreError
from monitor.feeds.base import PollingAdapter, StreamingAdapter
from monitor.service.runtime import Runtime, version_keys
from monitor.store.zone_signal import ZoneSignal
from monitor.timeutil import iso_z, utcnow

log = logging.getLogger(__name__)


@dataclass
class Backoff:
    base_s: float = 5.0
    max_s: float = 900.0
    failures: int = 0

    def next_delay(self, retry_after_s: float | None = None) -> float:
        self.failures += 1
        delay = min(self.max_s, self.base_s * 2 ** (self.failures - 1))
        delay *= 0.8 + 0.4 * random.random()
        if retry_after_s is not None:
            delay = max(delay, retry_after_s)
        return delay

    def reset(self) -> None:
        self.failures = 0


@dataclass
class LiveOptions:
    record_path: Path | None = None
    #: records waiting for the pipeline at most; when full, feeds wait (a bounded buffer)
    queue_size: int = 20_000
    batch_records: int = 200
    batch_wait_s: float = 0.5
    tick_every_s: float = 5.0
    #: a failing poll waits ``base * 2**(n-1)`` s (jittered, at most ``max``), or longer
    #: when the feed says so (``Retry-After``)
    poll_backoff_base_s: float = 5.0
    poll_backoff_max_s: float = 900.0
    #: retries of a database that refuses batches back off the same way
    store_retry_base_s: float = 1.0
    store_retry_max_s: float = 30.0
    #: runs alongside (the web server, fake feeds in the demo); cancelled at shutdown
    extra_tasks: list[Callable[[asyncio.Event], Awaitable[None]]] = field(default_factory=list)
    #: follow zone versions stored by other processes (needs ``Runtime.zones``)
    follow_zones: bool = True
    #: SQLite: seconds between two looks at the stored zone versions
    zone_poll_s: float = 1.0


class LiveService:
    def __init__(
        self,
        runtime: Runtime,
        polling: Sequence[PollingAdapter],
        streaming: Sequence[StreamingAdapter],
        options: LiveOptions | None = None,
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        #: data time for ticks: the wall clock, or the demo's scenario clock (polls are
        #: reported at wall time; streams report outages in their own, data, time)
        self.clock = clock or utcnow
        self.runtime = runtime
        self.pipeline = runtime.pipeline
        self.health = runtime.health
        self.polling = list(polling)
        self.streaming = list(streaming)
        self.options = options or LiveOptions()
        self.stop_event = asyncio.Event()
        self.queue: asyncio.Queue[CaptureRecord] = asyncio.Queue(self.options.queue_size)
        self.scheduler = AsyncIOScheduler(timezone="UTC")
        self._backoff: dict[str, Backoff] = {}
        self._writer: CaptureWriter | None = None
        self._in_flight: set[asyncio.Task[None]] = set()
        #: set once no feed can emit any more: the consumer then drains the queue and ends
        self._producers_done = asyncio.Event()
        self._seq = 0
        self.records_in = 0
        self.records_processed = 0
        #: held while the pipeline works on a batch, a tick or a flush, and while zones swap
        self._pipeline_lock = asyncio.Lock()
        self._zones_changed = asyncio.Event()
        #: follows zone changes of every process (started by ``run``)
        self.zone_signal: ZoneSignal | None = None
        #: zone sets swapped into the pipeline since the start
        self.zone_swaps = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        #: the live route lookup (started by ``run`` when ``routeset.enabled``)
        self.routeset: Any = None
        #: positions per source and hour received live, stored as this run's coverage
        #: (``/api/coverage``, the history page's strip), as ``monitor backfill`` does
        self._coverage: Any = None
        if self.pipeline.store is not None and self.pipeline.coverage is None:
            from collections import Counter

            from monitor.store.repository import CoverageWriter

            self.pipeline.coverage = Counter()
            self._coverage = CoverageWriter(
                self.pipeline.store, f"live:{iso_z(utcnow())}", self.pipeline.coverage
            )

    # --- producers -------------------------------------------------------------------------

    async def emit(self, record: CaptureRecord) -> None:
        self._seq += 1
        if record.ref is None:
            record = CaptureRecord(
                record.feed,
                record.received_at,
                record.body,
                record.source,
                f"live:{record.source_name}:{self._seq}",
            )
        self.records_in += 1
        await self.queue.put(record)

    async def _poll(self, adapter: PollingAdapter) -> None:
        if self.stop_event.is_set():
            return
        task = asyncio.current_task()
        if task is not None:
            self._in_flight.add(task)
        try:
            await self._poll_once(adapter)
        finally:
            if task is not None:
                self._in_flight.discard(task)

    async def _poll_once(self, adapter: PollingAdapter) -> None:
        backoff = self._backoff.get(adapter.name)
        if backoff is None:
            backoff = self._backoff[adapter.name] = Backoff(
                self.options.poll_backoff_base_s, self.options.poll_backoff_max_s
            )
        started = time.perf_counter()
        try:
            result = await adapter.poll()
        except RateLimited as exc:
            delay = backoff.next_delay(exc.retry_after_s)
            self.health.poll_failed(adapter.name, utcnow(), reason=exc.reason, detail=exc.detail)
            log.warning("feed %s rate-limited: next poll in %.0f s", adapter.name, delay)
            self._reschedule(adapter, delay)
            return
        except FeedError as exc:
            delay = backoff.next_delay()
            self.health.poll_failed(adapter.name, utcnow(), reason=exc.reason, detail=exc.detail)
            log.warning("feed %s failed (%s): next poll in %.0f s", adapter.name, exc, delay)
            self._reschedule(adapter, delay)
            return
        except Exception as exc:  # an adapter bug must not stop the scheduler
            delay = backoff.next_delay()
            log.exception("feed %s: unexpected error; next poll in %.0f s", adapter.name, delay)
            self.health.poll_failed(adapter.name, utcnow(), reason="adapter_bug", detail=repr(exc))
            self._reschedule(adapter, delay)
            return
        latency = time.perf_counter() - started
        backoff.reset()
        items = sum(_body_items(r.body) for r in result.records)
        self.health.poll_ok(adapter.name, utcnow(), items=items, latency_s=latency)
        log.info(
            "feed %s: %d response(s), ~%d items in %.2f s",
            adapter.name,
            len(result.records),
            items,
            latency,
        )
        for rec in result.records:
            await self.emit(rec)
        if result.next_delay_s is not None:
            self._reschedule(adapter, result.next_delay_s)

    def _reschedule(self, adapter: PollingAdapter, delay_s: float) -> None:
        job = self.scheduler.get_job(adapter.name)
        if job is not None:
            job.modify(next_run_time=utcnow() + timedelta(seconds=delay_s))

    # --- consumer --------------------------------------------------------------------------

    async def _consume(self) -> None:
        opts = self.options
        last_tick = time.monotonic()
        while True:
            batch: list[CaptureRecord] = []
            try:
                first = await asyncio.wait_for(self.queue.get(), timeout=opts.tick_every_s)
                batch.append(first)
                deadline = time.monotonic() + opts.batch_wait_s
                while len(batch) < opts.batch_records:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    try:
                        batch.append(await asyncio.wait_for(self.queue.get(), timeout=remaining))
                    except TimeoutError:
                        break
            except TimeoutError:
                pass
            if batch:
                await self._process(batch)
            elif self._producers_done.is_set() and self.queue.empty():
                return
            if time.monotonic() - last_tick >= opts.tick_every_s:
                last_tick = time.monotonic()
                try:
                    async with self._pipeline_lock:
                        await asyncio.to_thread(self.pipeline.tick, self.clock())
                        if self._coverage is not None:
                            await asyncio.to_thread(self._write_coverage)
                except StoreError as exc:
                    log.error("%s", exc)
                    await self._flush_until_stored()

    def _write_coverage(self) -> None:
        """Store this run's coverage; while the database is away the counts wait (they are
        totals, written again at the next tick), the feeds go on."""
        from sqlalchemy.exc import SQLAlchemyError

        try:
            self._coverage.write()
        except SQLAlchemyError as exc:
            log.warning("coverage not stored this tick (kept for the next): %s", exc)

    async def _process(self, batch: list[CaptureRecord]) -> None:
        if self._writer is not None:
            for rec in batch:
                self._writer.write(rec)
        try:
            async with self._pipeline_lock:
                await asyncio.to_thread(self.pipeline.process, batch)
        except StoreError as exc:
            # the batch was computed and is kept by the pipeline; store it once the database
            # is back. Meanwhile the queue fills and feeds wait on it: a bounded buffer.
            log.error("%s", exc)
            await self._flush_until_stored()
        except Exception:  # a bug on this batch must not stop the consumer; it is recorded
            log.exception("pipeline failed on a batch of %d records (kept in the capture, if recording)", len(batch))
            return
        self.records_processed += len(batch)

    async def _flush_until_stored(self) -> None:
        backoff = Backoff(self.options.store_retry_base_s, self.options.store_retry_max_s)
        while True:
            delay = backoff.next_delay()
            log.warning("database unavailable: retrying in %.0f s (%d batch(es) kept)", delay, self.pipeline.unsaved)
            await asyncio.sleep(delay)
            try:
                async with self._pipeline_lock:
                    await asyncio.to_thread(self.pipeline.flush)
            except StoreError as exc:
                log.error("%s", exc)
                continue
            log.info("database back: kept batches stored")
            return

    # --- lifecycle -------------------------------------------------------------------------

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, self.stop_event.set)
        if self.options.record_path is not None:
            self._writer = CaptureWriter(self.options.record_path)
            log.info("recording every feed response to %s", self.options.record_path)
        for adapter in self.polling:
            self.health.register(adapter.name, adapter.kind)
            self.scheduler.add_job(
                self._poll,
                "interval",
                seconds=adapter.interval_s,
                args=[adapter],
                id=adapter.name,
                name=adapter.name,
                max_instances=1,
                coalesce=True,
                jitter=min(5.0, adapter.interval_s * 0.1),
                next_run_time=utcnow(),
                misfire_grace_time=max(1, int(adapter.interval_s)),
            )
        route_client = self._start_routeset()
        self.scheduler.add_job(
            self._prune,
            "interval",
            hours=1,
            id="retention",
            max_instances=1,
            coalesce=True,
            next_run_time=utcnow() + timedelta(seconds=30),
        )
        from monitor.alerts.digest import schedule_digest  # alerts.digest: the daily digest

        schedule_digest(self.scheduler, self.runtime, clock=self.clock)
        self.scheduler.start()
        tasks = [asyncio.create_task(self._consume(), name="pipeline")]
        follower = self._start_following_zones(loop)
        streams = [
            asyncio.create_task(s.run(self.emit, self.stop_event, self.health), name=s.name)
            for s in self.streaming
        ]
        for s in self.streaming:
            self.health.register(s.name, s.kind)
        extras = [asyncio.create_task(fn(self.stop_event)) for fn in self.options.extra_tasks]
        try:
            await self.stop_event.wait()
        finally:
            self.stop_event.set()
            self.scheduler.pause()
            if self._in_flight:
                # let polls under way finish, so what they fetched is recorded too
                await asyncio.wait(list(self._in_flight), timeout=15)
            log.info("stopping: draining %d queued record(s)", self.queue.qsize())
            self.scheduler.shutdown(wait=False)
            for t in streams:
                with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                    await asyncio.wait_for(t, timeout=5)
            for a in self.polling:
                with contextlib.suppress(Exception):
                    await a.aclose()
            self._producers_done.set()
            await tasks[0]
            try:  # the last batch's commit, still running on the store's writer thread
                async with self._pipeline_lock:
                    await asyncio.to_thread(self.pipeline.flush)
            except StoreError as exc:
                log.error("%s", exc)
                await self._flush_until_stored()
            for t in extras:
                t.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await t
            if follower is not None:
                follower.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await follower
            if self.zone_signal is not None:
                await asyncio.to_thread(self.zone_signal.stop)
            if route_client is not None:
                await route_client.aclose()
            if self._writer is not None:
                self._writer.close()
            if self._coverage is not None:
                self._write_coverage()
            log.info(
                "stopped: %d record(s) received, %d processed", self.records_in, self.records_processed
            )

    def stop(self) -> None:
        self.stop_event.set()

    # --- zones -----------------------------------------------------------------------------

    def sync_zones(self, timeout_s: float = 5.0) -> None:
        """Reload the zones now and wait (at most ``timeout_s``) until the pipeline works
        with them: this process has just stored a version (the web's zone writes call it,
        from a thread of their own, never from the service's event loop)."""
        zones, loop = self.runtime.zones, self._loop
        if zones is None or loop is None or not self.options.follow_zones:
            return
        zones.reload()
        done = asyncio.run_coroutine_threadsafe(self._swap_in(), loop)
        try:
            done.result(timeout_s)
        except TimeoutError:
            log.warning("zones: the pipeline took over %.0f s to take the new zones", timeout_s)

    def _start_following_zones(self, loop: asyncio.AbstractEventLoop) -> asyncio.Task[None] | None:
        zones = self.runtime.zones
        if zones is None or not self.options.follow_zones:
            return None
        self._loop = loop

        def changed(_all: object, _added: object) -> None:  # in the reloading thread
            loop.call_soon_threadsafe(self._zones_changed.set)

        # first of the listeners: the swap is under way before alerts are queued
        zones.listeners.insert(0, changed)
        self.zone_signal = ZoneSignal(
            self.runtime.store, zones.reload, poll_s=self.options.zone_poll_s
        ).start()
        return asyncio.create_task(self._follow_zones(), name="zones")

    async def _follow_zones(self) -> None:
        """Swap each reloaded zone set into the pipeline, between two batches."""
        while True:
            await self._zones_changed.wait()
            self._zones_changed.clear()
            try:
                await self._swap_in()
            except Exception:  # a bad set must not end the following; the old one stays
                log.exception("zones: swapping the reloaded zones in failed; keeping the old ones")

    async def _swap_in(self) -> None:
        """Hand the pipeline the reloaded zone set, if it differs from the one it has."""
        zones = self.runtime.zones
        assert zones is not None
        async with self._pipeline_lock:
            versions = zones.versions()
            if version_keys(versions) == version_keys(self.pipeline.geofence.index.versions):
                return
            started = time.perf_counter()
            await asyncio.to_thread(self.pipeline.replace_zones, versions)
            self.zone_swaps += 1
        log.info(
            "zones: %d version(s) now in the pipeline (swapped in %.2f s)",
            len(versions),
            time.perf_counter() - started,
        )

    # --- routes ----------------------------------------------------------------------------

    def _start_routeset(self) -> Any:
        """Start the routeset job when configured (making the route book if no CSV did);
        returns its HTTP client, closed at shutdown, or None."""
        cfg = self.runtime.settings.routeset
        if not cfg.enabled:
            return None
        import httpx

        from monitor.feeds.routes import AirportIndex, RouteBook
        from monitor.feeds.routeset import RoutesetService

        book = self.runtime.extras.get("route_book")
        if book is None:  # no CSV: the lookup's own book, read by the detectors as data
            book = self.runtime.extras["route_book"] = RouteBook(AirportIndex.load())
            self.pipeline.state.extra["routes"] = book

        client = httpx.AsyncClient(timeout=cfg.timeout_s)
        self.routeset = RoutesetService(
            client,
            book,
            base_url=cfg.base_url,
            max_requests_per_hour=cfg.max_requests_per_hour,
            timeout_s=cfg.timeout_s,
            backoff_base_s=cfg.backoff_base_s,
            backoff_max_s=cfg.backoff_max_s,
            min_batch=cfg.min_batch,
            max_wait_s=cfg.max_wait_s,
        )
        self.scheduler.add_job(
            self._refresh_routes,
            "interval",
            seconds=cfg.interval_s,
            id="routeset",
            max_instances=1,
            coalesce=True,
            next_run_time=utcnow() + timedelta(seconds=min(30.0, cfg.interval_s)),
        )
        log.info("routes: routeset lookup at %s every %.0f s", cfg.base_url, cfg.interval_s)
        return client

    def airborne_callsigns(self, max_age_s: float = 600.0) -> list[tuple[str, float, float]]:
        """``(callsign, lat, lon)`` of the airborne aircraft heard in the last ``max_age_s``
        (data time of the service's clock)."""
        cut = self.clock().timestamp() - max_age_s
        out: list[tuple[str, float, float]] = []
        for track in self.pipeline.state.tracks.tracks("aircraft"):
            o = track.last
            if track.last_t_s < cut or not o.callsign or not o.callsign.strip():
                continue
            if o.on_ground or (o.altitude_ft is not None and o.altitude_ft < 300.0):
                continue
            out.append((o.callsign, o.lat, o.lon))
        return out

    async def _refresh_routes(self) -> None:
        if self.stop_event.is_set() or self.routeset is None:
            return
        try:
            async with self._pipeline_lock:  # the tracks are the pipeline thread's
                planes = self.airborne_callsigns()
            before = self.routeset.stats.requests
            found = await self.routeset.refresh(planes, self.clock())
        except Exception:  # a bug here must not stop the scheduler; flights stay routeless
            log.exception("routes: routeset round failed")
            return
        sent = self.routeset.stats.requests - before
        if sent:
            log.info(
                "routes: %d aircraft, %d request(s), %d route(s) found, cache hit rate %.0f%%",
                len(planes), sent, len(found), 100 * self.routeset.stats.hit_rate,
            )

    async def _prune(self) -> None:
        """Drop stored positions older than ``storage.observation_retention_days``."""
        keep = timedelta(days=self.runtime.settings.storage.observation_retention_days)
        removed = await asyncio.to_thread(self.runtime.store.prune_observations, self.clock() - keep)
        if removed:
            log.info("retention: %d stored position(s) older than %s removed", removed, keep)


def _body_items(body: object) -> int:
    if isinstance(body, dict):
        for key in ("ac", "aircraft", "states", "broadcast-warn"):
            value = body.get(key)
            if isinstance(value, list):
                return len(value)
        return 1
    if isinstance(body, str):
        return body.count("\n") + 1
    if isinstance(body, list):
        return len(body)
    return 0
