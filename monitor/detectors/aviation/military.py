"""Military presence: military-flagged aircraft around the watched zone, as one summary.

Military aircraft (``dbFlags & 1`` in readsb data) within ``radius_nm`` of the watched
zone (``SVZM``, else the first of ``fallback_zone_ids`` in force, e.g. the FIR itself
before the restriction existed) are summarised at info severity in one rolling incident:
"4 military aircraft within 150 nm of SVZM in the last hour". It opens with the first
such aircraft, is updated whenever the set of aircraft seen in the last ``window_s``
changes (details list each aircraft), and closes when none has been seen for
``window_s``, at the time of the last sighting. An incident lasting ``max_duration_s``
is closed and a fresh one opened, so a presence that goes on for weeks reads as one
incident per day rather than one without end.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import shapely

from monitor.detectors.base import DetectionBatch, Detector, MonitorState, iso_key
from monitor.domain import (
    ChangeAction,
    Evidence,
    IncidentChange,
    IncidentKind,
    Observation,
    Severity,
    SubjectKind,
    ZoneVersion,
)
from monitor.domain.zone import governing
from monitor.timeutil import utc_from_epoch_s
from monitor.units import M_PER_NM

#: a military aircraft already seen is looked at again at most this often
SAMPLE_EVERY_S = 30.0


@dataclass(frozen=True)
class MilitaryConfig:
    """Thresholds of :class:`MilitaryPresenceDetector`.

    ``zone_id`` (SVZM) and ``fallback_zone_ids`` (FIR-SVZM): the watched zone.
    ``radius_nm`` (150, the issue's example). ``window_s`` (3600: "in the last hour").
    ``max_duration_s`` (86400): a longer presence rolls over into a new incident.
    ``max_listed`` (50): aircraft listed in the details.
    """

    zone_id: str = "SVZM"
    fallback_zone_ids: tuple[str, ...] = ("FIR-SVZM",)
    radius_nm: float = 150.0
    window_s: float = 3600.0
    max_duration_s: float = 86400.0
    max_listed: int = 50


@dataclass(slots=True)
class _Sighting:
    obs: Observation
    first_s: float
    distance_nm: float


class MilitaryPresenceDetector(Detector):
    name = "military_presence"
    kinds = (IncidentKind.MILITARY_PRESENCE,)

    def __init__(self, config: MilitaryConfig | None = None) -> None:
        self.config = config or MilitaryConfig()
        self._seen: dict[str, _Sighting] = {}
        self._key: str | None = None
        self._opened_s = 0.0
        self._reported: frozenset[str] = frozenset()
        self._zone: ZoneVersion | None = None
        self._last_s: float | None = None
        #: hex -> when a military aircraft was last looked at
        self._checked: dict[str, float] = {}
        self._adopted = False

    def _watched(self, state: MonitorState, now: datetime) -> ZoneVersion | None:
        in_force = state.zones.in_force(now)
        for zone_id in (self.config.zone_id, *self.config.fallback_zone_ids):
            versions = [v for v in in_force if v.zone_id == zone_id and v.restricts]
            if versions:
                return governing(versions)
        return None

    def detect(
        self, batch: DetectionBatch, state: MonitorState, now: datetime
    ) -> list[IncidentChange]:
        cfg = self.config
        if not self._adopted:
            self._adopted = True
            for inc in state.open.of_kind(IncidentKind.MILITARY_PRESENCE):
                self._key, self._opened_s = inc.dedupe_key, inc.started_at.timestamp()
                self._last_s = inc.last_seen_at.timestamp()
        military = [
            o for o in batch.observations
            if o.military is True and o.subject_kind is SubjectKind.AIRCRAFT
        ]
        if military:
            zone = self._watched(state, now)
            if zone is not None:
                if zone is not self._zone:
                    self._zone = zone
                    shapely.prepare(zone.geometry)
                checked = self._checked
                for obs in military:
                    t = obs.t_s
                    if t - checked.get(obs.subject_id, float("-inf")) < SAMPLE_EVERY_S:
                        continue  # looked at a moment ago: nothing new to say about it
                    checked[obs.subject_id] = t
                    prev = self._seen.get(obs.subject_id)
                    if shapely.contains_xy(zone.geometry, obs.lon, obs.lat):
                        dist_nm = 0.0
                    else:
                        dist_nm = state.zones.distance_to_boundary_m(obs.lon, obs.lat, zone) / M_PER_NM
                    if dist_nm > cfg.radius_nm:
                        continue
                    if prev is None or obs.time >= prev.obs.time:
                        first = prev.first_s if prev is not None else obs.t_s
                        self._seen[obs.subject_id] = _Sighting(obs, first, dist_nm)
                        self._last_s = max(self._last_s or obs.t_s, obs.t_s)
        now_s = now.timestamp()
        horizon = now_s - cfg.window_s
        for hex_id in [h for h, s in self._seen.items() if s.obs.t_s < horizon]:
            del self._seen[hex_id]
        if len(self._checked) > 4 * len(self._seen) + 1000:
            self._checked = {h: t for h, t in self._checked.items() if t >= horizon}
        changes: list[IncidentChange] = []
        current = frozenset(self._seen)
        quiet = not current and (self._last_s is None or now_s - self._last_s >= cfg.window_s)
        if self._key is not None and (quiet or now_s - self._opened_s >= cfg.max_duration_s):
            last_s = self._last_s if self._last_s is not None else now_s
            changes.append(self._change(ChangeAction.CLOSE, min(last_s, now_s)))
            self._key = None
            self._reported = frozenset()
        if current and self._key is None:
            start_s = min(s.obs.t_s for s in self._seen.values())
            zone_id = self._zone.zone_id if self._zone else cfg.zone_id
            self._key = f"military_presence:{zone_id}:{iso_key(utc_from_epoch_s(start_s))}"
            self._opened_s = start_s
            self._reported = current
            changes.append(self._change(ChangeAction.OPEN, start_s))
        elif current and current != self._reported:
            self._reported = current
            changes.append(self._change(ChangeAction.UPDATE, now_s))
        return changes

    def _change(self, action: ChangeAction, at_s: float) -> IncidentChange:
        cfg = self.config
        assert self._key is not None
        sightings = sorted(self._seen.values(), key=lambda s: s.obs.time, reverse=True)
        zone = self._zone
        zone_id = zone.zone_id if zone else cfg.zone_id
        n = len(sightings)
        aircraft: list[dict[str, Any]] = [
            {
                "hex": s.obs.subject_id,
                "callsign": s.obs.callsign,
                "type": s.obs.aircraft_type,
                "registration": s.obs.registration,
                "last_seen_at": s.obs.time.isoformat(),
                "first_seen_at": utc_from_epoch_s(s.first_s).isoformat(),
                "lat": s.obs.lat,
                "lon": s.obs.lon,
                "altitude_ft": s.obs.altitude_ft,
                "distance_nm": round(s.distance_nm, 1),
                "inside": s.distance_nm == 0.0,
            }
            for s in sightings[: cfg.max_listed]
        ]
        hours = cfg.window_s / 3600.0
        window = "the last hour" if hours == 1 else f"the last {hours:g} hours"
        summary = (
            f"{n} military aircraft within {cfg.radius_nm:g} nm of {zone_id} in {window}"
            if action is not ChangeAction.CLOSE
            else f"no military aircraft within {cfg.radius_nm:g} nm of {zone_id} any more"
        )
        latest = sightings[0].obs if sightings else None
        return IncidentChange(
            action=action,
            dedupe_key=self._key,
            kind=IncidentKind.MILITARY_PRESENCE,
            severity=Severity.INFO,
            at=utc_from_epoch_s(at_s),
            summary=summary,
            subject_kind="zone",
            subject_id=zone_id,
            zone_id=zone_id,
            zone_version=zone.version if zone else None,
            lat=latest.lat if latest else None,
            lon=latest.lon if latest else None,
            details={
                "count": n,
                "radius_nm": cfg.radius_nm,
                "window_s": cfg.window_s,
                "aircraft": aircraft,
                "aircraft_ids": [a["hex"] for a in aircraft],
            },
            evidence=tuple(Evidence.of(s.obs, "military aircraft") for s in sightings[:5])
            if action is not ChangeAction.CLOSE
            else (),
        )
