"""Channel URLs and webhook secrets never reach a log line or the database (issue 8, item 5)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx
import pytest

from monitor.alerts.receiver import WebhookReceiver
from monitor.alerts.service import build_alerting
from monitor.store import Store, StoreBatch
from monitor.store.outbox import OutboxStore
from tests.alerts.conftest import free_port
from tests.alerts.helpers import FAST_DISPATCH, dispatch_until, incident, settings_with
from tests.builders import at

URL_TOKEN = "Zq9T0kenInPath77"  # noqa: S105 - test secrets
HOOK_SECRET = "whsec-very-private-42"  # noqa: S105
APPRISE_PASSWORD = "Pa55wordXYZ"  # noqa: S105


def everything_logged(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(r.getMessage() for r in caplog.records)


def test_secrets_stay_out_of_logs_and_stored_errors(
    sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    receiver = WebhookReceiver(secret="a-different-secret").start()  # refuses: bad signature
    dead_port = free_port()  # nothing listens: connection refused
    alerts = {
        "channels": {
            "hook": {"type": "webhook", "url": f"{receiver.url}/{URL_TOKEN}", "secret": HOOK_SECRET},
            "json": {"type": "apprise", "url": f"json://desk:{APPRISE_PASSWORD}@127.0.0.1:{dead_port}/alerts"},
        },
        "rules": [{"name": "desk", "channels": ["hook", "json"]}],
        "dispatcher": {**FAST_DISPATCH, "max_attempts": 2},
    }
    store = Store.open(sqlite_url)
    try:
        a = build_alerting(settings_with(alerts), store, base_url=None, known_zone_ids={"SVZM"})
        assert a is not None
        store.apply(StoreBatch(changes=[incident("k1", t=at(0))]), a.engine)
        outbox = OutboxStore.of(store)

        async def run() -> bool:
            async with httpx.AsyncClient() as client:
                return await dispatch_until(a.dispatcher(client), lambda: outbox.counts()["dead"] == 2)

        assert asyncio.run(run())
        stored: list[Any] = []
        for row in outbox.list():
            stored.append(row.last_error or "")
            stored.append(str(row.payload))
            stored.append(row.channel)
            stored.extend(t.error or "" for t in outbox.attempts(row.id))
    finally:
        store.close()
        receiver.stop()
    logged = everything_logged(caplog)
    assert "HTTP 401" in logged  # the failures themselves are logged...
    assert "json" in logged
    for secret in (URL_TOKEN, HOOK_SECRET, APPRISE_PASSWORD):  # ...their secrets are not
        assert secret not in logged, secret
        assert all(secret not in s for s in stored), secret
