"""Webhook delivery against a real HTTP receiver on 127.0.0.1 (SQLite, and PostGIS in CI).

Delivery with a valid HMAC signature, retry after the receiver comes back, dead letters,
dedupe by idempotency key (in the outbox and at the receiver), attempts recorded.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from typing import Any

import httpx
import pytest

from monitor.alerts.receiver import WebhookReceiver
from monitor.alerts.service import Alerting, build_alerting
from monitor.domain import ChangeAction, Severity
from monitor.store import OutboxEntry, Store, StoreBatch
from monitor.store.outbox import OutboxStore
from monitor.timeutil import utcnow
from tests.alerts.helpers import SECRET, dispatch_until, incident, settings_with, webhook_alerts
from tests.builders import at


def alerting(store: Store, alerts: dict[str, Any]) -> Alerting:
    a = build_alerting(settings_with(alerts), store, base_url="http://127.0.0.1:8000", known_zone_ids={"SVZM"})
    assert a is not None
    return a


def apply(store: Store, a: Alerting, *changes: Any) -> None:
    store.apply(StoreBatch(changes=list(changes)), a.engine)


def failures(outbox: OutboxStore) -> int:
    """Failed tries recorded so far (settled, not merely claimed)."""
    [row] = outbox.list(limit=1)
    return sum(not t.ok for t in outbox.attempts(row.id))


async def deliver(a: Alerting, done: Any, *, timeout_s: float = 20.0) -> bool:
    async with httpx.AsyncClient() as client:
        return await dispatch_until(a.dispatcher(client), done, timeout_s=timeout_s)


def rows(store: Store) -> list[Any]:
    return OutboxStore.of(store).list(limit=1000)


def test_incident_alert_is_delivered_once_and_signed(store: Store, receiver: WebhookReceiver) -> None:
    a = alerting(store, webhook_alerts(receiver.url, on_close=True))
    apply(store, a, incident("k1", t=at(0)))
    apply(store, a, incident("k1", ChangeAction.CLOSE, t=at(4)))
    assert asyncio.run(deliver(a, lambda: len(receiver.unique_keys) == 2))
    opened, closed = sorted(receiver.received, key=lambda r: r.payload["times"]["event_at"])
    assert opened.payload["action"] == "open" and closed.payload["action"] == "close"
    # the signature is HMAC-SHA256 of the exact body, recomputed here independently
    expected = "sha256=" + hmac.new(SECRET.encode(), opened.body, hashlib.sha256).hexdigest()
    assert opened.signature == expected
    assert json.loads(opened.body)["idempotency_key"] == "hook:incident-1:1:hook"
    assert receiver.duplicates == 0
    [r1, r2] = sorted(rows(store), key=lambda r: r.id)
    assert (r1.state, r2.state) == ("delivered", "delivered")
    assert r1.delivered_at is not None
    detail = store.incident(1)
    assert detail is not None and [al.state for al in detail["alerts"]] == ["delivered", "delivered"]
    assert [att.ok for att in OutboxStore.of(store).attempts(r1.id)] == [True]


def test_retry_after_the_receiver_comes_back(store: Store) -> None:
    first = WebhookReceiver(secret=SECRET).start()
    port, url = first.port, first.url
    first.stop()  # the receiver is down: connection refused
    a = alerting(store, webhook_alerts(url, dispatcher={"max_attempts": 50}))
    apply(store, a, incident("k1", t=at(0)))
    outbox = OutboxStore.of(store)

    async def scenario() -> WebhookReceiver:
        async with httpx.AsyncClient() as client:
            d = a.dispatcher(client)
            assert await dispatch_until(d, lambda: failures(outbox) >= 2)
            back = WebhookReceiver(port=port, secret=SECRET).start()
            assert await dispatch_until(d, lambda: outbox.list(limit=1)[0].state == "delivered")
            return back

    back = asyncio.run(scenario())
    try:
        assert back.unique_keys == {"hook:incident-1:1:hook"}
        assert back.duplicates == 0
        [row] = rows(store)
        tries = outbox.attempts(row.id)
        assert [t.ok for t in tries][-1] is True
        assert sum(not t.ok for t in tries) >= 2
        assert all("Connect" in (t.error or "") for t in tries if not t.ok)
        assert row.last_error is None
    finally:
        back.stop()


def test_a_receiver_that_keeps_refusing_leads_to_a_dead_letter(store: Store, receiver: WebhookReceiver) -> None:
    a = alerting(store, webhook_alerts(receiver.url, secret="not-the-receivers-secret"))
    apply(store, a, incident("k1", t=at(0)))
    outbox = OutboxStore.of(store)
    assert asyncio.run(deliver(a, lambda: outbox.list(limit=1)[0].state == "dead"))
    [row] = rows(store)
    assert row.attempts == 3  # FAST_DISPATCH max_attempts
    assert row.last_error.startswith("HTTP 401")
    assert [t.ok for t in outbox.attempts(row.id)] == [False, False, False]
    assert receiver.unique_keys == set()
    assert outbox.counts()["dead"] == 1
    # after fixing the channel, `monitor alerts retry --dead` queues it again
    assert outbox.requeue(state="dead") == 1
    assert outbox.list(limit=1)[0].state == "pending"


def test_a_permanent_refusal_is_dead_at_once(store: Store, receiver: WebhookReceiver) -> None:
    receiver.fail_always(422)
    a = alerting(store, webhook_alerts(receiver.url, dispatcher={"max_attempts": 8}))
    apply(store, a, incident("k1", t=at(0)))
    outbox = OutboxStore.of(store)
    assert asyncio.run(deliver(a, lambda: outbox.list(limit=1)[0].state == "dead"))
    assert outbox.list(limit=1)[0].attempts == 1


def test_the_same_alert_is_stored_once(store: Store, receiver: WebhookReceiver) -> None:
    a = alerting(store, webhook_alerts(receiver.url))
    apply(store, a, incident("k1", t=at(0)))
    [row] = rows(store)
    entry = OutboxEntry(row.idempotency_key, row.rule, row.channel, dict(row.payload))
    assert OutboxStore.of(store).insert_entries([entry, entry]) == 0
    # a repeated detection of the same incident (same severity) adds no alert either
    apply(store, a, incident("k1", ChangeAction.UPDATE, t=at(1)))
    assert len(rows(store)) == 1


def test_a_crash_after_sending_is_deduplicated_by_the_receiver(store: Store, receiver: WebhookReceiver) -> None:
    """The one window at-least-once leaves: sent, then killed before recording it."""
    a = alerting(store, webhook_alerts(receiver.url))
    apply(store, a, incident("k1", t=at(0), severity=Severity.CRITICAL))
    outbox = OutboxStore.of(store)

    async def crash_after_send() -> None:
        [claimed] = outbox.claim_due(now=utcnow(), limit=10, lease_s=3600)
        async with httpx.AsyncClient() as client:
            channel = a.dispatcher(client).channels["hook"]
            result = await channel.send(claimed.payload)
        assert result.ok  # ...and the process dies here, before `delivered` is recorded

    asyncio.run(crash_after_send())
    assert outbox.list(limit=1)[0].state == "sending"
    # the restarted dispatcher takes the lock, hands in-flight rows back, and re-sends
    assert asyncio.run(deliver(a, lambda: outbox.list(limit=1)[0].state == "delivered"))
    assert receiver.unique_keys == {"hook:incident-1:1:hook"}
    assert receiver.duplicates == 1
    assert [r.duplicate for r in receiver.received] == [False, True]


def test_zone_changes_stored_by_users_are_alerted_once(store: Store, receiver: WebhookReceiver) -> None:
    from monitor.domain import ZoneChange
    from tests.builders import box_zone

    store.add_versions([box_zone("SVZM", (-67, 10, -66, 11), version=1, recorded_at=at(0))])
    a = alerting(store, webhook_alerts(receiver.url, kinds=["zone_change"]))
    outbox = OutboxStore.of(store)
    # the first scan takes what is already stored as history
    assert asyncio.run(deliver(a, lambda: outbox.zone_watermark() is not None))
    store.add_versions(
        [box_zone("SVZM", (-67, 10, -65, 11), version=2, change=ZoneChange.AMEND, recorded_at=at(60))]
    )
    assert asyncio.run(deliver(a, lambda: len(receiver.unique_keys) == 1))
    assert receiver.unique_keys == {"hook:zone-SVZM@v2:hook"}
    [r] = receiver.received
    assert r.payload["title"] == "ZONE AMENDED · SVZM v2"
    # scanning again queues nothing new
    assert asyncio.run(deliver(a, lambda: False, timeout_s=0.3)) is False
    assert len(rows(store)) == 1


@pytest.mark.parametrize("status", [500, 503, 429])
def test_server_errors_are_retried(store: Store, receiver: WebhookReceiver, status: int) -> None:
    receiver.fail_next(2, status)
    a = alerting(store, webhook_alerts(receiver.url, dispatcher={"max_attempts": 5}))
    apply(store, a, incident("k1", t=at(0)))
    outbox = OutboxStore.of(store)
    assert asyncio.run(deliver(a, lambda: outbox.list(limit=1)[0].state == "delivered"))
    [row] = rows(store)
    assert row.attempts == 3
    assert [t.error.split(":")[0] if t.error else None for t in outbox.attempts(row.id)] == [
        f"HTTP {status}",
        f"HTTP {status}",
        None,
    ]


def test_the_dispatcher_survives_the_database_going_away(store: Store, receiver: WebhookReceiver) -> None:
    from sqlalchemy.exc import OperationalError

    a = alerting(store, webhook_alerts(receiver.url))
    apply(store, a, incident("k1", t=at(0)))
    real_claim = a.outbox.claim_due
    failures = {"left": 3}

    def flaky_claim(**kw: Any) -> Any:
        if failures["left"]:
            failures["left"] -= 1
            raise OperationalError("SELECT", {}, Exception("database is locked"))
        return real_claim(**kw)

    a.outbox.claim_due = flaky_claim  # type: ignore[method-assign]
    assert asyncio.run(deliver(a, lambda: len(receiver.unique_keys) == 1))
    assert failures["left"] == 0
    assert receiver.duplicates == 0
