"""Incursion: an airborne aircraft inside an active closed, prohibited or advisory zone.

Opens an incident on ``enter`` (or on the first ``inside`` after a restart), updates it
while the aircraft stays, closes it on ``exit``, or when the aircraft has not been heard
for ``lost_after_s`` while inside. While it stays, one update per ``update_every_s`` of
data time carries the track points (and evidence) of every fix inside since the last one;
the close carries those still held. An aggregator reports an aircraft every second or so,
and an update per fix would rewrite each incident's track that often: at 3,500 aircraft
inside the declared airspace, thousands of incident writes a second. A straight segment
between two sparse fixes that passes through the zone (``cross``) opens and closes an
incident at once, with the crossing point.
Severity follows the governing zone version's status: prohibited -> critical,
closed -> high, advisory -> medium.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from monitor.detectors.base import DetectionBatch, Detector, MonitorState, iso_key
from monitor.domain import (
    ChangeAction,
    Evidence,
    IncidentChange,
    IncidentKind,
    Observation,
    Severity,
    ZoneKind,
    ZoneStatus,
    ZoneVersion,
)
from monitor.geofence.types import Transition, TransitionKind

AIRSPACE_KINDS = frozenset({ZoneKind.CLOSED_AIRSPACE, ZoneKind.ADVISORY_AIRSPACE})

STATUS_SEVERITY = {
    ZoneStatus.PROHIBITED: Severity.CRITICAL,
    ZoneStatus.CLOSED: Severity.HIGH,
    ZoneStatus.ADVISORY: Severity.MEDIUM,
}


@dataclass(frozen=True)
class IncursionConfig:
    """Thresholds of :class:`IncursionDetector`."""

    #: below this barometric altitude an aircraft with no on-ground flag counts as on the ground
    min_airborne_altitude_ft: float = 300.0
    #: an aircraft unheard for this long while inside: the incident closes as "lost contact"
    lost_after_s: float = 900.0
    #: evidence rows added while the aircraft stays inside, at most one per this interval
    evidence_every_s: float = 300.0
    #: while it stays inside: at most one update per incident per this interval of data
    #: time, with the track points of every fix since (0: one update per batch)
    update_every_s: float = 30.0


@dataclass(slots=True)
class _Held:
    """What an open incursion has gathered since its last update."""

    #: epoch seconds of the last change sent (open or update)
    sent_s: float
    track: list[tuple[float, float]] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)


def _evidence(tr: Transition, obs: Observation) -> Evidence:
    return Evidence.of(obs, f"{tr.kind.value} {tr.zone.zone_id}")


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def airborne(obs: Observation, min_altitude_ft: float) -> bool:
    if obs.on_ground is True:
        return False
    if obs.on_ground is False:
        return True
    return obs.altitude_ft is None or obs.altitude_ft >= min_altitude_ft


class IncursionDetector(Detector):
    name = "incursion"
    kinds = (IncidentKind.INCURSION,)

    def __init__(self, config: IncursionConfig | None = None) -> None:
        self.config = config or IncursionConfig()
        self._last_evidence: dict[str, datetime] = {}
        #: open incursion -> track points and evidence not sent yet
        self._held: dict[str, _Held] = {}

    @staticmethod
    def applies(zone: ZoneVersion) -> bool:
        return zone.kind in AIRSPACE_KINDS and zone.status in STATUS_SEVERITY

    def reads_transitions(self, zone: ZoneVersion) -> bool:
        return self.applies(zone)

    def detect(
        self, batch: DetectionBatch, state: MonitorState, now: datetime
    ) -> list[IncidentChange]:
        changes: list[IncidentChange | None] = []
        #: dedupe key -> position in ``changes`` of its update in this batch
        updates: dict[str, int] = {}
        obs_list = batch.observations
        # incidents opened or closed earlier in this same batch (state.open lags one batch)
        local: dict[tuple[str, str], str | None] = {}
        for tr in batch.geofence.transitions:
            if tr.subject_kind != "aircraft" or not self.applies(tr.zone):
                continue
            obs = obs_list[tr.obs_index]
            if tr.kind is TransitionKind.CROSS:
                if airborne(obs, self.config.min_airborne_altitude_ft):
                    changes.extend(self._crossing(tr, obs))
                continue
            pair = (tr.subject_id, tr.zone.zone_id)
            if pair in local:
                open_key = local[pair]
            else:
                found = state.open.find(IncidentKind.INCURSION, tr.subject_id, tr.zone.zone_id)
                open_key = found.dedupe_key if found is not None else None
            if tr.kind is TransitionKind.EXIT:
                if open_key is not None:
                    close = self._change(ChangeAction.CLOSE, open_key, tr, obs, f"left {tr.zone.name}")
                    changes.append(self._with_held(close))
                    local[pair] = None
                    self._last_evidence.pop(open_key, None)
                continue
            if not airborne(obs, self.config.min_airborne_altitude_ft):
                continue
            if open_key is None:
                started = tr.entered_at or tr.at
                key = f"incursion:{tr.subject_id}:{tr.zone.zone_id}:{iso_key(started)}"
                changes.append(
                    self._change(ChangeAction.OPEN, key, tr, obs, f"inside {tr.zone.name}")
                )
                local[pair] = key
                self._last_evidence[key] = obs.time
                self._held[key] = _Held(obs.t_s)
            else:
                key = open_key
                last_ev = self._last_evidence.get(key)
                with_evidence = (
                    last_ev is None
                    or (obs.time - last_ev).total_seconds() >= self.config.evidence_every_s
                )
                if with_evidence:
                    self._last_evidence[key] = obs.time
                gathered = self._held.get(key)
                if gathered is None:  # adopted after a restart: report at once
                    gathered = self._held[key] = _Held(float("-inf"))
                if obs.t_s - gathered.sent_s < self.config.update_every_s:
                    gathered.track.append((obs.lon, obs.lat))
                    if with_evidence:
                        gathered.evidence.append(_evidence(tr, obs))
                    continue
                update = self._with_held(self._change(
                    ChangeAction.UPDATE, key, tr, obs, f"still inside {tr.zone.name}",
                    evidence=with_evidence,
                ))
                self._held[key] = _Held(obs.t_s)
                held = updates.get(key)
                if held is not None and changes[held] is not None:
                    # one update per incident per batch: the latest, carrying the track
                    # points and evidence of the ones it replaces
                    earlier = changes[held]
                    assert earlier is not None
                    update = replace(
                        update,
                        evidence=earlier.evidence + update.evidence,
                        track=earlier.track + update.track,
                    )
                    changes[held] = None
                updates[key] = len(changes)
                changes.append(update)
        out = [c for c in changes if c is not None]
        out.extend(self._lost(state, now, local))
        return out

    def _lost(
        self, state: MonitorState, now: datetime, local: dict[tuple[str, str], str | None]
    ) -> list[IncidentChange]:
        out = []
        for inc in list(state.open.of_kind(IncidentKind.INCURSION)):
            if (inc.subject_id or "", inc.zone_id or "") in local:
                continue
            last = state.tracks.last(("aircraft", inc.subject_id or ""))
            last_t = last.time if last is not None else inc.last_seen_at
            if (now - last_t).total_seconds() < self.config.lost_after_s:
                continue
            self._last_evidence.pop(inc.dedupe_key, None)
            out.append(self._with_held(
                IncidentChange(
                    action=ChangeAction.CLOSE,
                    dedupe_key=inc.dedupe_key,
                    kind=IncidentKind.INCURSION,
                    severity=inc.severity,
                    at=last_t,
                    summary=f"contact lost inside {inc.zone_id}",
                    subject_kind="aircraft",
                    subject_id=inc.subject_id,
                    zone_id=inc.zone_id,
                    details={**inc.details, "closed_because": "lost_contact"},
                )
            ))
        return out

    def _with_held(self, ch: IncidentChange) -> IncidentChange:
        """``ch`` carrying, before its own, the track points and evidence gathered since the
        incident's last change; for a close, the incident's gathering ends."""
        if ch.action is ChangeAction.CLOSE:
            gathered = self._held.pop(ch.dedupe_key, None)
        else:
            gathered = self._held.get(ch.dedupe_key)
        if gathered is None or not (gathered.track or gathered.evidence):
            return ch
        return replace(
            ch,
            track=(*gathered.track, *ch.track),
            evidence=(*gathered.evidence, *ch.evidence),
        )

    def _change(
        self,
        action: ChangeAction,
        key: str,
        tr: Transition,
        obs: Observation,
        note: str,
        *,
        evidence: bool = True,
    ) -> IncidentChange:
        zone = tr.zone
        severity = STATUS_SEVERITY.get(zone.status, Severity.MEDIUM)
        label = obs.label
        details = {
            "zone_name": zone.name,
            "zone_status": zone.status.value,
            "authority": zone.authority,
            "source_ref": zone.source_ref,
            "dwell_s": round(tr.dwell_s, 1),
            "altitude_ft": obs.altitude_ft,
            "ground_speed_kt": obs.ground_speed_kt,
            "callsign": obs.callsign,
            "squawk": obs.squawk,
        }
        if tr.entered_at is not None:
            details["entered_at"] = tr.entered_at.isoformat()
        if action is ChangeAction.CLOSE:
            details["exited_at"] = tr.at.isoformat()
        return IncidentChange(
            action=action,
            dedupe_key=key,
            kind=IncidentKind.INCURSION,
            severity=severity,
            at=obs.time,
            summary=f"{label} {note} ({zone.status.value}, {_short(zone.authority)})",
            subject_kind="aircraft",
            subject_id=tr.subject_id,
            subject_label=obs.callsign,
            zone_id=zone.zone_id,
            zone_version=zone.version,
            lat=obs.lat,
            lon=obs.lon,
            details=details,
            evidence=(_evidence(tr, obs),) if evidence else (),
            track=((obs.lon, obs.lat),),
        )

    def _crossing(self, tr: Transition, obs: Observation) -> list[IncidentChange]:
        zone = tr.zone
        start = tr.prev_at or tr.at
        key = f"incursion:{tr.subject_id}:{zone.zone_id}:{iso_key(start)}:cross"
        severity = STATUS_SEVERITY.get(zone.status, Severity.MEDIUM)
        track: tuple[tuple[float, float], ...] = ((obs.lon, obs.lat),)
        if tr.prev_lon is not None and tr.prev_lat is not None:
            mid = ()
            if tr.crossing_lon is not None and tr.crossing_lat is not None:
                mid = ((tr.crossing_lon, tr.crossing_lat),)
            track = ((tr.prev_lon, tr.prev_lat), *mid, (obs.lon, obs.lat))
        details = {
            "zone_name": zone.name,
            "zone_status": zone.status.value,
            "authority": zone.authority,
            "source_ref": zone.source_ref,
            "crossed_between_fixes": True,
            "previous_fix_at": start.isoformat(),
            "crossing_lon": tr.crossing_lon,
            "crossing_lat": tr.crossing_lat,
            "callsign": obs.callsign,
        }
        common = dict(
            dedupe_key=key,
            kind=IncidentKind.INCURSION,
            severity=severity,
            subject_kind="aircraft",
            subject_id=tr.subject_id,
            subject_label=obs.callsign,
            zone_id=zone.zone_id,
            zone_version=zone.version,
            details=details,
        )
        summary = f"{obs.label} crossed {zone.name} between two fixes"
        return [
            IncidentChange(
                action=ChangeAction.OPEN,
                at=start,
                summary=summary,
                lat=tr.crossing_lat,
                lon=tr.crossing_lon,
                evidence=(Evidence.of(obs, f"segment crossed {zone.zone_id}"),),
                track=track,
                **common,  # type: ignore[arg-type]
            ),
            IncidentChange(
                action=ChangeAction.CLOSE,
                at=obs.time,
                summary=summary,
                lat=obs.lat,
                lon=obs.lon,
                **common,  # type: ignore[arg-type]
            ),
        ]
