"""Incident changes written to the console and the log as they are applied.

The simplest alert channel, always on in ``monitor demo`` and ``monitor run``: one line per
opened or closed incident (updates only when the severity changes).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

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
