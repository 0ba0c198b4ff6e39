"""A snapshot of live positions for the map, swapped atomically after each batch.

The pipeline writes, web handlers read from another thread: readers only ever see a
complete, immutable snapshot.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from monitor.domain import Observation

if TYPE_CHECKING:
    from monitor.tracks import TrackStore


@dataclass(frozen=True)
class LiveSnapshot:
    at: datetime | None = None
    aircraft: tuple[Observation, ...] = ()
    vessels: tuple[Observation, ...] = ()
    version: int = 0
    changed: frozenset[tuple[str, str]] = field(default_factory=frozenset)


class LiveView:
    def __init__(self, *, max_age_s: float = 1800.0) -> None:
        self.max_age_s = max_age_s
        self.snapshot = LiveSnapshot()

    def publish(
        self, tracks: TrackStore, now: datetime, accepted: Sequence[Observation]
    ) -> None:
        aircraft = []
        vessels = []
        cut = now.timestamp() - self.max_age_s
        for track in tracks.tracks():
            if track.last_t_s < cut:
                continue
            (aircraft if track.key[0] == "aircraft" else vessels).append(track.last)
        # SubjectKind is a StrEnum: the member is equal to (and hashes as) its value
        changed = frozenset(zip([o.subject_kind for o in accepted], [o.subject_id for o in accepted]))
        self.snapshot = LiveSnapshot(
            now, tuple(aircraft), tuple(vessels), self.snapshot.version + 1, changed
        )
