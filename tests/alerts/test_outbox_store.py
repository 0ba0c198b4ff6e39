"""The outbox in the database (SQLite, and PostGIS in CI): claims, leases, one dispatcher."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest

from monitor.alerts.receiver import WebhookReceiver
from monitor.alerts.service import build_alerting
from monitor.domain import Severity
from monitor.store import AppliedChange, Store, StoreBatch
from monitor.store.outbox import DispatcherLock, OutboxStore
from monitor.timeutil import utcnow
from tests.alerts.helpers import dispatch_until, incident, settings_with, webhook_alerts
from tests.builders import at


def queued(store: Store, n: int = 1, url: str = "http://127.0.0.1:9/hook") -> Any:
    a = build_alerting(settings_with(webhook_alerts(url, cooldown_s=0)), store, base_url=None, known_zone_ids={"SVZM"})
    assert a is not None
    for i in range(n):
        store.apply(StoreBatch(changes=[incident(f"k{i}", t=at(i), subject_id=f"{i:06x}")]), a.engine)
    return a


def test_claim_leases_and_an_expired_lease_is_claimed_again(store: Store) -> None:
    queued(store, 2)
    outbox = OutboxStore.of(store)
    now = utcnow()
    first = outbox.claim_due(now=now, limit=10, lease_s=60)
    assert [c.attempts for c in first] == [1, 1]
    assert outbox.claim_due(now=now, limit=10, lease_s=60) == []
    assert outbox.claim_due(now=now + timedelta(seconds=59), limit=10, lease_s=60) == []
    again = outbox.claim_due(now=now + timedelta(seconds=61), limit=10, lease_s=60)
    assert [c.id for c in again] == [c.id for c in first]
    assert [c.attempts for c in again] == [2, 2]


def test_a_failed_alert_waits_for_its_backoff(store: Store) -> None:
    queued(store)
    outbox = OutboxStore.of(store)
    now = utcnow()
    [c] = outbox.claim_due(now=now, limit=1, lease_s=60)
    outbox.failed(c.id, at=now, error="HTTP 503", duration_s=0.01, retry_at=now + timedelta(seconds=30))
    assert outbox.claim_due(now=now + timedelta(seconds=29), limit=1, lease_s=60) == []
    assert len(outbox.claim_due(now=now + timedelta(seconds=31), limit=1, lease_s=60)) == 1
    [row] = outbox.list()
    assert row.last_error == "HTTP 503"


def test_release_inflight_makes_sending_rows_due_now(store: Store) -> None:
    queued(store, 3)
    outbox = OutboxStore.of(store)
    now = utcnow()
    outbox.claim_due(now=now, limit=2, lease_s=3600)
    assert outbox.counts()["sending"] == 2
    assert outbox.release_inflight(now=now) == 2
    assert outbox.counts() == {"pending": 3, "sending": 0, "delivered": 0, "dead": 0}
    assert len(outbox.claim_due(now=now, limit=10, lease_s=60)) == 3


def test_only_one_dispatcher_lock_at_a_time(database_url: str) -> None:
    a, b = Store.open(database_url), Store.open(database_url, migrate_schema=False)
    first, second = DispatcherLock(a.engine), DispatcherLock(b.engine)
    try:
        assert first.try_acquire() is True
        assert first.try_acquire() is True  # still ours
        assert second.try_acquire() is False
        first.release()
        assert second.try_acquire() is True
        assert first.try_acquire() is False
    finally:
        first.release()
        second.release()
        a.close()
        b.close()


def test_a_dispatcher_without_the_lock_sends_nothing(database_url: str) -> None:
    store = Store.open(database_url)
    other = DispatcherLock(store.engine)
    try:
        with WebhookReceiver(secret=None) as receiver:
            a = queued(store, 1, url=receiver.url)
            assert other.try_acquire()

            async def run() -> tuple[bool, bool]:
                async with httpx.AsyncClient() as client:
                    d = a.dispatcher(client)  # takes a DispatcherLock of its own
                    blocked = await dispatch_until(d, lambda: bool(receiver.unique_keys), timeout_s=0.5)
                    other.release()
                    d2 = a.dispatcher(client)
                    sent = await dispatch_until(d2, lambda: bool(receiver.unique_keys), timeout_s=20)
                    return blocked, sent

            blocked, sent = asyncio.run(run())
            assert blocked is False
            assert sent is True
    finally:
        other.release()
        store.close()


def test_a_rolled_back_batch_leaves_no_alert_and_no_cooldown(store: Store) -> None:
    a = build_alerting(settings_with(webhook_alerts("http://127.0.0.1:9/hook")), store, base_url=None,
                       known_zone_ids={"SVZM"})
    assert a is not None
    calls = {"n": 0}

    def failing_outbox(applied: AppliedChange) -> Any:
        entries = a.engine(applied)
        calls["n"] += 1
        raise RuntimeError("database went away mid-batch")
        return entries  # pragma: no cover

    with pytest.raises(RuntimeError):
        store.apply(StoreBatch(changes=[incident("k1", t=at(0), severity=Severity.HIGH)]), failing_outbox)
    assert calls["n"] == 1
    assert OutboxStore.of(store).list() == []
    # the pipeline retries the batch: the alert is written now, not held back by a ghost
    store.apply(StoreBatch(changes=[incident("k1", t=at(0), severity=Severity.HIGH)]), a.engine)
    [row] = OutboxStore.of(store).list()
    assert row.payload["action"] == "open"
    # and a committed alert does start the cooldown for the same aircraft
    store.apply(StoreBatch(changes=[incident("k2", t=at(1), severity=Severity.HIGH)]), a.engine)
    assert len(OutboxStore.of(store).list()) == 1


def test_seeded_after_restart_no_repeat_for_an_open_incident(store: Store) -> None:
    settings = settings_with(webhook_alerts("http://127.0.0.1:9/hook"))
    a = build_alerting(settings, store, base_url=None, known_zone_ids={"SVZM"})
    assert a is not None
    store.apply(StoreBatch(changes=[incident("k1", t=at(0))]), a.engine)
    a.detach()
    restarted = build_alerting(settings, store, base_url=None, known_zone_ids={"SVZM"})
    assert restarted is not None
    from monitor.domain import ChangeAction

    store.apply(StoreBatch(changes=[incident("k1", ChangeAction.UPDATE, t=at(1))]), restarted.engine)
    store.apply(StoreBatch(changes=[incident("k2", t=at(2))]), restarted.engine)
    assert len(OutboxStore.of(store).list()) == 1


def test_a_slow_channel_gets_limited_sending_slots(store: Store) -> None:
    alerts = {
        "channels": {"mail": {"type": "console"}, "hook": {"type": "console"}},
        "rules": [{"name": "desk", "channels": ["mail", "hook"], "cooldown_s": 0}],
    }
    a = build_alerting(settings_with(alerts), store, base_url=None, known_zone_ids={"SVZM"})
    assert a is not None
    for i in range(4):
        store.apply(StoreBatch(changes=[incident(f"k{i}", t=at(i), subject_id=f"{i:06x}")]), a.engine)
    outbox = OutboxStore.of(store)
    claimed = outbox.claim_due(now=utcnow(), limit=8, lease_s=60, channel_room={"mail": 1})
    assert sorted(c.channel for c in claimed) == ["hook", "hook", "hook", "hook", "mail"]
    assert outbox.claim_due(now=utcnow(), limit=8, lease_s=60, channel_room={"mail": 0}) == []
