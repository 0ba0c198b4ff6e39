"""Channels: where an alert goes. Webhook (JSON, HMAC-signed), Apprise URLs, the console.

Every channel has ``async send(payload) -> SendResult`` and never raises for a delivery
problem: the result says whether it was delivered, why not, and whether trying again can
help (``permanent``). The dispatcher decides about retries.

Secrets (channel URLs, webhook secrets, header values) never reach a log line or the
database: errors are passed through :class:`Redactor`, and the same redactor is installed
as a logging filter on the ``httpx`` and ``apprise`` loggers, which would otherwise print
request URLs.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import httpx
import orjson

from monitor.alerts.config import AlertSetup, ChannelSpec
from monitor.alerts.signing import IDEMPOTENCY_HEADER, SIGNATURE_HEADER, sign

log = logging.getLogger(__name__)

USER_AGENT = "caribe-monitor-alerts/1"
#: answers that will not change on a retry (the payload itself is refused)
PERMANENT_STATUS = frozenset({400, 405, 410, 413, 415, 422})


@dataclass(frozen=True, slots=True)
class SendResult:
    ok: bool
    error: str | None = None
    #: retrying cannot help (e.g. HTTP 400 / 410): the alert goes straight to ``dead``
    permanent: bool = False
    #: the receiver asked to wait this long (``Retry-After``)
    retry_after_s: float | None = None
    duration_s: float | None = None


class Channel(Protocol):
    name: str
    #: the longest a send may take (the dispatcher's lease outlasts it)
    timeout_s: float
    #: at most this many sends at once (``None``: the dispatcher's concurrency)
    max_in_flight: int | None

    async def send(self, payload: Mapping[str, Any]) -> SendResult: ...

    async def aclose(self) -> None: ...


class Redactor(logging.Filter):
    """Replaces known secrets by ``***`` in text and in log records."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets: list[str] = []
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        merged = set(self.secrets) | {s for s in secrets if s and len(s) >= 3}
        self.secrets = sorted(merged, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for s in self.secrets:
            if s in text:
                text = text.replace(s, "***")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        msg = record.getMessage()
        clean = self(msg)
        if clean != msg:
            record.msg = clean
            record.args = ()
        return True


#: loggers of libraries that could print a channel URL
_NOISY_LOGGERS = ("httpx", "httpcore", "apprise")


#: one filter for the library loggers, holding the secrets of every channel loaded so far
_LOG_REDACTOR = Redactor()


def install_redactor(redactor: Redactor) -> None:
    """Mask ``redactor``'s secrets in the log lines of httpx and Apprise (one shared filter)."""
    _LOG_REDACTOR.add(redactor.secrets)
    for name in _NOISY_LOGGERS:
        lg = logging.getLogger(name)
        if _LOG_REDACTOR not in lg.filters:
            lg.addFilter(_LOG_REDACTOR)


class WebhookChannel:
    """POST the payload as JSON; ``X-Monitor-Signature: sha256=…`` when a secret is set.

    2xx is delivered. Redirects are not followed. 400, 405, 410, 413, 415 and 422 are
    permanent failures; anything else (connection errors, timeouts, 5xx, 429 ...) is
    retried, honouring ``Retry-After``.
    """

    def __init__(self, spec: ChannelSpec, client: httpx.AsyncClient, *, redact: Redactor | None = None) -> None:
        if spec.url is None:
            raise ValueError(f"webhook channel {spec.name} has no URL")
        self.name = spec.name
        self.timeout_s = spec.timeout_s
        self.max_in_flight: int | None = None
        self._spec = spec
        self._client = client
        self._redact = redact or Redactor(spec.secrets())

    async def send(self, payload: Mapping[str, Any]) -> SendResult:
        spec = self._spec
        body = orjson.dumps(payload)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-Monitor-Alert-Version": str(payload.get("version", 1)),
            **dict(spec.headers),
        }
        key = payload.get("idempotency_key")
        if key:
            headers[IDEMPOTENCY_HEADER] = str(key)
        if spec.secret:
            headers[SIGNATURE_HEADER] = sign(body, spec.secret)
        started = time.perf_counter()
        try:
            resp = await self._client.post(
                spec.url or "", content=body, headers=headers, timeout=spec.timeout_s, follow_redirects=False
            )
        except httpx.TimeoutException:
            return SendResult(False, f"timed out after {spec.timeout_s:.0f} s", duration_s=_since(started))
        except httpx.HTTPError as exc:
            detail = self._redact(str(exc)) or type(exc).__name__
            return SendResult(False, f"{type(exc).__name__}: {detail}", duration_s=_since(started))
        duration = _since(started)
        if 200 <= resp.status_code < 300:
            return SendResult(True, duration_s=duration)
        snippet = self._redact(resp.text[:200].strip().replace("\n", " "))
        error = f"HTTP {resp.status_code}" + (f": {snippet}" if snippet else "")
        return SendResult(
            False,
            error,
            permanent=resp.status_code in PERMANENT_STATUS,
            retry_after_s=_retry_after(resp.headers.get("Retry-After")),
            duration_s=duration,
        )

    async def aclose(self) -> None:
        return None


