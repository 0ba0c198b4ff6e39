"""Recent fixes per subject, with cross-feed fusion.

The same aircraft seen by OpenSky and by an ADS-B v2 aggregator is one track: fixes are
keyed by (subject kind, subject id). A fix at (nearly) the same time as the last accepted
one is a duplicate and dropped, unless it comes from a more precise source, which then
replaces it. Fixes older than the last accepted one are dropped as out of order.

Pure and in memory; the pipeline owns one instance.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from monitor.domain import Observation, SubjectKind
from monitor.geo import M_PER_DEG_ARC
from monitor.tracks.split import TransmitterRule

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


#: the default rule for splitting a vessel's fixes between two transmitters
DEFAULT_TRANSMITTERS = TransmitterRule()

#: SubjectKind -> its text, looked up once per fix instead of the enum's ``.value`` property
_KIND_TEXT: dict[str, str] = {k: k.value for k in SubjectKind}
#: numbers kept per fix in :attr:`Track.history`
_PER_FIX = 3


def subject_key(obs: Observation) -> SubjectKey:
    return (obs.subject_kind.value, obs.subject_id)


class Fix(NamedTuple):
    """A kept fix of a track: epoch seconds and WGS84 position."""

    t_s: float
    lon: float
    lat: float


@dataclass(slots=True)
class Track:
    """One subject's recent fixes.

    Only the latest fix is kept whole (:attr:`last`); the ``TrackStore.max_fixes`` most
    recent ones (the latest included) are kept compactly as (epoch s, lon, lat) in one
    flat ``array('d')`` (:attr:`history`, oldest first): 24 doubles instead of 8 full
    observations, which is what makes 150,000 tracked subjects fit in memory.
    """

    key: SubjectKey
    last: Observation
    first_seen: datetime
    fix_count: int
    #: t_s, lon, lat of each kept fix, oldest first
    history: array[float]
    last_t_s: float
    #: a vessel only: the fixes of the *other* transmitter of its MMSI (same layout), when
    #: two places no vessel could join report it (see :class:`TrackStore`); ``history``
    #: is always the transmitter of :attr:`last`
    other: array[float] | None = None

    @property
    def fixes(self) -> list[Fix]:
        """The kept fixes, oldest first (the last one is :attr:`last`)."""
        h = self.history
        return [Fix(h[i], h[i + 1], h[i + 2]) for i in range(0, len(h), _PER_FIX)]

    def __len__(self) -> int:
        return len(self.history) // _PER_FIX


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
    transmitters:
        When a vessel's fix lies where its track could not have gone (two transmitters
        sharing one MMSI, or a displaced position), the fix starts or continues a second
        sub-track (:attr:`Track.other`) instead of joining a zig-zag: each fix goes to the
        sub-track it can have come from, so :attr:`Track.fixes` and :meth:`previous`
        follow one transmitter, and two transmitters reporting within the duplicate window
        are both kept. ``None`` turns this off. SAR aircraft (``111MID``) are never split.
    """

    def __init__(
        self,
        *,
        max_fixes: int = 8,
        duplicate_window_s: float = 2.0,
        idle_expiry_s: float = 6 * 3600.0,
        precision: Mapping[str, int] = DEFAULT_PRECISION,
        transmitters: TransmitterRule | None = DEFAULT_TRANSMITTERS,
    ) -> None:
        if max_fixes < 1:
            raise ValueError(f"max_fixes must be >= 1, got {max_fixes}")
        self.max_fixes = max_fixes
        self.duplicate_window_s = duplicate_window_s
        self.idle_expiry_s = idle_expiry_s
        self.precision = precision
        self.transmitters = transmitters
        self._tracks: dict[SubjectKey, Track] = {}
        self.dropped: Counter[str] = Counter()
        #: fixes that started a vessel's other sub-track (a place its track could not reach)
        self.splits = 0

    def __len__(self) -> int:
        return len(self._tracks)

    def counts(self) -> Counter[str]:
        """Tracked subjects by kind (``aircraft``, ``vessel``)."""
        return Counter(key[0] for key in self._tracks)

    def _rank(self, obs: Observation) -> int:
        return self.precision.get(obs.position_source or "other", 0)

    def ingest(self, observations: Iterable[Observation]) -> list[Observation]:
        """Add fixes (any order); returns the accepted ones in time order."""
        return self.ingest_timed(observations)[0]

    def ingest_timed(
        self, observations: Iterable[Observation]
    ) -> tuple[list[Observation], list[float]]:
        """Add fixes (any order); returns the accepted ones in time order, and the epoch
        seconds of each (so later stages need not convert times again)."""
        accepted: list[Observation] = []
        accepted_t: list[float] = []
        append = accepted.append
        append_t = accepted_t.append
        window = self.duplicate_window_s
        tracks = self._tracks
        get = tracks.get
        keep = self.max_fixes * _PER_FIX
        obs_list = list(observations)
        times = [o.time.timestamp() for o in obs_list]
        order = sorted(range(len(obs_list)), key=times.__getitem__)
        kind_text = _KIND_TEXT
        dropped = self.dropped
        rule = self.transmitters
        vessel = SubjectKind.VESSEL
        #: nearer than this (|dlat| + |dlon|, degrees) is never a split: no trigonometry, no call
        near_deg = rule.min_split_m / M_PER_DEG_ARC if rule is not None else math.inf
        for j in order:
            obs = obs_list[j]
            t = times[j]
            kind = obs.subject_kind
            key = (kind_text.get(kind) or kind.value, obs.subject_id)
            track = get(key)
            if track is None:
                tracks[key] = Track(key, obs, obs.time, 1, array("d", (t, obs.lon, obs.lat)), t)
                append(obs)
                append_t(t)
                continue
            dt = t - track.last_t_s
            if dt < -window:
                dropped["out_of_order"] += 1
                continue
            h = track.history
            if (
                kind is vessel
                and abs(obs.lat - h[-1]) + abs(obs.lon - h[-2]) > near_deg
                and rule is not None
                and not rule.reachable(h[-3], h[-2], h[-1], t, obs.lon, obs.lat)
                and not obs.subject_id.startswith("111")
            ):
                other = track.other
                if other is not None and rule.reachable(other[-3], other[-2], other[-1], t, obs.lon, obs.lat):
                    if t - other[-3] <= window:
                        dropped["duplicate"] += 1
                        continue
                    track.other, track.history = h, other  # back to the other transmitter
                    h = other
                    h.append(t)
                    h.append(obs.lon)
                    h.append(obs.lat)
                    if len(h) > keep:
                        del h[:_PER_FIX]
                else:
                    track.other = h
                    track.history = array("d", (t, obs.lon, obs.lat))
                    self.splits += 1
                track.last = obs
                track.last_t_s = t
                track.fix_count += 1
                append(obs)
                append_t(t)
                continue
            if dt <= window:
                if self._rank(obs) > self._rank(track.last):
                    track.last = obs
                    h[-3], h[-2], h[-1] = t, obs.lon, obs.lat
                    track.last_t_s = t
                    append(obs)
                    append_t(t)
                    dropped["replaced_by_more_precise"] += 1
                else:
                    dropped["duplicate"] += 1
                continue
            h.append(t)
            h.append(obs.lon)
            h.append(obs.lat)
            if len(h) > keep:
                del h[:_PER_FIX]
            track.last = obs
            track.last_t_s = t
            track.fix_count += 1
            append(obs)
            append_t(t)
        return accepted, accepted_t

    def get(self, key: SubjectKey) -> Track | None:
        return self._tracks.get(key)

    def last(self, key: SubjectKey) -> Observation | None:
        track = self._tracks.get(key)
        return None if track is None else track.last

    def previous(self, obs: Observation) -> Fix | None:
        """The kept fix before ``obs`` in its track (``obs`` must be in the track); for a
        vessel heard from two places, the latest kept fix of either before ``obs``."""
        track = self._tracks.get(subject_key(obs))
        if track is None:
            return None
        t = obs.time.timestamp()
        h = track.history
        other = track.other
        if other is None:
            for i in range(len(h) - _PER_FIX, 0, -_PER_FIX):
                if h[i] == t:
                    return Fix(h[i - 3], h[i - 2], h[i - 1])
            return None
        # two transmitters: the MMSI's fix before ``obs`` in time, whichever sent it (a
        # detector checking the move that made a zone transition sees the jump)
        best: Fix | None = None
        for sub in (h, other):
            for i in range(len(sub) - _PER_FIX, -1, -_PER_FIX):
                if sub[i] < t:
                    if best is None or sub[i] > best.t_s:
                        best = Fix(sub[i], sub[i + 1], sub[i + 2])
                    break
        return best

    def tracks(self, subject_kind: str | None = None) -> Iterator[Track]:
        for key, track in self._tracks.items():
            if subject_kind is None or key[0] == subject_kind:
                yield track

    def expire(self, now: datetime) -> list[SubjectKey]:
        """Forget subjects idle for longer than ``idle_expiry_s``; returns their keys."""
        cut = now.timestamp() - self.idle_expiry_s
        gone = [k for k, t in self._tracks.items() if t.last_t_s < cut]
        for k in gone:
            del self._tracks[k]
        return gone
