"""Emergency: squawk 7500 / 7600 / 7700 or the ADS-B ``emergency`` field.

Opens an incident when an aircraft reports an emergency on ``confirm_fixes`` fixes within
``confirm_within_s`` (one garbled squawk is not an emergency), updates it when the code
changes (the severity follows the worst code of the episode), and closes it when the
aircraft reports a clear state on ``clear_fixes`` consecutive fixes, or has not been heard
for ``lost_after_s``.

Codes and severities (7500 / ``unlawful`` rank highest)::

    7500, unlawful          unlawful interference (hijack)   critical
    7700, general, downed   general emergency / downed       high
    7600, nordo             radio failure                    medium
    minfuel                 minimum fuel                     medium
    lifeguard               medical flight (priority)        low

A fix says nothing about the emergency state when it carries neither a squawk nor an
``emergency`` value (OpenSky without squawk, MLAT); such fixes neither confirm nor clear.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

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
from monitor.timeutil import utc_from_epoch_s

SQUAWK_CODES = {"7500": "unlawful", "7600": "nordo", "7700": "general"}

#: emergency code -> (severity, what it means)
CODES: dict[str, tuple[Severity, str]] = {
    "unlawful": (Severity.CRITICAL, "unlawful interference (squawk 7500)"),
    "general": (Severity.HIGH, "general emergency (squawk 7700)"),
    "downed": (Severity.HIGH, "downed aircraft"),
    "nordo": (Severity.MEDIUM, "radio failure (squawk 7600)"),
    "minfuel": (Severity.MEDIUM, "minimum fuel"),
    "lifeguard": (Severity.LOW, "lifeguard / medical priority"),
}


@dataclass(frozen=True)
class EmergencyConfig:
    """Thresholds of :class:`EmergencyDetector`.

    ``confirm_fixes`` (2): fixes with an emergency code needed to open, within
    ``confirm_within_s`` (300) of the first; a single decoding glitch of a squawk does not
    open an incident. ``clear_fixes`` (2): consecutive fixes with a known, non-emergency
    state needed to close (feeds disagree for a poll or two when a crew resets the code).
    ``lost_after_s`` (1800): an emergency aircraft not heard for this long (landed, out of
    coverage) closes as "contact lost". ``include_lifeguard`` (True): whether the
    ``lifeguard`` status (a medical flight asking for priority, not a distress) opens an
    incident (at low severity).
    """

    confirm_fixes: int = 2
    confirm_within_s: float = 300.0
    clear_fixes: int = 2
    lost_after_s: float = 1800.0
    include_lifeguard: bool = True


def emergency_code(obs: Observation) -> str | None:
    """The emergency code a fix reports (``"unlawful"`` ...), ``""`` for a reported clear
    state, ``None`` when the fix says nothing about it."""
    em = (obs.emergency or "").strip().lower()
    sq_code = SQUAWK_CODES.get(obs.squawk or "")
    em_code = em if em in CODES else None
    if sq_code and em_code:
        # the worse of the two
        return sq_code if CODES[sq_code][0].rank >= CODES[em_code][0].rank else em_code
    if sq_code or em_code:
        return sq_code or em_code
    if obs.squawk is not None or em == "none":
        return ""
    return None


@dataclass(slots=True)
class _Episode:
    first_s: float
    hits: int
    code: str
    worst: str
    key: str | None = None
    clear: int = 0
    last_s: float = 0.0
    last: Observation | None = None
    codes: tuple[str, ...] = ()


class EmergencyDetector(Detector):
    name = "emergency"
    kinds = (IncidentKind.EMERGENCY,)

    def __init__(self, config: EmergencyConfig | None = None) -> None:
        self.config = config or EmergencyConfig()
        self._active: dict[str, _Episode] = {}
        self._adopted = False

    def detect(
        self, batch: DetectionBatch, state: MonitorState, now: datetime
    ) -> list[IncidentChange]:
        cfg = self.config
        changes: list[IncidentChange] = []
        if not self._adopted:
            self._adopt(state)
        active = self._active
        for obs in batch.observations:
            if obs.subject_kind is not SubjectKind.AIRCRAFT:
                continue
            ep = active.get(obs.subject_id)
            if ep is None and obs.squawk not in SQUAWK_CODES and not obs.emergency:
                continue
            code = emergency_code(obs)
            if code == "lifeguard" and not cfg.include_lifeguard:
                code = ""
            if code is None:
                if ep is not None:
                    ep.last_s, ep.last = obs.t_s, obs
                continue
            t = obs.t_s
            if ep is None:
                if not code:
                    continue
                ep = active[obs.subject_id] = _Episode(t, 0, code, code)
            ep.last_s, ep.last = t, obs
            if code:
                ep.clear = 0
                if ep.key is None and t - ep.first_s > cfg.confirm_within_s:
                    ep.first_s, ep.hits = t, 0  # too slow to confirm: start again
                ep.hits += 1
                changed = code != ep.code
                ep.code = code
                if code not in ep.codes:
                    ep.codes = (*ep.codes, code)
                if CODES[code][0].rank > CODES[ep.worst][0].rank:
                    ep.worst = code
                if ep.key is None:
                    if ep.hits >= cfg.confirm_fixes:
                        ep.key = f"emergency:{obs.subject_id}:{iso_key(utc_from_epoch_s(ep.first_s))}"
                        changes.append(self._change(ChangeAction.OPEN, ep, obs, ep.first_s))
                elif changed:
                    changes.append(self._change(ChangeAction.UPDATE, ep, obs, t))
                continue
            ep.clear += 1
            if ep.key is None:
                del active[obs.subject_id]
            elif ep.clear >= cfg.clear_fixes:
                changes.append(self._change(ChangeAction.CLOSE, ep, obs, t, because="code_cleared"))
                del active[obs.subject_id]
        now_s = now.timestamp()
        for hex_id, ep in list(active.items()):
            if now_s - ep.last_s < cfg.lost_after_s:
                continue
            if ep.key is not None and ep.last is not None:
                changes.append(
                    self._change(ChangeAction.CLOSE, ep, ep.last, ep.last_s, because="lost_contact")
                )
            del active[hex_id]
        return changes

    def _adopt(self, state: MonitorState) -> None:
        """Follow emergencies left open by a previous run (they close like any other)."""
        self._adopted = True
        for inc in state.open.of_kind(IncidentKind.EMERGENCY):
            code = str(inc.details.get("code") or "general")
            if code not in CODES:
                code = "general"
            worst = str(inc.details.get("worst_code") or code)
            ep = _Episode(
                inc.started_at.timestamp(), 1, code, worst if worst in CODES else code,
                key=inc.dedupe_key, last_s=inc.last_seen_at.timestamp(),
            )
            last = state.tracks.last(("aircraft", inc.subject_id or ""))
            ep.last = last
            if inc.subject_id:
                self._active[inc.subject_id] = ep

    def _change(
        self,
        action: ChangeAction,
        ep: _Episode,
        obs: Observation,
        at_s: float,
        *,
        because: str | None = None,
    ) -> IncidentChange:
        assert ep.key is not None
        severity, meaning = CODES[ep.worst]
        _, now_meaning = CODES[ep.code]
        label = obs.label
        details: dict[str, Any] = {
            "code": ep.code,
            "worst_code": ep.worst,
            "codes_seen": list(ep.codes or (ep.code,)),
            "meaning": now_meaning,
            "squawk": obs.squawk,
            "emergency": obs.emergency,
            "callsign": obs.callsign,
            "altitude_ft": obs.altitude_ft,
            "ground_speed_kt": obs.ground_speed_kt,
        }
        if action is ChangeAction.CLOSE:
            details["closed_because"] = because
            summary = f"{label}: emergency over ({meaning})" if because == "code_cleared" else (
                f"{label}: contact lost during emergency ({meaning})"
            )
        else:
            summary = f"{label} reports {now_meaning}"
            if obs.squawk:
                summary += f", squawk {obs.squawk}"
        return IncidentChange(
            action=action,
            dedupe_key=ep.key,
            kind=IncidentKind.EMERGENCY,
            severity=severity,
            at=utc_from_epoch_s(at_s),
            summary=summary,
            subject_kind="aircraft",
            subject_id=obs.subject_id,
            subject_label=obs.callsign,
            lat=obs.lat,
            lon=obs.lon,
            details=details,
            evidence=(Evidence.of(obs, f"emergency {ep.code or 'cleared'}"),),
            track=((obs.lon, obs.lat),),
        )