class AppriseChannel:
    """Any Apprise URL (Slack, Discord, Telegram, Matrix, Teams, mailto/SMTP, ntfy ...).

    Apprise is synchronous: each notification runs in a worker thread, one at a time per
    channel. The title and text come from the payload (``monitor.alerts.message``).
    ``timeout_s`` is not passed to Apprise (see ``_notify``); the service's own socket
    timeouts apply (Apprise URL parameters ``cto`` and ``rto``, 4 s by default).
    """

    def __init__(self, spec: ChannelSpec, *, redact: Redactor | None = None) -> None:
        import apprise

        self.name = spec.name
        self.timeout_s = max(spec.timeout_s, 10.0)
        self.max_in_flight: int | None = 1  # notifications run one at a time (and are throttled)
        self._spec = spec
        self._apprise = apprise.Apprise()
        if not self._apprise.add(spec.url or ""):
            raise ValueError(f"channel {spec.name}: Apprise refused its URL")
        self._redact = redact or Redactor(spec.secrets())
        self._lock = asyncio.Lock()
        self._types = apprise.NotifyType

    def _notify_type(self, payload: Mapping[str, Any]) -> Any:
        if payload.get("action") in ("close", "lift"):
            return self._types.SUCCESS
        severity = payload.get("severity")
        if severity in ("high", "critical"):
            return self._types.FAILURE
        if severity == "medium":
            return self._types.WARNING
        return self._types.INFO

    def _notify(self, title: str, body: str, notify_type: Any) -> tuple[bool, str | None]:
        # No Apprise call deadline on purpose: when it fires, Apprise stops waiting but its
        # worker may still deliver, and the retry would then send the alert twice. Each
        # service's own socket timeouts (URL parameters cto= and rto=) bound the call.
        result = self._apprise.notify(title=title, body=body, notify_type=notify_type)
        if result:
            return True, None
        messages: list[str] = []
        logs = getattr(result, "logs", None)
        if callable(logs):
            messages = [e.message for e in logs() if getattr(e, "level", "") in ("WARNING", "ERROR")]
        return False, "; ".join(messages[-3:]) or "Apprise reported a failure"

    async def send(self, payload: Mapping[str, Any]) -> SendResult:
        title = str(payload.get("title") or "monitor alert")
        body = str(payload.get("text") or title)
        started = time.perf_counter()
        async with self._lock:
            try:
                ok, error = await asyncio.to_thread(self._notify, title, body, self._notify_type(payload))
            except Exception as exc:  # a plugin bug must not kill the dispatcher: record it
                ok, error = False, f"{type(exc).__name__}: {exc}"
        return SendResult(ok, None if ok else self._redact(error or ""), duration_s=_since(started))

    async def aclose(self) -> None:
        return None


def build_channels(
    setup: AlertSetup,
    client: httpx.AsyncClient,
    *,
    console_write: Callable[[str], None] | None = None,
    redact: Redactor | None = None,
) -> dict[str, Channel]:
    """One channel object per configured channel name."""
    from monitor.alerts.console import ConsoleChannel

    redact = redact or Redactor(setup.secrets())
    out: dict[str, Channel] = {}
    for name, spec in setup.channels.items():
        if spec.type == "webhook":
            out[name] = WebhookChannel(spec, client, redact=redact)
        elif spec.type == "apprise":
            out[name] = AppriseChannel(spec, redact=redact)
        else:
            out[name] = ConsoleChannel(name=name, write=console_write)
    return out


def _since(started: float) -> float:
    return round(time.perf_counter() - started, 4)


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, when.timestamp() - time.time())
