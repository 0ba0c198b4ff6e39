"""A vessel changing who it says it is: name, call sign, IMO number or flag.

``identity_change`` incidents (opened and closed at once, at the time of the first static
message with the new value). What counts (:mod:`monitor.identity.vessel`):

* the **name**, **call sign** or **IMO number** an MMSI broadcasts takes a new value (a
  value first heard is no change, nor is a field a message did not send: AIS type 24 part A
  carries the name only);
* the **flag**: an IMO number, the hull's permanent identity, heard under a new MMSI whose
  MID is another State's (re-flagging, or a hull taking another vessel's identity).

Ship type and destination changes are kept in the store's history, not raised. Only vessel
classes (ship, craft of a parent ship, handheld) are followed: net buoys put their battery
level in their name.

Noise kept out: a new value is *held* for ``hold_s`` and dropped if the old one comes back
(a transponder alternating between two programmed names, two transmitters sharing the MMSI);
a value the MMSI broadcast within ``flip_window_s`` is no change; nothing is raised for an
MMSI with an ``identity_conflict`` open (its two transmitters' static data alternate).

Severity: ``high`` when the vessel is inside a strike zone (a name or flag change there is
news), ``medium`` inside another watched zone (territorial sea, navigational warning, watch
area) or for a flag or IMO change, else ``low``; the incident names the zone.

The detector reads static data from ``state.vessels`` at each of the vessel's position fixes
(an identity check per fix, nothing more, when nothing changed), so a change is seen with
the position that tells where it happened.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from monitor.detectors.base import DetectionBatch, Detector, MonitorState, iso_key
from monitor.detectors.maritime.common import (
    VESSEL,
    WATCHED_ZONE_KINDS,
    change,
    most_severe,
    watched_zones,
    zone_kinds,
)
from monitor.domain import (
    ChangeAction,
    Evidence,
    IncidentChange,
    IncidentKind,
    Observation,
    Severity,
    VesselInfo,
    ZoneKind,
    ZoneVersion,
)
from monitor.identity.vessel import (
    IDENTITY_FIELDS,
    flag_of,
    keeps_static_history,
    mmsi_class,
    static_changes,
    static_values,
    vessel_identity,
)
from monitor.timeutil import utc_from_epoch_s

_LABELS = {"name": "name", "callsign": "call sign", "imo": "IMO", "flag": "flag"}


@dataclass(frozen=True)
class IdentityChangeConfig:
    """Thresholds of :class:`IdentityChangeDetector`."""

    #: a new value must stay (the old one not heard again) this long before it is raised
    hold_s: float = 900.0
    #: a value the MMSI broadcast within this long is no change when it comes back
    flip_window_s: float = 86400.0
    #: zone kinds whose presence raises the severity (strike zones: ``high``)
    zone_kinds: tuple[str, ...] = WATCHED_ZONE_KINDS
    #: a vessel whose static data has not changed for this long is forgotten once its
    #: track is gone (the track store forgets a vessel unheard for 6 h)
    forget_after_s: float = 21600.0
    #: pending changes of silent vessels are settled at most once per this interval
    sweep_every_s: float = 60.0


@dataclass(slots=True)
class _Pending:
    old: str | int
    new: str | int
    at_s: float
    source: str


@dataclass(slots=True)
class _Vessel:
    info: VesselInfo
    values: dict[str, str | int]
    last_s: float
    pending: dict[str, _Pending] = field(default_factory=dict)
    #: (field, value) -> last time broadcast, once the vessel changed something
    seen: dict[tuple[str, str | int], float] | None = None
    #: the latest fix and its most severe watched zone, while a change is pending
    obs: Observation | None = None
    zone: ZoneVersion | None = None


class IdentityChangeDetector(Detector):
    """``identity_change`` incidents (see the module docstring)."""

    name = "identity_change"
    kinds = (IncidentKind.IDENTITY_CHANGE,)

    def __init__(self, config: IdentityChangeConfig | None = None) -> None:
        self.config = config or IdentityChangeConfig()
        self._kinds = zone_kinds(self.config.zone_kinds)
        self._vessels: dict[str, _Vessel] = {}
        #: IMO number -> (MMSI, flag ISO code, flag name) last heard with it
        self._imo: dict[int, tuple[str, str, str]] = {}
        #: MMSIs with a change pending
        self._pending: set[str] = set()
        #: MMSIs of classes that are not followed (aids to navigation, beacons ...)
        self._ignored: set[str] = set()
        self._swept_at: datetime | None = None
        self._forgot_at: datetime | None = None

    def detect(
        self, batch: DetectionBatch, state: MonitorState, now: datetime
    ) -> list[IncidentChange]:
        changes: list[IncidentChange] = []
        vessels_info = state.vessels
        if batch.observations and vessels_info:
            observations = batch.observations
            t_list = batch.t_s
            watched_of = watched_zones(batch, self._kinds)
            known = self._vessels
            ignored = self._ignored
            for i in batch.vessel_index:
                obs = observations[i]
                mmsi = obs.subject_id
                info = vessels_info.get(mmsi)
                if info is None:
                    continue
                v = known.get(mmsi)
                if v is not None:
                    if info is v.info and not v.pending:
                        continue  # the common case: nothing new
                elif mmsi in ignored:
                    continue
                changes.extend(self._fix(mmsi, v, info, obs, t_list[i], watched_of(i), state))
        changes.extend(self._sweep(state, now))
        return changes

    def _fix(
        self,
        mmsi: str,
        v: _Vessel | None,
        info: VesselInfo | None,
        obs: Observation,
        t_s: float,
        zones: tuple[ZoneVersion, ...],
        state: MonitorState,
    ) -> list[IncidentChange]:
        if v is None:
            assert info is not None
            cls = mmsi_class(mmsi)
            if not (cls.is_vessel and keeps_static_history(cls)):
                self._ignored.add(mmsi)
                return []
            v = self._vessels[mmsi] = _Vessel(info, {}, t_s)
            self._learn(v, info, t_s)
            self._note_flag(mmsi, v, info, t_s)
            return []
        v.last_s = t_s
        if info is not None and info is not v.info:
            v.info = info
            self._learn(v, info, t_s)
            self._note_flag(mmsi, v, info, t_s)
        if not v.pending:
            return []
        v.obs = obs
        v.zone = most_severe(zones) if zones else None
        return self._settle(mmsi, v, t_s, state)

    def _learn(self, v: _Vessel, info: VesselInfo, t_s: float) -> None:
        """Take ``info``'s values: a new name, call sign or IMO is held (module docstring)."""
        cfg = self.config
        known = v.values
        for ch in static_changes(known, info):
            if ch.field not in IDENTITY_FIELDS:
                continue
            pending = v.pending.get(ch.field)
            if ch.old is None:
                known[ch.field] = ch.new
                continue
            if v.seen is None:
                v.seen = {(ch.field, ch.old): t_s}
            v.seen[(ch.field, ch.old)] = t_s
            known[ch.field] = ch.new
            if pending is not None and pending.old == ch.new:
                del v.pending[ch.field]  # flipped back: no change
                continue
            seen_at = v.seen.get((ch.field, ch.new))
            if seen_at is not None and t_s - seen_at <= cfg.flip_window_s:
                v.pending.pop(ch.field, None)  # a value it had lately: alternating, no news
                continue
            old = pending.old if pending is not None else ch.old
            v.pending[ch.field] = _Pending(old, ch.new, t_s, info.source)
        if v.seen is not None:
            for name, value in static_values(info).items():
                if name in IDENTITY_FIELDS:
                    v.seen[(name, value)] = t_s
        if v.pending:
            self._pending.add(info.mmsi)

    def _note_flag(self, mmsi: str, v: _Vessel, info: VesselInfo, t_s: float) -> None:
        """An IMO number heard under a new MMSI of another flag: a flag change."""
        imo = v.values.get("imo")
        entry = flag_of(mmsi)
        if not isinstance(imo, int) or entry is None:
            return
        before = self._imo.get(imo)
        self._imo[imo] = (mmsi, entry.iso, entry.name)
        if before is None or before[0] == mmsi or before[1] == entry.iso:
            return
        v.pending["flag"] = _Pending(f"{before[2]} (MMSI {before[0]})", entry.name, t_s, info.source)
        self._pending.add(mmsi)

    def _settle(self, mmsi: str, v: _Vessel, now_s: float, state: MonitorState) -> list[IncidentChange]:
        """Raise the pending changes held for ``hold_s`` (one incident for those of a vessel)."""
        ready = {f: p for f, p in v.pending.items() if now_s - p.at_s >= self.config.hold_s}
        if not ready:
            return []
        for f in ready:
            del v.pending[f]
        if not v.pending:
            self._pending.discard(mmsi)
        if state.open.find(IncidentKind.IDENTITY_CONFLICT, mmsi) is not None:
            return []  # two transmitters: their static data alternate, no change of identity
        return self._incident(mmsi, v, ready, state)

    def _incident(
        self, mmsi: str, v: _Vessel, ready: dict[str, _Pending], state: MonitorState
    ) -> list[IncidentChange]:
        """The opened-and-closed incident of the changes ``ready`` of one vessel."""
        at_s = min(p.at_s for p in ready.values())
        at = utc_from_epoch_s(at_s)
        obs = v.obs
        zone = v.zone
        label = vessel_identity(mmsi, v.info).label
        order = ("name", "callsign", "imo", "flag")
        fields = sorted(ready, key=order.index)
        said = "; ".join(f"{_LABELS[f]} {ready[f].old} -> {ready[f].new}" for f in fields)
        where = f" inside {zone.name}" if zone is not None else ""
        if zone is not None and zone.kind is ZoneKind.STRIKE_ZONE:
            severity = Severity.HIGH
        elif zone is not None or "flag" in ready or "imo" in ready:
            severity = Severity.MEDIUM
        else:
            severity = Severity.LOW
        entry = flag_of(mmsi)
        details: dict[str, object] = {
            "changes": [
                {"attribute": f, "old": ready[f].old, "new": ready[f].new,
                 "at": utc_from_epoch_s(ready[f].at_s).isoformat(), "source": ready[f].source}
                for f in fields
            ],
            "mmsi_class": mmsi_class(mmsi).value,
            "flag": entry.iso if entry is not None else None,
        }
        evidence = [Evidence.of(obs, f"position when the change was confirmed: {said}")] if obs else []
        key = f"identity_change:{mmsi}:{iso_key(at)}"
        summary = f"{label}: identity changed{where}: {said}"
        return [
            change(
                action, key, IncidentKind.IDENTITY_CHANGE, severity, at, summary,
                subject_id=mmsi,
                label=label,
                zone=zone,
                lat=obs.lat if obs is not None else None,
                lon=obs.lon if obs is not None else None,
                details=details,
                evidence=evidence if action is ChangeAction.OPEN else (),
            )
            for action in (ChangeAction.OPEN, ChangeAction.CLOSE)
        ]

    def _sweep(self, state: MonitorState, now: datetime) -> list[IncidentChange]:
        cfg = self.config
        if self._swept_at is not None and (now - self._swept_at).total_seconds() < cfg.sweep_every_s:
            return []
        self._swept_at = now
        now_s = now.timestamp()
        out: list[IncidentChange] = []
        for mmsi in sorted(self._pending):
            v = self._vessels.get(mmsi)
            if v is None or not v.pending:
                self._pending.discard(mmsi)
                continue
            out.extend(self._settle(mmsi, v, now_s, state))
        if self._forgot_at is None or (now - self._forgot_at).total_seconds() >= cfg.forget_after_s / 4:
            self._forgot_at = now
            tracks = state.tracks
            for mmsi in [k for k, v in self._vessels.items()
                         if not v.pending and now_s - v.last_s > cfg.forget_after_s
                         and tracks.get((VESSEL, k)) is None]:
                del self._vessels[mmsi]
            if len(self._ignored) > 200_000:
                self._ignored.clear()
        return out
