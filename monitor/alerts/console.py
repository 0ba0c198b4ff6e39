"""The console: incident changes and alerts written to the log (and so the terminal).

Two things live here:

* :class:`ConsoleAlerts`, a pipeline listener that prints one line per opened or closed
  incident (updates only when the severity changes), with or without alert rules;
* :class:`ConsoleChannel`, the ``console`` alert channel: the full alert text of a rule's
  alert, delivered through the outbox like any other channel.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from monitor.domain import ChangeAction, Severity
from monitor.store import AppliedChange

log = logging.getLogger("monitor.alerts")

_LEVEL = {
    Severity.INFO: logging.INFO,
    Severity.LOW: logging.INFO,
    Severity.MEDIUM: logging.WARNING,
    Severity.HIGH: logging.WARNING,
    Severity.CRITICAL: logging.ERROR,
}


class ConsoleAlerts:
    def __init__(self, *, base_url: str | None = None) -> None:
        self.base_url = base_url
        self._severity: dict[int, Severity] = {}
        self.lines: list[str] = []

    def __call__(self, applied: Sequence[AppliedChange]) -> None:
        for a in applied:
            ch = a.change
            previous = self._severity.get(a.incident_id)
            if ch.action is ChangeAction.UPDATE and previous is ch.severity:
                continue
            self._severity[a.incident_id] = ch.severity
            if ch.action is ChangeAction.CLOSE:
                self._severity.pop(a.incident_id, None)
            verb = {"open": "NEW", "update": "UPDATED", "close": "CLOSED"}[ch.action.value]
            link = f" {self.base_url.rstrip('/')}/incidents/{a.incident_id}" if self.base_url else ""
            line = f"ALERT {verb} [{ch.severity.value}] {ch.kind.value}: {ch.summary}{link}"
            self.lines.append(line)
            if len(self.lines) > 1000:
                del self.lines[:500]
            log.log(_LEVEL[ch.severity] if ch.action is not ChangeAction.CLOSE else logging.INFO, "%s", line)


class ConsoleChannel:
    """The ``console`` channel: the alert's title and text as one log record (or ``write``).

    Parameters
    ----------
    name:
        The channel name in the rules.
    write:
        Where the text goes; default: the ``monitor.alerts`` logger, at WARNING for high
        and critical alerts and INFO otherwise.
    """

    def __init__(self, *, name: str = "console", write: Callable[[str], None] | None = None) -> None:
        self.name = name
        self.timeout_s = 0.0
        self.max_in_flight: int | None = None
        self._write = write
        self.sent: list[str] = []

    async def send(self, payload: Mapping[str, Any]) -> Any:
        from monitor.alerts.channels import SendResult

        title = str(payload.get("title") or "alert")
        text = str(payload.get("text") or "")
        body = f"ALERT {title}" + ("\n    " + text.replace("\n", "\n    ") if text else "")
        self.sent.append(body)
        if len(self.sent) > 1000:
            del self.sent[:500]
        if self._write is not None:
            self._write(body)
        else:
            severity = str(payload.get("severity") or "info")
            level = logging.WARNING if severity in ("high", "critical") else logging.INFO
            log.log(level, "%s", body)
        return SendResult(True, duration_s=0.0)

    async def aclose(self) -> None:
        return None
