"""Per-subject geofencing: zones of each fix, and enter / inside / exit / cross transitions.

``Geofence(index, min_dwell_s=..., exit_grace_s=...)`` keeps, per subject
``(subject_kind, subject_id)``, its last fix and its relation to each zone (by
``zone_id``: a new version of a zone does not make the subject leave and re-enter it).
``evaluate(observations)`` takes one batch (several fixes per subject allowed; each
subject's fixes are taken in time order) and returns a :class:`GeofenceResult`.

Hysteresis, so a track jittering on a boundary does not flap:

* a subject first seen inside a zone is *pending*; the ``enter`` is confirmed at the first
  fix still inside at least ``min_dwell_s`` after the first inside fix (``entered_at``);
  an outside fix before that cancels it silently;
* once inside, each inside fix reports ``inside`` with ``dwell_s`` since ``entered_at``;
  an outside fix starts the exit; the ``exit`` is confirmed at the first fix still outside
  at least ``exit_grace_s`` after the first outside fix, and a fix back inside before that
  cancels it. The ``exit``'s ``at`` is the time of the first outside fix (when it left);
  an ``enter``'s ``at`` is the confirming fix's time.

``cross``: the straight segment from a subject's previous fix to this one passes through
a zone although both fixes are outside it (sparse feeds: a 480 kt aircraft moves 13 km
between 10 s polls), and the subject is not inside that zone already. Times and altitudes
of a segment are those of its later fix (the mean altitude when both are known).

A fix older than the subject's last fix is ignored and counted
(``GeofenceResult.ignored_out_of_order``); a fix with the same time is used.

Pure: observations in, values out; the state lives in the object.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

import numpy as np

from monitor.domain.observation import Observation
from monitor.domain.zone import STATUS_RANK, ZoneVersion
from monitor.geofence.index import ZoneIndex
from monitor.geofence.types import Transition, TransitionKind
from monitor.timeutil import utc_from_epoch_s

SubjectKey = tuple[str, str]


class Hits(NamedTuple):
    """Raw pairs from the index: every version in force containing each observation."""

    obs_idx: np.ndarray
    version_idx: np.ndarray


@dataclass
class GeofenceResult:
    """What one batch gave.

    Attributes
    ----------
    hits:
        ``(obs_idx, version_idx)`` from :meth:`ZoneIndex.contains` (all versions, not only
        the governing ones); ``version_idx`` indexes ``index.versions``.
    transitions:
        Confirmed ``enter`` / ``exit``, ``inside`` and ``cross``, in processing order
        (subject by subject, each in time order).
    ignored_out_of_order:
        Fixes older than their subject's last fix, not used for transitions.
    """

    index: ZoneIndex
    hits: Hits
    transitions: list[Transition]
    ignored_out_of_order: int
    _ptr: np.ndarray = field(repr=False)
    _governing: np.ndarray = field(repr=False)

    def zones_of(self, i: int) -> tuple[ZoneVersion, ...]:
        """The governing version of each zone containing observation ``i`` (by zone id)."""
        lo, hi = int(self._ptr[i]), int(self._ptr[i + 1])
        return tuple(self.index.versions[j] for j in self._governing[lo:hi])


@dataclass(slots=True)
class _ZoneState:
    confirmed: bool
    entered_at_s: float
    entered_at: datetime
    version: ZoneVersion
    exit_since_s: float | None = None
    exit_since: datetime | None = None


@dataclass(slots=True)
class _SubjectState:
    last_t_s: float
    last_lon: float
    last_lat: float
    last_alt_ft: float
    zones: dict[str, _ZoneState] = field(default_factory=dict)


class Geofence:
    """Per-subject zone membership with hysteresis (see the module docstring).

    Parameters
    ----------
    index:
        The zone index (replace it with :meth:`use_index` when zones change).
    min_dwell_s:
        Seconds a subject must stay inside before an ``enter`` is confirmed (0: at once).
    exit_grace_s:
        Seconds a subject must stay outside before an ``exit`` is confirmed (0: at once).
    """

    def __init__(self, index: ZoneIndex, *, min_dwell_s: float, exit_grace_s: float) -> None:
        if min_dwell_s < 0 or exit_grace_s < 0:
            raise ValueError("min_dwell_s and exit_grace_s must be >= 0")
        self.min_dwell_s = float(min_dwell_s)
        self.exit_grace_s = float(exit_grace_s)
        self._subjects: dict[SubjectKey, _SubjectState] = {}
        self.use_index(index)

    def use_index(self, index: ZoneIndex) -> None:
        """Switch to a new index (zones declared or lifted); subject state is kept."""
        self.index = index
        zone_ids = sorted({v.zone_id for v in index.versions})
        code = {z: i for i, z in enumerate(zone_ids)}
        self._zone_code = np.array([code[v.zone_id] for v in index.versions], np.int64)
        rank_key = [(STATUS_RANK[v.status], _ts(v.valid_from), v.version) for v in index.versions]
        order = sorted(range(len(rank_key)), key=rank_key.__getitem__)
        rank = np.empty(len(order), np.int64)
        rank[order] = np.arange(len(order))
        self._rank = rank

    def replace_zones(self, versions: Sequence[ZoneVersion]) -> None:
        """Rebuild the index from every version (lifted ones included); state is kept."""
        self.use_index(ZoneIndex(versions))

    @property
    def subject_count(self) -> int:
        return len(self._subjects)

    def prune(self, before: datetime) -> int:
        """Forget subjects whose last fix is older than ``before``; return how many."""
        cut = before.timestamp()
        stale = [k for k, s in self._subjects.items() if s.last_t_s < cut]
        for k in stale:
            del self._subjects[k]
        return len(stale)

    def evaluate(self, observations: Sequence[Observation]) -> GeofenceResult:
        """Geofence one batch and update the per-subject state."""
        n = len(observations)
        # one pass over the fixes for every column (attribute access dominates here)
        lon_l: list[float] = []
        lat_l: list[float] = []
        t_l: list[float] = []
        alt_l: list[float] = []
        air_l: list[bool] = []
        keys: list[SubjectKey] = []
        nan = math.nan
        for o in observations:
            kind = o.subject_kind
            lon_l.append(o.lon)
            lat_l.append(o.lat)
            t_l.append(o.time.timestamp())
            a = o.altitude_ft
            if a is None:
                a = o.geo_altitude_ft
            alt_l.append(nan if a is None else float(a))
            air_l.append(kind == "aircraft")
            keys.append((kind, o.subject_id))
        lon = np.array(lon_l, np.float64)
        lat = np.array(lat_l, np.float64)
        t = np.array(t_l, np.float64)
        alt = np.array(alt_l, np.float64)
        air = np.array(air_l, bool)
        obs_idx, ver_idx = self.index.contains(lon, lat, alt, t, air)
        ptr, governing = self._governing(n, obs_idx, ver_idx)
        ptr_l = ptr.tolist()
        gov_l = governing.tolist()

        # each subject's fixes in time order; older than the state's last fix: ignored
        subjects = self._subjects
        codes: dict[SubjectKey, int] = {}
        setdefault = codes.setdefault
        subject = np.array([setdefault(k, len(codes)) for k in keys], np.int64)
        order = np.lexsort((t, subject)).tolist() if n else []
        accepted: list[int] = []
        prev_of: dict[int, int | None] = {}
        ignored = 0
        last_key: SubjectKey | None = None
        last_i: int | None = None
        get_state = subjects.get
        for i in order:
            key = keys[i]
            state = get_state(key)
            if state is not None and t_l[i] < state.last_t_s:
                ignored += 1
                continue
            prev_of[i] = last_i if key == last_key else None
            last_key, last_i = key, i
            accepted.append(i)

        crosses = self._crossings(accepted, prev_of, keys, lon, lat, t, alt, air)
        versions = self.index.versions
        transitions: list[Transition] = []
        step = self._step
        for i in accepted:
            key = keys[i]
            t_i = t_l[i]
            state = get_state(key)
            if state is None:
                state = _SubjectState(t_i, lon_l[i], lat_l[i], alt_l[i])
                subjects[key] = state
            lo, hi = ptr_l[i], ptr_l[i + 1]
            crossed = crosses.get(i) if crosses else None
            if lo == hi and not state.zones and crossed is None:
                # the common case: outside every zone, in none before, nothing crossed
                state.last_t_s, state.last_lon, state.last_lat = t_i, lon_l[i], lat_l[i]
                state.last_alt_ft = alt_l[i]
                continue
            obs = observations[i]
            current = {versions[j].zone_id: versions[j] for j in gov_l[lo:hi]}
            if crossed is not None:
                for zone_id, (zone, info) in crossed.items():
                    zs = state.zones.get(zone_id)
                    if zs is None or not zs.confirmed:
                        transitions.append(self._cross(obs, i, zone, info))
            if current or state.zones:
                step(state, current, obs, i, t_i, transitions)
            state.last_t_s, state.last_lon, state.last_lat = t_i, lon_l[i], lat_l[i]
            state.last_alt_ft = alt_l[i]
        return GeofenceResult(
            index=self.index,
            hits=Hits(obs_idx, ver_idx),
            transitions=transitions,
            ignored_out_of_order=ignored,
            _ptr=ptr,
            _governing=governing,
        )

    # ---------------------------------------------------------------- internals
    def _step(
        self,
        state: _SubjectState,
        current: dict[str, ZoneVersion],
        obs: Observation,
        i: int,
        t: float,
        out: list[Transition],
    ) -> None:
        zones = state.zones
        for zone_id, version in current.items():
            zs = zones.get(zone_id)
            if zs is None:
                zs = _ZoneState(False, t, obs.time, version)
                zones[zone_id] = zs
            zs.version = version
            if not zs.confirmed:
                if t - zs.entered_at_s >= self.min_dwell_s:
                    zs.confirmed = True
                    out.append(self._transition(TransitionKind.ENTER, obs, i, zs, obs.time, t))
            else:
                zs.exit_since_s = None
                zs.exit_since = None
                out.append(self._transition(TransitionKind.INSIDE, obs, i, zs, obs.time, t))
        if len(zones) == len(current):
            return
        for zone_id in [z for z in zones if z not in current]:
            zs = zones[zone_id]
            if not zs.confirmed:
                del zones[zone_id]
                continue
            if zs.exit_since_s is None:
                zs.exit_since_s = t
                zs.exit_since = obs.time
            if t - zs.exit_since_s >= self.exit_grace_s:
                assert zs.exit_since is not None
                out.append(
                    self._transition(
                        TransitionKind.EXIT, obs, i, zs, zs.exit_since, zs.exit_since_s
                    )
                )
                del zones[zone_id]

    @staticmethod
    def _transition(
        kind: TransitionKind,
        obs: Observation,
        i: int,
        zs: _ZoneState,
        at: datetime,
        at_s: float,
    ) -> Transition:
        return Transition(
            kind=kind,
            subject_kind=obs.subject_kind,
            subject_id=obs.subject_id,
            zone=zs.version,
            at=at,
            obs_index=i,
            dwell_s=max(0.0, at_s - zs.entered_at_s),
            entered_at=zs.entered_at,
        )

    def _cross(
        self,
        obs: Observation,
        i: int,
        zone: ZoneVersion,
        info: tuple[float, float, float, float, float],
    ) -> Transition:
        prev_lon, prev_lat, prev_t, cross_lon, cross_lat = info
        return Transition(
            kind=TransitionKind.CROSS,
            subject_kind=obs.subject_kind,
            subject_id=obs.subject_id,
            zone=zone,
            at=obs.time,
            obs_index=i,
            prev_lon=prev_lon,
            prev_lat=prev_lat,
            prev_at=utc_from_epoch_s(prev_t),
            crossing_lon=cross_lon,
            crossing_lat=cross_lat,
        )

    def _crossings(
        self,
        accepted: list[int],
        prev_of: dict[int, int | None],
        keys: list[SubjectKey],
        lon: np.ndarray,
        lat: np.ndarray,
        t: np.ndarray,
        alt: np.ndarray,
        air: np.ndarray,
    ) -> dict[int, dict[str, tuple[ZoneVersion, tuple[float, float, float, float, float]]]]:
        """Per accepted fix, per zone id crossed since the previous fix: the governing
        version and (previous lon, lat, time, crossing lon, lat)."""
        seg_obs: list[int] = []
        x0: list[float] = []
        y0: list[float] = []
        t0: list[float] = []
        a0: list[float] = []
        # plain lists: indexing a numpy array per fix makes a numpy scalar each time
        lon_l, lat_l, t_l, alt_l = lon.tolist(), lat.tolist(), t.tolist(), alt.tolist()
        get_state = self._subjects.get
        for i in accepted:
            p = prev_of[i]
            if p is not None:
                seg_obs.append(i)
                x0.append(lon_l[p])
                y0.append(lat_l[p])
                t0.append(t_l[p])
                a0.append(alt_l[p])
                continue
            state = get_state(keys[i])
            if state is not None:
                seg_obs.append(i)
                x0.append(state.last_lon)
                y0.append(state.last_lat)
                t0.append(state.last_t_s)
                a0.append(state.last_alt_ft)
        if not seg_obs:
            return {}
        cur = np.asarray(seg_obs)
        prev_alt = np.asarray(a0, dtype=np.float64)
        seg_alt = np.where(np.isnan(prev_alt), alt[cur], (prev_alt + alt[cur]) / 2.0)
        seg_alt = np.where(np.isnan(alt[cur]), np.nan, seg_alt)
        seg, ver, cx, cy = self.index.crossings(
            np.asarray(x0), np.asarray(y0), lon[cur], lat[cur], t[cur], seg_alt, air[cur]
        )
        out: dict[int, dict[str, tuple[ZoneVersion, tuple[float, float, float, float, float]]]] = {}
        best: dict[tuple[int, str], int] = {}
        for k, (s, v) in enumerate(zip(seg.tolist(), ver.tolist(), strict=True)):
            zone_id = self.index.versions[v].zone_id
            held = best.get((s, zone_id))
            if held is None or self._rank[v] > self._rank[ver[held]]:
                best[(s, zone_id)] = k
        for (s, _zone_id), k in best.items():
            i = int(cur[s])
            version = self.index.versions[int(ver[k])]
            out.setdefault(i, {})[version.zone_id] = (
                version,
                (float(x0[s]), float(y0[s]), float(t0[s]), float(cx[k]), float(cy[k])),
            )
        return out

    def _governing(
        self, n: int, obs_idx: np.ndarray, ver_idx: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Per observation, the most restrictive version of each zone (CSR by obs)."""
        if len(obs_idx) == 0:
            return np.zeros(n + 1, np.int64), np.zeros(0, np.int32)
        zone = self._zone_code[ver_idx]
        order = np.lexsort((self._rank[ver_idx], zone, obs_idx))
        o, z, v = obs_idx[order], zone[order], ver_idx[order]
        last = np.r_[(o[1:] != o[:-1]) | (z[1:] != z[:-1]), True]
        o, v = o[last], v[last]
        ptr = np.r_[0, np.cumsum(np.bincount(o, minlength=n))].astype(np.int64)
        return ptr, v.astype(np.int32)


def _altitude(o: Observation) -> float:
    if o.altitude_ft is not None:
        return float(o.altitude_ft)
    if o.geo_altitude_ft is not None:
        return float(o.geo_altitude_ft)
    return math.nan


def _ts(t: datetime | None) -> float:
    return -math.inf if t is None else t.timestamp()
