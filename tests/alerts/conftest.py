"""Real local servers for alert tests: a webhook receiver and an SMTP server, on 127.0.0.1."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from monitor.alerts.receiver import WebhookReceiver
from tests.alerts.helpers import SECRET


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    """A webhook receiver that checks the HMAC signature with ``SECRET``."""
    r = WebhookReceiver(secret=SECRET).start()
    try:
        yield r
    finally:
        r.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class SmtpSink:
    """Messages received by the local SMTP server."""

    messages: list[Any] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd API
        self.messages.append(envelope)
        return "250 OK"


@dataclass
class SmtpServer:
    port: int
    sink: SmtpSink
    controller: Any = None

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self.controller = Controller(self.sink, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    pytest.importorskip("aiosmtpd", reason="aiosmtpd (dev extra) runs the local SMTP server")
    server = SmtpServer(free_port(), SmtpSink())
    server.start()
    try:
        yield server
    finally:
        server.stop()
