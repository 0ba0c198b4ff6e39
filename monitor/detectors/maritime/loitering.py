"""Loitering: a vessel moving slower than 2 kn on average for an hour or more, far from shore.

The anchor is Global Fishing Watch's loitering event: mean speed below 2 kn for at least
1 h, at least 20 nm from shore. Here:

* each vessel's fixes are thinned to one sample per ``sample_every_s`` (jitter of a
  stationary GPS would otherwise add up to a speed);
* the *mean speed* of a window is its path length over its duration (implied speed), and
  when the vessel reports speed over ground, the mean of those reports must be below the
  threshold too;
* every sample of the window must lie ``min_shore_distance_nm`` or more from land (the
  zones of kind ``land`` in force, see :mod:`~monitor.detectors.maritime.shore`), and a
  reception gap longer than ``max_sample_gap_s`` breaks the window (what the vessel did
  meanwhile is unknown).

An incident opens once the trailing ``min_duration_s`` window qualifies, starting at the
window's first sample; it is updated every ``update_every_s`` and closes when the mean
speed over the last ``exit_window_s`` reaches the threshold, when the vessel comes within
the shore distance, or when it has not been heard for ``lost_after_s`` (at the time of
its last slow sample). ``zone_id`` names the most severe watched zone (strike zone, ...)
holding the vessel when the incident opens, if any.
"""

from __future__ import annotations

import math
from array import array
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from datetime import datetime

from monitor.detectors.base import DetectionBatch, Detector, MonitorState, iso_key
from monitor.detectors.maritime.common import (
    WATCHED_ZONE_KINDS,
    change,
    most_severe,
    vessel_details,
    vessel_label,
    watched_zones,
    zone_kinds,
)
from monitor.detectors.maritime.geo import distance_m, nm_to_m, speed_kt
from monitor.detectors.maritime.shore import ShorelineCache
from monitor.domain import (
    ChangeAction,
    Evidence,
    IncidentChange,
    IncidentKind,
    Observation,
    Severity,
    ZoneVersion,
)
from monitor.timeutil import utc_from_epoch_s
from monitor.units import M_PER_NM


@dataclass(frozen=True)
class LoiteringConfig:
    """Thresholds of :class:`LoiteringDetector` (defaults: Global Fishing Watch)."""

    #: mean speed below which a vessel loiters
    max_speed_kt: float = 2.0
    #: for at least this long
    min_duration_s: float = 3600.0
    #: at least this far from any land
    min_shore_distance_nm: float = 20.0
    #: fixes are thinned to one sample per this interval
    sample_every_s: float = 120.0
    #: a reception gap longer than this breaks the window
    max_sample_gap_s: float = 1800.0
    #: while open: the mean speed over this trailing window reaching the threshold closes it
    exit_window_s: float = 1800.0
    #: a loitering vessel unheard for this long: the incident closes at its last sample
    lost_after_s: float = 7200.0
    #: one update (with evidence) per this interval while it goes on
    update_every_s: float = 900.0
    #: zone kinds named in the incident when the vessel loiters inside one
    zone_kinds: tuple[str, ...] = WATCHED_ZONE_KINDS
    #: the lost-contact sweep runs at most once per this interval of data time
    sweep_every_s: float = 60.0


