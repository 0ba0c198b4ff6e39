"""Rendezvous: two vessels side by side, slow, away from ports, for hours.

The anchor is Global Fishing Watch's encounter: two vessels within 500 m of each other for
at least 2 h, both slower than 2 kn, at least 10 km from a port (Skylight uses 250 m for
30 min: set ``max_distance_m`` / ``min_duration_s``). Here:

* each vessel's speed is its reported speed over ground, else the speed implied by its
  previous fix; only slow vessels are kept in a spatial grid of cells of
  ``max_distance_m`` (:class:`~monitor.detectors.maritime.geo.PointGrid`), so each fix
  looks at the few vessels in the 3 x 3 cells around it, never at all of them: the cost is
  the same with 20,000 vessels as with 20;
* a fix of vessel A within ``max_distance_m`` of vessel B's latest fix (itself no older
  than ``max_fix_age_s``), both slow, both not moored, the pair's midpoint at least
  ``min_port_distance_km`` from every port of the bundled list
  (``data/ports.csv``), extends the pair's meeting; a meeting not seen for
  ``max_break_s`` ends;
* a meeting of ``min_duration_s`` opens an incident (starting when the meeting began),
  updated every ``update_every_s``, closed when the meeting ends (at its last sighting).

One incident per pair: ``subject_id`` is the lower MMSI and ``details["other_subject_id"]``
the other; ``zone_id`` names the most severe watched zone either vessel was in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from monitor.detectors.base import DetectionBatch, Detector, MonitorState, iso_key
from monitor.detectors.maritime.common import (
    WATCHED_ZONE_KINDS,
    change,
    most_severe,
    speed_between,
    vessel_label,
    vessel_speed_kt,
    watched_zones,
    zone_kinds,
)
from monitor.detectors.maritime.geo import PointGrid
from monitor.detectors.maritime.places import PortIndex, bundled_ports
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


@dataclass(frozen=True)
class RendezvousConfig:
    """Thresholds of :class:`RendezvousDetector` (defaults: Global Fishing Watch)."""

    #: the two vessels within this distance of each other ...
    max_distance_m: float = 500.0
    #: ... for at least this long ...
    min_duration_s: float = 7200.0
    #: ... both slower than this ...
    max_speed_kt: float = 2.0
    #: ... at least this far from a port
    min_port_distance_km: float = 10.0
    #: the other vessel's latest fix must be at most this old to compare positions
    max_fix_age_s: float = 600.0
    #: a meeting not seen for this long has ended
    max_break_s: float = 1800.0
    #: AIS navigational statuses that rule a vessel out (5 = moored)
    excused_nav_statuses: tuple[int, ...] = (5,)
    #: one update (with evidence) per this interval while the meeting goes on
    update_every_s: float = 900.0
    #: zone kinds named in the incident when a vessel of the pair is inside one
    zone_kinds: tuple[str, ...] = WATCHED_ZONE_KINDS
    #: the end-of-meeting sweep runs at most once per this interval of data time
    sweep_every_s: float = 60.0


@dataclass(slots=True)
class _Vessel:
    last: Observation
    speed_kt: float | None
    zones: tuple[ZoneVersion, ...] = ()


@dataclass(slots=True)
class _Meeting:
    first_s: float
    last_s: float
    lat: float
    lon: float
    distance_m: float
    open_key: str | None = None
    last_update_s: float = 0.0
    zone: ZoneVersion | None = None
    min_distance_m: float = float("inf")
    sightings: int = 0


class RendezvousDetector(Detector):
    """``rendezvous`` incidents of vessel pairs (see the module docstring)."""

    name = "rendezvous"
    kinds = (IncidentKind.RENDEZVOUS,)

    def __init__(self, config: RendezvousConfig | None = None) -> None:
        self.config = config or RendezvousConfig()
        self._kinds = zone_kinds(self.config.zone_kinds)
        self._ports = PortIndex(bundled_ports())
        self._vessels: dict[str, _Vessel] = {}
        self._grid = PointGrid(cell_m=self.config.max_distance_m)
        self._meetings: dict[tuple[str, str], _Meeting] = {}
        self._adopted = False
        self._swept_at: datetime | None = None
        self._forgot_at: datetime | None = None

    def detect(
        self, batch: DetectionBatch, state: MonitorState, now: datetime
    ) -> list[IncidentChange]:
        if not self._adopted:
            self._adopt(state)
        cfg = self.config
        changes: list[IncidentChange] = []
        observations = batch.observations
        watched_of = watched_zones(batch, self._kinds)
        vessels = self._vessels
        excused = cfg.excused_nav_statuses
        max_speed_kt = cfg.max_speed_kt
        for i in batch.vessel_index:
            obs = observations[i]
            mmsi = obs.subject_id
            prev = vessels.get(mmsi)
            if prev is None:
                # only vessels that were slow lately are followed: a vessel under way
                # (reported speed over the limit) is passed over at no cost
                sog = obs.ground_speed_kt
                if (sog is not None and sog >= max_speed_kt) or (
                    obs.nav_status is not None and obs.nav_status in excused
                ):
                    continue
                before = state.tracks.previous(obs)
                speed = speed_between(before, obs) if sog is None else sog
                if speed is None or speed >= max_speed_kt:
                    continue
            elif obs.time <= prev.last.time:
                continue
            else:
                speed = vessel_speed_kt(obs, prev.last)
            vessels[mmsi] = _Vessel(obs, speed, watched_of(i))
            if not self._slow(obs, speed):
                self._grid.remove(mmsi)
                continue
            self._grid.put(mmsi, obs.lon, obs.lat)
            for other_id, d in self._grid.near(obs.lon, obs.lat, cfg.max_distance_m):
                if other_id == mmsi:
                    continue
                other = self._vessels[other_id]
                if abs((obs.time - other.last.time).total_seconds()) > cfg.max_fix_age_s:
                    continue
                lat = (obs.lat + other.last.lat) / 2
                lon = (obs.lon + other.last.lon) / 2
                if self._ports.within(lat, lon, cfg.min_port_distance_km * 1000.0) is not None:
                    continue
                changes.extend(self._sighting(obs, other, d, lat, lon, state))
        changes.extend(self._sweep(state, now))
        return changes

    def _slow(self, obs: Observation, speed: float | None) -> bool:
        if obs.nav_status is not None and obs.nav_status in self.config.excused_nav_statuses:
            return False
        return speed is not None and speed < self.config.max_speed_kt

    def _adopt(self, state: MonitorState) -> None:
        self._adopted = True
        for inc in state.open.of_kind(IncidentKind.RENDEZVOUS):
            other = inc.details.get("other_subject_id")
            if inc.subject_id is None or other is None:
                continue
            pair = (inc.subject_id, str(other))
            m = self._meetings[pair] = _Meeting(
                inc.started_at.timestamp(), inc.last_seen_at.timestamp(),
                float(inc.details.get("lat", 0.0)), float(inc.details.get("lon", 0.0)),
                float(inc.details.get("distance_m", 0.0)),
            )
            m.open_key = inc.dedupe_key
            m.last_update_s = m.last_s

    def _sighting(
        self,
        obs: Observation,
        other: _Vessel,
        d: float,
        lat: float,
        lon: float,
        state: MonitorState,
    ) -> list[IncidentChange]:
        cfg = self.config
        a, b = sorted((obs.subject_id, other.last.subject_id))
        pair = (a, b)
        t_s = obs.t_s
        m = self._meetings.get(pair)
        if m is None or (t_s - m.last_s > cfg.max_break_s and m.open_key is None):
            m = self._meetings[pair] = _Meeting(min(t_s, other.last.t_s), t_s, lat, lon, d)
        m.last_s = max(m.last_s, t_s)
        m.lat, m.lon, m.distance_m = lat, lon, d
        m.min_distance_m = min(m.min_distance_m, d)
        m.sightings += 1
        zone = most_severe((*self._vessels[a].zones, *self._vessels[b].zones))
        if zone is not None and (m.zone is None or zone.severity.rank > m.zone.severity.rank):
            m.zone = zone
        if m.open_key is None:
            if m.last_s - m.first_s < cfg.min_duration_s:
                return []
            m.open_key = f"rendezvous:{a}:{b}:{iso_key(utc_from_epoch_s(m.first_s))}"
            m.last_update_s = t_s
            return [self._change(ChangeAction.OPEN, pair, m, state, obs)]
        if t_s - m.last_update_s >= cfg.update_every_s:
            m.last_update_s = t_s
            return [self._change(ChangeAction.UPDATE, pair, m, state, obs)]
        return []

    def _sweep(self, state: MonitorState, now: datetime) -> list[IncidentChange]:
        cfg = self.config
        if self._swept_at is not None and (now - self._swept_at).total_seconds() < cfg.sweep_every_s:
            return []
        self._swept_at = now
        now_s = now.timestamp()
        out: list[IncidentChange] = []
        for pair, m in list(self._meetings.items()):
            if now_s - m.last_s <= cfg.max_break_s:
                continue
            del self._meetings[pair]
            if m.open_key is not None:
                out.append(self._change(ChangeAction.CLOSE, pair, m, state, None))
        if self._forgot_at is None or (now - self._forgot_at).total_seconds() >= cfg.max_break_s:
            self._forgot_at = now
            stale = [k for k, v in self._vessels.items() if now_s - v.last.t_s > 2 * cfg.max_break_s]
            for k in stale:
                del self._vessels[k]
                self._grid.remove(k)
        return out

    def _change(
        self,
        action: ChangeAction,
        pair: tuple[str, str],
        m: _Meeting,
        state: MonitorState,
        obs: Observation | None,
    ) -> IncidentChange:
        a, b = pair
        va, vb = self._vessels.get(a), self._vessels.get(b)
        label_a = vessel_label(va.last if va else None, state.vessels.get(a), a)
        label_b = vessel_label(vb.last if vb else None, state.vessels.get(b), b)
        start = utc_from_epoch_s(m.first_s)
        last = utc_from_epoch_s(m.last_s)
        duration_s = m.last_s - m.first_s
        at = {ChangeAction.OPEN: start, ChangeAction.UPDATE: last, ChangeAction.CLOSE: last}[action]
        zone = m.zone
        severity = zone.severity if zone is not None and zone.severity.rank > Severity.MEDIUM.rank else Severity.MEDIUM
        port, port_d = self._ports.nearest(m.lat, m.lon)
        details: dict[str, object] = {
            "other_subject_id": b,
            "other_label": label_b,
            "met_since": start.isoformat(),
            "last_seen_together_at": last.isoformat(),
            "duration_s": round(duration_s, 1),
            "distance_m": round(m.distance_m, 1),
            "min_distance_m": round(m.min_distance_m, 1),
            "sightings": m.sightings,
            "lat": round(m.lat, 6),
            "lon": round(m.lon, 6),
            "nearest_port": port.name if port is not None else None,
            "nearest_port_km": round(port_d / 1000.0, 1) if port is not None else None,
            "speed_kt": va.speed_kt if va else None,
            "other_speed_kt": vb.speed_kt if vb else None,
        }
        if zone is not None:
            details["zone_name"] = zone.name
            details["zone_kind"] = zone.kind.value
        verb = {ChangeAction.OPEN: "meeting", ChangeAction.UPDATE: "still meeting",
                ChangeAction.CLOSE: "parted from"}[action]
        evidence = []
        if action is not ChangeAction.CLOSE:
            for v in (va, vb):
                if v is not None:
                    evidence.append(Evidence.of(v.last, f"{verb}: {m.distance_m:.0f} m apart"))
        return change(
            action,
            m.open_key or "",
            IncidentKind.RENDEZVOUS,
            severity,
            at,
            f"{label_a} {verb} {label_b} for {duration_s / 3600:.1f} h, "
            f"{m.distance_m:.0f} m apart",
            subject_id=a,
            label=label_a,
            zone=zone,
            lat=m.lat,
            lon=m.lon,
            details=details,
            evidence=evidence,
            track=((m.lon, m.lat),),
        )
