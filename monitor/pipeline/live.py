"""A snapshot of live positions for the map, swapped atomically after each batch.

The pipeline writes, web handlers read from another thread: readers only ever see a
complete, immutable snapshot.

The view keeps the latest fix of every subject heard within ``max_age_s``, updated from
each batch's accepted fixes only, so publishing costs the batch plus one C-level copy of
the latest fixes, not a walk over every track (150,000 of them at world scale).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from monitor.domain import Observation, SubjectKind


@dataclass(frozen=True)
class LiveSnapshot:
    at: datetime | None = None
    aircraft: tuple[Observation, ...] = ()
    vessels: tuple[Observation, ...] = ()
    version: int = 0


class _Latest:
    """Latest fix per subject id, least recently heard first (a fix moves its subject to
    the end), so the fixes older than the age limit are found at the front."""

    __slots__ = ("fixes", "t_s")

    def __init__(self) -> None:
        self.fixes: dict[str, Observation] = {}
        #: epoch seconds of each fix in ``fixes``, in the same order
        self.t_s: dict[str, float] = {}

    def put(self, obs: Observation, t_s: float) -> None:
        sid = obs.subject_id
        fixes = self.fixes
        if sid in fixes:
            del fixes[sid]
            del self.t_s[sid]
        fixes[sid] = obs
        self.t_s[sid] = t_s

    def expire(self, cut_s: float) -> None:
        """Forget the subjects last heard before ``cut_s``. The order is that of arrival:
        a fix that arrived late (older than one already here) is forgotten once the fixes
        before it are, a few seconds late at most."""
        t_s = self.t_s
        fixes = self.fixes
        while t_s:
            sid, t = next(iter(t_s.items()))
            if t >= cut_s:
                break
            del t_s[sid]
            del fixes[sid]


class LiveView:
    def __init__(self, *, max_age_s: float = 1800.0) -> None:
        self.max_age_s = max_age_s
        self.snapshot = LiveSnapshot()
        self._aircraft = _Latest()
        self._vessels = _Latest()

    def publish(
        self, now: datetime, accepted: Sequence[Observation], t_s: Sequence[float]
    ) -> None:
        """Take a batch's accepted fixes (time order, with their epoch seconds) and publish
        the snapshot at ``now``: every subject heard in the last ``max_age_s``."""
        aircraft = self._aircraft
        vessels = self._vessels
        for obs, t in zip(accepted, t_s, strict=True):
            (aircraft if obs.subject_kind is SubjectKind.AIRCRAFT else vessels).put(obs, t)
        cut = now.timestamp() - self.max_age_s
        aircraft.expire(cut)
        vessels.expire(cut)
        self.snapshot = LiveSnapshot(
            now,
            tuple(aircraft.fixes.values()),
            tuple(vessels.fixes.values()),
            self.snapshot.version + 1,
        )