class _Samples:
    """A vessel's samples, oldest first: their times in one ``array('d')`` and, in one
    ``array('f')``, four single-precision floats each (lat, lon, SOG with NaN for unknown,
    metres from the previous sample): 24 bytes a sample instead of ~150 for an object with
    boxed floats. An hour of samples of 125,000 vessels is what the monitor's memory at
    sea is made of. Single precision holds a position to about a metre, far finer than a
    mean speed of 2 kn over an hour (3.7 km) needs; times stay double (epoch seconds).

    Each sample carries the length of the leg that ends at it, measured once when it is
    appended, so the mean speed of a window is a sum over a slice of the array (C) rather
    than a great-circle distance per pair of samples each time a window is judged."""

    __slots__ = ("_t", "_v")

    def __init__(self) -> None:
        self._t = array("d")
        self._v = array("f")

    def __len__(self) -> int:
        return len(self._t)

    def __bool__(self) -> bool:
        return bool(self._t)

    def last_t_s(self) -> float:
        return self._t[-1]

    def last_leg_m(self) -> float:
        """Metres from the second-to-last sample to the last."""
        return self._v[-1]

    def times(self) -> array:
        """The samples' times, oldest first (increasing): the live array, to read before
        the samples change."""
        return self._t

    def append(self, t_s: float, lat: float, lon: float, sog_kt: float | None) -> None:
        v = self._v
        leg_m = distance_m(v[-4], v[-3], lat, lon) if v else 0.0
        self._t.append(t_s)
        v.extend((lat, lon, math.nan if sog_kt is None else sog_kt, leg_m))

    def drop_before(self, i: int) -> None:
        """Forget the samples before index ``i``."""
        if i > 0:
            del self._t[:i]
            del self._v[: 4 * i]

    def clear(self) -> None:
        del self._t[:]
        del self._v[:]

    def keep_last(self) -> None:
        del self._t[:-1]
        del self._v[:-4]

    def speeds_from(self, i: int) -> tuple[float, float | None]:
        """(mean implied speed kt, mean reported speed kt or None) of the samples from
        index ``i`` on: their path over their duration, and the mean of the SOG reports
        when at least half of the samples carry one."""
        t, v = self._t, self._v
        n = len(t) - i
        if n < 2:
            return 0.0, None
        path_m = sum(v[4 * (i + 1) + 3 :: 4])
        implied = speed_kt(path_m, t[-1] - t[i])
        sogs = [x for x in v[4 * i + 2 :: 4] if x == x]
        reported = sum(sogs) / len(sogs) if len(sogs) * 2 >= n else None
        return implied, reported


@dataclass(slots=True)
class _Track:
    samples: _Samples = field(default_factory=_Samples)
    last_obs: Observation | None = None
    zones: tuple[ZoneVersion, ...] = ()
    open_key: str | None = None
    open_start_s: float = 0.0
    open_zone: ZoneVersion | None = None
    last_update_s: float = 0.0
    last_slow_s: float = 0.0
    last_slow_obs: Observation | None = None


