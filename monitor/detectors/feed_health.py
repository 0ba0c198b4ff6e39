"""Feed health: a feed that stopped delivering raises one incident, not a wave of others.

Opens a ``feed_health`` incident when a feed with an established rhythm has been silent
for longer than its threshold (see ``FeedHealthBook.threshold_s``) at data time, and
closes it with the gap's duration when data comes back.
"""

from __future__ import annotations

from datetime import datetime

from monitor.detectors.base import DetectionBatch, Detector, MonitorState, iso_key
from monitor.domain import ChangeAction, IncidentChange, IncidentKind, Severity


class FeedStaleDetector(Detector):
    name = "feed_health"
    kinds = (IncidentKind.FEED_HEALTH,)

    def detect(
        self, batch: DetectionBatch, state: MonitorState, now: datetime
    ) -> list[IncidentChange]:
        changes: list[IncidentChange] = []
        silent = {source: (last, thr) for source, last, thr in state.feeds.silent_feeds(now)}
        for source, (last, threshold) in silent.items():
            if state.open.find(IncidentKind.FEED_HEALTH, source) is not None:
                continue
            changes.append(
                IncidentChange(
                    action=ChangeAction.OPEN,
                    dedupe_key=f"feed_health:{source}:{iso_key(last)}",
                    kind=IncidentKind.FEED_HEALTH,
                    severity=Severity.MEDIUM,
                    at=last,
                    summary=f"feed {source} silent since {last:%Y-%m-%d %H:%M:%S}Z",
                    subject_kind="feed",
                    subject_id=source,
                    details={"last_data_at": last.isoformat(), "threshold_s": threshold},
                )
            )
        for inc in list(state.open.of_kind(IncidentKind.FEED_HEALTH)):
            source = inc.subject_id or ""
            if source in silent:
                continue
            resumed = state.feeds.last_data_at(source)
            if resumed is None:
                continue
            gap_s = (resumed - inc.started_at).total_seconds()
            changes.append(
                IncidentChange(
                    action=ChangeAction.CLOSE,
                    dedupe_key=inc.dedupe_key,
                    kind=IncidentKind.FEED_HEALTH,
                    severity=inc.severity,
                    at=resumed,
                    summary=f"feed {source} recovered after {gap_s / 60:.0f} min",
                    subject_kind="feed",
                    subject_id=source,
                    details={**inc.details, "recovered_at": resumed.isoformat(), "gap_s": gap_s},
                )
            )
        return changes
