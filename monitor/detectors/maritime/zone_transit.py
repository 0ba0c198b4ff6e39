"""Zone entry, exit and crossing: vessels and the strike zones, territorial seas,
navigational warnings and watch areas, from the geofence engine's transitions.

* ``enter`` (or the first ``inside`` seen, after a restart) opens a ``zone_entry``
  incident, ``inside`` updates it (at most every ``update_every_s``, with evidence), and
  ``exit`` closes it. A vessel not heard for ``lost_after_s`` while inside closes it as
  "lost contact", at the time of its last fix (going dark is the going-dark detector's
  business).
* ``cross`` (two consecutive fixes outside whose straight segment passes through the zone)
  opens and closes a ``zone_crossing`` incident at once, from the first fix to the second,
  with the crossing point.

Severity is the zone version's own ``severity`` (strike zones are declared ``high``, the
territorial sea ``info``). One incident per vessel and zone; aircraft are not looked at.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from monitor.detectors.base import DetectionBatch, Detector, MonitorState, iso_key
from monitor.detectors.maritime.common import (
    VESSEL,
    WATCHED_ZONE_KINDS,
    change,
    plausible_move,
    vessel_details,
    vessel_label,
    watched,
    zone_kinds,
)
from monitor.domain import (
    ChangeAction,
    Evidence,
    IncidentChange,
    IncidentKind,
    Observation,
    ZoneVersion,
)
from monitor.geofence.types import Transition, TransitionKind


@dataclass(frozen=True)
class ZoneTransitConfig:
    """Thresholds of :class:`ZoneTransitDetector`."""

    #: zone kinds reported (``strike_zone``, ``territorial_sea``, ``navigational_warning``,
    #: ``watch_area``; ``land`` and airspace kinds make no sense here)
    zone_kinds: tuple[str, ...] = WATCHED_ZONE_KINDS
    #: while a vessel stays inside, one update (with evidence) per this interval at most
    update_every_s: float = 600.0
    #: a vessel inside and unheard for this long: the incident closes as "lost contact"
    lost_after_s: float = 7200.0
    #: the lost-contact sweep runs at most once per this interval of data time
    sweep_every_s: float = 60.0
    #: a transition reached by a move faster than this (plus ``jump_tolerance_m``) is a
    #: position jump, not a transit: it is ignored (the spoofing detector reports it)
    max_plausible_speed_kt: float = 60.0
    jump_tolerance_m: float = 2000.0


@dataclass(slots=True)
class _Inside:
    key: str
    zone: ZoneVersion
    entered_at: datetime
    last_fix_at: datetime
    last_update_at: datetime
    lat: float | None = None
    lon: float | None = None
    label: str | None = None


class ZoneTransitDetector(Detector):
    """``zone_entry`` / ``zone_crossing`` incidents of vessels in watched zones."""

    name = "zone_transit"
    kinds = (IncidentKind.ZONE_ENTRY, IncidentKind.ZONE_CROSSING)

    def __init__(self, config: ZoneTransitConfig | None = None) -> None:
        self.config = config or ZoneTransitConfig()
        self._kinds = zone_kinds(self.config.zone_kinds)
        self._inside: dict[tuple[str, str], _Inside] = {}
        self._adopted = False
        self._swept_at: datetime | None = None
        #: transitions ignored because they came with an impossible move
        self.ignored_jumps = 0

    def reads_transitions(self, zone: ZoneVersion) -> bool:
        return watched(zone, self._kinds)

    def detect(
        self, batch: DetectionBatch, state: MonitorState, now: datetime
    ) -> list[IncidentChange]:
        if not self._adopted:
            self._adopt(state)
        changes: list[IncidentChange] = []
        observations = batch.observations
        for tr in batch.geofence.transitions:
            if tr.subject_kind != VESSEL or not watched(tr.zone, self._kinds):
                continue
            obs = observations[tr.obs_index]
            if not self._plausible(tr, obs, state):
                self.ignored_jumps += 1
                continue
            if tr.kind is TransitionKind.CROSS:
                changes.extend(self._crossing(tr, obs, state))
                continue
            pair = (tr.subject_id, tr.zone.zone_id)
            cur = self._inside.get(pair)
            if tr.kind is TransitionKind.EXIT:
                if cur is not None:
                    del self._inside[pair]
                    changes.append(self._exit(cur, tr, obs, state))
                continue
            if cur is None:
                cur = self._inside[pair] = _Inside(
                    key=f"zone_entry:{tr.subject_id}:{tr.zone.zone_id}:{iso_key(tr.entered_at or tr.at)}",
                    zone=tr.zone,
                    entered_at=tr.entered_at or tr.at,
                    last_fix_at=obs.time,
                    last_update_at=obs.time,
                )
                changes.append(self._entry(ChangeAction.OPEN, cur, tr, obs, state))
                continue
            cur.last_fix_at = max(cur.last_fix_at, obs.time)
            cur.zone = tr.zone
            if (obs.time - cur.last_update_at).total_seconds() >= self.config.update_every_s:
                cur.last_update_at = obs.time
                changes.append(self._entry(ChangeAction.UPDATE, cur, tr, obs, state))
        changes.extend(self._sweep(state, now))
        return changes

    # --- internals --------------------------------------------------------------------------

    def _plausible(self, tr: Transition, obs: Observation, state: MonitorState) -> bool:
        """Whether the move that made this transition is one a vessel can make."""
        if tr.kind is TransitionKind.CROSS:
            if tr.prev_lat is None or tr.prev_lon is None or tr.prev_at is None:
                return True
            prev = (tr.prev_lat, tr.prev_lon, tr.prev_at.timestamp())
        elif tr.kind in (TransitionKind.ENTER, TransitionKind.EXIT):
            before = state.tracks.previous(obs)
            if before is None:
                return True
            prev = (before.lat, before.lon, before.t_s)
        else:
            return True
        return plausible_move(
            *prev, obs.lat, obs.lon, obs.t_s,
            max_speed_kt=self.config.max_plausible_speed_kt,
            tolerance_m=self.config.jump_tolerance_m,
        )

    def _adopt(self, state: MonitorState) -> None:
        """Take over incidents left open by a previous run (the store reloads them)."""
        self._adopted = True
        for inc in state.open.of_kind(IncidentKind.ZONE_ENTRY):
            if inc.subject_id is None or inc.zone_id is None:
                continue
            pair = (inc.subject_id, inc.zone_id)
            if pair in self._inside:
                continue
            zone = next((z for z in state.zones.in_force(inc.last_seen_at) if z.zone_id == inc.zone_id), None)
            if zone is None:
                continue
            self._inside[pair] = _Inside(
                inc.dedupe_key, zone, inc.started_at, inc.last_seen_at, inc.last_seen_at
            )

    def _sweep(self, state: MonitorState, now: datetime) -> list[IncidentChange]:
        if self._swept_at is not None and (now - self._swept_at).total_seconds() < self.config.sweep_every_s:
            return []
        self._swept_at = now
        out: list[IncidentChange] = []
        for pair, cur in list(self._inside.items()):
            last = state.tracks.last((VESSEL, pair[0]))
            last_t = max(cur.last_fix_at, last.time) if last is not None else cur.last_fix_at
            if (now - last_t).total_seconds() < self.config.lost_after_s:
                continue
            del self._inside[pair]
            zone = cur.zone
            details = self._zone_details(zone)
            details.update(
                entered_at=cur.entered_at.isoformat(),
                last_fix_at=last_t.isoformat(),
                dwell_s=round((last_t - cur.entered_at).total_seconds(), 1),
                closed_because="lost_contact",
            )
            out.append(
                change(
                    ChangeAction.CLOSE,
                    cur.key,
                    IncidentKind.ZONE_ENTRY,
                    zone.severity,
                    last_t,
                    f"{cur.label or 'MMSI ' + pair[0]}: contact lost inside {zone.name}",
                    subject_id=pair[0],
                    zone=zone,
                    details=details,
                )
            )
        return out

    @staticmethod
    def _zone_details(zone: ZoneVersion) -> dict[str, object]:
        return {
            "zone_name": zone.name,
            "zone_kind": zone.kind.value,
            "zone_status": zone.status.value,
            "authority": zone.authority,
            "source_ref": zone.source_ref,
            "confidence": zone.confidence,
        }

    def _fix_details(self, obs: Observation, state: MonitorState) -> dict[str, object]:
        return {
            "speed_kt": obs.ground_speed_kt,
            "course_deg": obs.track_deg,
            "nav_status": obs.nav_status,
            **vessel_details(state.vessels.get(obs.subject_id)),
        }

    def _entry(
        self,
        action: ChangeAction,
        cur: _Inside,
        tr: Transition,
        obs: Observation,
        state: MonitorState,
    ) -> IncidentChange:
        zone = tr.zone
        label = vessel_label(obs, state.vessels.get(obs.subject_id), obs.subject_id)
        cur.label = label
        details = self._zone_details(zone)
        details.update(self._fix_details(obs, state))
        details.update(
            entered_at=cur.entered_at.isoformat(),
            dwell_s=round((obs.time - cur.entered_at).total_seconds(), 1),
        )
        note = "entered" if action is ChangeAction.OPEN else "still inside"
        return change(
            action,
            cur.key,
            IncidentKind.ZONE_ENTRY,
            zone.severity,
            cur.entered_at if action is ChangeAction.OPEN else obs.time,
            f"{label} {note} {zone.name}",
            subject_id=obs.subject_id,
            label=label,
            zone=zone,
            lat=obs.lat,
            lon=obs.lon,
            details=details,
            evidence=(Evidence.of(obs, f"{tr.kind.value} {zone.zone_id}"),),
            track=((obs.lon, obs.lat),),
        )

    def _exit(
        self, cur: _Inside, tr: Transition, obs: Observation, state: MonitorState
    ) -> IncidentChange:
        zone = tr.zone
        label = vessel_label(obs, state.vessels.get(obs.subject_id), obs.subject_id)
        details = self._zone_details(zone)
        details.update(self._fix_details(obs, state))
        details.update(
            entered_at=cur.entered_at.isoformat(),
            exited_at=tr.at.isoformat(),
            dwell_s=round((tr.at - cur.entered_at).total_seconds(), 1),
        )
        return change(
            ChangeAction.CLOSE,
            cur.key,
            IncidentKind.ZONE_ENTRY,
            zone.severity,
            tr.at,
            f"{label} left {zone.name}",
            subject_id=obs.subject_id,
            label=label,
            zone=zone,
            lat=obs.lat,
            lon=obs.lon,
            details=details,
            evidence=(Evidence.of(obs, f"exit {zone.zone_id}"),),
            track=((obs.lon, obs.lat),),
        )

    def _crossing(
        self, tr: Transition, obs: Observation, state: MonitorState
    ) -> list[IncidentChange]:
        zone = tr.zone
        start = tr.prev_at or tr.at
        key = f"zone_crossing:{tr.subject_id}:{zone.zone_id}:{iso_key(start)}"
        label = vessel_label(obs, state.vessels.get(obs.subject_id), obs.subject_id)
        track: tuple[tuple[float, float], ...] = ((obs.lon, obs.lat),)
        if tr.prev_lon is not None and tr.prev_lat is not None:
            mid: tuple[tuple[float, float], ...] = ()
            if tr.crossing_lon is not None and tr.crossing_lat is not None:
                mid = ((tr.crossing_lon, tr.crossing_lat),)
            track = ((tr.prev_lon, tr.prev_lat), *mid, (obs.lon, obs.lat))
        details = self._zone_details(zone)
        details.update(self._fix_details(obs, state))
        details.update(
            crossed_between_fixes=True,
            previous_fix_at=start.isoformat(),
            crossing_lon=tr.crossing_lon,
            crossing_lat=tr.crossing_lat,
        )
        summary = f"{label} crossed {zone.name} between two fixes"
        lat = tr.crossing_lat if tr.crossing_lat is not None else obs.lat
        lon = tr.crossing_lon if tr.crossing_lon is not None else obs.lon
        common = dict(subject_id=obs.subject_id, label=label, zone=zone, details=details)
        return [
            change(
                ChangeAction.OPEN, key, IncidentKind.ZONE_CROSSING, zone.severity, start, summary,
                lat=lat, lon=lon, track=track,
                evidence=(Evidence.of(obs, f"segment crossed {zone.zone_id}"),),
                **common,  # type: ignore[arg-type]
            ),
            change(
                ChangeAction.CLOSE, key, IncidentKind.ZONE_CROSSING, zone.severity, obs.time,
                summary, lat=obs.lat, lon=obs.lon,
                **common,  # type: ignore[arg-type]
            ),
        ]
