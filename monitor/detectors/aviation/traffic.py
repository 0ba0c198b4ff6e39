"""Traffic collapse: distinct aircraft per hour inside SVZM against a rolling baseline.

Every airborne aircraft fix inside the counted zone (by the geofence: one of
``count_zone_ids``, the restriction ``SVZM`` or the FIR ``FIR-SVZM``, which share one
outline) adds its aircraft to the set of its UTC hour (``bucket_s``). When an hour is
over (plus ``late_s`` for late fixes) its count joins the series, which
:meth:`TrafficCollapseDetector.hourly_counts` exposes for the store's ``traffic_stat``
table and the chart.

An hour is *judged* only when it is complete (the detector saw data from its start) and
every feed that ever delivered aircraft was up all through it (``FeedCoverage.was_up``):
an hour of feed outage is a feed-health incident, not a collapse. The baseline is the
median of the last ``baseline_buckets`` judged, normal hours; at least
``min_baseline_buckets`` of them and a median of ``min_baseline_aircraft`` are needed.
A judged hour below ``collapse_share`` of the baseline opens an incident (at the hour's
start), with the baseline frozen; each later hour updates it, and the first hour back at
``recover_share`` of that baseline closes it. Around 2025-11-25 Flightradar24 saw no
aircraft with active transponders in Venezuelan airspace: the series goes to zero.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from statistics import median
from typing import Any

import numpy as np

from monitor.detectors.aviation.common import AirspaceCache, airborne, coords
from monitor.detectors.base import DetectionBatch, Detector, MonitorState, iso_key
from monitor.domain import ChangeAction, IncidentChange, IncidentKind, Severity, SubjectKind
from monitor.timeutil import utc_from_epoch_s


@dataclass(frozen=True)
class TrafficCollapseConfig:
    """Thresholds of :class:`TrafficCollapseDetector`.

    ``zone_id`` (SVZM): the zone the incident names. ``count_zone_ids`` (SVZM, FIR-SVZM):
    fixes inside any of these count (the FIR is in force even before the restriction).
    ``bucket_s`` (3600: aircraft per hour, as Flightradar24 reports). ``late_s`` (120):
    wait for late fixes before closing an hour. ``baseline_buckets`` (24: one day, so the
    daily rhythm is in the median). ``min_baseline_buckets`` (1): one complete, fully
    covered hour is enough to start judging. The collapse over SVZM came within hours of
    the 2025-11-29 declaration, so a monitor started then must not wait a day for a
    baseline; the median makes a single odd hour matter less as hours accumulate, and
    :meth:`TrafficCollapseDetector.seed` loads the stored series on a restart.
    ``min_baseline_aircraft`` (5): a zone with fewer aircraft an hour has no traffic to
    collapse.
    ``collapse_share`` (0.3): below 30 % of normal. ``recover_share`` (0.5): back above
    half of normal closes it. ``history_buckets`` (24 * 14): hours kept in memory.
    """

    zone_id: str = "SVZM"
    count_zone_ids: tuple[str, ...] = ("SVZM", "FIR-SVZM")
    bucket_s: float = 3600.0
    late_s: float = 120.0
    baseline_buckets: int = 24
    min_baseline_buckets: int = 1
    min_baseline_aircraft: float = 5.0
    collapse_share: float = 0.3
    recover_share: float = 0.5
    history_buckets: int = 24 * 14


@dataclass(frozen=True, slots=True)
class HourlyCount:
    """One bucket of the series: distinct aircraft inside the zone."""

    hour_start: datetime
    zone_id: str
    aircraft: int
    complete: bool
    covered: bool = True
    collapsed: bool = False


@dataclass(slots=True)
class _Bucket:
    start_s: float
    count: int
    complete: bool
    covered: bool
    collapsed: bool = False


class TrafficCollapseDetector(Detector):
    name = "traffic_collapse"
    kinds = (IncidentKind.TRAFFIC_COLLAPSE,)

    def __init__(self, config: TrafficCollapseConfig | None = None) -> None:
        self.config = config or TrafficCollapseConfig()
        ids = frozenset(self.config.count_zone_ids)
        self._counted = AirspaceCache(lambda v: v.zone_id in ids)
        self._open_buckets: dict[float, set[str]] = {}
        self._series: deque[_Bucket] = deque(maxlen=self.config.history_buckets)
        self._sources: set[str] = set()
        self._first_s: float | None = None
        self._key: str | None = None
        self._baseline: float | None = None
        self._adopted = False

    def hourly_counts(self) -> list[HourlyCount]:
        """The series: finished buckets, then the buckets still being counted
        (``complete=False``)."""
        zone_id = self.config.zone_id
        out = [
            HourlyCount(utc_from_epoch_s(b.start_s), zone_id, b.count, b.complete, b.covered, b.collapsed)
            for b in self._series
        ]
        out.extend(
            HourlyCount(utc_from_epoch_s(s), zone_id, len(ids), False)
            for s, ids in sorted(self._open_buckets.items())
        )
        return out

    def seed(self, series: Iterable[tuple[datetime, int]]) -> int:
        """Load finished hours from the store (``Store.traffic_series(zone_id)``) so a
        restarted monitor keeps its baseline; returns how many were taken. Only hours
        older than any already counted (finished or still open) are taken; they count as
        complete, covered and normal (an hour that was part of a past collapse lowers the
        median a little), except the newest: the store does not say whether the stop cut
        it short, so it is kept for the chart but left out of the baseline."""
        counted = [b.start_s for b in self._series] + list(self._open_buckets)
        first = min(counted) if counted else float("inf")
        hours = sorted(
            (self._bucket_of(h.timestamp()), int(n)) for h, n in series
            if self._bucket_of(h.timestamp()) < first
        )
        taken = [_Bucket(start, n, True, True) for start, n in hours]
        if taken:
            taken[-1].complete = False
        self._series.extendleft(reversed(taken))
        return len(taken)

    def _bucket_of(self, t_s: float) -> float:
        return math.floor(t_s / self.config.bucket_s) * self.config.bucket_s

    def detect(
        self, batch: DetectionBatch, state: MonitorState, now: datetime
    ) -> list[IncidentChange]:
        cfg = self.config
        if not self._adopted:
            self._adopted = True
            inc = next(iter(state.open.of_kind(IncidentKind.TRAFFIC_COLLAPSE)), None)
            if inc is not None:
                self._key = inc.dedupe_key
                self._baseline = float(inc.details.get("baseline_aircraft_per_hour") or 0.0) or None
        now_s = now.timestamp()
        if self._first_s is None:
            self._first_s = now_s
        finished_before = self._series[-1].start_s + cfg.bucket_s if self._series else float("-inf")
        air = [o for o in batch.observations if o.subject_kind is SubjectKind.AIRCRAFT]
        if air:
            self._sources.update({o.source for o in air})
            if not self._series:  # did the data start before the first hour began?
                self._first_s = min(self._first_s, min(o.t_s for o in air))
            zone = self._counted.at(state.zones, now)
            if not zone.empty:
                lons, lats = coords(air)
                inside = zone.near_mask(0.0, lons, lats)
                for n in np.flatnonzero(inside):
                    obs = air[n]
                    if not airborne(obs):
                        continue
                    t = obs.t_s
                    start = self._bucket_of(t)
                    if start < finished_before:
                        continue  # too late: that hour is already in the series
                    bucket = self._open_buckets.get(start)
                    if bucket is None:
                        bucket = self._open_buckets[start] = set()
                    bucket.add(obs.subject_id)
        changes: list[IncidentChange] = []
        due = self._bucket_of(now_s - cfg.late_s) - cfg.bucket_s  # last bucket that may close
        nxt = self._bucket_of(self._first_s)
        if self._series:
            # after seeded history, hours before this run started are not ours to count
            nxt = max(self._series[-1].start_s + cfg.bucket_s, nxt)
        while nxt <= due:
            ids = self._open_buckets.pop(nxt, set())
            ch = self._finish(nxt, len(ids), state, now_s)
            if ch is not None:
                changes.append(ch)
            nxt += cfg.bucket_s
        return changes

    def _finish(self, start_s: float, count: int, state: MonitorState, now_s: float) -> IncidentChange | None:
        cfg = self.config
        end_s = start_s + cfg.bucket_s
        complete = self._first_s is not None and self._first_s <= start_s + cfg.late_s
        start, end = utc_from_epoch_s(start_s), utc_from_epoch_s(end_s)
        covered = bool(self._sources) and all(
            state.feeds.was_up(src, start, end) for src in sorted(self._sources)
        )
        bucket = _Bucket(start_s, count, complete, covered)
        judged = [b for b in self._series if b.complete and b.covered and not b.collapsed]
        self._series.append(bucket)
        if not (complete and covered):
            return None
        recent = judged[-cfg.baseline_buckets:]
        baseline = self._baseline
        if self._key is None:
            if len(recent) < cfg.min_baseline_buckets:
                return None
            baseline = float(median(b.count for b in recent))
            if baseline < cfg.min_baseline_aircraft or count >= cfg.collapse_share * baseline:
                return None
            bucket.collapsed = True
            self._baseline = baseline
            self._key = f"traffic_collapse:{cfg.zone_id}:{iso_key(start)}"
            return self._change(ChangeAction.OPEN, bucket, baseline)
        assert baseline is not None
        if count >= cfg.recover_share * baseline:
            ch = self._change(ChangeAction.CLOSE, bucket, baseline)
            self._key, self._baseline = None, None
            return ch
        bucket.collapsed = True
        return self._change(ChangeAction.UPDATE, bucket, baseline)

    def _change(self, action: ChangeAction, bucket: _Bucket, baseline: float) -> IncidentChange:
        cfg = self.config
        assert self._key is not None
        share = bucket.count / baseline if baseline else 0.0
        hour = utc_from_epoch_s(bucket.start_s)
        current = bucket.start_s + cfg.bucket_s
        details: dict[str, Any] = {
            "hour_start": hour.isoformat(),
            "bucket_s": cfg.bucket_s,
            "aircraft_this_hour": bucket.count,
            "baseline_aircraft_per_hour": round(baseline, 1),
            "share_of_baseline": round(share, 3),
            "collapse_share": cfg.collapse_share,
            "counted_zones": list(cfg.count_zone_ids),
            # the hour being counted now (incomplete): where the series stands
            "current_hour_start": utc_from_epoch_s(current).isoformat(),
            "aircraft_current_hour_so_far": len(self._open_buckets.get(current, ())),
            "recent_hours": [
                {"hour_start": utc_from_epoch_s(b.start_s).isoformat(), "aircraft": b.count}
                for b in list(self._series)[-6:]
            ],
        }
        if action is ChangeAction.CLOSE:
            details["closed_because"] = "traffic_recovered"
            summary = (
                f"traffic through {cfg.zone_id} recovered: {bucket.count} aircraft in the hour "
                f"from {hour:%H:%M}Z ({share:.0%} of the {baseline:.0f}/h baseline)"
            )
        else:
            summary = (
                f"traffic through {cfg.zone_id} collapsed: {bucket.count} aircraft in the hour "
                f"from {hour:%H:%M}Z against a baseline of {baseline:.0f}/h ({share:.0%})"
            )
        return IncidentChange(
            action=action,
            dedupe_key=self._key,
            kind=IncidentKind.TRAFFIC_COLLAPSE,
            severity=Severity.HIGH,
            at=hour,
            summary=summary,
            subject_kind="zone",
            subject_id=cfg.zone_id,
            zone_id=cfg.zone_id,
            details=details,
        )
