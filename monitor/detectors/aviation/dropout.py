"""Dropout: an airborne aircraft in or near restricted airspace stops reporting.

Coverage-aware, so that a feed outage is one ``feed_health`` incident and not a wave of
dropouts. An aircraft whose last fix (airborne, at or above ``min_altitude_ft``, inside
or within ``near_zone_km`` of a restricted zone) is followed by silence longer than
``min_gap_s`` (and than ``gap_cadence_factor`` times its own usual interval between
fixes) is a dropout only when all of these hold:

* **the feed was up**: ``FeedCoverage.was_up(feed, last fix, now)`` (no recorded outage
  of the feed that delivered the last fix, and the feed is not stale now);
* **others nearby are still reported**: at least ``min_neighbours`` other aircraft within
  ``neighbour_radius_km`` of the last fix were reported *by the same feed* after the
  silence began (half the gap threshold after the last fix);
* **it did not land**: the last fix is not on an approach to an airport (see
  :meth:`AirportIndex.landing_at`; airports from ``airportsdata``);
* **it did not leave coverage**: the position dead-reckoned over the gap threshold is
  still inside the area the feed has been reporting (the bounding box of its fixes).

Undecided candidates are re-examined at each call until ``max_wait_s`` after the last
fix. The incident opens at the time of the last fix and closes when the aircraft is heard
again, with the gap's duration, distance and implied speed, or after ``give_up_s`` as
"not seen again". MLAT and TIS-B positions are left out by default: MLAT needs four
receivers and drops out routinely at the edge of their coverage.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from statistics import median
from typing import Any

import numpy as np

from monitor.detectors.aviation.airports import DEFAULT_REGION, AirportIndex, region_airports
from monitor.detectors.aviation.common import (
    SEVERITY_OF_STATUS,
    Airspace,
    AirspaceCache,
    airborne,
    coords,
    destination,
    haversine_km,
)
from monitor.detectors.base import DetectionBatch, Detector, MonitorState, iso_key
from monitor.domain import (
    ChangeAction,
    Evidence,
    IncidentChange,
    IncidentKind,
    Observation,
    Severity,
    SubjectKind,
)
from monitor.timeutil import parse_utc, utc_from_epoch_s
from monitor.units import KM_PER_NM

CELL_DEG = 1.0
#: a feed's report of an aircraft is noted at most this often (the neighbour test asks
#: about minutes, feeds report every few seconds)
REMEMBER_EVERY_S = 30.0


@dataclass(frozen=True)
class DropoutConfig:
    """Thresholds of :class:`DropoutDetector`.

    ``near_zone_km`` (100): "near" a restricted zone. ``min_altitude_ft`` (1000): lower
    fixes are take-offs and landings, where reception ends anyway. ``min_gap_s`` (300):
    silence that counts as a dropout; ADS-B aggregators refresh every 1-15 s and readsb
    drops an aircraft from its list after 60 s without messages, so 5 minutes is a lost
    aircraft, not a missed poll. ``gap_cadence_factor`` (6): for sparsely polled feeds the
    gap must also exceed this many of the aircraft's own median intervals.
    ``neighbour_radius_km`` (250): an aircraft at cruise level is received out to about
    200 nm (370 km), so another aircraft reported within 250 km shows the feed still
    hears that area. ``min_neighbours`` (1). ``max_wait_s`` (1800): stop waiting for
    coverage evidence. ``give_up_s`` (10800): close an open dropout as "not seen again".
    ``ignore_position_sources`` (mlat, tisb, other). ``approach_max_nm`` (40),
    ``approach_ft_per_nm`` (480), ``approach_base_ft`` (1500): the approach cone that
    makes a last fix a landing (see :mod:`monitor.detectors.aviation.airports`).
    ``airport_region``: airports considered (min_lon, min_lat, max_lon, max_lat).
    """

    near_zone_km: float = 100.0
    min_altitude_ft: float = 1000.0
    min_gap_s: float = 300.0
    gap_cadence_factor: float = 6.0
    neighbour_radius_km: float = 250.0
    min_neighbours: int = 1
    max_wait_s: float = 1800.0
    give_up_s: float = 10800.0
    ignore_position_sources: tuple[str, ...] = ("mlat", "tisb", "other")
    approach_max_nm: float = 40.0
    approach_ft_per_nm: float = 480.0
    approach_base_ft: float = 1500.0
    airport_region: tuple[float, float, float, float] = DEFAULT_REGION


@dataclass(slots=True)
class _Open:
    key: str
    last: Observation | None
    last_s: float
    last_lat: float
    last_lon: float
    zone_id: str | None
    severity: Severity
    details: dict[str, Any]


class DropoutDetector(Detector):
    name = "dropout"
    kinds = (IncidentKind.DROPOUT,)

    def __init__(
        self, config: DropoutConfig | None = None, *, airports: AirportIndex | None = None
    ) -> None:
        self.config = config or DropoutConfig()
        self._airports = airports
        self._airspace = AirspaceCache()
        #: last fix (time in epoch s, fix) of airborne aircraft in or near a zone
        self._watch: dict[str, tuple[float, Observation]] = {}
        #: (source, cell) -> hex -> (t_s, lat, lon): recent fixes around the zones
        self._grid: dict[tuple[str, int, int], dict[str, tuple[float, float, float]]] = {}
        #: (source, hex) -> (its cell, when it was put there)
        self._cell_of: dict[tuple[str, str], tuple[tuple[str, int, int], float]] = {}
        #: source -> [min_lon, min_lat, max_lon, max_lat] of its fixes
        self._extent: dict[str, list[float]] = {}
        self._open: dict[str, _Open] = {}
        self._adopted = False
        self._last_prune_s = float("-inf")

    @property
    def airports(self) -> AirportIndex:
        if self._airports is None:
            self._airports = region_airports(tuple(self.config.airport_region))
        return self._airports

    def detect(
        self, batch: DetectionBatch, state: MonitorState, now: datetime
    ) -> list[IncidentChange]:
        cfg = self.config
        changes: list[IncidentChange] = []
        if not self._adopted:
            self._adopt(state)
        airspace = self._airspace.at(state.zones, now)
        obs_list = [
            o for o in batch.observations
            if o.subject_kind is SubjectKind.AIRCRAFT
            and o.position_source not in cfg.ignore_position_sources
        ]
        if obs_list:
            lons, lats = coords(obs_list)
            self._grow_extent(obs_list, lons, lats)
            near = airspace.near_mask(cfg.near_zone_km, lons, lats)
            wide = airspace.near_mask(cfg.near_zone_km + cfg.neighbour_radius_km, lons, lats)
            watch, opened = self._watch, self._open
            min_alt = cfg.min_altitude_ft
            for n, obs in enumerate(obs_list):
                hex_id = obs.subject_id
                t = obs.t_s
                if hex_id in opened:
                    changes.append(self._reappeared(opened.pop(hex_id), obs))
                if wide[n]:
                    self._remember(obs, t)
                if near[n] and airborne(obs) and (obs.altitude_ft is None or obs.altitude_ft >= min_alt):
                    prev = watch.get(hex_id)
                    if prev is None or t >= prev[0]:
                        watch[hex_id] = (t, obs)
                elif hex_id in watch:
                    del watch[hex_id]
        now_s = now.timestamp()
        for hex_id, (last_s, last) in list(self._watch.items()):
            gap_s = now_s - last_s
            if gap_s < cfg.min_gap_s:
                continue
            verdict = self._decide(last, gap_s, now, state)
            if verdict is None:
                if gap_s > cfg.max_wait_s:
                    del self._watch[hex_id]
                continue
            del self._watch[hex_id]
            if verdict is not True:
                continue
            changes.append(self._open_change(last, state, airspace))
        for hex_id, op in list(self._open.items()):
            if now_s - op.last_s >= cfg.give_up_s:
                del self._open[hex_id]
                changes.append(self._give_up(op))
        if now_s - self._last_prune_s > 600.0:
            self._last_prune_s = now_s
            self._prune(now_s)
        return changes

    # --- bookkeeping --------------------------------------------------------------------------

    def _grow_extent(
        self, obs_list: list[Observation], lons: np.ndarray[Any, Any], lats: np.ndarray[Any, Any]
    ) -> None:
        sources = np.array([o.source for o in obs_list])
        for src in set(sources.tolist()):
            m = sources == src
            box = [float(lons[m].min()), float(lats[m].min()), float(lons[m].max()), float(lats[m].max())]
            cur = self._extent.get(src)
            if cur is None:
                self._extent[src] = box
            else:
                cur[0], cur[1] = min(cur[0], box[0]), min(cur[1], box[1])
                cur[2], cur[3] = max(cur[2], box[2]), max(cur[3], box[3])

    def _remember(self, obs: Observation, t: float) -> None:
        """Note where the feed reported an aircraft (at most every ``REMEMBER_EVERY_S``)."""
        k = (obs.source, obs.subject_id)
        old = self._cell_of.get(k)
        if old is not None and t - old[1] < REMEMBER_EVERY_S:
            return
        cell = (obs.source, math.floor(obs.lat / CELL_DEG), math.floor(obs.lon / CELL_DEG))
        if old is not None and old[0] != cell:
            bucket = self._grid.get(old[0])
            if bucket is not None:
                bucket.pop(obs.subject_id, None)
        self._cell_of[k] = (cell, t)
        self._grid.setdefault(cell, {})[obs.subject_id] = (t, obs.lat, obs.lon)

    def _prune(self, now_s: float) -> None:
        horizon = now_s - max(self.config.max_wait_s, 3600.0)
        for cell, bucket in list(self._grid.items()):
            for hex_id, (t_s, _, _) in list(bucket.items()):
                if t_s < horizon:
                    del bucket[hex_id]
                    self._cell_of.pop((cell[0], hex_id), None)
            if not bucket:
                del self._grid[cell]

    def _adopt(self, state: MonitorState) -> None:
        self._adopted = True
        for inc in state.open.of_kind(IncidentKind.DROPOUT):
            if not inc.subject_id:
                continue
            d = inc.details
            try:
                last_at = parse_utc(str(d.get("last_fix_at"))) if d.get("last_fix_at") else inc.started_at
            except ValueError:
                last_at = inc.started_at
            self._open[inc.subject_id] = _Open(
                inc.dedupe_key, None, last_at.timestamp(),
                float(d.get("last_lat") or 0.0), float(d.get("last_lon") or 0.0),
                inc.zone_id, inc.severity, dict(d),
            )

    # --- deciding --------------------------------------------------------------------------

    def _threshold_s(self, last: Observation, state: MonitorState) -> float:
        cfg = self.config
        track = state.tracks.get(("aircraft", last.subject_id))
        if track is None or len(track) < 3:
            return cfg.min_gap_s
        last_t = last.t_s
        times = [f.t_s for f in track.fixes if f.t_s <= last_t]
        gaps = [b - a for a, b in zip(times, times[1:], strict=False) if b > a]
        usual = median(gaps) if gaps else 0.0
        return max(cfg.min_gap_s, cfg.gap_cadence_factor * usual)

    def _decide(
        self, last: Observation, gap_s: float, now: datetime, state: MonitorState
    ) -> bool | str | None:
        """True: a dropout; a reason string: not one; None: not decidable yet."""
        cfg = self.config
        threshold = self._threshold_s(last, state)
        if gap_s < threshold:
            return None
        if self.airports.landing_at(
            last.lat, last.lon, last.altitude_ft, on_ground=last.on_ground,
            approach_max_nm=cfg.approach_max_nm, approach_ft_per_nm=cfg.approach_ft_per_nm,
            approach_base_ft=cfg.approach_base_ft,
        ) is not None:
            return "landed"
        if self._left_coverage(last, threshold):
            return "left_coverage"
        if not state.feeds.was_up(last.source, last.time, now):
            return "feed_down"
        if self._neighbours(last, last.t_s + threshold / 2.0) >= cfg.min_neighbours:
            return True
        return None

    def _left_coverage(self, last: Observation, horizon_s: float) -> bool:
        box = self._extent.get(last.source)
        if box is None:
            return False
        lat, lon = last.lat, last.lon
        if last.track_deg is not None and last.ground_speed_kt:
            lat, lon = destination(
                last.lat, last.lon, last.track_deg, last.ground_speed_kt * KM_PER_NM * horizon_s / 3600.0
            )
        return not (box[0] <= lon <= box[2] and box[1] <= lat <= box[3])

    def _neighbours(self, last: Observation, after_s: float) -> int:
        radius = self.config.neighbour_radius_km
        reach = int(math.ceil(radius / (111.0 * CELL_DEG * max(0.2, math.cos(math.radians(last.lat)))))) + 1
        ci, cj = math.floor(last.lat / CELL_DEG), math.floor(last.lon / CELL_DEG)
        seen = 0
        for di in range(-reach, reach + 1):
            for dj in range(-reach, reach + 1):
                bucket = self._grid.get((last.source, ci + di, cj + dj))
                if not bucket:
                    continue
                for hex_id, (t_s, lat, lon) in bucket.items():
                    if hex_id == last.subject_id or t_s <= after_s:
                        continue
                    if haversine_km(last.lat, last.lon, lat, lon) <= radius:
                        seen += 1
        return seen

    # --- changes -----------------------------------------------------------------------------

    def _open_change(self, last: Observation, state: MonitorState, airspace: Airspace) -> IncidentChange:
        zone = airspace.containing(last.lon, last.lat)
        inside = zone is not None
        dist_km = 0.0
        if zone is None:
            best = float("inf")
            for z in airspace.zones:
                d = state.zones.distance_to_boundary_m(last.lon, last.lat, z) / 1000.0
                if d < best:
                    zone, best = z, d
            dist_km = best
        severity = SEVERITY_OF_STATUS.get(zone.status, Severity.MEDIUM) if inside and zone else Severity.MEDIUM
        key = f"dropout:{last.subject_id}:{iso_key(last.time)}"
        details: dict[str, Any] = {
            "callsign": last.callsign,
            "feed": last.source,
            "last_fix_at": last.time.isoformat(),
            "last_lat": last.lat,
            "last_lon": last.lon,
            "last_altitude_ft": last.altitude_ft,
            "last_ground_speed_kt": last.ground_speed_kt,
            "last_track_deg": last.track_deg,
            "squawk": last.squawk,
            "inside_zone": inside,
            "distance_to_zone_km": round(dist_km, 1) if math.isfinite(dist_km) else None,
            "neighbours_still_reported": self._neighbours(last, last.t_s),
        }
        where = f"inside {zone.zone_id}" if inside and zone else (
            f"{dist_km:.0f} km from {zone.zone_id}" if zone else "near restricted airspace"
        )
        op = _Open(key, last, last.t_s, last.lat, last.lon, zone.zone_id if zone else None, severity, details)
        self._open[last.subject_id] = op
        alt = f" at {last.altitude_ft:.0f} ft" if last.altitude_ft is not None else ""
        return IncidentChange(
            action=ChangeAction.OPEN,
            dedupe_key=key,
            kind=IncidentKind.DROPOUT,
            severity=severity,
            at=last.time,
            summary=f"{last.label} stopped reporting {where}{alt}; others nearby still reported by {last.source}",
            subject_kind="aircraft",
            subject_id=last.subject_id,
            subject_label=last.callsign,
            zone_id=zone.zone_id if zone else None,
            zone_version=zone.version if zone else None,
            lat=last.lat,
            lon=last.lon,
            details=details,
            evidence=(Evidence.of(last, "last fix before the silence"),),
            track=((last.lon, last.lat),),
        )

    def _reappeared(self, op: _Open, obs: Observation) -> IncidentChange:
        gap_s = obs.t_s - op.last_s
        gap_km = haversine_km(op.last_lat, op.last_lon, obs.lat, obs.lon)
        implied_kt = gap_km / KM_PER_NM / (gap_s / 3600.0) if gap_s > 0 else None
        details = {
            **op.details,
            "closed_because": "reappeared",
            "reappeared_at": obs.time.isoformat(),
            "reappeared_lat": obs.lat,
            "reappeared_lon": obs.lon,
            "reappeared_feed": obs.source,
            "gap_s": round(gap_s, 1),
            "gap_km": round(gap_km, 1),
            "implied_speed_kt": round(implied_kt, 1) if implied_kt is not None else None,
        }
        return IncidentChange(
            action=ChangeAction.CLOSE,
            dedupe_key=op.key,
            kind=IncidentKind.DROPOUT,
            severity=op.severity,
            at=obs.time,
            summary=f"{obs.label} reappeared after {gap_s / 60:.0f} min, {gap_km:.0f} km away",
            subject_kind="aircraft",
            subject_id=obs.subject_id,
            subject_label=obs.callsign,
            zone_id=op.zone_id,
            lat=obs.lat,
            lon=obs.lon,
            details=details,
            evidence=(Evidence.of(obs, "first fix after the silence"),),
            track=((obs.lon, obs.lat),),
        )

    def _give_up(self, op: _Open) -> IncidentChange:
        label = op.last.label if op.last is not None else op.key.split(":")[1]
        return IncidentChange(
            action=ChangeAction.CLOSE,
            dedupe_key=op.key,
            kind=IncidentKind.DROPOUT,
            severity=op.severity,
            at=utc_from_epoch_s(op.last_s),
            summary=f"{label} not seen again",
            subject_kind="aircraft",
            subject_id=op.key.split(":")[1],
            zone_id=op.zone_id,
            lat=op.last_lat,
            lon=op.last_lon,
            details={**op.details, "closed_because": "not_seen_again"},
        )
