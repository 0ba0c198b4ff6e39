"""Incursion: an airborne aircraft inside airspace whose rule in force binds it.

A zone's versions say whom they bind (:class:`~monitor.domain.zone.BindingScope`). On every
fix inside, the detector takes the versions of that zone in force at the fix's time and asks
each whether it binds this aircraft (its :class:`~monitor.domain.identity.AircraftIdentity`,
from the injected ``identify``). The strictest version that binds decides: bound opens an
incursion at the rule's severity (prohibition critical, closure high, a binding advisory
medium, a statement low); possibly bound (identity too thin to tell) opens one a step lower
and never above medium; not bound raises nothing (unbound traffic in an advisory area is
counted by the traffic detector), unless ``include_unbound`` asks for an ``info`` record of
it. The incident says which rule, whose, whom it binds and why this aircraft.

When the rule that bound an open incursion is no longer in force (it expired, was lifted or
superseded) while the aircraft is still inside, the incursion closes with "rule ended".

Opens an incident on ``enter`` (or on the first ``inside`` after a restart), updates it
while the aircraft stays, closes it on ``exit``, or when the aircraft has not been heard
for ``lost_after_s`` while inside. While it stays, one update per ``update_every_s`` of
data time carries the track points (and evidence) of every fix inside since the last one;
the close carries those still held. An aggregator reports an aircraft every second or so,
and an update per fix would rewrite each incident's track that often: at 3,500 aircraft
inside the declared airspace, thousands of incident writes a second. A straight segment
between two sparse fixes that passes through the zone (``cross``) opens and closes an
incident at once, with the crossing point.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime

from monitor.detectors.base import DetectionBatch, Detector, MonitorState, iso_key
from monitor.domain import (
    ChangeAction,
    Evidence,
    IncidentChange,
    IncidentKind,
    Observation,
    OpenIncident,
    Severity,
    ZoneKind,
    ZoneStatus,
    ZoneVersion,
)
from monitor.domain.identity import AircraftIdentity
from monitor.domain.zone import STATUS_RANK, Binding, Bound
from monitor.geofence.types import Transition, TransitionKind
from monitor.timeutil import iso_z

AIRSPACE_KINDS = frozenset({ZoneKind.CLOSED_AIRSPACE, ZoneKind.ADVISORY_AIRSPACE})

#: the severity of an incursion by the kind of rule that binds the aircraft
STATUS_SEVERITY = {
    ZoneStatus.PROHIBITED: Severity.CRITICAL,
    ZoneStatus.CLOSED: Severity.HIGH,
    ZoneStatus.ADVISORY: Severity.MEDIUM,
    ZoneStatus.STATEMENT: Severity.LOW,
}

#: possibly bound (identity too thin): one step lower, never above medium
POSSIBLY_SEVERITY = {
    Severity.CRITICAL: Severity.MEDIUM,
    Severity.HIGH: Severity.MEDIUM,
    Severity.MEDIUM: Severity.LOW,
    Severity.LOW: Severity.LOW,
}

Identify = Callable[[Observation], AircraftIdentity]


def _then(details: object, note: str) -> str:
    """The sentence an incursion opened with, then what ended it."""
    opened = details.get("incident") if isinstance(details, dict) else None
    return f"{opened}; then {note}" if opened else note


def identity_from_fix(obs: Observation) -> AircraftIdentity:
    """What a fix alone says of its aircraft (no address or designator tables)."""
    return AircraftIdentity(
        icao24=obs.subject_id,
        registration=obs.registration,
        aircraft_type=obs.aircraft_type,
        callsign=(obs.callsign or "").strip() or None,
        military=obs.military,
        military_because="feed flag" if obs.military else None,
    )


@dataclass(frozen=True, slots=True)
class Rule:
    """The version that decides an aircraft's incursion, and its answer."""

    version: ZoneVersion
    binding: Binding
    identity: AircraftIdentity

    @property
    def severity(self) -> Severity:
        base = STATUS_SEVERITY.get(self.version.status, Severity.MEDIUM)
        if self.binding.verdict is Bound.POSSIBLY:
            return POSSIBLY_SEVERITY[base]
        if self.binding.verdict is Bound.NOT_BOUND:
            return Severity.INFO
        return base

    def details(self) -> dict[str, object]:
        v = self.version
        return {
            "rule": v.key,
            "rule_kind": v.status.value,
            "authority": v.authority,
            "source_ref": v.source_ref,
            "source_url": v.source_url,
            "binds": str(v.binding_scope),
            "binds_whom": v.binding_scope.describe(),
            "bound": self.binding.verdict.value,
            "why": self.binding.reason,
            "rule_valid_from": iso_z(v.valid_from) if v.valid_from else None,
            "rule_valid_to": iso_z(v.valid_to) if v.valid_to else None,
            "identity": self.identity.describe(),
            "registry": self.identity.registry_iso2,
            "operator": self.identity.operator_icao,
            "military": self.identity.military,
        }

    def sentence(self, subject: str, zone_name: str) -> str:
        """``N518JA inside Maiquetia FIR: bound by FAA prohibition (ref): reason``."""
        v = self.version
        verdict = {
            Bound.BOUND: "bound by",
            Bound.POSSIBLY: "possibly bound by",
            Bound.NOT_BOUND: "not bound by",
        }[self.binding.verdict]
        return f"{subject} inside {zone_name}: {verdict} {v.authority} {v.status.value} ({v.source_ref}): {self.binding.reason}"


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
    #: also record aircraft a rule in force does not bind (severity info), e.g. to see who
    #: still flies through an advisory area; off: unbound traffic raises nothing
    include_unbound: bool = False


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

    def __init__(
        self, config: IncursionConfig | None = None, *, identify: Identify | None = None
    ) -> None:
        self.config = config or IncursionConfig()
        self.identify: Identify = identify or identity_from_fix
        self._last_evidence: dict[str, datetime] = {}
        #: open incursion -> track points and evidence not sent yet
        self._held: dict[str, _Held] = {}
        #: (zone id, epoch second) -> the versions of the zone in force then, strictest first
        self._in_force: dict[tuple[str, int], tuple[ZoneVersion, ...]] = {}
        self._in_force_second = -1
        #: (subject, zone id) -> (versions asked, call sign, military flag, the answer)
        self._answers: dict[tuple[str, str], tuple[tuple[str, ...], object, object, Rule | None]] = {}
        #: open incursion -> the rule that opened (or last updated) it
        self._rules: dict[str, Rule] = {}

    def use_identity(self, identify: Identify) -> None:
        """Identify aircraft with ``identify`` (address and designator tables) from now on."""
        self.identify = identify
        self._answers.clear()

    @staticmethod
    def applies(zone: ZoneVersion) -> bool:
        return zone.kind in AIRSPACE_KINDS and zone.status in STATUS_SEVERITY

    def reads_transitions(self, zone: ZoneVersion) -> bool:
        return self.applies(zone)

    # --- which rule decides -----------------------------------------------------------

    def _versions(self, state: MonitorState, zone_id: str, t_s: float, at: datetime
                  ) -> tuple[ZoneVersion, ...]:
        """The versions of ``zone_id`` in force at ``at`` that this detector reads, strictest
        first (one look-up per zone and second of data time)."""
        second = int(t_s)
        if second != self._in_force_second:
            self._in_force.clear()
            self._in_force_second = second
        key = (zone_id, second)
        found = self._in_force.get(key)
        if found is None:
            found = tuple(sorted(
                (v for v in state.zones.in_force(at) if v.zone_id == zone_id and self.applies(v)),
                key=lambda v: (-STATUS_RANK[v.status], v.version),
            ))
            self._in_force[key] = found
        return found

    def rule_for(self, state: MonitorState, obs: Observation, zone: ZoneVersion) -> Rule | None:
        """The version of ``zone`` that decides for this aircraft at the fix's time.

        Bound beats possibly bound; among equals the strictest kind of rule. ``None`` when
        no version in force binds it and ``include_unbound`` is off.
        """
        versions = self._versions(state, zone.zone_id, obs.t_s, obs.time) or (zone,)
        versions = tuple(v for v in versions if v.floor_ft <= (obs.altitude_ft or 0.0) <= v.ceiling_ft) or versions
        keys = tuple(v.key for v in versions)
        memo_key = (obs.subject_id, zone.zone_id)
        memo = self._answers.get(memo_key)
        if memo is not None and memo[0] == keys and memo[1] == obs.callsign and memo[2] == obs.military:
            return memo[3]
        who = self.identify(obs)
        best: Rule | None = None
        for v in versions:
            answer = v.binding_scope.binds(who)
            if answer.verdict is Bound.NOT_BOUND:
                continue
            if best is None or (answer.verdict is Bound.BOUND and best.binding.verdict is not Bound.BOUND):
                best = Rule(v, answer, who)
        if best is None and self.config.include_unbound:
            v = versions[0]
            best = Rule(v, v.binding_scope.binds(who), who)
        self._answers[memo_key] = (keys, obs.callsign, obs.military, best)
        if len(self._answers) > 200_000:
            self._answers.clear()
        return best

    # --- detection --------------------------------------------------------------------

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
                    rule = self.rule_for(state, obs, tr.zone)
                    if rule is not None:
                        changes.extend(self._crossing(tr, obs, rule))
                continue
            pair = (tr.subject_id, tr.zone.zone_id)
            if pair in local:
                open_key = local[pair]
            else:
                found = state.open.find(IncidentKind.INCURSION, tr.subject_id, tr.zone.zone_id)
                open_key = found.dedupe_key if found is not None else None
            if tr.kind is TransitionKind.EXIT:
                if open_key is not None:
                    close = self._change(
                        ChangeAction.CLOSE, open_key, tr, obs, f"left {tr.zone.name}", None
                    )
                    changes.append(self._with_held(close))
                    local[pair] = None
                    self._last_evidence.pop(open_key, None)
                continue
            if not airborne(obs, self.config.min_airborne_altitude_ft):
                continue
            rule = self.rule_for(state, obs, tr.zone)
            if open_key is None:
                if rule is None:
                    continue
                started = tr.entered_at or tr.at
                key = f"incursion:{tr.subject_id}:{tr.zone.zone_id}:{iso_key(started)}"
                changes.append(self._change(
                    ChangeAction.OPEN, key, tr, obs, f"inside {tr.zone.name}", rule
                ))
                local[pair] = key
                self._last_evidence[key] = obs.time
                self._held[key] = _Held(obs.t_s)
            elif rule is None:
                # still inside, but no rule in force binds it any more
                close = self._change(
                    ChangeAction.CLOSE, open_key, tr, obs,
                    f"inside {tr.zone.name} after its rule ended", None,
                    closed_because="rule_ended",
                )
                changes.append(self._with_held(close))
                local[pair] = None
                self._last_evidence.pop(open_key, None)
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
                    ChangeAction.UPDATE, key, tr, obs, f"still inside {tr.zone.name}", rule,
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
        """Close what went quiet inside, and what its rule no longer covers."""
        out = []
        for inc in list(state.open.of_kind(IncidentKind.INCURSION)):
            if (inc.subject_id or "", inc.zone_id or "") in local:
                continue
            rule_key = inc.details.get("rule") if inc.details else None
            if rule_key and inc.zone_id:
                in_force = self._versions(state, inc.zone_id, now.timestamp(), now)
                if all(v.key != rule_key for v in in_force):
                    out.append(self._ended(inc, now, in_force))
                    continue
            last = state.tracks.last(("aircraft", inc.subject_id or ""))
            last_t = last.time if last is not None else inc.last_seen_at
            if (now - last_t).total_seconds() < self.config.lost_after_s:
                continue
            self._last_evidence.pop(inc.dedupe_key, None)
            self._forget(inc.dedupe_key)
            out.append(self._with_held(
                IncidentChange(
                    action=ChangeAction.CLOSE,
                    dedupe_key=inc.dedupe_key,
                    kind=IncidentKind.INCURSION,
                    severity=inc.severity,
                    at=last_t,
                    summary=_then(inc.details, f"contact lost inside {inc.zone_id}"),
                    subject_kind="aircraft",
                    subject_id=inc.subject_id,
                    zone_id=inc.zone_id,
                    details={**inc.details, "closed_because": "lost_contact"},
                )
            ))
        return out

    def _ended(
        self, inc: OpenIncident, now: datetime, in_force: tuple[ZoneVersion, ...]
    ) -> IncidentChange:
        """The close of an open incursion whose rule is no longer in force."""
        self._last_evidence.pop(inc.dedupe_key, None)
        self._forget(inc.dedupe_key)
        ended = str(inc.details.get("rule_valid_to") or "")
        rule = inc.details.get("rule")
        why = f"rule ended: {rule} ({inc.details.get('authority')}) is no longer in force"
        if in_force:
            why += "; in force now: " + ", ".join(f"{v.key} ({v.status.value})" for v in in_force)
        return self._with_held(
            IncidentChange(
                action=ChangeAction.CLOSE,
                dedupe_key=inc.dedupe_key,
                kind=IncidentKind.INCURSION,
                severity=inc.severity,
                at=now,
                summary=_then(inc.details, why),
                subject_kind="aircraft",
                subject_id=inc.subject_id,
                zone_id=inc.zone_id,
                details={**inc.details, "closed_because": "rule_ended", "rule_ended": why,
                         "rule_end_stated": ended or None},
            )
        )

    def _forget(self, key: str) -> None:
        self._rules.pop(key, None)

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
        rule: Rule | None,
        *,
        evidence: bool = True,
        closed_because: str | None = None,
    ) -> IncidentChange:
        zone = tr.zone
        label = obs.label
        details: dict[str, object] = {
            "zone_name": zone.name,
            "zone_status": zone.status.value,
            "dwell_s": round(tr.dwell_s, 1),
            "altitude_ft": obs.altitude_ft,
            "ground_speed_kt": obs.ground_speed_kt,
            "callsign": obs.callsign,
            "squawk": obs.squawk,
        }
        if rule is not None:
            details.update(rule.details())
        if tr.entered_at is not None:
            details["entered_at"] = tr.entered_at.isoformat()
        if action is ChangeAction.CLOSE:
            details["exited_at"] = tr.at.isoformat()
        if closed_because:
            details["closed_because"] = closed_because
        if rule is not None:
            summary = rule.sentence(label, zone.name)
            details["incident"] = summary
            severity = rule.severity
        elif action is ChangeAction.CLOSE and key in self._rules:
            opened = self._rules[key]
            details.update(opened.details())
            summary = f"{opened.sentence(label, zone.name)}; then {note}"
            severity = opened.severity
        else:
            summary = f"{label} {note}"
            severity = STATUS_SEVERITY.get(zone.status, Severity.MEDIUM)
        if action is ChangeAction.CLOSE:
            self._rules.pop(key, None)
        elif rule is not None:
            self._rules[key] = rule
        return IncidentChange(
            action=action,
            dedupe_key=key,
            kind=IncidentKind.INCURSION,
            severity=severity,
            at=obs.time,
            summary=summary,
            subject_kind="aircraft",
            subject_id=tr.subject_id,
            subject_label=obs.callsign,
            zone_id=zone.zone_id,
            zone_version=(rule.version if rule is not None else zone).version,
            lat=obs.lat,
            lon=obs.lon,
            details=details,
            evidence=(_evidence(tr, obs),) if evidence else (),
            track=((obs.lon, obs.lat),),
        )

    def _crossing(self, tr: Transition, obs: Observation, rule: Rule) -> list[IncidentChange]:
        zone = tr.zone
        start = tr.prev_at or tr.at
        key = f"incursion:{tr.subject_id}:{zone.zone_id}:{iso_key(start)}:cross"
        track: tuple[tuple[float, float], ...] = ((obs.lon, obs.lat),)
        if tr.prev_lon is not None and tr.prev_lat is not None:
            mid = ()
            if tr.crossing_lon is not None and tr.crossing_lat is not None:
                mid = ((tr.crossing_lon, tr.crossing_lat),)
            track = ((tr.prev_lon, tr.prev_lat), *mid, (obs.lon, obs.lat))
        details: dict[str, object] = {
            "zone_name": zone.name,
            "zone_status": zone.status.value,
            "crossed_between_fixes": True,
            "previous_fix_at": start.isoformat(),
            "crossing_lon": tr.crossing_lon,
            "crossing_lat": tr.crossing_lat,
            "callsign": obs.callsign,
            **rule.details(),
        }
        summary = rule.sentence(obs.label, zone.name).replace(
            f"inside {zone.name}", f"crossed {zone.name} between two fixes", 1
        )
        common = dict(
            dedupe_key=key,
            kind=IncidentKind.INCURSION,
            severity=rule.severity,
            subject_kind="aircraft",
            subject_id=tr.subject_id,
            subject_label=obs.callsign,
            zone_id=zone.zone_id,
            zone_version=rule.version.version,
            details=details,
        )
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
