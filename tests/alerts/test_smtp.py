"""E-mail through Apprise's mailto:// channel to a real SMTP server (aiosmtpd, 127.0.0.1)."""

from __future__ import annotations

import asyncio
import email
from email import policy
from typing import Any

import httpx
import pytest

from monitor.alerts.samples import SAMPLE_REROUTE_DETAILS
from monitor.alerts.service import Alerting, build_alerting
from monitor.domain import IncidentKind, Severity
from monitor.store import Store, StoreBatch
from monitor.store.outbox import OutboxStore
from tests.alerts.conftest import SmtpServer, free_port
from tests.alerts.helpers import FAST_DISPATCH, dispatch_until, incident, settings_with
from tests.builders import at

pytest.importorskip("apprise", reason="Apprise (alerts extra) sends the e-mail")


def mail_alerting(store: Store, port: int, **dispatcher: Any) -> Alerting:
    url = f"mailto://127.0.0.1:{port}?from=monitor@example.org&to=desk@example.org&mode=insecure"
    alerts = {
        "channels": {"desk_mail": {"type": "apprise", "url": url, "timeout_s": 5}},
        "rules": [{"name": "reroutes", "kinds": ["reroute"], "channels": ["desk_mail"]}],
        "dispatcher": {**FAST_DISPATCH, **dispatcher},
    }
    a = build_alerting(settings_with(alerts), store, base_url="http://127.0.0.1:8000", known_zone_ids={"SVZM"})
    assert a is not None
    return a


def reroute(key: str = "r1") -> Any:
    return incident(
        key, t=at(0), kind=IncidentKind.REROUTE, severity=Severity.LOW, subject_id="e8044e",
        label="TST123", details=SAMPLE_REROUTE_DETAILS,
    )


def failures(outbox: OutboxStore) -> int:
    """Failed tries recorded so far (settled, not merely claimed)."""
    [row] = outbox.list(limit=1)
    return sum(not t.ok for t in outbox.attempts(row.id))


async def deliver(a: Alerting, done: Any, timeout_s: float = 30.0) -> bool:
    async with httpx.AsyncClient() as client:
        return await dispatch_until(a.dispatcher(client), done, timeout_s=timeout_s)


def test_reroute_alert_arrives_by_email(sqlite_url: str, smtp_server: SmtpServer) -> None:
    store = Store.open(sqlite_url)
    try:
        a = mail_alerting(store, smtp_server.port)
        store.apply(StoreBatch(changes=[reroute()]), a.engine)
        assert asyncio.run(deliver(a, lambda: len(smtp_server.sink.messages) >= 1))
        [envelope] = smtp_server.sink.messages
        assert envelope.rcpt_tos == ["desk@example.org"]
        msg = email.message_from_bytes(envelope.content, policy=policy.default)
        assert msg["Subject"] == "NEW REROUTE [LOW] TST123 · SVZM"
        body = msg.get_body(preferencelist=("plain", "html")).get_content()
        assert "Route: KMIA Miami International -> SBGR Guarulhos" in body
        assert "FIRs used instead: Curacao FIR (TNCF), Piarco FIR (TTZP)" in body
        assert "http://127.0.0.1:8000/incidents/1" in body
        [row] = OutboxStore.of(store).list()
        assert row.state == "delivered" and row.channel == "desk_mail"
    finally:
        store.close()


@pytest.mark.slow
def test_email_is_retried_until_the_smtp_server_is_up(sqlite_url: str) -> None:
    from tests.alerts.conftest import SmtpSink

    store = Store.open(sqlite_url)
    port = free_port()
    server = SmtpServer(port, SmtpSink())
    try:
        a = mail_alerting(store, port, max_attempts=50)
        store.apply(StoreBatch(changes=[reroute()]), a.engine)
        outbox = OutboxStore.of(store)

        async def scenario() -> None:
            async with httpx.AsyncClient() as client:
                d = a.dispatcher(client)
                assert await dispatch_until(d, lambda: failures(outbox) >= 2, timeout_s=30)
                server.start()
                assert await dispatch_until(d, lambda: outbox.list(limit=1)[0].state == "delivered", timeout_s=30)

        asyncio.run(scenario())
        assert len(server.sink.messages) == 1
        [row] = outbox.list()
        tries = outbox.attempts(row.id)
        assert tries[-1].ok is True
        assert all(not t.ok and t.error for t in tries[:-1])
        assert len(tries) >= 3
    finally:
        server.stop()
        store.close()