class LoiteringDetector(Detector):
    """``loitering`` incidents (see the module docstring)."""

    name = "loitering"
    kinds = (IncidentKind.LOITERING,)

    def __init__(self, config: LoiteringConfig | None = None) -> None:
        self.config = config or LoiteringConfig()
        self._kinds = zone_kinds(self.config.zone_kinds)
        self._shore = ShorelineCache()
        self._tracks: dict[str, _Track] = {}
        self._adopted = False
        self._swept_at: datetime | None = None
        self._forgot_at: datetime | None = None
        #: vessels with a loitering incident open
        self._open_mmsi: set[str] = set()

    def detect(
        self, batch: DetectionBatch, state: MonitorState, now: datetime
    ) -> list[IncidentChange]:
        if not self._adopted:
            self._adopt(state)
        cfg = self.config
        shore = self._shore.get(state.zones, now)
        min_shore_m = nm_to_m(cfg.min_shore_distance_nm)
        changes: list[IncidentChange] = []
        observations = batch.observations
        t_list = batch.t_s
        watched_of = watched_zones(batch, self._kinds)
        tracks = self._tracks
        sample_every_s = cfg.sample_every_s
        # the fixes that make a sample: one per ``sample_every_s`` per vessel
        due: list[int] = []
        for i in batch.vessel_index:
            tr = tracks.get(observations[i].subject_id)
            if tr is not None and tr.samples and t_list[i] - tr.samples.last_t_s() < sample_every_s:
                continue
            due.append(i)
        if due:
            shore.prime(
                [observations[i].lon for i in due], [observations[i].lat for i in due], min_shore_m
            )
        for i in due:
            obs = observations[i]
            tr = tracks.get(obs.subject_id)
            if tr is None:
                tr = tracks[obs.subject_id] = _Track()
            t_s = t_list[i]
            last_t_s = tr.samples.last_t_s() if tr.samples else None
            if last_t_s is not None and t_s - last_t_s < sample_every_s:
                continue  # a second fix of the batch within the sampling interval
            tr.zones = watched_of(i)
            offshore = shore.offshore(obs.lon, obs.lat, min_shore_m)
            if last_t_s is not None and t_s - last_t_s > cfg.max_sample_gap_s:
                changes.extend(self._end(tr, obs, state, "reception gap"))
                tr.samples.clear()
            if not offshore:
                changes.extend(self._end(tr, obs, state, "near shore"))
                tr.samples.clear()
                continue
            tr.samples.append(t_s, obs.lat, obs.lon, obs.ground_speed_kt)
            changes.extend(self._judge(tr, obs, state))
            # only an open incident needs its last sample whole (to close on lost contact):
            # holding one per vessel would keep 125,000 observations alive for nothing
            tr.last_obs = obs if tr.open_key is not None else None
        changes.extend(self._sweep(state, now))
        return changes

    # --- internals --------------------------------------------------------------------------

    def _adopt(self, state: MonitorState) -> None:
        self._adopted = True
        for inc in state.open.of_kind(IncidentKind.LOITERING):
            if inc.subject_id is None or inc.subject_id in self._tracks:
                continue
            tr = self._tracks[inc.subject_id] = _Track()
            self._open_mmsi.add(inc.subject_id)
            tr.open_key = inc.dedupe_key
            tr.open_start_s = inc.started_at.timestamp()
            tr.last_slow_s = inc.last_seen_at.timestamp()
            tr.last_update_s = tr.last_slow_s

    def _judge(self, tr: _Track, obs: Observation, state: MonitorState) -> list[IncidentChange]:
        cfg = self.config
        samples = tr.samples
        t_s = samples.last_t_s()
        keep_from = t_s - max(cfg.min_duration_s, cfg.exit_window_s) - cfg.sample_every_s
        times = samples.times()
        n = len(times)
        if n > 2 and times[1] <= keep_from:
            # keep the last sample at or before ``keep_from`` (and at least two)
            first = min(bisect_right(times, keep_from) - 1, n - 2)
            samples.drop_before(first)
            n = len(times)
        if n >= 2:
            seg = speed_kt(samples.last_leg_m(), t_s - times[-2])
            sog_ok = obs.ground_speed_kt is None or obs.ground_speed_kt < cfg.max_speed_kt
            if seg < cfg.max_speed_kt and sog_ok:
                tr.last_slow_s, tr.last_slow_obs = t_s, obs
        if tr.open_key is None:
            start_from = t_s - cfg.min_duration_s
            if times[0] > start_from:
                return []
            # the window: the last sample at or before ``start_from`` and all after it
            first = bisect_right(times, start_from) - 1
            implied, reported = samples.speeds_from(first)
            if implied >= cfg.max_speed_kt or (reported is not None and reported >= cfg.max_speed_kt):
                return []
            return [self._open(tr, obs, state, times[first], implied, reported)]
        first = bisect_left(times, t_s - cfg.exit_window_s)
        implied, reported = samples.speeds_from(first)
        moving = implied >= cfg.max_speed_kt or (reported is not None and reported >= cfg.max_speed_kt)
        if moving and t_s - times[first] >= 0.5 * cfg.exit_window_s:
            ended = self._end(tr, obs, state, f"under way again ({implied:.1f} kn)")
            # a fresh run: the slow hour just ended must not qualify again at once
            samples.keep_last()
            return ended
        if t_s - tr.last_update_s >= cfg.update_every_s:
            tr.last_update_s = t_s
            return [self._change(ChangeAction.UPDATE, tr, obs, state, implied, reported)]
        return []

    def _sweep(self, state: MonitorState, now: datetime) -> list[IncidentChange]:
        """Close what went quiet (open incidents only); forget idle tracks now and then."""
        cfg = self.config
        if self._swept_at is not None and (now - self._swept_at).total_seconds() < cfg.sweep_every_s:
            return []
        self._swept_at = now
        out: list[IncidentChange] = []
        now_s = now.timestamp()
        for mmsi in sorted(self._open_mmsi):
            tr = self._tracks.get(mmsi)
            if tr is None or tr.open_key is None:
                self._open_mmsi.discard(mmsi)
                continue
            last_s = tr.samples.last_t_s() if tr.samples else tr.last_slow_s
            if now_s - last_s >= cfg.lost_after_s:
                out.extend(self._end(tr, tr.last_obs, state, "contact lost", subject_id=mmsi))
        if self._forgot_at is None or (now - self._forgot_at).total_seconds() >= cfg.lost_after_s / 2:
            self._forgot_at = now
            for mmsi in [k for k, tr in self._tracks.items() if tr.open_key is None and (
                not tr.samples or now_s - tr.samples.last_t_s() >= cfg.lost_after_s
            )]:
                del self._tracks[mmsi]
        return out

    def _open(
        self,
        tr: _Track,
        obs: Observation,
        state: MonitorState,
        start_s: float,
        implied: float,
        reported: float | None,
    ) -> IncidentChange:
        tr.open_key = f"loitering:{obs.subject_id}:{iso_key(utc_from_epoch_s(start_s))}"
        self._open_mmsi.add(obs.subject_id)
        tr.open_start_s = start_s
        tr.open_zone = most_severe(tr.zones)
        tr.last_update_s = obs.t_s
        return self._change(ChangeAction.OPEN, tr, obs, state, implied, reported)

    def _end(
        self,
        tr: _Track,
        obs: Observation | None,
        state: MonitorState,
        why: str,
        *,
        subject_id: str | None = None,
    ) -> list[IncidentChange]:
        if tr.open_key is None:
            return []
        end_obs = tr.last_slow_obs or obs
        ch = self._change(
            ChangeAction.CLOSE, tr, end_obs, state, None, None, why=why,
            at_s=tr.last_slow_s or (obs.t_s if obs is not None else tr.open_start_s),
            subject_id=subject_id,
        )
        self._open_mmsi.discard(ch.subject_id or "")
        tr.open_key = None
        tr.open_zone = None
        tr.last_slow_obs = None
        return [ch]

    def _change(
        self,
        action: ChangeAction,
        tr: _Track,
        obs: Observation | None,
        state: MonitorState,
        implied: float | None,
        reported: float | None,
        *,
        why: str = "",
        at_s: float | None = None,
        subject_id: str | None = None,
    ) -> IncidentChange:
        mmsi = subject_id or (obs.subject_id if obs is not None else "")
        info = state.vessels.get(mmsi)
        label = vessel_label(obs, info, mmsi)
        zone = tr.open_zone
        start = utc_from_epoch_s(tr.open_start_s)
        if action is ChangeAction.OPEN:
            at = start
        elif at_s is not None:
            at = utc_from_epoch_s(at_s)
        else:
            at = obs.time if obs is not None else start
        end_s = at.timestamp() if action is ChangeAction.CLOSE or obs is None else obs.t_s
        duration_s = max(0.0, end_s - tr.open_start_s)
        details: dict[str, object] = {
            "loitering_since": start.isoformat(),
            "duration_s": round(duration_s, 1),
            "max_speed_kt": self.config.max_speed_kt,
            "min_shore_distance_nm": self.config.min_shore_distance_nm,
            **vessel_details(info),
        }
        if implied is not None:
            details["mean_speed_kt"] = round(implied, 2)
        if reported is not None:
            details["mean_reported_speed_kt"] = round(reported, 2)
        if obs is not None:
            shore = self._shore.get(state.zones, obs.time)
            d = shore.distance_m(obs.lon, obs.lat, within_m=nm_to_m(200.0))
            details["shore_distance_nm"] = round(d / M_PER_NM, 1) if d != float("inf") else None
        if zone is not None:
            details["zone_name"] = zone.name
            details["zone_kind"] = zone.kind.value
        if why:
            details["ended_because"] = why
        verb = {
            ChangeAction.OPEN: "loitering",
            ChangeAction.UPDATE: "still loitering",
            ChangeAction.CLOSE: "stopped loitering",
        }[action]
        where = f" in {zone.name}" if zone is not None else ""
        summary = f"{label} {verb}{where} for {duration_s / 3600:.1f} h"
        if why:
            summary += f" ({why})"
        return change(
            action,
            tr.open_key or "",
            IncidentKind.LOITERING,
            Severity.MEDIUM if zone is not None else Severity.LOW,
            at,
            summary,
            subject_id=mmsi,
            label=label,
            zone=zone,
            lat=obs.lat if obs is not None else None,
            lon=obs.lon if obs is not None else None,
            details=details,
            evidence=(Evidence.of(obs, verb),) if obs is not None and action is not ChangeAction.CLOSE else (),
            track=((obs.lon, obs.lat),) if obs is not None else (),
        )
