"""A snapshot of live positions for the map, swapped atomically after each batch.

The pipeline writes, web handlers read from another thread: readers only ever see a
complete, immutable snapshot.

The view keeps the latest fix of every subject heard within ``max_age_s``, updated from
each batch's accepted fixes with C-level dict updates, so publishing costs about the batch
plus one copy of the latest fixes, not a walk over every track (150,000 of them at world
scale) after every batch.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter

from monitor.detectors.base import DetectionBatch
from monitor.domain import Observation


@dataclass(frozen=True)
class LiveSnapshot:
    at: datetime | None = None
    aircraft: tuple[Observation, ...] = ()
    vessels: tuple[Observation, ...] = ()
    version: int = 0


class _Latest:
    """Latest fix and its epoch seconds per subject id, updated a batch at a time."""

    __slots__ = ("fixes", "t_s")

    def __init__(self) -> None:
        self.fixes: dict[str, Observation] = {}
        self.t_s: dict[str, float] = {}

    def put(self, observations: Sequence[Observation], t_s: Sequence[float], index: list[int]) -> None:
        """Take the fixes at ``index`` (time order: a later fix of a subject wins)."""
        if not index:
            return
        if len(index) == 1:
            fixes: Sequence[Observation] = [observations[index[0]]]
            times: Sequence[float] = [t_s[index[0]]]
        else:
            pick = itemgetter(*index)
            fixes, times = pick(observations), pick(t_s)
        ids = [o.subject_id for o in fixes]
        self.fixes.update(zip(ids, fixes, strict=True))
        self.t_s.update(zip(ids, times, strict=True))

    def expire(self, cut_s: float) -> None:
        """Forget the subjects last heard before ``cut_s``."""
        t_s = self.t_s
        for sid in [sid for sid, t in t_s.items() if t < cut_s]:
            del t_s[sid]
            del self.fixes[sid]


class LiveView:
    """The live positions. Subjects unheard for ``max_age_s`` leave the view at the next
    sweep, which runs every ``sweep_every_s`` of data time (a walk over every subject:
    not after each batch)."""

    def __init__(self, *, max_age_s: float = 1800.0, sweep_every_s: float = 30.0) -> None:
        self.max_age_s = max_age_s
        self.sweep_every_s = sweep_every_s
        self.snapshot = LiveSnapshot()
        self._aircraft = _Latest()
        self._vessels = _Latest()
        self._swept_s = -math.inf

    def publish(self, now: datetime, batch: DetectionBatch) -> None:
        """Take a batch's accepted fixes and publish the snapshot at ``now``: every subject
        heard in the last ``max_age_s`` (give or take ``sweep_every_s``)."""
        obs, t_s = batch.observations, batch.t_s
        self._aircraft.put(obs, t_s, batch.aircraft_index)
        self._vessels.put(obs, t_s, batch.vessel_index)
        now_s = now.timestamp()
        if now_s - self._swept_s >= self.sweep_every_s:
            self._swept_s = now_s
            cut = now_s - self.max_age_s
            self._aircraft.expire(cut)
            self._vessels.expire(cut)
        self.snapshot = LiveSnapshot(
            now,
            tuple(self._aircraft.fixes.values()),
            tuple(self._vessels.fixes.values()),
            self.snapshot.version + 1,
        )
