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
from collections.abc import Iterator
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


@dataclass(slots=True)
class _Sample:
    t_s: float
    lat: float
    lon: float
    sog_kt: float | None


class _Samples:
    """A vessel's samples, oldest first, packed four floats each in one ``array('d')``
    (time, lat, lon, SOG with NaN for unknown): about 32 bytes a sample instead of ~150
    for an object with three boxed floats. An hour of samples of 125,000 vessels is
    what the monitor's memory at sea is made of. Reads give :class:`_Sample` views."""

    __slots__ = ("_a",)

    def __init__(self) -> None:
        self._a = array("d")

    def __len__(self) -> int:
        return len(self._a) >> 2

    def __bool__(self) -> bool:
        return bool(self._a)

    def __getitem__(self, i: int) -> _Sample:
        n = len(self._a) >> 2
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError(i)
        a = self._a
        k = 4 * i
        sog = a[k + 3]
        return _Sample(a[k], a[k + 1], a[k + 2], None if sog != sog else sog)

    def __iter__(self) -> Iterator[_Sample]:
        a = self._a
        for k in range(0, len(a), 4):
            sog = a[k + 3]
            yield _Sample(a[k], a[k + 1], a[k + 2], None if sog != sog else sog)

    def last_t_s(self) -> float:
        return self._a[-4]

    def append(self, t_s: float, lat: float, lon: float, sog_kt: float | None) -> None:
        self._a.extend((t_s, lat, lon, math.nan if sog_kt is None else sog_kt))

    def popleft(self) -> None:
        del self._a[:4]

    def clear(self) -> None:
        del self._a[:]

    def keep_last(self) -> None:
        del self._a[:-4]


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


def window_speeds(samples: list[_Sample]) -> tuple[float, float | None]:
    """(mean implied speed kt, mean reported speed kt or None) of consecutive samples."""
    if len(samples) < 2:
        return 0.0, None
    path = sum(
        distance_m(a.lat, a.lon, b.lat, b.lon) for a, b in zip(samples, samples[1:], strict=False)
    )
    implied = speed_kt(path, samples[-1].t_s - samples[0].t_s)
    sogs = [s.sog_kt for s in samples if s.sog_kt is not None]
    reported = sum(sogs) / len(sogs) if len(sogs) * 2 >= len(samples) else None
    return implied, reported


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
            last = tr.samples[-1] if tr.samples else None
            if last is not None and t_s - last.t_s < sample_every_s:
                continue  # a second fix of the batch within the sampling interval
            tr.last_obs = obs
            tr.zones = watched_of(i)
            offshore = shore.offshore(obs.lon, obs.lat, min_shore_m)
            if last is not None and t_s - last.t_s > cfg.max_sample_gap_s:
                changes.extend(self._end(tr, obs, state, "reception gap"))
                tr.samples.clear()
            if not offshore:
                changes.extend(self._end(tr, obs, state, "near shore"))
                tr.samples.clear()
                continue
            tr.samples.append(t_s, obs.lat, obs.lon, obs.ground_speed_kt)
            changes.extend(self._judge(tr, obs, state))
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
        t_s = samples[-1].t_s
        keep_from = t_s - max(cfg.min_duration_s, cfg.exit_window_s) - cfg.sample_every_s
        while len(samples) > 2 and samples[1].t_s <= keep_from:
            samples.popleft()
        if len(samples) >= 2:
            prev = samples[-2]
            seg = speed_kt(distance_m(prev.lat, prev.lon, obs.lat, obs.lon), t_s - prev.t_s)
            sog_ok = obs.ground_speed_kt is None or obs.ground_speed_kt < cfg.max_speed_kt
            if seg < cfg.max_speed_kt and sog_ok:
                tr.last_slow_s, tr.last_slow_obs = t_s, obs
        if tr.open_key is None:
            start_from = t_s - cfg.min_duration_s
            if samples[0].t_s > start_from:
                return []
            window = [s for s in samples if s.t_s > start_from]
            first = max((s for s in samples if s.t_s <= start_from), key=lambda s: s.t_s)
            window.insert(0, first)
            implied, reported = window_speeds(window)
            if implied >= cfg.max_speed_kt or (reported is not None and reported >= cfg.max_speed_kt):
                return []
            return [self._open(tr, obs, state, first.t_s, implied, reported)]
        window = [s for s in samples if s.t_s >= t_s - cfg.exit_window_s]
        implied, reported = window_speeds(window)
        moving = implied >= cfg.max_speed_kt or (reported is not None and reported >= cfg.max_speed_kt)
        if moving and window and t_s - window[0].t_s >= 0.5 * cfg.exit_window_s:
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
            last_s = tr.samples[-1].t_s if tr.samples else tr.last_slow_s
            if now_s - last_s >= cfg.lost_after_s:
                out.extend(self._end(tr, tr.last_obs, state, "contact lost", subject_id=mmsi))
        if self._forgot_at is None or (now - self._forgot_at).total_seconds() >= cfg.lost_after_s / 2:
            self._forgot_at = now
            for mmsi in [k for k, tr in self._tracks.items() if tr.open_key is None and (
                not tr.samples or now_s - tr.samples[-1].t_s >= cfg.lost_after_s
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
