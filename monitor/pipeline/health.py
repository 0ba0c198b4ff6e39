"""Feed health: polls, errors by reason, data arrival, and outages, per feed instance.

One book per process. Adapters report to it (it is the :class:`HealthSink`), the pipeline
reports what it parsed, and detectors ask it whether a feed was delivering
(:meth:`was_up`), so a feed outage is never mistaken for vessels going dark.

Data time, not wall time, decides gaps: a feed that brought no record for longer than
``stale_after_s`` (of data time, while others did) was down for that interval. That works
the same live and in a replay.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from monitor.store import FeedHealthState, Outage

log = logging.getLogger(__name__)


@dataclass
class FeedStatus:
    source: str
    kind: str
    status: str = "starting"
    polls: int = 0
    failures: int = 0
    consecutive_failures: int = 0
    records: int = 0
    items: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    last_poll_at: datetime | None = None
    last_ok_at: datetime | None = None
    last_error_at: datetime | None = None
    last_error: str | None = None
    latency_s: float | None = None
    last_data_at: datetime | None = None
    first_data_at: datetime | None = None
    stream_down_since: datetime | None = None
    mean_interval_s: float | None = None
    dirty: bool = True


class FeedHealthBook:
    """Health of every feed instance; implements ``HealthSink`` and ``FeedCoverage``."""

    def __init__(self, *, stale_after_s: float = 900.0) -> None:
        self.stale_after_s = stale_after_s
        self.feeds: dict[str, FeedStatus] = {}
        self._gaps: dict[str, list[tuple[datetime, datetime | None]]] = {}
        self._new_outages: list[Outage] = []

    def _get(self, source: str, kind: str = "") -> FeedStatus:
        st = self.feeds.get(source)
        if st is None:
            st = self.feeds[source] = FeedStatus(source=source, kind=kind or source)
        elif kind and st.kind == st.source:
            st.kind = kind
        return st

    def register(self, source: str, kind: str, status: str = "starting") -> None:
        st = self._get(source, kind)
        st.status = status
        st.dirty = True

    # --- HealthSink (adapters) ---------------------------------------------------------------

    def poll_ok(self, source: str, at: datetime, *, items: int, latency_s: float) -> None:
        st = self._get(source)
        st.polls += 1
        st.consecutive_failures = 0
        st.last_poll_at = st.last_ok_at = at
        st.latency_s = latency_s
        st.status = "ok"
        st.dirty = True

    def poll_failed(self, source: str, at: datetime, *, reason: str, detail: str) -> None:
        st = self._get(source)
        st.polls += 1
        st.failures += 1
        st.consecutive_failures += 1
        st.errors[reason] += 1
        st.last_poll_at = st.last_error_at = at
        st.last_error = f"{reason}: {detail}"[:500]
        st.status = "failing"
        st.dirty = True

    def stream_up(self, source: str, at: datetime) -> None:
        st = self._get(source)
        if st.stream_down_since is not None:
            self._close_gap(source, at)
            self._new_outages.append(Outage(source, st.stream_down_since, at, "stream down"))
            st.stream_down_since = None
        st.status = "ok"
        st.last_ok_at = at
        st.dirty = True

    def stream_down(self, source: str, at: datetime, *, reason: str) -> None:
        st = self._get(source)
        st.errors[reason] += 1
        st.failures += 1
        st.last_error_at = at
        st.last_error = reason
        st.status = "down"
        if st.stream_down_since is None:
            st.stream_down_since = at
            self._gaps.setdefault(source, []).append((at, None))
            self._new_outages.append(Outage(source, at, None, reason))
        st.dirty = True

    # --- pipeline ----------------------------------------------------------------------------

    def data(
        self, source: str, kind: str, at: datetime, *, items: int, errors: Mapping[str, int]
    ) -> None:
        """A record arrived (data time ``at``) and was parsed into ``items`` items."""
        st = self._get(source, kind)
        if st.last_data_at is not None:
            gap_s = (at - st.last_data_at).total_seconds()
            if gap_s > self.threshold_s(st):
                self._gaps.setdefault(source, []).append((st.last_data_at, at))
                self._new_outages.append(Outage(source, st.last_data_at, at, "no data"))
            if 0 < gap_s <= self.threshold_s(st):
                ema = st.mean_interval_s
                st.mean_interval_s = gap_s if ema is None else 0.8 * ema + 0.2 * gap_s
        if st.first_data_at is None:
            st.first_data_at = at
        if st.last_data_at is None or at > st.last_data_at:
            st.last_data_at = at
        st.records += 1
        st.items += items
        if errors:
            st.errors.update(errors)
        if st.status in ("starting", "stale"):
            st.status = "ok"
        st.dirty = True

    def parse_failed(self, source: str, kind: str, at: datetime, reason: str, detail: str) -> None:
        st = self._get(source, kind)
        st.errors[reason] += 1
        st.last_error_at = at
        st.last_error = f"{reason}: {detail}"[:500]
        st.dirty = True
        log.warning("feed %s: unusable body (%s) %s", source, reason, detail[:200])

    def _close_gap(self, source: str, at: datetime) -> None:
        gaps = self._gaps.get(source)
        if gaps and gaps[-1][1] is None:
            gaps[-1] = (gaps[-1][0], at)

    # --- FeedCoverage (detectors) --------------------------------------------------------------

    def last_data_at(self, source: str) -> datetime | None:
        st = self.feeds.get(source)
        return None if st is None else st.last_data_at

    def was_up(self, source: str, start: datetime, end: datetime) -> bool:
        """False when a recorded gap or outage of ``source`` overlaps ``[start, end]``, or
        when the feed has brought nothing since before ``end - stale_after_s``."""
        for g_start, g_end in self._gaps.get(source, ()):
            if g_start < end and (g_end is None or g_end > start):
                return False
        st = self.feeds.get(source)
        if st is None or st.last_data_at is None:
            return False
        return st.last_data_at >= end - timedelta(seconds=self.stale_after_s)

    def threshold_s(self, st: FeedStatus) -> float:
        """Silence longer than this is an outage: ``stale_after_s``, or four times the
        feed's usual interval between records when that is longer (hourly NGA polls)."""
        usual = st.mean_interval_s or 0.0
        return max(self.stale_after_s, 4.0 * usual)

    def silent_feeds(self, now: datetime) -> list[tuple[str, datetime, float]]:
        """Feeds with an established rhythm (5+ records) silent for longer than their
        threshold at data time ``now``: (source, last data time, threshold in s)."""
        out = []
        for st in self.feeds.values():
            if st.last_data_at is None or st.records < 5:
                continue
            threshold = self.threshold_s(st)
            if (now - st.last_data_at).total_seconds() > threshold:
                out.append((st.source, st.last_data_at, threshold))
        return out

    # --- persistence ---------------------------------------------------------------------------

    def drain(self) -> tuple[list[FeedHealthState], list[Outage]]:
        """Changed feed states and new outages since the last drain (for the store)."""
        states = []
        for st in self.feeds.values():
            if not st.dirty:
                continue
            st.dirty = False
            states.append(
                FeedHealthState(
                    source=st.source,
                    kind=st.kind,
                    status=st.status,
                    last_poll_at=st.last_poll_at,
                    last_ok_at=st.last_ok_at,
                    last_error_at=st.last_error_at,
                    last_error=st.last_error,
                    polls=st.polls,
                    failures=st.failures,
                    records=st.records,
                    items=st.items,
                    latency_s=st.latency_s,
                    errors=dict(st.errors),
                )
            )
        outages, self._new_outages = self._new_outages, []
        return states, outages
