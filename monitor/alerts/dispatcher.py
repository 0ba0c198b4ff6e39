"""The dispatcher: sends what the outbox holds, with retries, and records every attempt.

Delivery contract (at-least-once, with an idempotency key)
----------------------------------------------------------
* An alert exists once its incident change is committed (same transaction), so a crash
  can lose none: what is not ``delivered`` is sent after the restart.
* A row is claimed (``sending``, with a lease), sent, and settled in its own short
  transaction as soon as the channel answered: ``delivered``; or ``pending`` again with an
  exponential backoff with jitter; or ``dead`` after ``max_attempts`` (or at once on a
  permanent refusal such as HTTP 400/410). Every try is an ``alert_attempt`` row.
* A crash between the channel's "yes" and that commit is the one window where an alert
  can be sent twice: at restart the row is still ``sending`` and is sent again. The
  window is kept to one small commit right after the answer, and the webhook payload
  carries ``idempotency_key`` (also the ``Idempotency-Key`` header) so a receiver drops
  the repeat. Channels that cannot dedupe (e-mail, chat) may, after such a crash, show
  one alert twice; none is lost.
* Only one dispatcher runs at a time (``DispatcherLock``). Whoever holds the lock hands
  every ``sending`` row back at start (its previous owner is dead), so a restart
  re-sends in-flight alerts at once instead of waiting for their lease.

The loop wakes when this process commits new alerts (``wake``), polls every ``poll_s``
otherwise (alerts written by other processes), and keeps up to ``concurrency`` sends in
flight.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from monitor.alerts.channels import Channel, SendResult
from monitor.alerts.config import DispatcherConfig
from monitor.store.outbox import ClaimedAlert, DispatcherLock, OutboxStore, Outcome
from monitor.timeutil import utcnow

log = logging.getLogger(__name__)

#: a Retry-After longer than this is capped
MAX_RETRY_AFTER_S = 24 * 3600.0
#: while waiting for the lock, try again this often
LOCK_RETRY_S = 5.0


def backoff_s(attempt: int, *, base_s: float, max_s: float, rand: Callable[[], float] = random.random) -> float:
    """Delay before the next try after ``attempt`` failed tries: exponential, capped, jittered.

    ``base_s * 2 ** (attempt - 1)``, capped at ``max_s``, times a factor in [0.5, 1.0)
    so that many alerts failing together do not retry in lockstep.
    """
    raw = min(max_s, base_s * 2 ** max(0, attempt - 1))
    return raw * (0.5 + 0.5 * rand())


@dataclass
class DispatchStats:
    claimed: int = 0
    delivered: int = 0
    failed: int = 0
    dead: int = 0
    reclaimed: int = 0
    zone_alerts: int = 0
    by_channel: dict[str, int] = field(default_factory=dict)


class Dispatcher:
    """Delivers due outbox rows through their channels.

    Parameters
    ----------
    outbox:
        The outbox operations (``monitor.store.outbox.OutboxStore``).
    channels:
        Channel objects by name (``monitor.alerts.channels.build_channels``).
    config:
        Attempts, backoff, lease, concurrency, polling.
    lock:
        The one-dispatcher lock; ``None`` runs without one (tests, a single process).
    zone_watch:
        Called every ``zone_watch_every_s`` (in a worker thread) to turn newly stored
        zone versions into alerts; returns how many it queued.
    clock:
        Wall clock (UTC); injectable for tests.
    """

    def __init__(
        self,
        outbox: OutboxStore,
        channels: Mapping[str, Channel],
        config: DispatcherConfig | None = None,
        *,
        lock: DispatcherLock | None = None,
        zone_watch: Callable[[], int] | None = None,
        clock: Callable[[], datetime] = utcnow,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.outbox = outbox
        self.channels = dict(channels)
        self.config = config or DispatcherConfig()
        self.lock = lock
        self.zone_watch = zone_watch
        self.clock = clock
        self.rand = rand
        self.stats = DispatchStats()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._eager_until = 0.0
        self._inflight: set[asyncio.Task[None]] = set()
        self._next_zone_scan = 0.0
        self._inflight_ids: set[int] = set()
        self._claim_min = max(1, self.config.concurrency // 2)
        #: channels that send one at a time (Apprise) get one sending slot, not all of them
        self._channel_limits = {
            name: int(limit)
            for name, c in self.channels.items()
            if (limit := getattr(c, "max_in_flight", None)) is not None
        }
        self._per_channel: dict[str, int] = {}
        self._to_record: list[tuple[Outcome, asyncio.Future[bool]]] = []
        self._recording = False
        # a claim must outlast any send: a lease shorter than a channel's timeout would let
        # the row be claimed again while the first send may still succeed
        slowest = max((float(getattr(c, "timeout_s", 0.0)) for c in self.channels.values()), default=0.0)
        self.lease_s = max(self.config.lease_s, 3.0 * slowest + 5.0)

    # --- waking ------------------------------------------------------------------------------

    def wake(self) -> None:
        """New alerts were committed (callable from any thread)."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            loop.call_soon_threadsafe(self._on_wake)
        except RuntimeError:  # the loop is shutting down
            return

    def _on_wake(self) -> None:
        # the commit event fires just before the commit lands: poll briskly for a moment
        self._eager_until = time.monotonic() + 0.3
        if self._wake is not None:
            self._wake.set()

    # --- the loop ----------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until ``stop`` is set; then let in-flight sends settle and release the lock."""
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        try:
            while not stop.is_set():
                if not await self._hold_lock():
                    await _wait_any(stop, None, LOCK_RETRY_S)
                    continue
                await self._maybe_watch_zones()
                self._wake.clear()
                # claim in batches: only when at least half the sends are free (fewer, larger
                # claims), or when nothing is in flight
                started = 0
                room = self.config.concurrency - len(self._inflight)
                if room >= self._claim_min or not self._inflight:
                    started = await self._claim_and_start()
                if self._inflight and (started or len(self._inflight) > self.config.concurrency - self._claim_min):
                    await asyncio.wait(
                        set(self._inflight), return_when=asyncio.FIRST_COMPLETED, timeout=self.config.poll_s
                    )
                    continue
                if started:
                    continue
                eager = time.monotonic() < self._eager_until
                timeout = 0.01 if eager else self.config.poll_s
                await _wait_any(stop, self._wake, timeout)
        finally:
            await self._settle_inflight(timeout_s=10.0)
            if self.lock is not None and self.lock.held:
                await asyncio.to_thread(self.lock.release)
            self._loop = None

    async def _hold_lock(self) -> bool:
        if self.lock is None:
            return True
        was_held = self.lock.held
        try:
            held = await asyncio.to_thread(self.lock.try_acquire)
        except Exception as exc:  # the database is away: try later
            log.warning("alert dispatcher: cannot take its lock (%s); retrying", type(exc).__name__)
            return False
        if held and not was_held:
            try:
                n = await asyncio.to_thread(self.outbox.release_inflight, now=self.clock())
            except Exception as exc:  # give the lock back and start over later
                log.warning("alert dispatcher: cannot reclaim in-flight alerts (%s); retrying", type(exc).__name__)
                await asyncio.to_thread(self.lock.release)
                return False
            self.stats.reclaimed += n
            if n:
                log.info("alert dispatcher: %d alert(s) left in flight by a previous run are due again", n)
            log.info("alert dispatcher: running (one per database)")
        return held

    async def _maybe_watch_zones(self) -> None:
        if self.zone_watch is None or not self.config.watch_zones:
            return
        now = time.monotonic()
        if now < self._next_zone_scan:
            return
        self._next_zone_scan = now + self.config.zone_watch_every_s
        try:
            n = await asyncio.to_thread(self.zone_watch)
        except Exception:  # a failing scan must not stop deliveries
            log.exception("alert dispatcher: zone watch failed")
            return
        if n:
            self.stats.zone_alerts += n
            log.info("alert dispatcher: %d zone-change alert(s) queued", n)

    async def _claim_and_start(self) -> int:
        room = self.config.concurrency - len(self._inflight)
        if room <= 0:
            return 0
        channel_room = {
            name: limit - self._per_channel.get(name, 0) for name, limit in self._channel_limits.items()
        }
        try:
            claimed = await asyncio.to_thread(
                self.outbox.claim_due, now=self.clock(), limit=room, lease_s=self.lease_s, channel_room=channel_room
            )
        except Exception as exc:  # database away: the rows wait, nothing is lost
            log.warning("alert dispatcher: cannot read the outbox (%s); retrying", type(exc).__name__)
            await asyncio.sleep(min(5.0, self.config.poll_s * 4))
            return 0
        started = 0
        for alert in claimed:
            if alert.id in self._inflight_ids:
                continue  # its lease ran out while this process is still sending it
            self._inflight_ids.add(alert.id)
            self._per_channel[alert.channel] = self._per_channel.get(alert.channel, 0) + 1
            task = asyncio.create_task(self._deliver(alert), name=f"alert-{alert.id}")
            self._inflight.add(task)
            task.add_done_callback(self._inflight.discard)
            task.add_done_callback(lambda _t, a=alert: self._done(a))
            started += 1
        self.stats.claimed += started
        return started

    def _done(self, alert: ClaimedAlert) -> None:
        self._inflight_ids.discard(alert.id)
        n = self._per_channel.get(alert.channel, 1) - 1
        if n > 0:
            self._per_channel[alert.channel] = n
        else:
            self._per_channel.pop(alert.channel, None)

    async def _settle_inflight(self, *, timeout_s: float) -> None:
        if not self._inflight:
            return
        done, pending = await asyncio.wait(set(self._inflight), timeout=timeout_s)
        for t in pending:
            t.cancel()
        if pending:
            log.warning("alert dispatcher: %d send(s) cut short at shutdown; they are re-sent at the next start", len(pending))

    # --- one alert ---------------------------------------------------------------------------

    async def _deliver(self, alert: ClaimedAlert) -> None:
        cfg = self.config
        channel = self.channels.get(alert.channel)
        if channel is None:
            await self._settle_failed(
                alert, SendResult(False, f"channel {alert.channel!r} is not configured", permanent=True)
            )
            return
        if alert.attempts > cfg.max_attempts:
            await self._settle_failed(
                alert,
                SendResult(False, f"gave up after {alert.attempts - 1} attempt(s) (the last never finished)", permanent=True),
            )
            return
        limit_s = self.lease_s * 0.9
        try:
            result = await asyncio.wait_for(channel.send(alert.payload), timeout=limit_s)
        except TimeoutError:  # a last resort: channels time out on their own well before
            result = SendResult(False, f"no answer within {limit_s:.0f} s (it may still arrive)")
        except Exception as exc:  # a channel bug: record it as a failed attempt
            log.exception("alert channel %s raised", alert.channel)
            result = SendResult(False, f"{type(exc).__name__} in channel {alert.channel}")
        if result.ok:
            outcome = Outcome(alert.id, self.clock(), True, duration_s=result.duration_s)
            if not await self._record(outcome):
                log.error(
                    "alert %s delivered to %s but not recorded; it will be re-sent with the same "
                    "idempotency key",
                    alert.id,
                    alert.channel,
                )
                return
            self.stats.delivered += 1
            self.stats.by_channel[alert.channel] = self.stats.by_channel.get(alert.channel, 0) + 1
            log.debug("alert %s (%s) delivered to %s", alert.id, alert.rule, alert.channel)
            return
        await self._settle_failed(alert, result)

    async def _settle_failed(self, alert: ClaimedAlert, result: SendResult) -> None:
        cfg = self.config
        now = self.clock()
        error = result.error or "failed"
        retry_at: datetime | None = None
        if not result.permanent and alert.attempts < cfg.max_attempts:
            delay = backoff_s(alert.attempts, base_s=cfg.backoff_base_s, max_s=cfg.backoff_max_s, rand=self.rand)
            if result.retry_after_s is not None:
                delay = max(delay, min(result.retry_after_s, MAX_RETRY_AFTER_S))
            retry_at = now + timedelta(seconds=delay)
        outcome = Outcome(alert.id, now, False, error=error, duration_s=result.duration_s, retry_at=retry_at)
        if not await self._record(outcome):
            log.error("alert %s: failure not recorded; it is tried again when its lease ends", alert.id)
            return
        if retry_at is None:
            self.stats.dead += 1
            log.error(
                "alert %s (rule %s) to %s is dead after %d attempt(s): %s",
                alert.id,
                alert.rule,
                alert.channel,
                alert.attempts,
                error,
            )
        else:
            self.stats.failed += 1
            log.warning(
                "alert %s (rule %s) to %s failed (attempt %d of %d): %s; next try in %.0f s",
                alert.id,
                alert.rule,
                alert.channel,
                alert.attempts,
                cfg.max_attempts,
                error,
                (retry_at - now).total_seconds(),
            )

    async def _record(self, outcome: Outcome) -> bool:
        """Commit ``outcome`` as soon as possible; ``False`` if the database refused.

        Group commit: the first caller writes everything queued, in one transaction, and
        keeps going while more outcomes arrive meanwhile; the others just wait for theirs.
        Nothing waits on a timer, so the window between a channel's "yes" and its record
        is one short transaction (plus the one in progress, if any).
        """
        fut: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._to_record.append((outcome, fut))
        if not self._recording:
            self._recording = True
            try:
                while self._to_record:
                    batch, self._to_record = self._to_record, []
                    try:
                        await asyncio.to_thread(self.outbox.settle, [o for o, _ in batch])
                        ok = True
                    except Exception as exc:  # database away: leases expire, rows are retried
                        log.warning("alert dispatcher: cannot record %d outcome(s) (%s)", len(batch), type(exc).__name__)
                        ok = False
                    for _, f in batch:
                        if not f.done():
                            f.set_result(ok)
            finally:
                self._recording = False
        return await fut


async def _wait_any(stop: asyncio.Event, wake: asyncio.Event | None, timeout_s: float) -> None:
    """Return when ``stop`` or ``wake`` is set, or after ``timeout_s``."""
    waiters = [asyncio.ensure_future(stop.wait())]
    if wake is not None:
        waiters.append(asyncio.ensure_future(wake.wait()))
    try:
        await asyncio.wait(waiters, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waiters:
            w.cancel()
