"""A snapshot of live positions for the map, for readers on other threads.

The pipeline writes, web handlers read from another thread: readers only ever see a
complete, immutable snapshot.

The view keeps the latest fix of every subject heard within ``max_age_s``, updated from
each batch's accepted fixes with C-level dict updates. The snapshot (a copy of every latest
fix: 150,000 of them at world scale) is built when a reader asks for it and the view has
changed since the last one, not after every batch: the cost follows the readers (the map
polls a few times a second), not the batch rate (several batches a second in a replay), and
a replay nobody watches copies nothing. A lock keeps a reader's copy and the pipeline's
update from interleaving.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from operator import itemgetter

from monitor.detectors.base import DetectionBatch
from monitor.domain import Observation


@dataclass(frozen=True)
class LiveSnapshot:
    at: datetime | None = None
    aircraft: tuple[Observation, ...] = ()
    vessels: tuple[Observation, ...] = ()
    version: int = 0


def _put(latest: dict[str, Observation], observations: Sequence[Observation], index: list[int]) -> None:
    """Take the fixes at ``index`` (time order: a later fix of a subject wins)."""
    if not index:
        return
    if len(index) == 1:
        fixes: Sequence[Observation] = [observations[index[0]]]
    else:
        fixes = itemgetter(*index)(observations)
    latest.update(zip([o.subject_id for o in fixes], fixes, strict=True))


def _expire(latest: dict[str, Observation], cut: datetime) -> None:
    """Forget the subjects last heard before ``cut``."""
    for sid in [sid for sid, o in latest.items() if o.time < cut]:
        del latest[sid]


class LiveView:
    """The live positions. Subjects unheard for ``max_age_s`` leave the view at the next
    sweep, which runs every ``sweep_every_s`` of data time (a walk over every subject:
    not after each batch)."""

    def __init__(self, *, max_age_s: float = 1800.0, sweep_every_s: float = 30.0) -> None:
        self.max_age_s = max_age_s
        self.sweep_every_s = sweep_every_s
        self._lock = threading.Lock()
        self._aircraft: dict[str, Observation] = {}
        self._vessels: dict[str, Observation] = {}
        self._at: datetime | None = None
        self._version = 0
        self._built = LiveSnapshot()
        self._swept_s = -math.inf

    def publish(self, now: datetime, batch: DetectionBatch) -> None:
        """Take a batch's accepted fixes: the view at ``now`` holds every subject heard in
        the last ``max_age_s`` (give or take ``sweep_every_s``)."""
        obs = batch.observations
        now_s = now.timestamp()
        with self._lock:
            _put(self._aircraft, obs, batch.aircraft_index)
            _put(self._vessels, obs, batch.vessel_index)
            if now_s - self._swept_s >= self.sweep_every_s:
                self._swept_s = now_s
                cut = now - timedelta(seconds=self.max_age_s)
                _expire(self._aircraft, cut)
                _expire(self._vessels, cut)
            self._at = now
            self._version += 1

    @property
    def snapshot(self) -> LiveSnapshot:
        """The view as of the latest publish (built now if it changed since last asked)."""
        built = self._built
        if built.version == self._version:
            return built
        with self._lock:
            if self._built.version != self._version:
                self._built = LiveSnapshot(
                    self._at,
                    tuple(self._aircraft.values()),
                    tuple(self._vessels.values()),
                    self._version,
                )
            return self._built

    @snapshot.setter
    def snapshot(self, snap: LiveSnapshot) -> None:
        """Replace the view with ``snap`` (a producer other than the pipeline)."""
        with self._lock:
            self._aircraft = {o.subject_id: o for o in snap.aircraft}
            self._vessels = {o.subject_id: o for o in snap.vessels}
            self._at = snap.at
            self._version = snap.version
            self._built = snap
