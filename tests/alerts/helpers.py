"""Builders for alert tests: applied changes, settings, a dispatcher run until a condition."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from monitor.domain import ChangeAction, IncidentChange, IncidentKind, Severity
from monitor.store import AppliedChange

SECRET = "hook-secret-4a7f"  # noqa: S105 - a test secret

#: fast retries for tests (delays in seconds, not minutes)
FAST_DISPATCH = {
    "poll_s": 0.02,
    "backoff_base_s": 0.05,
    "backoff_max_s": 0.2,
    "max_attempts": 3,
    "lease_s": 5.0,
    "zone_watch_every_s": 0.05,
}


def settings_with(alerts: dict[str, Any]) -> Any:
    """A stand-in for ``Settings`` with just what alerting reads."""
    return SimpleNamespace(alerts=alerts, source_file="test-config.yaml", geodata_dir=None)


def webhook_alerts(
    url: str, *, secret: str | None = SECRET, dispatcher: dict[str, Any] | None = None, **rule: Any
) -> dict[str, Any]:
    """One webhook channel ``hook`` and one rule (``rule`` overrides), fast retries."""
    rule.setdefault("name", "hook")
    rule.setdefault("channels", ["hook"])
    channel: dict[str, Any] = {"type": "webhook", "url": url}
    if secret is not None:
        channel["secret"] = secret
    return {"channels": {"hook": channel}, "rules": [rule], "dispatcher": {**FAST_DISPATCH, **(dispatcher or {})}}


@dataclass
class Applier:
    """Feeds changes to an outbox function the way ``Store.apply`` does (ids and seqs)."""

    ids: dict[str, int] = field(default_factory=dict)
    seqs: dict[str, int] = field(default_factory=dict)
    next_event: int = 1

    def applied(self, ch: IncidentChange) -> AppliedChange:
        created = ch.dedupe_key not in self.ids
        if created:
            self.ids[ch.dedupe_key] = len(self.ids) + 1
        self.seqs[ch.dedupe_key] = self.seqs.get(ch.dedupe_key, 0) + 1
        self.next_event += 1
        action = ch.action
        if not created and action is ChangeAction.OPEN:
            action = ChangeAction.UPDATE
        from dataclasses import replace

        return AppliedChange(
            replace(ch, action=action), self.ids[ch.dedupe_key], self.next_event, self.seqs[ch.dedupe_key], created
        )


def incident(
    key: str,
    action: ChangeAction = ChangeAction.OPEN,
    *,
    t: datetime,
    kind: IncidentKind = IncidentKind.INCURSION,
    severity: Severity = Severity.HIGH,
    subject_id: str = "0d0abc",
    subject_kind: str = "aircraft",
    label: str | None = "CLX123",
    zone_id: str | None = "SVZM",
    details: dict[str, Any] | None = None,
) -> IncidentChange:
    return IncidentChange(
        action=action,
        dedupe_key=key,
        kind=kind,
        severity=severity,
        at=t,
        summary=f"{kind.value} {key}",
        subject_kind=subject_kind,
        subject_id=subject_id,
        subject_label=label,
        zone_id=zone_id,
        lat=10.6,
        lon=-66.9,
        details=details or {},
    )


async def dispatch_until(
    dispatcher: Any, done: Callable[[], bool], *, timeout_s: float = 20.0
) -> bool:
    """Run ``dispatcher`` until ``done()`` (checked every 20 ms) or the timeout; then stop it."""
    stop = asyncio.Event()
    task = asyncio.create_task(dispatcher.run(stop))
    deadline = time.monotonic() + timeout_s
    ok = False
    try:
        while time.monotonic() < deadline:
            if await asyncio.to_thread(done):
                ok = True
                break
            if task.done():
                task.result()
            await asyncio.sleep(0.02)
    finally:
        stop.set()
        await task
    return ok


def states(rows: Sequence[Any]) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in rows:
        out[r.state] = out.get(r.state, 0) + 1
    return out


def iter_payload_lines(payload: dict[str, Any]) -> Iterator[str]:
    yield from str(payload.get("text") or "").splitlines()
