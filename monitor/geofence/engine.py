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
from collections.abc import Callable, Sequence
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


#: the zones of a fix in no zone (shared, so a batch costs no tuple per fix)
_NO_ZONES: tuple[ZoneVersion, ...] = ()


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
    zones:
        Per observation, the governing version of each zone containing it (by zone id;
        the shared empty tuple for a fix in no zone).
    """

    index: ZoneIndex
    hits: Hits
    transitions: list[Transition]
    ignored_out_of_order: int
    zones: list[tuple[ZoneVersion, ...]] = field(repr=False)

    def zones_of(self, i: int) -> tuple[ZoneVersion, ...]:
        """The governing version of each zone containing observation ``i`` (by zone id)."""
        return self.zones[i]


@dataclass(slots=True)
class _ZoneState:
    confirmed: bool
    entered_at_s: float
    entered_at: datetime
    version: ZoneVersion
    exit_since_s: float | None = None
    exit_since: datetime | None = None


class Geofence:
    """Per-subject zone membership with hysteresis (see the module docstring).

    Subject state is columnar: each subject has a slot, and its last fix (time, lon, lat,
    altitude) lives in numpy arrays indexed by slot, so a batch updates it in a few array
    operations; only the subjects inside (or just leaving) a zone have per-zone state (a
    dict by slot). A batch runs Python code per fix only for the fixes of those subjects
    and of subjects that crossed a zone.

    Parameters
    ----------
    index:
        The zone index (replace it with :meth:`use_index` when zones change).
    min_dwell_s:
        Seconds a subject must stay inside before an ``enter`` is confirmed (0: at once).
    exit_grace_s:
        Seconds a subject must stay outside before an ``exit`` is confirmed (0: at once).
    """

    def __init__(
        self,
        index: ZoneIndex,
        *,
        min_dwell_s: float,
        exit_grace_s: float,
        transitions_for: Callable[[ZoneVersion], bool] | None = None,
    ) -> None:
        if min_dwell_s < 0 or exit_grace_s < 0:
            raise ValueError("min_dwell_s and exit_grace_s must be >= 0")
        self.min_dwell_s = float(min_dwell_s)
        self.exit_grace_s = float(exit_grace_s)
        #: which zone versions get transitions and per-subject zone state (None: all);
        #: containment (``GeofenceResult.zones``) always covers every zone
        self.transitions_for = transitions_for
        #: subject key -> slot in the columns below
        self._slot: dict[SubjectKey, int] = {}
        self._key_of: list[SubjectKey | None] = []
        self._free: list[int] = []
        self._last_t = np.zeros(0)
        self._last_lon = np.zeros(0)
        self._last_lat = np.zeros(0)
        self._last_alt = np.zeros(0)
        #: slot -> zone id -> state, only for subjects in (or pending / leaving) a zone
        self._zone_states: dict[int, dict[str, _ZoneState]] = {}
        self.use_index(index)

    def use_index(self, index: ZoneIndex) -> None:
        """Switch to a new index (zones declared or lifted); subject state is kept."""
        self.index = index
        #: governing version indices of a fix -> their versions, and those of them that
        #: get transitions (shared tuples)
        self._combos: dict[
            tuple[int, ...], tuple[tuple[ZoneVersion, ...], tuple[ZoneVersion, ...]]
        ] = {}
        zone_ids = sorted({v.zone_id for v in index.versions})
        code = {z: i for i, z in enumerate(zone_ids)}
        self._zone_code = np.array([code[v.zone_id] for v in index.versions], np.int64)
        rank_key = [(STATUS_RANK[v.status], _ts(v.valid_from), v.version) for v in index.versions]
        order = sorted(range(len(rank_key)), key=rank_key.__getitem__)
        rank = np.empty(len(order), np.int64)
        rank[order] = np.arange(len(order))
        self._rank = rank
        keep = self.transitions_for
        self._watched = np.array(
            [True if keep is None else bool(keep(v)) for v in index.versions], bool
        )

    def replace_zones(self, versions: Sequence[ZoneVersion]) -> None:
        """Rebuild the index from every version (lifted ones included); state is kept."""
        self.use_index(ZoneIndex(versions))

    @property
    def subject_count(self) -> int:
        return len(self._slot)

    @property
    def zone_state_count(self) -> int:
        """Subjects holding per-zone state (inside, pending or leaving a zone)."""
        return len(self._zone_states)

    def prune(self, before: datetime) -> int:
        """Forget subjects whose last fix is older than ``before``; return how many."""
        cut = before.timestamp()
        used = np.fromiter(self._slot.values(), np.int64, len(self._slot))
        stale = used[self._last_t[used] < cut].tolist()
        key_of = self._key_of
        for s in stale:
            key = key_of[s]
            assert key is not None
            del self._slot[key]
            key_of[s] = None
            self._zone_states.pop(s, None)
            self._last_t[s] = -math.inf
        self._free.extend(stale)
        return len(stale)

    def _slots(self, keys: list[SubjectKey]) -> np.ndarray:
        """The slot of each key, new subjects given one (their last time is -inf)."""
        get = self._slot.get
        slots = [get(k, -1) for k in keys]
        if -1 in slots:
            slot_of = self._slot
            for j, s in enumerate(slots):
                if s != -1:
                    continue
                key = keys[j]
                s = slot_of.get(key, -1)
                if s == -1:
                    s = self._new_slot(key)
                slots[j] = s
        return np.array(slots, np.int64)

    def _new_slot(self, key: SubjectKey) -> int:
        if self._free:
            s = self._free.pop()
            self._key_of[s] = key
        else:
            s = len(self._key_of)
            self._key_of.append(key)
            if s >= len(self._last_t):
                grow = max(1024, 2 * len(self._last_t))
                self._last_t = np.concatenate([self._last_t, np.full(grow, -math.inf)])
                self._last_lon = np.concatenate([self._last_lon, np.zeros(grow)])
                self._last_lat = np.concatenate([self._last_lat, np.zeros(grow)])
                self._last_alt = np.concatenate([self._last_alt, np.full(grow, math.nan)])
        self._last_t[s] = -math.inf
        self._slot[key] = s
        return s

    def evaluate(
        self, observations: Sequence[Observation], t_s: Sequence[float] | None = None
    ) -> GeofenceResult:
        """Geofence one batch and update the per-subject state.

        ``t_s`` (epoch seconds of each fix) may be given when the caller has it already.
        """
        n = len(observations)
        if n == 0:
            return GeofenceResult(
                self.index, Hits(np.zeros(0, np.int64), np.zeros(0, np.int32)), [], 0, []
            )
        # columns, one comprehension each (attribute access dominates here)
        nan = math.nan
        lon = np.array([o.lon for o in observations], np.float64)
        lat = np.array([o.lat for o in observations], np.float64)
        if t_s is None:
            t_s = [o.time.timestamp() for o in observations]
        t = np.array(t_s, np.float64)
        alt = np.array(
            [
                nan if (a := (o.altitude_ft if o.altitude_ft is not None else o.geo_altitude_ft))
                is None else a
                for o in observations
            ],
            np.float64,
        )
        kinds = [o.subject_kind for o in observations]
        air = np.array([k == "aircraft" for k in kinds], bool)
        keys = list(zip(kinds, [o.subject_id for o in observations], strict=True))
        slots = self._slots(keys)

        obs_idx, ver_idx = self.index.contains(lon, lat, alt, t, air)
        ptr, governing = self._governing(n, obs_idx, ver_idx)
        versions = self.index.versions
        zones: list[tuple[ZoneVersion, ...]] = [_NO_ZONES] * n
        #: per fix, the zones among ``zones`` that get transitions (all of them by default)
        watched: list[tuple[ZoneVersion, ...]] = [_NO_ZONES] * n
        hit_obs = np.flatnonzero(ptr[1:] > ptr[:-1]).tolist()
        watched_hits: list[int] = []
        if hit_obs:
            ptr_l = ptr.tolist()
            gov_l = governing.tolist()
            # most fixes share a handful of zone combinations: one tuple (and one
            # id -> version dict) per combination
            combos = self._combos
            keep = self._watched
            for i in hit_obs:
                combo = tuple(gov_l[ptr_l[i] : ptr_l[i + 1]])
                held = combos.get(combo)
                if held is None:
                    held = combos[combo] = (
                        tuple(versions[j] for j in combo),
                        tuple(versions[j] for j in combo if keep[j]),
                    )
                zones[i] = held[0]
                if held[1]:
                    watched[i] = held[1]
                    watched_hits.append(i)

        # each subject's fixes in time order, subjects in order of first appearance;
        # a fix older than the subject's last fix before this batch is ignored
        uniq, first, inverse = np.unique(slots, return_index=True, return_inverse=True)
        appearance = np.empty(len(uniq), np.int64)
        appearance[np.argsort(first, kind="stable")] = np.arange(len(uniq))
        order = np.lexsort((t, appearance[inverse]))
        before_t = self._last_t[slots]
        ok = t[order] >= before_t[order]
        ignored = int(len(order) - ok.sum())
        acc = order[ok]
        s_acc = slots[acc]
        same_prev = np.zeros(len(acc), bool)
        same_prev[1:] = s_acc[1:] == s_acc[:-1]
        prev_idx = np.empty(len(acc), np.int64)
        if len(acc):
            prev_idx[0] = 0
            prev_idx[1:] = acc[:-1]
        existed = np.isfinite(self._last_t[s_acc])
        has_seg = same_prev | existed
        crosses = self._crossings(
            acc[has_seg], same_prev[has_seg], prev_idx[has_seg], s_acc[has_seg], lon, lat, t, alt, air
        )

        # Python only for the subjects with zone state, a hit or a crossing
        transitions: list[Transition] = []
        zone_states = self._zone_states
        busy = set(zone_states) | set(slots[watched_hits].tolist())
        if crosses:
            busy.update(slots[list(crosses)].tolist())
        if busy:
            busy_mask = np.zeros(len(acc), bool) if not len(acc) else np.isin(
                s_acc, np.fromiter(busy, np.int64, len(busy))
            )
            step = self._step
            t_l = t.tolist()
            by_zone_id: dict[int, dict[str, ZoneVersion]] = {}
            for i, s in zip(acc[busy_mask].tolist(), s_acc[busy_mask].tolist(), strict=True):
                current = watched[i]
                crossed = crosses.get(i) if crosses else None
                states = zone_states.get(s)
                if not current and not states and crossed is None:
                    continue
                obs = observations[i]
                if crossed is not None:
                    for zone_id, (zone, info) in crossed.items():
                        zs = states.get(zone_id) if states else None
                        if zs is None or not zs.confirmed:
                            transitions.append(self._cross(obs, i, zone, info))
                if current or states:
                    if states is None:
                        states = zone_states[s] = {}
                    by_id = by_zone_id.get(id(current))
                    if by_id is None:  # the tuples are shared (``_combos``): one per combination
                        by_id = by_zone_id[id(current)] = {z.zone_id: z for z in current}
                    step(states, by_id, obs, i, t_l[i], transitions)
                    if not states:
                        del zone_states[s]

        # the last accepted fix of each subject becomes its state
        if len(acc):
            last = np.ones(len(acc), bool)
            last[:-1] = s_acc[1:] != s_acc[:-1]
            li, ls = acc[last], s_acc[last]
            self._last_t[ls] = t[li]
            self._last_lon[ls] = lon[li]
            self._last_lat[ls] = lat[li]
            self._last_alt[ls] = alt[li]
        return GeofenceResult(
            index=self.index,
            hits=Hits(obs_idx, ver_idx),
            transitions=transitions,
            ignored_out_of_order=ignored,
            zones=zones,
        )

    # ---------------------------------------------------------------- internals
    def _step(
        self,
        zones: dict[str, _ZoneState],
        current: dict[str, ZoneVersion],
        obs: Observation,
        i: int,
        t: float,
        out: list[Transition],
    ) -> None:
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
        seg_obs: np.ndarray,
        in_batch: np.ndarray,
        prev_idx: np.ndarray,
        seg_slot: np.ndarray,
        lon: np.ndarray,
        lat: np.ndarray,
        t: np.ndarray,
        alt: np.ndarray,
        air: np.ndarray,
    ) -> dict[int, dict[str, tuple[ZoneVersion, tuple[float, float, float, float, float]]]]:
        """Per accepted fix, per zone id crossed since the previous fix: the governing
        version and (previous lon, lat, time, crossing lon, lat).

        ``seg_obs`` are the fixes with a previous one: the fix before in the batch where
        ``in_batch`` (``prev_idx``), else the subject's state (slot ``seg_slot``)."""
        if len(seg_obs) == 0:
            return {}
        x0 = np.where(in_batch, lon[prev_idx], self._last_lon[seg_slot])
        y0 = np.where(in_batch, lat[prev_idx], self._last_lat[seg_slot])
        t0 = np.where(in_batch, t[prev_idx], self._last_t[seg_slot])
        prev_alt = np.where(in_batch, alt[prev_idx], self._last_alt[seg_slot])
        cur = seg_obs
        seg_alt = np.where(np.isnan(prev_alt), alt[cur], (prev_alt + alt[cur]) / 2.0)
        seg_alt = np.where(np.isnan(alt[cur]), np.nan, seg_alt)
        seg, ver, cx, cy = self.index.crossings(
            x0, y0, lon[cur], lat[cur], t[cur], seg_alt, air[cur]
        )
        if len(seg) and not self._watched.all():
            keep = self._watched[ver]
            seg, ver, cx, cy = seg[keep], ver[keep], cx[keep], cy[keep]
        if len(seg) == 0:
            return {}
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
