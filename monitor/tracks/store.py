"""Recent fixes per subject, with cross-feed fusion.

The same aircraft seen by OpenSky and by an ADS-B v2 aggregator is one track: fixes are
keyed by (subject kind, subject id). A fix at (nearly) the same time as the last accepted
one is a duplicate and dropped, unless it comes from a more precise source, which then
replaces it. Fixes older than the last accepted one are dropped as out of order.

Pure and in memory; the pipeline owns one instance.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from operator import attrgetter

from monitor.domain import Observation, SubjectKind

SubjectKey = tuple[str, str]

#: how precise a position source is; higher wins when two feeds report the same moment
DEFAULT_PRECISION: Mapping[str, int] = {
    "adsb": 50,
    "ais": 50,
    "adsc": 40,
    "mlat": 30,
    "flarm": 25,
    "asterix": 20,
    "tisb": 10,
    "other": 5,
}


#: SubjectKind -> its text, looked up once per fix instead of the enum's ``.value`` property
_KIND_TEXT: dict[str, str] = {k: k.value for k in SubjectKind}
_time_of = attrgetter("time")


def subject_key(obs: Observation) -> SubjectKey:
    return (obs.subject_kind.value, obs.subject_id)


@dataclass(slots=True)
class Track:
    key: SubjectKey
    #: oldest first, at most ``TrackStore.max_fixes`` (a list: a deque costs 760 bytes a
    #: track, which is ~100 MB at 150,000 subjects)
    fixes: list[Observation]
    first_seen: datetime
    fix_count: int = 0

    @property
    def last(self) -> Observation:
        return self.fixes[-1]


class TrackStore:
    """Recent fixes per subject.

    Parameters
    ----------
    max_fixes:
        Fixes kept per subject (older ones fall off).
    duplicate_window_s:
        Two fixes of one subject closer in time than this are the same report.
    idle_expiry_s:
        A subject not seen for this long is forgotten by :meth:`expire`.
    """

    def __init__(
        self,
        *,
        max_fixes: int = 8,
        duplicate_window_s: float = 2.0,
        idle_expiry_s: float = 6 * 3600.0,
        precision: Mapping[str, int] = DEFAULT_PRECISION,
    ) -> None:
        self.max_fixes = max_fixes
        self.duplicate_window_s = duplicate_window_s
        self.idle_expiry_s = idle_expiry_s
        self.precision = precision
        self._tracks: dict[SubjectKey, Track] = {}
        self.dropped: Counter[str] = Counter()

    def __len__(self) -> int:
        return len(self._tracks)

    def _rank(self, obs: Observation) -> int:
        return self.precision.get(obs.position_source or "other", 0)

    def ingest(self, observations: Iterable[Observation]) -> list[Observation]:
        """Add fixes (any order); returns the accepted ones in time order."""
        accepted: list[Observation] = []
        append = accepted.append
        window = timedelta(seconds=self.duplicate_window_s)
        neg_window = -window
        tracks = self._tracks
        get = tracks.get
        max_fixes = self.max_fixes
        for obs in sorted(observations, key=_time_of):
            kind = obs.subject_kind
            key = (_KIND_TEXT.get(kind) or kind.value, obs.subject_id)
            track = get(key)
            if track is None:
                tracks[key] = Track(key, [obs], obs.time, 1)
                append(obs)
                continue
            last = track.fixes[-1]
            dt = obs.time - last.time
            if dt < neg_window:
                self.dropped["out_of_order"] += 1
                continue
            if dt <= window:
                if self._rank(obs) > self._rank(last):
                    track.fixes[-1] = obs
                    accepted.append(obs)
                    self.dropped["replaced_by_more_precise"] += 1
                else:
                    self.dropped["duplicate"] += 1
                continue
            fixes = track.fixes
            fixes.append(obs)
            if len(fixes) > max_fixes:
                del fixes[0]
            track.fix_count += 1
            append(obs)
        return accepted

    def get(self, key: SubjectKey) -> Track | None:
        return self._tracks.get(key)

    def last(self, key: SubjectKey) -> Observation | None:
        track = self._tracks.get(key)
        return None if track is None else track.fixes[-1]

    def previous(self, obs: Observation) -> Observation | None:
        """The fix before ``obs`` in its track (``obs`` must be in the track)."""
        track = self._tracks.get(subject_key(obs))
        if track is None:
            return None
        fixes = track.fixes
        for i in range(len(fixes) - 1, 0, -1):
            if fixes[i] is obs:
                return fixes[i - 1]
        return None

    def tracks(self, subject_kind: str | None = None) -> Iterator[Track]:
        for key, track in self._tracks.items():
            if subject_kind is None or key[0] == subject_kind:
                yield track

    def expire(self, now: datetime) -> list[SubjectKey]:
        """Forget subjects idle for longer than ``idle_expiry_s``; returns their keys."""
        gone = [
            k
            for k, t in self._tracks.items()
            if (now - t.fixes[-1].time).total_seconds() > self.idle_expiry_s
        ]
        for k in gone:
            del self._tracks[k]
        return gone
